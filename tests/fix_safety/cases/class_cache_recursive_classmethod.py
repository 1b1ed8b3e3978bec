"""A class-level cache filled by a recursive classmethod (CRL105 on cls._cache)."""


class Factorial:
    _cache = {}

    @classmethod
    def of(cls, n):
        if n not in cls._cache:
            cls._cache[n] = 1 if n <= 1 else n * cls.of(n - 1)
        return cls._cache[n]


# --- drivers ---
FINDINGS = ("CRL107",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.Factorial.of(6), sorted(m.Factorial._cache.items())]


def threaded(m):
    return [lambda: m.Factorial.of(3), lambda: m.Factorial.of(2)]


def invariant(m):
    return m.Factorial._cache[3] == 6
