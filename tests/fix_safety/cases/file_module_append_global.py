"""A module function appending to a global log path (CRL301): a module lock; the reader
(CRL302) then takes the same lock. Two writes per open: another thread's event can land between them."""

AUDIT = "audit.log"


def audit(event):
    with open(AUDIT, "a") as f:
        f.write(event)
        f.write("\n")


def events():
    with open(AUDIT) as f:
        return f.read().splitlines()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    m.AUDIT = str(_tmp() / "audit.log")
    m.audit("login")
    m.audit("logout")
    return m.events()


def threaded(m):
    m.AUDIT = str(_tmp() / "audit.log")
    return [lambda: m.audit("a"), lambda: m.audit("b")]


def invariant(m):
    return sorted(m.events()) == ["a", "b"]
