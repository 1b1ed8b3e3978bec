"""`os.devnull` as the default path (logging switched off) (CRL301): the atomic form must not
replace /dev/null with a regular file; the helper writes through non-regular targets."""

import os


class Sink:
    def __init__(self, path=os.devnull):
        self.path = path

    def emit(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        return len(text)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _device():
    import os
    import stat

    st = os.stat(os.devnull)
    return [stat.S_ISCHR(st.st_mode), st.st_ino]


def single_threaded(m):
    before = _device()
    quiet = m.Sink()
    loud = m.Sink(str(_tmp() / "out.txt"))
    return [quiet.emit("discarded"), loud.emit("kept"), open(loud.path).read(), _device() == before]


def threaded(m):
    m.before = _device()
    m.shared = m.Sink()
    return [lambda: m.shared.emit("a"), lambda: m.shared.emit("b")]


def invariant(m):
    return _device() == m.before
