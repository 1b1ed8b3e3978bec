"""`w+` writes then reads back through the same file object (CRL301): `+` has no atomic form,
so the lock covers the whole block; single-threaded the read-back is unchanged."""


class Scratch:
    def __init__(self, path):
        self.path = path

    def roundtrip(self, text):
        with open(self.path, "w+") as f:
            f.write(text)
            f.seek(0)
            return f.read()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    scratch = m.Scratch(_tmp() / "scratch.txt")
    return [scratch.roundtrip("first"), scratch.roundtrip("2nd"), scratch.path.read_text()]


def threaded(m):
    m.shared = m.Scratch(_tmp() / "scratch.txt")
    m.seen = []
    return [lambda: m.seen.append(m.shared.roundtrip("aaaa")), lambda: m.seen.append(m.shared.roundtrip("bb"))]


def invariant(m):
    return sorted(m.seen) == ["aaaa", "bb"] and m.shared.path.read_text() in ("aaaa", "bb")
