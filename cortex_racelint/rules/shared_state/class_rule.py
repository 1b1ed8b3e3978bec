"""The base both CRL4 rules share: prefilter evidence, per-class reporting, common doc sections.

Both rules report from one per-class computation (`findings.shared_state_findings`); each
keeps only the findings with its own code.
"""

from __future__ import annotations

import libcst as cst

from ...analysis.framework_entries import FRAMEWORK_EVIDENCE, config_evidence
from ...ftypes import Config, FixApplicability
from ...rule import Rule
from .findings import shared_state_findings

_FREE_THREADING = """
    Under the GIL a thread switch happens only at a call or a backward jump, so most of
    these races need a switch at exactly the wrong call and show up rarely (a frame
    written while `update()` runs, a counter update lost while the other task was inside
    `len()`). On free-threaded builds (3.13t, 3.14t) the threads truly run in parallel:
    `self.n += 1` from several tasks loses updates constantly, fields updated together are
    read half-old and half-new, and a list swapped out while another thread appends loses
    the append. Single loads and stores of one attribute stay atomic; nothing orders them.
"""

_FIX_SAFETY = """
    Unsafe: it changes locking behaviour. The object gets one lock: an existing
    `Lock`/`RLock`/`Condition` of the object (its own `__init__`, its class body, or an
    in-module base's `__init__`; of several, the first that no method holds while waiting
    for another thread), or the lock the other side already holds, is reused. Otherwise a
    new one is added: `self._lock = threading.Lock()` at the top of `__init__` when the
    object already holds something that cannot be pickled or copied (a lock, Event, Thread,
    queue, executor, socket, file or connection) or its class body is interpreted by a
    metaclass or a base from elsewhere (`Enum`, a pydantic model); for any other object a
    class attribute `_lock = threading.Lock()` read as `self._lock`, so the object stays
    picklable and deep-copyable and its `vars()`, `__dict__`, `__getstate__`, dataclass
    fields, `==` and `repr` are unchanged. Its instances then share the lock: the critical
    sections are cheap statements that call nothing on the object, so this costs a little
    contention, never a deadlock. A request handler (a new object per request) always gets
    the class-level lock: a per-object one would exclude nothing; for the server's state
    (`self.server.total += 1`) only where no code outside the handler changes that attribute
    after construction (else no fix: the handler's lock would not exclude it). A method racing a
    logging handler's `emit()` takes `self.lock`, the handler lock `handle()` holds around it
    (no fix where the handler overrides `createLock()`: its `self.lock` may be no lock). An existing lock is not reused, and the finding gets no
    fix and says why, when some method (of the class, a base, a mixin or a subclass), or a
    module function holding `obj.<lock>` around `obj.m()`, holds it around a call that can
    reach the fixed code (directly, through helpers, `super()`, an override, a property or a
    callback attribute such as `self._on_put = self.hit`) and it is a plain `Lock` (an
    `RLock`/`Condition` is re-entered safely), or holds it while it waits for another thread
    (`join()`, `Event.wait()`, `queue.get()`, `recv()`, `Future.result()`; a Condition's own
    `wait()` releases it and is fine): the thread taking it in the fixed code could never
    let that wait end.
    Each access is wrapped as narrowly as possible: the statement holding it, with consecutive statements
    touching shared attributes in one `with` (so `samples = self.samples; self.samples =
    []` stays atomic). A loop whose condition reads shared state becomes `while True:` +
    `with lock: if not <condition>: break` + copies of the shared fields the body reads,
    and the body uses the copies, so I/O, sleeps and joins run outside the lock; only
    fields read before the body's first wait (a `wait()`, `get()`, `join()`, `recv()`, a
    sleep, or a method of the object reaching one) are copied there, since a read after the
    wait must see what the other thread wrote before ending it (a handshake would stall on
    a copy taken too early); later reads get their own critical sections, and so does a
    read inside a loop nested in the body (that inner loop may never return to the top,
    and a copy would never see `stop()`). A condition that waits itself (`while not
    stop.wait(t) and self.running:`) is split into its `and` operands, `if not <operand>:
    break` each, every operand's shared reads copied just before it runs and the body's
    copies taken after the last wait, so nothing read after the wait is older than it. A
    statement that also does I/O or calls a method of the object keeps that call outside:
    shared reads are copied into locals under the lock first, or the value to store is
    computed first; an `if`/`with` whose header is copied so gives its block the same copy
    (`if stream and not stream.closed: stream.flush()`: the test and the use read the field
    once), and so does a guard with the statements after it (`assert self.loop is not None`
    then `self.loop.call_soon_threadsafe(cb)`: one copy before the guard), up to a wait, a
    write of the field or a call of a method writing it. `stop()`-style methods get only their assignments wrapped, never
    `join()`. Where none of this is possible (an access in a lambda, a lazy generator
    expression, an `elif` test, a check-then-act spanning a blocking call, a read that
    follows a wait in the same statement or in the same operand of a loop condition, a use
    under an `if` whose test gets no fix) the finding is reported without a fix and says
    why. An existing lock is not reused where the method creates it later (`__init__`
    setting fields before its locks, reached again through `self.__init__()`), nor when
    some method holds it around a callback (a call through a local, a parameter or a
    non-method attribute: paho's `on_message` calling `disconnect()` with the lock held
    would deadlock): no fix, the reason names the lock. A method shaped like a signal
    handler, `(self, signum, frame)`, takes no lock: it interrupts the main thread
    anywhere, possibly inside that lock (gunicorn's `handle_quit`). Review: a polling loop now sees a snapshot taken
    at the top of each iteration, and code outside the class that calls these methods
    while holding the same non-reentrant lock would deadlock (the analysis sees this
    module's classes only: calls through other modules, `getattr` or callbacks passed as
    values are not followed).
"""

_KNOWN_PROBLEMS = """
    What is not reported: accesses ordered by a happens-before edge (`analysis.threads` and the
    modules it names).
    - `Thread.start()`: accesses before the start in the starting method, before a `self.` call
      that starts it, and in *set-up methods*: a method the class calls only before the start
      (cheroot's `safe_start()` runs `self.prepare()` then `self.serve()`), only from `__init__`,
      or only before an inline call of the thread's own method; a private `_init()` only
      subclasses' `__init__` in the same module call is construction. Not when the starting
      method can run again while the thread lives: a `Timer` the callback re-arms, a `start()`
      the class calls in a loop; those writes stay reported. A start made inside a local def
      orders what precedes every use of that def (a call, or the def handed to a call:
      websocket-client's `run_forever()` and its `initialize_socket()`); a local def written
      before a start is before it only when every use is a direct call before the start.
    - A lock handed over as a latch: a method leaves a `Lock` acquired and starts the thread,
      whose entry is the one method releasing it, once; what the entry runs before that
      release holds the lock (sqlitedict's connecting thread).
    - `join()` (a timed `join(timeout)` too: what follows assumes the thread ended; a thread
      still alive after it is a stuck thread, not judged here), through a local alias or a
      chained target (`self._t = t = Thread()`), over a list (`for t in threads: t.join()`),
      `ex.shutdown()`, the end of `with ThreadPoolExecutor() as ex:`, `f.result()`,
      `f.exception()`, `concurrent.futures.wait(fs)` (not with `FIRST_COMPLETED`).
    - `Event.set()`/`wait()`, `Condition.notify()`/`wait()`, `Barrier.wait()` on both sides,
      `Queue.put()`/`get()`: a change made before the publishing call and read after the
      waiting one; a change made in a loop only by a publish after the loop (inside it, the
      next round changes it after the publish), and for a Condition only a change made
      under it (`with cond:`). The object is a `self.` attribute, or a local `threading.Event`
      of one method that the thread (a def nested in it) sets and the method waits on. A thread's writes before it sets (or hands on) a readiness event every
      starter waits on right after the start (zeroconf's loop thread) are ordered with the
      whole caller side.
    - Callbacks handed to an event loop (`call_soon_threadsafe`, `call_soon`, `call_later`,
      `call_at`, `add_callback`, `add_callback_threadsafe`, `add_timeout`) run on the loop's
      thread: the thread entry that binds the loop attribute, else the owner's side; what the
      scheduling method did before the hand-off is ordered with the callback. Twisted's
      `reactor.callFromThread`, `callLater` and `callWhenRunning` run theirs on the reactor
      thread, the owner's side.
    - `self.__init__()` re-run (paho's `reinitialise()`) stays construction: re-initialising an
      object while its threads run is outside the model.
    The same thread entry started at two places into one `self.` attribute is one thread at a
    time (restarting replaces it). When the thread calls the class's public methods that the
    caller's side also calls, the class is being used from two threads as a client would;
    whether that is allowed is the class's contract, so those accesses are not judged. For a
    pool started and shut down inside one method, setters on the caller's side are assumed not
    to run meanwhile (the owner thread is inside that method); readers such as `progress()`
    still are.

    - Framework entries: a logging handler's `emit()` (and the helpers only it reaches) runs
      under `self.lock`, and `self.acquire()`/`release()` take that lock; a request handler's
      own attributes are per request; a signal or `atexit` handler is not judged against the
      main thread it interrupts, and a public method registered as one stays public API.

    Known limits: events, conditions and queues are matched by spelling, one hand-off at a
    time (a second `configure()` whose write overlaps the thread reading the first one is not
    seen); a public set-up method the user also calls while the thread runs is not seen (only
    the class's own calls are read). Threads started by other classes on this object's
    methods are not seen (except the framework entries above, within one module: a request
    handler in one module served by a threading server named only in another is not seen, and
    an instance lock of a request handler is taken for exclusion though each request has its
    own, and module globals a handler changes, `global hits; hits += 1`, are not analysed), nor
    are closure variables (`nonlocal count; count += 1` in a
    function handed to threads): only attributes of an object are analysed.
"""


class SharedStateRule(Rule):
    FIX = FixApplicability.UNSAFE
    EVIDENCE = ("Thread", "Timer", "submit", "run_in_executor", "map", "start_new", "to_thread", *FRAMEWORK_EVIDENCE)
    _ENTRY_CALLS = frozenset({"Thread", "Timer", "submit", "map", "run_in_executor", "start_new_thread", "to_thread"})
    FREE_THREADING = _FREE_THREADING
    FIX_SAFETY = _FIX_SAFETY
    KNOWN_PROBLEMS = _KNOWN_PROBLEMS

    @classmethod
    def config_evidence(cls, config: Config) -> tuple[str, ...]:
        """The project's own thread entries (`thread-entries`): a file naming one is analysed whole."""
        return config_evidence(config)

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.thread_entry

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The analysis is per class: the top-level statements holding a class that starts threads,
        the classes related to it by inheritance, the module functions holding `with obj.<lock>:`
        (the fix's lock check reads them) and the statements naming a threading server or
        `FUSE(...)` (whether a framework's entries run on threads)."""
        return (
            facts.where("thread_entry") | facts.where("thread_family") | facts.where("object_lock_holder")
            | facts.where("framework_context")
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for finding in shared_state_findings(self.context, node):
            if finding.code == self.CODE:
                self.report(
                    finding.node,
                    finding.message,
                    fix=finding.fix,
                    no_fix_reason=finding.no_fix_reason,
                    window=finding.window,
                    primary=finding.primary,
                    consequence=finding.consequence,
                )
