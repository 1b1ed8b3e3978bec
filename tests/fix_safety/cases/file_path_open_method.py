"""`self.path.open("w", encoding=...)` (CRL301): the atomic form is `atomic_write(self.path, ...)`."""


class Page:
    def __init__(self, path):
        self.path = path

    def render(self, title):
        with self.path.open("w", encoding="utf-8") as out:
            out.write(f"<h1>{title}</h1>")


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    page = m.Page(_tmp() / "index.html")
    page.render("caf\u00e9")
    return page.path.read_bytes()


def threaded(m):
    m.shared = m.Page(_tmp() / "index.html")
    return [lambda: m.shared.render("a"), lambda: m.shared.render("b")]


def invariant(m):
    return m.shared.path.read_text(encoding="utf-8") in ("<h1>a</h1>", "<h1>b</h1>")
