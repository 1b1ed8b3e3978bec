"""The seed's thread-safety suite, run against the legacy tree and the migrated tree.

Every scenario holds its race window open deterministically (DESIGN.md section 4): a
call inside the window waits on a barrier until the competing threads are inside too,
or a blocker holds the database's write lock longer than the legacy code waits. Each
scenario returns whether the race was observed, and the test asserts it was observed
on the legacy tree (a legacy run that passes fails the suite) and never on the migrated
tree. The suite needs no GIL: `.ci/run` also runs it with `PYTHON_GIL=0` on python3.14t (`.ci/free-threaded`).
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from cortex_racelint.racetest import WindowHold, hold_constructor, holding_super, run_together

from .cortex_trees import LEGACY_ROOT, MIGRATED_ROOT, import_cortex, purge_cortex_modules

TREES = [pytest.param(LEGACY_ROOT, id="legacy")]
if (MIGRATED_ROOT / "cortex" / "transaction_history.py").exists():
    TREES.append(pytest.param(MIGRATED_ROOT, id="migrated"))


@pytest.fixture(params=TREES)
def tree(request, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SHELL", "/bin/bash")
    loaded = SimpleNamespace(root=request.param, racy=request.param == LEGACY_ROOT, home=home)
    loaded.load = lambda name, fresh=True: import_cortex(request.param, name, fresh=fresh)
    yield loaded
    purge_cortex_modules()


def expect(tree, raced: bool, what: str) -> None:
    if tree.racy:
        assert raced, f"the legacy tree should show the race ({what}), but it did not"
    else:
        assert not raced, f"the migrated tree still races: {what}"


# -- 1. singletons: identity from 100 threads for every lazy accessor ------------------

SINGLETONS = [
    ("transaction_history", "get_history", "TransactionHistory"),
    ("transaction_history", "get_undo_manager", "UndoManager"),
    ("hardware_detection", "get_detector", "HardwareDetector"),
    ("graceful_degradation", "get_degradation_manager", "GracefulDegradation"),
    ("config_manager", "get_config_manager", None),  # a `__new__` singleton: held at super().__new__
    ("semantic_cache", "get_semantic_cache", "SemanticCache"),
    ("context_memory", "get_context_memory", "ContextMemory"),
    ("installation_history", "get_installation_history", "InstallationHistory"),
    ("kernel_features.kv_cache_manager", "get_kv_cache_manager", "KVCacheManager"),
]


@pytest.mark.parametrize("module_name,accessor,cls_name", SINGLETONS, ids=[s[1] for s in SINGLETONS])
def test_singleton_thread_safety(tree, module_name, accessor, cls_name):
    module = tree.load(module_name)
    threads = 100
    hold = WindowHold(parties=threads, timeout=0.5)
    if cls_name is None:
        module.super = holding_super(hold)
    else:
        setattr(module, cls_name, hold_constructor(getattr(module, cls_name), hold))
    run = run_together(threads, lambda _: id(getattr(module, accessor)()))
    assert not run.errors
    instances = len(set(run.results))
    expect(tree, instances > 1, f"{accessor}() built {instances} instances")
    if not tree.racy:
        assert hold.arrivals == 1 and hold.timeouts == 1, "the lock must serialise the window"


# -- 2. SQLite: 50 readers and 20 writers under contention, no lost row, no "locked" ----

def _semantic_cache(m, db):
    cache = m.SemanticCache(db_path=db)
    cache.put("how to install nginx", "apt install nginx")
    return (lambda i: cache.put(f"install package number {i}", f"apt install p{i}"),
            lambda i: cache.get("how to install nginx"),
            lambda: cache.stats()["entries"] - 1)


def _transaction_history(m, db):
    history = m.TransactionHistory(db_path=db)
    return (lambda i: history.begin(m.TransactionType.INSTALL, [f"p{i}"]),
            lambda i: history.list_recent(5),
            lambda: history.count())


def _installation_history(m, db):
    history = m.InstallationHistory(db_path=db)
    return (lambda i: history.record_start(f"install p{i}", [f"p{i}"], [f"apt install p{i}"]),
            lambda i: history.list_records(5),
            lambda: len(history.list_records(limit=1000)))


def _context_memory(m, db):
    memory = m.ContextMemory(db_path=db)
    return (lambda i: memory.remember(f"query {i}", f"cmd {i}"),
            lambda i: memory.recall("query"),
            lambda: len(memory.recall("query", limit=1000)))


def _graceful_degradation(m, db):
    manager = m.GracefulDegradation(db_path=db)
    return (lambda i: manager.cache_response(f"query {i}", f"answer {i}"),
            lambda i: manager.cached_response("query 0"),
            lambda: manager.cached_count())


def _kv_cache_manager(m, db):
    manager = m.KVCacheManager(db_path=db)
    manager.create_pool("main", total_blocks=10_000)
    return (lambda i: manager.allocate("main", f"seq-{i}", 1),
            lambda i: manager.usage("main"),
            lambda: manager.used_blocks("main"))


SQLITE_MODULES = [
    ("semantic_cache", _semantic_cache),
    ("transaction_history", _transaction_history),
    ("installation_history", _installation_history),
    ("context_memory", _context_memory),
    ("graceful_degradation", _graceful_degradation),
    ("kernel_features.kv_cache_manager", _kv_cache_manager),
]
BLOCK_SECONDS = 6.0  # longer than sqlite3.connect's default 5 s wait, shorter than the pool's busy_timeout


def _contention(module, build, db: Path) -> tuple[int, list[BaseException]]:
    write, read, count = build(module, str(db))
    blocker = sqlite3.connect(str(db), timeout=30, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the write lock for a while
    release = threading.Timer(BLOCK_SECONDS, blocker.commit)
    release.start()
    try:
        writers = 20
        run = run_together(writers + 50, lambda i: write(i) if i < writers else read(i), join_timeout=60)
    finally:
        release.join()
        blocker.close()
    return count(), run.errors


def test_sqlite_concurrent_reads_and_writes(tree, tmp_path):
    """All six SQLite modules at once (one blocker each), so the suite waits BLOCK_SECONDS once."""
    outcomes: dict[str, tuple[int, list[BaseException]]] = {}
    modules = {name: tree.load(name, fresh=(i == 0)) for i, (name, _) in enumerate(SQLITE_MODULES)}

    def scenario(index: int) -> None:
        name, build = SQLITE_MODULES[index]
        outcomes[name] = _contention(modules[name], build, tmp_path / f"{name}.db")

    run = run_together(len(SQLITE_MODULES), scenario, join_timeout=120)
    assert not run.errors, run.errors
    for name, (rows, errors) in outcomes.items():
        locked = [e for e in errors if "locked" in str(e)]
        assert all("locked" in str(e) for e in errors), f"{name}: unexpected errors {errors[:3]}"
        expect(tree, bool(locked) or rows < 20, f"{name}: {len(locked)} 'database is locked', {rows}/20 rows")


# -- 3. hardware detection from 10 threads: one cached result, an intact cache file -----

def test_hardware_detection_parallel(tree, tmp_path):
    module = tree.load("hardware_detection")
    cache_file = tmp_path / "hw.json"
    detector = module.HardwareDetector(cache_file=cache_file, use_commands=False, cache_ttl=3600)
    first = detector.detect()
    readers = 9
    half_written = threading.Event()
    everyone = WindowHold(parties=readers + 1, timeout=3.0)
    real_json = module.json

    def slow_dump(obj, handle, **kwargs):  # the writer stops halfway through the file
        text = real_json.dumps(obj, **kwargs)
        handle.write(text[: len(text) // 2])
        handle.flush()
        half_written.set()
        everyone()
        handle.write(text[len(text) // 2 :])

    module.json = SimpleNamespace(dump=slow_dump, load=real_json.load, loads=real_json.loads, dumps=real_json.dumps)
    fresh = dict(first, detected_at=time.time())

    def work(index: int):
        if index == 0:
            detector._save_cache(fresh)
            return "written"
        half_written.wait(2)
        loaded = detector.detect()  # served from the cache file
        everyone()
        return loaded

    run = run_together(readers + 1, work)
    assert not run.errors, run.errors
    known = (first["detected_at"], fresh["detected_at"])
    torn = sum(1 for result in run.results[1:] if result["detected_at"] not in known)  # re-detected
    expect(tree, torn > 0, f"{torn} of {readers} readers found a half-written cache file and re-ran detection")
    if not tree.racy:  # legacy re-detecting readers write over each other too: only the fix promises a whole file
        final = json.loads(cache_file.read_text())  # whoever wrote last, the file is whole
        assert set(final) >= {"cpu", "memory", "gpu", "disk", "system", "detected_at"}


# -- 4. the spinner, updated from 10 threads while it draws -----------------------------

class FrameHoldingStream(io.StringIO):
    """A terminal that holds the spinner between the two writes of its first frame."""

    def __init__(self, hold: WindowHold, released: threading.Event) -> None:
        super().__init__()
        self.hold, self.released = hold, released
        self.parts: list[str] = []
        self.held = False
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.parts.append(text)
            hold_now = text.startswith("\r") and not text.startswith("\r\033") and not self.held
            self.held = self.held or hold_now
        if hold_now:
            self.hold()  # the updaters arrive while the frame is half drawn
            assert self.released.wait(10), "never released"
        return len(text)

    def frames(self) -> list[tuple[str, str]]:
        """(message, step) of every complete frame."""
        with self.lock:
            parts = list(self.parts)
        return [
            (first[3:], second[2:-1])
            for first, second in zip(parts, parts[1:])
            if first.startswith("\r") and not first.startswith("\r\033") and second.startswith(" [")
        ]


def test_progress_indicator_thread_safety(tree):
    module = tree.load("progress_indicators")
    updaters = 10
    hold = WindowHold(parties=updaters + 1, timeout=10.0)
    released = threading.Event()
    stream = FrameHoldingStream(hold, released)
    spinner = module.SimpleSpinner(stream=stream, interval=0.001)
    spinner.update("Downloading", "1/2")
    spinner.start("Downloading")

    def updater(index: int) -> None:
        hold()  # the spinner thread is inside its frame now
        spinner.update("Installing", "2/2")
        if index == 0:
            released.set()

    run = run_together(updaters, updater, join_timeout=20)
    assert not run.errors, run.errors
    deadline = time.monotonic() + 5
    while len(stream.frames()) < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    spinner.stop("done")
    frames = stream.frames()
    assert frames and hold.timeouts == 0, "update() must never wait for the frame being drawn"
    mixed = [f for f in frames if f not in (("Downloading", "1/2"), ("Installing", "2/2"))]
    expect(tree, bool(mixed), f"frames mixed from two updates: {mixed[:2]}")
    assert not spinner.running


# -- 5. parallel LLM execution: 5 batches -------------------------------------------------

class HeldTokens(int):
    """A token count whose addition holds the read-modify-write `total += tokens` open."""

    hold: WindowHold

    def __radd__(self, other: int) -> int:
        self.hold()
        return int(other) + int(self)


def test_parallel_llm_execution(tree):
    parallel = tree.load("parallel_llm")
    provider_module = tree.load("llm_provider", fresh=False)
    workers = 5
    hold = WindowHold(parties=workers, timeout=0.3)

    class CountingProvider(provider_module.OfflineProvider):
        def complete(self, messages, **kwargs):
            response = super().complete(messages, **kwargs)
            tokens = HeldTokens(response.tokens)
            tokens.hold = hold
            return provider_module.LLMResponse(response.text, tokens, response.model, response.latency)

    executor = parallel.ParallelLLMExecutor(CountingProvider(latency=0.01), max_workers=workers)
    requests = [parallel.package_request(p) for p in ("docker", "nginx", "postgresql", "redis", "git")]
    results = executor.execute(requests)
    assert [r.request_id for r in results] == ["docker", "nginx", "postgresql", "redis", "git"]
    expected_tokens = sum(int(r.tokens) for r in results)
    lost = expected_tokens - executor.stats()["total_tokens"]
    expect(tree, lost > 0, f"{lost} tokens lost by concurrent `total_tokens += tokens`")
    # five batches in parallel, each on its own executor: same answers as one at a time
    batches = [[parallel.package_request(f"{p}-{b}") for p in ("a", "b", "c")] for b in range(5)]
    plain = provider_module.OfflineProvider(latency=0.005)
    sequential = [[r.text for r in parallel.ParallelLLMExecutor(plain, 3).execute(batch)] for batch in batches]
    together = run_together(5, lambda b: [r.text for r in parallel.ParallelLLMExecutor(plain, 3).execute(batches[b])])
    assert not together.errors and together.results == sequential
