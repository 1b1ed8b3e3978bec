"""`racelint check`, a file linted alone (flake8, the language server) and a fix run agree on the
event-loop model (issue 18).

An event loop run on threads that the index cannot follow (`loop.run_forever()` in a thread target)
may run any coroutine. flake8 and fix runs used to lint every module with coroutines with the
project fact `loops_in_threads`, which made a coroutine's lazy-init window without an `await`
reportable; the check lints without project facts and never did (the rule pages documented the
difference). All paths now take a coroutine's window as raceable only when its own module runs
loops on threads: a loop in another module is no evidence that this coroutine runs there (the
precision labels call the project-wide reading false: distributed's `InstallPlugin._lock`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config
from cortex_racelint.project import filters, single_file

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


def _project(root: Path, server: str, handlers: str = HANDLERS) -> list[str]:
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    files = {"pkg/__init__.py": "", "pkg/server.py": server, "pkg/handlers.py": handlers}
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


#: the coroutine's own module runs the loop on two threads: the window is raceable
OWN_LOOP = HANDLERS + """

    import asyncio
    import threading


    def serve():
        asyncio.run(get_conn())


    def start():
        for _ in range(2):
            threading.Thread(target=serve).start()
"""


@pytest.mark.parametrize(
    ("server", "handlers", "expected"),
    [(SERVER, HANDLERS, []), (ONE_LOOP, HANDLERS, []), (ONE_LOOP, OWN_LOOP, [("CRL101", LAZY_LINE)])],
    ids=["loop-in-another-module", "one-loop", "own-loop-on-threads"],
)
def test_check_and_a_file_linted_alone_agree(tmp_path: Path, server: str, handlers: str, expected: list) -> None:
    paths = _project(tmp_path, server, handlers)
    checked = _handlers(run_files(paths, Config(root=tmp_path), fix=False, jobs=1))
    assert checked == _alone(tmp_path) == expected


def test_a_loop_in_another_module_is_no_fact(tmp_path: Path) -> None:
    paths = _project(tmp_path, SERVER, HANDLERS)
    results = run_files(paths, Config(root=tmp_path), fix=False, jobs=1)
    project = filters.Project({r.path: r.summary for r in results if r.summary}, paths, lambda p: Path(p).read_bytes(), Config(root=tmp_path))
    facts = filters.facts_for(project)
    assert all("loops_in_threads" not in own for own in facts.values())
    assert filters.relint_facts(filters.answers({r.path: r.findings for r in results}, project)) == {}


@pytest.mark.parametrize(("handlers", "locked"), [(HANDLERS, False), (OWN_LOOP, True)], ids=["another-module", "own-loop"])
def test_a_fix_run_fixes_what_the_check_reports(tmp_path: Path, handlers: str, locked: bool) -> None:
    paths = _project(tmp_path, SERVER, handlers)
    results = run_files(paths, Config(root=tmp_path), fix=True, jobs=1)
    fixed = next(r for r in results if r.path.endswith("handlers.py"))
    assert (fixed.new_source is not None and b"_conn_lock" in fixed.new_source) is locked
