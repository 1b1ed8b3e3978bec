"""Appending a line to a shared rc file unless present (CRL301 on an append)."""


class Shell:
    def __init__(self, rc):
        self.rc = rc

    def add_path(self, line):
        text = self.rc.read_text() if self.rc.exists() else ""
        if line not in text:
            with open(self.rc, "a") as f:
                f.write(line + "\n")


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _shell(m):
    import tempfile
    from pathlib import Path

    return m.Shell(Path(tempfile.mkdtemp()) / ".bashrc")


def single_threaded(m):
    shell = _shell(m)
    shell.add_path("export A=1")
    shell.add_path("export A=1")
    shell.add_path("export B=2")
    return [shell.rc.read_text()]


def threaded(m):
    m.shared = _shell(m)
    return [lambda: m.shared.add_path("export A=1"), lambda: m.shared.add_path("export B=2")]


def invariant(m):
    return sorted(m.shared.rc.read_text().splitlines()) == ["export A=1", "export B=2"]
