"""Objects kept in module-level containers that threads index (`project/containers.py`).

Threads share an entry when they use the same key: a literal or a module constant is one shared
object (CRL404 on its unguarded `+= 1`); a key computed per thread (the thread's argument,
`threading.get_ident()`, a loop variable) shows no sharing, so nothing is reported.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config
from cortex_racelint.project.summary import build_summary

STATS = """
    import threading


    class Stats:
        def __init__(self):
            self.count = 0

        def record(self):
            self.count += 1


    TOTAL = "total"
    {container}


    def work(n):
        {call}


    def run():
        for i in range(4):
            threading.Thread(target=work, args=(i,)).start()
"""

#: (container binding, the call each thread makes, reported)
CASES = [
    ('_STATS: dict[str, Stats] = {}\n_STATS["total"] = Stats()', '_STATS["total"].record()', True),
    ("_STATS = {}", '_STATS.setdefault("total", Stats()).record()', True),
    ("_STATS = {}", "_STATS.setdefault(TOTAL, Stats()).record()", True),  # a module constant
    ("_STATS = defaultdict(Stats)", "_STATS[TOTAL].record()", True),
    ("_WORKERS = [Stats() for _ in range(4)]", "_WORKERS[0].record()", True),
    ("_STATS = {}", "_STATS.setdefault(n, Stats()).record()", False),  # the thread's own argument
    ("_STATS = defaultdict(Stats)", "_STATS[threading.get_ident()].record()", False),
    ("_WORKERS = [Stats() for _ in range(4)]", "_WORKERS[n].record()", False),
    ("_STATS = {}", 'local = {}\n    local.setdefault("total", Stats()).record()', False),  # not the global
    # the entry taken into a local bound once first (`entry_locals.py`): the same call
    ("_STATS = defaultdict(Stats)", "s = _STATS[TOTAL]\n    s.record()", True),
    ("_STATS = {}", 's = _STATS.setdefault("total", Stats())\n    s.record()', True),
    ("_STATS = defaultdict(Stats)", "s = _STATS[n]\n    s.record()", False),  # the thread's own key
    # bound twice: the call may see another object
    ("_STATS = defaultdict(Stats)", "s = _STATS[TOTAL]\n    s.record()\n    s = Stats()", False),
    ("_STATS = defaultdict(Stats)", "for s in [Stats()]:\n        pass\n    s = _STATS[TOTAL]\n    s.record()", False),
    ("_STATS = defaultdict(Stats)", "s = _STATS[TOTAL]\n    if n:\n        s = Stats()\n    s.record()", False),
]


def _write(root: Path, container: str, call: str) -> Path:
    text = textwrap.dedent(STATS).replace("{container}", container).replace("{call}", call)
    if "defaultdict" in container:
        text = "from collections import defaultdict\n" + text
    ast.parse(text)  # a case that does not parse would be silent, whatever the index does
    path = root / "app" / "stats.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    path.write_text(text)
    return path


def _line(path: Path) -> int:
    """The line of `record()`'s `self.count += 1`."""
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "self.count += 1" in text)


def _crl404(root: Path) -> list:
    paths = [str(p) for p in sorted(root.rglob("*.py"))]
    results = run_files(paths, Config(root=root), fix=False, jobs=1, cache=None)
    return [f for r in results for f in r.findings if f.code == "CRL404"]


@pytest.mark.parametrize("container,call,reported", CASES, ids=[c[1].split("\n")[-1].strip() for c in CASES])
def test_an_entry_is_shared_only_under_a_key_every_thread_uses(tmp_path, container, call, reported):
    line = _line(_write(tmp_path, container, call))
    found = _crl404(tmp_path)
    assert [(f.line, "container" in (f.message or "")) for f in found] == ([(line, True)] if reported else [])


def test_the_summary_records_the_container_and_a_shared_keyed_call(tmp_path):
    path = _write(tmp_path, "_STATS = {}", '_STATS.setdefault("total", Stats()).record()')
    summary = build_summary(ast.parse(path.read_text()))
    assert summary["containers"] == {"_STATS": "Stats"}
    assert ["n", "_STATS[].record"] in [call[:2] for call in summary["functions"]["work"]["calls"]]


def test_a_container_in_another_module_indexed_with_a_constant(tmp_path):
    line = _line(_write(tmp_path, "_STATS = defaultdict(Stats)", "pass"))
    (tmp_path / "app" / "workers.py").write_text(textwrap.dedent("""
        from concurrent.futures import ThreadPoolExecutor

        from app import stats


        def check(url):
            stats._STATS["fetches"].record()


        def run(urls):
            with ThreadPoolExecutor(4) as pool:
                for url in urls:
                    pool.submit(check, url)
    """))
    assert [(Path(f.path).name, f.line) for f in _crl404(tmp_path)] == [("stats.py", line)]
    (tmp_path / "app" / "workers.py").write_text(
        (tmp_path / "app" / "workers.py").read_text().replace('stats._STATS["fetches"]', "stats._STATS[url]")
    )
    assert _crl404(tmp_path) == []


def test_a_lock_around_every_keyed_call_guards_the_entry(tmp_path):
    call = 'with _stats_lock:\n            _STATS["total"].record()'
    _write(tmp_path, "_STATS = {}\n_STATS['total'] = Stats()\n_stats_lock = threading.Lock()", call)
    assert _crl404(tmp_path) == []


def test_the_race_the_container_case_fix_removes_breaks_the_invariant_unfixed():
    """The fix-safety case `container_entry_constant_key` is a real race: DPOR breaks its invariant unfixed."""
    from tests.fix_safety.harness import CASES as CASE_DIR, load_case, run_variant

    case = load_case(CASE_DIR / "container_entry_constant_key.py")
    verdict = run_variant(case.module, case.drivers, explore=True).steps["explore"]
    assert verdict["holds"] is False, verdict


def test_confirm_says_why_it_cannot_build_a_container_entry():
    from types import SimpleNamespace

    from cortex_racelint.confirm.families import shared_object
    from cortex_racelint.confirm.spec import NotRunnable
    from cortex_racelint.ftypes import SharedObject

    shared = SharedObject(how="container", cls="app.stats.Stats", expression="app.stats._STATS")
    with pytest.raises(NotRunnable, match="an entry of `app.stats._STATS`"):
        shared_object(SimpleNamespace(shared=shared))
