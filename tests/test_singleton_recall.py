"""Lazy-init shapes found through a local copy or a one-line early return (recall gaps closed).

The fixture pairs `fixtures/singletons/early_return_one_line.py` and `keyed_get_local.py`
hold the reported shapes and their fixes; this file holds what a fixture pair cannot:
the broken double-checked locking of a local copy (CRL103, which the prefilter's ast
stage does not see yet), and near misses that must stay unreported.
"""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source

UNSAFE = Config(unsafe_fixes=True)

CACHE = "import threading\n_c = {}\n_c_lock = threading.Lock()\ndef get(k):\n    v = _c.get(k)\n    if v is None:\n"
CORRECT = CACHE + "        with _c_lock:\n            v = _c.get(k)\n            if v is None:\n                v = _c[k] = make(k)\n    return v\n"

#: the `with` under `if v is None:` when the copy is not read again under the lock
BROKEN = {
    "no re-check": "        with _c_lock:\n            v = _c[k] = make(k)\n    return v\n",
    "re-check of the stale copy": "        with _c_lock:\n            if v is None:\n                v = _c[k] = make(k)\n    return v\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_dcl_on_a_local_copy_reads_the_cache_again_under_the_lock(name: str) -> None:
    """Re-testing `v` under the lock checks nothing: the fix re-reads `_c.get(k)` first."""
    source = CACHE + BROKEN[name]
    assert [f.code for f in lint_source(source, "m.py", UNSAFE, use_prefilter=False).findings] == ["CRL103"]
    result = fix_source(source, "m.py", UNSAFE, use_prefilter=False)
    assert result.fix_error is None and result.new_source is not None
    assert result.new_source.decode() == CORRECT


def test_correct_dcl_on_a_local_copy_is_not_reported() -> None:
    assert lint_source(CORRECT, "m.py", UNSAFE, use_prefilter=False).findings == []


def test_prefilter_keeps_broken_dcl_on_a_local_copy() -> None:
    source = CACHE + BROKEN["no re-check"]
    assert [f.code for f in lint_source(source, "m.py", UNSAFE).findings] == ["CRL103"]


NOT_REPORTED = {
    "copy rebound before the test": "_c = {}\ndef get(k):\n    v = _c.get(k)\n    v = v or None\n"
    "    if v is None:\n        v = _c[k] = make(k)\n    return v\n",
    "key rebound before the test": "_c = {}\ndef get(k):\n    v = _c.get(k)\n    k = k.lower()\n"
    "    if v is None:\n        v = _c[k] = make(k)\n    return v\n",
    "a default other than None": "_c = {}\ndef get(k):\n    v = _c.get(k, 0)\n    if v is None:\n        v = _c[k] = make(k)\n    return v\n",
    "a local dict": "def get(k):\n    c = {}\n    v = c.get(k)\n    if v is None:\n        v = c[k] = make(k)\n    return v\n",
    "the cache is never filled": "_c = {}\ndef get(k):\n    v = _c.get(k)\n    if v is None:\n        v = make(k)\n    return v\n",
    "one-line if that is not only a return": "_x = None\ndef get():\n    global _x\n    if _x is not None: log(); return _x\n"
    "    _x = make()\n    return _x\n",
}


@pytest.mark.parametrize("name", sorted(NOT_REPORTED))
def test_near_misses_are_not_reported(name: str) -> None:
    """The re-read under the lock must ask the very question the copy answered; else no finding."""
    source = NOT_REPORTED[name]
    assert lint_source(source, "m.py", UNSAFE, use_prefilter=False).findings == []


LOCAL_COPY = {
    "one-line if": (
        "_c = {}\ndef get(k):\n    v = _c.get(k)  # fast path\n    if v is None: v = _c[k] = make(k)\n    return v\n",
        "import threading\n\n_c = {}\n_c_lock = threading.Lock()\ndef get(k):\n    v = _c.get(k)  # fast path\n"
        "    if v is None:\n        with _c_lock:\n            v = _c.get(k)\n            if v is None:\n"
        "                v = _c[k] = make(k)\n    return v\n",
    ),
    "class cache, `.get(k, None)`, `not v`": (
        "class R:\n    _c = {}\n    @classmethod\n    def get(cls, k):\n        v = cls._c.get(k, None)\n"
        "        if not v:\n            v = cls(k)\n            cls._c[k] = v\n        return v\n",
        "import threading\n\n\nclass R:\n    _c = {}\n    _c_lock = threading.Lock()\n    @classmethod\n    def get(cls, k):\n"
        "        v = cls._c.get(k, None)\n        if not v:\n            with cls._c_lock:\n                v = cls._c.get(k, None)\n"
        "                if not v:\n                    v = cls(k)\n                    cls._c[k] = v\n        return v\n",
    ),
}


@pytest.mark.parametrize("name", sorted(LOCAL_COPY))
def test_keyed_cache_read_into_a_local_first_is_reported_and_fixed(name: str) -> None:
    """CRL105 through a local copy; the fix re-reads the cache under the lock, once (the comment stays put).

    The rule alone, without the prefilter (`fixtures/singletons/keyed_get_local.py` goes
    through it): exact output for the one-line suite and for a class-held cache.
    """
    source, expected = LOCAL_COPY[name]
    assert [f.code for f in lint_source(source, "m.py", UNSAFE, use_prefilter=False).findings] == ["CRL105"]
    result = fix_source(source, "m.py", UNSAFE, use_prefilter=False)
    assert result.fix_error is None and result.new_source is not None
    assert result.new_source.decode() == expected
    compile(result.new_source, "m.py", "exec")
    assert lint_source(result.new_source, "m.py", UNSAFE, use_prefilter=False).findings == []
    assert fix_source(result.new_source, "m.py", UNSAFE, use_prefilter=False).new_source is None


def test_a_constant_named_cache_gets_a_lowercase_lock() -> None:
    source = "_CHILD_FIELDS = {}\n\n\ndef fields(kind):\n    if kind not in _CHILD_FIELDS:\n        _CHILD_FIELDS[kind] = tuple(kind._fields)\n    return _CHILD_FIELDS[kind]\n"
    fixed = fix_source(source, "m.py", Config(unsafe_fixes=True, extend_select=("CRL107",))).new_source  # a tuple: harmless
    assert fixed is not None and b"_child_fields_lock = threading.Lock()\n" in fixed and b"_CHILD_FIELDS_lock" not in fixed


BOOLEAN_CHECKS = {
    "absence or a stale value": ("if _x is None or _x.closed:", True),
    "a condition or absence": ("if force or _x is None:", True),
    "absence and a condition": ("if _x is None and enabled:", True),
    "a condition and absence": ("if enabled and _x is None:", False),  # the first operand decides in `and`
    "presence or a condition": ("if _x is not None or force:", False),  # not an absence test
}


@pytest.mark.parametrize("name", sorted(BOOLEAN_CHECKS))
def test_an_absence_test_inside_and_or_is_a_lazy_init_check(name: str) -> None:
    check, reported = BOOLEAN_CHECKS[name]
    source = (
        "import socket\n_x = None\n\n\ndef get(force=False, enabled=True):\n    global _x\n"
        f"    {check}\n        _x = socket.socket()\n    return _x\n"
    )
    assert bool(lint_source(source, "m.py", Config()).findings) is reported
    assert bool(lint_source(source, "m.py", Config(), use_prefilter=False).findings) is reported  # prefilter agrees
    if reported:
        fixed = fix_source(source, "m.py", Config()).new_source
        assert fixed is not None and b"with _x_lock:\n            " + check.encode() in fixed
        compile(fixed, "m.py", "exec")
        assert fix_source(fixed, "m.py", Config()).new_source is None  # idempotent


SENTINELS = {
    "module sentinel": "    if _x is _MISSING:\n        _x = socket.socket()\n    return _x\n",
    "early return": "    if _x is not _MISSING:\n        return _x\n    _x = socket.socket()\n    return _x\n",
}


@pytest.mark.parametrize("name", sorted(SENTINELS))
def test_a_sentinel_object_is_an_absence_test(name: str) -> None:
    source = "import socket\n_MISSING = object()\n_x = _MISSING\n\n\ndef get():\n    global _x\n" + SENTINELS[name]
    for prefilter in (True, False):
        assert [f.code for f in lint_source(source, "m.py", Config(), use_prefilter=prefilter).findings] == ["CRL101"]
    fixed = fix_source(source, "m.py", Config()).new_source
    assert fixed is not None and b"with _x_lock:\n        if _x is _MISSING:" in fixed or b"if _x is _MISSING:\n                _x" in fixed
    namespace: dict = {}
    exec(compile(fixed, "m.py", "exec"), namespace)
    first = namespace["get"]()
    assert namespace["get"]() is first  # single-threaded behaviour kept
    first.close()
    assert fix_source(fixed, "m.py", Config()).new_source is None


def test_identity_with_a_name_whose_body_does_not_create_the_state_is_not_reported() -> None:
    source = "_state = None\nIDLE = 0\n\n\ndef busy():\n    global _state\n    if _state is IDLE:\n        return False\n    return True\n"
    assert lint_source(source, "m.py", Config(extend_select=("CRL107",))).findings == []


def test_a_coroutine_that_does_not_await_in_the_window_is_not_a_race() -> None:
    """Coroutines switch only at `await`: with none between check and creation the event loop runs it whole."""
    template = "import asyncio\n_x = None\n\n\nasync def get():\n    global _x\n    if _x is None:\n        _x = {}\n    return _x\n"
    assert lint_source(template.replace("{}", "asyncio.Lock()"), "m.py", Config()).findings == []
    awaiting = template.replace("{}", "await make()")
    assert [f.code for f in lint_source(awaiting, "m.py", Config()).findings] == ["CRL101"]
    in_async_with = template.replace("        _x = {}\n", "        async with sem:\n            _x = make()\n")
    assert [f.code for f in lint_source(in_async_with, "m.py", Config()).findings] == ["CRL103"]  # the window spans the `async with`
