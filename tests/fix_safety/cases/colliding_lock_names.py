"""Two globals whose derived lock names collide (`_history`, `_history_instance` -> `_history_lock`);
one accessor calls the other while creating its value."""

_history = None
_history_instance = None


class History:
    def __init__(self, entries):
        self.entries = entries


def get_entries():
    global _history
    if _history is None:
        _history = ["boot"]
    return _history


def get_history():
    global _history_instance
    if _history_instance is None:
        _history_instance = History(get_entries())
    return _history_instance


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_history().entries, m.get_history() is m.get_history()]


def threaded(m):
    return [m.get_history, m.get_entries]


def invariant(m):
    return m.get_history().entries is m._history
