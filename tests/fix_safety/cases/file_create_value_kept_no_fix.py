"""A secret created after `os.path.exists` and kept in a local read after the check (CRL303): a
caller that finds the file made could not recover its value from the branch it took, so no fix is
offered and the finding says why."""

import os
import secrets


class Session:
    def __init__(self, path):
        self.path = path

    def secret(self):
        secret = None
        if not os.path.exists(self.path):
            secret = secrets.token_hex(8)
            with open(self.path, "w") as f:
                f.write(secret)
        if secret is None:
            with open(self.path) as f:
                secret = f.read()
        return secret


# --- drivers ---
FINDINGS = ("CRL303",)
FIXED_IN = ()


def _tmp():
    import tempfile

    return tempfile.mkdtemp(prefix="racelint_case_")


def single_threaded(m):
    import os

    session = m.Session(os.path.join(_tmp(), "secret"))
    first = session.secret()
    return [len(first), first == session.secret()]


def threaded(m):
    import os

    m.shared = m.Session(os.path.join(_tmp(), "secret"))
    return [m.shared.secret, m.shared.secret]
