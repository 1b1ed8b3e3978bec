"""Lazy accessors first called at import (issue 15: botocore's `get_global_history_recorder`).

A top-level statement calling the accessor, in its own module or in another module of the
project, makes the global under the import lock before any thread can call it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

from cortex_racelint.api import run_files
from cortex_racelint.engine.lint import lint_source
from cortex_racelint.ftypes import Config

HISTORY = textwrap.dedent("""
    class Recorder:
        def __init__(self):
            self.handlers = []


    RECORDER = None


    def get_recorder():
        global RECORDER
        if RECORDER is None:
            RECORDER = Recorder()
        return RECORDER
""")
CHECK_LINE = 12
CLIENT = "from pkg.history import get_recorder\n\nrecorder = get_recorder()\n"


def _crl101(source: str) -> list[int]:
    result = lint_source(source.encode(), "history.py", Config(), "history.py")
    return [f.line for f in result.findings if f.code == "CRL101"]


def test_the_accessor_alone_is_reported() -> None:
    assert _crl101(HISTORY) == [CHECK_LINE]


def test_called_at_the_bottom_of_its_own_module_it_is_not_reported() -> None:
    assert _crl101(HISTORY + "\n\nrecorder = get_recorder()\n") == []
    assert _crl101(HISTORY + "\n\nget_recorder().handlers.append(print)\n") == []


def test_a_call_that_may_not_run_at_import_keeps_it() -> None:
    assert _crl101(HISTORY + "\n\nif DEBUG:\n    recorder = get_recorder()\n") == [CHECK_LINE]
    assert _crl101(HISTORY + "\n\nlater = lambda: get_recorder()\n") == [CHECK_LINE]
    assert _crl101(HISTORY + "\n\ndef main():\n    get_recorder()\n") == [CHECK_LINE]


def test_a_function_resetting_the_global_keeps_it() -> None:
    """`reset()` re-opens the window after import: the next first call races again."""
    reset = "\n\ndef reset():\n    global RECORDER\n    RECORDER = None\n"
    assert _crl101(HISTORY + reset + "\n\nrecorder = get_recorder()\n") == [CHECK_LINE]


def _project(root: Path, history: str = HISTORY, client: Optional[str] = CLIENT, fix: bool = False) -> list:
    files = {"pkg/__init__.py": "", "pkg/history.py": history}
    if client is not None:
        files["pkg/client.py"] = client
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    return run_files(sorted(paths), Config(root=root), fix=fix, jobs=1)


def _lines(results: list) -> list[int]:
    return [f.line for r in results for f in r.findings if f.code == "CRL101"]


def test_called_at_import_of_another_module_it_is_not_reported(tmp_path: Path) -> None:
    assert _lines(_project(tmp_path)) == []


def test_without_that_module_it_is_reported(tmp_path: Path) -> None:
    assert _lines(_project(tmp_path, client=None)) == [CHECK_LINE]


def test_a_call_inside_a_function_of_the_other_module_keeps_it(tmp_path: Path) -> None:
    client = "from pkg.history import get_recorder\n\n\ndef handle():\n    return get_recorder()\n"
    assert _lines(_project(tmp_path, client=client)) == [CHECK_LINE]


def test_a_reset_elsewhere_in_the_module_keeps_it_in_a_project(tmp_path: Path) -> None:
    reset = "\n\ndef reset():\n    global RECORDER\n    RECORDER = None\n"
    assert _lines(_project(tmp_path, history=HISTORY + reset)) == [CHECK_LINE]


def test_a_project_fix_leaves_the_accessor_alone(tmp_path: Path) -> None:
    results = {Path(r.path).name: r for r in _project(tmp_path, fix=True)}
    assert results["history.py"].fixed_count == 0
    alone = {Path(r.path).name: r for r in _project(tmp_path / "alone", client=None, fix=True)}
    assert alone["history.py"].fixed_count == 1
