"""Multi-module (CRL404): a worker in another module holds the shared monitor's plain `lock` around
`record()`, and also calls `record()` without it. Still a race, but the fix must not take that plain Lock in
`record()`: the holder would block on itself. No fix, with the reason; `test_multi_module.py` shows the
naive fix deadlocks under DPOR."""

# --- module: monitor ---
import threading


class Monitor:
    def __init__(self):
        self.failures = 0
        self.lock = threading.Lock()

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
FIXED_IN = ()  # the plain Lock a caller in `workers` holds around `record()`: reported with the reason


def single_threaded(m):
    return [m.workers.run(["http://a", "https://b/", "http://c/"]), m.monitor.get_monitor().failures]


def threaded(m):
    return [lambda: m.workers.check("http://a"), lambda: m.workers.check("http://b")]


def invariant(m):
    return m.monitor.get_monitor().failures == 4
