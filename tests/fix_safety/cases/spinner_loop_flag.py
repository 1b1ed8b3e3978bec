"""A spinner thread polling `self.running` while another method clears it (CRL401)."""

import threading


class Spinner:
    def __init__(self):
        self.running = False
        self.frames = 0
        self._thread = None

    def start(self):
        self.running = True
        self._thread = threading.Thread(target=self._spin)
        self._thread.start()

    def _spin(self):
        while self.running and self.frames < 3:
            self.frames += 1

    def stop(self):
        self.running = False
        if self._thread is not None:
            self._thread.join()
        return self.frames


# --- drivers ---
FINDINGS = ("CRL401",)
FIXED_IN = ("unsafe",)


def single_threaded(m):
    spinner = m.Spinner()
    spinner.running = True
    spinner._spin()
    return [spinner.frames, spinner.running]


def threaded(m):
    m.shared = m.Spinner()
    m.shared.running = True
    return [m.shared._spin, lambda: setattr(m.shared, "running", False)]


def invariant(m):
    return 0 <= m.shared.frames <= 3
