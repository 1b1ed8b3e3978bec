"""Append a line to an rc file unless it is there (CRL301, check-then-append): every style takes
the helper's per-path `locked(path)` from the read through the append, so two threads append once."""

MARKER = "# added by tool"


class Installer:
    def __init__(self, rc_path):
        self.rc_path = rc_path

    def install(self):
        content = self.rc_path.read_text()
        if MARKER not in content:
            with open(self.rc_path, "a") as f:
                f.write(MARKER + "\n")
            return True
        return False


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _installer(m):
    installer = m.Installer(_tmp() / "bashrc")
    installer.rc_path.write_text("export A=1\n")
    return installer


def single_threaded(m):
    installer = _installer(m)
    return [installer.install(), installer.install(), installer.rc_path.read_text()]


def threaded(m):
    m.shared = _installer(m)
    m.results = []
    return [lambda: m.results.append(m.shared.install()), lambda: m.results.append(m.shared.install())]


def invariant(m):
    return sorted(m.results) == [False, True]
