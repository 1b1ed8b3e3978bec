"""Benchmark: Cortex's parallel LLM execution, and the seed's latency table, legacy vs migrated.

    python benchmarks/parallel_llm_bench.py [--quick] [--repeat N] [--scale S]

1. **5 package requests** through ``cortex.llm_provider.OfflineProvider`` whose latency
   reproduces the seed's scenario scaled down: 18.2 s for 5 packages one after another
   -> 3.64 s per request, divided by ``--scale`` (default 20: 0.182 s, sequential ~0.91 s).
   Sequential (one ``provider.complete`` after another) vs
   ``cortex.parallel_llm.ParallelLLMExecutor`` vs
   ``cortex.parallel_llm_threaded.ThreadedLLMExecutor``, 5 workers each, median of
   ``--repeat`` runs. Each module is imported from the migrated tree (``<repo>/cortex``)
   when it has it, else from the legacy tree (``fixtures/cortex_legacy/cortex``); the
   report says which. Seed target: 1.8x or better (< 10 s for 18.2 s of requests).
2. **Latency table** (seed "Performance Targets"): semantic cache hit at 50 threads,
   cache write at 20, record transaction (``begin`` + ``complete``) at 10, hardware
   ``detect`` (cold JSON cache each round) at 10; p50/p99 per call in ms. Each tree runs
   in its own subprocess (this script with ``--tree legacy|migrated --measure latency``,
   which prints JSON) with a temporary HOME; a module the migrated tree does not have
   yet is reported as "n/a (not migrated yet)". A call that raised (e.g. "database is
   locked") still counts with its latency and is listed as an error.

``--quick`` (smoke test): 1 repeat, and a few calls per thread.
Exit status 0 when everything ran and every executor returned the sequential answers in
order, 1 otherwise (targets that miss are reported, not fatal).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
TREES = {"legacy": REPO / "fixtures" / "cortex_legacy", "migrated": REPO}
SEED_SEQUENTIAL_S = 18.2
SEED_TARGET_S = 10.0
SEED_SPEEDUP = 1.8
PACKAGES = ["docker", "nginx", "postgresql", "redis", "nodejs"]

# (key, module, label, threads, target ms)
LATENCY_OPS = [
    ("cache_hit", "semantic_cache", "semantic cache hit", 50, 5.0),
    ("cache_write", "semantic_cache", "semantic cache write", 20, 50.0),
    ("record_txn", "transaction_history", "record transaction", 10, 100.0),
    ("detect_all", "hardware_detection", "hardware detect (all)", 10, 200.0),
]


# --------------------------------------------------------------------------- part 1: LLM


def import_mixed() -> dict[str, Any]:
    """`cortex` from the migrated tree, falling back to the legacy tree per module."""
    for name in [m for m in sys.modules if m == "cortex" or m.startswith("cortex.")]:
        del sys.modules[name]
    sys.path.insert(0, str(TREES["migrated"]))
    import cortex

    cortex.__path__.append(str(TREES["legacy"] / "cortex"))
    import importlib

    modules = {}
    for name in ("llm_provider", "parallel_llm", "parallel_llm_threaded"):
        try:
            modules[name] = importlib.import_module(f"cortex.{name}")
        except ImportError as error:
            modules[name] = error
    return modules


def _origin(module: Any) -> str:
    if isinstance(module, Exception):
        return f"missing ({module})"
    path = Path(module.__file__).resolve()
    tree = "migrated" if path.parent == (TREES["migrated"] / "cortex").resolve() else "legacy"
    return f"{tree} ({path.relative_to(REPO)})"


def llm_bench(repeat: int, scale: float, batches: bool) -> tuple[list[str], list[str]]:
    modules = import_mixed()
    errors: list[str] = []
    lines = ["| module | imported from |", "|---|---|"]
    lines += [f"| cortex.{name} | {_origin(mod)} |" for name, mod in modules.items()]
    llm, pl, plt = modules["llm_provider"], modules["parallel_llm"], modules["parallel_llm_threaded"]
    if isinstance(llm, Exception) or isinstance(pl, Exception):
        return lines, [f"cannot import the provider / requests: {llm if isinstance(llm, Exception) else pl}"]
    latency = SEED_SEQUENTIAL_S / len(PACKAGES) / scale
    provider = llm.OfflineProvider(latency=latency)
    requests = [pl.package_request(p) for p in PACKAGES]

    def sequential() -> list[str]:
        out = []
        for r in requests:
            messages = [{"role": "system", "content": r.system}, {"role": "user", "content": r.prompt}]
            out.append(provider.complete(messages).text)
        return out

    def parallel() -> list[str]:
        return [res.text if res.ok else f"ERROR {res.error}" for res in pl.ParallelLLMExecutor(provider, max_workers=5).execute(requests)]

    def threaded() -> list[str]:
        with plt.ThreadedLLMExecutor(provider, max_workers=5) as executor:
            return [res.text if res.ok else f"ERROR {res.error}" for res in executor.execute(requests)]

    def threaded_batches() -> list[str]:
        with plt.ThreadedLLMExecutor(provider) as executor:  # its default pool size
            results = executor.execute_batches([requests] * 5)
        return [res.text if res.ok else f"ERROR {res.error}" for batch in results for res in batch]

    modes: list[tuple[str, Callable[[], list[str]], int]] = [
        ("sequential (provider.complete x5)", sequential, 1),
        ("ParallelLLMExecutor(max_workers=5)", parallel, 1),
    ]
    if isinstance(plt, Exception):
        errors.append(f"cortex.parallel_llm_threaded not importable: {plt}")
    else:
        modes.append(("ThreadedLLMExecutor(max_workers=5)", threaded, 1))
        if batches:
            modes.append(("ThreadedLLMExecutor, 5 batches x 5 requests at once (default pool)", threaded_batches, 5))
    instant = llm.OfflineProvider(latency=0.0)  # the same answers, without the wait
    expected = [instant.complete([{"role": "system", "content": r.system}, {"role": "user", "content": r.prompt}]).text
                for r in requests]
    timings: dict[str, float] = {}
    for label, fn, factor in modes:
        walls = []
        for _ in range(repeat):
            started = time.perf_counter()
            answers = fn()
            walls.append(time.perf_counter() - started)
            if answers != expected * factor:
                errors.append(f"{label}: answers differ from the sequential run (order or content)")
        timings[label] = statistics.median(walls)
    base = timings[modes[0][0]]
    lines += [
        "",
        f"Provider latency {latency * 1000:.0f} ms per request (seed {SEED_SEQUENTIAL_S} s for 5 packages / {scale:g}); "
        f"median of {repeat} run(s). Target: speedup >= {SEED_SPEEDUP}x, i.e. 5 packages < {SEED_TARGET_S / scale:.2f} s "
        f"here (< {SEED_TARGET_S:g} s at seed scale).",
        "",
        "| mode | wall s | speedup vs sequential | at seed scale | result |",
        "|---|---:|---:|---:|---|",
    ]
    for label, _fn, factor in modes:
        wall = timings[label]
        speedup = base * factor / wall
        at_seed = wall * scale
        if factor == 1 and label != modes[0][0]:
            verdict = "PASS" if speedup >= SEED_SPEEDUP and at_seed < SEED_TARGET_S else "FAIL"
        else:
            verdict = "(baseline)" if label == modes[0][0] else f"(25 requests, vs {factor} sequential batches)"
        lines.append(f"| {label} | {wall:.3f} | {speedup:.2f}x | {at_seed:.1f} s | {verdict} |")
    return lines, errors


# --------------------------------------------------------------------------- part 2: latency (in a subprocess)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, max(0, int(round(0.99 * len(ordered))) - 1))]
    return statistics.median(ordered) * 1000, p99 * 1000


def quick_threads(threads: int) -> int:
    """--quick keeps the code path but not the load: a tenth of the threads, at least 2."""
    return max(2, threads // 10)


def _hammer(threads: int, calls: int, op: Callable[[int, int], None]) -> tuple[list[float], list[str]]:
    """`threads` threads released together, each timing `calls` calls of op(thread, i)."""
    barrier = threading.Barrier(threads)
    latencies: list[float] = []
    errors: list[str] = []
    guard = threading.Lock()

    def worker(t: int) -> None:
        mine, bad = [], []
        barrier.wait()
        for i in range(calls):
            started = time.perf_counter()
            try:
                op(t, i)
            except Exception as error:  # counted, with its latency
                bad.append(f"{type(error).__name__}: {error}"[:120])
            mine.append(time.perf_counter() - started)
        with guard:
            latencies.extend(mine)
            errors.extend(bad)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, errors


def measure_latency(tree: str, quick: bool) -> dict[str, Any]:
    root = TREES[tree]
    sys.path.insert(0, str(root))
    import importlib

    report: dict[str, Any] = {}
    calls = {"cache_hit": 3 if quick else 20, "cache_write": 2 if quick else 10, "record_txn": 3 if quick else 20,
             "detect_all": 2 if quick else 10}
    for key, module_name, _label, threads, _target in LATENCY_OPS:
        threads = quick_threads(threads) if quick else threads
        path = root / "cortex" / f"{module_name}.py"
        if not path.is_file():
            report[key] = {"status": "n/a"}
            continue
        try:
            module = importlib.import_module(f"cortex.{module_name}")
            latencies, errors, extra = OPS[key](module, threads, calls[key])
        except Exception as error:  # setup failed: report, do not guess
            report[key] = {"status": "error", "error": f"{type(error).__name__}: {error}"[:200]}
            continue
        p50, p99 = _percentiles(latencies)
        report[key] = {"status": "ok", "p50_ms": p50, "p99_ms": p99, "calls": len(latencies), "errors": len(errors),
                       "threads": threads,
                       "error_samples": sorted(set(errors))[:3], **extra}
    return report


class _Counter:
    """Successful writes, counted so "rows lost" excludes calls that raised."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


def _op_cache_hit(module: Any, threads: int, calls: int):
    cache = module.get_semantic_cache()
    for i in range(100):
        cache.put(f"How do I install package-{i} on Ubuntu?", f"sudo apt-get install -y package-{i}")
    hits = [0]
    lock = threading.Lock()

    def op(t: int, i: int) -> None:
        hit = module.get_semantic_cache().get(f"please how do I install package-{(t * calls + i) % 100} on ubuntu")
        if hit is not None:
            with lock:
                hits[0] += 1

    latencies, errors = _hammer(threads, calls, op)
    return latencies, errors, {"misses": len(latencies) - len(errors) - hits[0]}


def _op_cache_write(module: Any, threads: int, calls: int):
    cache = module.get_semantic_cache()
    before = cache.stats()["entries"]
    done = _Counter()

    def op(t: int, i: int) -> None:
        module.get_semantic_cache().put(f"How do I set up service-{t}-{i} on Debian?", f"answer {t} {i}")
        done.add()

    latencies, errors = _hammer(threads, calls, op)
    stored = cache.stats()["entries"] - before
    return latencies, errors, {"rows_lost": done.value - stored}


def _op_record_txn(module: Any, threads: int, calls: int):
    history = module.get_history()
    before = history.count()
    begun = _Counter()

    def op(t: int, i: int) -> None:
        h = module.get_history()
        tx = h.begin(module.TransactionType.INSTALL, [f"pkg-{t}-{i}"], [f"apt-get install -y pkg-{t}-{i}"])
        begun.add()
        h.complete(tx.id)

    latencies, errors = _hammer(threads, calls, op)
    return latencies, errors, {"rows_lost": begun.value - (history.count() - before)}


def _op_detect_all(module: Any, threads: int, rounds: int):
    latencies: list[float] = []
    errors: list[str] = []
    for _ in range(rounds):  # each round starts without a cache file: the first callers really detect
        module.get_detector().clear_cache()
        lat, err = _hammer(threads, 1, lambda t, i: module.detect_hardware())
        latencies += lat
        errors += err
    return latencies, errors, {}


OPS = {"cache_hit": _op_cache_hit, "cache_write": _op_cache_write, "record_txn": _op_record_txn,
       "detect_all": _op_detect_all}


def latency_table(quick: bool) -> tuple[list[str], list[str]]:
    results: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for tree in TREES:
        with tempfile.TemporaryDirectory(prefix=f"cortex-bench-{tree}-") as home:
            env = dict(os.environ, HOME=home)
            env.pop("PYTHONPATH", None)
            cmd = [sys.executable, str(Path(__file__).resolve()), "--tree", tree, "--measure", "latency"]
            if quick:
                cmd.append("--quick")
            proc = subprocess.run(cmd, env=env, cwd=home, capture_output=True, text=True, timeout=600)
            try:
                results[tree] = json.loads(proc.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
                errors.append(f"latency run for the {tree} tree failed (exit {proc.returncode}): {tail}")
                results[tree] = {}

    def cell(tree: str, key: str, target: float) -> tuple[str, str]:
        data = results[tree].get(key)
        if data is None:
            return "not measured", "n/a"
        if data["status"] == "n/a":
            return "n/a (not migrated yet)", "n/a"
        if data["status"] == "error":
            errors.append(f"{tree} {key}: {data['error']}")
            return f"error: {data['error'][:60]}", "FAIL"
        text = f"{data['p50_ms']:.1f} / {data['p99_ms']:.1f}"
        extras = []
        if data["errors"]:
            extras.append(f"{data['errors']}/{data['calls']} calls raised: {'; '.join(data['error_samples'])}")
        if data.get("rows_lost"):
            extras.append(f"{data['rows_lost']} rows lost")
        if data.get("misses"):
            extras.append(f"{data['misses']} misses")
        if extras:
            text += " (" + "; ".join(extras) + ")"
        if data["errors"] or data.get("rows_lost"):
            verdict = "FAIL"
        elif data["p99_ms"] < target:
            verdict = "PASS"
        elif data["p50_ms"] < target:
            verdict = "FAIL (p50 ok)"
        else:
            verdict = "FAIL"
        return text, verdict

    lines = [
        "| operation | threads | target | legacy p50 / p99 ms | result | migrated p50 / p99 ms | result |",
        "|---|---:|---:|---|---|---|---|",
    ]
    for key, _module, label, threads, target in LATENCY_OPS:
        legacy, legacy_verdict = cell("legacy", key, target)
        migrated, migrated_verdict = cell("migrated", key, target)
        shown = f"{quick_threads(threads)} (--quick; full: {threads})" if quick else str(threads)
        lines.append(f"| {label} | {shown} | < {target:g} ms | {legacy} | {legacy_verdict} | {migrated} | {migrated_verdict} |")
    lines += ["", "PASS: p99 under the target with no call raising and no row lost."]
    return lines, errors


# --------------------------------------------------------------------------- main


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, few calls per thread (smoke test)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per executor mode; the median is reported")
    parser.add_argument("--scale", type=float, default=20.0, help="divide the seed's 18.2 s scenario by this")
    parser.add_argument("--tree", choices=sorted(TREES), help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=["latency"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure == "latency":
        print(json.dumps(measure_latency(args.tree, args.quick)))
        return 0
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    out = [
        f"# parallel_llm_bench ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"- Python {platform.python_version()} ({sys.executable}), {os.cpu_count()} cores, "
        f"GIL {'enabled' if getattr(sys, '_is_gil_enabled', lambda: True)() else 'disabled'}",
        "",
        "## 5 package requests",
        "",
    ]
    llm_lines, errors = llm_bench(1 if args.quick else args.repeat, args.scale, batches=not args.quick)
    out += llm_lines
    out += ["", "## Latency per call (seed performance targets)", ""]
    lat_lines, lat_errors = latency_table(args.quick)
    out += lat_lines
    errors += lat_errors
    out += ["", f"- load average (1 min) before/after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f}"]
    if args.quick:
        out.append("- note: --quick: 1 repeat and a few calls per thread; not comparable with the full run")
    out += [f"- ERROR {e}" for e in errors]
    print("\n".join(out))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
