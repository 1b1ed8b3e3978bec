"""Tests for cortex.utils.db_pool: concurrency, transaction semantics, leaks, fork."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import List

import pytest

from cortex.utils import db_pool
from cortex.utils.db_pool import PoolTimeoutError, SQLiteConnectionPool, close_all, get_connection_pool

posix_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture(autouse=True)
def _close_pools():
    yield
    close_all()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "test.db")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v TEXT)")
    conn.close()
    return path


def count_rows(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    finally:
        conn.close()


def open_fds_to(path: str) -> int:
    real = os.path.realpath(path)
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == real:
                n += 1
        except OSError:
            pass
    return n


def run_threads(targets, timeout: float = 20.0) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "thread hung (deadlock?)"


# -- concurrency ---------------------------------------------------------------


def test_50_readers_20_writers_lose_nothing_and_never_lock(db: str) -> None:
    pool = get_connection_pool(db, pool_size=5)
    writers, per_writer = 20, 25
    errors: List[BaseException] = []
    done = threading.Event()
    start = threading.Barrier(70, timeout=10)
    reads = [0]

    def writer(w: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with pool.get_connection() as conn:
                    conn.execute("INSERT INTO items (k, v) VALUES (?, ?)", (f"{w}-{i}", "x"))
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    def reader() -> None:
        try:
            start.wait()
            while not done.is_set():
                with pool.get_connection() as conn:
                    conn.execute("SELECT COUNT(*), MAX(id) FROM items").fetchone()
                reads[0] += 1
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    wthreads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    rthreads = [threading.Thread(target=reader) for _ in range(50)]
    for t in wthreads + rthreads:
        t.start()
    for t in wthreads:
        t.join(30)
    done.set()
    for t in rthreads:
        t.join(30)
    assert not any(t.is_alive() for t in wthreads + rthreads)
    assert errors == []
    assert count_rows(db) == writers * per_writer
    conn = sqlite3.connect(db)
    keys = {k for (k,) in conn.execute("SELECT k FROM items")}
    conn.close()
    assert keys == {f"{w}-{i}" for w in range(writers) for i in range(per_writer)}
    assert reads[0] > 0
    assert pool.checked_out == 0
    assert pool.open_connections <= 5


def test_registry_creation_is_race_free(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the constructor open: with the module lock only one thread constructs."""
    window = threading.Barrier(2, timeout=0.5)
    broken: List[bool] = []
    constructed: List[object] = []
    real_cls = db_pool.SQLiteConnectionPool

    class SlowPool(real_cls):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **kw):
            constructed.append(self)
            try:
                window.wait()
            except threading.BrokenBarrierError:
                broken.append(True)
            super().__init__(*a, **kw)

    monkeypatch.setattr(db_pool, "SQLiteConnectionPool", SlowPool)
    go = threading.Barrier(16, timeout=5)
    got: List[object] = []

    def caller() -> None:
        go.wait()
        got.append(get_connection_pool(db))

    run_threads([caller] * 16)
    assert len(constructed) == 1
    assert broken, "barrier should time out: only one thread may be inside the constructor"
    assert len(got) == 16 and all(p is got[0] for p in got)


# -- transaction semantics -----------------------------------------------------


def test_normal_exit_commits(db: str) -> None:
    pool = get_connection_pool(db)
    with pool.get_connection() as conn:
        conn.execute("INSERT INTO items (k) VALUES ('a')")
    assert count_rows(db) == 1  # visible to an independent connection


def test_exception_rolls_back_and_returns_connection(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=0.5)
    with pytest.raises(ValueError, match="boom"):
        with pool.get_connection() as conn:
            conn.execute("INSERT INTO items (k) VALUES ('gone')")
            raise ValueError("boom")
    assert pool.checked_out == 0
    assert count_rows(db) == 0
    with pool.get_connection() as conn2:  # would time out if the connection leaked
        assert conn2 is conn
        assert not conn2.in_transaction
        assert conn2.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


def test_per_use_state_is_reset(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1)
    with pool.get_connection() as conn:
        conn.execute("INSERT INTO items (k, v) VALUES ('a', 'b')")
        conn.row_factory = sqlite3.Row
        conn.text_factory = bytes
        conn.isolation_level = None
    with pool.get_connection() as again:
        assert again is conn  # same connection, so the reset is what we observe
        assert again.row_factory is None
        assert again.text_factory is str
        assert again.isolation_level == ""
        row = again.execute("SELECT k, v FROM items").fetchone()
        assert type(row) is tuple and row == ("a", "b")


def test_open_transaction_is_not_leaked_to_next_user(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1)
    with pytest.raises(KeyError):
        with pool.get_connection() as conn:
            conn.execute("INSERT INTO items (k) VALUES ('x')")
            assert conn.in_transaction
            raise KeyError
    with pool.get_connection() as conn:
        assert not conn.in_transaction
    assert count_rows(db) == 0


def test_closed_connection_is_discarded_and_replaced(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=0.5)
    with pool.get_connection() as conn:
        conn.execute("INSERT INTO items (k) VALUES ('kept')")
        conn.commit()
        conn.close()  # legacy code closing the connection itself
    assert pool.checked_out == 0
    assert pool.open_connections == 0
    with pool.get_connection() as fresh:
        assert fresh is not conn
        assert fresh.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1


def test_error_after_close_propagates_original_exception(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=0.5)
    with pytest.raises(RuntimeError, match="original"):
        with pool.get_connection() as conn:
            conn.close()
            raise RuntimeError("original")
    with pool.get_connection() as fresh:
        fresh.execute("SELECT 1")
    assert pool.open_connections == 1


def test_commit_failure_propagates_and_connection_is_clean(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=0.2)
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")  # nobody else may write or read-commit now
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with pool.get_connection() as conn:
                conn.execute("INSERT INTO items (k) VALUES ('z')")
    finally:
        blocker.rollback()
        blocker.close()
    assert pool.checked_out == 0
    with pool.get_connection() as conn:
        assert not conn.in_transaction
    assert count_rows(db) == 0


# -- exhaustion / nesting ------------------------------------------------------


def test_exhaustion_raises_pool_timeout_naming_path(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=0.3)
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with pool.get_connection():
            holding.set()
            release.wait(10)

    h = threading.Thread(target=holder)
    h.start()
    assert holding.wait(5)
    result: List[object] = []

    def waiter() -> None:
        t0 = time.monotonic()
        try:
            with pool.get_connection():
                result.append("got it")
        except PoolTimeoutError as e:
            result.append((e, time.monotonic() - t0))

    w = threading.Thread(target=waiter)
    w.start()
    w.join(5)
    assert not w.is_alive(), "checkout deadlocked instead of timing out"
    (err, elapsed), = result  # type: ignore[misc]
    assert isinstance(err, sqlite3.OperationalError)
    assert os.path.realpath(db) in str(err) and "pool_size=1" in str(err)
    assert 0.25 <= elapsed < 3.0
    release.set()
    h.join(5)
    with pool.get_connection() as conn:  # capacity is back
        conn.execute("SELECT 1")


def test_nested_checkout_same_thread(db: str) -> None:
    pool = get_connection_pool(db, pool_size=2, timeout=5)
    with pool.get_connection() as outer:
        with pool.get_connection() as inner:
            assert inner is not outer
        assert pool.checked_out == 1
        with pool.get_connection() as inner2:
            with pytest.raises(PoolTimeoutError, match="nested"):
                t0 = time.monotonic()
                with pool.get_connection():
                    pass
            assert time.monotonic() - t0 < 1.0  # fails fast, not after `timeout`
            assert inner2 is not outer
    assert pool.checked_out == 0


# -- leaks / identity ----------------------------------------------------------


def test_no_connection_leak_after_10000_checkouts(db: str) -> None:
    pool = get_connection_pool(db, pool_size=3)
    before = open_fds_to(db) if os.path.isdir("/proc/self/fd") else 0
    per_thread = 10_000 // 8

    def work() -> None:
        for _ in range(per_thread):
            with pool.get_connection() as conn:
                conn.execute("SELECT 1").fetchone()

    run_threads([work] * 8)
    assert pool.checked_out == 0
    assert pool.open_connections <= 3
    if os.path.isdir("/proc/self/fd"):
        assert open_fds_to(db) - before <= 3


def test_same_pool_for_relative_absolute_pathlike_and_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a = get_connection_pool("x.db")
    assert get_connection_pool(str(tmp_path / "x.db")) is a
    assert get_connection_pool(Path("x.db")) is a
    assert get_connection_pool(tmp_path / "sub" / ".." / "x.db") is a
    os.symlink(tmp_path / "x.db", tmp_path / "link.db")
    assert get_connection_pool("link.db") is a
    assert get_connection_pool("y.db") is not a


def test_wal_and_busy_timeout(db: str) -> None:
    pool = get_connection_pool(db, timeout=2.5)
    with pool.get_connection() as conn:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    assert pool.journal_mode == "wal"


def test_close_closes_idle_and_returned_connections_and_pool_reopens(db: str) -> None:
    pool = get_connection_pool(db, pool_size=2)
    with pool.get_connection() as held:
        with pool.get_connection() as idle_conn:
            pass
        assert idle_conn is not held
        pool.close()
        with pytest.raises(sqlite3.ProgrammingError):
            idle_conn.execute("SELECT 1")
        held.execute("SELECT 1")  # in use: closed only when returned
    with pytest.raises(sqlite3.ProgrammingError):
        held.execute("SELECT 1")
    assert pool.open_connections == 0 and pool.checked_out == 0
    with pool.get_connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


def test_close_all_empties_registry(db: str) -> None:
    a = get_connection_pool(db)
    close_all()
    assert get_connection_pool(db) is not a


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        SQLiteConnectionPool("x.db", pool_size=0)
    with pytest.raises(ValueError):
        SQLiteConnectionPool("x.db", timeout=-1)


# -- :memory: ------------------------------------------------------------------


def test_memory_database_is_one_shared_connection() -> None:
    pool = get_connection_pool(":memory:", pool_size=5)
    assert pool.pool_size == 1
    with pool.get_connection() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    errors: List[BaseException] = []
    seen = set()

    def add(i: int) -> None:
        try:
            with pool.get_connection() as c:
                seen.add(id(c))
                c.execute("INSERT INTO t VALUES (?)", (i,))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    run_threads([lambda i=i: add(i) for i in range(8)])
    assert errors == []
    assert seen == {id(conn)}
    with pool.get_connection() as c:
        assert c.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 8
    with pool.get_connection():
        with pytest.raises(PoolTimeoutError):
            with pool.get_connection():
                pass


# -- fork ----------------------------------------------------------------------


def _fork_and_run(child) -> int:
    """Run ``child()`` in a forked process; return its exit code (0 = success)."""
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 3
        try:
            code = 0 if child() else 1
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 15
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:  # child hung (e.g. on a lock inherited while held)
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return -9
        time.sleep(0.01)


@posix_only
def test_fork_child_uses_fresh_connections_and_never_touches_parents(db: str) -> None:
    pool = get_connection_pool(db, pool_size=2)
    with pool.get_connection() as c1:
        with pool.get_connection() as c2:
            c1.execute("INSERT INTO items (k) VALUES ('parent')")
    parent_conns = [c1, c2]

    def child() -> bool:
        with pool.get_connection() as conn:
            fresh = all(conn is not c for c in parent_conns)
            conn.execute("INSERT INTO items (k) VALUES ('child')")
        for c in parent_conns:  # the pool must neither close nor reuse these
            c.total_changes  # raises ProgrammingError if closed
        return fresh and get_connection_pool(db) is pool and pool.open_connections == 1

    assert _fork_and_run(child) == 0
    with pool.get_connection() as conn:  # parent's connections still work
        keys = sorted(k for (k,) in conn.execute("SELECT k FROM items"))
    assert keys == ["child", "parent"]
    assert c1 in pool._pool.queue and c2 in pool._pool.queue


@posix_only
def test_fork_while_another_thread_holds_pool_lock(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=2)
    with pool.get_connection() as conn:
        conn.execute("SELECT 1")
    locked, release = threading.Event(), threading.Event()

    def hog() -> None:
        with pool._lock, db_pool._lock:
            locked.set()
            release.wait(10)

    t = threading.Thread(target=hog)
    t.start()
    assert locked.wait(5)
    try:

        def child() -> bool:
            with get_connection_pool(db).get_connection() as c:
                c.execute("INSERT INTO items (k) VALUES ('from-child')")
            return True

        code = _fork_and_run(child)
    finally:
        release.set()
        t.join(5)
    assert code == 0
    assert count_rows(db) == 1


@posix_only
def test_fork_inside_checkout_orphans_inherited_connection(db: str) -> None:
    pool = get_connection_pool(db, pool_size=1, timeout=1)
    cm = pool.get_connection()
    conn = cm.__enter__()
    conn.execute("INSERT INTO items (k) VALUES ('parent-uncommitted')")

    def child() -> bool:
        cm.__exit__(None, None, None)  # leaving the inherited block must not commit/close/pool it
        still_open_txn = conn.in_transaction
        with pool.get_connection() as fresh:
            return (
                still_open_txn
                and fresh is not conn
                and fresh.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
            )

    try:
        assert _fork_and_run(child) == 0
        assert conn.in_transaction
    finally:
        cm.__exit__(None, None, None)  # parent commits its own transaction
    assert count_rows(db) == 1


# -- drop-in for the pool the Cortex team specified (shared/seed) --------------------


def test_constructor_takes_path_and_pool_size_positionally(db: str) -> None:
    pool = SQLiteConnectionPool(db, 2)
    assert pool.pool_size == 2 and pool.db_path == os.path.realpath(db)
    with pool.get_connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
    pool.close_all()


def test_context_manager_closes_every_connection(db: str) -> None:
    with SQLiteConnectionPool(db, pool_size=3) as pool:
        with pool.get_connection() as first:
            with pool.get_connection() as second:
                second.execute("INSERT INTO items (k) VALUES ('a')")
        assert pool.open_connections == 2
    assert pool.open_connections == 0
    for conn in (first, second):
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    assert count_rows(db) == 1


def test_close_all_method_closes_idle_and_returning_connections(db: str) -> None:
    pool = SQLiteConnectionPool(db, pool_size=2)
    with pool.get_connection() as busy:
        with pool.get_connection() as idle:
            pass
        pool.close_all()
        with pytest.raises(sqlite3.ProgrammingError):
            idle.execute("SELECT 1")
        busy.execute("SELECT 1")  # checked out: closed when it comes back
    with pytest.raises(sqlite3.ProgrammingError):
        busy.execute("SELECT 1")
    assert pool.open_connections == 0


def test_idle_connections_wait_in_the_queue_named_pool(db: str) -> None:
    import queue

    pool = SQLiteConnectionPool(db, pool_size=2)
    assert isinstance(pool._pool, queue.Queue) and pool._pool.qsize() == 0  # opened lazily
    with pool.get_connection() as a:
        with pool.get_connection() as b:
            assert pool._pool.qsize() == 0
    assert pool._pool.qsize() == 2 and set(pool._pool.queue) == {a, b}
    pool.close_all()
    assert pool._pool.qsize() == 0


def test_checkout_timeout_is_a_timeout_error_with_the_specified_message(db: str) -> None:
    pool = SQLiteConnectionPool(db, pool_size=1, timeout=0.2)
    taken, release = threading.Event(), threading.Event()

    def holder() -> None:
        with pool.get_connection():
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert taken.wait(5)
    try:
        with pytest.raises(TimeoutError, match="^Could not acquire database connection") as caught:
            with pool.get_connection():
                pass
        assert isinstance(caught.value, sqlite3.OperationalError)  # old handlers still catch it
    finally:
        release.set()
        thread.join(5)
    with pool.get_connection():  # a nested checkout that would wait for itself: same error type
        with pytest.raises(TimeoutError, match="^Could not acquire database connection"):
            with pool.get_connection():
                pass


def test_first_checkout_while_another_connection_writes_neither_fails_nor_waits(db: str) -> None:
    """`PRAGMA journal_mode=WAL` fails at once ("database is locked") while another connection
    writes: the checkout goes on in the current journal mode (the caller's statements honour the
    busy timeout as before the pool) and a later checkout switches to WAL."""
    writer = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO items (k) VALUES ('w')")
    pool = SQLiteConnectionPool(db, pool_size=1, timeout=5)
    try:
        t0 = time.monotonic()
        with pool.get_connection() as conn:  # a read next to a writer, as in rollback-journal mode
            assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
        assert time.monotonic() - t0 < 1.0
        assert pool.journal_mode is None
        timer = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
        timer.start()
        with pool.get_connection() as conn:  # a write waits out the writer (busy timeout)
            conn.execute("INSERT INTO items (k) VALUES ('p')")
        timer.join(5)
    finally:
        writer.close()
    with pool.get_connection() as conn:  # the idle connection switches on a later checkout
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2
    assert pool.journal_mode == "wal"
