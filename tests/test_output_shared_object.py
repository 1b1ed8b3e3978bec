"""The shared object of a project-wide finding in SARIF and the `full` text format (issue 18).

JSON has carried `shared_object` since session 9; SARIF and `full` had no trace of it. Here, on the
legacy tree: the CRL404 hand-over finding (`install_progress.py`, the instance made in `install_all`)
and the accessor finding (`health_monitor.py`, `get_health_monitor()`).
"""

from __future__ import annotations

import json

from cortex_racelint.ftypes import Config, Finding, Position, SharedObject, Span
from cortex_racelint.output import full, sarif
from cortex_racelint.output.sarif import MADE_AT_ID

from .test_output_formats import _validate, racelint, sarif_schema  # noqa: F401 (fixtures)


def _results(document: dict, path: str, attribute: str) -> list[dict]:
    return [
        r
        for r in document["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == path
        and r.get("properties", {}).get("sharedObject", {}).get("attribute") == attribute
    ]


def test_sarif_carries_the_handed_over_object_and_where_it_is_made(racelint, sarif_schema):
    document = json.loads(racelint("--format", "sarif"))
    _validate(document, sarif_schema)
    (result,) = _results(document, "cortex/install_progress.py", "installed")
    shared = result["properties"]["sharedObject"]
    assert shared["how"] == "handover" and shared["class"] == "cortex.install_progress.InstallProgress"
    assert shared["maker"] == "cortex.install_progress.install_all" and shared["methods"] == ["record"]
    made_at = shared["madeAt"]
    assert made_at["artifactLocation"] == {"uri": "cortex/install_progress.py", "uriBaseId": "%SRCROOT%"}
    assert made_at["region"]["startLine"] == 44  # `progress = InstallProgress()` in `install_all`
    (related,) = [r for r in result["relatedLocations"] if r["id"] == MADE_AT_ID]
    assert related["physicalLocation"] == made_at
    assert "InstallProgress" in related["message"]["text"] and "made here" in related["message"]["text"]
    json_item = next(
        i for i in json.loads(racelint("--format", "json"))
        if i.get("shared_object", {}).get("attribute") == "installed"
    )
    assert json_item["shared_object"]["made_at"]["row"] == made_at["region"]["startLine"]


def test_sarif_accessor_object_has_no_made_at_location(racelint):
    document = json.loads(racelint("--format", "sarif"))
    (result,) = _results(document, "cortex/health_monitor.py", "failures")
    shared = result["properties"]["sharedObject"]
    assert shared["how"] == "accessor" and shared["expression"] == "cortex.health_monitor.get_health_monitor()"
    assert shared["madeAt"] is None
    assert all(r["id"] != MADE_AT_ID for r in result.get("relatedLocations", []))
    assert "get_health_monitor()" in shared["description"]


def test_sarif_findings_without_a_shared_object_have_no_property(racelint):
    document = json.loads(racelint("--format", "sarif"))
    plain = [r for r in document["runs"][0]["results"] if r["ruleId"] == "CRL101"]
    assert plain and all("sharedObject" not in r.get("properties", {}) for r in plain)


def test_full_format_shows_the_shared_object_and_where_it_is_made(racelint):
    text = racelint("--format", "full")
    block = next(b for b in text.split("\n\n") if b.startswith("cortex/install_progress.py:22:"))
    assert "  = shared object: `cortex.install_progress.InstallProgress`, one instance made by " in block
    assert "  = made at: cortex/install_progress.py:44" in block
    accessor = next(b for b in text.split("\n\n") if b.startswith("cortex/health_monitor.py:30:"))
    assert "returned by `cortex.health_monitor.get_health_monitor()`" in accessor
    assert "made at" not in accessor


def test_made_at_outside_the_source_root_is_an_absolute_uri(tmp_path, sarif_schema):
    """A maker in another folder (a vendored tree) keeps a valid, absolute location."""
    span = Span(Position(3, 4), Position(3, 9))
    outside = tmp_path / "elsewhere" / "maker.py"
    shared = SharedObject(how="handover", cls="m.C", maker="m.make", path=str(outside), line=7, attr="n", methods=("add",))
    finding = Finding("CRL404", "racy", str(tmp_path / "root" / "a.py"), span, shared=shared)
    document = json.loads(sarif([finding], [], config=Config(root=tmp_path / "root")))
    _validate(document, sarif_schema)
    (result,) = document["runs"][0]["results"]
    assert result["properties"]["sharedObject"]["madeAt"]["artifactLocation"] == {"uri": outside.resolve().as_uri()}
    assert "made at: " + str(outside) + ":7" in full([finding], [], {})


def test_full_format_names_a_container_entry_and_does_not_repeat_the_path(racelint):
    """A constant-key container entry reads as one (not the bare `container`), and the thread entry the
    path already shows as its first step is not said again on the shared-object line."""
    text = racelint("--format", "full")
    block = next(b for b in text.split("\n\n") if b.startswith("cortex/request_stats.py:23:"))
    line = next(row for row in block.splitlines() if row.startswith("  = shared object: "))
    assert "an entry of the module container `cortex.request_stats._STATS`, indexed with a constant key" in line
    assert "= path 1: " in block and "run by" not in line


def test_full_format_names_the_entry_when_there_is_no_path():
    span = Span(Position(3, 4), Position(3, 9))
    shared = SharedObject(how="global", cls="m.C", expression="m._c", attr="n", methods=("add",), entry="thread `t`")
    text = full([Finding("CRL404", "racy", "a.py", span, shared=shared)], [], {})
    assert "the module global `m._c`; `n` updated by `add`; run by thread `t`" in text
