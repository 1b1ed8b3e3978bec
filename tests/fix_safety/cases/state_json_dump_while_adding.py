"""The saver thread `json.dump`s `self.entries` into a stream while `record()` adds entries:
the encoder walks the dict in Python and raises RuntimeError when it changes size meanwhile
(here between two chunks: the stream's `write` counts them, and the recorder reads the count). Fixed: the adds and the
whole dump hold the object's lock."""

import json
import threading


class Journal:
    def __init__(self):
        self.entries = {}
        self._stop = threading.Event()

    def start(self, out):
        thread = threading.Thread(target=self._save, args=(out,))
        thread.start()
        return thread

    def record(self, key, value):
        self.entries[key] = value

    def _save(self, out):
        json.dump(self.entries, out)


class Stream:
    def __init__(self):
        self.parts = []
        self.chunks = 0

    def write(self, text):
        self.parts.append(text)
        self.chunks += 1


# --- drivers ---
import json
FINDINGS = ("CRL405",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    journal = m.Journal()
    journal.record("a", 1)
    journal.record("b", 2)
    out = m.Stream()
    journal.start(out).join()
    return "".join(out.parts)


def threaded(m):
    m.shared = m.Journal()
    m.shared.record("a", 1)
    m.shared.record("b", 2)
    m.out = m.Stream()
    # the recorder reads the chunk count first: a Python-level access the scheduler can place
    # between two chunks of the dump (the encoder itself is stdlib code it does not trace)
    return [lambda: m.shared._save(m.out), lambda: m.shared.record("c", m.out.chunks)]


def invariant(m):
    return json.loads("".join(m.out.parts))["a"] == 1
