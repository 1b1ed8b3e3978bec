"""`confirm` and `--certify` on hand-over findings (issue 18): the object one function makes and hands to threads.

The finding carries its shared object as data (`Finding.shared`, JSON `shared_object`): where it is made, by
which function, the attribute, the methods the threads run. `confirm` builds the object as its maker does
(`progress = InstallProgress()`), races the thread-side method with itself (a lost update) and a reset with the
method the threads run (`drain()` against `record()`), and certifies the migrated tree's fix. A constructor
whose maker passes what no neutral value replaces is `not runnable`, and the reason names the call.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.cli import main as racelint_main
from cortex_racelint.confirm import Status, certify_fix, missing_frontrun
from cortex_racelint.confirm.cli import confirm_paths

from .conftest import FIXTURES, REPO

pytestmark = pytest.mark.skipif(missing_frontrun() is not None, reason=str(missing_frontrun()))

LEGACY = FIXTURES / "cortex_legacy" / "cortex"


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The legacy package plus the helpers the migrated modules import (as after `racelint scaffold`)."""
    root = tmp_path_factory.mktemp("handover") / "cortex"
    shutil.copytree(LEGACY, root)
    shutil.copytree(REPO / "cortex" / "utils", root / "utils", dirs_exist_ok=True)
    return root


@pytest.fixture(scope="module")
def verdicts(tree) -> dict[int, object]:
    found = confirm_paths([str(tree)], ("CRL404",), runs=3, threads=8)
    return {c.finding.line: c for c in found if c.finding.path.endswith("install_progress.py")}


def test_the_finding_names_the_object_its_maker_makes_as_data(tree, capsys):
    capsys.readouterr()
    racelint_main(["check", str(tree), "--select", "CRL404", "--format", "json", "--no-cache"])
    items = [i for i in json.loads(capsys.readouterr().out) if i["filename"].endswith("install_progress.py")]
    assert [i["location"]["row"] for i in items][:1] == [22]
    shared = items[0]["shared_object"]
    assert shared == {
        "how": "handover", "class": "cortex.install_progress.InstallProgress", "expression": "",
        "maker": "cortex.install_progress.install_all",
        "made_at": {"filename": str(tree / "install_progress.py"), "row": 44}, "holder": "",
        "attribute": "installed", "methods": ["record"],
        "entry": "thread entry `_install_one` started in `cortex.install_progress.install_all` with `progress`",
    }
    accessor = [i for i in json.loads(_json(tree / "health_monitor.py", capsys)) if i["code"] == "CRL404"][0]
    assert accessor["shared_object"]["how"] == "accessor"
    assert accessor["shared_object"]["expression"] == "cortex.health_monitor.get_health_monitor()"


def _json(path: Path, capsys) -> str:
    capsys.readouterr()
    racelint_main(["check", str(path.parent), "--select", "CRL404", "--format", "json", "--no-cache"])
    return capsys.readouterr().out


def test_the_lost_update_is_confirmed_on_the_object_built_as_its_maker_does(verdicts):
    confirmation = verdicts[22]
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert confirmation.engine == "frontrun"
    assert json.loads(confirmation.spec.shared_build)["call"] == "InstallProgress()"
    assert "`self.installed`" in confirmation.reason and "a lost update" in confirmation.reason


def test_the_legacy_drain_after_the_joins_is_ordered_and_not_confirmed(verdicts):
    """The drain runs after every join in `install_all()`: happens-before (`analysis/reset_order.py`) drops
    it, so confirm has no reset to race there (a drain on its own thread is raced in the cases below)."""
    assert 22 in verdicts and 27 not in verdicts


def test_the_migrated_fix_is_certified_and_a_per_call_lock_is_not(verdicts):
    confirmation = verdicts[22]
    migrated = (REPO / "cortex" / "install_progress.py").read_text(encoding="utf-8")
    ok, message = certify_fix(confirmation, migrated)
    assert ok, message
    wrong = migrated.replace("with self._lock:", "with threading.Lock():")
    ok, message = certify_fix(confirmation, wrong)
    assert not ok and "certificate failed" in message, message


def test_fix_certify_writes_the_certified_fix(tree, tmp_path, capsys):
    copy = tmp_path / "cortex"
    shutil.copytree(tree, copy)
    capsys.readouterr()
    racelint_main(["check", str(copy), "--select", "CRL404", "--fix", "--unsafe-fixes", "--certify",
                   "--certify-runs", "3", "--no-cache"])
    printed = capsys.readouterr()
    assert "install_progress.py:22: CRL404 certified: no race and no deadlock" in printed.out + printed.err
    fixed = (copy / "install_progress.py").read_text(encoding="utf-8")
    assert fixed == (REPO / "cortex" / "install_progress.py").read_text(encoding="utf-8")


MAKER = '''
    import threading


    class Meter:
        def __init__(self, clock):
            self.started = clock()  # called: no neutral value for it
            self.count = 0

        def add(self):
            self.count += 1


    def _work(meter):
        meter.add()


    def run(clock):
        meter = Meter(clock)
        threads = [threading.Thread(target=_work, args=(meter,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return meter.count
'''


def _package(root: Path, text: str) -> Path:
    folder = root / "meters"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "meter.py").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def test_a_maker_passing_what_cannot_be_built_is_not_runnable_and_says_why(tmp_path):
    (confirmation,) = confirm_paths([str(_package(tmp_path, MAKER))], ("CRL404",), runs=3, threads=8)
    assert confirmation.status is Status.NOT_RUNNABLE
    reason = confirmation.reason
    assert "made by `meters.meter.run` (meter.py:18) as `Meter(clock)`" in reason, reason
    assert "`clock` is not a constant" in reason and "`Meter()` needs" in reason, reason


def test_a_maker_passing_constants_is_followed(tmp_path):
    text = MAKER.replace("meter = Meter(clock)", "meter = Meter(clock=3)").replace("clock()  #", "clock + 1  #")
    (confirmation,) = confirm_paths([str(_package(tmp_path, text))], ("CRL404",), runs=3, threads=8)
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert json.loads(confirmation.spec.shared_build)["kwargs"] == {"clock": "3"}


LAZY = '''
    import threading


    def make_cipher():
        return object()


    class Vault:
        def __init__(self):
            self._cipher = None

        def cipher(self):
            if self._cipher is None:
                self._cipher = make_cipher()
            return self._cipher


    def _work(vault):
        vault.cipher()


    def run():
        vault = Vault()
        threads = [threading.Thread(target=_work, args=(vault,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
'''


def test_a_lazy_attribute_of_a_handed_over_object_is_confirmed(tmp_path):
    """CRL108 on a hand-over: the creation family runs the method on the object the maker makes."""
    (confirmation,) = confirm_paths([str(_package(tmp_path, LAZY))], ("CRL108",), runs=3, threads=8)
    assert confirmation.finding.shared is not None and confirmation.finding.shared.how == "handover"
    assert confirmation.status is Status.CONFIRMED, confirmation.reason
    assert "`self._cipher = make_cipher()` ran more often than in any serial order" in confirmation.reason


HELD = '''
    import threading


    class Stats:
        def __init__(self):
            self.n = 0

        def add(self):
            self.n += 1


    class Crawler:
        def __init__(self):
            self.stats = Stats()

        def _loop(self):
            self.stats.add()

        def start(self):
            threads = [threading.Thread(target=self._loop) for _ in range(3)]
            for thread in threads:
                thread.start()
'''


def test_the_object_a_thread_starting_class_keeps_is_built_as_it_builds_it(tmp_path):
    (confirmation,) = confirm_paths([str(_package(tmp_path, HELD))], ("CRL404",), runs=3, threads=8)
    shared = confirmation.finding.shared
    assert (shared.how, shared.maker, shared.holder, shared.methods) == ("held", "meters.meter.Crawler", "stats", ("add",))
    assert json.loads(confirmation.spec.shared_build)["call"] == "Stats()"
    assert confirmation.status is Status.CONFIRMED, confirmation.reason


def test_the_shared_object_survives_the_finding_cache(tmp_path):
    """A warm run answers from the cache: the data confirm reads must come back whole."""
    from cortex_racelint.engine.cache import _finding_from_json, _finding_to_json

    folder = _package(tmp_path, HELD)
    (confirmation,) = confirm_paths([str(folder)], ("CRL404",), runs=3, threads=8)
    finding = confirmation.finding
    again = _finding_from_json(json.loads(json.dumps(_finding_to_json(finding))))
    assert again.shared == finding.shared and again == finding


REPORTER = '''
    import threading


    class Progress:
        def __init__(self):
            self.per_source = {}

        def record(self, source):
            self.per_source[source] = self.per_source.get(source, 0) + 1

        def drain(self):
            counts = self.per_source
            self.per_source = {}
            return counts


    def _work(progress, source):
        progress.record(source)


    def _report(progress, out):
        out.append(progress.drain())


    def run(sources):
        progress = Progress()
        out = []
        threads = [threading.Thread(target=_work, args=(progress, s)) for s in sources]
        threads.append(threading.Thread(target=_report, args=(progress, out)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return out
'''


def test_a_reset_on_a_reporter_thread_is_confirmed_and_its_fix_certified(tmp_path, capsys):
    """`drain()` on its own thread while workers `record()`: a count read from the dict the drain
    discards is written into the new one (counted twice)."""
    folder = _package(tmp_path, REPORTER)
    verdicts = {c.finding.line: c for c in confirm_paths([str(folder)], ("CRL404",), runs=3, threads=8)}
    reset = verdicts[13]  # `self.per_source = {}`
    assert (reset.spec.function, reset.spec.other_function) == ("Progress.drain", "Progress.record")
    assert reset.status is Status.CONFIRMED, reset.reason
    assert "landed in the discarded value" in reset.reason
    entry = verdicts[9]  # `self.per_source[source] = self.per_source.get(source, 0) + 1`: one entry's count lost
    assert entry.status is Status.CONFIRMED and "a lost update" in entry.reason, entry.reason
    capsys.readouterr()
    racelint_main(["check", str(folder), "--select", "CRL404", "--fix", "--unsafe-fixes", "--certify", "--certify-runs", "3",
                   "--no-cache"])
    printed = capsys.readouterr()
    out = printed.out + printed.err
    assert "meter.py:13: CRL404 certified: no race and no deadlock" in out, out
    fixed = (folder / "meter.py").read_text(encoding="utf-8")
    reset_text = "\n            self.per_source = {}"
    unlocked_reset = fixed.replace("with self._lock:" + reset_text, "if True:" + reset_text)
    assert unlocked_reset != fixed
    ok, message = certify_fix(reset, unlocked_reset)
    assert not ok and "landed in the discarded value" in message, message
