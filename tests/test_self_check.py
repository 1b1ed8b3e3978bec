"""racelint passes its own checks: the tool runs its visitors on worker threads on a
free-threaded build, so its own memo caches, cache database and helpers must be race-free.

Every rule is selected (CRL001 too: each `# racelint: ignore[...]` in the tree must still
be needed, and each says why). The repository's `[tool.racelint]` applies: `fixtures/`
is racy on purpose, and the scaffold templates are the pool module once scaffolded.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_racelint_reports_nothing_on_its_own_code(run_cli):
    result = run_cli("check", "--no-cache", "--select", "ALL", "cortex_racelint", "benchmarks", "scripts", "tests", cwd=REPO)
    assert result.code == 0, result.out + result.err
    assert "All checks passed!" in result.out


def test_the_fixtures_are_still_racy(run_cli):
    """The exclusion is the config's, not a blind spot: named explicitly, fixtures are reported."""
    result = run_cli("check", "--no-cache", "fixtures/singletons/global_is_none.py", cwd=REPO)
    assert result.code == 1 and "CRL101" in result.out
