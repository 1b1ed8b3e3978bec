"""Benchmark: per-call ``sqlite3.connect`` vs ``cortex.utils.db_pool`` under thread load.

Why: racelint's CRL2xx fix swaps per-call connects for the pool; this measures
what that buys on the Cortex workload shape: 50 reader threads and 20 writer
threads at once on one database file.

    python benchmarks/sqlite_pool.py [--quick] [--duration S] [--readers N] [--writers N] [--pool-size N]

Per-call mode is the legacy code: ``connect`` (default 5 s timeout, default
rollback journal), one statement, ``commit``, ``close``.  Pooled mode uses
``get_connection_pool(path)`` (WAL, busy_timeout, 5 connections).  Each mode
gets its own fresh database so WAL set by the pool cannot help the baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cortex.utils.db_pool import close_all, get_connection_pool  # noqa: E402

Op = Callable[[random.Random], None]
SEED_ROWS = 2000
READ_SQL = "SELECT k, v FROM items WHERE id = ?"
WRITE_SQL = "INSERT INTO items (k, v) VALUES (?, ?)"
TARGETS = [  # (workload, stat, limit in ms)
    ("read", "p50", 5.0),
    ("read", "p99", 5.0),
    ("write", "p50", 50.0),
    ("write", "p99", 50.0),
]


def make_db(path: str) -> None:
    conn = sqlite3.connect(path)  # racelint: ignore[CRL201] set-up, before any thread starts
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, k TEXT, v TEXT)")
    conn.executemany(WRITE_SQL, ((f"seed-{i}", "x" * 64) for i in range(SEED_ROWS)))
    conn.commit()
    conn.close()


def percall_ops(path: str) -> Tuple[Op, Op]:
    def read(rng: random.Random) -> None:
        conn = sqlite3.connect(path)  # racelint: ignore[CRL201] the per-call baseline being measured
        try:
            conn.execute(READ_SQL, (rng.randint(1, SEED_ROWS),)).fetchone()
        finally:
            conn.close()

    def write(rng: random.Random) -> None:
        conn = sqlite3.connect(path)  # racelint: ignore[CRL201] the per-call baseline being measured
        try:
            conn.execute(WRITE_SQL, (f"w-{rng.random()}", "y" * 64))
            conn.commit()
        finally:
            conn.close()

    return read, write


def pooled_ops(path: str, pool_size: int = 5) -> Tuple[Op, Op]:
    pool = get_connection_pool(path, pool_size=pool_size)

    def read(rng: random.Random) -> None:
        with pool.get_connection() as conn:
            conn.execute(READ_SQL, (rng.randint(1, SEED_ROWS),)).fetchone()

    def write(rng: random.Random) -> None:
        with pool.get_connection() as conn:
            conn.execute(WRITE_SQL, (f"w-{rng.random()}", "y" * 64))

    return read, write


class Stats:
    def __init__(self) -> None:
        self.lat: List[float] = []
        self.locked = 0
        self.other = 0
        self.lock = threading.Lock()


def run_mode(
    path: str, ops, readers: int, writers: int, duration: float
) -> Tuple[Dict[str, Stats], float]:
    read, write = ops
    stats = {"read": Stats(), "write": Stats()}
    stop = threading.Event()
    start = threading.Barrier(readers + writers + 1)

    def worker(kind: str, op: Callable[[random.Random], None], seed: int) -> None:
        rng = random.Random(seed)
        st = stats[kind]
        lat: List[float] = []
        locked = other = 0
        start.wait()
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                op(rng)
            except sqlite3.OperationalError as e:
                if "locked" in str(e):
                    locked += 1
                else:
                    other += 1
                continue
            except Exception:
                other += 1
                continue
            lat.append(time.perf_counter() - t0)
        with st.lock:
            st.lat.extend(lat)
            st.locked += locked
            st.other += other

    threads = [threading.Thread(target=worker, args=("read", read, i)) for i in range(readers)]
    threads += [threading.Thread(target=worker, args=("write", write, 1000 + i)) for i in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join()
    return stats, time.perf_counter() - t0


def pct(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))] * 1000.0


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run (~10 s)")
    ap.add_argument("--duration", type=float, default=None, help="seconds per mode")
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--pool-size", type=int, default=5)
    args = ap.parse_args(argv)
    duration = args.duration if args.duration is not None else (2.0 if args.quick else 8.0)

    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"Python {sys.version.split()[0]} (GIL {'enabled' if gil else 'disabled'}), "
          f"sqlite {sqlite3.sqlite_version}, {args.readers} readers + {args.writers} writers "
          f"concurrently, pool_size={args.pool_size}, {duration:g} s per mode\n")
    results: Dict[str, Tuple[Dict[str, Stats], float]] = {}
    with tempfile.TemporaryDirectory(prefix="racelint-bench-") as tmp:
        for mode, factory in (("per-call", percall_ops), ("pooled", pooled_ops)):
            path = os.path.join(tmp, f"{mode}.db")
            make_db(path)
            ops = factory(path) if mode == "per-call" else factory(path, args.pool_size)
            results[mode] = run_mode(path, ops, args.readers, args.writers, duration)
        close_all()

    def row(mode: str, kind: str) -> Dict[str, float]:
        stats, elapsed = results[mode]
        st = stats[kind]
        return {"ops": len(st.lat), "ops_s": len(st.lat) / elapsed, "p50": pct(st.lat, 0.50),
                "p99": pct(st.lat, 0.99), "locked": st.locked, "other": st.other}

    threads = {"read": args.readers, "write": args.writers}
    print("| mode | workload | threads | ops | ops/s | p50 ms | p99 ms | db locked | other err |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in results:
        for kind in ("read", "write"):
            r = row(mode, kind)
            print(f"| {mode} | {kind} | {threads[kind]} | {r['ops']} | {r['ops_s']:.0f} | "
                  f"{r['p50']:.2f} | {r['p99']:.2f} | {r['locked']} | {r['other']} |")
    for kind in ("read", "write"):
        a, b = row("pooled", kind), row("per-call", kind)
        print(f"| pooled/per-call | {kind} | | | {a['ops_s'] / max(b['ops_s'], 1e-9):.2f}x | "
              f"{a['p50'] / b['p50']:.2f}x | {a['p99'] / b['p99']:.2f}x | | |")

    print("\nCortex targets (pooled):")
    ok_all = True
    for kind, stat, limit in TARGETS:
        value = row("pooled", kind)[stat]
        ok = value < limit
        ok_all &= ok
        print(f"  {kind} {stat} < {limit:g} ms: {value:.2f} ms  {'PASS' if ok else 'FAIL'}")
    locked = row("pooled", "read")["locked"] + row("pooled", "write")["locked"]
    ok = locked == 0
    ok_all &= ok
    print(f"  no 'database is locked' errors: {locked}  {'PASS' if ok else 'FAIL'}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
