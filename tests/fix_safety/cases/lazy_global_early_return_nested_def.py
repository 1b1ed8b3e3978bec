"""The early-return spelling with a nested helper defined before the creation (werkzeug's
`get_machine_id`): the fix guards `_id = _generate()` and leaves the `def` where it is (CRL101)."""

_id = None
_calls = []


class Token:
    def __init__(self, seed):
        _calls.append(seed)
        self.seed = seed


def get_id(seed=1):
    global _id
    if _id is not None:
        return _id

    def _generate() -> "Token":
        # a body long enough that re-indenting it would bury the fix in the diff
        value = seed * 2
        return Token(value)

    _id = _generate()
    return _id


# --- drivers ---
FINDINGS = ("CRL101",)
FIXED_IN = ("safe", "unsafe")


def single_threaded(m):
    return [m.get_id(3) is m.get_id(4), m.get_id().seed, list(m._calls)]


def threaded(m):
    return [m.get_id, m.get_id]


def invariant(m):
    return len(m._calls) == 1
