"""CRL406: a container of a process-wide shared object walked on one thread while another changes its size."""

from __future__ import annotations

import libcst as cst

from ...ftypes import Consequence, FixApplicability, Severity
from ...rule import Invalid, Rule, Valid
from .iteration_race import shared_walk_reports
from .shared_object_update import PROJECT_KNOWN_PROBLEMS


class SharedObjectContainerIterated(Rule):
    CODE = "CRL406"
    NAME = "shared-object-container-iterated-while-changed"
    PROJECT = True
    FIX = FixApplicability.UNSAFE
    CONSEQUENCE = Consequence(
        "crash", Severity.HIGH, "the walk raises `RuntimeError: dictionary changed size during iteration`"
    )
    CONSEQUENCES = """
        A dict, set or deque: a crash (`RuntimeError: ... changed size during iteration`), high.
        A list: a torn snapshot (an element skipped or seen twice), medium.
    """
    MESSAGE = "A container of a process-wide shared object is walked while another thread changes its size"
    WHAT = """
        Finds a walk of a container attribute (`for k in self.data`, `json.dump(self.data, f)`,
        a comprehension over `self.items`; the walks of CRL405) in a method of an object the whole
        process shares (a module global instance, a singleton accessor, a module-level container
        indexed with a constant key, or one object made once and handed to threads as an
        argument, a bound-method target or a registered callback: CRL404's reach and
        hand-overs), when thread entries anywhere in the project
        reach that method and, on another thread, a method that changes the container's size
        (`self.data[k] = v`, `append`, `pop`, `del`), with no lock held in common. CRL405 is the
        same race on threads the class starts itself. The finding carries the path from the thread
        entry to the walk (JSON `flow`, SARIF `codeFlows`, the `full` format).
    """
    WHY = """
        A process-wide history that workers `record()` into while a saver thread `json.dump`s it
        crashes the saver with `RuntimeError: dictionary changed size during iteration` the first
        time a record lands mid-dump, and the file is left half written. CRL301's fix locks the
        file write only; the change of the dict is not under that lock.
    """
    FREE_THREADING = """
        Under the GIL the walk already runs Python between its steps (the encoder, the loop
        body), so the race fires with the GIL too; free-threaded builds only make it more frequent.
    """
    FIX_SAFETY = """
        Unsafe: it changes locking behaviour. The one statement changing the size goes under the
        object's lock (as CRL404's update does, with the same checks), and the walk's statement
        (or the `with open(...)` around a dump) is held under the same lock (CRL405's checks: no
        call back into the object, no wait for another thread, no `await`/`yield` inside). No fix,
        with the reason, when the walk is a `for` loop (the body's work would run under the lock)
        or several statements change the size.
    """
    KNOWN_PROBLEMS = PROJECT_KNOWN_PROBLEMS + """
    For this rule in particular: the function starting a thread entry (or module code) is a side
    for what it calls after the start and before it waits (a `.join()`, `.shutdown()` or
    `.wait()` call on anything, the exit of a `with ...Executor(...)` block); code of the main
    thread that did not start an entry is not. For a handed-over object, the function that made
    it counts as a side when it calls the object after handing it over, even after a `join()` (as
    for CRL404's hand-overs); a handed-over object whose class takes a lock of its own anywhere is
    not followed for walks (the index cannot tell whether a caller holds it around the walk). A list built outside `__init__` and only appended to counts as
    unknown (it could be a deque) and is reported.
"""
    VALID = [
        Valid(
            """
            import json
            import threading

            class History:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.entries = {}

                def record(self, key, value):
                    with self._lock:
                        self.entries[key] = value

                def save(self, path):
                    with self._lock:
                        with open(path, "w") as f:
                            json.dump(self.entries, f)

            _history = History()

            def work(item):
                _history.record(item, item)

            def saver():
                _history.save("h.json")

            threading.Thread(target=saver).start()
            threading.Thread(target=work, args=(1,)).start()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json
            import threading

            class History:
                def __init__(self):
                    self.entries = {}

                def record(self, key, value):
                    self.entries[key] = value

                def save(self, path):
                    with open(path, "w") as f:
                        json.dump(self.entries, f)

            _history = History()

            def work(item):
                _history.record(item, item)

            def saver():
                _history.save("h.json")

            threading.Thread(target=saver).start()
            threading.Thread(target=work, args=(1,)).start()
            """,
            line=13,
        ),
    ]

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return True  # runs only with project facts, on the files they name

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        shared_walk_reports(self, node)
