"""CRL404: a read-modify-write in a method of a process-wide shared object that thread entries run."""

from __future__ import annotations

import libcst as cst

from ...analysis.shared_objects import DERIVED, RESET, RMW, shared_object_sites
from ...fixes.shared_object_lock import grouped_fixes
from ...ftypes import Consequence, FixApplicability, Severity
from ...rule import Invalid, Rule, Valid

PROJECT_KNOWN_PROBLEMS = """
    The project index follows names, not values: an instance is shared when a module global
    holds it (`_monitor = Monitor()`, also created lazily under `global`), an accessor returns
    such a global (`get_monitor()`), or a class method returns a class-held instance
    (`cls._instance`), or a module-level container holds it and callers index it with a key
    they all share (below); a method is reached when a thread entry (a row of the thread-entry
    table, `docs/THREAD_ENTRIES.md`: a `Thread`/`Timer` target, an executor
    `submit`/`map`/`run_in_executor` callable, `asyncio.to_thread`, a done-callback, a framework's
    handler, or the project's own `thread-entries`) calls it through one of these, directly or through up to 8 calls across modules (imports
    resolved, `from . import x` and `import a.b as m` included), also through an attribute a
    method binds to the instance (`self.monitor = get_monitor()`, then `self.monitor.record()`).
    Two threads must be able to run the update at once: two different entries reach it, or one
    entry that runs several copies (a pool's tasks, a thread started in a loop); the main thread
    calling the same method is not counted.

    Objects handed over are followed too: one object a function makes (`stats = Stats()`, a
    call of a capitalised name that resolves to a project class, not in a loop) and gives to a
    thread as an argument (`Thread(target=f, args=(stats,))`, `pool.submit(f, stats)`,
    `partial(f, stats)`, `lambda: f(stats)`, then the target's parameter and the functions of the
    same module it passes it to, up to 4 hops), as a bound-method target (`pool.map(stats.add,
    items)`, `Thread(target=stats.run)`, `partial(stats.add, 1)`, `lambda: stats.add(1)`), as a
    task object whose `__call__` a pool runs (`pool.submit(task)`), or to a constructor that keeps
    it (`Worker(stats)` with `self.stats = stats` in `__init__`), reached by the threads `Worker`
    starts on its own methods (a `Thread` subclass's `run` included) and by the methods the
    making function hands to threads (`w = Worker(stats); pool.submit(w.run)`; workers made in a
    container, `[Worker(stats) for ...]` then `for w in workers: ...`, each hold the one
    `stats`); also `self.stats = Stats()` in a class that starts threads on its own methods,
    reached by those threads and by the class's public methods they do not run (its callers'
    threads, as CRL401 models the class's own attributes). A callback registered where the
    firing thread is known counts as handed to that thread: a registry of the entry table
    (`add_done_callback`, `atexit.register`, `signal.signal`), or a registry of the project (a
    method appending its parameter to `self._callbacks`, another calling `for cb in
    self._callbacks: cb(...)`) that a thread entry fires; any instance of the registry's class
    firing on a thread counts. Each thread reaching the object counts once
    (twice when it runs copies); the making function counts once when it calls the object after
    handing it over. Only with two threads is it reported: one thread given its own object, an
    object made per loop iteration or per task, and a maker that only uses the object before
    starting the thread are not races. Not followed: registries fired only by their callers
    (the callback runs on the caller's thread), objects returned, calls through `getattr`,
    inherited methods.

    Objects in module-level containers (`_STATS: dict[str, Stats] = {}` filled by `_STATS[k] =
    Stats()` or `_STATS.setdefault(k, Stats())` in that module, `defaultdict(Stats)`, `[Worker()
    for _ in range(4)]`): which key decides sharing, and the index knows names, not values. A call
    on an entry (`_STATS[KEY].record()`, `_STATS.setdefault(KEY, Stats()).record()`,
    `_STATS.get(KEY).record()`) reaches one shared object when the key is the same for every
    caller: a literal, a module constant bound once to a literal, or a tuple of these. A key
    computed per call or per thread (the thread's argument, a local, a loop variable,
    `threading.get_ident()`) is not reported, although two threads may get the same value (two
    URLs of one host): the index cannot show it. An entry taken into a local first (`s =
    _STATS[KEY]; s.record()`) is not followed.

    An update every path reaches holding one same lock (a call made under `with _lock:` or
    `with monitor.lock:`, in any module; not a lock each caller object has its own of) is
    guarded. A lock is what the rules count as one: named like a lock, or bound to a lock
    constructor (`_l = threading.Lock()`, `self._x = threading.RLock()`, `Condition`,
    `Semaphore`, `multiprocessing.Lock`, `filelock.FileLock`; not `asyncio.Lock`), in whichever
    module binds it (`with monitor.gate:`, `with locks.door:`). A `with` around a nested def or lambda
    does not hold its lock in the nested body (it runs later, as a callback). A timed
    `acquire(timeout=...)` holds a `filelock` lock (it raises on failure) where the module binds
    the name to one before the acquire. A class that starts threads on its own methods is left
    to CRL401/CRL402. Files are joined per configuration group of a run.
"""


class SharedObjectUpdate(Rule):
    CODE = "CRL404"
    NAME = "shared-object-read-modify-write"
    PROJECT = True
    FIX = FixApplicability.UNSAFE
    CONSEQUENCE = Consequence("lost update", Severity.HIGH, "two threads update the shared object and one update is lost")
    MESSAGE = "A read-modify-write on a process-wide shared object that several threads run, without a lock"
    WHAT = """
        Finds read-modify-writes (`self.failures += 1`, `self.d[k] = self.d.get(k, 0) + 1`,
        `self.total = self.total + n`) with no lock held, in methods of an object the whole
        process shares (a module global instance, a singleton accessor) when thread entries
        anywhere in the project reach those methods, or of one object a function hands to two
        threads (see Known problems for what counts as a hand-over). The class itself starts no
        thread: its callers' threads run it. Two more statements race with those updates, in any
        method but `__init__`: a reset that rebinds the attribute (`self.per_host = {}`,
        `self.failures = 0`: an update lands in the discarded dict or undoes the reset) and a
        value derived from the updated attributes (`self.degraded = self.failures > 5` in the
        updating method, or a value read from two of them: a mix of old and new counts). A reset
        or derived value is ordered, not reported, when the object is one a function of the module
        makes and hands only to threads it then joins (`for t in threads: t.join()` without a
        timeout, the end of `with ThreadPoolExecutor()`), and the method is called only after
        that, by that function. Locks count whether taken by `with` or by `acquire()` ...
        `release()` (a non-blocking or timed `acquire` only in the branch that got the lock). The
        finding carries the path from the thread entry to the update (JSON `flow`, SARIF
        `codeFlows`, the `full` format).
    """
    WHY = """
        A singleton's methods run on every thread that calls them. Two workers that both
        record a failure both read 3 and both store 4: counters drift below the truth and a
        mode computed from them (degraded after 5 failures) never switches.
    """
    FREE_THREADING = """
        Under the GIL `self.n += 1` is split only when a thread switch lands between the load
        and the store, which is rare; on free-threaded builds (3.13t, 3.14t) the workers run
        truly in parallel and lose updates constantly.
    """
    FIX_SAFETY = """
        Unsafe: it changes locking behaviour. The statement goes under the object's lock: an
        existing `Lock`/`RLock`/`Condition` of the object when no method holds it around a call
        that reaches the fixed method (a plain Lock taken twice deadlocks) nor while waiting for
        another thread, else a new lock (`self._lock` in `__init__` when the object holds
        something uncopyable, else a class attribute `_lock = threading.Lock()`; see CRL401).
        Only a cheap statement is wrapped (builtins and container methods, no call on the
        object, no I/O): the critical section can neither block nor come back for the lock.
        Consecutive statements (the update and the mode recomputed from it) share one `with`;
        a reset or a derived value goes under the same lock as the updates.
        Otherwise no fix, and the finding says why. Holders in other modules are seen through
        the project index (a call made under `with monitor.lock:` anywhere): a plain Lock some
        caller already holds around a call reaching the method is not taken again (no fix).
    """
    KNOWN_PROBLEMS = PROJECT_KNOWN_PROBLEMS
    VALID = [
        Valid(
            """
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class Stats:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.done = 0

                def record(self):
                    with self._lock:
                        self.done += 1

            _stats = Stats()

            def work(item):
                _stats.record()

            def run(items):
                with ThreadPoolExecutor() as pool:
                    list(pool.map(work, items))
            """
        ),
        Valid(
            """
            class Stats:
                def __init__(self):
                    self.done = 0

                def record(self):
                    self.done += 1

            _stats = Stats()

            def main(items):
                for item in items:
                    _stats.record()  # one thread only
            """
        ),
        Valid(
            """
            import threading

            class Tally:
                def __init__(self):
                    self.seen = 0

                def add(self, n):
                    self.seen += n

            def count(tally, n):
                tally.add(n)

            def count_one(n):
                tally = Tally()  # one object per thread: nothing shared
                threading.Thread(target=count, args=(tally, n)).start()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor

            class HealthMonitor:
                def __init__(self):
                    self.failures = 0

                def record(self, ok):
                    if not ok:
                        self.failures += 1

            _monitor = HealthMonitor()

            def get_monitor():
                return _monitor

            def check(url):
                get_monitor().record(url.startswith("https"))

            def check_all(urls):
                with ThreadPoolExecutor(4) as pool:
                    for url in urls:
                        pool.submit(check, url)
            """,
            line=9,
            expected_fix="""
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class HealthMonitor:
                _lock = threading.Lock()

                def __init__(self):
                    self.failures = 0

                def record(self, ok):
                    if not ok:
                        with self._lock:
                            self.failures += 1

            _monitor = HealthMonitor()

            def get_monitor():
                return _monitor

            def check(url):
                get_monitor().record(url.startswith("https"))

            def check_all(urls):
                with ThreadPoolExecutor(4) as pool:
                    for url in urls:
                        pool.submit(check, url)
            """,
        ),
        Invalid(
            """
            import threading


            class Tally:
                def __init__(self):
                    self.seen = 0

                def add(self, n):
                    self.seen += n


            def count(tally, n):
                tally.add(n)


            def count_all(numbers):
                tally = Tally()
                threads = [threading.Thread(target=count, args=(tally, n)) for n in numbers]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return tally.seen
            """,
            line=9,
            expected_fix="""
            import threading


            class Tally:
                _lock = threading.Lock()

                def __init__(self):
                    self.seen = 0

                def add(self, n):
                    with self._lock:
                        self.seen += n


            def count(tally, n):
                tally.add(n)


            def count_all(numbers):
                tally = Tally()
                threads = [threading.Thread(target=count, args=(tally, n)) for n in numbers]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return tally.seen
            """,
        ),
    ]

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return True  # runs only with project facts, on the files they name

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        sites = [site for site in shared_object_sites(self.context, node) if site.kind in (RMW, RESET, DERIVED)]
        for group, plan in grouped_fixes(self.context, node, sites):
            site = group[0]
            entry = site.flow[0].message if site.flow else "a thread entry"
            also = list(dict.fromkeys(f"`self.{other.attr}`" for other in group[1:] if other.attr != site.attr))
            where = f"`{node.name.value}.{site.method.name.value}()`{' (also ' + ', '.join(also) + ')' if also else ''}"
            if site.kind == RESET:
                message = (
                    f"`self.{site.attr}` is rebound without a lock in {where} while several threads update it on "
                    f"the object shared as {site.shared} (from {entry}): an update lands in the discarded value "
                    "or undoes the reset"
                )
            elif site.kind == DERIVED:
                message = (
                    f"`self.{site.attr}` is computed without a lock in {where} from values several threads update "
                    f"on the object shared as {site.shared} (from {entry}): it can mix old and new values"
                )
            else:
                message = (
                    f"`self.{site.attr}` is updated (read-modify-write) without a lock in {where}, "
                    f"which several threads run on the object shared as {site.shared} (from {entry})"
                )
            if isinstance(plan, str):
                self.report(site.node, message, no_fix_reason=plan, flow=site.flow, shared=site.object)
            else:
                self.report(site.node, message, fix=plan, flow=site.flow, shared=site.object)
            for other in group[1:]:  # the same critical section: a related location of this finding
                self.report(other.node, message, primary=site.node)
