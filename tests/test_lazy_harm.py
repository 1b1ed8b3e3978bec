"""Lazy-init findings say what the race costs; harmless ones are the opt-in CRL107 (issue 15)."""

from __future__ import annotations

import json
import textwrap

import pytest

from cortex_racelint import Config, lint_source
from cortex_racelint.output import as_json, sarif

WITH_OPT_IN = Config(extend_select=("CRL107",))


def _global(creation: str, prelude: str = "", after: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(creation).strip("\n"), " " * 8)
    return f"{prelude}\n_x = None\n\n\ndef get():\n    global _x\n    if _x is None:\n{body}\n    return _x\n{after}"


CASES = {
    "executor": (_global("_x = ThreadPoolExecutor(4)", "from concurrent.futures import ThreadPoolExecutor"), "CRL101", "duplicate resource", "high"),
    "sqlite connection": (_global("_x = sqlite3.connect('db')", "import sqlite3"), "CRL101", "duplicate resource", "high"),
    "logging handler added": (
        _global("_x = logging.getLogger('app')\n_x.addHandler(logging.NullHandler())", "import logging"),
        "CRL101", "repeated side effect", "high",
    ),
    "thread started": (_global("_x = Worker()\n_x.start()", "from w import Worker"), "CRL101", "repeated side effect", "high"),
    "class of the module that makes a thread": (
        _global("_x = Poller()", "import threading\n\nclass Poller:\n    def __init__(self):\n        self.t = threading.Thread(target=print)\n"),
        "CRL101", "duplicate resource", "high",
    ),
    "container changed afterwards": (_global("_x = {}", after="\ndef add(k, v):\n    get()[k] = v\n    _x[k] = v\n"), "CRL101", "lost update", "medium"),
    "unknown constructor": (_global("_x = Client()", "from lib import Client"), "CRL101", "duplicate object", "medium"),
    "sentinel object": (_global("_x = object()"), "CRL101", "duplicate object", "medium"),
    "compiled regex": (_global("_x = re.compile('[a-z]+')", "import re"), "CRL107", "equal value recomputed", "low"),
    "version lookup": (_global("_x = importlib.metadata.version('pip')", "import importlib.metadata"), "CRL107", "equal value recomputed", "low"),
    "table nobody changes": (_global("_x = {'a': int, 'b': str}"), "CRL107", "equal value recomputed", "low"),
    "file read in a with block": (
        _global("with open('/etc/hostname') as f:\n    _x = f.read().strip()"), "CRL107", "equal value recomputed", "low",
    ),
    "helper of the module returning text": (
        _global("_x = _compute()", "import os\n\ndef _compute():\n    return os.path.join('a', 'b')\n"),
        "CRL107", "equal value recomputed", "low",
    ),
    "warn once": (
        "import warnings\n_warned = False\n\n\ndef old():\n    global _warned\n    if not _warned:\n        _warned = True\n"
        "        warnings.warn('old', DeprecationWarning)\n",
        "CRL107", "equal value recomputed", "low",
    ),
    "keyed cache of built objects": (
        "_c = {}\n\n\ndef get(k):\n    if k not in _c:\n        _c[k] = Session(k)\n    return _c[k]\n", "CRL105", "duplicate object", "medium",
    ),
    "keyed cache of lists filled in place": (
        "_c = {}\n\n\ndef add(k, v):\n    if k not in _c:\n        _c[k] = []\n    _c[k].append(v)\n", "CRL105", "lost update", "medium",
    ),
    "keyed cache of compiled patterns": (
        "import re\n_c = {}\n\n\ndef pattern(p):\n    if p not in _c:\n        _c[p] = re.compile(p)\n    return _c[p]\n",
        "CRL107", "equal value recomputed", "low",
    ),
    # bound to one thread: the code creating it runs on that thread alone (IPython's Qt input hook, its own loop)
    "Qt event loop": (
        _global("_x = QtCore.QEventLoop()\n_x.timeout.connect(print)", "from PyQt5 import QtCore"),
        "CRL107", "object bound to one thread", "low",
    ),
    "Tk root window": (_global("_x = tkinter.Tk()", "import tkinter"), "CRL107", "object bound to one thread", "low"),
    "event loop run on the calling thread": (
        _global("_x = asyncio.new_event_loop()", "import asyncio", "\ndef run(coro):\n    return get().run_until_complete(coro)\n"),
        "CRL107", "object bound to one thread", "low",
    ),
    "event loop other threads hand work to": (
        _global(
            "_x = asyncio.new_event_loop()", "import asyncio",
            "\ndef run(coro):\n    return get().run_until_complete(coro)\n"
            "\ndef submit(coro):\n    return asyncio.run_coroutine_threadsafe(coro, get())\n",
        ),
        "CRL101", "duplicate resource", "high",
    ),
    "a function that parses sys.argv": (
        _global("_x = Environment(argparse.ArgumentParser().parse_args())", "import argparse\nfrom lib import Environment"),
        "CRL107", "entry point run once", "low",
    ),
    "event loop nobody runs here": (_global("_x = asyncio.new_event_loop()", "import asyncio"), "CRL101", "duplicate resource", "high"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_lazy_site_gets_the_consequence_of_what_it_creates(name: str) -> None:
    source, code, kind, severity = CASES[name]
    findings = [f for f in lint_source(source, "m.py", WITH_OPT_IN).findings if f.code.startswith("CRL10")]
    assert [(f.code, f.consequence.kind, f.consequence.severity.value) for f in findings] == [(code, kind, severity)]
    default = [f.code for f in lint_source(source, "m.py", Config()).findings]
    assert ("CRL107" in default) is False  # never on by default
    assert (code in default) is (code != "CRL107")  # a harmful site keeps its code by default


def test_an_opt_in_code_is_enabled_only_by_its_full_code() -> None:
    source = CASES["compiled regex"][0]
    for select, reported in ((("ALL",), False), (("CRL1",), False), (("CRL10",), False), (("CRL107",), True)):
        codes = [f.code for f in lint_source(source, "m.py", Config(select=select)).findings]
        assert ("CRL107" in codes) is reported, select


def test_machine_formats_carry_the_severity() -> None:
    findings = lint_source(CASES["executor"][0], "m.py", Config()).findings + lint_source(
        CASES["unknown constructor"][0], "n.py", Config()
    ).findings
    items = json.loads(as_json(findings, []))
    assert [(i["severity"], i["consequence"]["kind"]) for i in items] == [("high", "duplicate resource"), ("medium", "duplicate object")]
    results = json.loads(sarif(findings, []))["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning"]
    assert results[0]["properties"]["consequence"].startswith("duplicate resource")
