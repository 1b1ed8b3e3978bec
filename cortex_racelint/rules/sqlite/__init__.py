"""CRL2xx: sqlite3 connections opened per call, and connections shared without a lock.

CRL201 (`per_call_connection`) finds `sqlite3.connect(...)` inside functions and rewrites
each per-call connection into a checkout from a connection pool, `with <pool>.get_connection()
as conn:`, wrapping exactly the statements that used it (`fixes.pooled_connection`).
`analysis.sqlite_usage` decides whether that is safe (no use of the connection or its cursors
after the block); when it is not, the finding carries a `no_fix_reason` instead of a fix.

CRL202 (`shared_connection_without_lock`) finds one `check_same_thread=False` connection kept
on an object (or a module global) and used from methods without a lock, and wraps the
statements that use it in `with self._lock:` (`fixes.connection_lock`, its lock from
`fixes.locks`).
"""
