"""`Path.write_bytes` on a module-global path from a function (CRL301): a module lock, and
`atomic_write_bytes` in the atomic form."""

from pathlib import Path

SNAPSHOT = Path("snapshot.bin")


def snapshot(data):
    SNAPSHOT.write_bytes(data)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    m.SNAPSHOT = _tmp() / "snapshot.bin"
    m.snapshot(b"one")
    m.snapshot(b"\x00two")
    return m.SNAPSHOT.read_bytes()


def threaded(m):
    m.SNAPSHOT = _tmp() / "snapshot.bin"
    return [lambda: m.snapshot(b"a"), lambda: m.snapshot(b"bb")]


def invariant(m):
    return m.SNAPSHOT.read_bytes() in (b"a", b"bb")
