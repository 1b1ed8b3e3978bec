"""A generator writing a shared file and yielding inside the `with` (CRL301): a lock held across
`yield` stays held while the consumer runs (and forever if it stops iterating), so there is no
fix, and the finding says why."""


class Exporter:
    def __init__(self, path):
        self.path = path

    def export(self, rows):
        with open(self.path, "w") as f:
            for row in rows:
                f.write(row + "\n")
                yield row


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ()


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    exporter = m.Exporter(_tmp() / "rows.txt")
    seen = list(exporter.export(["a", "b"]))
    return [seen, exporter.path.read_text()]


def threaded(m):
    return [lambda: None]
