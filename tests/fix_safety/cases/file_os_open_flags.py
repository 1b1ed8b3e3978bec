"""`os.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)` + `os.write`: a descriptor-level write,
not analysed; racelint must not mistake `os.open` for a path method or rewrite it."""

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
UNTOUCHED = "os.open/os.write are descriptor-level and not analysed"


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
    return [lambda: None]
