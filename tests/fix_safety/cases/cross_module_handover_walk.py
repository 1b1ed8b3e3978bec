"""Multi-module (CRL406 through a hand-over): `recorder.run` makes one `History` and hands it to pool tasks
that record into it and to a saver thread that `json.dump`s it; no module-level instance. The fix is the
same as for a process-wide object: one new class lock of `History` around the item store and across the
dump (nothing in the dump calls back into the object), no deadlock, same single-threaded output."""

# --- module: history ---
import io
import json


class History:
    def __init__(self):
        self.entries = {}
        self.saved = ""

    def record(self, key, value):
        self.entries[key] = value

    def save(self):
        buffer = io.StringIO()
        json.dump(self.entries, buffer, sort_keys=True)
        self.saved = buffer.getvalue()
        return self.saved
# --- module: recorder ---
import threading
from concurrent.futures import ThreadPoolExecutor

from .history import History


def _work(history, item):
    history.record(str(item), item * 2)


def _saver(history):
    history.save()


def run(items):
    history = History()
    saver = threading.Thread(target=_saver, args=(history,))
    saver.start()
    with ThreadPoolExecutor(2) as pool:
        for item in items:
            pool.submit(_work, history, item)
    saver.join()
    return history.save()
# --- drivers ---
import json

FINDINGS = ("CRL406",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.recorder.run([1, 2, 3]), m.recorder.run([])]


def threaded(m):
    m.H = m.history.History()
    m.H.record("a", 1)
    return [lambda: m.H.record("b", 2), lambda: m.H.save()]


def invariant(m):
    saved = json.loads(m.H.saved)
    return saved in ({"a": 1}, {"a": 1, "b": 2}) and m.H.entries == {"a": 1, "b": 2}
