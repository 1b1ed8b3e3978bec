"""Issue 19's deadlock target: every fix of a fix-safety case that would deadlock is refused with its lock cycle.

The variants are the cases' `RLock` fixes made plain (`tests/fix_safety/plain_lock.py`). Whether one
really deadlocks is decided by the case's own drivers, not by racelint; racelint's certificate must
agree: a cycle for each one that deadlocks, none for a plain lock that is harmless.
"""

from __future__ import annotations

import pytest

from tests.fix_safety.plain_lock import certify_variant, deadlocks, plain_lock_variants

pytest.importorskip("frontrun")


def test_every_plain_lock_variant_that_deadlocks_is_refused_with_its_cycle(tmp_path):
    variants = plain_lock_variants()
    truth = {variant.case.name: deadlocks(variant) for variant in variants}
    assert sum(1 for why in truth.values() if why) >= 7  # recursion, a factory, a metaclass, callers...
    wrong = []
    for variant in variants:
        verdicts = certify_variant(variant, tmp_path)
        assert verdicts, f"{variant.case.name}: no finding to certify"
        cycles = [v for v in verdicts if v.kind == "refused with a cycle"]
        if truth[variant.case.name] and not cycles:
            wrong += [f"{v.case} {v.code}: {v.kind}: {v.message}" for v in verdicts]
        if not truth[variant.case.name] and cycles:
            wrong += [f"{v.case} {v.code}: a cycle where the drivers run fine: {v.message}" for v in cycles]
    assert not wrong, "\n".join(wrong)
