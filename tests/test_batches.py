"""Parallel runs: batches cover every file once, biggest first, and results keep input order."""

from __future__ import annotations

from cortex_racelint.api import _batches, run_files
from cortex_racelint.ftypes import Config


def test_batches_cover_every_file_once_largest_first(tmp_path):
    paths = []
    for index, size in enumerate([10, 5000, 300, 0, 70000, 10, 10, 2000] * 5):
        path = tmp_path / f"m{index}.py"
        path.write_text("#" * size)
        paths.append(str(path))
    paths.append(str(tmp_path / "missing.py"))  # unreadable: size 0, still scheduled (and reported)
    batches = _batches(paths, jobs=2)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(paths)))
    assert all(batches)
    first_sizes = [(tmp_path / paths[i].rsplit("/", 1)[1]).stat().st_size for i in batches[0] if i < len(paths) - 1]
    assert first_sizes[0] == 70000 and all(len(batch) <= 32 for batch in batches)


def test_parallel_results_come_back_in_input_order(tmp_path):
    paths = []
    for index in range(40):
        path = tmp_path / f"f{index:02d}.py"
        body = "_x = None\ndef get():\n    global _x\n    if _x is None:\n        _x = object()\n    return _x\n"
        path.write_text(body + "# pad\n" * (index * 37 % 11))
        paths.append(str(path))
    serial = run_files(paths, Config(), fix=False, jobs=1)
    parallel = run_files(paths, Config(), fix=False, jobs=2)
    assert [r.path for r in parallel] == paths
    assert [(r.path, r.findings) for r in parallel] == [(r.path, r.findings) for r in serial]
