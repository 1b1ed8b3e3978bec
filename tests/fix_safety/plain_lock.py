"""Fixes that would deadlock: each fix-safety case whose fix takes an `RLock`, with that lock made plain.

The reentrancy analysis chose `RLock` where the lock may be taken again by its holder; the plain
variant is the fix a careless hand would write. `--certify` must refuse every variant that really
deadlocks, with frontrun's lock cycle, and must not invent a cycle where the plain lock is harmless
(a precautionary `RLock`). Whether a variant really deadlocks is decided without racelint: the case's
own drivers run on it (`harness.run_variant`), where `self_deadlock.OwnedLock` reports a plain lock
re-acquired by its holder and frontrun explores the threaded driver.

Shared by `tests/test_confirm_deadlocks.py` and `benchmarks/confirm_speed.py`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from cortex_racelint import Config, lint_source
from cortex_racelint.confirm import Confirmation, Status, certify_fix
from cortex_racelint.confirm.build import build_spec
from cortex_racelint.confirm.certify import CONFIRMABLE
from cortex_racelint.confirm.dpor import Exploration
from cortex_racelint.confirm.models import DPOR_FAMILIES
from cortex_racelint.confirm.spec import NotRunnable

from .harness import Case, all_cases, fixed_module, run_variant

#: as the fix-safety harness lints a case
CONFIG = Config(unsafe_fixes=True, extend_select=("CRL107", "CRL403"))


@dataclass(frozen=True)
class Variant:
    case: Case
    text: str  # the fixed module with every added RLock made plain


@dataclass(frozen=True)
class Verdict:
    case: str
    code: str
    kind: str  # "refused with a cycle", "certified", "refused otherwise", "not runnable", "no model"
    message: str
    seconds: float


def plain_lock_variants() -> list[Variant]:
    """One variant per case whose fix (safe, else unsafe) added an RLock."""
    variants = []
    for case in all_cases():
        for mode in ("safe", "unsafe"):
            fixed = fixed_module(case.module, mode)
            if fixed.count("threading.RLock()") > case.module.count("threading.RLock()"):
                variants.append(Variant(case, fixed.replace("threading.RLock()", "threading.Lock()")))
                break
    return variants


def deadlocks(variant: Variant) -> Optional[str]:
    """The case's own drivers on the variant: the failure if it is a deadlock, else None."""
    failure = run_variant(variant.text, variant.case.drivers, explore=True).failure
    return failure if failure and "deadlock" in failure.lower() else None


def certify_variant(variant: Variant, folder: Path) -> list[Verdict]:
    """Certify the variant as `--certify` would after frontrun confirmed each finding of the original."""
    package = folder / f"pkg_{variant.case.name}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    path = package / "case.py"
    path.write_text(variant.case.module)
    source = path.read_bytes()
    findings = [f for f in lint_source(source, str(path), CONFIG).findings if f.code in CONFIRMABLE]
    verdicts = []
    for finding in findings:
        started = time.perf_counter()
        try:
            spec = build_spec(finding, source)
            if spec.family not in DPOR_FAMILIES:
                kind, message = "no model", f"frontrun has no model for the {spec.family} family"
            else:
                explored = Confirmation(finding, Status.CONFIRMED, "", spec, exploration=Exploration(holds=False))
                ok, message = certify_fix(explored, variant.text)
                cycle = "deadlocks" in message and "->" in message
                kind = "refused with a cycle" if cycle else ("certified" if ok else "refused otherwise")
        except NotRunnable as error:
            kind, message = "not runnable", str(error)
        verdicts.append(Verdict(variant.case.name, finding.code, kind, message, time.perf_counter() - started))
    return verdicts
