"""`receive()` holds the plain lock across `sock.recv()`; the sender thread counts and then sends.
Taking the lock for the count would stop the sender before the bytes `recv()` waits for."""

import socket
import threading


class Link:
    def __init__(self):
        self._lock = threading.Lock()
        self.near, self.far = socket.socketpair()
        self.sent = 0
        self.received = []

    def start(self, chunks):
        thread = threading.Thread(target=self._send, args=(chunks,))
        thread.start()
        return thread

    def _send(self, chunks):
        for chunk in chunks:
            self.sent += 1
            self.far.sendall(chunk)

    def receive(self):
        with self._lock:
            data = self.near.recv(1)
            self.received.append((data, self.sent))
        return data


# --- drivers ---
FINDINGS = ("CRL402",)
FIXED_IN = ()


def single_threaded(m):
    link = m.Link()
    link.start([b"a", b"b"]).join()
    result = [link.receive(), link.receive(), link.sent]
    link.near.close()
    link.far.close()
    return result


def threaded(m):
    m.shared = m.Link()
    return [lambda: m.shared._send([b"a"]), lambda: m.shared._send([b"b"])]
