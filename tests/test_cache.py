"""The result cache: warm runs reuse results, changes invalidate, corrupt entries are ignored."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cortex_racelint import api
from cortex_racelint.engine.cache import CACHE_DIR, DATABASE, ResultCache
from cortex_racelint.ftypes import Config

from .conftest import FIXTURES

RACY = FIXTURES / "singletons" / "global_is_none.py"


def lint_calls(monkeypatch):
    calls = []
    real = api.lint_source

    def counting(raw, path, *args, **kwargs):
        calls.append(path)
        return real(raw, path, *args, **kwargs)

    monkeypatch.setattr(api, "lint_source", counting)
    return calls


def test_warm_run_relints_only_the_changed_file(tmp_path, monkeypatch):
    for name in ("a.py", "b.py", "c.py"):
        shutil.copy(RACY, tmp_path / name)
    paths = [str(tmp_path / n) for n in ("a.py", "b.py", "c.py")]
    cache = ResultCache(tmp_path)
    calls = lint_calls(monkeypatch)
    cold = api.run_files(paths, Config(), fix=False, jobs=1, cache=cache)
    assert len(calls) == 3
    warm = api.run_files(paths, Config(), fix=False, jobs=1, cache=cache)
    assert len(calls) == 3, "nothing re-linted"
    assert [r.findings for r in warm] == [r.findings for r in cold]
    (tmp_path / "b.py").write_text(RACY.read_text() + "\n# changed\n")
    api.run_files(paths, Config(), fix=False, jobs=1, cache=cache)
    assert calls[3:] == [paths[1]]


def test_config_change_invalidates(tmp_path, monkeypatch):
    shutil.copy(RACY, tmp_path / "a.py")
    cache = ResultCache(tmp_path)
    calls = lint_calls(monkeypatch)
    api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=cache)
    result = api.run_files([str(tmp_path / "a.py")], Config(ignore=("CRL101",)), fix=False, jobs=1, cache=cache)
    assert len(calls) == 2 and result[0].findings == []


def _rows(tmp_path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(tmp_path / CACHE_DIR / DATABASE)) as db:
        return db.execute("SELECT path, config, key FROM results ORDER BY path").fetchall()


@pytest.mark.parametrize("damage", ["half-written data", "wrong key", "another path"])
def test_corrupt_rows_are_ignored_and_replaced(tmp_path, monkeypatch, damage):
    shutil.copy(RACY, tmp_path / "a.py")
    cache = ResultCache(tmp_path)
    first = api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=cache)
    change = {
        "half-written data": "UPDATE results SET data = '{\"path\": \"half-writ'",
        "wrong key": "UPDATE results SET key = 'not-the-key'",
        "another path": "UPDATE results SET data = replace(data, 'a.py', 'b.py')",
    }[damage]
    with contextlib.closing(sqlite3.connect(tmp_path / CACHE_DIR / DATABASE)) as db:
        db.execute(change)
        db.commit()
    calls = lint_calls(monkeypatch)
    again = api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=cache)
    assert len(calls) == 1 and again[0].findings == first[0].findings
    api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=cache)
    assert len(calls) == 1, "the recomputed row replaced the damaged one"


def test_a_cache_file_that_is_not_a_database_is_replaced(tmp_path, monkeypatch):
    shutil.copy(RACY, tmp_path / "a.py")
    (tmp_path / CACHE_DIR).mkdir()
    (tmp_path / CACHE_DIR / DATABASE).write_bytes(b"this is not SQLite" * 100)
    calls = lint_calls(monkeypatch)
    for _ in range(2):
        result = api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=ResultCache(tmp_path))
        assert result[0].findings and result[0].error is None
    assert len(calls) == 1 and len(_rows(tmp_path)) == 1


def test_an_unwritable_cache_only_costs_speed(tmp_path, monkeypatch):
    shutil.copy(RACY, tmp_path / "a.py")
    (tmp_path / CACHE_DIR).write_text("a file where the folder should be")
    calls = lint_calls(monkeypatch)
    for _ in range(2):
        result = api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=ResultCache(tmp_path))
        assert result[0].findings and result[0].error is None
    assert len(calls) == 2


def test_one_row_per_file_and_configuration(tmp_path):
    """Editing a file replaces its row: the cache grows with the tree, not with its history."""
    path = tmp_path / "a.py"
    cache = ResultCache(tmp_path)
    for edit in range(5):
        path.write_text(RACY.read_text() + f"# edit {edit}\n")
        api.run_files([str(path)], Config(), fix=False, jobs=1, cache=cache)
    assert len(_rows(tmp_path)) == 1
    api.run_files([str(path)], Config(ignore=("CRL101",)), fix=False, jobs=1, cache=cache)
    assert len(_rows(tmp_path)) == 2  # another configuration: its own row


def test_rows_of_another_tool_version_are_dropped(tmp_path, monkeypatch):
    from cortex_racelint.engine import cache as cache_module

    shutil.copy(RACY, tmp_path / "a.py")
    api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=ResultCache(tmp_path))
    monkeypatch.setattr(cache_module, "tool_fingerprint", lambda: "another version")
    (tmp_path / "b.py").write_text("x = 1\n")
    api.run_files([str(tmp_path / "b.py")], Config(), fix=False, jobs=1, cache=ResultCache(tmp_path))
    assert [Path(row[0]).name for row in _rows(tmp_path)] == ["b.py"]


def test_two_processes_share_the_cache(tmp_path):
    """Two racelint runs at once over the same tree: both succeed, the cache ends whole."""
    _racy_copies(tmp_path, 40)
    command = [sys.executable, "-m", "cortex_racelint", "check", "--jobs", "2", "."]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1, 1], outputs
    assert outputs[0][0] == outputs[1][0] and b"Traceback" not in outputs[0][1] + outputs[1][1]
    assert len(_rows(tmp_path)) == 40
    with contextlib.closing(sqlite3.connect(tmp_path / CACHE_DIR / DATABASE)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_cli_no_cache_writes_nothing(run_cli, tmp_path):
    shutil.copy(RACY, tmp_path / "a.py")
    assert run_cli("check", "--no-cache", "a.py", cwd=tmp_path).code == 1
    assert not (tmp_path / CACHE_DIR).exists()
    assert run_cli("check", "a.py", cwd=tmp_path).code == 1
    assert (tmp_path / CACHE_DIR).exists()
    assert run_cli("check", "a.py", cwd=tmp_path).code == 1  # served from the cache, same result


def _racy_copies(folder: Path, count: int) -> list[str]:
    """`count` different files with the same finding."""
    paths = []
    for index in range(count):
        path = folder / f"m{index}.py"
        path.write_text(RACY.read_text() + f"# {index}\n")
        paths.append(str(path))
    return paths


def test_parallel_workers_write_the_entries(tmp_path, monkeypatch):
    paths = _racy_copies(tmp_path, 12)
    cache = ResultCache(tmp_path)
    cold = api.run_files(paths, Config(), fix=False, jobs=2, cache=cache)
    assert len(_rows(tmp_path)) == 12
    assert (tmp_path / CACHE_DIR / ".gitignore").read_text() == "*\n"
    calls = lint_calls(monkeypatch)
    warm = api.run_files(paths, Config(), fix=False, jobs=2, cache=cache)
    assert calls == [] and [r.findings for r in warm] == [r.findings for r in cold]


def test_an_entry_is_keyed_on_the_bytes_linted(tmp_path, monkeypatch):
    """A file edited between the cache lookup and the lint is stored under its new content."""
    path = tmp_path / "a.py"
    path.write_text(RACY.read_text())
    old = b"x = 1\n"  # what the lookup saw, before the edit
    reads = []
    real_read = api.read_bytes

    def read_bytes(name):
        reads.append(name)
        return old if len(reads) == 1 else real_read(name)

    monkeypatch.setattr(api, "read_bytes", read_bytes)
    cache = ResultCache(tmp_path)
    [result] = api.run_files([str(path)], Config(), fix=False, jobs=1, cache=cache)
    assert len(reads) == 2 and result.findings
    assert cache.get(str(path), old, Config()) is None
    stored = cache.get(str(path), path.read_bytes(), Config())
    assert stored is not None and stored.findings == result.findings


def test_thread_workers_share_the_cache(tmp_path, monkeypatch):
    """The free-threaded build's path (a thread pool; one connection per process, shared), run here."""
    monkeypatch.setattr(api, "gil_enabled", lambda: False)
    paths = _racy_copies(tmp_path, 24)
    cache = ResultCache(tmp_path)
    threaded = api.run_files(paths, Config(), fix=False, jobs=4, cache=cache)
    serial = api.run_files(paths, Config(), fix=False, jobs=1, cache=None)
    assert [r.findings for r in threaded] == [r.findings for r in serial]
    assert len(_rows(tmp_path)) == 24
    calls = lint_calls(monkeypatch)
    api.run_files(paths, Config(), fix=False, jobs=4, cache=cache)
    assert calls == []


def test_the_tool_fingerprint_covers_every_rule_fix_and_analysis():
    """Results depend on the whole package, not only the engine that stores them."""
    from cortex_racelint.engine.cache import PACKAGE_ROOT, tool_sources

    hashed = {path.relative_to(PACKAGE_ROOT).parts[0] for path in tool_sources()}
    assert {"rules", "fixes", "analysis", "engine", "rule.py", "registry.py"} <= hashed
