"""CRL402: a read-modify-write on a background thread, without a lock, that loses updates."""

from __future__ import annotations

from ...ftypes import Consequence, Severity

from ...rule import Invalid, Valid
from .class_rule import SharedStateRule


class SharedStateReadModifyWrite(SharedStateRule):
    CODE = "CRL402"
    NAME = "thread-side-read-modify-write"
    CONSEQUENCE = Consequence("lost update", Severity.HIGH, "two read-modify-writes interleave and one update is lost")
    MESSAGE = "A read-modify-write on a background thread without a lock loses updates"
    WHAT = """
        Finds read-modify-writes of attributes in thread code (see CRL401) with no lock held:
        `self.n += 1`, `self.items = self.items + [x]`, `self.d[k] = self.d.get(k, 0) + 1`,
        `self.d[k] += 1`, and check-then-act such as `if k not in self.d: self.d[k] = v`,
        when another thread can touch the attribute meanwhile: other executor tasks running
        the same code, or the caller's side. Framework threads count (see CRL401): concurrent
        requests updating a handler's class-level counter (`type(self).served += 1`) or the
        server's (`self.server.total += 1`), FUSE operations, executor done-callbacks.
        Also `self.count += 1` where `count` is a property
        whose getter and setter each take a lock: each call is atomic, the update between them
        is not (two threads both get 5 and both set 6). Only such a read-modify-write through the
        property is reported (not its plain reads or sets), and it is fixed by holding the
        accessors' own lock around the statement only when that lock is an `RLock` or a
        `Condition`; with a plain `Lock` the accessors would take it a second time, so there is
        no fix and the finding says why.
    """
    WHY = """
        A read-modify-write is three steps: read, compute, store. Two tasks that both read 5
        both store 6: one update is lost, and counters, totals and per-key tallies drift
        below the truth with no error anywhere.
    """
    VALID = [
        Valid(
            """
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class Counter:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.count = 0

                def run(self, items):
                    with ThreadPoolExecutor() as pool:
                        list(pool.map(self._work, items))
                    return self.count

                def _work(self, item):
                    with self._lock:
                        self.count += 1
            """
        ),
        Valid(
            """
            import threading

            class Ticker:
                def __init__(self):
                    self.ticks = 0
                    threading.Thread(target=self._tick, daemon=True).start()

                def _tick(self):
                    self.ticks += 1  # only this one thread ever touches it
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor

            class Downloads:
                def __init__(self, fetch):
                    self._fetch = fetch
                    self.done = 0
                    self.per_host = {}

                def run(self, urls):
                    with ThreadPoolExecutor() as pool:
                        for url in urls:
                            pool.submit(self._one, url)

                def _one(self, url):
                    self._fetch(url)
                    self.done += 1
                    host = url.split("/")[2]
                    self.per_host[host] = self.per_host.get(host, 0) + 1

                def progress(self):
                    return self.done
            """,
            line=16,
            expected_fix="""
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class Downloads:
                _lock = threading.Lock()

                def __init__(self, fetch):
                    self._fetch = fetch
                    self.done = 0
                    self.per_host = {}

                def run(self, urls):
                    with ThreadPoolExecutor() as pool:
                        for url in urls:
                            pool.submit(self._one, url)

                def _one(self, url):
                    self._fetch(url)
                    with self._lock:
                        self.done += 1
                    host = url.split("/")[2]
                    with self._lock:
                        self.per_host[host] = self.per_host.get(host, 0) + 1

                def progress(self):
                    with self._lock:
                        return self.done
            """,
        ),
        Invalid(
            """
            import threading

            class Meter:
                def __init__(self):
                    self._guard = threading.RLock()
                    self._total = 0

                @property
                def total(self):
                    with self._guard:
                        return self._total

                @total.setter
                def total(self, value):
                    with self._guard:
                        self._total = value

                def start(self, chunks):
                    for chunk in chunks:
                        threading.Thread(target=self._add, args=(chunk,)).start()

                def _add(self, chunk):
                    self.total += len(chunk)
            """,
            line=23,
            expected_fix="""
            import threading

            class Meter:
                def __init__(self):
                    self._guard = threading.RLock()
                    self._total = 0

                @property
                def total(self):
                    with self._guard:
                        return self._total

                @total.setter
                def total(self, value):
                    with self._guard:
                        self._total = value

                def start(self, chunks):
                    for chunk in chunks:
                        threading.Thread(target=self._add, args=(chunk,)).start()

                def _add(self, chunk):
                    total_delta = len(chunk)
                    with self._guard:
                        self.total += total_delta
            """,
        ),
        Invalid(
            """
            import threading

            class Collector:
                def __init__(self):
                    self.items = []

                def start(self, source):
                    threading.Thread(target=self._collect, args=(source,)).start()

                def _collect(self, source):
                    for item in source:
                        self.items = self.items + [item]

                def clear(self):
                    self.items = []
            """,
            line=12,
        ),
        Invalid(
            """
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

            class Status(BaseHTTPRequestHandler):
                served = 0

                def do_GET(self):
                    type(self).served += 1  # every request has its own handler, not its own class
                    self.send_response(200)
                    self.end_headers()

            server = ThreadingHTTPServer(("127.0.0.1", 8000), Status)
            """,
            line=7,
            expected_fix="""
            import threading
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

            class Status(BaseHTTPRequestHandler):
                _lock = threading.Lock()
                served = 0

                def do_GET(self):
                    with self._lock:
                        type(self).served += 1  # every request has its own handler, not its own class
                    self.send_response(200)
                    self.end_headers()

            server = ThreadingHTTPServer(("127.0.0.1", 8000), Status)
            """,
        ),
    ]
