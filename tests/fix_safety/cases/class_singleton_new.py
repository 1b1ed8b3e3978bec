"""A singleton through `__new__` (CRL102)."""


class Settings:
    _instance = None
    made = 0

    def __new__(cls):
        if cls._instance is None:
            Settings.made += 1
            cls._instance = super().__new__(cls)
        return cls._instance

    def load(self, path):
        self.path = path  # per-instance state: what a discarded instance was given is lost


# --- drivers ---
FINDINGS = ("CRL102",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.Settings() is m.Settings(), m.Settings.made]


def threaded(m):
    return [m.Settings, m.Settings]


def invariant(m):
    return m.Settings.made == 1
