"""The project-wide index (issue 18): summaries, their join, the two-phase run, incremental re-analysis."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.engine.cache import ResultCache
from cortex_racelint.ftypes import Config
from cortex_racelint.output.json_format import as_json
from cortex_racelint.project.join import join
from cortex_racelint.project.modules import module_name
from cortex_racelint.project.phase import ProjectStats
from cortex_racelint.project.summary import build_summary

HEALTH = """
    import threading


    class HealthMonitor:
        def __init__(self):
            self._lock = threading.Lock()
            self.failures = 0
            self.checks = 0
            self._cipher = None

        def record(self, ok):
            self._count()
            if not ok:
                self.failures += 1

        def _count(self):
            self.checks = self.checks + 1

        def cipher(self):
            if self._cipher is None:
                self._cipher = object()
            return self._cipher

        def guarded(self):
            with self._lock:
                self.failures += 1

        def never_on_a_thread(self):
            self.checks += 1


    _monitor = None


    def get_monitor():
        global _monitor
        if _monitor is None:
            _monitor = HealthMonitor()
        return _monitor
"""

WORKERS = """
    from concurrent.futures import ThreadPoolExecutor

    from app.health import get_monitor
    from . import health as h


    def check(url):
        get_monitor().record(url.startswith("https"))
        monitor = h.get_monitor()
        monitor.cipher()
        monitor.guarded()


    def run(urls):
        with ThreadPoolExecutor(4) as pool:
            for url in urls:
                pool.submit(check, url)
"""

UNRELATED = """
    def helper(x):
        return x + 1
"""


def _write(root: Path, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(str(path))
    return paths


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(tmp_path, {"app/__init__.py": "", "app/health.py": HEALTH, "app/workers.py": WORKERS, "app/util.py": UNRELATED})
    return tmp_path


def _summaries(root: Path) -> dict[str, dict]:
    return {str(p): build_summary(ast.parse(p.read_bytes())) for p in sorted(root.rglob("*.py"))}


# -- the summary ------------------------------------------------------------------------------


def test_summary_records_imports_globals_calls_entries_and_updates(project: Path) -> None:
    health = build_summary(ast.parse((project / "app/health.py").read_bytes()))
    workers = build_summary(ast.parse((project / "app/workers.py").read_bytes()))
    json.dumps(health), json.dumps(workers)  # plain data: cached and sent between processes
    assert health["globals"] == {"_monitor": "HealthMonitor"}  # bound under `global`, not the `None`
    assert health["functions"]["get_monitor"]["returns"] == ["g", "_monitor"]
    record = health["functions"]["HealthMonitor.record"]
    assert [c[:2] for c in record["calls"]] == [["n", "self._count"]]
    assert [r[0] for r in record["rmw"]] == ["failures"]
    assert [r[0] for r in health["functions"]["HealthMonitor._count"]["rmw"]] == ["checks"]
    assert health["functions"]["HealthMonitor.guarded"]["rmw"][0][3] is True  # under `with self._lock`
    assert [lz[0] for lz in health["functions"]["HealthMonitor.cipher"]["lazy"]] == ["_cipher"]
    assert workers["imports"]["h"] == [1, "", "health"]
    check = workers["functions"]["check"]
    assert ["r", "get_monitor|record"] in [c[:2] for c in check["calls"]]
    assert ["r", "h.get_monitor|cipher"] in [c[:2] for c in check["calls"]]  # through the local `monitor`
    assert not any(c[1].startswith("url.") for c in check["calls"])  # a parameter names nothing elsewhere
    (entry,) = workers["entries"]
    assert entry[:4] == ["executor task", "n", "check", "run"] and entry[6] is True


def test_module_names_follow_packages(project: Path) -> None:
    assert module_name(str(project / "app/health.py")) == "app.health"
    assert module_name(str(project / "app/__init__.py")) == "app"


# -- the join -------------------------------------------------------------------------------


def test_join_names_the_reached_methods_of_the_shared_class_with_their_paths(project: Path) -> None:
    facts = join(_summaries(project))
    assert list(facts) == [str(project / "app/health.py")]
    klass = facts[str(project / "app/health.py")]["classes"]["HealthMonitor"]
    assert "get_monitor" in klass["shared"]
    methods = klass["methods"]
    assert sorted(methods) == ["_count", "cipher", "record"]  # not `guarded` (locked), not `never_on_a_thread`
    assert methods["record"]["attrs"] == ["failures"]
    assert methods["_count"]["attrs"] == ["checks"]
    steps = methods["_count"]["paths"][0]
    assert [s[0] for s in steps] == [str(project / "app/workers.py")] * 2 + [str(project / "app/health.py")]
    assert "executor task `check`" in steps[0][3] and "`HealthMonitor.record` calls `HealthMonitor._count`" in steps[2][3]


def test_one_thread_alone_is_not_a_race(tmp_path: Path) -> None:
    workers = textwrap.dedent(WORKERS).replace(
        "with ThreadPoolExecutor(4) as pool:\n        for url in urls:\n            pool.submit(check, url)",
        "threading.Thread(target=check, args=(urls[0],)).start()",
    )
    workers = "import threading\n" + workers
    _write(tmp_path, {"app/__init__.py": "", "app/health.py": HEALTH, "app/workers.py": workers})
    assert "Thread(target=check" in (tmp_path / "app/workers.py").read_text()
    assert join(_summaries(tmp_path)) == {}


def test_two_different_thread_entries_race(tmp_path: Path) -> None:
    workers = textwrap.dedent(WORKERS) + textwrap.dedent(
        """
        import threading

        def start(urls):
            threading.Thread(target=check, args=(urls[0],)).start()
            threading.Timer(5, check, args=(urls[1],)).start()
        """
    )
    workers = workers.replace("pool.submit(check, url)", "pass")
    _write(tmp_path, {"app/__init__.py": "", "app/health.py": HEALTH, "app/workers.py": workers})
    facts = join(_summaries(tmp_path))
    assert sorted(facts[str(tmp_path / "app/health.py")]["classes"]["HealthMonitor"]["methods"]) == ["_count", "cipher", "record"]


def test_a_class_that_is_not_shared_gets_no_facts(tmp_path: Path) -> None:
    workers = WORKERS.replace("get_monitor().record", "HealthMonitor().record").replace(
        "from app.health import get_monitor", "from app.health import HealthMonitor"
    ).replace("monitor = h.get_monitor()", "monitor = h.HealthMonitor()")
    _write(tmp_path, {"app/__init__.py": "", "app/health.py": HEALTH, "app/workers.py": workers})
    assert join(_summaries(tmp_path)) == {}  # a fresh object per task is not shared


def test_a_class_starting_its_own_threads_is_left_to_crl402(tmp_path: Path) -> None:
    health = HEALTH.replace(
        "    def guarded(self):", "    def start(self):\n            threading.Thread(target=self.record, args=(True,)).start()\n\n        def guarded(self):"
    )
    _write(tmp_path, {"app/__init__.py": "", "app/health.py": health, "app/workers.py": WORKERS})
    assert join(_summaries(tmp_path)) == {}


# -- the two-phase run ------------------------------------------------------------------------------


def _run(project: Path, stats: ProjectStats, cache: bool = True):
    paths = [str(p) for p in sorted(project.rglob("*.py"))]
    store = ResultCache(project) if cache else None
    return run_files(paths, Config(root=project), fix=False, jobs=1, cache=store, stats=stats)


def test_findings_carry_the_path_from_the_thread_entry(project: Path) -> None:
    stats = ProjectStats()
    results = _run(project, stats, cache=False)
    findings = [f for r in results for f in r.findings if f.code in ("CRL404", "CRL108")]
    by_line = {(f.code, f.line): f for f in findings}
    assert sorted(by_line) == [("CRL108", 21), ("CRL404", 15), ("CRL404", 18)]
    flow = by_line[("CRL404", 18)].flow
    assert [Path(s.path).name for s in flow] == ["workers.py", "workers.py", "health.py", "health.py"]
    assert flow[-1].line == 18
    assert by_line[("CRL404", 15)].fix_message and by_line[("CRL108", 21)].no_fix_reason
    document = json.loads(as_json(findings, []))
    assert all(item["flow"][0]["filename"].endswith("workers.py") for item in document)


def test_sarif_carries_a_code_flow(project: Path) -> None:
    from cortex_racelint.output.sarif import sarif

    results = _run(project, ProjectStats(), cache=False)
    findings = [f for r in results for f in r.findings if f.code == "CRL404"]
    document = json.loads(sarif(findings, []))
    flows = [r["codeFlows"] for r in document["runs"][0]["results"]]
    locations = flows[0][0]["threadFlows"][0]["locations"]
    assert locations[0]["location"]["physicalLocation"]["artifactLocation"]["uri"].endswith("workers.py")
    assert locations[-1]["location"]["message"]["text"] == "the access, without a lock"


def test_an_edit_re_analyses_only_the_file_and_its_dependants(project: Path) -> None:
    first = ProjectStats()
    _run(project, first)
    assert (first.linted, first.with_facts, first.relinted) == (4, 1, 1)
    warm = ProjectStats()
    _run(project, warm)
    assert (warm.linted, warm.relinted) == (0, 0)  # nothing changed: everything from the cache

    (project / "app/util.py").write_text(textwrap.dedent(UNRELATED) + "\n\ndef other():\n    return 2\n")
    unrelated = ProjectStats()
    _run(project, unrelated)
    assert (unrelated.linted, unrelated.relinted) == (1, 0)  # the facts of health.py did not change

    (project / "app/workers.py").write_text("# moved down a line\n" + textwrap.dedent(WORKERS))
    caller = ProjectStats()
    results = _run(project, caller)
    assert (caller.linted, caller.relinted) == (1, 1)  # workers.py, and health.py whose paths moved
    flows = [f.flow for r in results for f in r.findings if f.code == "CRL404"]
    assert flows and all(flow[0].line == 19 for flow in flows)  # moved from 18: the cached finding was not reused

    (project / "app/workers.py").write_text(textwrap.dedent(WORKERS).replace("pool.submit(check, url)", "check(url)"))
    gone = ProjectStats()
    results = _run(project, gone)
    assert (gone.linted, gone.with_facts, gone.relinted) == (1, 0, 0)
    assert not [f for r in results for f in r.findings if f.code in ("CRL404", "CRL108")]


def test_fix_uses_the_project_facts(project: Path) -> None:
    paths = [str(p) for p in sorted(project.rglob("*.py"))]
    results = run_files(paths, Config(root=project, unsafe_fixes=True), fix=True, jobs=1)
    fixed = {Path(r.path).name: r.new_source.decode() for r in results if r.new_source}
    assert "with self._lock:\n                self.failures += 1" in fixed["health.py"]
    assert "with self._lock:\n            self.checks = self.checks + 1" in fixed["health.py"]


def test_a_project_rule_suppression_is_not_judged_unused_by_the_per_file_pass(project: Path) -> None:
    health = project / "app/health.py"
    health.write_text(health.read_text().replace("self.failures += 1\n\n    def _count", "self.failures += 1  # noqa: CRL404\n\n    def _count"))
    paths = [str(p) for p in sorted(project.rglob("*.py"))]
    results = run_files(paths, Config(root=project, extend_select=("CRL001",)), fix=False, jobs=1)
    codes = [(Path(r.path).name, f.code, f.line) for r in results for f in r.findings]
    assert ("health.py", "CRL404", 15) not in codes  # suppressed in phase 2
    assert ("health.py", "CRL404", 18) in codes
    assert not [c for c in codes if c[1] == "CRL001"], codes


def test_the_speed_benchmark_runs_and_counts_one_edit(project: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    script = repo / "benchmarks" / "project_index_speed.py"
    out = subprocess.run(
        [sys.executable, str(script), str(repo), str(project / "app"), "--repeat", "1"],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "cold" in out.stdout and "warm" in out.stdout
    assert "1 with project facts, 1 phase-2 lints" in out.stdout
    assert "1 file(s) linted in phase 1, 0 in phase 2" in out.stdout or "1 file(s) linted in phase 1, 1 in phase 2" in out.stdout


def test_a_class_own_thread_reaching_another_shared_object_counts(tmp_path: Path) -> None:
    poller = """
        import threading

        from app.health import get_monitor


        class Poller:
            def start(self):
                for _ in range(2):
                    threading.Thread(target=self._poll).start()

            def _poll(self):
                get_monitor().record(False)
    """
    _write(tmp_path, {"app/__init__.py": "", "app/health.py": HEALTH, "app/poller.py": poller})
    facts = join(_summaries(tmp_path))
    methods = facts[str(tmp_path / "app/health.py")]["classes"]["HealthMonitor"]["methods"]
    assert sorted(methods) == ["_count", "record"]
    assert "thread target `self._poll`" in methods["record"]["paths"][0][0][3]
