"""`project.phase.drop_filtered` keys the filters' answers by the hashes the cache took in phase 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.engine.cache import ResultCache
from cortex_racelint.ftypes import Config
from cortex_racelint.project import phase
from cortex_racelint.project.phase import ProjectStats

SOURCE = "_cache = None\n\n\ndef get():\n    global _cache\n    if _cache is None:\n        _cache = object()\n    return _cache\n"


def _run(root: Path, paths: list[str]) -> ProjectStats:
    stats = ProjectStats()
    run_files(paths, Config(root=root), fix=False, jobs=1, cache=ResultCache(root), stats=stats)
    return stats


def test_warm_run_reads_no_file_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = []
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(SOURCE)
        paths.append(str(tmp_path / name))
    assert _run(tmp_path, paths).filtered == 1  # cold: the answers computed and stored
    reads: list[str] = []
    original = phase.read_bytes
    monkeypatch.setattr(phase, "read_bytes", lambda path: reads.append(path) or original(path))
    warm = _run(tmp_path, paths)
    assert warm.filtered == 0 and warm.linted == 0  # the stored answers found under phase 1's hashes
    assert reads == []  # the filters' key came from the cache's hashes, not a second read of each file
    (tmp_path / "b.py").write_text(SOURCE + "\n# changed\n")
    assert _run(tmp_path, paths).filtered == 1  # a changed file changes the key
