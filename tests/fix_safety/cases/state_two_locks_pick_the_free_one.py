"""The object has two plain locks: `_io_lock`, held by `receive()` across `recv()`, and
`_stats_lock`. The worker's counter must reuse `_stats_lock`: reusing the first one would stop the
sender before the bytes `recv()` waits for."""

import socket
import threading


class Link:
    def __init__(self):
        self._io_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.near, self.far = socket.socketpair()
        self.sent = 0

    def start(self, chunks):
        thread = threading.Thread(target=self._send, args=(chunks,))
        thread.start()
        return thread

    def _send(self, chunks):
        for chunk in chunks:
            self.sent += 1
            self.far.sendall(chunk)

    def receive(self):
        with self._io_lock:
            return self.near.recv(1)

    def stats(self):
        return self.sent


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    link = m.Link()
    link.start([b"a", b"b"]).join()
    result = [link.receive(), link.receive(), link.stats()]
    link.near.close()
    link.far.close()
    return result


class _Sink:
    def sendall(self, chunk):
        pass


def threaded(m):
    m.shared = m.Link()
    m.shared.near.close()
    m.shared.far.close()
    m.shared.far = _Sink()  # the explorer cannot schedule socket I/O
    return [lambda: m.shared._send([b"a"]), lambda: m.shared._send([b"b"])]


def invariant(m):
    return m.shared.sent == 2
