"""CRL405 through a local alias (`analysis/alias_walks.py`): `subs = self.subs; for s in subs:` walks the
attribute's object; followed only when the local is bound once and walked in the method's own code."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, lint_source

CONFIG = Config(select=("CRL401", "CRL405"), unsafe_fixes=True)

CLASS = '''
import json
import threading

class Hub:
    def __init__(self, path):
        self.path = path
        self.subs = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._publish, daemon=True).start()

    def subscribe(self, key, fn):
        {CHANGE}

    def _publish(self):
        {WALK}
'''


def _findings(walk: str, change: str = "self.subs[key] = fn"):
    source = CLASS.replace("{WALK}", walk).replace("{CHANGE}", change)
    return lint_source(source.encode(), "hub.py", CONFIG).findings


def _line(walk: str, text: str) -> int:
    source = CLASS.replace("{WALK}", walk)
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    "walk,at",
    [
        ("subs = self.subs\n        for key in subs:\n            print(key)", "for key in subs"),
        ("subs = self.subs\n        for key, fn in subs.items():\n            fn(key)", "for key, fn in subs"),
        ("subs = self.subs\n        print([k for k in subs])", "print([k"),
        ("subs = self.subs\n        json.dump(subs, open(self.path, 'w'))", "json.dump"),
    ],
)
def test_a_walk_through_a_local_bound_once_is_the_attributes_walk(walk, at):
    found = [f for f in _findings(walk) if f.code == "CRL405"]
    assert len(found) == 1
    [finding] = found
    lines = {finding.line} | {r.start.line for r in finding.related}
    assert _line(walk, at) in lines, (lines, finding.message)
    assert finding.fix_applicability is None and "through the local `subs`" in (finding.no_fix_reason or "")


@pytest.mark.parametrize(
    "walk",
    [
        "subs = self.subs\n        for key in list(subs):\n            print(key)",  # a copy: one C call
        "subs = self.subs\n        if not subs:\n            subs = {}\n        for key in subs:\n            print(key)",
        "for subs in (self.subs,):\n            pass\n        subs = self.subs\n        for key in subs:\n            print(key)",
        "subs = self.subs\n        def later():\n            for key in subs:\n                print(key)\n        return later",
        "subs = self.subs\n        with self._lock:\n            for key in subs:\n                print(key)",
    ],
    ids=["copy", "rebound", "bound-by-a-loop", "nested-def", "common-lock"],
)
def test_no_walk_when_the_local_is_a_copy_rebound_nested_or_under_the_changes_lock(walk):
    change = "with self._lock:\n            self.subs[key] = fn"
    assert [f for f in _findings(walk, change) if f.code == "CRL405"] == []
    if "_lock" not in walk:
        assert [f for f in _findings(walk) if f.code == "CRL405"] == []


def test_a_rebinding_of_the_attribute_does_not_race_the_walk_of_the_local():
    """`self.subs = {}` leaves the object the local holds alone: CRL401 reports the read, not the loop."""
    walk = "subs = self.subs\n        for key in subs:\n            print(key)"
    found = _findings(walk, "self.subs = {}")
    assert all(f.code == "CRL401" for f in found)
    assert _line(walk, "for key in subs") not in {f.line for f in found} | {r.start.line for f in found for r in f.related}


# -- through another object the class keeps: `self.state.data` -------------------------------------

OWNER = '''
import json
import threading

class State:
    def __init__(self):
        self.data = {}

class Owner:
    def __init__(self):
        self.state = State()
        self._local = threading.local()
        self._lock = threading.Lock()
        threading.Thread(target=self._dump, daemon=True).start()

    def put(self, key, value):
        {CHANGE}

    def _dump(self):
        {WALK}
'''


def _owner_findings(walk: str, change: str = "self.state.data[key] = value"):
    source = OWNER.replace("{WALK}", walk).replace("{CHANGE}", change)
    return lint_source(source.encode(), "owner.py", CONFIG).findings


@pytest.mark.parametrize(
    "walk,change",
    [
        ("for key in self.state.data.items():\n            print(key)", "self.state.data[key] = value"),
        ("json.dump(self.state.data, open('x', 'w'))", "self.state.data.pop(key, None)"),
        ("print([k for k in self.state.data])", "self.state.data.update({key: value})"),
    ],
)
def test_a_container_of_a_kept_object_walked_while_another_thread_changes_it(walk, change):
    found = _owner_findings(walk, change)
    assert [f.code for f in found] == ["CRL405"]
    assert "`self.state.data`" in found[0].message
    assert "through the object in `self.state`" in (found[0].no_fix_reason or "")


@pytest.mark.parametrize(
    "walk,change",
    [
        ("print(list(self.state.data))", "self.state.data[key] = value"),  # a copy
        ("print(len(self.state.data))", "self.state.data[key] = value"),  # a read
        ("for key in self.state.data:\n            print(key)", "self.state.data = {key: value}"),  # the object's own rebinding
        ("for key in self._local.cache:\n            print(key)", "self._local.cache[key] = value"),  # per thread
        (
            "with self._lock:\n            for key in self.state.data:\n                print(key)",
            "with self._lock:\n            self.state.data[key] = value",
        ),
    ],
    ids=["copy", "read", "rebinding", "thread-local", "common-lock"],
)
def test_no_walk_of_a_kept_object_for_copies_reads_rebindings_thread_locals_or_a_common_lock(walk, change):
    assert [f for f in _owner_findings(walk, change) if f.code == "CRL405"] == []


def test_a_swap_under_a_lock_hands_the_old_container_to_this_thread_alone():
    """`batch = self.subs; self.subs = {}` (under the lock the changes take): walking `batch` races nothing."""
    walk = "with self._lock:\n            subs = self.subs\n            self.subs = {}\n        for key in subs:\n            print(key)"
    change = "with self._lock:\n            self.subs[key] = fn"
    assert _findings(walk, change) == []
    # the same list only appended to: the change side is not reported either (was CRL401 through the alias)
    walk = walk.replace("self.subs = {}", "self.subs = []")
    source_change = "with self._lock:\n            self.subs.append(fn)"
    assert _findings(walk, source_change) == []


def test_a_list_only_appended_to_and_walked_through_a_local_is_not_reported():
    """As for a walk of the attribute: the walk sees the new items or stops before them."""
    source = CLASS.replace("self.subs = {}", "self.subs = []")
    source = source.replace("{WALK}", "subs = self.subs\n        for fn in subs:\n            fn()")
    source = source.replace("{CHANGE}", "self.subs.append(fn)")
    assert lint_source(source.encode(), "hub.py", CONFIG).findings == []
    removing = source.replace("self.subs.append(fn)", "self.subs.remove(fn)")
    assert [f.code for f in lint_source(removing.encode(), "hub.py", CONFIG).findings] == ["CRL405"]
