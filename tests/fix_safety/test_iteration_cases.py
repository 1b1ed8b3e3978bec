"""CRL405's fix-safety cases can fail: unfixed, the explorer makes the walk raise
`RuntimeError: dictionary changed size during iteration`; fixed, `test_fix_safety` shows it holds."""

from __future__ import annotations

import pytest

from .harness import CASES, fixed_module, load_case, run_variant

ITERATION_CASES = [
    "state_iterate_dict_while_adding", "state_json_dump_while_adding", "state_json_file_while_adding",
    "cross_module_handover_walk", "cross_module_main_side_walk",  # CRL406: a hand-over, the main-thread side
]


@pytest.mark.parametrize("name", ITERATION_CASES)
def test_the_unfixed_walk_raises_changed_size_during_iteration(name: str) -> None:
    case = load_case(CASES / f"{name}.py")
    run = run_variant(case.module, case.drivers, explore=True)
    assert run.failure is not None and "changed size during iteration" in run.failure, run.failure


def test_the_fixed_loop_walks_a_copy_and_the_dump_holds_the_lock() -> None:
    loop = fixed_module(load_case(CASES / "state_iterate_dict_while_adding.py").module, "unsafe")
    assert "totals_items = list(self.totals.items())" in loop and "for name, size in totals_items:" in loop
    dump = fixed_module(load_case(CASES / "state_json_dump_while_adding.py").module, "unsafe")
    assert "        with self._lock:\n            json.dump(self.entries, out)" in dump
