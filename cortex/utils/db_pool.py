"""SQLite connection pooling that threads (and forked children) can share safely.

Why: Cortex opened ``sqlite3.connect(path)`` per call or kept one connection per
object.  Per-call connects pay setup cost and, without WAL, fight each other
with "database is locked"; a connection shared between threads without a lock
corrupts transactions.  racelint's CRL2xx fix rewrites such code to::

    with get_connection_pool(path).get_connection() as conn:
        ...

Semantics callers can rely on:

* One pool per *resolved* database path (``os.path.realpath``; ``str`` or
  ``os.PathLike``).  The first call fixes ``pool_size``/``timeout``; later
  calls with other values get the existing pool.
* ``get_connection()`` behaves like ``with sqlite3.connect(...) as conn``:
  commit on normal exit, roll back and re-raise on exception.  Afterwards the
  connection is reset (open transaction rolled back, ``row_factory=None``,
  ``text_factory=str``, default ``isolation_level``) and is *always* returned
  to the pool.  A connection that is broken (e.g. closed by the caller) is
  discarded and its slot freed, so a replacement is opened on demand.
  Not reset: PRAGMAs the caller set, temp tables, registered functions.
* Connections are opened lazily up to ``pool_size`` with
  ``check_same_thread=False``; ``PRAGMA busy_timeout`` is set on each, and
  ``PRAGMA journal_mode=WAL`` once per database file per process, so readers
  and one writer proceed together.  Switching to WAL needs the database to
  itself, and SQLite answers "database is locked" at once (without the busy
  handler) while another connection writes.  The checkout then neither fails
  nor waits: the connection is used in the file's current journal mode, where
  the caller's own statements wait out the busy timeout as they did before the
  pool, and a later checkout switches (WAL is a speed-up, never a reason to
  fail or stall a checkout; a wait here could be for the caller's own write).
* Waiting checkouts are served first-come first-served (a returned connection
  is handed straight to the longest waiter), so busy threads cannot starve
  others.  A checkout waiting longer than ``timeout`` seconds raises
  :class:`PoolTimeoutError`, whose message starts with "Could not acquire
  database connection".  It is a ``TimeoutError`` (what the Cortex pool
  specification asks for) and a ``sqlite3.OperationalError``, so existing
  ``except sqlite3.OperationalError`` handlers, written for "database is
  locked", keep catching pool saturation.
* Drop-in for the specified pool: ``SQLiteConnectionPool(db_path, pool_size)``;
  ``with SQLiteConnectionPool(...) as pool:`` closes every connection on exit
  (``close_all()``); idle connections wait in the ``queue.Queue`` ``_pool``.
* Nested checkout by the same thread gets a *second* connection (no deadlock
  while ``pool_size`` allows).  If the thread already holds every connection
  of the pool, waiting could only wait for itself, so the checkout raises
  :class:`PoolTimeoutError` immediately instead of after ``timeout``.  Note
  that nested connections are separate: the inner one does not see the outer
  one's uncommitted writes, and writing from both can block on SQLite's write
  lock until ``busy_timeout``.
* ``:memory:`` (and ``""``): every such connection would be a separate, empty
  database, so these paths map to a single shared connection guarded by the
  pool lock, i.e. ``pool_size`` is forced to 1.  Threads take turns; a nested
  checkout raises immediately as above.  If that connection breaks or the pool
  is closed, the in-memory data is gone.
* Fork safety: a pool remembers ``os.getpid()``.  In a child process
  (``os.register_at_fork`` hook, plus a pid check on every checkout) it drops
  the inherited connections *without using or closing them* (closing could
  checkpoint or delete the parent's WAL; they are parked in a module list so
  garbage collection never closes them either) and opens fresh ones.  Locks
  are recreated, since another parent thread may have held them at fork time.
  A ``:memory:`` pool in the child starts with a fresh, empty database.
* ``pool.close()`` closes idle connections now and checked-out ones when they
  come back; the pool stays usable and reopens lazily (so objects that hold a
  pool survive ``close_all()`` in test teardown).  ``close_all()`` closes every
  registered pool and empties the registry.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
import weakref
from collections import deque
from types import TracebackType
from typing import ContextManager, Deque, Dict, List, Optional, Type, Union

__all__ = [
    "PoolTimeoutError",
    "SQLiteConnectionPool",
    "close_all",
    "get_connection_pool",
]

PathArg = Union[str, "os.PathLike[str]"]

_MEMORY_PATHS = (":memory:", "")
_LEGACY_TC = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)  # 3.12+

# Registry of pools keyed by resolved path; _lock guards creation.
_lock = threading.Lock()
_pools: Dict[str, "SQLiteConnectionPool"] = {}
# Every pool ever made (also unregistered ones) so a forked child can reset them.
_all_pools: "weakref.WeakSet[SQLiteConnectionPool]" = weakref.WeakSet()
# Connections inherited across fork: kept referenced forever so they are never
# closed (or finalised by GC) in the child.
_fork_orphans: List[sqlite3.Connection] = []
# Database files already switched to WAL in this process (journal mode is persistent).
_wal_files: Dict[str, Optional[str]] = {}  # path -> journal mode reported


class PoolTimeoutError(sqlite3.OperationalError, TimeoutError):
    """No connection became free in time (or a nested checkout would self-deadlock).

    A ``TimeoutError``, as the specified pool raises, and a
    ``sqlite3.OperationalError`` so handlers for "database is locked" also see
    pool saturation.  The message starts with "Could not acquire database connection".
    """


class _Token:
    """One checkout: the connection plus the pool generation/pid it came from."""

    __slots__ = ("conn", "generation", "pid", "thread")

    def __init__(self, conn: sqlite3.Connection, generation: int, pid: int, thread: int) -> None:
        self.conn = conn
        self.generation = generation
        self.pid = pid
        self.thread = thread


class _Waiter:
    """A thread queued for a connection; ``lock`` is released when it is granted one."""

    __slots__ = ("conn", "generation", "granted", "lock", "thread")

    def __init__(self, thread: int) -> None:
        self.thread = thread
        self.conn: Optional[sqlite3.Connection] = None
        self.generation = 0
        self.granted = False
        self.lock = threading.Lock()
        self.lock.acquire()


class _Checkout:
    """Context manager returned by ``get_connection()``; single use."""

    __slots__ = ("_pool", "_token")

    def __init__(self, pool: "SQLiteConnectionPool") -> None:
        self._pool = pool
        self._token: Optional[_Token] = None

    def __enter__(self) -> sqlite3.Connection:
        if self._token is not None:
            raise RuntimeError("get_connection() context manager is not reentrant; call it again")
        self._token = self._pool._acquire()
        return self._token.conn

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        token = self._token
        self._token = None
        if token is None:
            return
        if token.pid != os.getpid():
            # Forked while checked out: the connection belongs to the parent.
            self._pool._release(token, broken=True)
            return
        conn = token.conn
        broken = False
        try:
            if exc_type is None:
                try:
                    conn.commit()
                except sqlite3.ProgrammingError:
                    if not _is_closed(conn):
                        raise
                    broken = True  # caller closed it (legacy `conn.close()`): nothing to commit
                except BaseException:
                    _quiet_rollback(conn)
                    raise
            else:
                try:
                    conn.rollback()
                except Exception:  # never mask the caller's exception
                    broken = True
        finally:
            if not broken:
                broken = not _reset(conn)
            self._pool._release(token, broken=broken)


class SQLiteConnectionPool:
    """A bounded, lazily filled pool of connections to one SQLite database."""

    def __init__(self, db_path: PathArg, pool_size: int = 5, timeout: float = 10.0) -> None:
        raw = os.fsdecode(os.fspath(db_path))
        if pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {pool_size}")
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout}")
        self.memory = raw in _MEMORY_PATHS
        self.db_path = raw if self.memory else os.path.realpath(raw)
        self.pool_size = 1 if self.memory else int(pool_size)
        self.timeout = float(timeout)
        self.journal_mode: Optional[str] = _wal_files.get(self.db_path)
        self._wal_done = self.memory or self.db_path in _wal_files
        self._init_state()
        _all_pools.add(self)

    def _init_state(self) -> None:
        """(Re)create locks and bookkeeping; used at init and in a forked child."""
        self._lock = threading.Lock()
        self._init_lock = threading.Lock()
        # idle connections (the specified pool's queue); only touched under self._lock
        self._pool: "queue.Queue[sqlite3.Connection]" = queue.Queue(maxsize=self.pool_size)
        self._waiters: Deque[_Waiter] = deque()  # FIFO: returned connections are handed over
        self._created = 0  # open connections: idle + checked out + being opened
        self._checked_out = 0
        self._held: Dict[int, int] = {}  # thread ident -> checkouts it holds
        self._generation = getattr(self, "_generation", 0) + 1
        self._pid = os.getpid()

    # -- public ---------------------------------------------------------------
    def get_connection(self) -> ContextManager[sqlite3.Connection]:
        """Check a connection out: ``with pool.get_connection() as conn: ...``."""
        return _Checkout(self)

    @property
    def checked_out(self) -> int:
        """Connections currently handed out."""
        with self._lock:
            return self._checked_out

    @property
    def open_connections(self) -> int:
        """Connections this pool currently keeps open (idle + checked out)."""
        with self._lock:
            return self._created

    def close(self) -> None:
        """Close idle connections now, in-use ones on return; the pool stays usable."""
        self._check_fork()
        with self._lock:
            idle = self._take_idle_locked()
            self._created -= len(idle)
            self._generation += 1
        for conn in idle:
            _quiet_close(conn)

    def close_all(self) -> None:
        """Close every connection of this pool (the specified pool's name for ``close()``)."""
        self.close()

    def __enter__(self) -> "SQLiteConnectionPool":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close_all()

    def _take_idle_locked(self) -> List[sqlite3.Connection]:
        idle: List[sqlite3.Connection] = []
        while True:
            try:
                idle.append(self._pool.get_nowait())
            except queue.Empty:
                return idle

    def __repr__(self) -> str:
        return f"<SQLiteConnectionPool {self.db_path!r} pool_size={self.pool_size}>"

    # -- internals ------------------------------------------------------------
    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            with _lock:  # the at-fork hook replaced this lock in the child
                if self._pid != os.getpid():
                    self._reset_after_fork()

    def _reset_after_fork(self) -> None:
        """Drop the parent's connections untouched and start afresh."""
        _fork_orphans.extend(list(self._pool.queue))
        self._init_state()

    def _timeout_error(self, nested: bool) -> PoolTimeoutError:
        if nested:
            return PoolTimeoutError(
                f"Could not acquire database connection: this thread already holds all {self.pool_size} connection(s) of the pool for "
                f"{self.db_path!r} (pool_size={self.pool_size}); a nested checkout would wait "
                f"for itself"
            )
        return PoolTimeoutError(
            f"Could not acquire database connection to {self.db_path!r} within {self.timeout:g}s: "
            f"all connections in use (pool_size={self.pool_size})"
        )

    def _acquire(self) -> _Token:
        self._check_fork()
        me = threading.get_ident()
        deadline = time.monotonic() + self.timeout
        conn: Optional[sqlite3.Connection] = None
        waiter: Optional[_Waiter] = None
        with self._lock:
            idle = self._pool.qsize() > 0
            if idle:
                conn = self._pool.get_nowait()
                self._mark_out(me)
            elif self._created < self.pool_size:
                self._created += 1  # reserve the slot; open outside the lock
                self._mark_out(me)
            elif self._held.get(me, 0) >= self.pool_size:
                raise self._timeout_error(nested=True)
            else:
                waiter = _Waiter(me)
                self._waiters.append(waiter)
            generation, pid = self._generation, self._pid
        if waiter is not None:
            # Wait for a hand-over; FIFO so a busy pool cannot starve anyone.
            if not waiter.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                with self._lock:
                    if not waiter.granted:
                        self._waiters.remove(waiter)
                        raise self._timeout_error(nested=False)
            conn, generation = waiter.conn, waiter.generation
        if conn is None:
            try:
                conn = self._connect()
            except BaseException:
                with self._lock:
                    if generation == self._generation:
                        self._mark_in(me)
                        self._drop_slot_locked()
                raise
        elif not self._wal_done:
            try:
                with self._init_lock:
                    if not self._wal_done:
                        self._switch_to_wal(conn)
            except sqlite3.Error:
                pass  # a pooled connection that cannot switch still works as it did
        return _Token(conn, generation, pid, me)

    def _release(self, token: _Token, broken: bool) -> None:
        conn = token.conn
        if token.pid != os.getpid():
            _fork_orphans.append(conn)  # the parent's: never use or close it here
            return
        close = broken
        with self._lock:
            if token.generation == self._generation:
                self._mark_in(token.thread)
                if broken:
                    self._drop_slot_locked()
                elif self._waiters:
                    self._grant_locked(self._waiters.popleft(), conn)
                else:
                    try:
                        self._pool.put_nowait(conn)
                    except queue.Full:  # someone put connections of their own into `_pool`
                        self._drop_slot_locked()
                        close = True
            elif token.pid == self._pid:
                # pool.close() ran while this was checked out: close it now.
                self._mark_in(token.thread)
                self._drop_slot_locked()
                close = True
        if close:
            _quiet_close(conn)

    def _mark_out(self, thread: int) -> None:
        self._checked_out += 1
        self._held[thread] = self._held.get(thread, 0) + 1

    def _mark_in(self, thread: int) -> None:
        self._checked_out -= 1
        n = self._held.get(thread, 0) - 1
        if n > 0:
            self._held[thread] = n
        else:
            self._held.pop(thread, None)

    def _grant_locked(self, waiter: _Waiter, conn: Optional[sqlite3.Connection]) -> None:
        """Hand ``conn`` (or, if None, the right to open one) to a waiting thread."""
        waiter.conn = conn
        waiter.generation = self._generation
        waiter.granted = True
        self._mark_out(waiter.thread)
        waiter.lock.release()

    def _drop_slot_locked(self) -> None:
        """A connection went away: let the next waiter open a replacement."""
        self._created -= 1
        if self._waiters and self._created < self.pool_size:
            self._created += 1
            self._grant_locked(self._waiters.popleft(), None)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=self.timeout, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if not self._wal_done:
                with self._init_lock:
                    if not self._wal_done:
                        self._switch_to_wal(conn)
        except BaseException:
            _quiet_close(conn)
            raise
        return conn


    def _switch_to_wal(self, conn: sqlite3.Connection) -> None:
        """``PRAGMA journal_mode=WAL`` once; while another connection holds a lock, later.

        SQLite answers "database is locked" at once here, without the busy handler:
        the connection is used as the file is, and the next checkout tries again.
        """
        try:
            row = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                return  # keep the current journal mode; _wal_done stays False
            raise
        self.journal_mode = str(row[0]) if row else None
        self._wal_done = True
        _wal_files[self.db_path] = self.journal_mode


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _is_closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.total_changes
    except sqlite3.ProgrammingError:
        return True
    return False


def _quiet_rollback(conn: sqlite3.Connection) -> None:
    try:
        conn.rollback()
    except Exception:
        pass


def _quiet_close(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    except Exception:
        pass


def _reset(conn: sqlite3.Connection) -> bool:
    """Return the connection to a clean per-use state; False if it is unusable."""
    try:
        if conn.in_transaction:
            conn.rollback()
        conn.row_factory = None
        conn.text_factory = str
        if _LEGACY_TC is not None and getattr(conn, "autocommit", _LEGACY_TC) != _LEGACY_TC:
            conn.autocommit = _LEGACY_TC  # type: ignore[attr-defined]
        if conn.isolation_level != "":
            conn.isolation_level = ""
        return not conn.in_transaction
    except Exception:
        return False


def _pool_key(db_path: PathArg) -> str:
    raw = os.fsdecode(os.fspath(db_path))
    return raw if raw in _MEMORY_PATHS else os.path.realpath(raw)


def get_connection_pool(
    db_path: PathArg, pool_size: int = 5, timeout: float = 10.0
) -> SQLiteConnectionPool:
    """Return the process-wide pool for ``db_path`` (created once, race-free)."""
    key = _pool_key(db_path)
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = SQLiteConnectionPool(key, pool_size=pool_size, timeout=timeout)
                _pools[key] = pool
    return pool


def close_all() -> None:
    """Close every registered pool and empty the registry."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    for pool in list(_all_pools):
        pool._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
