"""Record racelint's findings and fixes on three corpora, or check them against a recording.

A refactor that claims "same findings, same fixes" proves it with this script: record before the
change, compare after each step. The corpora are `fixtures/`, `fixtures/cortex_legacy/` and the
running interpreter's standard library (without `test/`); the outputs are `check --format json`
and `check --diff --unsafe-fixes`, byte for byte.

    python scripts/compare_outputs.py record DIR     # before the change
    python scripts/compare_outputs.py compare DIR    # after each step: exit 1 on any difference
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])

#: (name, path, extra arguments); paths under the repository are given relative to it, so that a
#: recording made in one checkout compares equal in another.
CORPORA = (
    ("fixtures", "fixtures", ()),
    ("cortex_legacy", "fixtures/cortex_legacy", ()),
    ("stdlib", str(STDLIB), ("--extend-exclude", "test/**,tests/**,idlelib/idle_test/**,lib2to3/tests/**")),
)
OUTPUTS = (
    ("json", ("--format", "json")),
    ("diff", ("--diff", "--unsafe-fixes")),
)


def run(corpus_path: str, extra: tuple[str, ...], mode: tuple[str, ...]) -> bytes:
    """One racelint run, uncached and single-process so the output order cannot vary."""
    command = [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "--exit-zero", *mode, *extra, corpus_path]
    env = dict(os.environ, PYTHONHASHSEED="0")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, env=env)
    # stderr carries per-file errors (unparsable files): part of the behaviour, so recorded too.
    output = result.stdout + b"\n--- stderr ---\n" + result.stderr + f"\n--- exit {result.returncode} ---\n".encode()
    # JSON names files by absolute path: the checkout's own folder is spelt `<repo>` so that
    # recordings from two checkouts (a worktree of the old commit, the new one) compare.
    return output.replace(str(ROOT).encode() + b"/", b"<repo>/")


def outputs():
    for corpus, path, extra in CORPORA:
        for name, mode in OUTPUTS:
            yield f"{corpus}.{name}", run(path, extra, mode)


def record(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in outputs():
        (directory / name).write_bytes(data)
        print(f"recorded {name}: {len(data)} bytes")
    return 0


def compare(directory: Path) -> int:
    different = 0
    for name, data in outputs():
        expected = (directory / name).read_bytes()
        if data == expected:
            print(f"identical {name} ({len(data)} bytes)")
            continue
        different += 1
        print(f"DIFFERENT {name}")
        diff = difflib.unified_diff(
            expected.decode(errors="replace").splitlines(),
            data.decode(errors="replace").splitlines(),
            "recorded",
            "now",
            lineterm="",
        )
        for line in list(diff)[:60]:
            print("    " + line)
    return 1 if different else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    return record(args.directory) if args.action == "record" else compare(args.directory)


if __name__ == "__main__":
    sys.exit(main())
