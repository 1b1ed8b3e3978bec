"""`racelint confirm` for CRL406 (a container of a process-wide object walked on one thread while another
thread changes its size): the walk family (`confirm/walk_races.py`) driven on THE shared object the project
index found (`Finding.shared`: here a singleton accessor imported in the child), the walk held open with its
iterator taken while the method the index found changing the size runs on another thread.

Confirmed on the racy form (a dict's walk raises `RuntimeError`; a list's walk sees a torn snapshot),
certified after `--fix --unsafe-fixes` (the lock keeps the change out of the held walk: the hold times out),
and an object the child cannot reach (a global created later, lazily) is `not runnable`, with the reason.
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

LEDGER = """
    import json
    import threading


    class Ledger:
        def __init__(self):
            self.totals = {}
            self.pending = []
            self._lock = threading.Lock()

        def add(self, account, amount):
            self.totals[account] = amount

        def push(self, item):
            self.pending.insert(0, item)

        def save(self, path):
            with open(path, "w") as f:
                json.dump(self.totals, f)

        def snapshot(self):
            return [item for item in self.pending]


    _ledger = Ledger()


    def get_ledger():
        return _ledger
"""

WORKERS = """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from books.ledger import get_ledger


    def work(item):
        get_ledger().add(item, item * 2)
        get_ledger().push(item)


    def saver():
        get_ledger().save("ledger.json")
        get_ledger().snapshot()


    def main(items):
        threading.Thread(target=saver).start()
        with ThreadPoolExecutor(4) as pool:
            for item in items:
                pool.submit(work, item)
"""


def _package(root: Path, ledger: str = LEDGER) -> Path:
    folder = root / "books"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "ledger.py").write_text(textwrap.dedent(ledger).lstrip(), encoding="utf-8")
    (folder / "workers.py").write_text(textwrap.dedent(WORKERS).lstrip(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("shared_walk"))


@pytest.fixture(scope="module")
def verdicts(books) -> dict[str, object]:
    found = confirm_paths([str(books)], ("CRL406",), runs=3, threads=8)
    return {c.finding.message.split("`", 2)[1]: c for c in found}


def test_the_finding_carries_the_object_and_the_changing_method(verdicts):
    shared = verdicts["self.totals"].finding.shared
    assert shared is not None and shared.how == "accessor"
    assert shared.expression == "books.ledger.get_ledger()" and shared.cls == "books.ledger.Ledger"
    assert shared.attr == "totals" and shared.methods == ("add",)
    assert verdicts["self.pending"].finding.shared.methods == ("push",)


def test_the_dict_walk_crashes_on_every_run_on_the_shared_object(verdicts):
    confirmation = verdicts["self.totals"]
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.raced_runs == 3
    assert confirmation.spec.shared_object == "books.ledger.get_ledger()"
    assert "Ledger.save(path='racelint') against Ledger.add(" in confirmation.reason
    assert "RuntimeError: dictionary changed size during iteration" in confirmation.reason, confirmation.reason
    # the change landing mid-walk stores a new key (a re-stored key would change no size), and the verdict says so
    assert "the change mid-walk: `Ledger.add(account='racelint-2', amount='racelint-2')`" in confirmation.reason


def test_the_list_walk_sees_a_torn_snapshot(verdicts):
    confirmation = verdicts["self.pending"]
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert "a torn snapshot: 1 items when the walk started, 2 when it ended" in confirmation.reason, confirmation.reason


def test_the_fix_is_certified_and_the_racy_text_is_not(books, verdicts, tmp_path, capsys):
    copy = tmp_path / "books"
    shutil.copytree(books, copy)
    capsys.readouterr()
    racelint_main(["check", str(copy), "--select", "CRL406", "--fix", "--unsafe-fixes", "--no-cache"])
    fixed = (copy / "ledger.py").read_text(encoding="utf-8")
    assert fixed.count("with self._lock:") == 4, fixed  # each walk and each size change
    for attr in ("totals", "pending"):
        ok, message = certify_fix(verdicts[f"self.{attr}"], fixed, runs=3)
        assert ok and f"nothing could change `{attr}` while a walk over it was held" in message, message
    confirmation = verdicts["self.totals"]
    ok, message = certify_fix(confirmation, (books / "ledger.py").read_text(encoding="utf-8"), runs=2)
    assert not ok and "certificate failed" in message, message
    wrong = fixed.replace("with self._lock:", "with threading.Lock():")  # a lock per call orders nothing
    ok, message = certify_fix(confirmation, wrong, runs=2)
    assert not ok and "certificate failed" in message, message


def test_fix_certify_writes_the_certified_fixes(books, tmp_path, capsys):
    copy = tmp_path / "books"
    shutil.copytree(books, copy)
    capsys.readouterr()
    racelint_main(["check", str(copy), "--select", "CRL406", "--fix", "--unsafe-fixes", "--certify",
                   "--certify-runs", "3", "--no-cache"])
    printed = capsys.readouterr()
    assert "ledger.py:19: CRL406 certified 3/3" in printed.err and "ledger.py:22: CRL406 certified 3/3" in printed.err, printed
    assert "with self._lock:\n            self.totals[account] = amount" in (copy / "ledger.py").read_text()


def test_an_object_created_later_is_not_runnable_and_says_why(tmp_path):
    lazy = textwrap.dedent(LEDGER).replace(
        "_ledger = Ledger()", "_ledger = None\n\n\ndef open_ledger():\n    global _ledger\n    _ledger = Ledger()"
    )
    folder = _package(tmp_path, lazy)
    found = confirm_paths([str(folder)], ("CRL406",), runs=3, threads=8)
    assert found, "the lazily created global is still shared"
    for confirmation in found:
        assert confirmation.status is Status.NOT_RUNNABLE
        assert "`books.ledger.get_ledger()` is None after import (created later, lazily)" in confirmation.reason


def test_the_legacy_ledger_is_confirmed_and_its_migrated_form_certified(tmp_path):
    """`racelint confirm` on the legacy tree: `usage_ledger.py`'s dump crashes on every run; `cortex/` certifies."""
    from .conftest import FIXTURES, REPO

    root = tmp_path / "cortex"
    shutil.copytree(FIXTURES / "cortex_legacy" / "cortex", root, ignore=shutil.ignore_patterns("__pycache__"))
    (confirmation,) = [c for c in confirm_paths([str(root)], ("CRL406",), runs=3, threads=8)
                       if c.finding.path.endswith("usage_ledger.py")]
    assert confirmation.status is Status.CONFIRMED and confirmation.raced_runs == 3, confirmation.reason
    assert confirmation.spec.shared_object == "cortex.usage_ledger.get_usage_ledger()"
    assert "RuntimeError: dictionary changed size during iteration" in confirmation.reason
    ok, message = certify_fix(confirmation, (REPO / "cortex" / "usage_ledger.py").read_text(encoding="utf-8"), runs=3)
    assert ok and message.startswith("certified 3/3"), message


@pytest.mark.parametrize(
    "value",
    [{"k": 1}, {1, 2}, [3, 4]]
    + [__import__("collections").OrderedDict(b=1, a=2), __import__("collections").defaultdict(list, {"x": [1]}),
       __import__("collections").Counter("aab"), __import__("collections").deque([1, 2], maxlen=5)],
    ids=lambda v: type(v).__name__,
)
def test_the_held_container_is_an_equal_one_of_the_same_kind_whose_mid_walk_change_raises(value):
    """The swap must not change what the code sees (order, default factory, bound), and a size change landing in
    the held walk must fail as it would on the original (a list's walk only sees a torn snapshot)."""
    from cortex_racelint.confirm.walk_races import held_container

    events: list[str] = []
    held = held_container(value, lambda: events.append("held"), lambda: events.append("over"), lambda: events.append("changed"))
    assert isinstance(held, type(value)) and held == value and list(held) == list(value)
    assert getattr(held, "default_factory", None) == getattr(value, "default_factory", None)
    assert getattr(held, "maxlen", None) == getattr(value, "maxlen", None)
    events.clear()
    walk = iter(held)
    next(walk)
    if isinstance(held, dict):
        held["new"] = 1
    elif isinstance(held, set):
        held.add("new")
    else:
        held.append("new")
    assert events == ["held", "changed"]
    if isinstance(held, list):
        assert list(walk)[-1] == "new"  # the walk sees the item added after it started
    else:
        with pytest.raises(RuntimeError, match="during iteration"):
            list(walk)
