"""An early `return` inside the write's `with` block (CRL301): the lock is released on the way
out, and the atomic form publishes what was written so far (the file is truncated empty in
the original, so the same empty file in the fixed one)."""


class Cache:
    def __init__(self, path):
        self.path = path

    def save(self, items):
        with open(self.path, "w") as f:
            if not items:
                return False
            f.write(",".join(items))
        return True


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    cache = m.Cache(_tmp() / "cache.txt")
    first = cache.save(["a", "b"])
    content = cache.path.read_text()
    second = cache.save([])
    return [first, content, second, cache.path.read_text()]


def threaded(m):
    m.shared = m.Cache(_tmp() / "cache.txt")
    return [lambda: m.shared.save(["x"]), lambda: m.shared.save([])]


def invariant(m):
    return m.shared.path.read_text() in ("x", "")
