"""The prefilter's `ast` stage never drops a finding: on generated race shapes, and on real code.

`prefilter.AstFacts` approximates each rule's shape (same function, same state) so that
most files are never parsed by LibCST; an approximation that is too tight would silently
lose findings. Every generated module (all four race families, random surroundings) and
a sample of the standard library are linted with and without the prefilter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from cortex_racelint import Config, lint_source
from cortex_racelint.registry import all_rules

from .conftest import count_example
from .strategies import modules

EVERYTHING = Config(select=("ALL",))
RULES_ONLY = Config(select=("CRL1", "CRL2", "CRL3", "CRL4", "CRL5"))  # without CRL001 the parsed module is narrowed
STDLIB = Path(sys.modules["os"].__file__).parent
#: standard-library modules with lazy globals, class state, file writes, threads and sqlite
SAMPLE = ["pydoc.py", "logging/__init__.py", "mimetypes.py", "locale.py", "threading.py", "sqlite3/dump.py",
          "concurrent/futures/thread.py", "http/cookiejar.py", "zipfile.py", "mailbox.py", "shelve.py",
          "socketserver.py", "multiprocessing/util.py", "tempfile.py", "random.py", "platform.py"]


def _findings(source: bytes, use_prefilter: bool, config: Config = RULES_ONLY) -> list[tuple]:
    result = lint_source(source, "x.py", config, use_prefilter=use_prefilter)
    return [(f.code, f.line, f.column, f.message) for f in result.findings]


#: one rule selected alone: narrowing is most aggressive then (a rule needing the whole
#: module, such as CRL302, turns it off for every rule selected with it)
ALONE = st.sampled_from([rule.CODE for rule in all_rules() if rule.CODE != "CRL001"])


@given(modules(), ALONE)
def test_prefilter_keeps_every_finding_of_generated_modules(generated, alone):
    count_example("test_prefilter_keeps_every_finding_of_generated_modules")
    note(generated.source.decode("utf-8", "replace"))
    assert _findings(generated.source, True) == _findings(generated.source, False)
    assert _findings(generated.source, True, EVERYTHING) == _findings(generated.source, False, EVERYTHING)
    one_rule = Config(select=(alone,))
    assert _findings(generated.source, True, one_rule) == _findings(generated.source, False, one_rule)


@pytest.mark.parametrize("name", [n for n in SAMPLE if (STDLIB / n).exists()])
def test_prefilter_keeps_every_finding_of_the_standard_library(name):
    source = (STDLIB / name).read_bytes()
    assert _findings(source, True) == _findings(source, False)
