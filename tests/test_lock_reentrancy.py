"""The lazy-init fix never holds a lock that the code it guards can take again, or hold across a suspension.

`fixtures/singletons/reentrant_memo.py` (memoised recursion, recursive sizes, a recursive
classmethod whose subclass constructor calls the base accessor, a factory reading another key)
must get `RLock`s, and run single-threaded exactly as before. The shapes in
`tests/data/lazy_init_without_safe_lock.py` have no safe threading lock: reported with the reason,
never fixed. A strict lock stands in for `threading.Lock` at run time: it raises on a second
acquire by the thread that holds it, so a self-deadlock shows at once, deterministically.
"""

from __future__ import annotations

import threading
import types
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.racetest import load_module_from_source

from .conftest import FIXTURES

DATA = Path(__file__).parent / "data"
REENTRANT = FIXTURES / "singletons" / "reentrant_memo.py"
NO_SAFE_LOCK = DATA / "lazy_init_without_safe_lock.py"
UNSAFE = Config(unsafe_fixes=True, extend_select=("CRL107",))  # memoised values are harmless sites: CRL107


class StrictLock:
    """A plain lock that raises instead of deadlocking when its owner acquires it again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def __enter__(self) -> "StrictLock":
        if self._owner == threading.get_ident():
            raise RuntimeError("self-deadlock: the owner thread acquired a plain lock again")
        self._lock.acquire()
        self._owner = threading.get_ident()
        return self

    def __exit__(self, *exc: object) -> None:
        self._owner = None
        self._lock.release()


def _load(source: bytes) -> types.ModuleType:
    """The module, with `threading.Lock` strict (`RLock` stays the real one)."""
    shim = types.SimpleNamespace(Lock=StrictLock, RLock=threading.RLock)
    text = source.decode().replace("import threading\n", "", 1)
    module = types.ModuleType("under_test")
    module.threading = shim  # type: ignore[attr-defined]
    exec(compile(text, "under_test.py", "exec"), module.__dict__)
    return module


class Tree:
    def __init__(self, *children: "Tree") -> None:
        self.children = children


def _drive(module: types.ModuleType) -> list[object]:
    """Single-threaded calls that reach every re-entrant creation of the fixture."""
    leaf = Tree()
    tree = Tree(Tree(leaf, Tree()), leaf)
    sub = module.SubRegistry.get()  # its constructor calls `Registry.get()` under the same class lock
    catalog = module.catalog("fr")
    registries = [type(sub).__name__, type(sub.base).__name__, type(module.Registry.get()).__name__]
    return [module.fib(25), module.size(tree), registries, catalog["fallback"]["locale"]]


def test_reentrant_creations_get_rlocks_and_run_as_before() -> None:
    source = REENTRANT.read_bytes()
    fixed = fix_source(source, str(REENTRANT), UNSAFE).new_source
    assert fixed is not None
    assert fixed.count(b"threading.RLock()") == 4 and b"threading.Lock()" not in fixed
    assert _drive(_load(fixed)) == _drive(load_module_from_source(source, "original")) == [75025, 5, ["SubRegistry", "Registry", "Registry"], "en"]


def test_a_plain_lock_there_would_deadlock() -> None:
    """The check above can fail: the same fix with plain locks self-deadlocks on the first call."""
    fixed = fix_source(REENTRANT.read_bytes(), str(REENTRANT), UNSAFE).new_source
    assert fixed is not None
    with pytest.raises(RuntimeError, match="self-deadlock"):
        _drive(_load(fixed.replace(b"threading.RLock()", b"threading.Lock()")))


@pytest.mark.parametrize(
    "line, reason",
    [
        (9, "awaits: a threading lock held across `await` blocks the event loop"),
        (19, "yields: a lock held across `yield` stays held while the consumer runs"),
        (30, "`_config_lock` is a plain lock already, and `get_config()` takes it again while it is held"),
        (46, "creating `_left` takes `_right_lock` (through `get_right()`), and code holding that lock takes `_left_lock`"),
        (53, "creating `_right` takes `_left_lock` (through `get_left()`), and code holding that lock takes `_right_lock`"),
    ],
)
def test_no_fix_where_no_threading_lock_is_safe(line: int, reason: str) -> None:
    findings = {f.span.start.line: f for f in lint_source(NO_SAFE_LOCK.read_bytes(), str(NO_SAFE_LOCK), UNSAFE).findings}
    finding = findings[line]
    assert finding.code in ("CRL101", "CRL107")  # the same lock choice whichever code reports the site
    assert finding.fix_applicability is None
    assert reason in (finding.no_fix_reason or "")


def test_nothing_is_written_for_them() -> None:
    result = fix_source(NO_SAFE_LOCK.read_bytes(), str(NO_SAFE_LOCK), UNSAFE)
    assert result.fix_error is None and result.new_source is None
    assert len(result.findings) == 5


def test_the_prefilter_does_not_hide_the_holders() -> None:
    """A caller holding the lock sits in another function: narrowing must not stub it away."""
    source = NO_SAFE_LOCK.read_bytes()
    narrowed = lint_source(source, "m.py", UNSAFE).findings
    whole = lint_source(source, "m.py", UNSAFE, use_prefilter=False).findings
    assert [(f.span.start.line, f.no_fix_reason) for f in narrowed] == [(f.span.start.line, f.no_fix_reason) for f in whole]


def test_a_lock_name_taken_by_a_function_is_not_shadowed() -> None:
    source = b"_h = None\n\n\ndef _h_lock():\n    return 1\n\n\ndef get():\n    global _h\n    if _h is None:\n        _h = []\n    return _h\n"
    fixed = fix_source(source, "m.py", UNSAFE).new_source
    assert fixed is not None
    assert b"_h_mutex = threading.Lock()" in fixed and b"with _h_mutex:" in fixed
    module = load_module_from_source(fixed, "m")
    assert module._h_lock() == 1 and module.get() == []


PER_CALL = b'''import threading

def walk(node, seen):
    lock = threading.Lock()
    with lock:
        seen.append(node.name)
        for child in node.children:
            walk(child, seen)

async def fetch(go):
    with threading.Lock():
        return await go()
'''


def test_a_hoisted_per_call_lock_is_reentrant_when_the_block_recurses() -> None:
    result = fix_source(PER_CALL, "m.py", UNSAFE)
    assert result.new_source is not None and b"_walk_lock = threading.RLock()" in result.new_source
    module = _load(result.new_source)
    leaf = types.SimpleNamespace(name="leaf", children=())
    seen: list[str] = []
    module.walk(types.SimpleNamespace(name="root", children=(leaf, leaf)), seen)
    assert seen == ["root", "leaf", "leaf"]


def test_a_per_call_lock_around_await_is_not_hoisted() -> None:
    [finding] = [f for f in lint_source(PER_CALL, "m.py", UNSAFE).findings if f.span.start.line == 11]
    assert finding.code == "CRL104" and finding.fix_applicability is None
    assert "`await`s: a shared threading lock must not be held across it" in (finding.no_fix_reason or "")
