"""`print(..., file=f)` into a shared file (CRL301): print writes through the file object the
atomic form yields; `sep`/`end` unchanged."""


class Table:
    def __init__(self, path):
        self.path = path

    def render(self, rows):
        with open(self.path, "w") as out:
            for row in rows:
                print(*row, sep=" | ", end=" ;\n", file=out)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    table = m.Table(_tmp() / "table.txt")
    table.render([(1, 2), ("a", "b", "c")])
    return table.path.read_text()


def threaded(m):
    m.shared = m.Table(_tmp() / "table.txt")
    return [lambda: m.shared.render([(1,)]), lambda: m.shared.render([(2,)])]


def invariant(m):
    return m.shared.path.read_text() in ("1 ;\n", "2 ;\n")
