"""One finding per race (issue 15): an attribute's other sites are related locations, fixed with it."""

from __future__ import annotations

import json

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.output import as_json, sarif

CRL4 = Config(select=("CRL4",), unsafe_fixes=True)
SOURCE = """import threading


class Poller:
    def __init__(self):
        self.running = False

    def start(self):
        self.running = True
        threading.Thread(target=self._loop).start()

    def _loop(self):
        while self.running:
            pass
        print(self.running)

    def stop(self):
        self.running = False

    def pause(self):
        self.running = False
"""


def test_the_race_is_one_finding_with_its_other_sites():
    findings = lint_source(SOURCE, "p.py", CRL4).findings
    assert [(f.code, f.line) for f in findings] == [("CRL401", 13)]
    assert [s.start.line for s in findings[0].related] == [15, 18, 21]
    assert "(3 more sites of this race listed with it)" in findings[0].message
    item = json.loads(as_json(findings, []))[0]
    assert [r["row"] for r in item["related"]] == [15, 18, 21]
    result = json.loads(sarif(findings, []))["runs"][0]["results"][0]
    assert [loc["physicalLocation"]["region"]["startLine"] for loc in result["relatedLocations"]][:3] == [15, 18, 21]


def test_every_site_is_fixed_with_the_finding():
    fixed = fix_source(SOURCE, "p.py", CRL4)
    assert fixed.new_source is not None and fixed.fixed_count == 1  # one race fixed
    assert lint_source(fixed.new_source, "p.py", CRL4).findings == []
    text = fixed.new_source.decode()
    assert text.count("with self._lock:") >= 3


def test_suppressing_the_race_suppresses_its_other_sites():
    lines = SOURCE.splitlines(keepends=True)
    lines[12] = lines[12].rstrip("\n") + "  # noqa: CRL401\n"
    source = "".join(lines)
    assert lint_source(source, "p.py", CRL4).findings == []
    assert fix_source(source, "p.py", CRL4).new_source is None  # an accepted race is not half-fixed


def test_suppressing_one_other_site_keeps_the_race():
    lines = SOURCE.splitlines(keepends=True)
    lines[17] = lines[17].rstrip("\n") + "  # noqa: CRL401\n"
    findings = lint_source("".join(lines), "p.py", CRL4).findings
    assert [(f.line, [s.start.line for s in f.related]) for f in findings] == [(13, [15, 21])]
