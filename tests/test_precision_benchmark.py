"""The precision benchmark's own logic on a tiny fake dataset (no network, no linting).

Checks that the fingerprint survives a line shift and keeps equal lines apart, that the
per-rule arithmetic and the target verdicts are right, that the sample is seeded and keeps
every finding of a rare rule, and that the committed labels are well formed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("precision_bench", REPO / "benchmarks" / "precision.py")
P = importlib.util.module_from_spec(_spec)
sys.modules["precision_bench"] = P
_spec.loader.exec_module(P)


def _f(line: int, text: str, code: str = "CRL401", file: str = "a.py", pkg: str = "pkg") -> "P.Finding":
    return P.Finding(pkg, file, code, line, text, f"`x` {text} race", "stale read", "default")


def _label(f: "P.Finding", label: str, occurrence: int = 0) -> dict:
    return {"package": f.package, "file": f.file, "code": f.code, "text": f.text, "occurrence": occurrence,
            "label": label, "reason": "r"}


def test_fingerprint_survives_line_shift_and_separates_equal_lines() -> None:
    before = [_f(10, "self.x = 1"), _f(20, "self.x = 1"), _f(30, "y = self.x")]
    after = [replace(f, line=f.line + 7) for f in before]
    assert set(P.fingerprints(before)) == set(P.fingerprints(after))
    keys = sorted(P.fingerprints(before))
    assert ("pkg", "a.py", "CRL401", "self.x = 1", 0) in keys
    assert ("pkg", "a.py", "CRL401", "self.x = 1", 1) in keys
    assert len(keys) == 3


def test_score_counts_labels_lost_true_and_unlabelled() -> None:
    f1, f2, f3 = _f(1, "a = 1"), _f(2, "b = 2"), _f(3, "c = 3", code="CRL402")
    gone = _f(9, "deleted line")
    labels = [_label(f1, "true"), _label(f2, "false"), _label(gone, "true"), _label(_f(8, "old"), "harmless")]
    stats, lost, unlabelled = P.score(P.fingerprints([f1, f2, f3]), labels)
    s = stats["CRL401"]
    assert (s.findings, s.true, s.false, s.harmless, s.labelled) == (2, 1, 1, 0, 2)
    assert s.precision == 0.5 and s.false_rate == 0.5
    assert s.lost_true == 1 and [r["text"] for r in lost] == ["deleted line"]
    assert [f.text for f in unlabelled] == ["c = 3"]
    assert stats["CRL402"].precision is None and stats["CRL402"].unlabelled == 1


def test_report_targets() -> None:
    good = [_f(i, f"v{i} = 0") for i in range(10)]
    labels = [_label(f, "true") for f in good]
    text, ok = P.report(good, labels)
    assert ok and "| CRL401 | default | 10 | 10 | 10 | 0 | 0 | 100% | 0% | 0 | 0 |" in text
    labels[0]["label"] = "false"
    labels[1]["label"] = "false"  # 20% false > 10%
    text, ok = P.report(good, labels)
    assert not ok and "CRL401 20%" in text
    text, ok = P.report(good[1:], [_label(f, "true") for f in good])  # a labelled true race lost
    assert not ok and "Labelled true races lost" in text
    text, ok = P.report([replace(good[0], consequence="")], [])
    assert not ok


def test_sample_is_seeded_and_keeps_rare_rules_whole() -> None:
    many = [_f(i, f"m{i}") for i in range(100)]
    rare = [_f(i, f"r{i}", code="CRL201") for i in range(3)]
    one = P.stratified_sample(many + rare, 20)
    assert one == P.stratified_sample(list(reversed(many + rare)), 20)
    assert sum(f.code == "CRL201" for f in one) == 3
    assert 8 <= sum(f.code == "CRL401" for f in one) <= 20


def test_committed_labels_are_well_formed() -> None:
    rows = P.read_labels(P.LABELS)
    assert len(rows) >= 150 and len({r["package"] for r in rows}) >= 12
    assert all(r["reason"].strip() and r["label"] in P.LABEL_VALUES for r in rows)
    assert len({P.label_key(r) for r in rows}) == len(rows)
    names = {p["name"] for p in json.loads(P.PACKAGES.read_text())["packages"]}
    assert {r["package"] for r in rows} <= names and len(names) >= 12


def test_source_occurrence_keeps_a_site_when_an_equal_line_stops_being_reported() -> None:
    lines = ["self.x = 1", "y = 2", "self.x = 1", "    self.x = 1  "]
    assert [P.source_occurrence(lines, row) for row in (1, 3, 4)] == [0, 1, 2]
    both = [replace(_f(1, "self.x = 1"), occurrences=(0,)), replace(_f(3, "self.x = 1"), occurrences=(1,))]
    only_second = [both[1]]
    assert ("pkg", "a.py", "CRL401", "self.x = 1", 1) in P.fingerprints(only_second)
    # without the file's text the index counts among findings, and would have shifted to 0
    assert ("pkg", "a.py", "CRL401", "self.x = 1", 0) in P.fingerprints([_f(3, "self.x = 1")])
