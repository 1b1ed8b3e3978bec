"""`lock.acquire()` ... `lock.release()` regions (`analysis.acquire_regions`), in the rules and in the index.

Each statement `sN = ...` below says by its name whether it holds `_lock`: `hN` held, `nN` not held.
The rules' LibCST lock analysis and the summary's `ast` walk must both agree with every name,
and a call made in such a region is a call made under the lock across modules (CRL404's join).
"""

from __future__ import annotations

import ast
import textwrap

import libcst as cst
import pytest

from cortex_racelint.analysis.locks import LockAnalysis, LockInventory
from cortex_racelint.analysis.names import ImportMap
from cortex_racelint.analysis.sqlite_usage import walk
from cortex_racelint.project.summary import build_summary
from tests.test_project_lock_holders import WORKERS, _methods, _write

SHAPES = """
import threading
_lock = threading.Lock()
class C:
    def straight(self):
        self.n0 += 1
        _lock.acquire()
        self.h1 += 1
        _lock.release()
        self.n1 += 1

    def try_finally(self):
        _lock.acquire()
        try:
            self.h2 += 1
        finally:
            _lock.release()
        self.n2 += 1

    def acquire_inside_try(self):
        try:
            _lock.acquire()
            self.h3 += 1
        finally:
            _lock.release()
        self.n3 += 1

    def non_blocking_branch(self):
        if _lock.acquire(blocking=False):
            try:
                self.h4 += 1
            finally:
                _lock.release()
        else:
            self.n4 += 1
        self.n5 += 1

    def timed_guard(self):
        if not _lock.acquire(timeout=2):
            raise TimeoutError
        self.h5 += 1
        _lock.release()
        self.n6 += 1

    def dropped_result(self):
        _lock.acquire(False)
        self.n7 += 1
        _lock.acquire(timeout=3)
        self.n8 += 1
        _lock.acquire(True, 3)
        self.n9 += 1

    def early_release(self):
        _lock.acquire()
        if self.flag:
            _lock.release()
            return
        self.h6 += 1
        if self.other:
            _lock.release()
            self.n10 += 1
        self.n11 += 1

    def spin(self):
        while not _lock.acquire(False):
            pass
        self.h7 += 1
        _lock.release()

    def in_a_branch(self):
        if self.flag:
            _lock.acquire()
        self.n12 += 1

    def except_release(self):
        _lock.acquire()
        try:
            self.h8 += 1
        except ValueError:
            _lock.release()
            raise
        self.h9 += 1
        _lock.release()

    def blocking_spellings(self):
        _lock.acquire(True)
        self.h10 += 1
        _lock.release()
        _lock.acquire(blocking=1, timeout=-1)
        self.h11 += 1
        _lock.release()
"""


def _expected(source: str) -> dict[str, bool]:
    names = {}
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("self.") and "+=" in stripped:
            name = stripped.split()[0].removeprefix("self.")
            names[name] = name.startswith("h")
    return names


def test_the_rules_lock_analysis_follows_every_region() -> None:
    module = cst.parse_module(SHAPES)
    imports = ImportMap.from_module(module)
    analysis = LockAnalysis(imports, LockInventory.from_module(module, imports))
    seen = {}
    for node, parents in walk(module):
        if isinstance(node, cst.SimpleStatementLine) and isinstance(node.body[0], cst.AugAssign):
            name = node.body[0].target.attr.value  # type: ignore[union-attr]
            seen[name] = analysis.locks_held([*parents, node]) == ["_lock"]
    expected = _expected(SHAPES)
    assert seen == expected
    assert sum(expected.values()) == 11 and len(expected) - sum(expected.values()) == 13  # both kinds exercised


def test_the_summary_marks_the_same_updates_locked() -> None:
    summary = build_summary(ast.parse(SHAPES))
    seen = {}
    for qual, info in summary["functions"].items():
        for attr, _, _, locked in info.get("rmw", ()):
            seen[attr] = locked
    assert seen == _expected(SHAPES)


def test_a_stored_acquire_result_holds_nothing() -> None:
    source = SHAPES + textwrap.indent(
        textwrap.dedent("""
        def stored(self):
            got = _lock.acquire(False)
            self.n13 += 1
            if got:
                _lock.release()
        """),
        "    ",
    )
    summary = build_summary(ast.parse(source))
    assert summary["functions"]["C.stored"]["rmw"][0][3] is False


@pytest.mark.parametrize(
    "spelling, guarded",
    [
        ('_lock.acquire()\n    try:\n        get_monitor().record(url.startswith("https"))\n    finally:\n        _lock.release()', True),
        ('if _lock.acquire(blocking=False):\n        get_monitor().record(url.startswith("https"))\n        _lock.release()', True),
        ('_lock.acquire()\n    get_monitor().record(url.startswith("https"))\n    _lock.release()', True),
        ('_lock.acquire(timeout=1)\n    get_monitor().record(url.startswith("https"))\n    _lock.release()', False),
        ('_lock.acquire()\n    _lock.release()\n    get_monitor().record(url.startswith("https"))', False),
    ],
)
def test_a_call_in_an_acquire_region_of_another_module_is_held(tmp_path, spelling: str, guarded: bool) -> None:
    """The index's calls made under a lock: `record` runs holding `_lock` only inside a region."""
    original = 'with _lock:\n        get_monitor().record(url.startswith("https"))'
    assert original in WORKERS
    _write(tmp_path, WORKERS.replace(original, spelling))
    assert sorted(_methods(tmp_path)) == (["cache"] if guarded else ["cache", "record"])
