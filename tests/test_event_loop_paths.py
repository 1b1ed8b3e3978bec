"""`racelint check` and a file linted alone (flake8, the language server) agree on the event-loop model.

An event loop run on threads that the index cannot follow (`loop.run_forever()` in a thread target)
may run any coroutine: the project fact `loops_in_threads` then makes a coroutine's lazy-init window
without an `await` raceable (`analysis/asyncio_loops.loops_on_threads`). flake8 lints each file with
that fact; the check used to lint without it (phase 1 has no project facts) and only dropped
findings afterwards, so it missed the finding flake8 made. Now the filter names the fact in
`relints` and the check re-lints such a file with it (`filters.relint_facts`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.engine.cache import ResultCache
from cortex_racelint.ftypes import Config
from cortex_racelint.project import filters, single_file
from cortex_racelint.project.phase import ProjectStats

SERVER = """
    import asyncio
    import threading

    from pkg import handlers


    def serve():
        loop = asyncio.new_event_loop()
        loop.run_forever()  # not followed: this loop may run any coroutine of the project


    def start():
        for _ in range(2):
            threading.Thread(target=serve).start()
"""
#: the loop runs on the calling thread only: one thread runs every coroutine
ONE_LOOP = """
    import asyncio

    from pkg import handlers


    def main():
        asyncio.run(handlers.get_conn())
"""
HANDLERS = """
    import sqlite3

    _conn = None


    async def get_conn():
        global _conn
        if _conn is None:
            _conn = sqlite3.connect("db.sqlite")  # no await in the window
        return _conn
"""
LAZY_LINE = 9  # `_conn = sqlite3.connect(...)` (the text starts with a blank line)


def _project(root: Path, server: str) -> list[str]:
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    files = {"pkg/__init__.py": "", "pkg/server.py": server, "pkg/handlers.py": HANDLERS}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return sorted(str(root / name) for name in files)


def _handlers(results: list) -> list[tuple[str, int]]:
    return sorted((f.code, f.line) for r in results if r.path.endswith("handlers.py") for f in r.findings)


def _alone(root: Path) -> list[tuple[str, int]]:
    path = root / "pkg/handlers.py"
    result = single_file.lint_in_project(path.read_bytes(), str(path), Config(root=root))
    return _handlers([result])


@pytest.mark.parametrize(("server", "expected"), [(SERVER, [("CRL101", LAZY_LINE)]), (ONE_LOOP, [])], ids=["threads", "one-loop"])
def test_check_and_a_file_linted_alone_agree(tmp_path: Path, server: str, expected: list) -> None:
    paths = _project(tmp_path, server)
    checked = _handlers(run_files(paths, Config(root=tmp_path), fix=False, jobs=1))
    assert checked == _alone(tmp_path) == expected


def test_the_fact_reaches_only_files_with_coroutines(tmp_path: Path) -> None:
    paths = _project(tmp_path, SERVER)
    stats = ProjectStats()
    results = run_files(paths, Config(root=tmp_path), fix=False, jobs=1, stats=stats)
    project = filters.Project({r.path: r.summary for r in results if r.summary}, paths, lambda p: Path(p).read_bytes(), Config(root=tmp_path))
    again = filters.relint_facts(filters.answers({r.path: r.findings for r in results}, project))
    assert list(again) == [str(tmp_path / "pkg/handlers.py")]  # server.py has no coroutine
    assert again[str(tmp_path / "pkg/handlers.py")]["loops_in_threads"] is True
    assert stats.relinted == 1


def test_a_warm_check_reads_the_relint_from_the_cache(tmp_path: Path) -> None:
    paths = _project(tmp_path, SERVER)
    cold, warm = ProjectStats(), ProjectStats()
    first = run_files(paths, Config(root=tmp_path), fix=False, jobs=1, cache=ResultCache(tmp_path), stats=cold)
    second = run_files(paths, Config(root=tmp_path), fix=False, jobs=1, cache=ResultCache(tmp_path), stats=warm)
    assert _handlers(first) == _handlers(second) == [("CRL101", LAZY_LINE)]
    assert cold.relinted == 1 and warm.relinted == 0


def test_a_fix_run_fixes_what_the_check_reports(tmp_path: Path) -> None:
    paths = _project(tmp_path, SERVER)
    results = run_files(paths, Config(root=tmp_path), fix=True, jobs=1)
    fixed = next(r for r in results if r.path.endswith("handlers.py"))
    assert fixed.new_source is not None and b"_conn_lock" in fixed.new_source
