"""CRL404/CRL108 across modules: a shared object's method every thread entry calls under one lock is guarded.

The lock is held by the caller, in another module than the method (`with _lock: monitor.record()`);
the index records which calls are made under which `with`, and the join keeps an attribute only
when no one lock is held around every path to its updates.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config
from cortex_racelint.project.join import join
from cortex_racelint.project.summary import build_summary

MONITOR = textwrap.dedent("""
    class Monitor:
        def __init__(self):
            self.failures = 0
            self._cache = None

        def record(self, ok):
            if not ok:
                self.failures += 1

        def cache(self):
            if self._cache is None:
                self._cache = {}
            return self._cache


    _monitor = Monitor()


    def get_monitor():
        return _monitor
""")

WORKERS = textwrap.dedent("""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.monitor import get_monitor

    _lock = threading.Lock()
    _other = threading.Lock()


    def check(url):
        with _lock:
            get_monitor().record(url.startswith("https"))
        get_monitor().cache()


    def run(urls):
        with ThreadPoolExecutor(4) as pool:
            for url in urls:
                pool.submit(check, url)
""")


def _write(root: Path, workers: str, extra: dict[str, str] | None = None) -> None:
    files = {"app/__init__.py": "", "app/monitor.py": MONITOR, "app/workers.py": workers, **(extra or {})}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _methods(root: Path) -> dict:
    facts = join({str(p): build_summary(ast.parse(p.read_bytes())) for p in sorted(root.rglob("*.py"))})
    return facts.get(str(root / "app/monitor.py"), {}).get("classes", {}).get("Monitor", {}).get("methods", {})


def test_a_method_only_called_under_a_module_lock_of_another_module_is_guarded(tmp_path):
    _write(tmp_path, WORKERS)
    assert sorted(_methods(tmp_path)) == ["cache"]  # `record` runs under `_lock` on every path; `cache` does not


def test_one_unlocked_caller_makes_it_a_race_again(tmp_path):
    _write(tmp_path, WORKERS.replace("get_monitor().cache()", "get_monitor().cache()\n    get_monitor().record(False)"))
    assert sorted(_methods(tmp_path)) == ["cache", "record"]


def test_two_callers_under_different_locks_race(tmp_path):
    other = WORKERS.replace("def check(", "def probe(").replace("with _lock:", "with _other:").replace(
        "pool.submit(check, url)", "pool.submit(probe, url)"
    ).replace("def run(", "def run_probes(")
    _write(tmp_path, WORKERS, {"app/probes.py": other})
    assert "record" in _methods(tmp_path)  # `_lock` and `_other` exclude nothing from each other


def test_the_same_module_lock_imported_in_two_modules_guards(tmp_path):
    other = (
        WORKERS.replace("def check(", "def probe(")
        .replace("pool.submit(check, url)", "pool.submit(probe, url)")
        .replace("def run(", "def run_probes(")
        .replace("_lock = threading.Lock()", "from app.workers import _lock as _lock")
    )
    _write(tmp_path, WORKERS, {"app/probes.py": other})
    assert sorted(_methods(tmp_path)) == ["cache"]


def test_the_shared_objects_own_lock_held_by_the_caller_guards(tmp_path):
    monitor = MONITOR.replace("self._cache = None", "self._cache = None\n        self.lock = threading.Lock()")
    assert "self.lock = threading.Lock()" in monitor
    workers = WORKERS.replace(
        "with _lock:\n        get_monitor().record(url.startswith(\"https\"))",
        "monitor = get_monitor()\n    with monitor.lock:\n        monitor.record(url.startswith(\"https\"))",
    )
    assert "with monitor.lock:" in textwrap.dedent(workers)
    _write(tmp_path, workers, {"app/monitor.py": "import threading\n" + textwrap.dedent(monitor)})
    assert sorted(_methods(tmp_path)) == ["cache"]


def test_a_per_instance_lock_of_the_caller_does_not_guard(tmp_path):
    """`with self._lock:` in a worker class with one object per thread: each thread holds its own lock."""
    workers = """
        import threading
        from concurrent.futures import ThreadPoolExecutor

        from app.monitor import get_monitor


        class Worker:
            def __init__(self):
                self._lock = threading.Lock()

            def check(self, url):
                with self._lock:
                    get_monitor().record(url.startswith("https"))

            def run(self, urls):
                with ThreadPoolExecutor(4) as pool:
                    for url in urls:
                        pool.submit(self.check, url)
    """
    _write(tmp_path, workers)
    assert "record" in _methods(tmp_path)


def test_code_handed_to_a_thread_under_the_lock_does_not_hold_it(tmp_path):
    """A lambda started under `with _lock:` runs later, on its thread, without the lock."""
    workers = WORKERS.replace(
        "with _lock:\n        get_monitor().record(url.startswith(\"https\"))",
        "with _lock:\n        for _ in range(2):\n            threading.Thread(target=lambda: get_monitor().record(True)).start()",
    )
    assert "lambda: get_monitor().record(True)" in workers
    _write(tmp_path, workers)
    assert "record" in _methods(tmp_path)


def test_the_cli_reports_only_the_unguarded_method(tmp_path):
    _write(tmp_path, WORKERS)
    paths = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    results = run_files(paths, Config(root=tmp_path), fix=False, jobs=1, cache=None)
    found = sorted((Path(r.path).name, f.code, f.line) for r in results for f in r.findings if f.code in ("CRL404", "CRL108"))
    assert found == [("monitor.py", "CRL108", 12)]  # the lazy `cache()`; not `record`'s `+= 1` (line 9)


def _crl404(root: Path) -> list:
    paths = [str(p) for p in sorted(root.rglob("*.py"))]
    results = run_files(paths, Config(root=root, unsafe_fixes=True), fix=False, jobs=1, cache=None)
    return [f for r in results for f in r.findings if f.code == "CRL404"]


def test_the_fix_does_not_take_a_plain_lock_a_caller_elsewhere_already_holds(tmp_path):
    """One caller holds the object's own lock around `record()`, another does not: still a race, but
    wrapping the update in that plain Lock would deadlock the first caller."""
    workers = WORKERS.replace(
        "with _lock:\n        get_monitor().record(url.startswith(\"https\"))",
        "monitor = get_monitor()\n    with monitor.lock:\n        monitor.record(url.startswith(\"https\"))\n    monitor.record(True)",
    )
    assert "monitor.record(True)" in workers
    for factory, fixed in (("Lock", False), ("RLock", True)):
        monitor = "import threading\n" + MONITOR.replace(
            "self._cache = None", f"self._cache = None\n        self.lock = threading.{factory}()"
        )
        _write(tmp_path, workers, {"app/monitor.py": monitor})
        [finding] = _crl404(tmp_path)
        assert finding.line == 11  # `self.failures += 1` (after the `import threading` line)
        if fixed:  # an RLock is re-entered safely
            assert finding.fix_message == "Hold `self.lock` around the update of `self.failures`"
        else:
            assert finding.fix_message is None
            assert "a caller in the project holds the object's `lock`" in finding.no_fix_reason
