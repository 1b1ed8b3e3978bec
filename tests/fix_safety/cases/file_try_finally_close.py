"""`f = open(p, "w")` with `try: write / finally: f.close()` (CRL301): no `with`, so no atomic
form; the lock covers the open through the close."""


class Dump:
    def __init__(self, path):
        self.path = path

    def save(self, text):
        f = open(self.path, "w")
        try:
            f.write(text)
        finally:
            f.close()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    dump = m.Dump(_tmp() / "dump.txt")
    dump.save("one")
    dump.save("two")
    return dump.path.read_text()


def threaded(m):
    m.shared = m.Dump(_tmp() / "dump.txt")
    return [lambda: m.shared.save("aa"), lambda: m.shared.save("b")]


def invariant(m):
    return m.shared.path.read_text() in ("aa", "b")
