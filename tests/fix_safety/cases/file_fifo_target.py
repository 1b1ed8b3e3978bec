"""A FIFO as the shared path (a status pipe read by another program) (CRL301): replacing it with
a regular file would cut the reader off; the atomic form writes through it like `open()`."""


class StatusPipe:
    def __init__(self, path):
        self.path = path

    def send(self, status):
        with open(self.path, "w") as f:
            f.write(status)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    import os
    import stat
    import threading

    path = _tmp() / "status"
    os.mkfifo(path)
    got = []
    reader = threading.Thread(target=lambda: got.append(path.read_text()), daemon=True)
    reader.start()
    m.StatusPipe(path).send("ready")
    reader.join(5)
    return [got, stat.S_ISFIFO(os.lstat(path).st_mode), sorted(p.name for p in path.parent.iterdir())]


def threaded(m):
    m.shared = m.StatusPipe(_tmp() / "status.txt")  # a regular file here: a FIFO would block frontrun
    return [lambda: m.shared.send("a"), lambda: m.shared.send("b")]


def invariant(m):
    return m.shared.path.read_text() in ("a", "b")
