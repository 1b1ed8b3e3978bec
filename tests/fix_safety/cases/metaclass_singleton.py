"""A metaclass singleton, `if cls not in cls._instances: cls._instances[cls] = super().__call__()`
(CRL102). The lock is an `RLock` on the metaclass: building one singleton builds another of the
same metaclass on the same thread (`Service.__init__` asks for the `Config`)."""

built = []


class Singleton(type):
    _instances = {}

    def __call__(cls, *args, **kwargs):
        if cls not in cls._instances:
            cls._instances[cls] = super().__call__(*args, **kwargs)
        return cls._instances[cls]


class Config(metaclass=Singleton):
    def __init__(self):
        built.append("config")


class Service(metaclass=Singleton):
    def __init__(self):
        built.append("service")
        self.config = Config()


# --- drivers ---
FINDINGS = ("CRL102",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    service = m.Service()
    return [service is m.Service(), service.config is m.Config(), sorted(m.built)]


def threaded(m):
    return [m.Service, m.Service]


def invariant(m):
    return sorted(m.built) == ["config", "service"]
