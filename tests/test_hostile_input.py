"""Hostile input: every bad file gets one clear line and the right exit code, and no data is lost.

Round-trips of CRLF/CR/BOM/cookies, symlinks, read-only files and files changed on
disk are in `test_roundtrip.py`; configuration errors in `test_config.py`.

Tests marked `fuzz` are long and skipped unless selected with `-m fuzz`.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.engine import sourcefile

from .conftest import FIXTURES, REPO

RACY = FIXTURES / "singletons" / "global_is_none.py"
RACE = b"_x = None\n\n\ndef get():\n    global _x\n    if _x is None:\n        _x = object()\n    return _x\n"
MB = 1024 * 1024




def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if ": error: " in line]


def assert_clean_failure(result, name: str, message: "str | re.Pattern[str]") -> None:
    """Exit 2, exactly one error line naming the file and the problem, no traceback.

    `message` is a fragment of the line, or a pattern where the interpreter's own
    wording differs between patch releases (the meaning is asserted, not the words).
    """
    assert result.code == 2, (result.out, result.err)
    lines = error_lines(result.out)
    assert len(lines) == 1, result.out
    found = message.search(lines[0]) if isinstance(message, re.Pattern) else message in lines[0]
    assert lines[0].startswith(f"{name}:") and found, lines[0]
    assert "Traceback" not in result.out + result.err


# --------------------------------------------------------------------------- unparsable files

#: name -> (bytes, expected message fragment); each carries `global` so the prefilter parses it
BAD_FILES = {
    "invalid_utf8": (b"def f():\n    global x\n    x = '\xff\xfe'\n", "cannot decode"),
    "unknown_cookie": (b"# -*- coding: klingon -*-\ndef f():\n    global x\n", "cannot decode: unknown encoding: klingon"),
    "wrong_cookie": (b"# -*- coding: ascii -*-\ndef f():\n    global x\n    x = '\xc3\xa9'\n", "cannot decode"),
    # the words differ between 3.11 patch releases: 3.11.7's `ast` raises a SyntaxError ("source
    # code string cannot contain null bytes"), 3.11.2's a ValueError, and LibCST then names the
    # character ("'\0' is not a valid character"): the line must say the NUL is what failed
    "nul_bytes": (b"def f():\n    global x\n    x = 1\x00\n", re.compile(r"cannot parse: .*(\bnull? bytes|'\\0')", re.I)),
    "tabs_and_spaces": (b"def f():\n    global x\n\tif x is None:\n        x = 1\n", "inconsistent use of tabs and spaces"),
    "tabs_then_spaces": (b"def f():\n\tglobal x\n        if x is None:\n\t\tx = 1\n", "inconsistent use of tabs and spaces"),
    "python2_print": (b'def f():\n    global x\n    print "x"\n', "Missing parentheses in call to 'print'"),
    "python2_exec": (b'def f():\n    global x\n    exec "x = 1"\n', "Missing parentheses in call to 'exec'"),
    "python2_backticks": (b"def f():\n    global x\n    x = `x`\n", "cannot parse: invalid syntax"),
    "python2_octal": (b"def f():\n    global x\n    x = 0777\n", "leading zeros"),
    "deep_parens": (b"def f():\n    global x\n    x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "nesting too deep"),
    "deep_brackets": (b"def f():\n    global x\n    x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nesting too deep"),
    "deep_braces": (b"def f():\n    global x\n    x = " + b"{" * 5000 + b"}" * 5000 + b"\n", "nesting too deep"),
    "deep_subscripts": (b"def f():\n    global x\n    x = a" + b"[0]" * 5000 + b"\n", "nesting too deep"),
    "deep_lambdas": (b"def f():\n    global x\n    x = " + b"lambda: " * 5000 + b"1\n", "nesting too deep"),
    "deep_unary": (b"def f():\n    global x\n    x = " + b"-" * 100000 + b"1\n", "nesting too deep"),
    "long_operator_chain": (b"def f():\n    global x\n    x = " + b"+".join([b"1"] * 100000) + b"\n", "nesting too deep"),
    "deep_indentation": (b"def f():\n    global x\n" + b"".join(b"    " * (i + 1) + b"if x:\n" for i in range(150)) + b"    " * 151 + b"pass\n", "nesting too deep for the parser (too many levels of indentation)"),
    "deep_and_invalid": (b"def f():\n    global x\n    x = " + b"(" * 5000 + b"1" + b")" * 5000 + b" +\n", "nesting too deep"),
}


@pytest.mark.parametrize("verb", ["check", "--fix", "--diff"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_unparsable_file_one_line_exit_2_bytes_unchanged(run_cli, tmp_path, case, verb):
    data, message = BAD_FILES[case]
    name = f"{case}.py"
    (tmp_path / name).write_bytes(data)
    args = (verb, "--no-cache", name) if verb == "check" else ("check", verb, "--unsafe-fixes", "--no-cache", name)
    result = run_cli(*args, cwd=tmp_path)
    assert_clean_failure(result, name, message)
    assert (tmp_path / name).read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == [name], "nothing else written"


@pytest.mark.parametrize("case", ["deep_parens", "deep_lambdas", "long_operator_chain"])
def test_deep_nesting_does_not_kill_the_process(tmp_path, case):
    """LibCST's native parser overflows the C stack on deep nesting (SIGSEGV): a subprocess shows it."""
    data, message = BAD_FILES[case]
    (tmp_path / "deep.py").write_bytes(data)
    (tmp_path / "racy.py").write_bytes(RACE)
    run = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "--jobs", "1", "deep.py", "racy.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert any(message in line for line in error_lines(run.stdout))
    assert "racy.py:6:5: CRL101" in run.stdout, "the run continues after the bad file"
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("terms", [1200, 2000])
def test_long_but_valid_expression_is_reported_not_crashed(terms):
    """Valid Python (CPython compiles it) that is too deep for LibCST's recursive visitors."""
    data = RACE + b"y = " + b" + ".join([b"'s'"] * terms) + b"\n"
    compile(data, "long.py", "exec")
    for config in (Config(), Config(unsafe_fixes=True)):
        linted = lint_source(data, "long.py", config)
        fixed = fix_source(data, "long.py", config)
        for result in (linted, fixed):
            assert result.error is None or "nesting too deep" in result.error.message
        assert fixed.new_source is None or compile(fixed.new_source, "long.py", "exec")
        assert fixed.fix_error is None


@pytest.mark.parametrize("verb", ["check", "--fix", "--diff"])
def test_unparsable_file_without_evidence_is_skipped_by_every_verb(run_cli, tmp_path, verb):
    """Nothing for any rule to match: not parsed, by `check` and (was: exit 2) `--fix`/`--diff` alike."""
    data = b'print "python 2"\nx = 0777\n'
    (tmp_path / "py2.py").write_bytes(data)
    args = ("check", "--no-cache", "py2.py") if verb == "check" else ("check", verb, "--unsafe-fixes", "--no-cache", "py2.py")
    result = run_cli(*args, cwd=tmp_path)
    assert result.code == 0 and not error_lines(result.out)
    assert (tmp_path / "py2.py").read_bytes() == data


def test_many_bad_files_in_one_run_all_reported_and_good_file_fixed(run_cli, tmp_path):
    for case, (data, _) in BAD_FILES.items():
        (tmp_path / f"{case}.py").write_bytes(data)
    (tmp_path / "racy.py").write_bytes(RACE)
    result = run_cli("check", "--fix", "--no-cache", "--jobs", "1", ".", cwd=tmp_path)
    assert result.code == 2
    reported = {line.split(":", 1)[0] for line in error_lines(result.out)}
    assert reported == {f"{case}.py" for case in BAD_FILES}
    assert "_x_lock" in (tmp_path / "racy.py").read_text()
    for case, (data, _) in BAD_FILES.items():
        assert (tmp_path / f"{case}.py").read_bytes() == data


def test_bad_stdin_is_one_line_exit_2(run_cli, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD_FILES["invalid_utf8"][0])))
    result = run_cli("check", "--stdin-filename", "in.py", "-")
    assert_clean_failure(result, "in.py", "cannot decode")


# --------------------------------------------------------------------------- harmless oddities


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\n\n\n", b"   \n\t\n", b"\r\n", b"# global only in a comment\n# and another: connect Thread\n", b"#", b"# no newline at end"],
    ids=["empty", "bom-only", "newlines", "whitespace", "crlf-only", "only-comments", "lone-hash", "no-final-newline"],
)
def test_empty_and_comment_only_files_pass_untouched(run_cli, tmp_path, data):
    (tmp_path / "m.py").write_bytes(data)
    assert run_cli("check", "--no-cache", "m.py", cwd=tmp_path).code == 0
    result = run_cli("check", "--fix", "--unsafe-fixes", "--no-cache", "m.py", cwd=tmp_path)
    assert result.code == 0 and "error" not in result.out
    assert (tmp_path / "m.py").read_bytes() == data
    for config in (Config(), Config(unsafe_fixes=True)):
        assert lint_source(data, "m.py", config, use_prefilter=False).error is None
        assert fix_source(data, "m.py", config, use_prefilter=False).new_source is None


def test_paths_with_spaces_and_unicode(run_cli, tmp_path):
    folder = tmp_path / "my project" / "ünï cödé"
    folder.mkdir(parents=True)
    target = folder / "数据 file (copy).py"
    target.write_bytes(RACE)
    relative = "my project/ünï cödé/数据 file (copy).py"
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert result.code == 1 and f"{relative}:6:5: CRL101" in result.out
    result = run_cli("check", "--no-cache", "--format", "json", relative, cwd=tmp_path)
    assert [Path(f["filename"]).as_posix().endswith(relative) for f in json.loads(result.out)] == [True]
    result = run_cli("check", "--fix", "--no-cache", "my project", cwd=tmp_path)
    assert result.code == 0
    assert "_x_lock" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == [target.name], "no temp file left"


def test_fifo_named_py_is_reported_not_waited_on(run_cli, tmp_path):
    """A named pipe `*.py` in the tree used to block the run forever on `open()`."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "racy.py").write_bytes(RACE)
    result = run_cli("check", "--no-cache", "--jobs", "1", ".", cwd=tmp_path)
    assert_clean_failure(result, "pipe.py", "not a regular file")
    assert "racy.py:6:5: CRL101" in result.out


def test_dangling_symlink_is_reported(run_cli, tmp_path):
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert_clean_failure(result, "gone.py", "cannot read")


# --------------------------------------------------------------------------- big files


def _timed_cli(run_cli, *args, cwd):
    start = time.monotonic()
    result = run_cli(*args, cwd=cwd)
    return result, time.monotonic() - start


def test_5mb_file_lints_and_fixes_in_bounded_time(run_cli, tmp_path):
    """5 MB in one literal, a race at the end: the race is found and fixed, the data kept."""
    line = b"lorem ipsum dolor sit amet, global connect Thread write_text open # not a comment\n"
    data = b'DATA = """\n' + line * (5 * MB // len(line)) + b'"""\n\n\n' + RACE
    (tmp_path / "big.py").write_bytes(data)
    result, seconds = _timed_cli(run_cli, "check", "--no-cache", "big.py", cwd=tmp_path)
    assert result.code == 1 and "CRL101" in result.out and seconds < 30
    result, seconds = _timed_cli(run_cli, "check", "--fix", "--no-cache", "big.py", cwd=tmp_path)
    assert result.code == 0 and seconds < 30
    fixed = (tmp_path / "big.py").read_bytes()
    literal = data[: data.index(b'"""\n\n\n') + 4]
    assert len(literal) > 5 * MB - 100 and literal in fixed
    assert b"with _x_lock:" in fixed and fixed.endswith(b"    return _x\n")
    compile(fixed, "big.py", "exec")


def test_5mb_of_comments_lints_in_bounded_time(run_cli, tmp_path):
    line = b"# lorem ipsum dolor sit amet, global connect Thread write_text open\n"
    data = line * (5 * MB // len(line)) + RACE
    (tmp_path / "big.py").write_bytes(data)
    result, seconds = _timed_cli(run_cli, "check", "--no-cache", "big.py", cwd=tmp_path)
    assert result.code == 1 and "CRL101" in result.out and seconds < 40


def test_5mb_of_code_without_race_shapes_is_cheap(run_cli, tmp_path):
    """Evidence bytes everywhere, but no shape the rules look for: skipped before LibCST."""
    unit = b"def f%d(path):\n    'global connect Thread write_text sqlite3'\n    return len(path) + 1\n\n\n"
    data = b"".join(unit % i for i in range(5 * MB // len(unit)))
    (tmp_path / "big.py").write_bytes(data)
    result, seconds = _timed_cli(run_cli, "check", "--no-cache", "big.py", cwd=tmp_path)
    assert result.code == 0 and seconds < 30


@pytest.mark.fuzz
def test_5mb_of_racy_code_lints_in_bounded_time(tmp_path):
    unit = RACE.replace(b"_x", b"_x%d").replace(b"def get", b"def get%d")
    body = b"".join(unit.replace(b"%d", str(i).encode()) + b"\n\n" for i in range(5 * MB // (len(unit) + 8)))
    start = time.monotonic()
    result = lint_source(body, "big.py", Config())
    assert result.error is None and len(result.findings) > 1000
    assert time.monotonic() - start < 300


# --------------------------------------------------------------------------- unreadable / unwritable


def test_chmod_000_file(run_cli, tmp_path):
    target = tmp_path / "m.py"
    target.write_bytes(RACE)
    os.chmod(target, 0)
    try:
        result = run_cli("check", "--fix", "--no-cache", "m.py", cwd=tmp_path)
    finally:
        os.chmod(target, 0o644)
    if os.geteuid() == 0:  # root reads it anyway, but mode 000 means read-only: never rewritten
        assert_clean_failure(result, "m.py", "is read-only; not rewritten")
    else:
        assert_clean_failure(result, "m.py", "cannot read: Permission denied")
    assert target.read_bytes() == RACE


@pytest.fixture
def deny_reading(monkeypatch):
    """Make `path` unreadable for the process, also for root: `open`/`os.open` raise EACCES."""
    denied: set[str] = set()
    real_open, real_os_open = builtins.open, os.open

    def check(file):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(file)) in denied:
            raise PermissionError(13, "Permission denied", os.fsdecode(file))

    def fake_open(file, *args, **kwargs):
        check(file)
        return real_open(file, *args, **kwargs)

    def fake_os_open(file, *args, **kwargs):
        check(file)
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    return lambda path: denied.add(os.path.abspath(path))


@pytest.mark.parametrize("cache", [True, False])
def test_permission_denied_on_read(run_cli, tmp_path, deny_reading, cache):
    (tmp_path / "m.py").write_bytes(RACE)
    (tmp_path / "ok.py").write_bytes(RACE)
    deny_reading(tmp_path / "m.py")
    args = ("check", "--jobs", "1", ".") if cache else ("check", "--no-cache", "--jobs", "1", ".")
    result = run_cli(*args, cwd=tmp_path)
    assert_clean_failure(result, "m.py", "cannot read: Permission denied")
    assert "ok.py:6:5: CRL101" in result.out


def test_permission_denied_when_rereading_before_write(run_cli, tmp_path, monkeypatch):
    from cortex_racelint import api

    target = tmp_path / "m.py"
    target.write_bytes(RACE)
    result = api.process_file(str(target), Config(), fix=True)
    real = sourcefile.read_bytes
    monkeypatch.setattr(sourcefile, "read_bytes", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied")) if p == str(target) else real(p))
    written, errors = api.write_fixes([result])
    assert written == [] and "cannot re-read before writing: Permission denied" in errors[0].message
    assert target.read_bytes() == RACE


def test_cannot_create_temp_file(run_cli, tmp_path, monkeypatch):
    import tempfile

    (tmp_path / "m.py").write_bytes(RACE)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = run_cli("check", "--fix", "--no-cache", "m.py", cwd=tmp_path)
    assert_clean_failure(result, "m.py", "cannot create a temp file beside it: Permission denied")
    assert (tmp_path / "m.py").read_bytes() == RACE


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_failed_write_leaves_old_file_and_no_temp(run_cli, tmp_path, monkeypatch, failing):
    (tmp_path / "m.py").write_bytes(RACE)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, handle):
                self.handle = handle

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

            def write(self, data):
                self.handle.write(data[: len(data) // 2])
                self.handle.flush()
                fail()

        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    else:
        monkeypatch.setattr(os, failing, fail)
    result = run_cli("check", "--fix", "--no-cache", "m.py", cwd=tmp_path)
    assert_clean_failure(result, "m.py", "No space left on device")
    assert (tmp_path / "m.py").read_bytes() == RACE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"], "temp file removed"


# --------------------------------------------------------------------------- interrupted --fix


def _racy_tree(folder: Path, count: int) -> tuple[bytes, bytes]:
    original = RACY.read_bytes()
    fixed = fix_source(original, "m.py", Config()).new_source
    assert fixed is not None and fixed == RACY.with_name("global_is_none.fixed.py").read_bytes()
    folder.mkdir()
    for i in range(count):
        (folder / f"m{i:03d}.py").write_bytes(original)
    return original, fixed


def _start_fix(folder: Path, jobs: int) -> subprocess.Popen:
    """`racelint --fix .` in its own process group; output to files, not pipes a stray child could hold open."""
    return subprocess.Popen(
        [sys.executable, "-m", "cortex_racelint", "check", "--fix", "--no-cache", "--jobs", str(jobs), "."],
        cwd=folder,
        stdout=open(folder.parent / f"{folder.name}.out", "wb"),
        stderr=open(folder.parent / f"{folder.name}.err", "wb"),
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=True,
    )


def _reap_group(process: subprocess.Popen) -> bool:
    """Wait for racelint, then kill what is left of its process group; True if anything was left."""
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pass
    time.sleep(0.5)
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    os.killpg(process.pid, signal.SIGKILL)  # only the group this test started
    process.wait(timeout=30)
    return True


def _interrupt_once(folder: Path, count: int, sig: int, rng: random.Random, during_writes: bool) -> dict:
    original, fixed = _racy_tree(folder, count)
    files = [folder / f"m{i:03d}.py" for i in range(count)]
    process = _start_fix(folder, jobs=2)
    if during_writes:  # wait for the first file to be replaced, then strike a few ms later
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if any(f.stat().st_size != len(original) for f in files[:: max(1, count // 20)]) or any(
                p.name.endswith(".racelint") for p in folder.iterdir()
            ):
                break
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.05))
    else:
        time.sleep(rng.uniform(0.2, 3.0))
    if process.poll() is None:
        process.send_signal(sig)
    orphans = _reap_group(process)
    states = {"old": 0, "new": 0}
    for f in files:
        data = f.read_bytes()
        assert data in (original, fixed), f"{f.name} is neither the old nor the new file ({len(data)} bytes)"
        states["old" if data == original else "new"] += 1
    leftovers = sorted(p.name for p in folder.iterdir() if p.name.endswith(".racelint"))
    err = (folder.parent / f"{folder.name}.err").read_text(errors="replace")
    return {"signal": sig, "rc": process.returncode, "leftovers": leftovers, "orphans": orphans, "stderr": err[-500:], **states}


def _check_interrupts(tmp_path, plan):
    outcomes = []
    for index, (sig, during_writes) in enumerate(plan):
        rng = random.Random(1000 + index)
        outcome = _interrupt_once(tmp_path / f"run{index}", 200, sig, rng, during_writes)
        outcomes.append(outcome)
        assert outcome["leftovers"] == [], f"temp files left behind: {outcome}"
        assert outcome["rc"] in (0, 130, -signal.SIGTERM, -signal.SIGINT), outcome
        if outcome["rc"] == 130:
            assert "Traceback" not in outcome["stderr"], outcome
    return outcomes


def test_interrupted_fix_leaves_every_file_old_or_new(tmp_path):
    """SIGTERM/SIGINT while `--fix` replaces 200 files: each is old or new, no temp file is left."""
    plan = [(signal.SIGTERM, True), (signal.SIGINT, True), (signal.SIGTERM, True), (signal.SIGTERM, False)]
    outcomes = _check_interrupts(tmp_path, plan)
    assert any(o["old"] and o["new"] for o in outcomes[:3]), f"no run was interrupted mid-write: {outcomes}"


@pytest.mark.fuzz
def test_interrupted_fix_many_times(tmp_path):
    plan = [(random.Random(i).choice([signal.SIGTERM, signal.SIGINT]), i % 3 != 0) for i in range(15)]
    _check_interrupts(tmp_path, plan)


# --------------------------------------------------------------------------- known bugs outside this file's reach


def test_no_all_checks_passed_when_a_file_failed(run_cli, tmp_path):
    (tmp_path / "bad.py").write_bytes(BAD_FILES["invalid_utf8"][0])
    result = run_cli("check", "--no-cache", "bad.py", cwd=tmp_path)
    assert result.code == 2 and "All checks passed" not in result.out


def test_lock_analysis_is_linear_in_module_size(monkeypatch):
    """Lock scans grow with the module, not its square (a 5 MB racy file took 818 s when they did)."""
    from cortex_racelint.analysis import locks

    calls = {"n": 0}
    real = locks._CstSyntax.lock_calls  # read once per statement a block scan looks at

    def counting(self, stmt):
        calls["n"] += 1
        return real(self, stmt)

    monkeypatch.setattr(locks._CstSyntax, "lock_calls", counting)

    def cost(n: int) -> int:
        calls["n"] = 0
        source = b"".join(RACE.replace(b"_x", b"_x%d" % i).replace(b"def get", b"def get%d" % i) + b"\n\n" for i in range(n))
        assert len(lint_source(source, "m.py", Config()).findings) == n
        return calls["n"]

    small, large = cost(50), cost(200)
    assert small > 0, "no lock scan counted: the counter watches the wrong function"
    assert large <= 5 * small, f"{small} -> {large} lock scans for 4x the module"


def test_sigterm_leaves_no_orphan_workers(tmp_path):
    """SIGTERM to racelint alone (not its group) also ends its pool workers, which held its stdout open."""
    children_file = None
    _racy_tree(tmp_path / "tree", 200)
    process = _start_fix(tmp_path / "tree", jobs=2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:  # wait until the workers exist
        children_file = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        if not children_file.exists() or len(children_file.read_text().split()) >= 2:
            break
        time.sleep(0.01)
    if children_file is None or not children_file.exists():
        pytest.skip("needs /proc to see the workers")
    process.send_signal(signal.SIGTERM)
    assert not _reap_group(process), "worker processes outlived the killed racelint"


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGHUP, -signal.SIGHUP)])
def test_interrupt_of_the_parent_alone_ends_its_workers(tmp_path, sig, code):
    """SIGINT (exit 130, one line) and SIGHUP (dies of it) sent to racelint only, while its workers run."""
    _racy_tree(tmp_path / "tree", 200)
    process = _start_fix(tmp_path / "tree", jobs=2)
    children_file = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if not children_file.exists() or len(children_file.read_text().split()) >= 2:
            break
        time.sleep(0.01)
    if not children_file.exists():
        pytest.skip("needs /proc to see the workers")
    if process.poll() is not None:
        pytest.skip("racelint finished before the signal")
    process.send_signal(sig)
    assert not _reap_group(process), "worker processes outlived the interrupted racelint"
    assert process.returncode == code
    err = (tmp_path / "tree.err").read_text(errors="replace")
    assert "Traceback" not in err, err


@pytest.mark.parametrize("terms", [1200, 2000])
def test_a_too_deep_statement_does_not_hide_the_findings_of_the_rest(run_cli, tmp_path, terms):
    """Issue 15: a generated expression LibCST cannot walk is skipped, the race beside it still reported."""
    data = RACE + b"y = " + b" + ".join([b"'s'"] * terms) + b"\n"
    deep_line = RACE.count(b"\n") + 1
    for config in (Config(), Config(unsafe_fixes=True)):
        for result in (lint_source(data, "long.py", config), fix_source(data, "long.py", config)):
            assert result.error is None and result.skipped == [(deep_line, deep_line)]
            assert [(f.code, f.line) for f in result.findings] == [("CRL101", 6)]
            assert result.findings[0].fix_applicability is None and "nested too deeply" in result.findings[0].no_fix_reason
            assert result.new_source is None  # the stub must never reach the disk
    (tmp_path / "long.py").write_bytes(data)
    cli = run_cli("check", "--fix", "--no-cache", "long.py", cwd=tmp_path)
    assert cli.code == 1 and "long.py:6:5: CRL101" in cli.out
    assert f"long.py:{deep_line}: lines {deep_line}-{deep_line} not analysed" in cli.err
    assert (tmp_path / "long.py").read_bytes() == data
