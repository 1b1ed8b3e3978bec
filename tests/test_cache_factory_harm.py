"""CRL106 keeps the cached factories whose second run does harm; the equal-value ones are the
opt-in CRL107 (issue 15: the harm model of the lazy-init family, applied to `@cache` factories)."""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint import Config, lint_source

WITH_OPT_IN = Config(extend_select=("CRL107",))
#: narrowing on (no CRL001, which needs the whole module): the statements the harm model reads must be kept
NARROWED = Config(select=("CRL1", "CRL107"))


def _factory(body: str, prelude: str = "import functools", after: str = "", returns: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    return f"{prelude}\n\n\n@functools.cache\ndef factory(){returns}:\n{body}\n{after}"


HARMFUL = {
    "unknown constructor": (_factory("return Client()", "import functools\nfrom lib import Client"), "duplicate object"),
    "executor": (
        _factory("return ThreadPoolExecutor(4)", "import functools\nfrom concurrent.futures import ThreadPoolExecutor"),
        "duplicate resource",
    ),
    "atexit hook": (_factory("atexit.register(print)", "import functools, atexit"), "repeated side effect"),
    "handler added through a local logger": (
        _factory("log = logging.getLogger('app')\nlog.addHandler(logging.NullHandler())\nreturn log", "import functools, logging"),
        "repeated side effect",
    ),
    "thread started": (_factory("t = threading.Thread(target=print)\nt.start()\nreturn t", "import functools, threading"), "repeated side effect"),
    "module list appended to": (_factory("_made.append(1)\nreturn 1", "import functools\n_made = []"), "repeated side effect"),
    "registry filled through the result": (
        _factory("return {}", after="\n\ndef register(name, handler):\n    factory()[name] = handler\n"), "lost update",
    ),
    "list appended to through a local": (
        _factory("return []", after="\n\ndef add(x):\n    items = factory()\n    items.append(x)\n"), "lost update",
    ),
    "object despite a str annotation in a union with a class": (
        _factory("return Client()", "import functools\nfrom lib import Client", returns=" -> Client | str"), "duplicate object",
    ),
}

HARMLESS = {
    "bool annotation over an unknown call": (_factory("return probe()", "import functools\nfrom lib import probe", returns=" -> bool")),
    "optional str annotation": (_factory("return find()", "import functools\nfrom lib import find", returns=" -> str | None")),
    "Optional[tuple] annotation": (
        _factory("return find()", "import functools\nfrom typing import Optional\nfrom lib import find", returns=" -> Optional[tuple[int, int]]")
    ),
    "all() over a table": (_factory("return all(k in TABLE for k in ('a', 'b'))", "import functools\nTABLE = {}")),
    "imported module": (_factory("import json\njson.encoder.c_make_encoder = None\nreturn json")),
    "__import__": (_factory("return __import__('_manylinux')")),
    "ctypes library handle": (_factory("import ctypes\nreturn ctypes.CDLL(None, use_errno=True)")),
    "NamedTuple of the module": (
        _factory("return Version(1, 2)", "import functools\nfrom typing import NamedTuple\n\n\nclass Version(NamedTuple):\n    major: int\n    minor: int\n")
    ),
    "frozen dataclass of the module": (
        _factory("return Info('x')", "import functools\nfrom dataclasses import dataclass\n\n\n@dataclass(frozen=True)\nclass Info:\n    name: str\n")
    ),
    "helper of the module annotated with an immutable type": (
        _factory("return _parse()", "import functools\nfrom lib import parse\n\n\ndef _parse() -> tuple:\n    return parse()\n")
    ),
    "dict nobody changes": (_factory("return {'os': 'linux'}", after="\n\ndef copy():\n    return factory().copy()\n")),
    "nested function": (_factory("def probe(fd):\n    return fd > 0\nreturn probe")),
    "warning and a version query": (
        _factory("warnings.warn('old')\nreturn subprocess.check_output(['rustc', '--version'])", "import functools, subprocess, warnings")
    ),
    "tuple of exception classes": (_factory("import sqlite3\nreturn (sqlite3.DatabaseError, sqlite3.OperationalError)")),
}


@pytest.mark.parametrize("name", sorted(HARMFUL))
@pytest.mark.parametrize("config", [Config(), NARROWED], ids=["default", "narrowed"])
def test_a_harmful_factory_stays_crl106_with_its_consequence(name: str, config: Config) -> None:
    source, kind = HARMFUL[name]
    found = [(f.code, f.consequence.kind) for f in lint_source(source, "m.py", config).findings if f.code in ("CRL106", "CRL107")]
    assert found == [("CRL106", kind)]


@pytest.mark.parametrize("name", sorted(HARMLESS))
@pytest.mark.parametrize("config", [WITH_OPT_IN, NARROWED], ids=["whole", "narrowed"])
def test_an_equal_value_factory_moves_to_the_opt_in_crl107(name: str, config: Config) -> None:
    source = HARMLESS[name]
    found = [(f.code, f.consequence.kind) for f in lint_source(source, "m.py", config).findings if f.code in ("CRL106", "CRL107")]
    assert found == [("CRL107", "equal value recomputed")]
    assert not [f for f in lint_source(source, "m.py", Config()).findings if f.code.startswith("CRL10")]


def test_the_opt_in_factory_finding_offers_no_fix_and_says_why() -> None:
    (finding,) = [f for f in lint_source(HARMLESS["__import__"], "m.py", WITH_OPT_IN).findings if f.code == "CRL107"]
    assert finding.fix_applicability is None and "cache decorator" in (finding.no_fix_reason or "")
    assert "does no harm" in finding.message


@pytest.mark.parametrize(
    "signature", ["*, user=False", "**options", "name", "/, *args"], ids=["keyword-only", "kwargs", "positional", "varargs"]
)
def test_a_factory_taking_any_argument_is_a_keyed_cache(signature: str) -> None:
    source = f"import functools\nfrom lib import Client\n\n\n@functools.cache\ndef make({signature}):\n    return Client()\n"
    source = source.replace("(/, *args)", "(*args)")
    assert not [f for f in lint_source(source, "m.py", WITH_OPT_IN).findings if f.code in ("CRL106", "CRL107")]


def test_parsed_json_nobody_changes_is_an_equal_value() -> None:
    source = (
        "import json\n\n\nclass Context:\n    meta = None\n\n    @classmethod\n    def get(cls, raw):\n"
        "        if cls.meta is None:\n            cls.meta = json.loads(raw)\n        return cls.meta\n"
    )
    assert [f.code for f in lint_source(source, "m.py", WITH_OPT_IN).findings] == ["CRL107"]


def test_an_audit_hook_added_twice_is_a_repeated_side_effect() -> None:
    """`sys.` calls are otherwise pure (`sys.intern`, `sys.getrecursionlimit`); an audit hook adds up."""
    source = (
        "import sys\n_installed = False\n\n\ndef install(hook):\n    global _installed\n    if not _installed:\n"
        "        sys.addaudithook(hook)\n        _installed = True\n"
    )
    findings = lint_source(source, "m.py", WITH_OPT_IN).findings
    assert [(f.code, f.consequence.kind) for f in findings] == [("CRL101", "repeated side effect")]

