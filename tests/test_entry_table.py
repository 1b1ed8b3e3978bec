"""One thread-entry table (`analysis.entry_table`) for the LibCST rules and the project index (issue 18)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from cortex_racelint.analysis.entry_table import ENTRY_TABLE, THREAD_STARTS, table_markdown
from cortex_racelint.analysis.names import ImportMap
from cortex_racelint.analysis.thread_syntax import thread_target
from cortex_racelint.project.entries import entries_for
from cortex_racelint.project.join import join
from cortex_racelint.project.summary import build_summary

ROOT = Path(__file__).resolve().parent.parent

MONITOR = """
    class Monitor:
        def __init__(self):
            self.failures = 0

        def record(self, ok):
            if not ok:
                self.failures += 1


    _monitor = Monitor()


    def get_monitor():
        return _monitor
"""

#: a project's own pool: nothing racelint knows starts a thread here, unless the user says so
JOBS = """
    from mylib import spawn

    from app.monitor import get_monitor


    def check(url):
        get_monitor().record(url.startswith("https"))


    def run(urls):
        for url in urls:
            spawn(check, url)
"""

WORKER = """
    from mylib import Worker

    from app.monitor import get_monitor


    class Checker(Worker):
        def run_job(self, url):
            get_monitor().record(url.startswith("https"))
"""


def _project(root: Path, files: dict[str, str], pyproject: str = "") -> None:
    for name, text in {"app/__init__.py": "", "app/monitor.py": MONITOR, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    if pyproject:
        (root / "pyproject.toml").write_text(pyproject)


def _crl404(result) -> list[str]:
    return [line for line in result.out.splitlines() if "CRL404" in line]


@pytest.mark.parametrize(
    "files,entry",
    [
        ({"app/jobs.py": JOBS}, '{ call = "mylib.spawn", arg = 0 }'),
        ({"app/worker.py": WORKER}, '{ base = "mylib.Worker", methods = ["run_job"] }'),
    ],
    ids=["call", "base"],
)
def test_a_user_declared_entry_reaches_the_cross_module_join(run_cli, tmp_path, files, entry):
    _project(tmp_path, files)
    before = run_cli("check", "--no-cache", "--select", "CRL404", ".", cwd=tmp_path)
    assert _crl404(before) == []  # `spawn` / `Worker` mean nothing to racelint on their own
    (tmp_path / "pyproject.toml").write_text(f"[tool.racelint]\nthread-entries = [{entry}]\n")
    after = run_cli("check", "--no-cache", "--select", "CRL404", ".", cwd=tmp_path)
    [finding] = _crl404(after)
    assert "monitor.py:8" in finding  # `self.failures += 1`, in another module than the entry


def test_a_framework_row_reaches_the_join(tmp_path):
    """A request handler of a threading server (a framework row) calls the shared monitor in another module."""
    handler = """
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from app.monitor import get_monitor


        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                get_monitor().record(self.path == "/")


        def serve():
            ThreadingHTTPServer(("", 8000), Handler).serve_forever()
    """
    _project(tmp_path, {"app/handler.py": handler})
    facts = join({str(p): build_summary(ast.parse(p.read_bytes())) for p in tmp_path.rglob("*.py")})
    methods = facts[str(tmp_path / "app/monitor.py")]["classes"]["Monitor"]["methods"]
    assert methods["record"]["attrs"] == ["failures"]
    assert "request handler `self.do_GET`" in methods["record"]["paths"][0][0][3]
    # without a threading server, one thread serves every request: no entry
    plain = textwrap.dedent(handler).replace("ThreadingHTTPServer", "HTTPServer")
    (tmp_path / "app/handler.py").write_text(plain)
    assert join({str(p): build_summary(ast.parse(p.read_bytes())) for p in tmp_path.rglob("*.py")}) == {}


@pytest.mark.parametrize("spec", THREAD_STARTS, ids=lambda s: s.call)
def test_both_consumers_read_the_same_thread_start_rows(spec):
    """Each thread-start row, spelt with its callable by keyword and by position, is an entry for
    the LibCST rules (`thread_target`) and for the index (`Entries.call`) alike."""
    module, _, name = spec.call.rpartition(".")
    head = f"{module}.{name}" if module else f"pool.{name}"
    padding = ", ".join(["None"] * spec.arg)
    for args in (f"{spec.keyword}=work", f"{padding + ', ' if padding else ''}work"):
        source = f"import {module or 'os'}\n{head}({args})\n"
        ast_call = ast.parse(source).body[1].value
        entry = entries_for().call(ast_call)
        assert entry is not None and ast.unparse(entry.target) == "work", source
        tree = cst.parse_module(source)
        cst_call = tree.body[1].body[0].value
        found = thread_target(cst_call, ImportMap.from_module(tree))
        assert found is not None and found[0] == spec.kind and cst.Module([]).code_for_node(found[1]) == "work", source


def test_a_registry_register_is_not_an_atexit_handler():
    call = ast.parse("registry.register(callback)").body[0].value
    assert entries_for().call(call) is None
    assert entries_for().call(ast.parse("atexit.register(callback)").body[0].value) is not None


def test_the_documented_table_is_the_table():
    """`docs/THREAD_ENTRIES.md` shows the rows the code reads (paste `entry_table.table_markdown()` after a change of the rows)."""
    page = (ROOT / "docs/THREAD_ENTRIES.md").read_text()
    assert table_markdown(ENTRY_TABLE) in page
