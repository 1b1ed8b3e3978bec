"""A process-wide vault that creates its cipher on first use from worker threads (CRL108):
report only, since a double-checked fix would run the initialiser under the object's lock."""

import threading


class Vault:
    def __init__(self):
        self._cipher = None
        self.created = 0

    def cipher(self):
        if self._cipher is None:
            self._cipher = self._make()
        return self._cipher

    def _make(self):
        return object()


_vault = None
_vault_lock = threading.Lock()


def get_vault():
    global _vault
    if _vault is None:
        with _vault_lock:
            if _vault is None:
                _vault = Vault()
    return _vault


def encrypt(data):
    return (id(get_vault().cipher()) > 0, data)


def encrypt_all(items):
    threads = [threading.Thread(target=encrypt, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(items)


# --- drivers ---
FINDINGS = ("CRL108",)
FIXED_IN = ()  # report only


def single_threaded(m):
    return [m.encrypt_all([1, 2]), m.encrypt("x")[1], m.get_vault().cipher() is m.get_vault().cipher()]


def threaded(m):
    return [lambda: m.encrypt(1), lambda: m.encrypt(2)]


def invariant(m):
    return True
