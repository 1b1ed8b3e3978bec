"""Arguments inferred from the module for a driven function (`confirm/inference.py`) and how the child uses them."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest

from cortex_racelint.confirm import arguments
from cortex_racelint.confirm.inference import infer_arguments, infer_for


def sets(source: str, qualified: str) -> list[dict[str, str]]:
    return infer_for(ast.parse(textwrap.dedent(source)), qualified)


def values(source: str, qualified: str, param: str) -> list:
    return [arguments.evaluate(s[param]) for s in sets(source, qualified)]


def test_an_int_compared_with_a_bound_gets_values_on_both_sides_of_it():
    found = values("def walk(depth):\n    if depth <= 0:\n        return 0\n    return walk(depth - 1) + 1\n", "walk", "depth")
    assert found[:3] == [1, 2, 0]  # one past the bound recurses once; the bound itself does not


def test_arithmetic_alone_makes_a_parameter_an_int():
    assert values("def grow(n):\n    return [0] * (n + 1)\n", "grow", "n") == [2, 1]


def test_strings_compared_with_come_before_keys_and_are_followed_into_callees():
    source = """
    TABLE = {"alpha": 1, "beta": 2}
    def build(name):
        if name == "gamma":
            return 0
        return TABLE[name]
    def lookup(name):
        return build(name)
    """
    assert values(source, "lookup", "name") == ["gamma", "alpha", "beta"]


def test_dict_get_with_the_parameter_offers_the_dict_keys():
    source = "LIMITS = {'cpu': 1, 'mem': 2}\ndef limit(kind):\n    return LIMITS.get(kind)\n"
    assert values(source, "limit", "kind") == ["cpu", "mem"]


def test_attributes_build_a_small_object_one_level_deep_then_a_leaf():
    source = """
    def count(node):
        if node is None:
            return 0
        return 1 + count(node.left) + sum(count(c) for c in node.kids)
    """
    deep, leaf = values(source, "count", "node")
    assert leaf.left is None and leaf.kids == []
    assert deep.left.left is None and len(deep.kids) == 1 and deep.kids[0].kids == []


def test_an_iterated_parameter_gets_a_short_list():
    assert values("def total(items):\n    return sum(x for x in items)\n", "total", "items") == [[1, 2], []]


def test_literal_call_sites_of_the_module_come_first():
    source = """
    def greet(who, times):
        return who * times
    if __name__ == "__main__":
        greet("ada", 3)
    """
    assert sets(source, "greet")[0] == {"who": "'ada'", "times": "3"}


def test_methods_skip_self_and_use_their_call_sites_through_self():
    source = """
    class Cache:
        def get(self, key):
            return self.fill(key)
        def fill(self, key):
            return key
        def warm(self):
            self.get("home")
    """
    assert sets(source, "Cache.get")[0] == {"key": "'home'"}


def test_a_called_parameter_cannot_be_guessed():
    assert sets("def run(callback):\n    return callback()\n", "run") == []


def test_an_unused_parameter_gets_a_neutral_value():
    assert values("def make(name):\n    return 1\n", "make", "name") == ["racelint", 1]


def test_an_annotation_wins_over_attribute_evidence_but_keeps_ints_of_its_type():
    assert sets("def f(p: Profile):\n    return p.cpu\n", "f") == []
    assert values("def f(n: int):\n    return n < 5\n", "f", "n")[0] == 6


def test_defaults_are_kept():
    assert sets("def f(n=3):\n    return n < 2\n", "f") == []


def test_the_child_calls_with_the_chosen_set():
    def fib(n):
        return n

    arguments.use_inferred({"test_the_child_calls_with_the_chosen_set.<locals>.fib": [{"n": "3"}, {"n": "1"}]})
    try:
        assert arguments.call_arguments(fib, skip_first=False) == {"n": 3}
        arguments.choose("test_the_child_calls_with_the_chosen_set.<locals>.fib", 1)
        assert arguments.call_arguments(fib, skip_first=False) == {"n": 1}
    finally:
        arguments.use_inferred({})
    with pytest.raises(arguments.Unbuildable, match="`n` has no usable type annotation"):
        arguments.call_arguments(fib, skip_first=False)


def test_evaluate_accepts_only_literals_and_namespaces():
    with pytest.raises(NameError):
        arguments.evaluate("__import__('os')")


def test_the_table_names_the_constructor_too():
    source = "class Store:\n    def __init__(self, path):\n        self.path = path\n    def put(self, key):\n        return key\n"
    table = json.loads(infer_arguments(ast.parse(source), "Store.put", "", "", "Store.__init__"))
    assert set(table) == {"Store.put", "Store.__init__"}


MEMO = '''_memo = {}


def depth(n):
    if n not in _memo:
        _memo[n] = 0 if n == 0 else depth(n - 1) + 1
    return _memo[n]


START = depth(0)  # the module's own call: a literal set that never recurses
'''


def test_the_probe_prefers_the_set_that_runs_the_window_twice_and_the_plain_lock_is_refused(tmp_path):
    pytest.importorskip("frontrun")
    from cortex_racelint import Config, fix_source, lint_source
    from cortex_racelint.confirm import Status, certify_fix, confirm_finding
    from cortex_racelint.confirm.build import build_spec

    package = tmp_path / "memo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    path = package / "depth.py"
    path.write_text(MEMO)
    config = Config(extend_select=("CRL107",))
    finding = next(f for f in lint_source(path.read_bytes(), str(path), config).findings if f.code == "CRL107")
    assert json.loads(build_spec(finding, path.read_bytes()).arguments)["depth"][0] == {"n": "0"}
    confirmation = confirm_finding(finding, path.read_bytes())
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    # not depth(0) (the literal call site) nor depth(1): the import filled _memo[0], so only depth(2) recurses through the window
    assert "explored with depth(n=2)" in confirmation.reason
    fixed = fix_source(path.read_bytes(), str(path), config).new_source.decode()
    ok, message = certify_fix(confirmation, fixed)
    assert ok and "explored with depth(n=2)" in message, message
    ok, message = certify_fix(confirmation, fixed.replace("threading.RLock()", "threading.Lock()"))
    assert not ok and "deadlocks" in message and "-> thread 0" in message, message


def test_membership_in_a_module_collection_of_constants_offers_its_members():
    source = """
    OK = "ok"
    FAILED = "failed"
    _STATUSES = {OK, FAILED}
    def finish(status: str):
        if status not in _STATUSES:
            raise ValueError(status)
    """
    assert sorted(values(source, "finish", "status")) == ["failed", "ok"]


def test_the_barrier_verdict_names_the_calls_it_ran_with_inferred_arguments():
    """Legacy `record_finish(record_id: int, status: str)` raises on any status outside `_STATUSES`."""
    from cortex_racelint import Config, lint_source
    from cortex_racelint.confirm import Status, confirm_finding

    from .conftest import FIXTURES

    path = FIXTURES / "cortex_legacy" / "cortex" / "installation_history.py"
    finding = next(f for f in lint_source(path.read_bytes(), str(path), Config()).findings if f.code == "CRL201" and f.line == 87)
    confirmation = confirm_finding(finding, path.read_bytes(), runs=1)
    assert confirmation.status is Status.CONFIRMED and confirmation.engine == "barrier", confirmation.reason
    assert "run with InstallationHistory.record_finish(record_id=1, status='" in confirmation.reason
