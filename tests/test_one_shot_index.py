"""The one-shot callers test indexes the names once per run (issue 18's hot path).

A fix run asks about every candidate name; counting each in the text of every file cost
4-8 s on the standard library. `_NameIndex` settles, from the summaries alone, every name some
module calls outside one-shot code: such a call is a mention nothing explains, so the text
count could only have rejected it. The answers must not change.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from unittest import mock

from cortex_racelint.project import one_shot_callers
from cortex_racelint.project.summary import build_summary

from .test_project_one_shot import _project

REPO = Path(__file__).resolve().parent.parent


def _summaries(paths: list[str]) -> dict[str, dict]:
    return {p: build_summary(ast.parse(Path(p).read_bytes())) for p in paths}


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


class _Reads:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: str) -> bytes:
        self.paths.append(path)
        return Path(path).read_bytes()


def test_a_name_service_code_calls_is_settled_without_reading_a_file(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    summaries = _summaries(paths)
    index = one_shot_callers._NameIndex(summaries)
    assert "refresh" in index.busy  # `serve()` calls it
    assert "copy_config_file" not in index.busy  # only `init_config_files()` calls it
    extra = "\n\n_profiles = ProfileDir('/tmp/y')\n\n\ndef cron():\n    _profiles.copy_config_file('b.py', '/src')\n"
    (tmp_path / "app/application.py").write_text((tmp_path / "app/application.py").read_text() + extra)
    summaries = _summaries(paths)
    assert "copy_config_file" in one_shot_callers._NameIndex(summaries).busy
    reads = _Reads()
    assert one_shot_callers.one_shot_functions(summaries, paths, reads) == {}
    assert reads.paths == []  # every candidate settled by the index: no file read


def test_the_index_gives_the_text_counts_answers(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    summaries = _summaries(paths)
    facts = one_shot_callers.one_shot_functions(summaries, paths, _read)
    assert facts == {str(tmp_path / "app/profiles.py"): {"ProfileDir.copy_config_file": mock.ANY}}

    class NoIndex(one_shot_callers._NameIndex):
        def __init__(self, summaries: dict) -> None:
            super().__init__(summaries)
            self.busy = set()

    with mock.patch.object(one_shot_callers, "_NameIndex", NoIndex):
        assert one_shot_callers.one_shot_functions(summaries, paths, _read) == facts


def test_the_cost_benchmark_runs_and_finds_the_same_facts(tmp_path: Path) -> None:
    _project(tmp_path)
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "one_shot_cost.py"), str(tmp_path), "--repeat", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "one-shot functions: 1, same facts: True" in out.stdout
