"""`f = open(p, "w")` used over several statements, closed explicitly (CRL301): no `with`, so no
atomic form; the lock covers the open through the last use of `f`."""


class Csv:
    def __init__(self, path):
        self.path = path

    def save(self, rows):
        f = open(self.path, "w")
        f.write("id,name\n")
        for row in rows:
            f.write(",".join(map(str, row)) + "\n")
        f.close()
        return len(rows)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("safe", "unsafe")


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    csv = m.Csv(_tmp() / "t.csv")
    return [csv.save([(1, "a"), (2, "b")]), csv.path.read_text()]


def threaded(m):
    m.shared = m.Csv(_tmp() / "t.csv")
    return [lambda: m.shared.save([(1, "a")]), lambda: m.shared.save([(2, "b")])]


def invariant(m):
    return m.shared.path.read_text() in ("id,name\n1,a\n", "id,name\n2,b\n")
