"""A class singleton with `if not cls._inst:` and a constructor with arguments (CRL102)."""


class Pool:
    _inst = None
    opened = []

    def __init__(self, size):
        Pool.opened.append(size)
        self.size = size

    @classmethod
    def get(cls, size=4):
        if not cls._inst:
            cls._inst = cls(size)
        return cls._inst


# --- drivers ---
FINDINGS = ("CRL102",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.Pool.get(2).size, m.Pool.get(8).size, m.Pool.opened]


def threaded(m):
    return [lambda: m.Pool.get(2), lambda: m.Pool.get(3)]


def invariant(m):
    return len(m.Pool.opened) == 1
