"""A private file (mode 0o600) rewritten through a shared path (CRL301): the atomic form's new
inode keeps the permission bits, so the secret does not become world-readable."""


class Credentials:
    def __init__(self, path):
        self.path = path

    def store(self, token):
        with open(self.path, "w") as f:
            f.write(token)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def _private(m):
    import os

    path = _tmp() / "token"
    path.write_text("")
    os.chmod(path, 0o600)
    return m.Credentials(path)


def single_threaded(m):
    import os
    import stat

    credentials = _private(m)
    credentials.store("s3cret")
    return [oct(stat.S_IMODE(os.stat(credentials.path).st_mode)), credentials.path.read_text()]


def threaded(m):
    m.shared = _private(m)
    return [lambda: m.shared.store("a"), lambda: m.shared.store("b")]


def invariant(m):
    import os
    import stat

    return stat.S_IMODE(os.stat(m.shared.path).st_mode) == 0o600
