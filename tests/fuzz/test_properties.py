"""Property tests: racelint never crashes and `--fix --unsafe-fixes` never breaks a module.

For every generated module (see `strategies.py`):
- `lint_source` never raises and parses the module;
- `fix_source(..., Config(unsafe_fixes=True))` never raises and is never reverted;
- its output parses (LibCST) and compiles, keeps the newline style and BOM, and is idempotent;
- top-level statements that held no finding are unchanged (imports and inserted
  statements such as module locks are allowed additions);
- the number of findings never increases;
- every comment of the input is still in the output (as a multiset).

The size is decided by the hypothesis profile ("ci" by default, "long" on demand;
see `conftest.py`), not by markers, so the bounded run is part of every test run.
"""

from __future__ import annotations

import io
import tokenize
from collections import Counter

import libcst as cst
import pytest
from hypothesis import event, given, note
from libcst.metadata import MetadataWrapper, PositionProvider

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.engine.sourcefile import NewlineStyle

from .conftest import count_example
from .strategies import GeneratedModule, modules

UNSAFE = Config(unsafe_fixes=True)
SAFE = Config()
PATH = "generated.py"


def parse(raw: bytes) -> cst.Module:
    return cst.parse_module(NewlineStyle.detect(raw).to_parser(raw))


def comments(raw: bytes) -> Counter:
    data = NewlineStyle.detect(raw).to_parser(raw)
    return Counter(t.string.rstrip() for t in tokenize.tokenize(io.BytesIO(data).readline) if t.type == tokenize.COMMENT)


def _is_import(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def untouched_statements(raw: bytes, finding_lines: set[int]) -> list[str]:
    """Code of each top-level non-import statement containing no finding, in order."""
    wrapper = MetadataWrapper(parse(raw))
    positions = wrapper.resolve(PositionProvider)
    module = wrapper.module
    kept = []
    for stmt in module.body:
        where = positions[stmt]
        if _is_import(stmt) or any(where.start.line <= line <= where.end.line for line in finding_lines):
            continue
        kept.append(module.code_for_node(stmt.with_changes(leading_lines=())))
    return kept


def all_statements(raw: bytes) -> list[str]:
    module = parse(raw)
    return [module.code_for_node(stmt.with_changes(leading_lines=())) for stmt in module.body]


def assert_is_subsequence(needles: list[str], haystack: list[str]) -> None:
    position = 0
    for needle in needles:
        while position < len(haystack) and haystack[position] != needle:
            position += 1
        assert position < len(haystack), f"an untouched top-level statement changed or moved:\n{needle}"
        position += 1


def check_fix(generated: GeneratedModule, config: Config) -> None:
    raw = generated.source
    note(generated.source.decode("utf-8", "replace"))
    for shape in generated.shapes:
        event(shape)
    before = lint_source(raw, PATH, config)
    assert before.error is None, before.error
    for finding in before.findings:
        event(f"finding {finding.code}")
    result = fix_source(raw, PATH, config)
    assert result.error is None, result.error
    assert result.fix_error is None, result.fix_error
    if result.new_source is None:
        event("nothing fixed")
        return
    new = result.new_source
    note("--- fixed ---\n" + new.decode("utf-8", "replace"))
    event(f"fixed {result.fixed_count}")

    # parses and compiles
    parse(new)
    compile(new, PATH, "exec", dont_inherit=True)

    # newline style and BOM kept
    assert new.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    if b"\r\n" in raw:
        assert new.count(b"\n") == new.count(b"\r\n")
    elif b"\r" in raw:
        assert b"\n" not in new
    else:
        assert b"\r" not in new

    # idempotent
    again = fix_source(new, PATH, config)
    assert again.fix_error is None, again.fix_error
    assert again.new_source is None, "fixing the fixed output changed it again:\n" + again.new_source.decode("utf-8", "replace")

    # never more findings
    after = lint_source(new, PATH, config)
    assert after.error is None
    assert len(after.findings) <= len(before.findings), (before.findings, after.findings)
    assert after.findings == result.findings

    # untouched top-level statements are unchanged
    assert_is_subsequence(untouched_statements(raw, {f.line for f in before.findings}), all_statements(new))

    # every comment survives
    missing = comments(raw) - comments(new)
    assert not missing, f"comments lost: {sorted(missing.elements())}"


@given(modules())
def test_lint_never_raises(generated):
    count_example("test_lint_never_raises")
    note(generated.source.decode("utf-8", "replace"))
    for config in (SAFE, UNSAFE):
        result = lint_source(generated.source, PATH, config)
        assert result.error is None, result.error
        assert all(f.path == PATH and f.line >= 1 for f in result.findings)
    # without the prefilter every rule sees the module
    result = lint_source(generated.source, PATH, UNSAFE, use_prefilter=False)
    assert result.error is None


@given(modules())
def test_unsafe_fix_never_breaks_the_module(generated):
    count_example("test_unsafe_fix_never_breaks_the_module")
    check_fix(generated, UNSAFE)


@given(modules(max_shapes=2))
def test_safe_fix_never_breaks_the_module(generated):
    count_example("test_safe_fix_never_breaks_the_module")
    check_fix(generated, SAFE)


# --------------------------------------------------------------------------- regressions found by the fuzzer

ONE_LINE_IFS = {
    "CRL101": "_x = None\ndef get():\n    global _x\n    if _x is None: _x = make()  # build\n    return _x\n",
    "CRL105": "_c = {}\ndef get(k):\n    if k not in _c: _c[k] = make(k)\n    return _c[k]\n",
    "CRL102": "class C:\n    _i = None\n    @classmethod\n    def get(cls):\n        if cls._i is None: cls._i = cls()\n        return cls._i\n",
}


@pytest.mark.parametrize("code", sorted(ONE_LINE_IFS))
def test_one_line_if_singleton_is_fixed(code):
    result = fix_source(ONE_LINE_IFS[code], "m.py", UNSAFE)
    assert [f.code for f in lint_source(ONE_LINE_IFS[code], "m.py", UNSAFE).findings] == [code]
    assert result.fix_error is None, result.fix_error
    assert result.new_source is not None and b"# build" in result.new_source or code != "CRL101"
    compile(result.new_source, "m.py", "exec")


ONE_LINE_INITS = {
    "CRL301": "import json\nclass S:\n    def __init__(self, path): self.path = path  # keep\n"
    "    def save(self, values):\n        with open(self.path, 'w') as f:\n            json.dump(values, f)\n",
    # the object keeps its thread, so it gets a lock of its own (not the class-level one of plain objects)
    "CRL401": "import threading\nclass W:\n    def __init__(self): self.running = True; self.t = threading.Thread(target=self._loop); self.t.start()\n"
    "    def _loop(self):\n        while self.running:\n            pass\n    def stop(self):\n        self.running = False\n"
    "    def resume(self):\n        self.running = True\n",  # set back: CRL401, not a one-way flag (CRL403)
}


@pytest.mark.parametrize("code", sorted(ONE_LINE_INITS))
def test_lock_added_to_one_line_init(code):
    """`self._lock = ...` inserted into `def __init__(self): ...` on one line (was: fix reverted, AttributeError)."""
    source = ONE_LINE_INITS[code]
    assert code in {f.code for f in lint_source(source, "m.py", UNSAFE).findings}
    result = fix_source(source, "m.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    compile(result.new_source, "m.py", "exec")
    assert b"self._lock = threading.Lock(); self." in result.new_source
    assert fix_source(result.new_source, "m.py", UNSAFE).new_source is None


ONE_LINE_WITH = "import threading\n_x = None\n_lock = threading.Lock()\ndef get():\n    global _x\n    if _x is None:\n        with _lock: _x = make()\n    return _x\n"


def test_broken_dcl_with_one_line_with_is_linted_and_fixed():
    linted = lint_source(ONE_LINE_WITH, "m.py", UNSAFE)
    assert linted.error is None, linted.error
    assert [f.code for f in linted.findings] == ["CRL103"]
    fixed = fix_source(ONE_LINE_WITH, "m.py", UNSAFE)
    assert fixed.fix_error is None and fixed.new_source is not None


def test_rule_crash_is_reported_as_an_internal_error_not_a_syntax_error():
    """Whatever the rule bug, `check` says so in one line instead of "cannot parse: AssertionError"."""
    for result in (lint_source(ONE_LINE_WITH, "m.py", UNSAFE), fix_source(ONE_LINE_WITH, "m.py", UNSAFE)):
        assert result.error is None or result.error.message.startswith("internal error: racelint crashed")


ONE_LINE_TRY = "import sqlite3\ndef f(p):\n    c = sqlite3.connect(p)\n    try: c.execute('x')\n    finally:\n        c.close()\n"


def test_sqlite_try_finally_with_one_line_try_is_linted():
    """`try: c.execute(...)` on one line (was: CRL201 read `.header` of the suite and crashed the lint)."""
    linted = lint_source(ONE_LINE_TRY, "m.py", UNSAFE)
    assert linted.error is None, linted.error
    assert [f.code for f in linted.findings] == ["CRL201"]
    fixed = fix_source(ONE_LINE_TRY, "m.py", UNSAFE)
    assert fixed.error is None and fixed.fix_error is None
