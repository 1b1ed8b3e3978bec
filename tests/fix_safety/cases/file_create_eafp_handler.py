"""`try: read the token except FileNotFoundError: make and write one` (CRL303, the EAFP spelling of
check-then-create): the fix creates with mode "x" under the lock, and a caller that finds the file
made reads the winner's token instead of truncating it."""


class Tokens:
    def __init__(self, path):
        self.path = path
        self.calls = 0
        self.made = 0

    def token(self, candidate):
        self.calls += 1  # Python-level accesses before the read and inside the window: DPOR switches
        try:
            with open(self.path) as f:
                token = f.read()
        except FileNotFoundError:
            self.made = self.calls
            token = candidate
            with open(self.path, "w") as f:
                f.write(token)
        return token


# --- drivers ---
FINDINGS = ("CRL303",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile

    return tempfile.mkdtemp(prefix="racelint_case_")


def single_threaded(m):
    import os

    tokens = m.Tokens(os.path.join(_tmp(), "token"))
    return [tokens.token("a"), tokens.token("b"), tokens.made, open(tokens.path).read()]


def threaded(m):
    import os

    m.shared = m.Tokens(os.path.join(_tmp(), "token"))
    m.got = []
    return [lambda: m.got.append(m.shared.token("one")), lambda: m.got.append(m.shared.token("two"))]


def invariant(m):
    return len(m.got) == 2 and m.got[0] == m.got[1] == open(m.shared.path).read()
