"""Multi-module (CRL406 through a hand-over): `recorder.run` makes one `History` and hands it to pool tasks
that record into it and to a saver thread that `json.dump`s it; no module-level instance. The fix is the
same as for a process-wide object: one new class lock of `History` around the item store and across the
dump (nothing in the dump calls back into the object), no deadlock, same single-threaded output."""

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
# --- module: recorder ---
import threading
from concurrent.futures import ThreadPoolExecutor

from .history import History, Stream


def _work(history, item):
    history.record(str(item), item * 2)


def _saver(history, out):
    history.save(out)


def run(items):
    history = History()
    saver = threading.Thread(target=_saver, args=(history, Stream()))
    saver.start()
    with ThreadPoolExecutor(2) as pool:
        for item in items:
            pool.submit(_work, history, item)
    saver.join()
    return history.save(Stream())
# --- drivers ---
import json

FINDINGS = ("CRL406",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.recorder.run([1, 2, 3]), m.recorder.run([])]


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
