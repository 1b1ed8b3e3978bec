"""`encoding=` and `newline=` on the write (CRL301) survive the atomic form: the bytes on disk
are the same Latin-1 with CRLF line ends."""


class Report:
    def __init__(self, path):
        self.path = path

    def save(self, lines):
        with open(self.path, "w", encoding="latin-1", newline="\r\n") as f:
            for line in lines:
                f.write(line + "\n")


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    report = m.Report(_tmp() / "report.txt")
    report.save(["caf\u00e9", "na\u00efve"])
    return report.path.read_bytes()


def threaded(m):
    m.shared = m.Report(_tmp() / "report.txt")
    return [lambda: m.shared.save(["a"]), lambda: m.shared.save(["b", "c"])]


def invariant(m):
    return m.shared.path.read_bytes() in (b"a\r\n", b"b\r\nc\r\n")
