"""A binary write (`"wb"`) of a shared blob path (CRL301): the atomic form keeps binary mode."""


class BlobStore:
    def __init__(self, path):
        self.path = path

    def put(self, blob):
        with open(self.path, "wb") as f:
            f.write(blob)

    def get(self):
        with open(self.path, "rb") as f:
            return f.read()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    store = m.BlobStore(_tmp() / "blob.bin")
    store.put(b"\x00\xff\r\n")
    first = store.get()
    store.put(bytes(range(5)))
    return [first, store.get()]


def threaded(m):
    m.shared = m.BlobStore(_tmp() / "blob.bin")
    return [lambda: m.shared.put(b"aa"), lambda: m.shared.put(b"bbbb")]


def invariant(m):
    return m.shared.get() in (b"aa", b"bbbb")
