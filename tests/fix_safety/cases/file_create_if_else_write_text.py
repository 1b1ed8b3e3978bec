"""`if not p.exists(): p.write_text(token) else: token = p.read_text()` (CRL303): the fix writes with
`p.open("x")`, and a caller that finds the file made takes the exists branch (reads the winner's
token) instead of truncating it."""


class Tokens:
    def __init__(self, path):
        self.path = path
        self.made = 0

    def token(self, candidate):
        if not self.path.exists():
            self.made += 1
            self.path.write_text(candidate, encoding="utf-8")
            token = candidate
        else:
            token = self.path.read_text(encoding="utf-8")
        return token


# --- drivers ---
FINDINGS = ("CRL303",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    tokens = m.Tokens(_tmp() / "token")
    return [tokens.token("a"), tokens.token("b"), tokens.made, tokens.path.read_text()]


def threaded(m):
    m.shared = m.Tokens(_tmp() / "token")
    m.got = []
    return [lambda: m.got.append(m.shared.token("one")), lambda: m.got.append(m.shared.token("two"))]


def invariant(m):
    return len(m.got) == 2 and m.got[0] == m.got[1] == m.shared.path.read_text(encoding="utf-8")
