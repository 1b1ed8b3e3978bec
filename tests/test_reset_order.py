"""CRL404's resets and derived values are ordered by `join()` (`analysis.reset_order`).

`install_all()` hands one tracker to every worker thread, joins them all, then drains it: the
drain's `self.per_source = {}` runs after every update, so it is no race (the updates in
`record()` still are). Each variant below breaks one condition of the model and the reset is a
finding again.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config

ORDERED = textwrap.dedent("""
    import threading


    class Progress:
        def __init__(self):
            self.per_source = {}

        def record(self, source):
            self.per_source[source] = self.per_source.get(source, 0) + 1

        def drain(self):
            counts = self.per_source
            self.per_source = {}
            self.rate = len(counts)
            return counts


    def _one(progress, package):
        progress.record(package[:3])


    def install_all(packages):
        progress = Progress()
        workers = [threading.Thread(target=_one, args=(progress, p)) for p in packages]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return progress.drain()
""")

RESET_LINE = 14  # `self.per_source = {}`
UPDATE_LINE = 10  # `self.per_source[source] = ...`


def _lines(tmp_path: Path, source: str) -> list[int]:
    path = tmp_path / "app.py"
    path.write_text(source)
    results = run_files([str(path)], Config(root=tmp_path), fix=False, jobs=1, cache=None)
    return sorted(f.line for r in results for f in r.findings if f.code == "CRL404")


def test_a_drain_after_every_join_is_ordered(tmp_path):
    assert ORDERED.splitlines()[RESET_LINE - 1].strip() == "self.per_source = {}"
    assert _lines(tmp_path, ORDERED) == [UPDATE_LINE]


def test_a_pool_that_has_shut_down_orders_it_too(tmp_path):
    source = ORDERED.replace("import threading", "import threading\nfrom concurrent.futures import ThreadPoolExecutor").replace(
        """    workers = [threading.Thread(target=_one, args=(progress, p)) for p in packages]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
""",
        """    with ThreadPoolExecutor(4) as pool:
        for p in packages:
            pool.submit(_one, progress, p)
""",
    )
    assert "pool.submit" in source
    assert _lines(tmp_path, source) == [UPDATE_LINE + 1]


UNORDERED = {
    "drained before the join": (
        "        worker.join()\n    return progress.drain()",
        "        worker.start()\n    progress.drain()\n    for worker in workers:\n        worker.join()\n    return progress.drain()",
    ),
    "a timed join": ("worker.join()", "worker.join(5)"),
    "a join in a branch": ("    for worker in workers:\n        worker.join()", "    if packages:\n        for worker in workers:\n            worker.join()"),
    "the object handed elsewhere": ("    return progress.drain()", "    REGISTRY.append(progress)\n    return progress.drain()"),
    "a worker drains it": ("progress.record(package[:3])", "progress.record(package[:3])\n    progress.drain()"),
    "drained by another function": ("def _one(", "def report(progress):\n    return progress.drain()\n\n\ndef _one("),
    "a second tracker": ("def _one(", "SHARED = Progress()\n\n\ndef _one("),
}


@pytest.mark.parametrize("variant", sorted(UNORDERED))
def test_without_the_ordering_the_reset_is_a_race(tmp_path, variant):
    old, new = UNORDERED[variant]
    assert old in ORDERED
    source = ORDERED.replace(old, new, 1)
    found = _lines(tmp_path, source)
    reset = [i for i, line in enumerate(source.splitlines(), 1) if line.strip() == "self.per_source = {}"][-1]  # not `__init__`'s
    assert reset in found, (variant, found)
