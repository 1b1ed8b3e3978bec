"""Regenerate the migrated tree `cortex/` from `fixtures/cortex_legacy/cortex/` with racelint.

    python scripts/regenerate_cortex.py          # rewrite cortex/ (helpers untouched)
    python scripts/regenerate_cortex.py --check  # exit 1 if cortex/ differs from the tool's output

`cortex/` must always be exactly `racelint --fix --unsafe-fixes` of the legacy tree, plus the
hand-written helpers the fixes import (`HAND_WRITTEN`); tests/test_migrated_tree.py checks it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cortex_racelint import Config, fix_source
from cortex_racelint.project_helpers import resolve_helpers

REPO = Path(__file__).resolve().parent.parent
LEGACY = REPO / "fixtures" / "cortex_legacy" / "cortex"
MIGRATED = REPO / "cortex"
HAND_WRITTEN = ("utils/", "parallel_llm_threaded.py")


def migrated_files() -> dict[str, bytes]:
    """What racelint makes of every legacy file, by path relative to the package."""
    out: dict[str, bytes] = {}
    # the migrated tree lives in this repository, which has the helpers the fixes import (cortex/utils/)
    config = resolve_helpers(Config(unsafe_fixes=True), REPO)
    for path in sorted(LEGACY.rglob("*.py")):
        relative = path.relative_to(LEGACY).as_posix()
        raw = path.read_bytes()
        result = fix_source(raw, str(path), config)
        if result.error or result.fix_error:
            raise SystemExit(f"{relative}: {result.error or result.fix_error}")
        out[relative] = result.new_source if result.new_source is not None else raw
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    expected = migrated_files()
    stale = [rel for rel, data in expected.items() if not (MIGRATED / rel).exists() or (MIGRATED / rel).read_bytes() != data]
    if args.check:
        for rel in stale:
            print(f"cortex/{rel} differs from racelint's output")
        return 1 if stale else 0
    for rel in stale:
        target = MIGRATED / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(expected[rel])  # a one-shot script: CRL301 leaves its entry point alone
        print(f"wrote cortex/{rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
