"""A function writing a module-global path (CRL301): a module lock plus atomic replace."""

from pathlib import Path

STATE = Path("/tmp/racelint-case-state.txt")


def save_state(text):
    STATE.write_text(text)


def load_state():
    return STATE.read_text()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)  # lock+atomic (the default file-write-fix) is unsafe


def _point_to_tmp(m):
    import tempfile
    from pathlib import Path

    m.STATE = Path(tempfile.mkdtemp()) / "state.txt"


def single_threaded(m):
    _point_to_tmp(m)
    m.save_state("one")
    m.save_state("two")
    return [m.load_state()]


def threaded(m):
    _point_to_tmp(m)
    return [lambda: m.save_state("one"), lambda: m.save_state("two")]


def invariant(m):
    return m.load_state() in ("one", "two")
