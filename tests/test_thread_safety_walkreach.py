"""CRL406 (CRL405 on process-wide shared objects): a walk of `self.<attr>` racing a size change when thread entries
of the project reach both methods (CRL404's reach), with no lock held in common (`project/walk_join.py`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config

HISTORY = """
    import json
    import threading


    class History:
        def __init__(self):
            self.entries = {}
            self.log = []
            self._lock = threading.Lock()

        def record(self, key, value):
            self.entries[key] = value

        def note(self, line):
            self.log.append(line)

        def save(self, path):
            with open(path, "w") as f:
                json.dump(self.entries, f)

        def dump_log(self):
            for line in self.log:
                print(line)


    _history = History()


    def get_history():
        return _history
"""

WORKERS = """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.history import get_history


    def work(item):
        get_history().record(item, item * 2)
        get_history().note(str(item))


    def saver():
        get_history().save("/tmp/h.json")
        get_history().dump_log()


    def main(items):
        threading.Thread(target=saver).start()
        with ThreadPoolExecutor(4) as pool:
            for item in items:
                pool.submit(work, item)
"""


def _crl406(root: Path, history: str = HISTORY, workers: str = WORKERS) -> list:
    files = {"app/__init__.py": "", "app/history.py": history, "app/workers.py": workers}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    paths = [str(p) for p in sorted(root.rglob("*.py"))]
    results = run_files(paths, Config(root=root, unsafe_fixes=True), fix=False, jobs=1, cache=None)
    return [f for r in results for f in r.findings if f.code == "CRL406"]


def test_a_dump_racing_a_store_on_a_singleton_is_reported_with_both_entries(tmp_path):
    found = _crl406(tmp_path)
    assert [(f.span.start.line, f.consequence.kind if f.consequence else None) for f in found] == [(20, "crash")]
    message = found[0].message
    assert "`History.save()` (`json.dump`)" in message and "`History.record()` changes its size" in message
    assert "thread target `saver`" in message and "executor task `work`" in message
    assert found[0].flow and found[0].fix_applicability is not None  # the path from the entry; an unsafe fix
    assert "across the walk over `self.entries` and around its size change" in (found[0].fix_message or "")


def test_a_list_only_appended_to_is_not_reported(tmp_path):
    assert all("self.log" not in f.message for f in _crl406(tmp_path))


def test_a_list_losing_items_is_a_torn_snapshot(tmp_path):
    history = HISTORY.replace("self.log.append(line)", "self.log.remove(line)")
    found = [f for f in _crl406(tmp_path, history) if "self.log" in f.message]
    assert [f.consequence.kind for f in found if f.consequence] == ["torn snapshot"]
    assert "`for` loop" in (found[0].no_fix_reason or "")  # its body would run under the lock: no fix


def test_entries_reaching_only_one_side_are_not_reported(tmp_path):
    workers = WORKERS.replace('    get_history().save("/tmp/h.json")\n', "")
    assert _crl406(tmp_path, workers=workers) == []


def test_one_thread_running_both_sides_is_not_reported(tmp_path):
    workers = WORKERS.replace("threading.Thread(target=saver).start()", "saver()").replace(
        "pool.submit(work, item)", "work(item)"
    )
    assert _crl406(tmp_path, workers=workers) == []


def test_a_walk_under_the_lock_the_change_takes_is_not_reported(tmp_path):
    history = HISTORY.replace(
        "self.entries[key] = value", "with self._lock:\n                self.entries[key] = value"
    ).replace("json.dump(self.entries, f)", "with self._lock:\n                    json.dump(self.entries, f)")
    assert _crl406(tmp_path, history) == []


def test_a_walk_under_a_lock_the_change_does_not_take_is_reported(tmp_path):
    history = HISTORY.replace("json.dump(self.entries, f)", "with self._lock:\n                    json.dump(self.entries, f)")
    assert len(_crl406(tmp_path, history)) == 1


def test_crl406_not_selected_reports_nothing(tmp_path):
    _crl406(tmp_path)
    paths = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    results = run_files(paths, Config(root=tmp_path, ignore=("CRL406",)), fix=False, jobs=1, cache=None)
    assert not [f for r in results for f in r.findings if f.code == "CRL406"]


def test_the_fix_locks_both_sides_and_the_index_then_sees_them_guarded(tmp_path):
    _crl406(tmp_path)
    paths = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    for result in run_files(paths, Config(root=tmp_path, unsafe_fixes=True), fix=True, jobs=1, cache=None):
        if result.new_source is not None:
            Path(result.path).write_bytes(result.new_source)
    fixed = (tmp_path / "app/history.py").read_text()
    assert "        with self._lock:\n            self.entries[key] = value" in fixed
    assert "        with self._lock:\n            with open(path, \"w\") as f:\n                json.dump(self.entries, f)" in fixed
    results = run_files(paths, Config(root=tmp_path, unsafe_fixes=True), fix=False, jobs=1, cache=None)
    assert all("self.entries" not in f.message for r in results for f in r.findings if f.code == "CRL406")


def test_two_size_changes_racing_the_walk_get_no_fix(tmp_path):
    history = HISTORY.replace("self.log.append(line)", "self.log.append(line)\n            self.entries.pop(line, None)")
    found = [f for f in _crl406(tmp_path, history) if "self.entries" in f.message]
    assert len(found) == 1 and "several statements change the size" in (found[0].no_fix_reason or "")


def test_the_index_and_the_rule_agree_on_what_is_walked():
    """Every `self.<attr>` the CST definition (`iteration_use`) calls walked, the `ast` one records, in order."""
    import ast

    import libcst as cst

    from cortex_racelint.analysis.iteration_sites import ast_walks, iteration_use
    from cortex_racelint.analysis.traverse import children

    source = textwrap.dedent("""
        def f(self, out):
            for a, b in zip(self.x, self.y):
                pass
            for k, v in enumerate(self.d.items()):
                pass
            json.dump(self.d, out)
            json.dumps(self.x)
            json.dumps(self.x, indent=2)
            [n for n in self.s if n in self.t]
            copy.deepcopy(self.d.values())
    """)
    tree = ast.parse(source)
    from_ast = sorted((w.lineno, w.col_offset, w.attr) for node in ast.walk(tree) for w, _ in ast_walks(node))
    found, stack = [], [(cst.parse_module(source), [])]
    while stack:
        node, path = stack.pop()
        path = [*path, node]
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
            if iteration_use(path) is not None:
                found.append(node.attr.value)
            continue
        stack.extend((child, path) for child in reversed(list(children(node))))
    assert [attr for _, _, attr in from_ast] == found == ["x", "y", "d", "d", "x", "s", "d"]


def test_the_index_and_the_rule_agree_on_what_changes_the_size():
    """`ast_size_change` (the index) and the rule's CST search find the same changes, in the same order."""
    import ast

    import libcst as cst

    from cortex_racelint.analysis.iteration_sites import ast_size_change
    from cortex_racelint.rules.shared_state.iteration_race import _size_nodes

    source = textwrap.dedent("""
        def f(self, k):
            self.a.append(self.a.pop())
            self.a[k] = 1
            del self.a[k]
            x = self.a[k] = 2
            self.a[k] += 1
            self.a.get(k)
            self.b.add(k)
    """)
    tree = ast.parse(source)
    from_ast = sorted((n.lineno, n.col_offset) for n in ast.walk(tree) if ast_size_change(n) == "a")
    function = cst.parse_module(source).body[0]
    assert len(from_ast) == len(_size_nodes(function, "a")) == 5  # the `+=` is a read-modify-write, not a size change


def test_crl406_selected_alone_still_reports(tmp_path):
    """The walk is CRL406's own project rule: selecting it alone (without CRL404) finds the race."""
    _crl406(tmp_path)
    paths = [str(p) for p in sorted(tmp_path.rglob("*.py"))]
    results = run_files(paths, Config(root=tmp_path, select=("CRL406",)), fix=False, jobs=1, cache=None)
    assert [f.code for r in results for f in r.findings] == ["CRL406"]
