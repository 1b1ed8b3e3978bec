"""One-line suites (`try: x`, `finally: conn.close()`, `def __init__(self): ...`) in the fixes.

LibCST gives a one-line suite no `.header`, `.footer` or statement lines, so code written for
indented blocks either crashed the whole file's lint or silently missed a `conn.close()` left
inside a pooled `with` block. Each shape here is linted, and either fixed exactly like its
indented spelling or reported with the reason it is not.
"""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source, lint_source

from .conftest import in_this_repo

UNSAFE = in_this_repo(Config(unsafe_fixes=True))

POOLED = (
    "from cortex.utils.db_pool import get_connection_pool\n\n"  # `import sqlite3` goes: the fix stopped using it
    "def f(p):\n    with get_connection_pool(p).get_connection() as c:\n"
)

#: name -> (source, fixed function body under the pooled `with`)
SQLITE_SHAPES = {
    "one-line try": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    try: c.execute('x')  # go\n    finally:\n        c.close()\n",
        "        c.execute('x')  # go\n",
    ),
    "one-line finally": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    try:\n        c.execute('x')\n    finally: c.close()  # done\n",
        "        c.execute('x')\n        # done\n",
    ),
    "both one-line": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    try: c.execute('x')\n    finally: c.close()\n",
        "        c.execute('x')\n",
    ),
    "one-line finally keeps its other work": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    try:\n        c.execute('x')\n    except ValueError:\n        raise\n"
        "    finally: c.close(); log()\n",
        "        try:\n            c.execute('x')\n        except ValueError:\n            raise\n        finally: log()\n",
    ),
    "one-line swallowing handler rolls back": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    try:\n        c.execute('x')\n    except Exception: c.close()\n"
        "    finally:\n        c.close()\n",
        "        try:\n            c.execute('x')\n        except Exception: c.rollback()\n",
    ),
    "one-line guarded close": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    c.execute('x')\n    if c: c.close()\n",
        "        c.execute('x')\n",
    ),
    "one-line conditional close inside the region": (
        "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    c.execute('x')\n    if p: c.close()\n    c.close()\n",
        "        c.execute('x')\n        if p: pass\n",
    ),
}


@pytest.mark.parametrize("name", sorted(SQLITE_SHAPES))
def test_crl201_one_line_suites_are_fixed_like_indented_ones(name: str) -> None:
    """No crash, and no `conn.close()` left on a one-line suite inside the pooled block."""
    source, body = SQLITE_SHAPES[name]
    linted = lint_source(source, "m.py", UNSAFE)
    assert linted.error is None, linted.error
    assert [f.code for f in linted.findings] == ["CRL201"]
    result = fix_source(source, "m.py", UNSAFE)
    assert result.error is None and result.fix_error is None
    assert result.new_source is not None
    assert result.new_source.decode() == POOLED + body
    assert fix_source(result.new_source, "m.py", UNSAFE).new_source is None


def test_crl201_outer_try_with_one_line_finally() -> None:
    source = (
        "import sqlite3\ndef f(p):\n    c = None\n    try:\n        c = sqlite3.connect(p)\n        c.execute('x')\n"
        "    finally: c.close()\n"
    )
    result = fix_source(source, "m.py", UNSAFE)
    assert result.error is None and result.fix_error is None and result.new_source is not None
    assert b".close()" not in result.new_source
    assert b"    with get_connection_pool(p).get_connection() as c:\n        c.execute('x')\n" in result.new_source


SHARED = "import sqlite3, threading\nclass S:\n    def __init__(self, p): {init}\n{methods}"
CONNECT = "self._conn = sqlite3.connect(p, check_same_thread=False)"


def test_crl202_use_in_one_line_method_is_reported_without_a_fix() -> None:
    """Nothing to wrap: a fix that only added the lock was re-applied until the fixer gave up."""
    source = SHARED.format(init=CONNECT, methods="    def put(self, k): self._conn.execute('x', (k,))\n")
    [finding] = lint_source(source, "m.py", UNSAFE).findings
    assert finding.code == "CRL202" and "one-line function body" in (finding.no_fix_reason or "")
    assert fix_source(source, "m.py", UNSAFE).new_source is None


def test_crl202_reuses_the_lock_of_a_one_line_init() -> None:
    """Adding `self._lock` beside an existing `self._mutex` made two methods hold different locks."""
    methods = (
        "    def put(self, k):\n        with self._mutex:\n            self._conn.execute('x', (k,))\n"
        "    def get(self, k):\n        return self._conn.execute('y', (k,)).fetchone()\n"
    )
    source = SHARED.format(init=f"self._mutex = threading.Lock(); {CONNECT}", methods=methods)
    result = fix_source(source, "m.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    text = result.new_source.decode()
    assert "self._lock" not in text
    assert "        with self._mutex:\n            return self._conn.execute('y', (k,)).fetchone()\n" in text


def test_lock_goes_after_super_init_of_a_one_line_init() -> None:
    """The one-line spelling gets the indented one's order: `super().__init__()` first."""
    source = (
        "import threading\nclass W(threading.Thread):\n    def __init__(self): super().__init__(); self.n = 0\n"
        "    def run(self):\n        while True:\n            self.n += 1\n    def get(self):\n        return self.n\n"
    )
    result = fix_source(source, "m.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    assert b"def __init__(self): super().__init__(); self._lock = threading.Lock(); self.n = 0\n" in result.new_source
