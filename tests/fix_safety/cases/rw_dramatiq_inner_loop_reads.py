"""dramatiq's consumer thread: `while self.running:` around an inner `for message in consumer:` that checks
`if not self.running: break` after every message (CRL401 against `stop()`). The loop rewrite copies the
body's reads of shared fields into locals at the top of each outer iteration; a copy read inside the inner
loop never changes while that loop runs, so `stop()` no longer stops it (dramatiq's worker.join() hangs
on an endless consumer). Reads inside a nested loop stay live reads."""

import threading


class ConsumerThread:
    def __init__(self, source):
        self.running = False
        self.paused = False
        self.source = source
        self.handled = []

    def start(self):
        thread = threading.Thread(target=self.run)
        thread.start()
        return thread

    def run(self):
        self.running = True
        while self.running:
            if self.paused:
                break
            for message in self.source(self):
                if message is not None:
                    self.handled.append(message)
                if not self.running:
                    break

    def stop(self):
        self.running = False


# --- drivers ---
def _source(consumer, stop_at=3, total=200):
    for n in range(total):
        if n == stop_at:
            consumer.stop()  # what another thread does while the consumer iterates
        yield n
    consumer.stop()


FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    consumer = m.ConsumerThread(_source)
    consumer.start().join()
    return consumer.handled


def threaded(m):
    m.shared = m.ConsumerThread(lambda c: _source(c, stop_at=1, total=2))  # ends by stopping: run() returns
    return [m.shared.run, m.shared.stop]
