"""Multi-module (CRL404): the same worker holds the shared monitor's `lock` around `record()` in another
module, but the lock is an RLock: the fix takes it in `record()` (re-entered by the holder, no deadlock) and
the unlocked call is serialised with the locked one."""

# --- module: monitor ---
import threading


class Monitor:
    def __init__(self):
        self.failures = 0
        self.lock = threading.RLock()

    def record(self, ok):
        if not ok:
            self.failures += 1


_monitor = Monitor()


def get_monitor():
    return _monitor
# --- module: workers ---
from concurrent.futures import ThreadPoolExecutor

from .monitor import get_monitor


def check(url):
    monitor = get_monitor()
    with monitor.lock:
        monitor.record(url.startswith("https"))
    monitor.record(url.endswith("/"))


def run(urls):
    with ThreadPoolExecutor(2) as pool:
        for url in urls:
            pool.submit(check, url)
    return get_monitor().failures
# --- drivers ---
FINDINGS = ("CRL404",)
FIXED_IN = ("unsafe",)  # the CRL404 fix is unsafe: under the object's own RLock, re-entered by the holder


def single_threaded(m):
    return [m.workers.run(["http://a", "https://b/", "http://c/"]), m.monitor.get_monitor().failures]


def threaded(m):
    return [lambda: m.workers.check("http://a"), lambda: m.workers.check("http://b")]


def invariant(m):
    return m.monitor.get_monitor().failures == 4
