"""CRL304's evidence of a second thread (issue 18): a thread entry the project index sees reaching the
function, named in the message with the path from it; otherwise the message says two threads are
assumed from the shared path. `racelint check` and a file linted alone (flake8) say the same.

Also pinned: a module-function load-modify-save whose loader is another module function
(`entries = _load(); ...; _save(entries)`) is found by the check, whose prefilter used to cut
the loader out of the narrowed source (flake8 found it, the check did not).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config
from cortex_racelint.output import sarif
from cortex_racelint.project import single_file

HISTORY = """
    import json

    PATH = "history.json"


    def _load():
        with open(PATH) as f:
            return json.load(f)


    def _save(entries):
        with open(PATH, "w") as f:
            json.dump(entries, f)


    def add(entry):
        entries = _load()
        entries.append(entry)
        _save(entries)


    class Favourites:
        def __init__(self, path):
            self.path = path

        def _read(self):
            with open(self.path) as f:
                return json.load(f)

        def _write(self, items):
            with open(self.path, "w") as f:
                json.dump(items, f)

        def star(self, item):
            items = self._read()
            items.append(item)
            self._write(items)


    FAVOURITES = Favourites("favourites.json")
"""
WORKER = """
    import threading

    from app import history


    def work(n):
        history.add(n)
        history.FAVOURITES.star(n)


    def start():
        for n in range(2):
            threading.Thread(target=work, args=(n,)).start()
"""
#: nothing starts a thread: the second caller is assumed (a library's users, say)
NO_THREADS = """
    from app import history


    def work(n):
        history.add(n)
        history.FAVOURITES.star(n)
"""
ADD_LINE, STAR_LINE = 20, 38  # the save calls (the texts start with a blank line)
ENTRY = "thread target `work` started in `app.worker.start`"


def _project(root: Path, worker: str) -> list[str]:
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    files = {"app/__init__.py": "", "app/history.py": HISTORY, "app/worker.py": worker}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return sorted(str(root / name) for name in files)


def _crl304(results: list) -> dict[int, object]:
    return {f.line: f for r in results for f in r.findings if f.code == "CRL304"}


def _checked(root: Path, worker: str) -> dict[int, object]:
    return _crl304(run_files(_project(root, worker), Config(root=root), fix=False, jobs=1))


def _alone(root: Path) -> dict[int, object]:
    path = root / "app/history.py"
    return _crl304([single_file.lint_in_project(path.read_bytes(), str(path), Config(root=root))])


def test_a_thread_entry_reaching_the_function_is_named_with_its_path(tmp_path: Path) -> None:
    found = _checked(tmp_path, WORKER)
    assert sorted(found) == [ADD_LINE, STAR_LINE]
    for line, finding in found.items():
        assert f"; {ENTRY} reaches it" in finding.message and "assumed" not in finding.message
        first, *middle, last = finding.flow
        assert first.path.endswith("worker.py") and first.message == ENTRY
        assert middle and middle[-1].path.endswith("worker.py")  # `work` calls the function
        assert last.path.endswith("history.py") and last.line == line


def test_without_a_thread_entry_the_second_thread_is_assumed(tmp_path: Path) -> None:
    found = _checked(tmp_path, NO_THREADS)
    assert sorted(found) == [ADD_LINE, STAR_LINE]  # the finding stays: today's evidence (a shared path)
    for finding in found.values():
        assert "two threads are assumed from the shared path" in finding.message
        assert finding.flow == ()


@pytest.mark.parametrize("worker", [WORKER, NO_THREADS], ids=["entry", "assumed"])
def test_check_and_a_file_linted_alone_agree(tmp_path: Path, worker: str) -> None:
    checked = _checked(tmp_path, worker)
    alone = _alone(tmp_path)
    assert {l: (f.message, f.flow) for l, f in checked.items()} == {l: (f.message, f.flow) for l, f in alone.items()}


def test_sarif_carries_the_path_from_the_entry(tmp_path: Path) -> None:
    paths = _project(tmp_path, WORKER)
    results = run_files(paths, Config(root=tmp_path), fix=False, jobs=1)
    findings = sorted((f for r in results for f in r.findings if f.code == "CRL304"), key=lambda f: f.line)
    document = json.loads(sarif(findings, [], config=Config(root=tmp_path)))
    for result in document["runs"][0]["results"]:
        (flow,) = result["codeFlows"]
        locations = flow["threadFlows"][0]["locations"]
        assert locations[0]["location"]["physicalLocation"]["artifactLocation"]["uri"] == "app/worker.py"
        assert locations[0]["location"]["message"]["text"] == ENTRY
