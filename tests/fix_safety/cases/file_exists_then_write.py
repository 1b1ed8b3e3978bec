"""`if not path.exists(): write the default` (CRL303, check-then-create): the lock covers the
check and the exclusive create, so two first runs write the default once."""


class Config:
    def __init__(self, path):
        self.path = path
        self.created = 0

    def ensure(self):
        if not self.path.exists():
            self.created += 1
            self.path.write_text("[defaults]\n")
        return self.path.read_text()


# --- drivers ---
FINDINGS = ("CRL303",)
FIXED_IN = ("unsafe",)  # the exclusive create is unsafe (see CRL303); safe mode leaves it


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    config = m.Config(_tmp() / "c.ini")
    return [config.ensure(), config.ensure(), config.created]


def threaded(m):
    m.shared = m.Config(_tmp() / "c.ini")
    return [m.shared.ensure, m.shared.ensure]


def invariant(m):
    return m.shared.created == 1
