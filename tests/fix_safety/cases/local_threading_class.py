"""`threading` bound to something else (as `from pkg import threading` would): a local class.
The fix must not call `threading.Lock()` on it."""

_state = None


class threading:  # noqa: N801 - stands for a project module named threading
    @staticmethod
    def current():
        return "main"


def get_state():
    global _state
    if _state is None:
        _state = {"thread": threading.current()}
    return _state


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_state(), m.threading.current()]


def threaded(m):
    return [m.get_state, m.get_state]


def invariant(m):
    return m._state == {"thread": "main"}
