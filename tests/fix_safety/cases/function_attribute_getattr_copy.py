"""A function-attribute singleton read into a local first, `inst = getattr(get, "_inst", None)` /
`if inst is None:` (CRL101): under the lock the copy is read again before the re-check."""

built = []


class Connection:
    def __init__(self):
        built.append(self)
        self.queries = []


def get_connection():
    conn = getattr(get_connection, "_conn", None)
    if conn is None:
        conn = get_connection._conn = Connection()
    return conn


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    m.get_connection().queries.append("select 1")
    return [m.get_connection().queries, len(m.built)]


def threaded(m):
    return [m.get_connection, m.get_connection]


def invariant(m):
    return len(m.built) == 1
