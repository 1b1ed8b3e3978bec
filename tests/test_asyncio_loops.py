"""CRL501: asyncio primitives used by the event loops of several threads; reported and not-reported spellings.

Each reported case names the line of the primitive's creation (the finding) and the lines of its
uses and of the loop runs that reach them (related locations); each clean case is a near miss of
a reported one (one loop, a primitive per loop, a thread lock, a primitive rebound per run, a
single background thread...).
"""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint import Config, lint_source

ONLY = Config(select=("CRL501",))


def _findings(code: str):
    source = textwrap.dedent(code).lstrip("\n").encode()
    result = lint_source(source, "case.py", ONLY)
    assert result.error is None
    assert lint_source(source, "case.py", ONLY, use_prefilter=False).findings == result.findings  # prefilter keeps them
    return result.findings


REPORTED = {
    "instance lock, sync wrapper mapped on an executor": (
        """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        class Client:
            def __init__(self):
                self._lock = asyncio.Lock()

            async def _get(self, key):
                async with self._lock:
                    return await self._load(key)

            def get_sync(self, key):
                return asyncio.run(self._get(key))

            def get_many(self, keys):
                with ThreadPoolExecutor() as pool:
                    return list(pool.map(self.get_sync, keys))
        """,
        6, [9, 13],
    ),
    "module semaphore, threads started in a comprehension, `from asyncio import Semaphore as S`": (
        """
        import asyncio
        import threading
        from asyncio import Semaphore as S

        _slots = S(3)

        async def download(url):
            async with _slots:
                return await fetch(url)

        def worker(url):
            asyncio.run(download(url))

        def crawl(urls):
            threads = [threading.Thread(target=worker, args=(u,)) for u in urls]
            for t in threads:
                t.start()
        """,
        5, [8, 12],
    ),
    "class-attribute event, two different thread entries each with a new loop": (
        """
        import asyncio
        import threading

        class Bus:
            ready = asyncio.Event()

            def start(self):
                threading.Thread(target=self._producer).start()
                threading.Thread(target=self._consumer).start()

            def _producer(self):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(self._produce())

            def _consumer(self):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(self._consume())

            async def _produce(self):
                self.ready.set()

            async def _consume(self):
                await Bus.ready.wait()
        """,
        5, [13, 17, 20, 23],
    ),
    "queue, `submit(asyncio.run, self.consume())` in a loop": (
        """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        class Pipeline:
            def __init__(self, workers):
                self.queue: asyncio.Queue = asyncio.Queue()
                self.pool = ThreadPoolExecutor(workers)
                self.workers = workers

            async def consume(self):
                while True:
                    item = await self.queue.get()
                    await handle(item)

            def run(self):
                for _ in range(self.workers):
                    self.pool.submit(asyncio.run, self.consume())
        """,
        6, [12, 17],
    ),
    "condition, `asyncio.Runner` in a thread and `asyncio.run` on the caller": (
        """
        import asyncio
        import threading

        class Board:
            def __init__(self):
                self._changed = asyncio.Condition()
                self._thread = threading.Thread(target=self._watch)
                self._thread.start()

            def _watch(self):
                with asyncio.Runner() as runner:
                    runner.run(self._wait_change())

            async def _wait_change(self):
                async with self._changed:
                    await self._changed.wait()

            def publish(self):
                asyncio.run(self._notify())

            async def _notify(self):
                async with self._changed:
                    self._changed.notify_all()
        """,
        6, [12, 15, 16, 19, 22, 23],
    ),
    "module lock, Thread subclass run() and the main program": (
        """
        import asyncio
        import threading

        _lock = asyncio.Lock()

        async def save(data):
            async with _lock:
                await write(data)

        class Saver(threading.Thread):
            def run(self):
                asyncio.run(save(b"thread"))

        def main():
            Saver().start()
            asyncio.run(save(b"main"))
        """,
        4, [7, 12, 16],
    ),
    "lambda target, coroutine bound to a local first": (
        """
        import asyncio
        import threading

        class Cache:
            def __init__(self):
                self._sem = asyncio.BoundedSemaphore(2)

            def refresh_all(self, keys):
                for key in keys:
                    threading.Thread(target=lambda: asyncio.run(self._refresh(key))).start()

            async def _refresh(self, key):
                await self._sem.acquire()
                try:
                    await reload(key)
                finally:
                    self._sem.release()
        """,
        6, [10, 13, 17],
    ),
    "to_thread of a sync wrapper whose coroutine reaches the lock through a helper": (
        """
        import asyncio

        lock = asyncio.Lock()

        async def _critical():
            async with lock:
                await step()

        async def job():
            await _critical()

        def job_sync():
            coro = job()
            return asyncio.run(coro)

        async def main():
            await asyncio.gather(asyncio.to_thread(job_sync), asyncio.to_thread(job_sync))
        """,
        3, [6, 14],
    ),
    "`asyncio.locks.Lock`, a sync helper run_in_executor'd from the main loop that uses it too": (
        """
        import asyncio
        import asyncio.locks

        class Store:
            _write_lock = asyncio.locks.Lock()

            async def save(self, row):
                async with self._write_lock:
                    await self._insert(row)

            def save_blocking(self, row):
                asyncio.run(self.save(row))

            async def import_rows(self, rows):
                loop = asyncio.get_running_loop()
                for row in rows:
                    await loop.run_in_executor(None, self.save_blocking, row)
        """,
        5, [8, 12],
    ),
    "new loop per thread running forever, task created on it; `asyncio.PriorityQueue`": (
        """
        import asyncio
        import threading

        jobs = asyncio.PriorityQueue()

        class Workers:
            def start(self, n):
                for _ in range(n):
                    threading.Thread(target=self._thread_main, daemon=True).start()

            def _thread_main(self):
                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
                loop.create_task(self._consume())
                loop.run_forever()

            async def _consume(self):
                while True:
                    _, job = await jobs.get()
                    await job()
        """,
        4, [14, 19],
    ),
}


NOT_REPORTED = {
    "one thread whose lambda target runs the only loop": """
        import asyncio
        import threading

        class Watcher:
            def __init__(self):
                self._changed = asyncio.Event()

            def start(self):
                threading.Thread(target=lambda: asyncio.run(self._watch()), daemon=True).start()

            async def _watch(self):
                await self._changed.wait()
    """,
    "a coroutine hands a lambda calling the thread's own loop runner to one thread": """
        import asyncio
        import threading

        class Service:
            def __init__(self):
                self._stop = asyncio.Event()

            def _serve(self):
                asyncio.run(self._wait())

            async def _wait(self):
                await self._stop.wait()

            async def start(self):
                threading.Thread(target=lambda: self._serve(), daemon=True).start()
                await asyncio.sleep(0)

            def start_sync(self):
                asyncio.run(self.start())
    """,
    "a module lock's name as another object's attribute and as a keyword": """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        _lock = asyncio.Lock()

        async def go(job):
            await run(job._lock, _lock=1)

        def worker(job):
            asyncio.run(go(job))

        def main(jobs):
            with ThreadPoolExecutor() as pool:
                pool.map(worker, jobs)

        async def serial():
            async with _lock:
                await step()

        asyncio.run(serial())
    """,
    "two loop runs one after the other on the caller's thread (a known problem, not reported)": """
        import asyncio

        _lock = asyncio.Lock()

        async def step():
            async with _lock:
                await work()

        def main():
            asyncio.run(step())
            asyncio.run(step())
    """,
    "one asyncio.run, module lock": """
        import asyncio

        _lock = asyncio.Lock()

        async def work():
            async with _lock:
                await step()

        async def main():
            await asyncio.gather(work(), work())

        asyncio.run(main())
    """,
    "primitive made per loop inside the coroutine": """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        async def crawl(urls):
            sem = asyncio.Semaphore(4)
            async def one(u):
                async with sem:
                    return await fetch(u)
            return await asyncio.gather(*(one(u) for u in urls))

        def crawl_sync(urls):
            return asyncio.run(crawl(urls))

        with ThreadPoolExecutor() as pool:
            pool.map(crawl_sync, [["a"], ["b"]])
    """,
    "a threading.Lock across the loops": """
        import asyncio
        import threading
        from concurrent.futures import ThreadPoolExecutor

        class Client:
            def __init__(self):
                self._lock = threading.Lock()

            async def _get(self, key):
                with self._lock:
                    return await self._load(key)

            def get_sync(self, key):
                return asyncio.run(self._get(key))

            def get_many(self, keys):
                with ThreadPoolExecutor() as pool:
                    return list(pool.map(self.get_sync, keys))
    """,
    "instance primitive rebound in each loop run": """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        class Client:
            def __init__(self):
                self._lock = asyncio.Lock()

            async def _get(self, key):
                self._lock = asyncio.Lock()
                async with self._lock:
                    return await self._load(key)

            def get_sync(self, key):
                return asyncio.run(self._get(key))

            def get_many(self, keys):
                with ThreadPoolExecutor() as pool:
                    return list(pool.map(self.get_sync, keys))
    """,
    "a single background loop thread": """
        import asyncio
        import threading

        class Service:
            def __init__(self):
                self._stop = asyncio.Event()
                self._thread = threading.Thread(target=self._serve, daemon=True)
                self._thread.start()

            def _serve(self):
                asyncio.run(self._main())

            async def _main(self):
                await self._stop.wait()
    """,
    "threads schedule onto one shared loop (run_coroutine_threadsafe)": """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        class Bridge:
            def __init__(self, loop):
                self._loop = loop
                self._lock = asyncio.Lock()

            async def _send(self, msg):
                async with self._lock:
                    await self._write(msg)

            def send(self, msg):
                return asyncio.run_coroutine_threadsafe(self._send(msg), self._loop).result()

            def send_all(self, msgs):
                with ThreadPoolExecutor() as pool:
                    list(pool.map(self.send, msgs))
    """,
    "executor threads that never touch the primitive": """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        _lock = asyncio.Lock()

        def compress(blob):
            return asyncio.run(squeeze(blob))

        async def squeeze(blob):
            return blob[:10]

        async def store(blob):
            async with _lock:
                await write(blob)

        async def main(blobs):
            loop = asyncio.get_running_loop()
            with ThreadPoolExecutor() as pool:
                small = await asyncio.gather(*(loop.run_in_executor(pool, compress, b) for b in blobs))
            for b in small:
                await store(b)
    """,
    "per-thread instances: the instance lock is not shared": """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        class Session:
            def __init__(self):
                self._lock = asyncio.Lock()

            async def go(self):
                async with self._lock:
                    await step()

        def worker(_):
            asyncio.run(Session().go())

        with ThreadPoolExecutor() as pool:
            pool.map(worker, range(4))
    """,
    "run_until_complete on one shared loop attribute": """
        import asyncio
        import threading

        class Runner:
            def __init__(self):
                self._loop = asyncio.new_event_loop()
                self._lock = asyncio.Lock()

            def start(self):
                for _ in range(2):
                    threading.Thread(target=self._drive).start()

            def _drive(self):
                self._loop.run_until_complete(self._step())

            async def _step(self):
                async with self._lock:
                    await work()
    """,
}


@pytest.mark.parametrize("case", sorted(REPORTED))
def test_reported(case):
    code, line, uses = REPORTED[case]
    findings = _findings(code)
    assert [(f.code, f.line) for f in findings] == [("CRL501", line)]
    finding = findings[0]
    assert sorted(s.start.line for s in finding.related) == uses  # the uses and the loop runs
    assert finding.fix_applicability is None and finding.no_fix_reason  # report only, and says why
    assert finding.consequence is not None and finding.consequence.kind == "cross-loop error"


@pytest.mark.parametrize("case", sorted(NOT_REPORTED))
def test_not_reported(case):
    assert _findings(NOT_REPORTED[case]) == []


def test_the_message_names_the_threads():
    code, _, _ = REPORTED["condition, `asyncio.Runner` in a thread and `asyncio.run` on the caller"]
    message = _findings(code)[0].message
    assert "`asyncio.Condition` `self._changed`" in message
    assert "thread `_watch()`" in message and "the caller's thread" in message


def test_a_suppression_on_the_creation_covers_the_uses():
    code, line, _ = REPORTED["module lock, Thread subclass run() and the main program"]
    lines = textwrap.dedent(code).lstrip("\n").splitlines()
    lines[line - 1] += "  # noqa: CRL501"
    assert _findings("\n".join(lines) + "\n") == []


# -- runtime: the racy shape really fails, deterministically; the one-loop form does not -------

import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "asyncio_loops"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"asyncio_loops_{name}", CASES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Backend:
    """Holds the first request ("A1") inside the lock until another request waits for the lock.

    The wait blocks the holder's loop on purpose: on the racy shape the other request runs on
    another thread's loop and gets to wait; on the one-loop form it cannot run meanwhile, and the
    hold times out (which is itself the sign that one loop runs everything).
    """

    def __init__(self, client_lock_of, held: threading.Event) -> None:
        self.lock_of = client_lock_of
        self.held = held
        self.inside = 0
        self.most_inside = 0
        self.count = threading.Lock()

    async def fetch(self, symbol: str) -> str:
        with self.count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            if symbol == "A1":
                self.held.set()
                deadline = time.monotonic() + 1.0
                while not getattr(self.lock_of(), "_waiters", None) and time.monotonic() < deadline:
                    time.sleep(0.005)  # blocks this loop: only another thread's loop can start waiting
            await asyncio.sleep(0)  # lets this loop's next task ("A2") try the lock
            return symbol.lower()
        finally:
            with self.count:
                self.inside -= 1


@pytest.mark.parametrize("name", ["quote_client", "quote_client_one_loop"])
def test_two_threads_with_their_own_loops_break_the_shared_lock(name):
    module = _load(name)
    held = threading.Event()
    client = None
    backend = _Backend(lambda: client._lock, held)
    client = module.QuoteClient(backend)
    results: dict[str, object] = {}

    def thread_a():
        try:
            results["a"] = client.quotes(["A1", "A2"])
        except RuntimeError as error:
            results["a"] = error

    def thread_b():
        assert held.wait(5)
        results["b"] = client.quotes(["B1"])

    a = threading.Thread(target=thread_a, daemon=True)
    b = threading.Thread(target=thread_b, daemon=True)
    a.start()
    b.start()
    a.join(10)
    b.join(1)
    if b.is_alive():
        # the racy shape's other symptom: A's release woke B's waiter from the wrong thread, and
        # B's loop sleeps on in select(); wake it so the thread ends (not asserted: timing decides)
        loop = getattr(client._lock, "_loop", None)
        if loop is not None:
            loop.call_soon_threadsafe(lambda: None)
        b.join(5)
    assert not a.is_alive() and not b.is_alive()
    client.close()
    if name == "quote_client":
        assert isinstance(results["a"], RuntimeError), results
        assert "is bound to a different event loop" in str(results["a"])
    else:
        assert results == {"a": ["a1", "a2"], "b": ["b1"]}
        assert backend.most_inside == 1  # the lock still excludes every request, from both threads
