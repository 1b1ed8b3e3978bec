"""CRL501: an asyncio Lock/Semaphore/Event/Condition/Queue created once and used by event loops on several threads."""

from __future__ import annotations

import libcst as cst

from ...analysis.asyncio_loops import CALLER, PRIMITIVES, CrossLoopUse, cross_loop_uses
from ...ftypes import Consequence, Severity
from ...rule import Invalid, Rule, Valid

_ENTRY_NAMES = frozenset({"Timer", "submit", "map", "run_in_executor", "start_new_thread", "start_new", "to_thread"})

NO_FIX = (
    "the right change depends on what the primitive protects: run every coroutine on one loop "
    "(`asyncio.run_coroutine_threadsafe`), or make the primitive per loop (inside the coroutine) and, "
    "if the threads must exclude each other too, add a `threading.Lock` taken without blocking the loop"
)


class AsyncioPrimitiveAcrossLoops(Rule):
    CODE = "CRL501"
    NAME = "asyncio-primitive-across-loops"
    FIX = None
    EVIDENCE = ("asyncio",)
    MESSAGE = "`{factory}` `{name}` is created once and used by the event loops of several threads ({threads})"
    CONSEQUENCE = Consequence(
        "cross-loop error",
        Severity.HIGH,
        "it binds to the first loop that waits on it: a wait from another thread's loop raises "
        "`RuntimeError: ... is bound to a different event loop`, a waiter woken from another thread may "
        "never wake, and between threads it excludes nothing",
    )
    WHAT = """
        Finds an asyncio primitive created once and used by the event loops of several threads.

        The primitive is an `asyncio.Lock`, `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`,
        `Barrier` or `Queue` made at module level, in a class body, or as `self.x` in `__init__` (and
        bound nowhere else). It is used by a coroutine of a loop run — `asyncio.run(coro)`,
        `loop.run_until_complete(coro)` or `loop.create_task(coro)` on a loop from
        `asyncio.new_event_loop()`, `runner.run(coro)` of `asyncio.Runner`, or `asyncio.run` handed
        to a thread or executor itself — in code that an executor task or a thread started in a loop
        runs (several at once), or by loop runs reached from two different threads (two thread
        entries, or one and the caller's thread).

        Ordinary asyncio code, where every coroutine runs on one `asyncio.run`, is not reported, nor
        is a primitive made inside the coroutine or rebound per run. An instance attribute counts only
        through threads that run the object's own methods (`Thread(target=self.worker)`), which share it.
    """
    WHY = """
        An asyncio primitive is not a thread lock: it belongs to one event loop. Since Python 3.10 it
        binds to the first loop that has to wait on it, and a wait from any other loop raises
        `RuntimeError: <asyncio.locks.Lock ...> is bound to a different event loop`. Before that
        happens, a release on one thread wakes a waiter of another thread's loop through a call that
        is not thread-safe (the waiting loop may sleep on), and two threads that do not contend pass
        through the lock together: it gives no mutual exclusion between threads at all.
    """
    FREE_THREADING = """
        Shows on every build: the error comes from the loop check, not from an interleaving the GIL
        could hide. Without the GIL the unprotected state of the primitive itself (its waiter deque,
        its counter) is also mutated from several threads at once.
    """
    FIX_SAFETY = """
        No automatic fix (report only): """ + NO_FIX + """. A `threading.Lock` around each loop run
        alone is not enough: the loops then run one after the other, and the primitive, once bound
        to the first, still fails in the next.
    """
    KNOWN_PROBLEMS = """
        Only the module is read: a primitive passed to another module's threads, or a loop run in a
        caller elsewhere, is not seen. Loop runs one after the other on one thread (two `asyncio.run`
        calls in sequence) can also fail once the primitive is bound; they are not reported. A
        background thread whose loop receives coroutines through `run_coroutine_threadsafe` runs one
        loop and is not reported, and neither is a public coroutine method awaited by an unknown loop.
    """
    VALID = [
        Valid(
            """
            import asyncio
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class PriceClient:
                def __init__(self):
                    self._lock = asyncio.Lock()
                    self._pool = ThreadPoolExecutor(4)
                    self._loop = asyncio.new_event_loop()  # one loop runs every coroutine
                    threading.Thread(target=self._loop.run_forever, daemon=True).start()

                async def _fetch(self, symbol):
                    async with self._lock:
                        return await self._download(symbol)

                def fetch_sync(self, symbol):
                    return asyncio.run_coroutine_threadsafe(self._fetch(symbol), self._loop).result()

                def fetch_many(self, symbols):
                    return list(self._pool.map(self.fetch_sync, symbols))
            """
        ),
        Valid(
            """
            import asyncio

            _lock = asyncio.Lock()

            async def update(state):
                async with _lock:
                    state["n"] += 1

            async def main():
                state = {"n": 0}
                await asyncio.gather(*(update(state) for _ in range(10)))

            if __name__ == "__main__":
                asyncio.run(main())
            """
        ),
        Valid(
            """
            import asyncio
            from concurrent.futures import ThreadPoolExecutor

            async def crawl(urls):
                sem = asyncio.Semaphore(4)  # one per loop: made inside the coroutine
                async def one(url):
                    async with sem:
                        return await fetch(url)
                return await asyncio.gather(*(one(u) for u in urls))

            def crawl_sync(urls):
                return asyncio.run(crawl(urls))

            def crawl_all(batches):
                with ThreadPoolExecutor() as pool:
                    return list(pool.map(crawl_sync, batches))
            """
        ),
        Valid(
            """
            import asyncio
            import threading

            class Service:
                def __init__(self):
                    self._lock = asyncio.Lock()
                    self._thread = threading.Thread(target=self._serve, daemon=True)

                def start(self):
                    self._thread.start()  # one background loop, the only one using the lock

                def _serve(self):
                    asyncio.run(self._main())

                async def _main(self):
                    async with self._lock:
                        await self._tick()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import asyncio
            from concurrent.futures import ThreadPoolExecutor

            class PriceClient:
                def __init__(self):
                    self._lock = asyncio.Lock()
                    self._pool = ThreadPoolExecutor(4)

                async def _fetch(self, symbol):
                    async with self._lock:
                        return await self._download(symbol)

                def fetch_sync(self, symbol):
                    return asyncio.run(self._fetch(symbol))

                def fetch_many(self, symbols):
                    return list(self._pool.map(self.fetch_sync, symbols))
            """,
            line=6,
        ),
        Invalid(
            """
            import asyncio
            import threading

            _ready = asyncio.Event()

            async def consume():
                await _ready.wait()

            def worker():
                loop = asyncio.new_event_loop()
                loop.run_until_complete(consume())

            for _ in range(4):
                threading.Thread(target=worker).start()
            """,
            line=4,
        ),
    ]

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        names = facts.called_names
        # a primitive made, and a thread started (`asyncio.run` may only be handed to it, never called)
        return bool(names & PRIMITIVES) and (
            facts.thread_entry or bool(names & _ENTRY_NAMES) or any(n.endswith("Thread") for n in names)
        )

    def visit_Module(self, node: cst.Module) -> None:
        for found in cross_loop_uses(self.context):
            self._report(found)

    def _report(self, found: CrossLoopUse) -> None:
        primitive = found.primitive
        if found.multi is not None:
            threads = f"{found.multi}, several at once"
        else:
            threads = ", ".join("the caller's thread" if t == CALLER else t for t in found.threads)
        message = self.MESSAGE.format(factory=primitive.factory, name=primitive.spelling, threads=threads)
        self.report(primitive.creation, message, no_fix_reason=NO_FIX)
        # related locations: where it is used, then where each thread's loop is started (the path to follow)
        for site in (*found.uses, *(run.call for run in found.runs)):
            self.report(site, message, no_fix_reason=NO_FIX, primary=primitive.creation)
