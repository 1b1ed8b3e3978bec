"""CRL401 on frontrun is judged per attribute: frontrun's report names each raced object (`Meter.last`), and
only races on the finding's attribute confirm it or fail its certificate (`dpor_child.raced_objects`)."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, lint_source
from cortex_racelint.confirm import Status, certify_fix, confirm_finding

pytest.importorskip("frontrun")

METER = '''from concurrent.futures import ThreadPoolExecutor


class Meter:
    def __init__(self):
        self.done = 0
        self.last = ""
        self._pool = ThreadPoolExecutor(4)

    def _work(self, name):
        self.done = self.done + 1
        self.last = name

    def submit(self, name):
        return self._pool.submit(self._work, name)

    def report(self):
        return f"{self.done} done, last {self.last}"
'''

#: a hand fix that orders the accesses to `done` only; `last` still races
DONE_ONLY = METER.replace("from concurrent", "import threading\nfrom concurrent").replace(
    "        self._pool = ThreadPoolExecutor(4)\n", "        self._pool = ThreadPoolExecutor(4)\n        self._lock = threading.Lock()\n").replace(
    "        self.done = self.done + 1\n", "        with self._lock:\n            self.done = self.done + 1\n").replace(
    '        return f"{self.done} done, last {self.last}"\n',
    '        with self._lock:\n            done = self.done\n        return f"{done} done, last {self.last}"\n')


@pytest.fixture
def meter(tmp_path):
    package = tmp_path / "meterpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    path = package / "meter.py"
    path.write_text(METER)
    return path


def confirmed(path, attr: str):
    finding = next(f for f in lint_source(path.read_bytes(), str(path), Config(select=("CRL401",))).findings
                   if f"`self.{attr}`" in f.message.split(" is ")[0])
    confirmation = confirm_finding(finding, path.read_bytes())
    assert confirmation.status is Status.CONFIRMED and confirmation.engine == "frontrun", confirmation.reason
    assert f"accessed `self.{attr}` with no lock ordering them (raced on Meter.{attr})" in confirmation.reason
    return confirmation


def test_a_fix_of_one_attribute_certifies_that_finding_and_names_what_still_races(meter):
    ok, message = certify_fix(confirmed(meter, "done"), DONE_ONLY)
    assert ok, message
    assert "every access to `self.done` by `Meter.report()` and `Meter._work()` is ordered by a lock" in message
    assert "unordered accesses to other state were seen: Meter.last" in message
    assert "explored with Meter.report() against Meter._work(name='racelint')" in message


def test_the_attribute_the_fix_left_alone_still_fails_its_certificate(meter):
    ok, message = certify_fix(confirmed(meter, "last"), DONE_ONLY)
    assert not ok and "raced on Meter.last" in message, message


def test_the_counterexample_and_its_count_are_those_of_the_attribute(meter):
    """The exploration does not stop at the first race; what it reports is where `self.last` first raced."""
    confirmation = confirmed(meter, "last")
    exploration = confirmation.exploration
    assert exploration.counterexample and set(exploration.counterexample) == {0, 1}
    assert f"found it after {exploration.explored} interleaving(s)" in confirmation.reason
