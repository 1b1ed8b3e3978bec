"""CRL405: a container attribute iterated on one thread while another thread changes its size."""

from __future__ import annotations

from ...ftypes import Consequence, Severity
from ...rule import Invalid, Valid
from .class_rule import SharedStateRule


class ContainerIteratedWhileChanged(SharedStateRule):
    CODE = "CRL405"
    NAME = "container-iterated-while-changed"
    CONSEQUENCE = Consequence("crash", Severity.HIGH, "a dict or set changed during iteration raises RuntimeError")
    MESSAGE = "A container attribute is iterated on one thread while another thread changes its size"
    CONSEQUENCES = """
        A dict, set or deque (built so in `__init__`, or used through a method only it has:
        `.add`, `.items()`, `.setdefault`, `.appendleft`) that changes size while it is walked
        raises `RuntimeError` (crash, high), on every build. A list (`[]`, `.append`) that
        loses or gains an element before the walk's position (`.remove`, `.pop`, `.insert`,
        `del`, `.clear`, `.sort`) is read torn: an element is skipped or seen twice (torn
        snapshot, medium). A container of unknown type counts as the worse case.
    """
    WHAT = """
        Finds a container attribute of an object (`self.data`, `self.items`, `self.seen`)
        that one thread walks step by step while another thread adds or removes entries,
        with no lock held in common. Walking is the iterable of a `for` or a comprehension
        (`self.d`, `self.d.items()`/`keys()`/`values()`, also inside `enumerate`, `zip`,
        `reversed`, `iter`, `filter`, `map`) and handing it to a serialiser or copier that
        walks it in Python: `json.dump` (its file form encodes in chunks), `json.dumps` with
        `indent=`, `default=` or `cls=`, `pickle.dump`, `copy.deepcopy`, `yaml.dump`. A
        change is a size-changing call or item store (`.append`, `.pop`, `.add`, `.update`,
        `.clear`, `self.d[k] = v`, `del self.d[k]`) or a check-then-act on it.

        Which code runs on which thread is CRL401's model (thread and timer targets,
        executor tasks, framework entries, hand-overs through events and queues, `join()`),
        so the same accesses are ordered or not; this rule takes the pairs of that model
        where one side walks the container and the other changes its size. A change that
        also races a rebinding of the attribute (`self.items = []`) stays CRL401's, and so
        does a plain loop over a list the other side only appends to (`append`, `extend`):
        the walk sees the new items or stops before them, never skips one, so it is not a
        crash or a torn snapshot (a `json.dump` of such a list is not reported at all).
        A walk in a forked child (the `pid == 0` branch of `os.fork()`, a method registered
        with `register_after_fork` or `os.register_at_fork(after_in_child=...)`) races no
        thread: the child has only the forking one.
    """
    KNOWN_PROBLEMS = SharedStateRule.KNOWN_PROBLEMS + """
    For this rule in particular: a class's own threads are CRL401's model. The same race on a
    process-wide object (a module global instance, a singleton accessor, an entry of a module
    container indexed with a constant key) whose methods the project's thread entries reach is
    CRL406's (a project rule: it needs the project index).
    When the walking method is public and the thread calls it too (`_autosave()` calling
    `self.save()`), CRL401's model leaves the pair alone (the class is used from two threads
    as a client would). Two walks are reported without a fix (the lock would have to cover a walk
    the fix does not rewrite): through a local bound once to the attribute (`items = self.items`,
    then `for x in items:` or `json.dump(items, f)` in the same method), and of a container of
    another object the class keeps (`for k in self.state.data:` against `self.state.data[k] = v`;
    taken to be one object while `self.state` is not rebound; a property returning a fresh
    container each time would be a false finding). `racelint confirm`
    reproduces a finding by swapping the container for an equal one whose walks wait once their
    iterator is taken (family `walk`); the changing side is told by its line (an item store, a
    mutator call).
"""
    WHY = """
        A dict or set iterator checks the size on every step and raises
        `RuntimeError: dictionary changed size during iteration` (or `Set changed size`)
        when another thread added or removed an entry since the last one; a list iterator
        goes on by index, so an insertion or removal before the current position skips an
        element or yields one twice. The classic shape: a worker appends to `self.history`
        and a saver thread `json.dump`s it; a lock CRL301 put around the file write does
        not help, since the append does not take it.

        One C call that copies the container (`list(self.a)`, `dict(self.d)`,
        `sorted(self.d)`, `self.d.copy()`, `{**self.d}`, a plain `json.dumps(self.d)`) is
        not reported: CPython runs it without a thread switch under the GIL and under the
        object's own lock on free-threaded builds; it is the snapshot the fix takes. Nor is
        a `json.dump(self.d, f, sort_keys=True)` of a dict: the encoder starts each dict
        with `sorted(d.items())`, such a copy (a list is still encoded item by item).
    """
    FREE_THREADING = """
        Under the GIL the walk must be interrupted between two steps: a `for` body that
        calls anything, `json.dump` writing a chunk to its file, `deepcopy` copying a value.
        That happens often in a saver that writes a file (measured by the race test of this
        rule: the barrier-held window raises every time). On free-threaded builds the
        threads run in parallel and a walk that takes a few microseconds overlaps every
        change made meanwhile.
    """
    FIX_SAFETY = """
        Unsafe, CRL401's fix and lock (see there how the lock is chosen and when an existing
        one is not reused): each change goes under the object's lock, and the walk too. A
        `for` loop iterates a copy taken under the lock (`with lock: items = list(self.items)`,
        then `for x in items:`), so its body runs unlocked and sees the container as it was
        when the loop began (a change made meanwhile is seen by the next walk). Any other
        walk (`json.dump`, `pickle.dump`, `deepcopy`, a comprehension next to I/O) holds the
        lock across its statement, or across the `with open(...)` block around it, so the
        lock CRL301 puts around the file write is the same lock in the same place (the
        object's lock, reused when it exists: one critical section, never one lock nested in
        itself). Changes wait while the file is written. No fix, with the reason, when the
        walk reaches a method or property of the object (a `default=self._encode`: it might
        take the lock again), waits for another thread, or is next to an `await`/`yield`.
    """
    VALID = [
        Valid(
            """
            import json
            import threading

            class History:
                def __init__(self, path):
                    self.path = path
                    self.entries = []
                    self._lock = threading.Lock()
                    self._stop = threading.Event()
                    threading.Thread(target=self._saver, daemon=True).start()

                def record(self, entry):
                    with self._lock:
                        self.entries.append(entry)

                def _saver(self):
                    while not self._stop.wait(5):
                        with self._lock:
                            with open(self.path, "w") as f:
                                json.dump(self.entries, f)
            """
        ),
        Valid(
            """
            import threading

            class Totals:
                def __init__(self):
                    self.counts = {}
                    threading.Thread(target=self._report, daemon=True).start()

                def add(self, key):
                    self.counts[key] = 1

                def _report(self):
                    print(sorted(self.counts))  # one C call: a snapshot
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json
            import threading

            class History:
                def __init__(self, path):
                    self.path = path
                    self.totals = {}
                    self._stop = threading.Event()
                    threading.Thread(target=self._saver, daemon=True).start()

                def record(self, name, value):
                    self.totals[name] = value

                def _saver(self):
                    while not self._stop.wait(5):
                        text = json.dumps(self.totals, indent=2)
                        print(text)
            """,
            line=12,
            expected_fix="""
            import json
            import threading

            class History:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path
                    self.totals = {}
                    self._stop = threading.Event()
                    threading.Thread(target=self._saver, daemon=True).start()

                def record(self, name, value):
                    with self._lock:
                        self.totals[name] = value

                def _saver(self):
                    while not self._stop.wait(5):
                        with self._lock:
                            text = json.dumps(self.totals, indent=2)
                        print(text)
            """,
        ),
        Invalid(
            """
            import threading

            class Worker:
                def __init__(self, jobs):
                    self.pending = list(jobs)
                    threading.Thread(target=self._run, daemon=True).start()

                def _run(self):
                    for job in list(self.pending):
                        job()
                        self.pending.remove(job)

                def report(self):
                    for job in self.pending:
                        print("waiting:", job)
            """,
            line=11,
            expected_fix="""
            import threading

            class Worker:
                _lock = threading.Lock()

                def __init__(self, jobs):
                    self.pending = list(jobs)
                    threading.Thread(target=self._run, daemon=True).start()

                def _run(self):
                    for job in list(self.pending):
                        job()
                        with self._lock:
                            self.pending.remove(job)

                def report(self):
                    with self._lock:
                        pending = list(self.pending)
                    for job in pending:
                        print("waiting:", job)
            """,
        ),
        Invalid(
            """
            import json
            import threading

            class Cache:
                def __init__(self):
                    self.entries = {}
                    threading.Thread(target=self._dump, daemon=True).start()

                def put(self, key, value):
                    self.entries[key] = value

                def _dump(self):
                    print(json.dumps(self.entries, default=self._encode))

                def _encode(self, value):
                    return repr(value)
            """,
            line=10,
        ),
    ]
