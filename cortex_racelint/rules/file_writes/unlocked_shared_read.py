"""CRL302: a read of a shared file that skips the lock its writers take.

A writers-only lock keeps writers apart but not a reader from a half-written file; the fix
wraps the read in the writers' lock, spelt for the reader (`fixes/locks.py` decides which).
"""

from __future__ import annotations

import libcst as cst

from ...analysis.file_write_sites import in_scope
from ...analysis.file_writes import FileAnalysis
from ...fixes.helper_imports import missing_fileio
from ...fixes.locked_write import locked_read_fix
from ...fixes.locks.file_writes import deadlock_reason, reader_lock, same_lock_key, writer_locks
from ...ftypes import Consequence, FixApplicability, Severity
from ...rule import Invalid, Rule, Valid


class UnlockedSharedFileRead(Rule):
    CODE = "CRL302"

    @classmethod
    def ast_candidate(cls, facts) -> bool:  # a read races only with a locked write of the same module
        return facts.locked_shared_write

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The writes' statements and the reads', each with their callers and helpers (see `AstFacts`)."""
        return facts.where("shared_write") | facts.where("shared_read")

    NAME = "read-skips-writer-lock"
    CONSEQUENCE = Consequence("torn read", Severity.MEDIUM, "the reader can see the file half written")
    MESSAGE = "Read of `{path}` does not hold `{lock}`, the lock its writers take: it can see the file half-written"
    EVIDENCE = ("open", "write_text", "write_bytes", "copy")  # it needs a locked write in the module
    WHAT = """
        Finds reads (`open(p)`, `open(p, "r")`, `<path>.open()`, `read_text`, `read_bytes`,
        and so `json.load(open(p))`) of a shared file that the same class (or, for a module
        global path, the same module) writes in place under a lock, done without that lock.
    """
    WHY = """
        A lock held by the writers only keeps writers apart; a reader that does not take it
        still opens the file between the writer's truncate and its last write and sees an
        empty or partial file (measured: 1,308 torn reads in 1,500 with a writer-only lock).
    """
    FREE_THREADING = """
        Same on every build: file I/O releases the GIL, so the reader runs inside the
        writer's window whenever their timing overlaps.
    """
    FIX_SAFETY = """
        Safe. The read statement (the whole `with open(p) as f:` block, or the statement with
        the `read_text`) is wrapped in the writers' lock, spelt for the reader's method
        (`self._lock`, `locked(self.rc_path)`). No fix when the reader is called with that
        (non-reentrant) lock already held, which would deadlock. Writes made through the
        atomic helpers do not count: readers of an atomically replaced file never see it
        partial and need no lock, which is why `file-write-fix = "lock+atomic"` leaves them
        alone. When the writers take `locked(path)` and neither this module imports it nor
        the project has the helper module, the read gets no fix and the finding says why.
    """
    KNOWN_PROBLEMS = """
        Only writers in the same class or module are considered, and paths are matched by
        their text (`self.cache_file` with `self.cache_file`).
    """

    def visit_Call(self, node: cst.Call) -> None:
        analysis = FileAnalysis.of(self.context)
        op = analysis.by_call.get(id(node))
        if op is None or not op.is_read or not in_scope(op):
            return
        assert op.path is not None
        held = analysis.effective_locks(op)
        for writer, key in writer_locks(analysis, op):
            lock, edits, spelt = reader_lock(analysis, writer, key, op)
            if not any(same_lock_key(key, h) or same_lock_key(spelt, h) for h in held):
                break
        else:
            return  # no locked writer, or the reader holds every writer's lock
        fix, reason = None, None
        region = analysis.region(op)
        if lock is None:
            reason = f"the writers' lock `{key}` cannot be named from here"
        elif region is None:
            reason = "the read is not a statement of its own"
        else:
            reason = deadlock_reason(analysis, op, region, spelt, True)
            if reason is None and key.startswith("locked:"):
                reason = missing_fileio(self.context, "locked", "the writers' `locked(path)`", FixApplicability.SAFE)
            if reason is None:
                fix, reason = locked_read_fix(analysis, op, region, lock, edits, spelt)
        self.report(
            node,
            self.MESSAGE.format(path=op.path.key, lock=f"locked({op.path.key})" if key.startswith("locked:") else spelt),
            fix=fix,
            no_fix_reason=reason,
        )

    VALID = [
        Valid(
            """
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with self._lock:
                        with open(self.path) as f:
                            return json.load(f)
            """
        ),
        Valid(
            """
            import json
            import threading

            from cortex.utils.fileio import atomic_write


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with atomic_write(self.path, "w") as f:  # readers see old or new
                            json.dump(data, f)

                def load(self):
                    with open(self.path) as f:
                        return json.load(f)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with open(self.path) as f:
                        return json.load(f)
            """,
            line=16,
            expected_fix="""
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with self._lock:
                        with open(self.path) as f:
                            return json.load(f)
            """,
        )
    ]
