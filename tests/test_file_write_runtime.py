"""Torn reads and duplicated appends, reproduced deterministically, gone after the fix.

The write window is held open (DESIGN.md section 4): the JSON dump writes half of the
document, flushes, and waits until the competing writer is inside too (or a timeout);
the reader reads while the writers wait. On the racy module both writers get inside and
the reader sees half a document, every run, on a GIL build. On the module `fix_source`
produced:

* `lock`: one writer at a time inside the window (the other waits on `self._lock`) and
  the reader, whose read CRL302 put under the same lock, waits for the writer to finish;
* `atomic`: both writers are inside (nothing serialises them), but each writes a temp
  file, so the reader sees the previous complete file;
* `lock+atomic`: one writer at a time, and the reader needs no lock.

The rc-file test runs two installers (two instances, as `install_shell_integration`
creates) and holds the window between the content check and the append: racy code
appends the block twice; every style's fix takes `locked(rc_path)` over the check and
the append, so it is appended once.
"""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from cortex_racelint import Config, fix_source
from cortex_racelint.racetest import load_module_from_source, run_together

from .conftest import FIXTURES, in_this_repo

STORE = (FIXTURES / "runtime" / "json_store.py").read_bytes()
RC = (FIXTURES / "runtime" / "rc_installer.py").read_bytes()
STYLES = ["lock", "atomic", "lock+atomic"]


class Window:
    """Counts the threads inside the write window; they wait there until released."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.cond = threading.Condition()
        self.inside = 0
        self.arrivals = 0
        self.most_inside = 0
        self.release = threading.Event()

    def enter(self) -> None:
        with self.cond:
            self.inside += 1
            self.arrivals += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.cond.notify_all()
        self.release.wait(self.timeout)
        with self.cond:
            self.inside -= 1

    def wait_inside(self, count: int, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.inside >= count, timeout)


def fixed(source: bytes, style: str, name: str) -> bytes:
    result = fix_source(source, name, in_this_repo(Config(unsafe_fixes=True, file_write_fix=style)))
    assert result.fix_error is None and result.new_source is not None
    assert [f.code for f in result.findings] == []
    return result.new_source


def held_json(window: Window) -> SimpleNamespace:
    """`json` whose `dump` writes half a document, flushes, and waits in the window."""

    def dump(obj, f, **kwargs):
        text = json.dumps(obj, **kwargs)
        half = len(text) // 2
        f.write(text[:half])
        f.flush()
        window.enter()
        f.write(text[half:])

    return SimpleNamespace(dump=dump, load=json.load, loads=json.loads, dumps=json.dumps)


def race_store(source: bytes, tmp_path) -> dict:
    module = load_module_from_source(source, "json_store")
    window = Window()
    module.json = held_json(window)
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"writer": "initial", "payload": "i" * 400}))
    store = module.JsonStore(path)
    seen: dict = {}

    def work(index: int):
        if index < 2:
            store.save({"writer": index, "payload": "ab"[index] * 400})
            return None
        window.wait_inside(1, 10.0)  # a writer has truncated the file and written half
        seen["both_inside"] = window.wait_inside(2, 0.5)
        releaser = threading.Timer(0.3, window.release.set)
        releaser.start()
        try:
            data = store.load()
        except ValueError:
            data = None  # half a JSON document: a torn read
        finally:
            window.release.set()
            releaser.cancel()
        return data

    run = run_together(3, work)
    assert not run.errors
    final = json.loads(path.read_text())
    return {
        "read": run.results[2],
        "both_inside": seen["both_inside"],
        "most_inside": window.most_inside,
        "final": final,
        "leftovers": sorted(p.name for p in tmp_path.iterdir() if p.name != "store.json"),
    }


def whole(document) -> bool:
    return (
        isinstance(document, dict)
        and document.get("payload") in ("i" * 400, "a" * 400, "b" * 400)
        and {"initial": "i", 0: "a", 1: "b"}[document["writer"]] == document["payload"][0]
    )


@pytest.mark.parametrize("attempt", range(3))
def test_racy_store_gives_a_torn_read(attempt, tmp_path):
    outcome = race_store(STORE, tmp_path)
    assert outcome["both_inside"] and outcome["most_inside"] == 2
    assert outcome["read"] is None  # the reader saw half a document


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("attempt", range(2))
def test_fixed_store_never_tears(style, attempt, tmp_path):
    source = fixed(STORE, style, "json_store.py")
    outcome = race_store(source, tmp_path)
    assert whole(outcome["read"]), outcome["read"]
    assert whole(outcome["final"]) and outcome["final"]["writer"] in (0, 1)
    assert outcome["leftovers"] == []  # no temp files left behind
    if "lock" in style:
        # the lock serialised the writers: the second never joined the first in the window
        assert not outcome["both_inside"] and outcome["most_inside"] == 1
    else:
        # atomic only: both writers inside at once, yet the reader saw a whole file
        assert outcome["both_inside"] and outcome["most_inside"] == 2


def test_lock_style_reads_under_the_writers_lock():
    source = fixed(STORE, "lock", "json_store.py").decode()
    assert source.count("with self._lock:") == 2  # save (CRL301) and load (CRL302)
    assert "atomic_write" not in source
    atomic = fixed(STORE, "atomic", "json_store.py").decode()
    assert "with atomic_write(self.path, \"w\") as f:" in atomic and "_lock" not in atomic


def race_install(source: bytes, tmp_path) -> dict:
    module = load_module_from_source(source, "rc_installer")
    window = Window(timeout=0.5)
    block = module.integration_block

    def held_block():
        window.enter()  # after the check, before the append
        return block()

    module.integration_block = held_block
    rc = tmp_path / ".bashrc"
    rc.write_text("export EDITOR=vim\n", encoding="utf-8")

    def work(index: int):
        if index < 2:
            return module.ShellInstaller(rc).install()  # one installer per call
        window.wait_inside(1, 10.0)
        return module.ShellInstaller(rc).is_installed()

    run = run_together(3, work)
    assert not run.errors
    return {
        "installed": run.results[:2],
        "markers": rc.read_text(encoding="utf-8").count(module.MARKER),
        "most_inside": window.most_inside,
    }


@pytest.mark.parametrize("attempt", range(3))
def test_racy_install_appends_twice(attempt, tmp_path):
    outcome = race_install(RC, tmp_path)
    assert outcome["most_inside"] == 2
    assert outcome["installed"] == [True, True] and outcome["markers"] == 2


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("attempt", range(2))
def test_fixed_install_appends_once(style, attempt, tmp_path):
    source = fixed(RC, style, "rc_installer.py")
    assert b"with locked(self.rc_path):" in source
    outcome = race_install(source, tmp_path)
    assert outcome["most_inside"] == 1
    assert sorted(outcome["installed"]) == [False, True] and outcome["markers"] == 1
