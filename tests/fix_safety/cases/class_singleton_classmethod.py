"""A class-held singleton built in a classmethod (CRL102); the class-level lock fix is right."""


class Registry:
    _instance = None
    built = 0

    def __init__(self):
        Registry.built += 1
        self.items = []

    @classmethod
    def instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


# --- drivers ---
FINDINGS = ("CRL102",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    first = m.Registry.instance()
    first.items.append(1)
    return [m.Registry.instance().items, m.Registry.built]


def threaded(m):
    return [m.Registry.instance, m.Registry.instance]


def invariant(m):
    return m.Registry.built == 1
