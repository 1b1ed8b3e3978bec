"""A read-modify-write whose `if` condition continues with a backslash (CRL301): the fixed block
is re-indented, continuation line included, and still parses and behaves the same."""

from pathlib import Path

STATE = Path("state.txt")


def set_state(text):
    current = STATE.read_text()
    if current != text and \
            text:
        STATE.write_text(text)
        return True
    return False


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)  # the atomic write form is unsafe; safe mode leaves it


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _point_to_tmp(m):
    m.STATE = _tmp() / "state.txt"
    m.STATE.write_text("")


def single_threaded(m):
    _point_to_tmp(m)
    return [m.set_state("a"), m.set_state("a"), m.set_state(""), m.STATE.read_text()]


def threaded(m):
    _point_to_tmp(m)
    m.changed = []
    return [lambda: m.changed.append(m.set_state("a")), lambda: m.changed.append(m.set_state("a"))]


def invariant(m):
    return sorted(m.changed) == [False, True]
