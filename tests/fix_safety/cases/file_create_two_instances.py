"""Two key-store *instances* on one key file (CRL303): an instance lock would not keep them apart;
the fix's per-path `locked(path)` does (and `O_EXCL` keeps either from truncating the other's key)."""

import os


class KeyStore:
    lookups = 0  # counted across instances

    def __init__(self, key_path):
        self._key_path = key_path
        self.generated = 0

    def get_key(self):
        KeyStore.lookups += 1  # a DPOR switch point before the check, shared by the instances
        if self._key_path.exists():
            return self._key_path.read_bytes()
        key = os.urandom(16)
        self.generated = KeyStore.lookups  # and one inside the window (DPOR does not see the file)
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
    return [len(first), first == again == other == store._key_path.read_bytes(), m.KeyStore.lookups, mode]


def threaded(m):
    path = _tmp() / "key"
    m.shared = m.KeyStore(path)
    m.other = m.KeyStore(path)
    m.keys = []
    return [lambda: m.keys.append(m.shared.get_key()), lambda: m.keys.append(m.other.get_key())]


def invariant(m):
    return len(m.keys) == 2 and m.keys[0] == m.keys[1] == m.shared._key_path.read_bytes()
