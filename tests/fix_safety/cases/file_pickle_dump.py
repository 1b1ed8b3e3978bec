"""`pickle.dump(obj, f)` into a shared binary file (CRL301); the reader unpickles what it wrote."""

import pickle


class Checkpoint:
    def __init__(self, path):
        self.path = path

    def save(self, state):
        with open(self.path, "wb") as f:
            pickle.dump(state, f, protocol=2)

    def load(self):
        with open(self.path, "rb") as f:
            return pickle.load(f)


# --- drivers ---
FINDINGS = ("CRL301",)
FIXED_IN = ("unsafe",)


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="racelint_case_"))


def single_threaded(m):
    checkpoint = m.Checkpoint(_tmp() / "state.pkl")
    checkpoint.save({"step": 1, "items": (1, 2)})
    return [checkpoint.load(), checkpoint.path.read_bytes()]


def threaded(m):
    m.shared = m.Checkpoint(_tmp() / "state.pkl")
    return [lambda: m.shared.save({"step": 1}), lambda: m.shared.save({"step": 2})]


def invariant(m):
    return m.shared.load() in ({"step": 1}, {"step": 2})
