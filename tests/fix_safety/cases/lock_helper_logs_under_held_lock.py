"""A network client's reader thread: `_log()` counts and records lines, `send()` holds the class's plain
`self.lock` and logs through `_log()`. Wrapping `_log()` in `self.lock` deadlocks `send()`."""

import threading


class Client:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = []
        self.logged = 0
        self.lines = []

    def start(self, incoming):
        thread = threading.Thread(target=self._reader, args=(incoming,))
        thread.start()
        return thread

    def _reader(self, incoming):
        for message in incoming:
            self._log("recv " + message)

    def _log(self, line):
        self.logged += 1
        self.lines.append(line)

    def send(self, message):
        with self.lock:
            self.sent.append(message)
            self._log("send " + message)


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()  # the object's lock is held around _log() by send(): no fix, and why


def single_threaded(m):
    client = m.Client()
    client.send("hello")
    client.start(["a", "b"]).join()
    return [client.logged, client.lines, client.sent]


def threaded(m):
    m.shared = m.Client()
    return [lambda: m.shared.send("x"), lambda: m.shared._reader(["y"])]
