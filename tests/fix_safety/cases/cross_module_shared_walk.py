"""Multi-module (CRL406: CRL405 on a shared object): `recorder` records into the process-wide `History` from a pool
while a saver thread `json.dump`s it; both reach the singleton through `history.get_history()`. The fix
holds one new class lock of `History` around the item store and across the dump (nothing in the dump
calls back into the object): the store waits for the dump, no deadlock, same single-threaded output."""

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


_history = History()


def get_history():
    return _history
# --- module: recorder ---
import threading
from concurrent.futures import ThreadPoolExecutor

from .history import get_history


def _work(item):
    get_history().record(str(item), item * 2)


def _saver():
    get_history().save()


def run(items):
    saver = threading.Thread(target=_saver)
    saver.start()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(_work, items))
    saver.join()
    return get_history().save()
# --- drivers ---
import json

FINDINGS = ("CRL406",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.recorder.run([1, 2, 3]), m.history.get_history().save()]


def threaded(m):
    m.H = m.history.History()
    m.H.record("a", 1)
    return [lambda: m.H.record("b", 2), lambda: m.H.save()]


def invariant(m):
    saved = json.loads(m.H.saved)
    return saved in ({"a": 1}, {"a": 1, "b": 2}) and m.H.entries == {"a": 1, "b": 2}
