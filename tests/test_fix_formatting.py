"""Fixed code stays well formatted: continuation lines follow the block they moved into, and a
module lock put beside a def or class gets PEP 8's two blank lines (issue 14, formatting)."""

from __future__ import annotations

import textwrap

import libcst as cst

from cortex_racelint import Config, fix_source
from cortex_racelint.fixes.blocks import double_checked, shifted, wrap_statements


def _fixed(source: str, unsafe: bool = False) -> str:
    result = fix_source(textwrap.dedent(source), "case.py", Config(unsafe_fixes=unsafe, file_write_fix="lock"))
    assert result.error is None and result.fix_error is None
    assert result.new_source is not None, "racelint left the module alone"
    return result.new_source.decode("utf-8")


def test_a_backslash_continuation_moves_with_its_statement() -> None:
    fn = cst.parse_statement("def f():\n    if a and \\\n            b:\n        go()\n")
    assert isinstance(fn, cst.FunctionDef)
    wrapped = wrap_statements(cst.Name("lock"), list(fn.body.body))
    code = cst.Module(body=[fn.with_changes(body=fn.body.with_changes(body=[wrapped]))]).code
    assert code == "def f():\n    with lock:\n        if a and \\\n                b:\n            go()\n"


def test_the_recheck_of_a_double_checked_lock_indents_its_continuation() -> None:
    check = cst.parse_statement("if key not in \\\n        cache:\n    cache[key] = 1\n")
    assert isinstance(check, cst.If)
    code = cst.Module(body=[double_checked(check, cst.Name("lock"))]).code
    assert code == (
        "if key not in \\\n        cache:\n"
        "    with lock:\n        if key not in \\\n                cache:\n            cache[key] = 1\n"
    )
    compile(code, "case.py", "exec")


def test_shifting_keeps_windows_newlines_and_code_without_continuations() -> None:
    node = cst.parse_statement("x = a + \\\r\n    b\r\n")
    assert "\\\r\n        b" in cst.Module(body=[shifted(node, 1)]).code
    plain = cst.parse_statement("x = a + b\n")
    assert shifted(plain, 1) is plain
    string = cst.parse_statement("x = 'a\\\\\\nb'\n")  # a backslash in a string is not a continuation
    assert cst.Module(body=[shifted(string, 1)]).code == "x = 'a\\\\\\nb'\n"


def test_a_lazy_cache_recheck_with_a_backslash_condition_is_indented() -> None:
    fixed = _fixed(
        """
        _cache = {}


        def get(key):
            if key not in \\
                    _cache:
                _cache[key] = object()
            return _cache[key]
        """
    )
    assert "            if key not in \\\n                    _cache:\n" in fixed
    compile(fixed, "case.py", "exec")


def test_a_module_lock_after_a_class_body_gets_two_blank_lines_around_it() -> None:
    fixed = _fixed(
        """
        class Config:
            def __init__(self):
                self.values = {}


        def get_config():
            global _config
            if _config is None:
                _config = Config()
            return _config
        """
    )
    assert "        self.values = {}\n\n\n_config_lock = threading.Lock()\n\n\ndef get_config():" in fixed


def test_a_module_lock_after_an_assignment_gets_no_extra_blank_lines() -> None:
    fixed = _fixed(
        """
        import json

        CACHE = "cache.json"


        def save(data):
            with open(CACHE, "w") as f:
                json.dump(data, f)
        """
    )
    assert 'CACHE = "cache.json"\n_cache_lock = threading.Lock()\n\n\ndef save' in fixed
