"""CRL406 through hand-overs (`handover_join.py` feeding `walk_join.WalkTally`): an object made once and
given to two threads, one walking a container attribute and one changing its size, is the race of a
process-wide object; objects of two origins are two objects."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config

REGISTRY = """
    class Registry:
        def __init__(self):
            self.items = {}

        def add(self, key, value):
            self.items[key] = value

        def dump(self):
            for key in self.items:
                print(key)
"""

MAIN = """
    import threading

    from app.registry import Registry


    def writer(reg):
        for i in range(100):
            reg.add(i, i)


    def reader(reg):
        reg.dump()


    def main():
        {BODY}
"""

#: both threads get one object
ONE = """reg = Registry()
    threading.Thread(target=writer, args=(reg,)).start()
    threading.Thread(target=reader, args=(reg,)).start()"""


def _crl406(root: Path, body: str, registry: str = REGISTRY) -> list:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "registry.py").write_text(textwrap.dedent(registry))
    main = textwrap.dedent(MAIN).replace("{BODY}", body)
    ast.parse(main)  # a case that does not parse would be silent
    (root / "app" / "main.py").write_text(main)
    paths = [str(p) for p in sorted(root.rglob("*.py"))]
    results = run_files(paths, Config(root=root, select=("CRL406",)), fix=False, jobs=1, cache=None)
    return [f for r in results for f in r.findings]


def test_an_object_handed_to_a_walking_thread_and_a_growing_thread_is_reported(tmp_path):
    [finding] = _crl406(tmp_path, ONE)
    assert Path(finding.path).name == "registry.py" and finding.line == 10
    assert "handed to other threads" in finding.message and "`Registry.add()` changes its size" in finding.message


def test_the_maker_walking_after_handing_the_object_to_a_growing_thread_is_a_side(tmp_path):
    body = """reg = Registry()
    threading.Thread(target=writer, args=(reg,)).start()
    reg.dump()"""
    [finding] = _crl406(tmp_path, body)
    assert finding.line == 10


def test_two_objects_are_two_objects(tmp_path):
    body = """threading.Thread(target=writer, args=(Registry(),)).start()
    other = Registry()
    threading.Thread(target=reader, args=(other,)).start()"""
    assert _crl406(tmp_path, body) == []
    body = """reg = Registry()
    other = Registry()
    threading.Thread(target=writer, args=(reg,)).start()
    threading.Thread(target=reader, args=(other,)).start()"""
    assert _crl406(tmp_path, body) == []


def test_a_lock_of_the_object_around_both_sides_guards_the_walk(tmp_path):
    locked = REGISTRY.replace("self.items = {}", "self.items = {}\n            self._lock = threading.Lock()")
    locked = "import threading\n" + textwrap.dedent(locked)
    locked = locked.replace("    self.items[key] = value", "    with self._lock:\n            self.items[key] = value")
    locked = locked.replace("    for key in self.items:\n            print(key)", "    with self._lock:\n            for key in self.items:\n                print(key)")
    assert "with self._lock:\n            for key" in locked
    assert _crl406(tmp_path, ONE, locked) == []


def test_only_one_thread_reaching_the_object_is_no_race(tmp_path):
    body = """reg = Registry()
    reg.add(1, 1)
    threading.Thread(target=reader, args=(reg,)).start()"""
    assert _crl406(tmp_path, body) == []


def test_a_walk_a_caller_holds_the_objects_lock_around_is_not_reported(tmp_path):
    """`with self._lock: self._write()` then `for key in self.items` in `_write`: the index cannot name a
    handed-over object's own lock on the path, so a class taking one is left alone (`uses_own_lock`)."""
    locked = textwrap.dedent("""
        import threading


        class Registry:
            def __init__(self):
                self.items = {}
                self._lock = threading.Lock()

            def add(self, key, value):
                with self._lock:
                    self.items[key] = value

            def dump(self):
                with self._lock:
                    self._write()

            def _write(self):
                for key in self.items:
                    print(key)
    """)
    assert _crl406(tmp_path, ONE, locked) == []
    unlocked = locked.replace("with self._lock:\n            self._write()", "self._write()")
    unlocked = unlocked.replace("with self._lock:\n            self.items[key] = value", "self.items[key] = value")
    assert "_lock:" not in unlocked.split("def add")[1]
    assert len(_crl406(tmp_path, ONE, unlocked)) == 1
