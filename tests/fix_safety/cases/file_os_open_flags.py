"""`os.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)` + `os.write` on a shared path (CRL301): the
lock covers the open through the last use of the descriptor; the flags and mode are untouched."""

import os


class Pidfile:
    def __init__(self, path):
        self.path = path

    def write(self, pid):
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, str(pid).encode())
        finally:
            os.close(fd)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    import os
    import stat

    pidfile = m.Pidfile(str(_tmp() / "app.pid"))
    pidfile.write(1234)
    return [open(pidfile.path).read(), oct(stat.S_IMODE(os.stat(pidfile.path).st_mode))]


def threaded(m):
    m.shared = m.Pidfile(str(_tmp() / "app.pid"))
    return [lambda: m.shared.write(1), lambda: m.shared.write(22)]


def invariant(m):
    return open(m.shared.path).read() in ("1", "22")
