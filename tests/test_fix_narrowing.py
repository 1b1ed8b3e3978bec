"""A fix through the narrowed module writes and reports exactly what the whole-module fix does."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from cortex_racelint import Config
from cortex_racelint.engine import fixer, prefilter
from cortex_racelint.engine.fix_narrowing import NarrowedModule, WholeModuleNeeded
from cortex_racelint.engine.lint import lint_source
from cortex_racelint.registry import RuleSet

from .conftest import in_this_repo

UNSAFE = Config(unsafe_fixes=True)

FILLER = '''

def helper_{n}(values):
    """Ordinary code the fix never reads."""
    total = 0
    for value in values:
        total += value * {n}
    return total


class Plain{n}:
    size = {n}

    def grow(self):
        return self.size + 1

    def resize(self, size):
        self.size = size  # per-instance state: a lazily made Plain is not an equal value
'''

LAZY = '''

_registry_instance = None


def get_registry():
    global _registry_instance
    if _registry_instance is None:
        _registry_instance = Plain0()
    return _registry_instance
'''

#: report-only: still reported after the fix, below the dropped code
REMAINING = '''

from functools import lru_cache


@lru_cache(maxsize=None)
def get_settings():
    return Plain1()
'''


def _module(*middle: str, fillers: int = 6) -> str:
    head = '"""Generated."""\n\nimport json\n'
    blocks = [FILLER.format(n=n) for n in range(fillers)]
    return head + "".join(blocks[: fillers // 2]) + "".join(middle) + "".join(blocks[fillers // 2 :])


def _whole_module_fix(source: str, config: Config = UNSAFE):
    """The whole-module path alone (the narrowed one made unavailable)."""
    original = NarrowedModule.build
    NarrowedModule.build = classmethod(lambda cls, raw, screening: None)  # type: ignore[method-assign]
    try:
        return fixer.fix_source(source, "m.py", config)
    finally:
        NarrowedModule.build = original  # type: ignore[method-assign]


def _narrowed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the whole-module path runs."""

    def refuse(*args, **kwargs):
        raise AssertionError("the whole-module fix ran")

    monkeypatch.setattr(fixer, "_fix_module", refuse)


def _summary(result) -> tuple:
    return result.new_source, result.findings, result.fixed_count, result.fix_error, result.hidden_unsafe


@pytest.mark.parametrize("config", [Config(), UNSAFE])
def test_narrowed_fix_equals_whole_module_fix(monkeypatch: pytest.MonkeyPatch, config: Config) -> None:
    source = _module(LAZY, REMAINING)
    whole = _whole_module_fix(source, config)
    _narrowed_only(monkeypatch)
    narrowed = fixer.fix_source(source, "m.py", config)
    assert narrowed.fixed_count == 1 and narrowed.new_source is not None
    assert _summary(narrowed) == _summary(whole)
    # the remaining finding is placed in the whole fixed module, as `check` of it places it
    assert [f.code for f in narrowed.findings] == ["CRL106"]
    assert narrowed.findings == lint_source(narrowed.new_source, "m.py", config).findings


def test_dropped_statements_come_back_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    source = _module(LAZY).replace("total = 0", "total = 0  # keep   this\t spacing")
    _narrowed_only(monkeypatch)
    fixed = fixer.fix_source(source, "m.py", Config()).new_source
    assert fixed is not None
    for n in range(6):
        block = FILLER.format(n=n).replace("total = 0", "total = 0  # keep   this\t spacing")
        assert block.strip().encode() in fixed
    compile(fixed, "m.py", "exec")


def test_an_import_the_dropped_code_may_use_is_decided_on_the_whole_module() -> None:
    """`connect` is no longer used by the fixed function, but a dropped helper uses it."""
    pooled = '''

def save(path, key):
    conn = connect(path)
    conn.execute("INSERT INTO kv VALUES (?)", (key,))
    conn.commit()
    conn.close()
'''
    user = '''

def other_user(path):
    return connect(path).execute("SELECT 1").fetchall()
'''
    source = _module(pooled, user).replace("import json\n", "import json\nfrom sqlite3 import connect\n")
    with_pool = in_this_repo(UNSAFE)  # the pooled fix needs the pool module this repository has
    narrowed = fixer.fix_source(source, "m.py", with_pool)
    assert narrowed.new_source is not None and b"from sqlite3 import connect" in narrowed.new_source
    assert _summary(narrowed) == _summary(_whole_module_fix(source, with_pool))


def _narrowed(source: str) -> NarrowedModule:
    raw = source.encode()
    screening = prefilter.screen(raw, RuleSet.for_file(Config(), "").rules)
    narrowed = NarrowedModule.build(raw, screening)
    assert narrowed is not None
    return narrowed


def test_splice_refuses_a_changed_or_lost_stub() -> None:
    narrowed = _narrowed(_module(LAZY))
    assert narrowed.splice(narrowed.source) == _module(LAZY).encode()
    stub = next(line for line in narrowed.source.splitlines(keepends=True) if b"#~narrowed~" in line)
    with pytest.raises(WholeModuleNeeded):
        narrowed.splice(narrowed.source.replace(stub, stub.replace(b"pass", b"return 1")))
    with pytest.raises(WholeModuleNeeded):
        narrowed.splice(narrowed.source.replace(stub, b""))


def test_a_narrowed_module_is_smaller_and_keeps_the_lines_of_kept_code() -> None:
    source = _module(LAZY, fillers=20)
    narrowed = _narrowed(source)
    assert len(narrowed.source.splitlines()) < len(source.splitlines()) / 2
    line = source.splitlines().index("def get_registry():") + 1
    narrowed_line = narrowed.source.decode().splitlines().index("def get_registry():") + 1
    assert narrowed.whole_line(narrowed_line) == line


@pytest.mark.parametrize(
    "source",
    [
        '"""Doc."""\nimport os\nfrom typing import Any\n\nx = 1\n\n\ndef f():\n    return os\n',
        "import os\nx = 1\n",
        "def f():\n    pass\n\n\nimport os\n",
        '"""Doc only."""\n',
        "from threading import Thread\n\n# note\ny = 2\n",
    ],
)
def test_adding_imports_on_the_head_equals_the_whole_module(source: str) -> None:
    module = cst.parse_module(source)
    expected_context, context = CodemodContext(), CodemodContext()
    for ctx in (expected_context, context):
        AddImportsVisitor.add_needed_import(ctx, "threading")
        AddImportsVisitor.add_needed_import(ctx, "typing", "Optional")
    expected = AddImportsVisitor(expected_context).transform_module(module).code
    assert fixer._add_imports(module, context).code == expected


def test_a_module_of_thousands_of_statements_gets_its_import_on_the_whole_module_path() -> None:
    """`AddImportsVisitor` matches the module body recursively, one frame per statement: given the
    whole module it hit the recursion limit (at some thousands of statements) and the file was reported
    unparsable."""
    source = _module(LAZY, fillers=2) + "".join(f"value_{n} = {n}\n" for n in range(4000))
    result = fixer.fix_source(source, "m.py", Config(), use_prefilter=False)  # no narrowing without the prefilter
    assert result.error is None and result.fix_error is None and result.fixed_count == 1
    assert result.new_source is not None and b"import threading\n" in result.new_source


def test_pruning_an_import_the_dropped_code_mentions_is_left_to_the_whole_module() -> None:
    narrowed = _narrowed(_module(LAZY, "\n\ndef uses_json():\n    return json.dumps(1)\n"))
    assert narrowed.mentions("json") and not narrowed.mentions("sqlite3")
    before = cst.parse_module("import json\nimport sqlite3\nx = json.dumps(sqlite3.version)\n")
    after = cst.parse_module("import json\nimport sqlite3\nx = 1\n")
    with pytest.raises(WholeModuleNeeded):
        fixer.remove_imports_made_unused(before, after, narrowed)
    assert fixer.remove_imports_made_unused(before, after).code == "x = 1\n"


#: CRL301's lock form makes the file's unlocked reads CRL302 findings in the next round: the
#: readers (anywhere in the module for a global path), who calls them and what they call are kept
JOURNAL = '''

class Journal:
    journal_file = "journal.json"

    @classmethod
    def save(cls, entries):
        with open(cls.journal_file, "w") as handle:
            json.dump(entries, handle)

    @classmethod
    def load(cls):
        with open(cls.journal_file) as handle:
            return json.load(handle)
'''
GLOBAL_PATH = '''

STATE = "state.json"


def save_state(text):
    with open(STATE, "w") as handle:
        handle.write(text)
'''
GLOBAL_READERS = '''

def show_state():
    with open(STATE) as handle:
        return handle.read()


def _peek():
    return open(STATE).read()


def peek_twice():
    return _peek() + _peek()
'''
LOCKED_READER = '''

import threading

_settings_lock = threading.Lock()


def store_settings(text):
    with _settings_lock:
        with open(SETTINGS, "w") as handle:
            handle.write(text)
'''
LOCKED_READER_USES = '''

SETTINGS = "settings.json"


def read_settings():
    with open(SETTINGS) as handle:
        return handle.read()


def _settings_size():
    return len(open(SETTINGS).read())


def reload_settings():
    with _settings_lock:
        return _settings_size()
'''


@pytest.mark.parametrize(
    "middle",
    [(JOURNAL,), (GLOBAL_PATH, FILLER.format(n=90), GLOBAL_READERS), (LOCKED_READER, FILLER.format(n=91), LOCKED_READER_USES)],
    ids=["class path", "global path, readers far away", "locked writer, reader under a caller's lock"],
)
@pytest.mark.parametrize("config", [Config(), UNSAFE])
def test_file_write_and_read_fixes_are_narrowed_and_equal_the_whole_module_fix(
    monkeypatch: pytest.MonkeyPatch, config: Config, middle: tuple[str, ...]
) -> None:
    source = _module(*middle, fillers=8)
    whole = _whole_module_fix(source, config)
    assert whole.fixed_count >= 1 and whole.new_source is not None
    _narrowed_only(monkeypatch)
    narrowed = fixer.fix_source(source, "m.py", config)
    assert _summary(narrowed) == _summary(whole)
    assert narrowed.findings == lint_source(narrowed.new_source, "m.py", config).findings


def _fixable_examples() -> list[tuple[str, str]]:
    from cortex_racelint.registry import all_rules

    return [
        (f"{rule.CODE}-{index}", example.source)
        for rule in all_rules()
        for index, example in enumerate(rule.INVALID)
        if getattr(example, "expected_fix", None)
    ]


@pytest.mark.parametrize("source", [s for _, s in _fixable_examples()], ids=[i for i, _ in _fixable_examples()])
def test_fixes_entering_only_the_edited_nodes_equal_a_full_transformer_pass(
    monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """`_FixApplier` enters only the nodes on the way to an edit; the output is the same."""
    from cortex_racelint.engine.lint import run_rules
    from cortex_racelint.project.standalone import own_facts
    from cortex_racelint.registry import opt_in_codes, project_rules

    config = in_this_repo(replace(UNSAFE, extend_select=tuple(sorted(opt_in_codes()))))  # every rule's examples
    config = own_facts(source.encode(), "m.py", config, project_rules(config))  # a project rule's example: one module
    rules = RuleSet.for_file(config, "").rules  # with facts, the project rules too
    module = cst.parse_module(source)
    run = run_rules(module, "m.py", rules, config)
    chosen = fixer.choose_fixes(run, run.reports, True)
    assert chosen
    targets = {id(node) for report in chosen for node in report.fix.replacements}
    on_path = fixer._paths_to(module, targets)
    assert on_path is not None and targets <= on_path and id(module) in on_path
    pruned = fixer.apply_fixes(module, chosen).code
    monkeypatch.setattr(fixer, "_paths_to", lambda module, targets: None)
    assert pruned == fixer.apply_fixes(module, chosen).code


def test_an_import_still_used_by_an_untouched_statement_is_kept() -> None:
    """Uses are counted in the statements a fix changed; the others are read when a name may have gone."""
    before = cst.parse_module("import json\nimport sqlite3\n\n\ndef f():\n    return sqlite3.connect(json)\n\n\ndef g():\n    return json\n")
    changed = before.body[2].with_changes(body=cst.parse_statement("def f():\n    return 1\n").body)
    after = before.with_changes(body=[*before.body[:2], changed, before.body[3]])
    assert fixer.remove_imports_made_unused(before, after).code == (
        "import json\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return json\n"
    )
    only_string = after.with_changes(body=[*after.body[:3], cst.parse_statement("__all__ = ['sqlite3']\n")])
    assert "import sqlite3" in fixer.remove_imports_made_unused(before, only_string).code


def _fix_cost_benchmark():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "fix_cost.py"
    spec = importlib.util.spec_from_file_location("fix_cost_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIX_COST = _fix_cost_benchmark()


@pytest.mark.parametrize("kind", list(FIX_COST._FINDINGS))
def test_every_fix_cost_module_is_fixed_as_the_whole_module_fix_does(kind: str) -> None:
    """The benchmark's modules (one finding per rule with a fix), small: the fix taken (narrowed where the
    rules allow it) writes and reports what fixing the whole module does."""
    config = Config(unsafe_fixes=True)
    if FIX_COST._FINDINGS[kind].project:  # CRL201: the project's own pool module
        config = Config(unsafe_fixes=True, sqlite_pool="dbpool:get_connection_pool", present_helpers=("dbpool",))
    source = FIX_COST.generate(600, kind)
    fixed = fixer.fix_source(source, "m.py", config)
    assert fixed.fixed_count >= 1 and fixed.new_source is not None and not fixed.findings
    assert _summary(fixed) == _summary(_whole_module_fix(source, config))
