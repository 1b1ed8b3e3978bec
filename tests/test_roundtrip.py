"""Fixed files keep their encoding, BOM, newline style, mode bits and every comment."""

from __future__ import annotations

import os
import stat

import pytest

from cortex_racelint import fix_source, lint_source

BODY = "_x = None  # the shared thing\n\n\ndef get():\n    global _x\n    # check\n    if _x is None:  # slow path\n        _x = make()  # build\n    return _x\n"


@pytest.mark.parametrize(
    "name,encode",
    [
        ("lf", lambda s: s.encode()),
        ("crlf", lambda s: s.replace("\n", "\r\n").encode()),
        ("cr", lambda s: s.replace("\n", "\r").encode()),
        ("bom", lambda s: b"\xef\xbb\xbf" + s.encode()),
        ("latin1-cookie", lambda s: ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + s).encode("latin-1")),
        ("bom-crlf", lambda s: b"\xef\xbb\xbf" + s.replace("\n", "\r\n").encode()),
    ],
)
def test_encoding_and_newlines_round_trip(name, encode):
    raw = encode(BODY)
    result = fix_source(raw, f"{name}.py")
    assert result.fix_error is None and result.new_source is not None
    new = result.new_source
    if b"\r\n" in raw:
        assert new.count(b"\r\n") == new.count(b"\n"), "every newline stays CRLF"
    elif b"\r" in raw:
        assert b"\n" not in new and b"\r" in new
    else:
        assert b"\r" not in new
    assert new.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    if b"latin-1" in raw:
        assert "# caf\xe9".encode("latin-1") in new
    compile(new, name, "exec")
    for comment in (b"# the shared thing", b"# check", b"# slow path", b"# build"):
        assert comment in new
    assert lint_source(new, f"{name}.py").findings == []
    assert fix_source(new, f"{name}.py").new_source is None


def test_mode_bits_are_kept(run_cli, tmp_path):
    target = tmp_path / "m.py"
    target.write_text(BODY)
    os.chmod(target, 0o751)
    assert run_cli("--fix", "m.py", cwd=tmp_path).code == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o751
    assert "_x_lock" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"], "no temp file left behind"


def test_file_changed_between_read_and_write_is_not_overwritten(tmp_path, monkeypatch):
    from cortex_racelint import api

    target = tmp_path / "m.py"
    target.write_text(BODY)
    result = api.process_file(str(target), api.Config(), fix=True)
    target.write_text(BODY + "# edited by the user meanwhile\n")
    written, errors = api.write_fixes([result])
    assert written == [] and "changed on disk" in errors[0].message
    assert target.read_text().endswith("# edited by the user meanwhile\n")


def test_read_only_file_is_reported_not_crashed(run_cli, tmp_path):
    target = tmp_path / "m.py"
    target.write_text(BODY)
    os.chmod(target, 0o444)
    result = run_cli("--fix", "m.py", cwd=tmp_path)
    assert result.code == 2 and "read-only" in result.out


def test_symlink_is_linted_but_never_rewritten_through(run_cli, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    real = outside / "real.py"
    real.write_text(BODY)
    project = tmp_path / "project"
    project.mkdir()
    (project / "link.py").symlink_to(real)
    result = run_cli("--fix", "link.py", cwd=project)
    assert result.code == 2 and "symbolic link" in result.out
    assert real.read_text() == BODY


def test_fix_that_would_not_compile_is_reverted(monkeypatch):
    from cortex_racelint.engine import fixer

    monkeypatch.setattr(fixer, "_compiles", lambda raw, path: None if raw == BODY.encode() else "boom")
    result = fix_source(BODY, "m.py")
    assert result.new_source is None and "does not compile" in result.fix_error
