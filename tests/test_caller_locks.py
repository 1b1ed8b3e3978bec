"""A lazy-init check whose every in-module caller holds one lock is guarded by the caller
(`analysis/caller_locks.py`, issue 15: tqdm's `create_mp_lock`).

Reported: a caller without the lock, callers holding different locks, the function handed out
as a callback or thread target, called from a nested function, from module level, a decorated
function. Not reported: the `_locked` helper under `with`, under `acquire()`/`release()`, under
the optional-lock spelling `if lock is not None: lock.acquire()`, a public classmethod called
only from `__init__` under the class lock. A public module function is reported whatever its
in-module callers hold (other modules call it without the lock). With and without the prefilter (which narrows the
module to the statements a rule needs: it must keep every caller). Not reported means no fix:
`--fix` leaves the module as it is (no second lock).
"""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source

UNSAFE = Config(unsafe_fixes=True)
HEAD = "import threading\n_lock = threading.Lock()\n_other = threading.Lock()\n_pool = None\n"
HELPER = "def _ensure():\n    global _pool\n    if _pool is None:\n        _pool = threading.Thread(target=print)\n"
WITH_CALLER = "def get():\n    with _lock:\n        _ensure()\n    return _pool\n"

GUARDED = {
    "with": HEAD + HELPER + WITH_CALLER,
    "public method, class hierarchy under the class lock": (
        "import threading\nclass C:\n    _lock = threading.Lock()\n    _pool = None\n"
        "    @classmethod\n    def ensure(cls):\n        if cls._pool is None:\n            cls._pool = threading.Thread(target=print)\n"
        "class D(C):\n    def get(self):\n        with self._lock:\n            self.ensure()\n"
    ),
    "through a helper that runs only under the lock": HEAD + HELPER + "def _refresh():\n    _ensure()\n"
    "def get():\n    with _lock:\n        _refresh()\n    return _pool\n",
    "two callers, same lock": HEAD + HELPER + WITH_CALLER + "def reset():\n    with _lock:\n        _ensure()\n",
    "acquire/release": HEAD + HELPER + "def get():\n    _lock.acquire()\n    try:\n        _ensure()\n    finally:\n        _lock.release()\n    return _pool\n",
    "acquire then release": HEAD + HELPER + "def get():\n    _lock.acquire()\n    _ensure()\n    _lock.release()\n",
    "method under the class's lock": (
        "import threading\nclass C:\n    _lock = threading.Lock()\n    _pool = None\n"
        "    def get(self):\n        with self._lock:\n            self._ensure()\n"
        "    @classmethod\n    def put(cls):\n        with cls._lock:\n            cls._ensure()\n"
        "    @classmethod\n    def _ensure(cls):\n        if cls._pool is None:\n            cls._pool = threading.Thread(target=print)\n"
    ),
    "tqdm: public classmethod from __init__, optional lock": (
        "import threading\nfrom multiprocessing import RLock\n"
        "class W:\n    th_lock = threading.RLock()\n"
        "    def __init__(self):\n        cls = type(self)\n        root_lock = cls.th_lock\n"
        "        if root_lock is not None:\n            root_lock.acquire()\n        cls.create_mp_lock()\n"
        "        if root_lock is not None:\n            root_lock.release()\n"
        "    @classmethod\n    def create_mp_lock(cls):\n        if not hasattr(cls, 'mp_lock'):\n            cls.mp_lock = RLock()\n"
    ),
}

REPORTED = {
    # loky's `_start_executor_manager_thread`: a module global checked under a per-executor lock;
    # two executors hold two locks
    "instance lock around class state": (
        "import threading\nclass C:\n    _pool = None\n    def __init__(self):\n        self._lock = threading.Lock()\n"
        "    def get(self):\n        with self._lock:\n            self._ensure()\n"
        "    @classmethod\n    def _ensure(cls):\n        if cls._pool is None:\n            cls._pool = threading.Thread(target=print)\n"
    ),
    "instance lock around a module global": (
        HEAD + "class C:\n    def __init__(self):\n        self._lock = threading.Lock()\n"
        "    def get(self):\n        with self._lock:\n            self._ensure()\n"
        "    def _ensure(self):\n        global _pool\n        if _pool is None:\n            _pool = threading.Thread(target=print)\n"
    ),
    "class lock shadowed per instance": (
        "import threading\nclass C:\n    _lock = threading.Lock()\n    _pool = None\n"
        "    def __init__(self):\n        self._lock = threading.Lock()\n"
        "    def get(self):\n        with self._lock:\n            self._ensure()\n"
        "    @classmethod\n    def _ensure(cls):\n        if cls._pool is None:\n            cls._pool = threading.Thread(target=print)\n"
    ),
    "one caller without the lock": HEAD + HELPER + WITH_CALLER + "def other():\n    _ensure()\n",
    "callers hold different locks": HEAD + HELPER + WITH_CALLER + "def other():\n    with _other:\n        _ensure()\n",
    "thread target": HEAD + HELPER + WITH_CALLER + "def start():\n    threading.Thread(target=_ensure).start()\n",
    "stored as a callback": HEAD + HELPER + WITH_CALLER + "HOOKS = [_ensure]\n",
    "called from a nested function": HEAD + HELPER + "def get():\n    with _lock:\n        def later():\n            _ensure()\n    return later\n",
    "called from a lambda under the lock": HEAD + HELPER + "def get():\n    with _lock:\n        return lambda: _ensure()\n",
    # an unconditional top-level `_ensure()` makes `_pool` at import (`analysis/import_time.py`): not reported
    "called at module level": HEAD + HELPER + WITH_CALLER + "import os\nif os.environ.get('WARM'):\n    _ensure()\n",
    "no caller in the module": HEAD + HELPER,
    "through a helper also called without the lock": HEAD + HELPER + "def _refresh():\n    _ensure()\n"
    "def get():\n    with _lock:\n        _refresh()\n    return _pool\ndef other():\n    _refresh()\n",
    "helpers calling each other, no lock": HEAD + HELPER + "def _a():\n    _b()\n    _ensure()\ndef _b():\n    _a()\n",
    # a public module function is an accessor other modules call without the lock
    "public function": HEAD + HELPER.replace("_ensure", "ensure") + WITH_CALLER.replace("_ensure", "ensure"),
    "public method called from another class": (
        "import threading\n_lock = threading.Lock()\nclass C:\n    _pool = None\n"
        "    @classmethod\n    def ensure(cls):\n        if cls._pool is None:\n            cls._pool = threading.Thread(target=print)\n"
        "class D:\n    def get(self):\n        with _lock:\n            C.ensure()\n"
    ),
    "decorated": HEAD + "import functools\n@functools.wraps(print)\n" + HELPER + WITH_CALLER,
    "released before the call": HEAD + HELPER + "def get():\n    _lock.acquire()\n    _lock.release()\n    _ensure()\n",
    "optional lock, different test": HEAD + HELPER + "def get(flag):\n    if flag:\n        _lock.acquire()\n    _ensure()\n",
    "method: one caller without the lock": (
        "import threading\nclass C:\n    _lock = threading.Lock()\n    _pool = None\n"
        "    def get(self):\n        with self._lock:\n            self._ensure()\n"
        "    def put(self):\n        self._ensure()\n"
        "    @classmethod\n    def _ensure(cls):\n        if cls._pool is None:\n            cls._pool = threading.Thread(target=print)\n"
    ),
}


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_every_caller_holding_the_lock_guards_the_check(name: str) -> None:
    source = GUARDED[name]
    for prefilter in (True, False):
        assert lint_source(source, "m.py", UNSAFE, use_prefilter=prefilter).findings == [], prefilter
    assert fix_source(source, "m.py", UNSAFE).new_source is None  # nothing reported, nothing fixed


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_a_path_without_the_lock_is_still_reported(name: str) -> None:
    source = REPORTED[name]
    for prefilter in (True, False):
        codes = [f.code for f in lint_source(source, "m.py", UNSAFE, use_prefilter=prefilter).findings]
        assert codes and set(codes) <= {"CRL101", "CRL102"}, (prefilter, codes)


def test_the_unlocked_caller_may_sit_in_a_class_the_prefilter_would_drop() -> None:
    """Narrowing keeps every statement that names the site's function: the unlocked caller in an
    unrelated class decides, though nothing else there is a lazy site or a lock holder."""
    source = HEAD + HELPER + WITH_CALLER + "class Worker:\n    def run(self):\n        _ensure()\n"
    for prefilter in (True, False):
        assert [f.code for f in lint_source(source, "m.py", UNSAFE, use_prefilter=prefilter).findings] == ["CRL101"], prefilter
