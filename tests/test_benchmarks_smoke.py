"""Smoke test: each benchmark script runs in `--quick` mode and prints its tables.

Timings are not asserted (CI machines are noisy); what is asserted is that every
command ran (exit 0), every table and row is there with numbers in it, and the
deterministic checks hold: the warm cache re-lints nothing, an edited file is the only
one re-linted, and every LLM executor returns the sequential answers (the script exits
1 otherwise). Both scripts run at once: the LLM benchmark mostly sleeps.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
NUMBER = r"\d+\.\d+"

TINY_CORPUS = {
    "singleton.py": (
        "_instance = None\n\n\n"
        "def get_instance():\n"
        "    global _instance\n"
        "    if _instance is None:\n"
        "        _instance = object()\n"
        "    return _instance\n"
    ),
    **{f"plain_{i}.py": f"import os\n\n\ndef join_{i}(path):\n    return os.path.join(path, '{i}')\n" for i in range(8)},
}


def _row(text: str, first_cell: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith(f"| {first_cell}"):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no table row starting with {first_cell!r} in:\n{text}")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    corpus = tmp_path_factory.mktemp("tiny_corpus")
    for name, source in TINY_CORPUS.items():
        (corpus / name).write_text(source)
    commands = {
        "lint": [sys.executable, str(BENCH / "lint_speed.py"), "--quick", str(corpus)],
        "llm": [sys.executable, str(BENCH / "parallel_llm_bench.py"), "--quick"],
    }
    procs = {
        key: subprocess.Popen(cmd, cwd=corpus, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for key, cmd in commands.items()
    }
    results = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[key] = subprocess.CompletedProcess(commands[key], proc.returncode, out, err)
    return results


def test_lint_speed_quick_prints_its_tables(outputs):
    run = outputs["lint"]
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert f"- {len(TINY_CORPUS)} files," in out
    assert "| measurement | wall s | CPU s | x flake8 default | x ast.parse | notes |" in out
    for first in (
        "ast.parse every file",
        "libcst.parse_module every file",
        "flake8 default checks",
        "flake8 --select CRL",
        "racelint check --no-cache (cold)",
        "racelint check, warm cache, nothing changed",
        "racelint check, warm cache, 1 file edited",
        "racelint --fix --unsafe-fixes",
    ):
        cells = _row(out, first)
        assert re.fullmatch(NUMBER, cells[1]), cells
        assert re.fullmatch(NUMBER + "x", cells[3]) and re.fullmatch(NUMBER + "x", cells[4]), cells
    assert "1 findings" in _row(out, "racelint check --no-cache (cold)")[5]
    assert re.search(r"largest process \d+ MB", _row(out, "peak memory")[5])
    assert "| target (issue 7) | measured | result |" in out
    for first in ("cold <= 0.25x flake8 default", "cold <= 4x ast.parse", "warm, nothing changed <= 1 s",
                  "--fix --unsafe-fixes of the legacy tree", "peak memory with --jobs 2"):
        assert _row(out, first)[2] in ("PASS", "FAIL"), first
    assert _row(out, "warm, nothing changed: 0 files re-linted")[1:] == ["0", "PASS"]
    assert _row(out, "one file edited: only it re-linted")[1:] == ["1", "PASS"]
    assert "ERROR" not in out


def test_parallel_llm_bench_quick_prints_its_tables(outputs):
    run = outputs["llm"]
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    for module in ("llm_provider", "parallel_llm", "parallel_llm_threaded"):
        assert re.search(rf"^\| cortex\.{module} \| (legacy|migrated) \(", out, re.M), module
    sequential = _row(out, "sequential")
    assert re.fullmatch(NUMBER, sequential[1]) and float(sequential[1]) > 0.5, sequential  # 5 x 182 ms
    for first in ("ParallelLLMExecutor", "ThreadedLLMExecutor(max_workers=5)"):
        cells = _row(out, first)
        assert re.fullmatch(NUMBER, cells[1]) and re.fullmatch(NUMBER + "x", cells[2]), cells
        assert cells[4] in ("PASS", "FAIL"), cells
    assert "| operation | threads | target | legacy p50 / p99 ms | result | migrated p50 / p99 ms | result |" in out
    for first in ("semantic cache hit", "semantic cache write", "record transaction", "hardware detect (all)"):
        cells = _row(out, first)
        assert re.match(rf"{NUMBER} / {NUMBER}", cells[3]), cells  # the legacy tree always has every module
        assert cells[5] == "n/a (not migrated yet)" or re.match(rf"{NUMBER} / {NUMBER}", cells[5]), cells
    assert "ERROR" not in out
