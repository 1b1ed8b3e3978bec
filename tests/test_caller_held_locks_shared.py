"""One caller-held-lock analysis for the lazy-init and the file-write rules (`analysis/caller_locks.py`).

CRL301/302 used to keep their own "locks every caller of a private helper holds"; they now ask
`every_caller_holds` in their lock model (any lock, an instance's too, `locked(path)`), with the
call sites, eligibility and other-reference test the lazy-init rules use.
"""

from __future__ import annotations

import textwrap

from cortex_racelint.engine.lint import lint_source
from cortex_racelint.ftypes import Config

HEAD = textwrap.dedent("""
    import json
    import threading


    class Store:
        def __init__(self, path):
            self._lock = threading.Lock()
            self.path = path

        def save(self, data):
            with self._lock:
                self._write(data)
""")
WRITE = textwrap.dedent("""
        def _write(self, data):
            with open(self.path, "w") as f:
                json.dump(data, f)
""")


def _crl301(source: str) -> list[int]:
    lines = []
    for prefilter in (True, False):
        lines.append([f.line for f in lint_source(source, "m.py", Config(), use_prefilter=prefilter).findings if f.code == "CRL301"])
    assert lines[0] == lines[1]
    return lines[0]


def _method(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text), "    ")


def test_a_helper_every_caller_locks_is_not_reported() -> None:
    assert _crl301(HEAD + _method(WRITE)) == []


def test_an_instance_lock_counts_for_file_writes() -> None:
    """The file-write model: an object's own lock serialises its writers (the lazy-init model needs one
    object for every caller)."""
    other = _method("\n    def save_all(self, items):\n        with self._lock:\n            for item in items:\n                self._write(item)\n")
    assert _crl301(HEAD + other + _method(WRITE)) == []


def test_a_helper_also_handed_to_a_thread_is_reported() -> None:
    """`Thread(target=self._write)` runs it without the lock: the old per-family analysis missed it."""
    later = _method("\n    def save_later(self, data):\n        threading.Thread(target=self._write, args=(data,)).start()\n")
    assert _crl301(HEAD + later + _method(WRITE)) != []


def test_a_helper_called_from_a_nested_function_is_reported() -> None:
    nested = _method("\n    def save_soon(self, data):\n        def run():\n            self._write(data)\n        return run\n")
    assert _crl301(HEAD + nested + _method(WRITE)) != []


def test_a_decorated_helper_is_reported() -> None:
    """A decorator may register the helper elsewhere, where it runs without the lock."""
    decorated = _method(WRITE).replace("    def _write", "    @register\n    def _write")
    assert _crl301("from hooks import register\n" + HEAD + decorated) != []


def test_locks_held_through_a_calling_helper_add_up() -> None:
    """`save` holds `self._lock` around `_flush`, which calls `_write`: `_write` inherits it."""
    source = HEAD.replace("self._write(data)", "self._flush(data)") + _method(
        "\n    def _flush(self, data):\n        self._write(data)\n"
    ) + _method(WRITE)
    assert _crl301(source) == []
