"""Lazy-init spellings beyond `if _x is None:` (issue 15, item 5): walrus, `match`, metaclass
`__call__`, EAFP caches, `nonlocal` closures, function attributes (directly and through a
`getattr` copy), the one-line `_x = _x or X()` and its conditional-expression forms.

For each: the rule that reports it (with and without the prefilter, which must agree), a fix
that compiles, leaves nothing to report and is not applied twice; near misses stay quiet. The
exact fixes are in the rules' examples; the behaviour under threads in `tests/fix_safety/cases/`.
"""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source

UNSAFE = Config(unsafe_fixes=True)
POOL = "from concurrent.futures import ThreadPoolExecutor\n"

REPORTED = {
    "walrus": ("CRL101", POOL + "_p = None\ndef get():\n    global _p\n    if (p := _p) is None:\n        p = _p = ThreadPoolExecutor()\n    return p\n"),
    "walrus early return": ("CRL101", POOL + "_p = None\ndef get():\n    global _p\n    if (p := _p) is not None:\n        return p\n"
                            "    _p = ThreadPoolExecutor()\n    return _p\n"),
    "walrus on a cache entry": ("CRL105", POOL + "_c = {}\ndef get(k):\n    if (p := _c.get(k)) is None:\n        p = _c[k] = ThreadPoolExecutor()\n    return p\n"),
    "one line, `or`": ("CRL101", POOL + "_p = None\ndef get():\n    global _p\n    _p = _p or ThreadPoolExecutor()\n    return _p\n"),
    "one line, conditional expression": ("CRL101", POOL + "_p = None\ndef get():\n    global _p\n    _p = _p if _p is not None else ThreadPoolExecutor()\n    return _p\n"),
    "one line, conditional expression on absence": ("CRL101", POOL + "def make():\n    p = None\n    def get():\n        nonlocal p\n"
                                                    "        p = ThreadPoolExecutor() if p is None else p\n        return p\n    return get\n"),
    "match case None": ("CRL101", POOL + "_p = None\ndef get():\n    global _p\n    match _p:\n        case None:\n            _p = ThreadPoolExecutor()\n    return _p\n"),
    "metaclass __call__": ("CRL102", "class Meta(type):\n    _instances = {}\n    def __call__(cls, *a, **k):\n        if cls not in cls._instances:\n"
                           "            cls._instances[cls] = super().__call__(*a, **k)\n        return cls._instances[cls]\n"),
    "metaclass __call__, metaclass derived from an in-module metaclass": (
        "CRL102", "class Meta(type):\n    pass\nclass SingletonMeta(Meta):\n    _instances = {}\n    def __call__(cls, *a, **k):\n"
        "        if cls not in cls._instances:\n            cls._instances[cls] = super().__call__(*a, **k)\n        return cls._instances[cls]\n"
        "class Deeper(SingletonMeta):\n    pass\nclass Pool(metaclass=Deeper):\n    pass\n"),
    "EAFP module dict": ("CRL105", POOL + "_c = {}\ndef get(k):\n    try:\n        return _c[k]\n    except KeyError:\n        _c[k] = p = ThreadPoolExecutor()\n        return p\n"),
    "EAFP class dict, LookupError": ("CRL105", POOL + "class R:\n    _c = {}\n    @classmethod\n    def get(cls, k):\n        try:\n            p = cls._c[k]\n"
                                     "        except LookupError:\n            p = cls._c[k] = ThreadPoolExecutor()\n        return p\n"),
    "nonlocal closure": ("CRL101", POOL + "def make():\n    inst = None\n    def get():\n        nonlocal inst\n        if inst is None:\n"
                         "            inst = ThreadPoolExecutor()\n        return inst\n    return get\n"),
    "function attribute, hasattr": ("CRL101", POOL + "def get():\n    if not hasattr(get, '_inst'):\n        get._inst = ThreadPoolExecutor()\n    return get._inst\n"),
    "function attribute, getattr copy": ("CRL101", POOL + "def get():\n    inst = getattr(get, '_inst', None)\n    if inst is None:\n"
                                         "        inst = get._inst = ThreadPoolExecutor()\n    return inst\n"),
    "class attribute, getattr copy": ("CRL102", POOL + "class R:\n    @classmethod\n    def get(cls):\n        inst = getattr(cls, '_inst', None)\n"
                                      "        if inst is None:\n            inst = cls._inst = ThreadPoolExecutor()\n        return inst\n"),
}


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_spelling_is_reported_and_fixed(name: str) -> None:
    code, source = REPORTED[name]
    for prefilter in (True, False):
        assert [f.code for f in lint_source(source, "m.py", UNSAFE, use_prefilter=prefilter).findings] == [code], prefilter
    result = fix_source(source, "m.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    compile(result.new_source, "m.py", "exec")
    assert b"with " in result.new_source
    assert lint_source(result.new_source, "m.py", UNSAFE, use_prefilter=False).findings == []
    assert fix_source(result.new_source, "m.py", UNSAFE).new_source is None


def test_an_equal_value_in_a_new_spelling_goes_to_the_opt_in_rule() -> None:
    """What is created decides, whatever the spelling: a compiled regex in an EAFP cache is CRL107."""
    source = "import re\n_c = {}\ndef pattern(p):\n    try:\n        return _c[p]\n    except KeyError:\n        _c[p] = r = re.compile(p)\n        return r\n"
    assert lint_source(source, "m.py", UNSAFE).findings == []
    opt_in = Config(unsafe_fixes=True, extend_select=("CRL107",))
    assert [f.code for f in lint_source(source, "m.py", opt_in).findings] == ["CRL107"]


BROKEN_COPY = POOL + (
    "import threading\n_lock = threading.Lock()\ndef get():\n    inst = getattr(get, '_inst', None)\n    if inst is None:\n"
    "        with _lock:\n            inst = get._inst = ThreadPoolExecutor()\n    return inst\n"
)


def test_broken_dcl_on_an_attribute_copy_reads_it_again_under_the_lock() -> None:
    assert [f.code for f in lint_source(BROKEN_COPY, "m.py", UNSAFE).findings] == ["CRL103"]
    fixed = fix_source(BROKEN_COPY, "m.py", UNSAFE).new_source
    assert fixed is not None and b"with _lock:\n            inst = getattr(get, '_inst', None)\n            if inst is None:" in fixed


NOT_REPORTED = {
    "walrus on a call": POOL + "_p = None\ndef get():\n    global _p\n    if (p := make()) is None:\n        _p = ThreadPoolExecutor()\n    return _p\n",
    "one line on a class attribute": POOL + "class R:\n    _p = None\n    @classmethod\n    def get(cls):\n        cls._p = cls._p or ThreadPoolExecutor()\n        return cls._p\n",
    "one line defaulting to another name": POOL + "_p = None\n_q = None\ndef get():\n    global _p\n    _p = _q or ThreadPoolExecutor()\n    return _p\n",
    "one line on a local": POOL + "def get(p=None):\n    p = p or ThreadPoolExecutor()\n    return p\n",
    "match with a guard": POOL + "_p = None\ndef get(on):\n    global _p\n    match _p:\n        case None if on:\n            _p = ThreadPoolExecutor()\n    return _p\n",
    "match on a local": POOL + "def get(p):\n    match p:\n        case None:\n            p = ThreadPoolExecutor()\n    return p\n",
    "EAFP with else": POOL + "_c = {}\ndef get(k):\n    try:\n        p = _c[k]\n    except KeyError:\n        _c[k] = p = ThreadPoolExecutor()\n    else:\n        p.hits += 1\n    return p\n",
    "EAFP key with an effect": POOL + "_c = {}\ndef get(it):\n    try:\n        return _c[next(it)]\n    except KeyError:\n        _c[0] = ThreadPoolExecutor()\n",
    "EAFP on a local dict": POOL + "def get(k):\n    c = {}\n    try:\n        return c[k]\n    except KeyError:\n        c[k] = ThreadPoolExecutor()\n",
    "EAFP catching something else": POOL + "_c = {}\ndef get(k):\n    try:\n        return _c[k]\n    except (KeyError, TypeError):\n        _c[k] = ThreadPoolExecutor()\n",
    "EAFP filled under a lock": POOL + "import threading\n_l = threading.Lock()\n_c = {}\ndef get(k):\n    try:\n        return _c[k]\n    except KeyError:\n"
    "        with _l:\n            _c[k] = ThreadPoolExecutor()\n",
    "nonlocal of a plain nested def without nonlocal": POOL + "def make():\n    inst = None\n    def get():\n        if inst is None:\n"
    "            return ThreadPoolExecutor()\n        return inst\n    return get\n",
    "decorator factory's parameter": POOL + "def actor(fn=None, *, broker=None):\n    def decorator(fn):\n        nonlocal broker\n"
    "        broker = broker or ThreadPoolExecutor()\n        if broker is None:\n            broker = ThreadPoolExecutor()\n        return fn\n    return decorator\n",
    "attribute of a parameter": POOL + "def get(f):\n    if not hasattr(f, '_inst'):\n        f._inst = ThreadPoolExecutor()\n    return f._inst\n",
    "__call__ of a class derived from an in-module ordinary class": "class Base:\n    pass\nclass C(Base):\n    _instances = {}\n"
    "    def __call__(cls, k):\n        if k not in cls._instances:\n            cls._instances[k] = object()\n",
    # a metaclass's __init__ gets the class being made (sqlalchemy DeclarativeMeta): no other thread sees it yet
    "metaclass __init__ on the class it makes": POOL + "class Meta(type):\n    def __init__(cls, name, bases, ns):\n"
    "        if getattr(cls, '_pool', None) is None:\n            cls._pool = ThreadPoolExecutor()\n"
    "        super().__init__(name, bases, ns)\n",
    "metaclass __init__, metaclass derived from an in-module metaclass": POOL + "class Base(type):\n    pass\n"
    "class Meta(Base):\n    def __init__(cls, name, bases, ns):\n        reg = getattr(cls, '_reg', None)\n"
    "        if reg is None:\n            cls._reg = ThreadPoolExecutor()\n        type.__init__(cls, name, bases, ns)\n",
    # stdlib tempfile._get_candidate_names: double-checked locking spelled with acquire()/release()
    "double-checked with acquire and try/finally release": POOL + "import threading\n_l = threading.Lock()\n_p = None\n"
    "def get():\n    global _p\n    if _p is None:\n        _l.acquire()\n        try:\n            if _p is None:\n"
    "                _p = ThreadPoolExecutor()\n        finally:\n            _l.release()\n    return _p\n",
    "ordinary class __call__": POOL + "class C:\n    def __call__(self, k):\n        if k not in self._seen:\n            self._seen[k] = ThreadPoolExecutor()\n",
}


@pytest.mark.parametrize("name", sorted(NOT_REPORTED))
def test_near_misses_are_not_reported(name: str) -> None:
    for prefilter in (True, False):
        assert lint_source(NOT_REPORTED[name], "m.py", UNSAFE, use_prefilter=prefilter).findings == [], prefilter


def test_closure_variable_bound_in_a_nested_block_is_reported_without_a_fix() -> None:
    """No statement directly in the enclosing function binds it: no place for a lock made once per closure."""
    source = POOL + (
        "def make(flag):\n    if flag:\n        inst = None\n    else:\n        inst = None\n    def get():\n        nonlocal inst\n"
        "        if inst is None:\n            inst = ThreadPoolExecutor()\n        return inst\n    return get\n"
    )
    [finding] = lint_source(source, "m.py", UNSAFE).findings
    assert finding.code == "CRL101" and finding.fix_applicability is None
    assert finding.no_fix_reason is not None and "enclosing function" in finding.no_fix_reason
    assert fix_source(source, "m.py", UNSAFE).new_source is None


def test_a_metaclass_method_other_than_call_fills_an_ordinary_class_cache() -> None:
    """`__call__` makes instances (CRL102, RLock); a registry filled elsewhere in the metaclass is a keyed cache."""
    source = POOL + (
        "class Meta(type):\n    _pools = {}\n    def pool(cls, k):\n        if k not in cls._pools:\n"
        "            cls._pools[k] = ThreadPoolExecutor()\n        return cls._pools[k]\n"
    )
    assert [f.code for f in lint_source(source, "m.py", UNSAFE).findings] == ["CRL105"]
    fixed = fix_source(source, "m.py", UNSAFE).new_source
    assert fixed is not None and b"_pools_lock = threading.Lock()" in fixed


@pytest.mark.parametrize(
    "inner",
    [
        "        _l.acquire()\n        try:\n            _p = ThreadPoolExecutor()\n        finally:\n            _l.release()\n",
        "        if _p is None:\n            _p = ThreadPoolExecutor()\n",
    ],
    ids=["acquired without a re-check", "re-checked without a lock"],
)
def test_half_a_double_checked_lock_is_still_reported(inner: str) -> None:
    """The acquire/release spelling counts only with both the re-check and the lock held at it."""
    source = POOL + "import threading\n_l = threading.Lock()\n_p = None\ndef get():\n    global _p\n    if _p is None:\n" + inner
    for prefilter in (True, False):
        findings = lint_source(source, "m.py", UNSAFE, use_prefilter=prefilter).findings
        assert findings and {f.code for f in findings} == {"CRL101"} and findings[0].line == 7
