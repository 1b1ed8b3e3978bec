"""One lock per object when several fixes of one run (or of runs in turn) lock the same class.

CRL401/CRL405 put a copyable object's new lock in the class body; CRL301 puts it in `__init__`.
Fixing both on one class must not leave a class-body `_lock` shadowed by `self._lock`, and a
later run must reuse the lock the earlier one added, whichever form it took.
"""

from __future__ import annotations

import textwrap

from cortex_racelint import Config, fix_source, lint_source

UNSAFE = Config(unsafe_fixes=True)

BOTH = textwrap.dedent(
    '''\
    import json
    import threading


    class Store:
        def __init__(self, path):
            self.path = path
            self.data = {}

        def put(self, key, value):
            self.data[key] = value

        def save(self):
            with open(self.path, "w") as f:
                json.dump(self.data, f)

        def start(self):
            threading.Thread(target=self.save).start()
            threading.Thread(target=self.put, args=("a", 1)).start()
    '''
)

#: what a run that fixed only the state left: the class-body form of the object lock
CLASS_FORM = textwrap.dedent(
    '''\
    import json
    import threading


    class Store:
        _lock = threading.Lock()

        def __init__(self, path):
            self.path = path
            self.data = {}

        def put(self, key, value):
            with self._lock:
                self.data[key] = value

        def save(self):
            with self._lock:
                text = json.dumps(self.data)
            with open(self.path, "w") as f:
                f.write(text)

        def start(self):
            threading.Thread(target=self.save).start()
            threading.Thread(target=self.put, args=("a", 1)).start()
    '''
)


def _fixed(source: str) -> str:
    result = fix_source(source.encode(), "store.py", UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    return result.new_source.decode()


def _lock_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "threading.Lock()" in line]


def test_state_and_file_fixes_make_one_lock() -> None:
    codes = {f.code for f in lint_source(BOTH.encode(), "store.py", UNSAFE).findings}
    assert {"CRL301", "CRL405"} <= codes  # both fixes plan a lock for `Store`
    text = _fixed(BOTH)
    assert _lock_lines(text) == ["self._lock = threading.Lock()"]
    assert text.count("with self._lock:") == 2  # the same statements are guarded, by that one lock


def test_second_run_changes_nothing() -> None:
    assert fix_source(_fixed(BOTH).encode(), "store.py", UNSAFE).new_source is None


def test_later_run_reuses_the_class_body_lock() -> None:
    text = _fixed(CLASS_FORM)
    assert _lock_lines(text) == ["_lock = threading.Lock()"]
    assert "with self._lock:\n            with open(self.path" in text
    assert fix_source(text.encode(), "store.py", UNSAFE).new_source is None


def test_a_singleton_creation_lock_is_not_the_objects() -> None:
    """A class-body `_instance_lock` guards creation in `__new__`: the state gets its own lock."""
    source = CLASS_FORM.replace("    _lock = threading.Lock()", "    _instance_lock = threading.Lock()").replace(
        "with self._lock:\n            text", "with self._instance_lock:\n            text"
    ).replace("with self._lock:\n                self.data", "with self._instance_lock:\n                self.data")
    text = _fixed(source)
    assert "self._lock = threading.Lock()" in text


def test_a_class_without_init_gets_one_class_body_lock() -> None:
    """Both fixes then plan the class-body form: one line, not two."""
    source = BOTH.replace(
        "    def __init__(self, path):\n        self.path = path\n        self.data = {}\n",
        '    path = "store.json"\n    data = {}\n',
    )
    text = _fixed(source)
    assert _lock_lines(text) == ["_lock = threading.Lock()"]
    assert text.count("with self._lock:") == 2
