"""A lazy global in a module that already imports `threading as th` and prints on first load (CRL101):
the fix must reuse the alias; the printed lines are part of the behaviour."""

import threading as th

_store = None


def get_store():
    global _store
    if _store is None:
        print("loading store on", th.current_thread().name)
        _store = {"items": []}
    return _store


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        m.get_store()["items"].append(1)
        m.get_store()["items"].append(2)
    return [printed.getvalue().splitlines(), m.get_store()]


def threaded(m):
    return [m.get_store, m.get_store]  # printing from threads: the child's stdout, ignored by the harness


def invariant(m):
    return m._store == {"items": []}
