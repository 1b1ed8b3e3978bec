"""The engine's parse skips LibCST's per-node validation for the nodes the parser builds only
(`engine/unvalidated.py`): a node built by a fix, or on another thread meanwhile, is still checked."""

from __future__ import annotations

import threading

import libcst as cst
import pytest

from cortex_racelint.engine import unvalidated

SOURCE = b"import os\n\n\nclass A:\n    def f(self, x=(1, 2)):\n        return [y for y in x if y]  # keep\n"


def test_the_parse_round_trips_like_libcsts():
    assert unvalidated.parse_module(SOURCE).code == cst.parse_module(SOURCE).code
    assert unvalidated.parse_module(SOURCE).deep_equals(cst.parse_module(SOURCE))


def test_a_node_built_outside_the_parse_is_validated():
    unvalidated.parse_module(SOURCE)
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_a_node_built_on_another_thread_during_a_parse_is_validated():
    """The flag is per thread: while one thread parses, another's bad node still raises."""
    parsing, built = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def build() -> None:
        parsing.wait(5)
        try:
            cst.Name("not a name")
        except cst.CSTValidationError as error:
            errors.append(error)
        built.set()

    worker = threading.Thread(target=build)
    worker.start()
    unvalidated._STATE.parsing = True  # the state `parse_module` holds while LibCST builds its nodes
    try:
        parsing.set()
        assert built.wait(5)
    finally:
        unvalidated._STATE.parsing = False
    worker.join(5)
    assert len(errors) == 1


def test_the_parse_clears_its_flag_when_the_source_does_not_parse():
    with pytest.raises(cst.ParserSyntaxError):
        unvalidated.parse_module(b"def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
