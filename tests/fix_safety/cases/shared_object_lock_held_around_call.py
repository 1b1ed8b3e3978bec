"""A shared monitor whose plain `_lock` a method already holds around a call of the updating
method (CRL404): taking that Lock again there would deadlock, so no fix, and the reason says so."""

import threading


class Monitor:
    def __init__(self):
        self._lock = threading.Lock()
        self.failures = 0
        self.log = []

    def record_failure(self):
        self.failures += 1

    def fail_and_log(self, message):
        with self._lock:
            self.log.append(message)
            self.record_failure()


MONITOR = Monitor()


def probe(ok):
    if not ok:
        MONITOR.record_failure()


def start(results):
    threads = [threading.Thread(target=probe, args=(ok,)) for ok in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ()  # `fail_and_log` holds the plain Lock around `record_failure()`: reported with the reason


def single_threaded(m):
    m.start([True, False, False])
    m.MONITOR.fail_and_log("down")
    return [m.MONITOR.failures, m.MONITOR.log]


def threaded(m):
    m.MONITOR = m.Monitor()
    return [lambda: m.MONITOR.fail_and_log("a"), lambda: m.MONITOR.fail_and_log("b")]


def invariant(m):
    return m.MONITOR.failures == 2
