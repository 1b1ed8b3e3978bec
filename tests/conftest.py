"""Shared test helpers: the repository layout and an in-process CLI runner."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from cortex_racelint.cli import main
from cortex_racelint.ftypes import Config
from cortex_racelint.project_helpers import resolve_helpers

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>CRL\d+(?:\s*,\s*CRL\d+)*)")


def in_this_repo(config: Config) -> Config:
    """`config` resolved as for a file of this repository, which has the helper modules the
    fixes import (`cortex/utils/db_pool.py`, `fileio.py`): the fixtures are fixed as part of it."""
    return resolve_helpers(config, REPO)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run `racelint` in-process from a working directory."""

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def reported_sites(findings) -> list[tuple[str, int]]:
    """(code, line) of every finding and of the other sites of its race (`Finding.related`)."""
    return sorted([(f.code, f.line) for f in findings] + [(f.code, s.start.line) for f in findings for s in f.related])


def expected_findings(path: Path) -> list[tuple[str, int]]:
    """`# expect: CRL101` annotations next to the lines that cause them (bugbear style)."""
    found = []
    text = path.read_bytes().decode("latin-1")
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found.extend((code.strip(), number) for code in match.group("codes").split(","))
    return sorted(found)


def fixture_inputs(folder: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / folder).glob("*.py") if not p.name.endswith(".fixed.py"))


def _long_tests_selected(config: pytest.Config) -> bool:
    expression = config.getoption("markexpr") or ""
    return "fuzz" in expression and "not fuzz" not in expression


@pytest.fixture(autouse=True)
def _skip_long_unless_selected(request):
    """Tests marked `fuzz` (minutes long) run only when asked for: `pytest -m fuzz`."""
    if request.node.get_closest_marker("fuzz") and not _long_tests_selected(request.config):
        pytest.skip("long test: run with `-m fuzz`")
