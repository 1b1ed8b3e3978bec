"""CRL401: an attribute raced between a background thread and the class's other methods."""

from __future__ import annotations

from ...ftypes import Consequence, Severity

from ...rule import Invalid, Valid
from .class_rule import SharedStateRule


class SharedStateRace(SharedStateRule):
    CODE = "CRL401"
    NAME = "shared-state-race"
    CONSEQUENCE = Consequence("stale read", Severity.MEDIUM, "the thread acts on a value another method is changing")
    MESSAGE = "An attribute is written on one thread and read or written on another without a common lock"
    CONSEQUENCES = """
        When both sides write the attribute (the thread's loop sets a state that `stop()` or
        `disconnect()` also sets), one write is lost: lost update, high. A one-way flag read late
        is the opt-in CRL403 (low).
    """
    WHAT = """
        Finds attributes that code running on another thread reads or writes while the
        class's other methods write or read them, with no lock held in common. Thread code
        is a `threading.Thread(target=self.m)` or `Timer(..., self.m)` target, a callable
        given to `executor.submit`/`executor.map`/`loop.run_in_executor`/`asyncio.to_thread`,
        a `Thread` subclass's `run`, and what those call through `self.`. Reported at each
        racing access on the thread side and each racing write on the caller's side (and
        the caller's reads of what the thread writes), naming the other side.

        Frameworks start threads too (`analysis.framework_entries`, extended by
        `[tool.racelint] thread-entries`): the request handler of a threading server
        (`socketserver.ThreadingMixIn`, `ThreadingTCPServer`, `http.server.ThreadingHTTPServer`
        named in the module) runs each request on its own thread with a new handler object,
        so only class-level state (`type(self).n`, `Handler.n`, a class-level dict used
        through `self`) and the server's (`self.server.x`) is shared; `logging.Handler.emit`
        runs on every logging thread under the handler lock `handle()` holds (emit's own
        state needs none, other methods touching it do); the operations of a `fuse.Operations`
        subclass run concurrently unless `FUSE(ops, ..., nothreads=True)`; an executor
        future's `add_done_callback(self.m)` runs on a worker thread; so does Twisted's
        `reactor.callInThread(self.m)` (also `callInThreadWithCallback`, `deferToThread`,
        `deferToThreadPool`); `signal.signal` and
        `atexit.register` handlers interrupt the main thread, so they are judged only against
        other threads' accesses.
    """
    WHY = """
        Nothing orders plain attribute accesses between threads. Fields updated together are
        read half-old and half-new (a spinner printing the message of one `update()` with the
        step of the next), a list swapped out by a reader while the thread appends to it
        loses the append, and state read by `progress()` or `status()` is torn.
        `threading.Event`, `queue.Queue` and locks used through their methods are not
        reported, nor are attributes assigned only in `__init__`, nor single `list.append` /
        `d[k] = v` calls (free-threaded CPython makes those atomic) unless another method
        swaps the container or iterates it, nor an `append`/`add` against a `pop()`/`remove()`
        that an emptiness or membership test of the same container guards (a lock-free send
        queue drained under a lock): growing it cannot make that test wrong.
    """
    VALID = [
        Valid(
            """
            import threading

            class Spinner:
                def __init__(self, stream):
                    self._stream = stream
                    self._lock = threading.Lock()
                    self._running = False
                    self._message = ""

                def start(self, message):
                    self._running = True  # before the thread starts
                    self._message = message
                    threading.Thread(target=self._animate, daemon=True).start()

                def _animate(self):
                    while True:
                        with self._lock:
                            if not self._running:
                                break
                            message = self._message
                        self._stream.write(message)

                def update(self, message):
                    with self._lock:
                        self._message = message

                def stop(self):
                    with self._lock:
                        self._running = False
            """
        ),
        Valid(
            """
            import queue
            import threading

            class Poller:
                def __init__(self, poll):
                    self._poll = poll  # assigned only in __init__
                    self._stop = threading.Event()
                    self._results = queue.Queue()
                    self._seen = []
                    self._thread = threading.Thread(target=self._loop, daemon=True)

                def _loop(self):
                    while not self._stop.is_set():
                        result = self._poll()
                        self._results.put(result)
                        self._seen.append(result)  # one append: atomic
                        self._stop.wait(1.0)

                def stop(self):
                    self._stop.set()
                    self._thread.join()
                    return len(self._seen)
            """
        ),
        Valid(
            """
            import threading

            class Job:
                def __init__(self):
                    self.result = None

                def run(self):
                    worker = threading.Thread(target=self._work)
                    worker.start()
                    worker.join()
                    return self.result  # read after join()

                def _work(self):
                    self.result = 42
            """
        ),
        Valid(
            """
            import logging

            class Recent(logging.Handler):
                def __init__(self):
                    super().__init__()
                    self.lines = []

                def emit(self, record):  # handle() holds self.lock around it
                    self.lines.append(self.format(record))
                    self.lines = self.lines[-100:]

                def drain(self):
                    with self.lock:
                        lines, self.lines = self.lines, []
                    return lines
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import sys
            import threading
            import time

            class Spinner:
                def __init__(self):
                    self._running = False
                    self._message = ""
                    self._thread = None

                def start(self, message):
                    self._running = True
                    self._message = message
                    self._thread = threading.Thread(target=self._animate, daemon=True)
                    self._thread.start()

                def _animate(self):
                    while self._running:
                        sys.stdout.write(f"\\r{self._message}")
                        time.sleep(0.1)

                def update(self, message):
                    self._message = message

                def stop(self):
                    self._running = False
                    self._thread.join()
            """,
            line=18,
            expected_fix="""
            import sys
            import threading
            import time

            class Spinner:
                def __init__(self):
                    self._lock = threading.Lock()
                    self._running = False
                    self._message = ""
                    self._thread = None

                def start(self, message):
                    self._running = True
                    self._message = message
                    self._thread = threading.Thread(target=self._animate, daemon=True)
                    self._thread.start()

                def _animate(self):
                    while True:
                        with self._lock:
                            if not self._running:
                                break
                            message = self._message
                        sys.stdout.write(f"\\r{message}")
                        time.sleep(0.1)

                def update(self, message):
                    with self._lock:
                        self._message = message

                def stop(self):
                    with self._lock:
                        self._running = False
                    self._thread.join()
            """,
        ),
        Invalid(
            """
            import threading
            import time

            class Monitor:
                def __init__(self, check):
                    self._check = check
                    self.samples = []
                    self._stop = threading.Event()
                    threading.Thread(target=self._run, daemon=True).start()

                def _run(self):
                    while not self._stop.is_set():
                        self.samples.append((time.time(), self._check()))
                        self._stop.wait(1.0)

                def drain(self):
                    samples = self.samples
                    self.samples = []
                    return samples
            """,
            line=13,
            expected_fix="""
            import threading
            import time

            class Monitor:
                def __init__(self, check):
                    self._lock = threading.Lock()
                    self._check = check
                    self.samples = []
                    self._stop = threading.Event()
                    threading.Thread(target=self._run, daemon=True).start()

                def _run(self):
                    while not self._stop.is_set():
                        sample = (time.time(), self._check())
                        with self._lock:
                            self.samples.append(sample)
                        self._stop.wait(1.0)

                def drain(self):
                    with self._lock:
                        samples = self.samples
                        self.samples = []
                    return samples
            """,
        ),
        Invalid(
            """
            import threading

            class Reporter:
                def __init__(self):
                    self.status = "idle"
                    threading.Thread(target=self._work).start()

                def _work(self):
                    print(self.status, lambda: self.status)

                def set_status(self, status):
                    self.status = status
            """,
            line=9,
        ),
    ]

