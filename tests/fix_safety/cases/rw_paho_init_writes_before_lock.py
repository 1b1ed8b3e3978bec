"""paho-mqtt's Client: `__init__` sets fields before it creates its locks, and `reinitialise()` calls
`self.__init__()` again while the network thread may run, so the writes in `__init__` race with the
thread's reads (CRL401). The thread reads them under an existing `self._state_mutex`; holding that lock
around the writes in `__init__` raises AttributeError on every construction (the lock does not exist yet):
no fix for those writes, the others reuse the lock."""

import threading


class Client:
    def __init__(self, userdata=None):
        self._userdata = userdata
        self._state = "new"
        self._state_mutex = threading.Lock()
        self._thread = None

    def reinitialise(self, userdata=None):
        self.__init__(userdata)

    def connect(self):
        self._state = "connected"

    def loop_start(self):
        self._thread = threading.Thread(target=self._thread_main)
        self._thread.start()
        return self._thread

    def _thread_main(self):
        with self._state_mutex:
            seen = (self._state, self._userdata)
        return seen


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    client = m.Client("u")
    client.connect()
    client.loop_start().join()
    client.reinitialise("v")
    return [client._state, client._userdata]


def threaded(m):
    m.shared = m.Client("u")
    return [m.shared.connect, m.shared._thread_main]
