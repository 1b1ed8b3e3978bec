"""Multi-module cases (`# --- module: NAME ---`): the harness fixes the package as one project, and what the
cross-module cases claim can fail: the fix racelint refuses would deadlock, the race the fix removes is there."""

from __future__ import annotations

from .harness import CASES, MARKER, join_modules, load_case, project_run, run_variant, split_modules

PLAIN = load_case(CASES / "cross_module_plain_lock_held_by_caller.py")
HANDOVER = load_case(CASES / "cross_module_handover_tracker.py")


def test_a_case_splits_into_modules_and_joins_back() -> None:
    modules = split_modules(PLAIN.module)
    assert modules is not None and list(modules) == ["monitor", "workers"]
    assert "from .monitor import get_monitor" in modules["workers"] and MARKER not in modules["workers"]
    assert split_modules(join_modules(modules)) == modules
    assert split_modules("x = 1\n") is None


def test_the_refusal_says_why_and_the_fix_it_refuses_would_deadlock() -> None:
    results = project_run(split_modules(PLAIN.module), unsafe=True, fix=False)
    [finding] = [f for f in results["monitor"].findings if f.code == "CRL404"]
    assert finding.fix_message is None and "a caller in the project holds the object's `lock`" in finding.no_fix_reason
    naive = PLAIN.module.replace(
        "        if not ok:\n            self.failures += 1",
        "        if not ok:\n            with self.lock:\n                self.failures += 1",
    )
    assert naive != PLAIN.module
    run = run_variant(naive, PLAIN.drivers, explore=True)  # the holder re-enters `record()` on one thread
    assert run.failure is not None and "self-deadlock: a thread re-acquired a plain Lock it holds" in run.failure
    threads_only = PLAIN.drivers.replace("def single_threaded(m):\n", "def single_threaded(m):\n    return []\n")
    verdict = run_variant(naive, threads_only, explore=True).steps["explore"]
    assert verdict["holds"] is False and "Deadlock detected" in verdict["explanation"], verdict


def test_the_race_the_cross_module_fix_removes_breaks_the_invariant_unfixed() -> None:
    verdict = run_variant(HANDOVER.module, HANDOVER.drivers, explore=True).steps["explore"]
    assert verdict["holds"] is False
