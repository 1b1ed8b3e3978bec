"""The real-code benchmark's bookkeeping, offline: per-test outcomes from JUnit XML (tree paths in
parametrised ids made comparable), test ids mapped back to pytest node ids for the re-runs, and the
pytest-timeout message told apart from an ordinary failure. The runs themselves need PyPI and minutes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("fix_safety_realworld", REPO / "benchmarks" / "fix_safety_realworld.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench  # dataclasses look their module up while the class is made
assert _spec.loader is not None
_spec.loader.exec_module(bench)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_x.TestY" name="test_ok" />
<testcase classname="tests.test_x" name="test_file[{tree}/tests/data/a.http]" />
<testcase classname="tests.test_x" name="test_bad"><failure message="assert 1 == 2">trace</failure></testcase>
<testcase classname="tests.test_x" name="test_skip"><skipped message="no server" /></testcase>
<testcase classname="tests.test_x" name="test_setup"><error message="fixture failed" /></testcase>
</testsuite></testsuites>
"""


def _run(tmp_path: Path, tree: Path) -> tuple[dict[str, str], dict[str, str]]:
    xml = tmp_path / f"{tree.name}.xml"
    xml.write_text(JUNIT.replace("{tree}", str(tree)))
    return bench.parse_junit(xml, tree)


def test_outcomes_of_two_trees_compare_by_id(tmp_path: Path) -> None:
    before, messages = _run(tmp_path, tmp_path / "pristine")
    after, _ = _run(tmp_path, tmp_path / "fixed")
    assert before == after  # the tree's own path is not part of an id
    assert before["tests.test_x.TestY::test_ok"] == "passed"
    assert before["tests.test_x::test_file[{tree}/tests/data/a.http]"] == "passed"
    assert before["tests.test_x::test_bad"] == "failed"
    assert before["tests.test_x::test_skip"] == "skipped"
    assert before["tests.test_x::test_setup"] == "error"
    assert messages["tests.test_x::test_bad"] == "assert 1 == 2"


def test_ids_map_back_to_node_ids(tmp_path: Path) -> None:
    tree = tmp_path / "fixed"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "test_x.py").write_text("")
    assert bench.junit_to_nodeid("tests.test_x.TestY::test_ok", tree) == "tests/test_x.py::TestY::test_ok"
    node = bench.junit_to_nodeid("tests.test_x::test_file[{tree}/tests/data/a.http]", tree)
    assert node == f"tests/test_x.py::test_file[{tree}/tests/data/a.http]"


def test_timeouts_are_hangs_and_failures_are_not() -> None:
    assert bench.is_timeout("Failed: Timeout >120.0s")
    assert not bench.is_timeout("AssertionError: Timeout value was wrong")


def test_every_package_fixes_a_directory_under_its_import_root() -> None:
    for package in bench.PACKAGES.values():
        assert package.src.startswith(package.root.rstrip(".").rstrip("/")), package.name
        assert package.version.count(".") >= 1, package.name
