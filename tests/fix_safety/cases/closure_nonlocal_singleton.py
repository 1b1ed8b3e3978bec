"""A singleton kept in a closure variable (`nonlocal`), CRL101: the lock goes in the enclosing
function, one per closure; two getters made by the same factory keep separate objects."""

built = []


class Client:
    def __init__(self, name):
        self.name = name
        built.append(self)


def make_getter(name):
    client = None

    def get():
        nonlocal client
        if client is None:
            client = Client(name)
        return client

    return get


get_a = make_getter("a")
get_b = make_getter("b")


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    a = m.get_a()
    return [a is m.get_a(), a.name, m.get_b().name, m.get_b() is a, len(m.built)]


def threaded(m):
    return [m.get_a, m.get_a]


def invariant(m):
    return len(m.built) == 1
