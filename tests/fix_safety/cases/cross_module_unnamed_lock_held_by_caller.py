"""Multi-module (CRL404): as `cross_module_plain_lock_held_by_caller`, but the monitor's plain Lock is
named `gate`, a lock by what it is bound to, not by its name. A worker in another module holds it around
`record()`; the fix would take that same Lock (the object's existing one) in `record()` and the holder would
block on itself. The index must see `gate` as a lock across modules: no fix, with the reason."""

# --- module: monitor ---
import threading


class Monitor:
    def __init__(self):
        self.failures = 0
        self.gate = threading.Lock()

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
    with monitor.gate:
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
