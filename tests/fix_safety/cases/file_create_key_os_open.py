"""A key file created after `exists()` with `os.open(O_CREAT | O_TRUNC | O_WRONLY, 0o600)` (CRL303):
two first callers each generate a key and the later truncates the earlier's; the fix creates with
`O_EXCL`, falls back to reading the winner's key, and holds `locked(path)` from the check through the write."""

import os


class KeyStore:
    def __init__(self, key_path):
        self._key_path = key_path
        self.calls = 0
        self.generated = 0

    def get_key(self):
        self.calls += 1  # a DPOR switch point before the check
        if self._key_path.exists():
            return self._key_path.read_bytes()
        key = os.urandom(16)
        self.generated = self.calls  # and one inside the window (DPOR does not see the file)
        fd = os.open(self._key_path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            os.write(fd, key)
        finally:
            os.close(fd)
        return key


# --- drivers ---
FINDINGS = ("CRL303",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    import os
    import stat

    store = m.KeyStore(_tmp() / "key")
    first = store.get_key()
    again = store.get_key()
    other = m.KeyStore(store._key_path).get_key()
    mode = oct(stat.S_IMODE(os.stat(store._key_path).st_mode))
    return [len(first), first == again == other == store._key_path.read_bytes(), store.calls, mode]


def threaded(m):
    m.shared = m.KeyStore(_tmp() / "key")
    m.keys = []
    return [lambda: m.keys.append(m.shared.get_key()), lambda: m.keys.append(m.shared.get_key())]


def invariant(m):
    return len(m.keys) == 2 and m.keys[0] == m.keys[1] == m.shared._key_path.read_bytes()
