"""CRL405: which walks count, what the finding says, and how its fix meets CRL301's lock."""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint import Config, fix_source, lint_source

CRL405 = Config(select=("CRL405",), unsafe_fixes=True)

CLASS = '''
import copy
import json
import os
import threading

class Store:
    def __init__(self, path):
        self.path = path
        self.data = {DATA}
        self._stop = threading.Event()
        threading.Thread(target=self._walk, daemon=True).start()

    def put(self, key, value):
        {CHANGE}

    def _walk(self):
        {WALK}
'''


def findings(walk: str, change: str = "self.data[key] = value", data: str = "{}", config: Config = CRL405):
    source = CLASS.replace("{WALK}", walk).replace("{CHANGE}", change).replace("{DATA}", data)
    return lint_source(source.encode(), "store.py", config).findings


@pytest.mark.parametrize(
    "walk",
    [
        "for key in self.data: print(key)",
        "for key, value in self.data.items(): print(key, value)",
        "for index, key in enumerate(self.data): print(index, key)",
        "print([key for key in self.data.keys()])",
        "json.dump(self.data, open(self.path, 'w'))",
        "print(json.dumps(self.data, indent=2))",
        "return copy.deepcopy(self.data)",
    ],
)
def test_walks_racing_a_size_change_are_reported_as_a_crash_for_a_dict(walk):
    [finding] = findings(walk)
    assert finding.code == "CRL405" and finding.consequence.kind == "crash"
    assert "(a dict)" in finding.message and "changed size during iteration" in finding.consequence.detail


@pytest.mark.parametrize(
    "walk",
    [
        "print(list(self.data))",  # one C call: the snapshot the fix takes
        "print(dict(self.data))",
        "print(sorted(self.data))",
        "print(json.dumps(self.data))",  # the C encoder, no callback
        "print(len(self.data))",
        """pid = os.fork()
        if pid == 0:
            for key in self.data:
                print(key)""",  # the forked child has no other thread
    ],
)
def test_one_call_snapshots_and_a_forked_child_are_not_reported(walk):
    assert findings(walk) == []


def test_a_sorted_json_dump_copies_a_dict_but_walks_a_list():
    """`sort_keys=True` starts each dict with `sorted(d.items())`, one C call: no size change mid-walk.
    A list is still encoded item by item, and an unsorted dump of the dict still walks it."""
    sorted_dump = "json.dump(self.data, open(self.path, 'w'), sort_keys=True)"
    assert findings(sorted_dump) == []
    assert findings("print(json.dumps(self.data, indent=2, sort_keys=True))") == []
    [walked] = findings(sorted_dump, "self.data.remove(value)", "[]")
    assert walked.code == "CRL405" and walked.consequence.kind == "torn snapshot"
    [unsorted] = findings("json.dump(self.data, open(self.path, 'w'), sort_keys=False)")
    assert unsorted.consequence.kind == "crash"


def test_a_list_only_appended_to_is_not_a_torn_walk_but_a_removal_is():
    assert findings("json.dump(self.data, open(self.path, 'w'))", "self.data.append(value)", "[]") == []
    [finding] = findings("json.dump(self.data, open(self.path, 'w'))", "self.data.remove(value)", "[]")
    assert finding.consequence.kind == "torn snapshot" and "(a list)" in finding.message


def test_a_walk_that_calls_back_into_the_object_gets_no_fix_and_says_why():
    result = findings("print(json.dumps(self.data, default=self._encode))\n\n    def _encode(self, value):\n        return repr(value)")
    reasons = {f.no_fix_reason for f in result if f.no_fix_reason}
    assert any("reaches `self._encode`" in reason for reason in reasons), reasons


def test_the_dump_into_a_file_shares_crl301s_lock_in_one_critical_section():
    source = CLASS.replace("{DATA}", "{}").replace("{CHANGE}", "self.data[key] = value").replace(
        "{WALK}", "with open(self.path, 'w') as f:\n            json.dump(self.data, f)"
    )
    config = Config(select=("CRL301", "CRL405"), unsafe_fixes=True, file_write_fix="lock")
    result = fix_source(source.encode(), "store.py", config)
    assert result.fix_error is None
    fixed = result.new_source.decode()
    assert fixed.count("threading.Lock()") == 1 and fixed.count("with self._lock:") == 2
    assert textwrap.dedent('''
        with self._lock:
            with open(self.path, 'w') as f:
                json.dump(self.data, f)
    ''').strip() in textwrap.dedent(fixed.split("def _walk(self):\n")[1])
    assert lint_source(fixed.encode(), "store.py", config).findings == []


SHARER = '''
import threading
from multiprocessing import util

class Sharer:
    def __init__(self):
        self._cache = {}
        self._thread = None
        util.register_after_fork(self, Sharer._afterfork)

    def start(self):
        t = threading.Thread(target=self._serve)
        t.start()
        self._thread = t

    def _serve(self):
        while True:
            self._cache.pop(1, None)

    def stop(self):
        JOIN
        for key in self._cache:
            print(key)

    def _afterfork(self):
        for key in self._cache:
            print(key)
'''


def test_a_thread_joined_through_the_attribute_a_local_was_stored_in_orders_the_walk():
    joined = lint_source(SHARER.replace("JOIN", "self._thread.join()").encode(), "s.py", CRL405).findings
    assert joined == []  # `_afterfork` runs in the forked child; `stop()` walks after the join
    unjoined = lint_source(SHARER.replace("JOIN", "pass").encode(), "s.py", CRL405).findings
    assert [f.code for f in unjoined] == ["CRL405"] and "`stop()`" in unjoined[0].message
    assert "_afterfork" not in unjoined[0].message
