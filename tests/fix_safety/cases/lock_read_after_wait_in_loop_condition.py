"""A loop `while self._tick.wait() and self.running:` reads `self.running` (and, in its body,
`self.sock`) after the wait, in the same condition: `close()` writes both and then ends the wait,
so the loop stops. A rewrite that copies the fields under the lock before the wait (the polling-loop
form applied to the whole condition) tests the copy from before `close()` and pings the closed
socket: the reads after the wait must be copied after it (websocket-client's `_send_ping()`,
`while not self.stop_ping.wait(self.ping_interval) and self.keep_running is True:`)."""

import threading


class Pinger:
    def __init__(self):
        self._tick = threading.Event()
        self.running = True
        self.sock = "open"
        self.pinged = []

    def start(self):
        thread = threading.Thread(target=self._loop)
        thread.start()
        return thread

    def _loop(self):
        while self._tick.wait() and self.running:
            self._tick.clear()
            self.pinged.append(self.sock)
            return

    def resume(self, sock):
        self.sock = sock
        self.running = True

    def close(self):
        self.running = False
        self.sock = None
        self._tick.set()


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    pinger = m.Pinger()
    pinger._tick.set()
    pinger._loop()
    first = list(pinger.pinged)
    pinger.close()
    pinger._loop()
    return [first, pinger.pinged]


def threaded(m):
    m.shared = m.Pinger()
    return [m.shared._loop, m.shared.close]


def invariant(m):
    return m.shared.pinged == []
