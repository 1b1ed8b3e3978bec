"""CRL403 (opt-in): a one-way flag that a background thread reads late."""

from __future__ import annotations

from ...ftypes import Consequence, Severity
from ...rule import Invalid, Valid
from .class_rule import SharedStateRule


class OneWayFlagReadLate(SharedStateRule):
    CODE = "CRL403"
    NAME = "one-way-flag-read-late"
    OPT_IN = True
    CONSEQUENCE = Consequence("stale read", Severity.LOW, "a one-way flag read late costs one more loop iteration")
    MESSAGE = "A one-way flag is written on one thread and read on another without a common lock"
    WHAT = """
        The races CRL401 would report on a one-way flag: an attribute that, outside the
        constructor, is only ever set to one constant (`self.running = False`,
        `self.stopped = True`) and only read as a condition (`while self.running:`,
        `if self.stopped: break`). Off unless `select` names `CRL403` itself (a prefix such
        as `CRL4` or `ALL` does not enable it).
    """
    WHY = """
        Without a lock the loop may see the new value one iteration late; since the flag
        never goes back, the late read costs one more pass and nothing else. Reporting it
        by default buried the real races: in the precision benchmark, one-way stop flags
        were 32 of the 65 harmless CRL401 findings. A flag that is also set back (a `start()`
        that sets `running = True` again, which can overwrite an early `stop()`), or read as
        a value, stays CRL401.
    """
    FIX_SAFETY = """
        Unsafe, the same fix as CRL401: the flag's reads and writes under the object's lock.
    """
    VALID = [
        Valid(
            """
            import threading

            class Worker:
                def __init__(self):
                    self.running = True
                    threading.Thread(target=self._loop).start()

                def _loop(self):
                    while self.running:
                        pass

                def stop(self):
                    self.running = False

                def restart(self):
                    self.running = True  # set back: CRL401 reports this one
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import threading

            class Worker:
                def __init__(self):
                    self.running = True
                    threading.Thread(target=self._loop).start()

                def _loop(self):
                    while self.running:
                        pass

                def stop(self):
                    self.running = False
            """,
            line=9,
        ),
    ]
