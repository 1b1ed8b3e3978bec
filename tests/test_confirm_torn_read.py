"""`racelint confirm` for CRL302 (a read of a shared file that skips the lock its writers take): the barrier
pairs the reader with the writer (`confirm/torn_reads.py`). The writer, holding its lock, writes half of its
first write, flushes and waits; the reader driven meanwhile opens the half-written file (the race: what it
returned or raised is named). With the writers' lock around the read (the fix) the reader cannot get there:
the hold times out and the reader then reads the whole file (certified).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.cli import main as racelint_main
from cortex_racelint.confirm import Status, certify_fix, missing_frontrun
from cortex_racelint.confirm.cli import confirm_paths

pytestmark = pytest.mark.skipif(missing_frontrun() is not None, reason=str(missing_frontrun()))

CACHE = """
    import json
    import threading


    class Cache:
        def __init__(self, path):
            self._lock = threading.Lock()
            self.path = path

        def save(self, data):
            with self._lock:
                with open(self.path, "w") as f:
                    json.dump(data, f)

        def load(self):
            with open(self.path) as f:
                return json.load(f)
"""

STATE = """
    import json
    import threading
    from pathlib import Path

    _STATE = Path("state.json")
    _lock = threading.Lock()


    def save_state(count: int):
        with _lock:
            _STATE.write_text(json.dumps({"count": count}))


    def load_state():
        return json.loads(_STATE.read_text())
"""


def _package(root: Path, name: str, text: str) -> Path:
    folder = root / "store"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder / name


def _confirmed(path: Path):
    (confirmation,) = confirm_paths([str(path.parent)], ("CRL302",), runs=3, threads=8)
    return confirmation


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("torn_read"), "cache.py", CACHE)


def test_the_reader_sees_the_file_half_written_on_every_run(cache):
    confirmation = _confirmed(cache)
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.raced_runs == 3 and confirmation.spec.other_function == "Cache.save"
    assert "Cache.load() against Cache.save(" in confirmation.reason
    assert "the reader opened `racelint` while the writer held it half written" in confirmation.reason
    assert "it raised JSONDecodeError" in confirmation.reason, confirmation.reason


def test_the_fix_is_certified_and_the_racy_or_per_call_lock_is_not(cache, tmp_path, capsys):
    confirmation = _confirmed(cache)
    copy = tmp_path / "store"
    shutil.copytree(cache.parent, copy)
    capsys.readouterr()
    racelint_main(["check", str(copy), "--select", "CRL302", "--fix", "--unsafe-fixes", "--no-cache"])
    fixed = (copy / "cache.py").read_text(encoding="utf-8")
    assert fixed.count("with self._lock:") == 2, fixed
    ok, message = certify_fix(confirmation, fixed, runs=3)
    assert ok and "the reader could not open `racelint` while the writer held it half written" in message, message
    ok, message = certify_fix(confirmation, cache.read_text(encoding="utf-8"), runs=2)
    assert not ok and "certificate failed" in message, message
    wrong = fixed.replace("    def load(self):\n        with self._lock:", "    def load(self):\n        with threading.Lock():")
    assert wrong != fixed
    ok, message = certify_fix(confirmation, wrong, runs=2)
    assert not ok and "certificate failed" in message, message


def test_fix_certify_writes_the_certified_fix(cache, tmp_path, capsys):
    copy = tmp_path / "store"
    shutil.copytree(cache.parent, copy)
    capsys.readouterr()
    racelint_main(["check", str(copy), "--select", "CRL302", "--fix", "--certify", "--certify-runs", "3", "--no-cache"])
    printed = capsys.readouterr()
    assert "cache.py:16: CRL302 certified 3/3" in printed.err, printed
    assert "with self._lock:\n            with open(self.path) as f:" in (copy / "cache.py").read_text()


def test_a_module_path_read_with_read_text_is_paired_with_its_module_writer(tmp_path):
    confirmation = _confirmed(_package(tmp_path, "state.py", STATE))
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert "load_state() against save_state(count=1)" in confirmation.reason
    assert "the reader opened `state.json` while the writer held it half written" in confirmation.reason


def test_an_object_that_cannot_be_built_is_not_runnable_and_says_why(tmp_path):
    text = CACHE.replace("def __init__(self, path):", "def __init__(self, locate):").replace(
        "self.path = path", "self.path = locate()"
    )
    confirmation = _confirmed(_package(tmp_path, "cache.py", text))
    assert confirmation.status is Status.NOT_RUNNABLE
    assert "cannot build a `Cache` to call `Cache.load()` on" in confirmation.reason, confirmation.reason
    assert "`locate`" in confirmation.reason


def test_a_reader_that_no_longer_opens_the_writers_file_is_never_certified(cache):
    """Holding the hold open until it times out is not enough: the reader must have opened the writer's file
    (after the writer), else the run proves nothing either way."""
    confirmation = _confirmed(cache)
    elsewhere = cache.read_text(encoding="utf-8").replace("with open(self.path) as f:", "with open(self.path + '.old') as f:")
    ok, message = certify_fix(confirmation, elsewhere, runs=2)
    assert not ok and "does not reach the window: driving `Cache.load()` never opened `racelint`" in message, message


def test_the_legacy_catalog_is_confirmed_and_its_migrated_form_certified(tmp_path):
    """`racelint confirm` on the legacy tree: `model_catalog.py`'s picker reads an empty catalog on every run (the
    catalog's folder, named by the neutral argument, is made in the run's directory); `cortex/` certifies."""
    from .conftest import FIXTURES, REPO

    root = tmp_path / "cortex"
    shutil.copytree(FIXTURES / "cortex_legacy" / "cortex", root, ignore=shutil.ignore_patterns("__pycache__"))
    (confirmation,) = [c for c in confirm_paths([str(root)], ("CRL302",), runs=3, threads=8)
                       if c.finding.path.endswith("model_catalog.py")]
    assert confirmation.status is Status.CONFIRMED and confirmation.raced_runs == 3, confirmation.reason
    assert "the reader opened `models.json` while the writer held it half written (0 bytes on disk)" in confirmation.reason
    ok, message = certify_fix(confirmation, (REPO / "cortex" / "model_catalog.py").read_text(encoding="utf-8"), runs=3)
    assert ok and message.startswith("certified 3/3"), message


APPENDER = """
    import threading


    class EventLog:
        def __init__(self, path):
            self._lock = threading.Lock()
            self.path = path

        def append(self, line):
            with self._lock:
                with open(self.path, "a") as f:
                    f.write(line + "\\n")

        def lines(self):
            with open(self.path) as f:
                return f.read().splitlines()
"""

AUDITED = """
    import json
    import threading


    class Store:
        def __init__(self, path):
            self._lock = threading.Lock()
            self.path = path
            self.audit = path + ".audit"

        def save(self, data):
            with self._lock:
                with open(self.audit, "a") as log:
                    log.write("save\\n")
                with open(self.path, "w") as f:
                    json.dump({"data": data}, f)

        def load(self):
            with open(self.path) as f:
                return json.load(f)["data"]
"""


@pytest.mark.parametrize(
    ("name", "text", "seen"),
    [
        # an appender writes half its record too: the reader's last line is torn
        ("log.py", APPENDER, "(it returned ['racelint', 'race'])"),
        # the writer's first write is to another file (an audit log): the hold is at the file the reader reads
        ("store.py", AUDITED, "(0 bytes on disk) (it raised JSONDecodeError"),
    ],
)
def test_the_hold_is_on_the_file_the_reader_reads(tmp_path, capsys, name, text, seen):
    path = _package(tmp_path, name, text)
    confirmation = _confirmed(path)
    assert confirmation.status is Status.CONFIRMED and confirmation.raced_runs == 3, confirmation.reason
    assert seen in confirmation.reason, confirmation.reason
    capsys.readouterr()
    racelint_main(["check", str(path.parent), "--select", "CRL302", "--fix", "--no-cache"])
    ok, message = certify_fix(confirmation, path.read_text(encoding="utf-8"), runs=3)
    assert ok, message
