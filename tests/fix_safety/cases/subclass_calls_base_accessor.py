"""A class lock inherited by a subclass whose constructor calls the base accessor (CRL102):
`Child.instance()` holds the lock while `Child()` runs, and `Child.__init__` calls `Base.instance()`."""


class Base:
    _instance = None

    @classmethod
    def instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


class Child(Base):
    _instance = None

    def __init__(self):
        self.base = Base.instance()


# --- drivers ---
FINDINGS = ("CRL102",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    child = m.Child.instance()
    return [type(child).__name__, type(child.base).__name__, child is m.Child.instance()]


def threaded(m):
    return [m.Child.instance, m.Base.instance]


def invariant(m):
    return m.Child.instance().base is m.Base.instance()
