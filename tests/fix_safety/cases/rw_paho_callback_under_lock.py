"""paho-mqtt's Client holds a plain `self._in_callback_mutex` while it runs the user's callbacks on the
network thread, and reads `self._state` under it there. `disconnect()` writes `self._state` unlocked
(CRL401). Reusing `self._in_callback_mutex` around that write deadlocks the common `on_message` that calls
`client.disconnect()`: the callback runs with the mutex held, on the same thread. No fix: say why."""

import threading


class Client:
    def __init__(self):
        self._in_callback_mutex = threading.Lock()
        self._state = "connected"
        self.on_message = None
        self.log = []

    def disconnect(self):
        self._state = "disconnecting"

    def loop_start(self):
        thread = threading.Thread(target=self._handle_message, args=("hello",))
        thread.start()
        return thread

    def _handle_message(self, payload):
        on_message = self.on_message
        with self._in_callback_mutex:
            if self._state == "connected" and on_message is not None:
                on_message(self, payload)
            self.log.append((payload, self._state))


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ()


def single_threaded(m):
    client = m.Client()
    client.on_message = lambda c, payload: c.disconnect()
    client.loop_start().join()
    client._handle_message("again")
    return client.log


def threaded(m):
    m.shared = m.Client()
    return [m.shared.disconnect, lambda: m.shared._handle_message("x")]
