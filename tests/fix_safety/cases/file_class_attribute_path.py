"""A classmethod writing a class-attribute path (CRL301): a class lock beside the attribute."""


class Settings:
    PATH = "settings.ini"

    @classmethod
    def save(cls, text):
        with open(cls.PATH, "w") as f:
            f.write(text)

    @classmethod
    def load(cls):
        with open(cls.PATH) as f:
            return f.read()


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    m.Settings.PATH = str(_tmp() / "settings.ini")
    m.Settings.save("[a]")
    return m.Settings.load()


def threaded(m):
    m.Settings.PATH = str(_tmp() / "settings.ini")
    return [lambda: m.Settings.save("[a]"), lambda: m.Settings.save("[bb]")]


def invariant(m):
    return m.Settings.load() in ("[a]", "[bb]")
