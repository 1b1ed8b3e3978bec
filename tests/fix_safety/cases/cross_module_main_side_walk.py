"""Multi-module (CRL406, the main-thread side): `recorder.run` starts a saver thread that `json.dump`s the
process-wide `History`, then records into it itself before joining the saver; no other thread records.
The fix holds one new class lock of `History` around the item store and across the dump: the record
waits for the dump, no deadlock, same single-threaded output."""

# --- module: history ---
import json


class Stream:
    """A file the dump writes its chunks to; `chunks` lets a racing record land between two of them."""

    def __init__(self):
        self.parts = []
        self.chunks = 0

    def write(self, text):
        self.parts.append(text)
        self.chunks += 1


class History:
    def __init__(self):
        self.entries = {}
        self.saved = ""

    def record(self, key, value):
        self.entries[key] = value

    def save(self, out):
        json.dump(self.entries, out)
        self.saved = "".join(out.parts)
        return self.saved


_history = History()


def get_history():
    return _history
# --- module: recorder ---
import threading

from .history import Stream, get_history


def _saver():
    get_history().save(Stream())


def run(items):
    saver = threading.Thread(target=_saver)
    saver.start()
    for item in items:
        get_history().record(str(item), item * 2)
    saver.join()
    return sorted(get_history().entries.items())
# --- drivers ---
import json

FINDINGS = ("CRL406",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.recorder.run([1, 2, 3]), m.history.get_history().save(m.history.Stream())]


def threaded(m):
    m.H = m.history.History()
    m.H.record("a", 1)
    m.H.record("b", 2)
    m.out = m.history.Stream()
    # the record reads the chunk count first: a Python-level access the explorer can place between two
    # chunks of the dump (the encoder itself is stdlib code it does not trace)
    return [lambda: m.H.save(m.out), lambda: m.H.record("c", m.out.chunks)]


def invariant(m):
    saved = json.loads(m.H.saved)
    return set(saved) in ({"a", "b"}, {"a", "b", "c"}) and set(m.H.entries) == {"a", "b", "c"}
