"""`check --fix --certify` writes only the fixes it certified, and exactly the text it certified."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from cortex_racelint import Config, lint_source
from cortex_racelint.confirm import certify as certify_module
from cortex_racelint.confirm.certify import _marked, _unmarked, certify_file
from cortex_racelint.engine.fixer import fix_source
from cortex_racelint.ftypes import Finding, Position, Span

from .conftest import FIXTURES

TWO_SINGLETONS = textwrap.dedent(
    """\
    class Pool:
        pass


    class Cache:
        pass


    _pool = None
    _cache = None


    def get_pool():
        global _pool
        if _pool is None:
            _pool = Pool()
        return _pool


    def get_cache():
        global _cache
        if _cache is None:
            _cache = Cache()  # keep this comment
        return _cache
    """
)


@pytest.fixture
def settings(tmp_path):
    shutil.copytree(FIXTURES / "runtime" / "homewriter", tmp_path / "homewriter")
    return tmp_path / "homewriter" / "settings.py"


def test_a_fix_that_cannot_be_certified_is_not_written(run_cli, settings):
    result = run_cli("check", "--fix", "--certify", "--certify-runs", "2", str(settings))
    text = settings.read_text()
    assert "CRL101 certified: no race and no deadlock in every interleaving" in result.err
    assert "CRL101 not certified (not runnable" in result.err
    get_settings, needs_args = text.split("def needs_args")
    assert "with _settings_lock:" in get_settings
    assert "_settings_lock" not in needs_args  # needs_args() cannot be driven: its fix stays out
    assert result.code == 1  # the uncertified finding remains
    assert "1 fixed, 1 remaining" in result.out


def _file_result(tmp_path, source: str):
    path = tmp_path / "two.py"
    path.write_text(source)
    result = fix_source(source.encode(), str(path), Config())
    assert result.new_source is not None and result.fixed_count == 2
    return result


def test_a_failed_certificate_withholds_that_fix_and_the_rest_is_recertified_on_the_written_text(tmp_path, monkeypatch):
    result = _file_result(tmp_path, TWO_SINGLETONS)
    certified_texts: list[tuple[int, str]] = []

    def fake_certify(confirmation, fixed_source, runs=20, threads=8):
        certified_texts.append((confirmation.finding.line, fixed_source))
        if confirmation.finding.line == 15:  # get_pool's check
            return False, "certificate failed: 2/2 runs still raced"
        return True, "certified 2/2"

    monkeypatch.setattr(certify_module, "certify_fix", fake_certify)
    ledger = certify_file(result, Config(), "two.py", runs=2)
    written = result.new_source.decode()
    assert "_cache_lock" in written and "_pool_lock" not in written
    assert "# keep this comment" in written and "racelint-certify-withheld" not in written
    assert (22, written) in certified_texts  # the surviving fix was certified on exactly what is written
    assert result.fix_error and "certificate failed" in result.fix_error and "line 15" in result.fix_error
    assert [written.splitlines()[f.line - 1].strip() for f in result.findings] == ["if _pool is None:"]
    assert len(ledger.certified) == 1 and len(ledger.withheld) == 1
    compile(written, "two.py", "exec")


def test_nothing_certified_means_nothing_written(tmp_path, monkeypatch):
    result = _file_result(tmp_path, TWO_SINGLETONS)
    monkeypatch.setattr(certify_module, "certify_fix", lambda *a, **k: (False, "certificate failed: raced"))
    certify_file(result, Config(), "two.py", runs=1)
    assert result.new_source is None and result.fixed_count == 0
    assert len(result.findings) == 2


def test_markers_suppress_exactly_the_withheld_lines_and_come_off_again():
    source = TWO_SINGLETONS.replace("\n", "\r\n").encode()
    findings = lint_source(source, "two.py", Config()).findings
    cache_finding = [f for f in findings if f.line == 22]
    marked = _marked(source, cache_finding)
    assert marked is not None
    assert [f.line for f in lint_source(marked, "two.py", Config()).findings] == [15]
    assert _unmarked(marked) == source


def _at(line: int) -> Finding:
    return Finding("CRL101", "lazy init", "m.py", Span(Position(line, 0), Position(line, 5)))


def test_a_line_that_cannot_carry_a_comment_makes_the_refix_refuse():
    assert _marked(b"import os\nx = 1 + \\\n    2\n", [_at(2)]) is None  # after a backslash a comment would not parse
    assert _marked(b's = """start\nmiddle"""\n', [_at(1)]) is None  # the comment would land inside the string
    assert _marked(b"x = 1\n", [_at(1)]) == b"x = 1  # racelint: ignore[CRL101] racelint-certify-withheld\n"
