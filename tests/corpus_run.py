"""Real-corpus run: `racelint check` and `racelint --fix --unsafe-fixes --diff` over real code.

Not a pytest module (its name does not match `test_*.py`); run it by hand or in a
nightly job:

    .venv/bin/python tests/corpus_run.py --jobs 2            # stdlib (with test/) + the venv's site-packages
    .venv/bin/python tests/corpus_run.py --limit 300 PATH... # a quick look at some folders

Both verbs run as subprocesses of `python -m cortex_racelint` on batches of explicitly
named files (so the discovery excludes, e.g. `build/` folders, do not hide any file).
Asserted, per batch:
- no crash: exit code 0/1/2, never a signal; no traceback; the JSON output parses;
- exit 2 if and only if a file was reported as an error;
- the run continues past a bad file: re-running the batch without its bad files
  reports exactly the same findings for the other files;
- no fix is reverted (`fix reverted` means a fix broke the code; each is a bug), and
  every diff, applied to the original, parses (LibCST), compiles and is stable under
  a second `fix_source` (idempotent).
Printed: files, lines, bytes, findings per code, errors by kind, fixes, wall times.
Exit status 0 when every assertion holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cortex_racelint import Config, fix_source  # noqa: E402
from cortex_racelint.engine.sourcefile import NewlineStyle  # noqa: E402

ERROR_LINE = re.compile(r"^(?P<path>/.*?):(?P<line>\d+):(?P<col>\d+): error: (?P<message>.*)$")
HUNK = re.compile(r"^@@ -(?P<old>\d+)(?:,(?P<old_len>\d+))? \+(?P<new>\d+)(?:,(?P<new_len>\d+))? @@")


def default_roots() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = [stdlib]
    for key in ("purelib", "platlib"):
        site = Path(sysconfig.get_paths()[key])
        if site.exists() and site not in roots:
            roots.append(site)
    return roots


def collect(roots: list[Path], limit: Optional[int]) -> list[str]:
    """Every `*.py` under the roots (the stdlib's own `site-packages` is not the stdlib)."""
    seen: set[str] = set()
    files: list[str] = []
    stdlib_site = Path(sysconfig.get_paths()["stdlib"]) / "site-packages"
    for root in roots:
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = sorted(
                s for s in subfolders if s != "__pycache__" and not (Path(folder) / s == stdlib_site and stdlib_site not in roots)
            )
            for name in sorted(names):
                if not name.endswith(".py"):
                    continue
                full = os.path.join(folder, name)
                real = os.path.realpath(full)
                if real in seen or not os.path.isfile(full):
                    continue
                seen.add(real)
                files.append(os.path.abspath(full))
    return files[:limit] if limit else files


def racelint(args: list[str], files: list[str], jobs: int, cwd: str, timeout: int) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "--jobs", str(jobs), *args, *files]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=cwd, capture_output=True, timeout=timeout, env=env)


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.findings: collections.Counter = collections.Counter()
        self.errors: dict[str, str] = {}  # path -> message
        self.reverted: dict[str, str] = {}
        self.fix_errors: dict[str, str] = {}  # errors of the --diff run on files `check` handled
        self.fixed_files = 0
        self.diff_failures: list[str] = []
        self.not_idempotent: list[str] = []
        self.times: dict[str, float] = collections.defaultdict(float)

    def fail(self, message: str) -> None:
        self.failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr, flush=True)


def check_crash(report: Report, verb: str, batch_no: int, run: subprocess.CompletedProcess) -> bool:
    stderr = run.stderr.decode("utf-8", "replace")
    if run.returncode not in (0, 1, 2):
        report.fail(f"{verb} batch {batch_no}: exit {run.returncode} (crash?) {stderr[-1500:]}")
        return False
    if "Traceback (most recent call last)" in stderr or "Traceback (most recent call last)" in run.stdout.decode("utf-8", "replace"):
        report.fail(f"{verb} batch {batch_no}: traceback: {stderr[-1500:]}")
        return False
    return True


def run_check(report: Report, batches: list[list[str]], jobs: int, cwd: str, timeout: int) -> None:
    for number, batch in enumerate(batches):
        start = time.monotonic()
        run = racelint(["--format", "json"], batch, jobs, cwd, timeout)
        report.times["check"] += time.monotonic() - start
        if not check_crash(report, "check", number, run):
            continue
        try:
            items = json.loads(run.stdout or b"[]")
        except json.JSONDecodeError as error:
            report.fail(f"check batch {number}: output is not JSON ({error}): {run.stdout[:300]!r}")
            continue
        errors = {i["filename"]: i["message"] for i in items if i["code"] is None}
        findings = [(i["filename"], i["location"]["row"], i["location"]["column"], i["code"]) for i in items if i["code"]]
        report.errors.update(errors)
        report.findings.update(code for *_, code in findings)
        if bool(errors) != (run.returncode == 2):
            report.fail(f"check batch {number}: exit {run.returncode} with {len(errors)} errors")
        if errors:  # the run continues past bad files: the others' findings do not depend on them
            rest = [f for f in batch if f not in errors]
            again = racelint(["--format", "json"], rest, jobs, cwd, timeout)
            if check_crash(report, "check (without bad files)", number, again):
                expected = sorted(f for f in findings if f[0] not in errors)
                got = sorted(
                    (i["filename"], i["location"]["row"], i["location"]["column"], i["code"])
                    for i in json.loads(again.stdout or b"[]")
                    if i["code"]
                )
                if got != expected:
                    report.fail(f"check batch {number}: findings differ once the bad files are removed")
        print(f"  check batch {number + 1}/{len(batches)}: {len(findings)} findings, {len(errors)} errors, exit {run.returncode}", flush=True)


def split_diff(stdout: str) -> tuple[dict[str, list[str]], list[str]]:
    """Per-file diff lines (`--- a/<path>` headers) and the error lines."""
    diffs: dict[str, list[str]] = {}
    errors: list[str] = []
    current: Optional[list[str]] = None
    lines = stdout.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("--- a/") and index + 1 < len(lines) and lines[index + 1].startswith("+++ b/"):
            path = line[len("--- a/") :].rstrip("\r\n")
            current = diffs.setdefault(path, [])
            index += 2
            continue
        if current is not None and (line[:1] in (" ", "+", "-") or line.startswith("@@")):
            current.append(line)
        elif ERROR_LINE.match(line.rstrip("\n")):
            errors.append(line.rstrip("\n"))
            current = None
        elif line.strip():
            if current is not None:  # a diffed line that ended without a newline ran into this one
                current.append(line)
        index += 1
    return diffs, errors


def apply_diff(old: list[str], hunks: list[str]) -> Optional[list[str]]:
    """Apply a unified diff (as written by `difflib.unified_diff`) to `old` lines; None if it does not fit."""
    new: list[str] = []
    position = 0
    index = 0
    while index < len(hunks):
        match = HUNK.match(hunks[index])
        if not match:
            return None
        start = int(match["old"]) - (0 if match["old_len"] == "0" else 1)
        if start < position:
            return None
        new.extend(old[position:start])
        position = start
        index += 1
        while index < len(hunks) and not hunks[index].startswith("@@"):
            line = hunks[index]
            tag, text = line[:1], line[1:]
            if tag in (" ", "-"):
                if position >= len(old) or old[position].rstrip("\r\n") != text.rstrip("\r\n"):
                    return None
                if tag == " ":
                    new.append(old[position])
                position += 1
            elif tag == "+":
                new.append(text)
            index += 1
    new.extend(old[position:])
    return new


def verify_fixed(report: Report, path: str, new_text: str, raw: bytes) -> None:
    import libcst as cst

    try:
        cst.parse_module(NewlineStyle.detect(raw).to_parser(new_text.encode("utf-8")))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(new_text, path, "exec", dont_inherit=True)
    except Exception as error:  # noqa: BLE001
        report.diff_failures.append(f"{path}: {type(error).__name__}: {error}")
        report.fail(f"fixed {path} does not parse/compile: {error}")
        return
    again = fix_source(new_text.encode("utf-8"), path, Config(unsafe_fixes=True))
    if again.new_source is not None or again.fix_error:
        report.not_idempotent.append(path)
        report.fail(f"fix of {path} is not idempotent")


def run_diff(report: Report, batches: list[list[str]], jobs: int, cwd: str, timeout: int, compiled: dict[str, bool]) -> None:
    for number, batch in enumerate(batches):
        start = time.monotonic()
        run = racelint(["--fix", "--unsafe-fixes", "--diff"], batch, jobs, cwd, timeout)
        report.times["fix --diff"] += time.monotonic() - start
        if not check_crash(report, "--diff", number, run):
            continue
        diffs, error_lines = split_diff(run.stdout.decode("utf-8", "replace"))
        errors = {}
        for line in error_lines:
            match = ERROR_LINE.match(line)
            errors[match["path"]] = match["message"]
            if "fix reverted" in match["message"]:
                report.reverted[match["path"]] = match["message"]
                report.fail(f"fix reverted: {line}")
            elif " fix not written: " in match["message"]:
                continue  # withheld: it needs a helper module the corpus does not have (reported, not a failure)
            elif match["path"] not in report.errors:
                report.fix_errors[match["path"]] = match["message"]
                report.fail(f"--diff fails on a file `check` handles: {line}")
        expected_rc = 2 if errors else (1 if diffs else 0)
        if run.returncode != expected_rc:
            report.fail(f"--diff batch {number}: exit {run.returncode}, expected {expected_rc}")
        start = time.monotonic()
        for path, hunks in diffs.items():
            report.fixed_files += 1
            raw = Path(path).read_bytes()
            old = raw.decode("utf-8", "replace").splitlines(keepends=True)
            new = apply_diff(old, hunks)
            if new is None or "\ufffd" in "".join(old):
                # not UTF-8 or a last line without newline: recompute in-process instead
                result = fix_source(raw, path, Config(unsafe_fixes=True))
                if result.new_source is None:
                    report.fail(f"{path}: --diff showed a change fix_source does not make")
                    continue
                text = result.new_source.decode(detect_encoding(result.new_source), "replace")
            else:
                text = "".join(new)
            if compiled.get(path, True):
                verify_fixed(report, path, text, raw)
        report.times["verify diffs"] += time.monotonic() - start
        print(f"  --diff batch {number + 1}/{len(batches)}: {len(diffs)} files changed, {len(errors)} errors, exit {run.returncode}", flush=True)


def detect_encoding(raw: bytes) -> str:
    import io
    import tokenize

    try:
        return tokenize.detect_encoding(io.BytesIO(raw).readline)[0]
    except SyntaxError:
        return "utf-8"


def compiles(raw: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(raw, "<corpus>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path, help="folders to scan (default: stdlib + the venv's site-packages)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=400, help="files per racelint invocation")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per racelint invocation")
    args = parser.parse_args(argv)

    wall = time.monotonic()
    roots = args.roots or default_roots()
    files = collect(roots, args.limit)
    raws = {f: Path(f).read_bytes() for f in files}
    lines = sum(raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0) for raw in raws.values())
    compiled = {f: compiles(raw) for f, raw in raws.items()}
    print(f"corpus: {len(files)} files, {lines} lines, {sum(map(len, raws.values())) / 1e6:.1f} MB under", *map(str, roots), flush=True)
    batches = [files[i : i + args.batch] for i in range(0, len(files), args.batch)]
    report = Report()
    with tempfile.TemporaryDirectory() as cwd:
        run_check(report, batches, args.jobs, cwd, args.timeout)
        run_diff(report, batches, args.jobs, cwd, args.timeout, compiled)

    unparsable_but_valid = sorted(p for p, message in report.errors.items() if compiled.get(p, False))
    kinds = collections.Counter(re.sub(r"\(.*|'.*|\d+", "", m).strip()[:60] for m in report.errors.values())
    print()
    print(f"files:     {len(files)}")
    print(f"lines:     {lines}")
    print(f"findings:  {sum(report.findings.values())}  " + ", ".join(f"{c}={n}" for c, n in sorted(report.findings.items())))
    print(f"errors:    {len(report.errors)} files reported (exit 2), {sum(1 for c in compiled.values() if not c)} files CPython cannot compile")
    for kind, count in kinds.most_common():
        print(f"           {count:5d}  {kind}")
    if unparsable_but_valid:
        print(f"           {len(unparsable_but_valid)} of them compile with CPython:")
        for path in unparsable_but_valid:
            print(f"             {path}: {report.errors[path]}")
    print(f"fixes:     {report.fixed_files} files changed by --fix --unsafe-fixes; {len(report.reverted)} fixes reverted; "
          f"{len(report.diff_failures)} fixed files that do not parse/compile; {len(report.not_idempotent)} not idempotent")
    for path, message in sorted(report.fix_errors.items()):
        print(f"           --diff error on a file check handles: {path}: {message}")
    for path, message in sorted(report.reverted.items()):
        print(f"           reverted: {path}: {message}")
    for line in report.diff_failures:
        print(f"           broken: {line}")
    for path in report.not_idempotent:
        print(f"           not idempotent: {path}")
    print("wall time: " + ", ".join(f"{k} {v:.0f}s" for k, v in report.times.items()) + f", total {time.monotonic() - wall:.0f}s")
    print(f"result:    {'OK' if not report.failures else f'{len(report.failures)} FAILURES'}")
    return 0 if not report.failures else 1


if __name__ == "__main__":
    sys.exit(main())
