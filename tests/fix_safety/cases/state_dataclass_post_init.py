"""A dataclass with `__post_init__` and `field(default_factory=...)`: the fix must not add a field,
so `==`, `repr` and `asdict` see what they saw."""

import threading
from dataclasses import asdict, dataclass, field


@dataclass
class Inbox:
    owner: str
    messages: list = field(default_factory=list)

    def __post_init__(self):
        self.count = len(self.messages)

    def start(self, items):
        threads = [threading.Thread(target=self.receive, args=(item,)) for item in items]
        for thread in threads:
            thread.start()
        return threads

    def receive(self, item):
        self.count += 1


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    inbox = m.Inbox("ada", ["x"])
    for thread in inbox.start(["a", "b"]):
        thread.join()
    return [m.asdict(inbox), repr(inbox), inbox.count, inbox == m.Inbox("ada", ["x"])]


def threaded(m):
    m.shared = m.Inbox("ada")
    return [lambda: m.shared.receive("a"), lambda: m.shared.receive("b")]


def invariant(m):
    return m.shared.count == 2
