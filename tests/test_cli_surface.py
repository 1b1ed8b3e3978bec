"""The command line a newcomer meets: verbs and help, mistakes, quiet/verbose, colour, progress, the cache.

Exit codes and formats are in `test_cli.py`; these are the points of issue 16's "The command line".
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from cortex_racelint import terminal
from cortex_racelint.api import run_files
from cortex_racelint.cli import build_parser, main
from cortex_racelint.engine.cache import CACHE_DIR
from cortex_racelint.ftypes import Config
from cortex_racelint.registry import META_CODES, all_rules
from cortex_racelint.verbs import VERBS

from .conftest import FIXTURES, REPO

RACY = FIXTURES / "singletons" / "global_is_none.py"
UNSAFE = FIXTURES / "singletons" / "per_call_lock.py"
ESCAPE = "\033["


@pytest.fixture
def tree(tmp_path):
    shutil.copy(RACY, tmp_path / "racy.py")
    return tmp_path


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """No colour setting leaks in from the environment running the tests."""
    for name in ("NO_COLOR", "FORCE_COLOR", "RACELINT_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


def usage_error(capsys, *argv: str) -> str:
    """argparse's message for a rejected command line (exit 2, no traceback)."""
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 2
    return capsys.readouterr().err


# --------------------------------------------------------------------------- verbs and help


def test_help_lists_every_verb_with_one_line_of_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for verb, help_text in VERBS.items():
        assert re.search(rf"^\s+{verb}\s+{re.escape(help_text)}$", text, re.M), (verb, text)
    listed = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert listed == set(VERBS), "a verb the parser knows is missing from VERBS (or the reverse)"


def test_output_format_is_an_alias_of_format(run_cli, tree):
    one = run_cli("check", "--format", "json", "racy.py", cwd=tree).out
    two = run_cli("check", "--output-format", "json", "racy.py", cwd=tree).out
    assert one == two and json.loads(one)[0]["code"] == "CRL101"


def test_rule_all_in_text_and_json(run_cli):
    codes = [rule.CODE for rule in all_rules()] + list(META_CODES)
    text = run_cli("rule", "--all")
    assert text.code == 0
    for rule in all_rules():
        assert f"# {rule.NAME} ({rule.CODE})" in text.out
    data = json.loads(run_cli("rule", "--all", "--format", "json").out)
    assert [entry["code"] for entry in data] == codes
    by_code = {entry["code"]: entry for entry in data}
    for rule in all_rules():
        assert by_code[rule.CODE]["name"] == rule.NAME
        assert by_code[rule.CODE]["fix"] == (rule.FIX.value if rule.FIX is not None else "none")
        assert "## What it does" in by_code[rule.CODE]["explanation"]
    one = json.loads(run_cli("rule", "crl101", "--format", "json").out)
    assert one["code"] == "CRL101" and one["name"] == "unguarded-lazy-global"
    assert run_cli("rule").code == 2 and run_cli("rule", "CRL101", "--all").code == 2


# --------------------------------------------------------------------------- mistakes


def test_a_mistyped_verb_suggests_the_verbs_and_is_not_read_as_a_file(run_cli, tmp_path):
    result = run_cli("clen", cwd=tmp_path)
    assert result.code == 2
    assert "unknown command or missing path 'clen'" in result.err and "`racelint clean`" in result.err
    assert "0:0" not in result.out + result.err and "cannot read" not in result.out + result.err
    other = run_cli("chek", "x.py", cwd=tmp_path)
    assert other.code == 2 and "`racelint check`" in other.err


def test_the_legacy_path_form_works_when_the_path_exists(run_cli, tree):
    assert "racy.py:23:5: CRL101" in run_cli("racy.py", cwd=tree).out
    (tree / "clean").mkdir()  # a folder named like a verb is the verb: `racelint clean` cleans
    assert run_cli("clean", cwd=tree).code == 0


def test_a_missing_file_is_reported_without_a_position(run_cli, tree):
    result = run_cli("check", "racy.py", "nothere.py", cwd=tree)
    assert result.code == 2
    assert "racelint: error: nothere.py: no such file or directory" in result.err
    assert "nothere.py:0" not in result.out + result.err
    assert "racy.py:23:5: CRL101" in result.out, "the other files are still checked"
    assert "All checks passed" not in run_cli("check", "nothere.py", cwd=tree).out


def test_an_empty_folder_warns_no_python_files_and_exits_0(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("check", "empty", cwd=tmp_path)
    assert result.code == 0
    assert "warning: no Python files found under empty" in result.err


def test_output_file_in_a_missing_folder_fails_before_the_run(run_cli, tree):
    result = run_cli("check", "--fix", "--output-file", "nowhere/report.json", "racy.py", cwd=tree)
    assert result.code == 2
    assert "--output-file nowhere/report.json: folder nowhere does not exist" in result.err
    assert (tree / "racy.py").read_bytes() == RACY.read_bytes(), "nothing was fixed: the run never started"
    assert run_cli("check", "--output-file", ".", "racy.py", cwd=tree).code == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (("check", "--jobs", "0", "."), "argument --jobs/-j: 0 is too small: at least 1"),
        (("check", "--jobs", "two", "."), "argument --jobs/-j: 'two' is not a whole number"),
        (("check", "--certify-runs", "0", "."), "argument --certify-runs: 0 is too small"),
        (("confirm", "--runs", "0", "."), "argument --runs: 0 is too small: at least 1"),
        (("confirm", "--threads", "1", "."), "argument --threads: 1 is too small: at least 2 (a race needs two threads)"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(capsys, argv, message):
    err = usage_error(capsys, *argv)
    assert message in err and "Traceback" not in err


def test_stdin_filename_without_a_dash_reads_stdin(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "cortex_racelint", "check", "--stdin-filename", "pkg/racy.py"],
        input=RACY.read_bytes(), capture_output=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert run.returncode == 1, run.stderr
    assert b"pkg/racy.py:23:5: CRL101" in run.stdout


# --------------------------------------------------------------------------- summary, quiet, verbose


def test_unsafe_fixes_without_fix_counts_them_as_fixable(run_cli, tmp_path):
    shutil.copy(UNSAFE, tmp_path / "p.py")
    hidden = run_cli("check", "p.py", cwd=tmp_path).out
    assert "hidden fix can be enabled with the `--unsafe-fixes` option" in hidden and "fixable" not in hidden
    shown = run_cli("check", "--unsafe-fixes", "p.py", cwd=tmp_path).out
    assert "[*] 1 fixable with the `--fix` option." in shown and "hidden" not in shown


def test_the_summary_says_once_how_to_learn_about_a_rule(run_cli, tree):
    shutil.copy(RACY, tree / "second.py")
    out = run_cli("check", ".", cwd=tree).out
    assert out.count("racelint rule <code>") == 1
    assert "racelint rule" not in run_cli("check", "--format", "json", ".", cwd=tree).err


def test_quiet_prints_findings_only_and_silent_nothing(run_cli, tree):
    quiet = run_cli("check", "-q", "racy.py", cwd=tree)
    assert quiet.code == 1
    assert quiet.out.splitlines() == [line for line in quiet.out.splitlines() if line.startswith("racy.py:23:5: CRL101")]
    assert quiet.out and quiet.err == ""
    silent = run_cli("check", "--silent", "racy.py", cwd=tree)
    assert (silent.code, silent.out, silent.err) == (1, "", "")
    assert run_cli("-qq", "check", "racy.py", cwd=tree).out == "", "a global flag before the verb"


def test_verbose_says_what_it_checked(run_cli, tree):
    result = run_cli("check", "-v", "racy.py", cwd=tree)
    assert "1 file to check" in result.err and re.search(r"racelint: 1 file in \d+\.\d\d s", result.err)


# --------------------------------------------------------------------------- colour


def test_no_colour_off_a_terminal_or_in_machine_formats(run_cli, tree, monkeypatch):
    plain = run_cli("check", "racy.py", cwd=tree).out
    assert ESCAPE not in plain
    monkeypatch.setenv("FORCE_COLOR", "1")
    forced = run_cli("check", "racy.py", cwd=tree).out
    assert f"{ESCAPE}1mracy.py{ESCAPE}0m" in forced and f"{ESCAPE}1;31mCRL101{ESCAPE}0m" in forced
    assert re.sub(r"\033\[[0-9;]*m", "", forced) == plain, "colour adds escapes, nothing else"
    for fmt in ("json", "sarif", "junit", "github"):
        assert ESCAPE not in run_cli("check", "--format", fmt, "racy.py", cwd=tree).out, fmt
    assert ESCAPE not in run_cli("check", "--statistics", "racy.py", cwd=tree).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert ESCAPE not in run_cli("check", "racy.py", cwd=tree).out, "NO_COLOR wins over FORCE_COLOR"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_decision(monkeypatch):
    assert terminal.colour_enabled(FakeTerminal())
    assert not terminal.colour_enabled(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not terminal.colour_enabled(FakeTerminal())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert terminal.colour_enabled(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal.colour_enabled(FakeTerminal())


def test_colourise_touches_only_diagnostic_lines():
    text = "a/b c.py:3:7: CRL401 [*] x: y\nFound 1 finding.\nbroken.py:2:1: error: cannot parse\n  12 | code"
    coloured = terminal.colourise(text).split("\n")
    assert coloured[1] == "Found 1 finding." and coloured[3] == "  12 | code"
    assert coloured[0].startswith(f"{ESCAPE}1ma/b c.py{ESCAPE}0m") and coloured[0].endswith(" x: y")
    assert f"{ESCAPE}1;31merror:{ESCAPE}0m cannot parse" in coloured[2]


# --------------------------------------------------------------------------- progress


def test_progress_line_only_on_a_terminal_after_the_delay(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(terminal.time, "monotonic", lambda: clock[0])
    screen = FakeTerminal()
    line = terminal.Progress(10, "checked", screen)
    line.advance(3)
    assert screen.getvalue() == "", "silent for the first seconds"
    clock[0] += terminal.PROGRESS_AFTER + 0.5
    line.advance(2)
    assert "racelint: checked 5/10 (2 s)" in screen.getvalue()
    line.close()
    assert screen.getvalue().endswith("\r\033[K"), "erased at the end"
    pipe = io.StringIO()
    piped = terminal.Progress(10, "checked", pipe)
    clock[0] += 10
    piped.advance(10)
    piped.close()
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_files_reports_every_file_to_the_progress_line(tmp_path, jobs):
    paths = []
    for i in range(10):
        shutil.copy(RACY, tmp_path / f"m{i}.py")
        paths.append(str(tmp_path / f"m{i}.py"))
    counts: list[int] = []
    results = run_files(paths, Config(), False, jobs, progress=counts.append)
    assert len(results) == 10 and sum(counts) == 10


# --------------------------------------------------------------------------- the cache


def test_clean_removes_the_cache_and_cache_dir_moves_it(run_cli, tree):
    run_cli("check", "racy.py", cwd=tree)
    assert (tree / CACHE_DIR / "results.sqlite3").exists()
    cleaned = run_cli("clean", cwd=tree)
    assert cleaned.code == 0 and f"Removed {tree / CACHE_DIR}" in cleaned.out
    assert not (tree / CACHE_DIR).exists()
    assert "No cache" in run_cli("clean", cwd=tree).out
    elsewhere = tree / "elsewhere"
    assert run_cli("check", "--cache-dir", str(elsewhere), "racy.py", cwd=tree).code == 1
    assert (elsewhere / "results.sqlite3").exists() and not (tree / CACHE_DIR).exists()
    assert run_cli("clean", "--cache-dir", str(elsewhere), cwd=tree).code == 0
    assert not elsewhere.exists()


def test_clean_keeps_what_the_cache_did_not_write(run_cli, tree):
    folder = tree / "mine"
    folder.mkdir()
    (folder / ".gitignore").write_text("build/\n")
    (folder / "notes.txt").write_text("keep me")
    run_cli("check", "--cache-dir", str(folder), "racy.py", cwd=tree)
    result = run_cli("clean", "--cache-dir", str(folder), cwd=tree)
    assert result.code == 0 and "the folder is kept" in result.err
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", "notes.txt"]
    assert (folder / ".gitignore").read_text() == "build/\n"


def test_check_draws_progress_on_a_terminal_stderr_only(tmp_path):
    """End to end through a pseudo-terminal: the line is drawn on stderr and erased; stdout is untouched."""
    pty = pytest.importorskip("pty")
    for i in range(3):
        shutil.copy(RACY, tmp_path / f"m{i}.py")
    program = (
        "import sys; from cortex_racelint import terminal; terminal.PROGRESS_AFTER = 0.0; "
        "from cortex_racelint.cli import main; sys.exit(main(['check', '--no-cache', '--jobs', '1', '.']))"
    )
    leader, follower = pty.openpty()
    run = subprocess.run(
        [sys.executable, "-c", program], stderr=follower, stdout=subprocess.PIPE, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert run.returncode == 1
    assert b"racelint: checked 3/3" in drawn and drawn.endswith(b"\r\033[K")
    assert b"racelint: checked" not in run.stdout and run.stdout.count(b"CRL101") == 3


def test_confirm_reports_a_missing_path_and_a_file_given_as_the_test_folder(run_cli, tree):
    missing = run_cli("confirm", "nothere.py", cwd=tree)
    assert missing.code == 2 and "racelint: error: nothere.py: no such file or directory" in missing.err
    not_folder = run_cli("confirm", "racy.py", "--emit-tests", "racy.py", cwd=tree)
    assert not_folder.code == 2 and "--emit-tests racy.py: not a folder" in not_folder.err


def test_diff_with_a_machine_format_is_a_usage_error(tmp_path, capsys):
    from cortex_racelint.cli import main

    (tmp_path / "m.py").write_text("x = 1\n")
    capsys.readouterr()
    assert main(["check", "--no-cache", "--diff", "--format", "json", str(tmp_path / "m.py")]) == 2
    assert "cannot be combined with --format json" in capsys.readouterr().err
