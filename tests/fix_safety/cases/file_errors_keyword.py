"""`open(p, "w", errors="replace")`: the helper takes no `errors=` (CRL301), so no atomic form;
the lock form keeps the replacement characters exactly."""


class AsciiLog:
    def __init__(self, path):
        self.path = path

    def save(self, text):
        with open(self.path, "w", encoding="ascii", errors="replace") as f:
            f.write(text)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    log = m.AsciiLog(_tmp() / "log.txt")
    log.save("caf\u00e9 \u2603")
    return log.path.read_bytes()


def threaded(m):
    m.shared = m.AsciiLog(_tmp() / "log.txt")
    return [lambda: m.shared.save("a"), lambda: m.shared.save("bb")]


def invariant(m):
    return m.shared.path.read_text() in ("a", "bb")
