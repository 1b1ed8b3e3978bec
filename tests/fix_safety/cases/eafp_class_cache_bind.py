"""An EAFP cache on a class dict that binds the value and goes on after the `try` (CRL105): the
re-read under the lock binds the stored value, as a successful first read does. `except ... as
exc` is kept on the repeated handler."""

built = []


class Pools:
    _pools = {}

    def __init__(self, name):
        self.name = name
        built.append(name)

    @classmethod
    def get(cls, name):
        try:
            pool = cls._pools[name]
        except KeyError as exc:
            pool = cls(name)
            cls._pools[name] = pool
            pool.missed = str(exc)
        return pool


# --- drivers ---
FINDINGS = ("CRL105",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    first = m.Pools.get("x")
    return [first is m.Pools.get("x"), first.missed, list(m.built)]


def threaded(m):
    return [lambda: m.Pools.get("x"), lambda: m.Pools.get("x")]


def invariant(m):
    return m.built == ["x"]
