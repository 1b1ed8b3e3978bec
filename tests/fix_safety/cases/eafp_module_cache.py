"""An EAFP cache on a module dict, `try: return _c[k]` / `except KeyError: _c[k] = make(k)` (CRL105):
under the lock the read is repeated, so the thread that lost the race returns the stored client."""

_clients = {}
built = []


class Client:
    def __init__(self, host):
        self.host = host
        self.sent = []
        built.append(host)


def get_client(host):
    try:
        return _clients[host]
    except KeyError:
        client = _clients[host] = Client(host)
        return client


# --- drivers ---
FINDINGS = ("CRL105",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.get_client("a").sent.append(1)
    return [m.get_client("a").sent, m.get_client("b").host, list(m.built)]


def threaded(m):
    return [lambda: m.get_client("a"), lambda: m.get_client("a")]


def invariant(m):
    return m.built == ["a"]
