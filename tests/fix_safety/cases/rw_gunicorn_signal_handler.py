"""gunicorn's threaded worker: the main thread polls `self.alive` in its loop and a signal handler
`handle_quit(self, sig, frame)` clears it; worker threads bump `self.nr` (CRL401/402). A plain lock taken
inside the handler deadlocks when the signal lands while the main thread holds that lock (the handler runs
on the main thread between two bytecodes). The handler gets no lock; the driver delivers the "signal" while
the main thread holds every lock the object has."""

import signal
import threading


class ThreadWorker:
    def __init__(self, max_requests=3):
        self.alive = True
        self.nr = 0
        self.max_requests = max_requests
        self.handled = []

    def init_signals(self):
        signal.signal(signal.SIGQUIT, self.handle_quit)

    def handle_quit(self, sig, frame):
        self.alive = False

    def run(self, requests):
        threads = [threading.Thread(target=self.handle, args=(r,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        while self.alive:
            self.handle("idle")

    def handle(self, request):
        self.nr += 1
        self.handled.append(request)
        if self.nr >= self.max_requests:
            self.alive = False


# --- drivers ---
import signal  # noqa: E402 (the drivers are their own module)

FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    worker = m.ThreadWorker()
    worker.run(["a"])
    locks = [v for v in vars(worker).values() if hasattr(v, "acquire") and hasattr(v, "release")]
    worker.alive = True
    for lock in locks:  # the signal lands while the main thread is inside the object's critical section
        lock.acquire()
    try:
        worker.handle_quit(signal.SIGQUIT, None)
    finally:
        for lock in reversed(locks):
            lock.release()
    return [worker.alive, worker.nr, sorted(worker.handled)]


def threaded(m):
    m.shared = m.ThreadWorker(max_requests=100)
    return [lambda: m.shared.handle("x"), lambda: m.shared.handle_quit(signal.SIGQUIT, None)]
