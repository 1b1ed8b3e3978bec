"""The harness itself can fail: each detector is shown a module it must reject (and one it must pass)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import MARKER, load_case, run_variant

COUNTER = '''
import threading

_lock = threading.Lock()
counts = {"n": 0}


def bump():
    with _lock:
        counts["n"] = counts["n"] + 1
'''

DRIVERS = '''
def single_threaded(m):
    m.bump()
    return [m.counts["n"]]


def threaded(m):
    return [m.bump, m.bump]


def invariant(m):
    return m.counts["n"] == 2
'''


def test_a_locked_counter_passes_every_stage() -> None:
    run = run_variant(COUNTER, DRIVERS, explore=True)
    assert run.failure is None
    assert run.steps["single_threaded"]["output"] == "[1]"
    assert run.steps["explore"]["holds"] is True and run.steps["explore"]["explored"] >= 2


def test_a_lost_update_breaks_the_invariant() -> None:
    racy = COUNTER.replace("    with _lock:\n        counts", "    counts")
    verdict = run_variant(racy, DRIVERS, explore=True).steps["explore"]
    assert verdict["holds"] is False
    assert "counts" in verdict["explanation"]


def test_a_lock_order_inversion_is_a_deadlock() -> None:
    module = '''
import threading

a = threading.Lock()
b = threading.Lock()


def ab():
    with a:
        with b:
            pass


def ba():
    with b:
        with a:
            pass
'''
    drivers = "def single_threaded(m):\n    m.ab(); m.ba()\n    return []\n\n\ndef threaded(m):\n    return [m.ab, m.ba]\n"
    verdict = run_variant(module, drivers, explore=True).steps["explore"]
    assert verdict["holds"] is False
    assert "Deadlock" in verdict["explanation"]


def test_a_single_threaded_self_deadlock_is_reported_at_once() -> None:
    module = COUNTER + "\n\ndef twice():\n    with _lock:\n        bump()\n"
    drivers = DRIVERS.replace("    m.bump()\n", "    m.twice()\n")
    run = run_variant(module, drivers, explore=False)
    assert "single_threaded" not in run.steps and not run.timed_out
    assert "self-deadlock" in (run.failure or "") and "bump" in (run.failure or "")


def test_a_module_that_does_not_import_is_reported() -> None:
    run = run_variant("import no_such_module_anywhere\n", DRIVERS, explore=False)
    assert "import" not in run.steps
    assert "ModuleNotFoundError" in (run.failure or "")


def test_a_case_must_declare_what_racelint_does(tmp_path: Path) -> None:
    case = tmp_path / "undeclared.py"
    case.write_text(COUNTER + MARKER + "\n" + DRIVERS)
    with pytest.raises(ValueError, match="FINDINGS"):
        load_case(case)
    case.write_text(COUNTER + DRIVERS)
    with pytest.raises(ValueError, match="no line"):
        load_case(case)
