"""The result cache: warm runs reuse results, changes invalidate, corrupt entries are ignored."""

from __future__ import annotations

import shutil

from cortex_racelint import api
from cortex_racelint.cache import CACHE_DIR, ResultCache
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


def test_corrupt_entries_are_ignored(tmp_path, monkeypatch):
    shutil.copy(RACY, tmp_path / "a.py")
    cache = ResultCache(tmp_path)
    first = api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=cache)
    for entry in (tmp_path / CACHE_DIR).rglob("*.json"):
        entry.write_text('{"key": "half-writ')
    calls = lint_calls(monkeypatch)
    again = api.run_files([str(tmp_path / "a.py")], Config(), fix=False, jobs=1, cache=cache)
    assert len(calls) == 1 and again[0].findings == first[0].findings


def test_cli_no_cache_writes_nothing(run_cli, tmp_path):
    shutil.copy(RACY, tmp_path / "a.py")
    assert run_cli("check", "--no-cache", "a.py", cwd=tmp_path).code == 1
    assert not (tmp_path / CACHE_DIR).exists()
    assert run_cli("check", "a.py", cwd=tmp_path).code == 1
    assert (tmp_path / CACHE_DIR).exists()
    assert run_cli("check", "a.py", cwd=tmp_path).code == 1  # served from the cache, same result


def test_parallel_workers_write_the_entries(tmp_path, monkeypatch):
    paths = []
    for index in range(12):
        path = tmp_path / f"m{index}.py"
        path.write_text(RACY.read_text() + f"# {index}\n")
        paths.append(str(path))
    cache = ResultCache(tmp_path)
    cold = api.run_files(paths, Config(), fix=False, jobs=2, cache=cache)
    assert len(list((tmp_path / CACHE_DIR).rglob("*.json"))) == 12
    assert (tmp_path / CACHE_DIR / ".gitignore").read_text() == "*\n"
    calls = lint_calls(monkeypatch)
    warm = api.run_files(paths, Config(), fix=False, jobs=2, cache=cache)
    assert calls == [] and [r.findings for r in warm] == [r.findings for r in cold]


def test_an_entry_is_keyed_on_the_bytes_linted(tmp_path, monkeypatch):
    """A file edited between the cache lookup and the lint is stored under its new content."""
    from cortex_racelint.cache import entry_key

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
    assert cache.get(entry_key(str(path), old, Config()), str(path)) is None
    stored = cache.get(entry_key(str(path), path.read_bytes(), Config()), str(path))
    assert stored is not None and stored.findings == result.findings
