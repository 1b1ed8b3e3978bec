"""The prefilter never drops a true finding: same findings with and without it."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, lint_source
from cortex_racelint.registry import all_rules

from .conftest import FIXTURES

FILES = sorted(p for p in FIXTURES.rglob("*.py"))
EVERYTHING = Config(select=("ALL",))
#: every rule but CRL001 (unused suppressions), which turns off parsing a narrowed module
RULES_ONLY = Config(select=("CRL1", "CRL2", "CRL3", "CRL4", "CRL5"))
CONFIGS = pytest.mark.parametrize("config", [EVERYTHING, RULES_ONLY], ids=["all", "narrowed"])


def findings(path, use_prefilter, config=EVERYTHING):
    result = lint_source(path.read_bytes(), str(path), config, use_prefilter=use_prefilter)
    # the fix offered (or why none) too: a narrowed module must not change what a rule decides
    found = [(f.code, f.line, f.column, f.message, f.fix_applicability, f.no_fix_reason) for f in result.findings]
    return found, result.error


@CONFIGS
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_prefilter_keeps_every_finding(path, config):
    assert findings(path, True, config) == findings(path, False, config)


@CONFIGS
@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.CODE)
def test_prefilter_keeps_every_rule_example(rule, config):
    for example in rule.INVALID:
        with_filter = lint_source(example.source, "x.py", config).findings
        without = lint_source(example.source, "x.py", config, use_prefilter=False).findings
        assert with_filter == without


def test_prefilter_skips_files_without_evidence(monkeypatch):
    from cortex_racelint.engine import lint as engine

    parsed = []
    monkeypatch.setattr(engine, "parse", lambda raw: parsed.append(raw) or (_ for _ in ()).throw(AssertionError))
    assert lint_source(b"def add(a, b):\n    return a + b\n", "x.py").findings == []
    assert parsed == []


NARROWABLE = (
    "\ufeffimport threading\r\n"
    "_x = _lock = None\r\n"
    "\r\n"
    "@decorated(\r\n"
    "    1)\r\n"
    "def unrelated(a):\r\n"
    '    """A docstring\r\n'
    '    over lines."""\r\n'
    "    return a\r\n"
    "class Holder:\r\n"
    "    def __init__(self):\r\n"
    "        self._guard = threading.Lock()\r\n"
    "def get():  # racy\r\n"
    "    global _x\r\n"
    "    if _x is None:\r\n"
    "        with _lock:\r\n"
    "            _x = object()\r\n"
    "    return _x\r\n"
)
#: CRL103 (the broken double-checked locking above) looks only at the statements its shape is in;
#: CRL101/102/105 also at every def or class holding a `with` or called from those (`lazy_lock_scope`).
NARROWING_RULE = Config(select=("CRL103",))


def test_narrowed_source_keeps_needed_statements_in_place_and_stubs_the_rest():
    from cortex_racelint.engine import prefilter
    from cortex_racelint.registry import enabled_rules

    raw = NARROWABLE.encode("utf-8")
    every_rule = prefilter.narrowed_source(raw, prefilter.screen(raw, enabled_rules(RULES_ONLY, "x.py")))
    assert every_rule is not None and every_rule.splitlines()[3] == b"def unrelated(): pass"
    screening = prefilter.screen(raw, enabled_rules(NARROWING_RULE, "x.py"))
    assert [r.CODE for r in screening.rules] == ["CRL103"]
    narrowed = prefilter.narrowed_source(raw, screening)
    assert narrowed is not None and narrowed.startswith(b"\xef\xbb\xbf")
    old, new = raw.splitlines(keepends=True), narrowed.splitlines(keepends=True)
    assert len(old) == len(new) and all(line.endswith(b"\r\n") for line in new)
    assert new[3] == b"def unrelated(): pass\r\n" and new[4:9] == [b"\r\n"] * 5  # decorator and body gone
    assert new[9:] == old[9:]  # the lock-holding class and the racy function, byte for byte
    assert [(f.code, f.line, f.column) for f in lint_source(raw, "x.py", NARROWING_RULE).findings] == [("CRL103", 15, 4)]


def test_rules_that_need_the_whole_module_are_not_narrowed():
    from cortex_racelint.engine import prefilter
    from cortex_racelint.registry import enabled_rules
    from cortex_racelint.rule import Rule

    class WholeModule(Rule):  # no `ast_statements`: it may report anywhere
        CODE = "CRL999"

        @classmethod
        def ast_candidate(cls, facts) -> bool:
            return True

    raw = NARROWABLE.encode("utf-8")
    rules = [*enabled_rules(RULES_ONLY, "x.py"), WholeModule]
    screening = prefilter.screen(raw, rules)
    assert "CRL999" in [r.CODE for r in screening.rules]
    assert prefilter.narrowed_source(raw, screening) is None
    assert prefilter.narrowed_source(raw, prefilter.screen(raw, rules[:-1])) is not None


#: CRL302 reads the module's locked writes and every read of a shared path, with who calls
#: the reader (a caller holding the lock makes the fix deadlock; a private helper inherits the
#: locks all its callers hold) and the helpers the read calls; each extra differs in one of those
READ_SCOPE = """\
import threading
STATE = "state.json"
_lock = threading.Lock()

def unrelated():
    return 1

def save(text):
    with _lock:
        open(STATE, "w").write(text)

def _load():
    return open(STATE).read()
{extra}
"""
#: name -> (extra code, whether CRL302 reports: not when every call of `_load` holds the lock)
READ_SCOPE_EXTRAS = {
    "an unlocked caller": ("def show():\n    print(_load())\n", True),
    "every caller locked": ("def show():\n    with _lock:\n        print(_load())\n", False),
    "a locked caller at class level": ("class AtImport:\n    with _lock:\n        _load()\n", False),
    "a locked caller two calls away": ("def outer():\n    with _lock:\n        _middle()\ndef _middle():\n    _load()\n", False),
    "a path-method reader in a class": ("class Reader:\n    def get(self):\n        return Path(STATE).read_text()\n", True),
    "a reader calling a locking helper": (
        "def _locked_touch():\n    with _lock:\n        pass\n"
        "def peek():\n    with open(STATE) as f:\n        _locked_touch()\n        return f.read()\n",
        True,
    ),
}


@pytest.mark.parametrize("extra, reported", READ_SCOPE_EXTRAS.values(), ids=READ_SCOPE_EXTRAS.keys())
def test_file_read_narrowing_keeps_readers_their_callers_and_helpers(extra, reported):
    from cortex_racelint.engine import prefilter
    from cortex_racelint.registry import enabled_rules

    raw = READ_SCOPE.format(extra=extra).encode()
    screening = prefilter.screen(raw, enabled_rules(RULES_ONLY, "x.py"))
    assert "CRL302" in [r.CODE for r in screening.rules]
    narrowed = prefilter.narrowed_source(raw, screening)
    assert narrowed is not None and b"def unrelated(): pass" in narrowed and b"return 1" not in narrowed
    for kept in (b"return open(STATE).read()", extra.encode()):
        assert kept in narrowed
    found = [(f.code, f.line, f.fix_applicability, f.no_fix_reason) for f in lint_source(raw, "x.py", RULES_ONLY).findings]
    whole = lint_source(raw, "x.py", RULES_ONLY, use_prefilter=False).findings
    assert found == [(f.code, f.line, f.fix_applicability, f.no_fix_reason) for f in whole]
    assert ("CRL302" in [code for code, *_ in found]) == reported


#: CRL301 looks beyond the write's statement: at who calls a writing module function
#: (locks all callers hold are inherited; a caller in a class body holds none) and at
#: the helpers the writer calls. Each module below differs in one such statement.
WRITE_SCOPE = """\
import threading
STATE = "state.json"
_lock = threading.Lock()

def unrelated():
    return 1

def _save(text):
    open(STATE, "w").write(text)

def save_all(text):
    with _lock:
        _save(text)

class Late:
    def flush(self):
        with _lock:
            _save("")
{extra}
"""
WRITE_SCOPE_EXTRAS = {
    "every caller locked": "",
    "an unlocked caller in a method": "class Other:\n    def go(self):\n        _save('x')\n",
    "an unlocked caller at class level": "class AtImport:\n    _save('x')\n",
    "an unlocked caller, two calls away": "def outer():\n    middle()\ndef middle():\n    _save('x')\n",
}


WRITES_ONLY = Config(select=("CRL301",))  # CRL302 (selected by a locked write) keeps its readers too


@pytest.mark.parametrize("extra", WRITE_SCOPE_EXTRAS.values(), ids=WRITE_SCOPE_EXTRAS.keys())
def test_file_write_narrowing_keeps_callers_and_helpers(extra):
    from cortex_racelint.engine import prefilter
    from cortex_racelint.registry import enabled_rules

    raw = WRITE_SCOPE.format(extra=extra).encode()
    screening = prefilter.screen(raw, enabled_rules(WRITES_ONLY, "x.py"))
    assert [r.CODE for r in screening.rules] == ["CRL301"]
    narrowed = prefilter.narrowed_source(raw, screening)
    assert narrowed is not None and b"def unrelated(): pass" in narrowed and b"return 1" not in narrowed
    for kept in (b"with _lock:\n        _save(text)", b"_save(\"\")", extra.encode()):
        assert kept in narrowed
    with_filter = lint_source(raw, "x.py", WRITES_ONLY).findings
    assert with_filter == lint_source(raw, "x.py", WRITES_ONLY, use_prefilter=False).findings
    assert bool(with_filter) == bool(extra)  # only an unlocked caller leaves the write unguarded


def test_a_write_locked_only_by_its_callers_keeps_crl302():
    """Found while narrowing CRL301: the prefilter took `_save` for an unlocked writer."""
    raw = (WRITE_SCOPE.format(extra="") + "def _load():\n    return open(STATE).read()\n").encode()
    with_filter = lint_source(raw, "x.py", RULES_ONLY).findings
    assert [f.code for f in with_filter] == ["CRL302"]
    assert with_filter == lint_source(raw, "x.py", RULES_ONLY, use_prefilter=False).findings


def test_builtin_map_is_not_a_thread_entry():
    from cortex_racelint.engine import prefilter

    source = b"class C:\n    def names(self):\n        return list(map(str, self.items))\n"
    facts = prefilter.ast_facts(source)
    assert facts is not None and not facts.thread_entry
    pooled = source.replace(b"list(map(", b"list(self.pool.map(")
    assert prefilter.ast_facts(pooled).thread_entry


@pytest.mark.parametrize("imports, call", [
    ("import atexit\n", "atexit.register"), ("import atexit as ax\n", "ax.register"),
    ("from atexit import register\n", "register"), ("from atexit import register as on_exit\n", "on_exit"),
    ("import signal\n", "signal.signal"), ("from signal import signal\n", "signal"),
])
def test_entries_named_by_module_need_its_import(imports, call):
    """`atexit.register`/`signal.signal` hand a method over only in a module importing the package:
    a registry's own `self.register(...)` (argparse, tkinter) is no thread entry, however spelled."""
    from cortex_racelint.engine import prefilter

    handler = "signal.SIGTERM, " if "signal" in call else ""
    body = (
        "class Log:\n    def __init__(self):\n        self.count = 0\n"
        f"        {call}({handler}self.flush)\n\n    def flush(self):\n        self.count += 1\n\n"
        "    def write(self):\n        self.count += 1\n"
    ).encode()
    assert prefilter.ast_facts(imports.encode() + body).thread_entry
    assert not prefilter.ast_facts(body).thread_entry
    registry = b"class Parser:\n    def __init__(self):\n        self.register('type', self._convert)\n"
    assert not prefilter.ast_facts(registry).thread_entry


def test_lazy_rules_keep_the_lock_holders_and_callees_of_their_sites():
    """The lock choice reads callers holding a lock and what the creation calls: never stubbed."""
    from cortex_racelint.engine import prefilter
    from cortex_racelint.registry import enabled_rules

    raw = (
        b"import threading\n_config = None\n_config_lock = threading.Lock()\n\n"
        b"def unrelated():\n    return 1\n\n"
        b"def load():\n    return Settings()\n\n"
        b"class Settings:\n    def __init__(self):\n        self.values = read()\n\n"
        b"class Unused:\n    def grow(self):\n        return 2\n\n"
        b"def read():\n    return {}\n\n"
        b"def get_config():\n    global _config\n    if _config is None:\n        _config = load()\n    return _config\n\n"
        b"def reload():\n    with _config_lock:\n        return get_config()\n"
    )
    screening = prefilter.screen(raw, enabled_rules(RULES_ONLY, "x.py"))
    narrowed = prefilter.narrowed_source(raw, screening)
    assert narrowed is not None
    kept = narrowed.decode()
    assert "return 1" not in kept and "return 2" not in kept  # `unrelated` and `Unused` are stubbed
    for needed in ("return Settings()", "self.values = read()", "return {}", "with _config_lock:", "_config = load()"):
        assert needed in kept
    [finding] = lint_source(raw, "x.py", RULES_ONLY).findings
    assert finding.fix_applicability is None and "`_config_lock` is a plain lock already" in finding.no_fix_reason


@pytest.mark.parametrize("future, entry", [
    ("self.pool.submit(self.work).add_done_callback(self.done)", True),
    ("fut = self.pool.submit(self.work)\n        fut.add_done_callback(self.done)", True),
    ("task = asyncio.ensure_future(self.work())\n        task.add_done_callback(self.done)", False),
    ("self.loop.create_task(self.work()).add_done_callback(self.done)", False),
])
def test_done_callbacks_are_entries_only_on_executor_futures(future, entry):
    """The entry table counts `add_done_callback` only on a `.submit()` future (its callbacks run on the
    worker); an asyncio task's run on its loop: the prefilter must agree, or every asyncio module
    keeps the CRL3/CRL4 rules and is parsed by LibCST for nothing, and the rule still reports there."""
    from cortex_racelint.engine import prefilter

    source = (
        "import asyncio\n\nclass Job:\n    def start(self):\n        self.count = 0\n"
        f"        {future}\n\n    def done(self, fut):\n        self.count += 1\n\n"
        "    def bump(self):\n        self.count += 1\n"
    ).encode()
    assert prefilter.ast_facts(source).thread_entry is entry
    whole = lint_source(source, "x.py", EVERYTHING, use_prefilter=False).findings
    assert lint_source(source, "x.py", EVERYTHING).findings == whole
    assert any(f.code.startswith("CRL3") or f.code.startswith("CRL4") for f in whole) is entry
