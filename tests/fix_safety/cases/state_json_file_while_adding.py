"""The saver writes `self.runs` to its file with `json.dump(..., default=_encode)` while `add()`
adds runs to it: the encoder walks the dict in Python (`_encode` runs per value) and raises
RuntimeError when `add()` adds a key meanwhile. CRL405 puts the adds and the whole file `with`
under the object's lock; CRL301 makes the write atomic (this repository has the atomic-write
helpers; without them its lock is the same `self._lock` in the same place: the rule's example)."""

import json
import os
import tempfile
import threading


class Run:
    def __init__(self, name):
        self.name = name
        self.saved = 0


def _encode(value):
    value.saved += 1
    return value.name


class History:
    def __init__(self, path):
        self.path = path
        self.runs = {}
        self._stop = threading.Event()

    def start(self):
        thread = threading.Thread(target=self._save)
        thread.start()
        return thread

    def add(self, key, run):
        self.runs[key] = run

    def _save(self):
        with open(self.path, "w") as f:
            json.dump(self.runs, f, default=_encode)


# --- drivers ---
import json
import os
import tempfile
FINDINGS = ("CRL405", "CRL301")
FIXED_IN = ("unsafe",)


def _history(m):
    folder = tempfile.mkdtemp()
    history = m.History(os.path.join(folder, "history.json"))
    m.first = m.Run("first")
    history.add("1", m.first)
    history.add("2", m.Run("second"))
    return history


def single_threaded(m):
    history = _history(m)
    history.start().join()
    with open(history.path) as f:
        return f.read()


def threaded(m):
    m.shared = _history(m)
    # the adder reads how often the first run was saved: a Python-level access the scheduler can
    # place inside the dump (`_encode` runs per value; the encoder is stdlib code it does not trace)
    return [m.shared._save, lambda: m.shared.add(str(3 + m.first.saved), m.Run("third"))]


def invariant(m):
    with open(m.shared.path) as f:
        return json.load(f)["1"] == "first"
