"""Every case x {safe, unsafe}: the fixed module imports, behaves as before single-threaded, and its
threads explored by frontrun's DPOR never deadlock and keep the invariant (see README.md)."""

from __future__ import annotations

import pytest

from .harness import MODES, Case, all_cases, fixed_module, original_run, reported_codes, run_variant

CASES = all_cases()

# (case, mode) -> the fix defect that makes it fail today. strict: a later fix flips it to a failure here.
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}


def _params() -> list:
    params = []
    for case in CASES:
        for mode in MODES:
            reason = KNOWN_DEFECTS.get((case.name, mode))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(case, mode, marks=marks, id=f"{case.name}-{mode}"))
    return params


def test_the_harness_has_enough_cases() -> None:
    assert len(CASES) >= 40
    assert set(KNOWN_DEFECTS) <= {(case.name, mode) for case in CASES for mode in MODES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_racelint_reports_what_the_case_declares(case: Case) -> None:
    """No vacuous pass: a case racelint stopped touching must say so (UNTOUCHED), or this fails."""
    codes = reported_codes(case.module)
    if case.untouched:
        assert not codes, f"declared untouched ({case.untouched}) but reported {sorted(codes)}"
        assert all(fixed_module(case.module, mode) == case.module for mode in MODES)
    else:
        assert set(case.findings) <= codes, f"expected {case.findings}, reported {sorted(codes)}"
    original = original_run(case)
    assert original.failure is None, f"the unfixed case itself does not run: {original.failure}"


@pytest.mark.parametrize("case, mode", _params())
def test_fix_is_safe(case: Case, mode: str) -> None:
    fixed = fixed_module(case.module, mode)
    assert (fixed != case.module) == (mode in case.fixed_in), (
        f"{mode} fix {'changed' if fixed != case.module else 'left'} the module; declared FIXED_IN={case.fixed_in}"
    )
    if fixed == case.module:
        return  # nothing to check: the unfixed code's own races are the rule's business, not the fix's
    run = run_variant(fixed, case.drivers, explore=True)
    assert "import" in run.steps, f"fixed module does not import: {run.failure}\n{fixed}"
    assert "single_threaded" in run.steps, f"single-threaded driver failed: {run.failure}\n{fixed}"
    before = original_run(case).steps["single_threaded"]["output"]
    after = run.steps["single_threaded"]["output"]
    if not (mode == "unsafe" and case.unsafe_difference):
        assert after == before, f"single-threaded behaviour changed\nbefore: {before}\nafter:  {after}\n{fixed}"
    assert "explore" in run.steps, f"exploration did not finish: {run.failure}\n{fixed}"
    verdict = run.steps["explore"]
    assert verdict["holds"] is True, f"frontrun ({verdict['explored']} interleavings): {verdict['explanation']}\n{fixed}"
