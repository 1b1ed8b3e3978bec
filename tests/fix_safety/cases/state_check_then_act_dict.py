"""`if key not in self.groups: self.groups[key] = []` then append, in pool tasks: the check-then-act
must be one critical section or a task's list is replaced and its item lost."""

from concurrent.futures import ThreadPoolExecutor
import threading


class Grouper:
    def __init__(self):
        self.groups = {}
        self._stop = threading.Event()

    def run(self, words):
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(self._one, words))
        return sorted((k, sorted(v)) for k, v in self.groups.items())

    def _one(self, word):
        key = word[0]
        if key not in self.groups:
            self.groups[key] = []
        self.groups[key].append(word)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    return [m.Grouper().run(["apple", "avocado", "banana"])]


def threaded(m):
    m.shared = m.Grouper()
    return [lambda: m.shared._one("apple"), lambda: m.shared._one("avocado")]


def invariant(m):
    return sorted(m.shared.groups.get("a", [])) == ["apple", "avocado"]
