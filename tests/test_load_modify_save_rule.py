"""CRL304 (load-modify-save through a saving helper): which spans it reports, how it shares the saver's
write with CRL301, and where it withholds the fix and why. CRL301's own load-modify-save message too."""

from __future__ import annotations

import textwrap

from cortex_racelint import Config, fix_source, lint_source

from .conftest import in_this_repo

UNSAFE = in_this_repo(Config(unsafe_fixes=True))

HELPERS = '''
import json
import threading


class Log:
    def __init__(self, path):
        self.path = path

    def _load(self):
        with open(self.path) as f:
            return json.load(f)

    def _save(self, entries):
        with open(self.path, "w") as f:
            json.dump(entries, f)
'''


def log(*methods: str) -> str:
    return textwrap.dedent(HELPERS).lstrip("\n") + "".join("\n" + textwrap.indent(textwrap.dedent(m), "    ") for m in methods)


def findings(text: str, config: Config = UNSAFE, path: str = "store.py"):
    result = lint_source(text, path, config)
    assert result.error is None
    return [f for f in result.findings if f.code.startswith("CRL3")]


ADD = """
def add(self, entry):
    entries = self._load()
    entries.append(entry)
    self._save(entries)
"""


def test_the_span_is_reported_once_and_the_saver_left_to_it():
    (finding,) = findings(log(ADD))
    assert finding.code == "CRL304" and finding.fix_applicability is not None
    assert "`add()` loads shared file `self.path` (`_load()`)" in finding.message and "entry is lost" in finding.message
    assert "(lost update)" in finding.message


def test_without_crl304_the_saver_write_is_crl301s():
    assert [f.code for f in findings(log(ADD), in_this_repo(Config(unsafe_fixes=True, ignore=("CRL304",))))] == ["CRL301"]


def test_the_fix_holds_one_lock_from_the_load_through_the_save_and_then_nothing_is_left():
    result = fix_source(log(ADD), "store.py", UNSAFE)
    new = result.new_source.decode()
    assert "        with self._lock:\n            entries = self._load()\n" in new
    assert "            self._save(entries)\n" in new
    assert new.count("with self._lock:") == 1, new  # the saver is not locked again (a plain Lock would deadlock)
    assert findings(new) == []


def test_a_copy_saved_unchanged_or_data_not_loaded_is_not_a_span():
    unchanged = "def touch(self):\n    entries = self._load()\n    self._save(entries)\n"
    fresh = "def reset(self, rows):\n    entries = list(rows)\n    entries.sort()\n    self._save(entries)\n"
    assert "CRL304" not in [f.code for f in findings(log(unchanged))]
    assert "CRL304" not in [f.code for f in findings(log(fresh))]


def test_a_span_under_one_lock_an_async_span_and_test_code_are_not_reported():
    locked = log(ADD.replace("    entries = self._load()\n    entries.append(entry)\n    self._save(entries)",
                             "    with self._lock:\n        entries = self._load()\n        entries.append(entry)\n"
                             "        self._save(entries)"))
    assert [f.code for f in findings(locked)] == []
    assert "CRL304" not in [f.code for f in findings(log(ADD.replace("def add", "async def add")))]
    assert [f.code for f in findings(log(ADD), path="tests/test_store.py")] == []


def test_an_existing_plain_lock_the_saver_takes_withholds_the_fix():
    text = log(ADD).replace("    def __init__(self, path):\n", "    def __init__(self, path):\n        self._lock = threading.Lock()\n")
    text = text.replace('        with open(self.path, "w") as f:\n            json.dump(entries, f)',
                        '        with self._lock:\n            with open(self.path, "w") as f:\n                json.dump(entries, f)')
    (finding,) = [f for f in findings(text) if f.code != "CRL302"]  # the unlocked `_load` is CRL302's
    assert finding.code == "CRL304" and finding.fix_applicability is None
    assert "takes `self._lock` itself" in finding.no_fix_reason


def test_a_saver_with_other_callers_keeps_crl301_and_the_span_gets_no_fix():
    clear = "def clear(self):\n    self._save([])\n"
    found = {f.code: f for f in findings(log(ADD, clear))}
    assert set(found) == {"CRL301", "CRL304"}
    assert found["CRL304"].fix_applicability is None
    assert "`_save()` is called without a load first (also from `clear()`)" in found["CRL304"].no_fix_reason


def test_a_handed_in_callback_in_the_span_withholds_the_fix():
    notify = "def add(self, entry, notify):\n    entries = self._load()\n    entries.append(entry)\n    notify(entries)\n    self._save(entries)\n"
    (finding,) = findings(log(notify))
    assert finding.fix_applicability is None and "`notify()`" in finding.no_fix_reason


def test_crl301_says_the_entry_is_lost_when_it_loads_first_in_the_same_function():
    inline = """
    def add(self, entry):
        with open(self.path) as f:
            entries = json.load(f)
        entries.append(entry)
        with open(self.path, "w") as f:
            json.dump(entries, f)
    """
    text = "import json\n\n\nclass Log:\n    def __init__(self, path):\n        self.path = path\n" + textwrap.indent(textwrap.dedent(inline), "    ")
    (finding,) = findings(text)
    assert finding.code == "CRL301" and "so a concurrent caller's change is lost" in finding.message
    assert finding.message.endswith("(lost update)")
    plain = text.replace("        with open(self.path) as f:\n            entries = json.load(f)\n", "        entries = []\n")
    (finding,) = findings(plain)
    assert "change is lost" not in finding.message and finding.message.endswith("(torn or lost file)")


def test_a_public_saver_keeps_crl301_and_the_span_gets_no_fix():
    """Callers outside the module may call a public `save()` without loading: its write stays CRL301's."""
    text = log(ADD.replace("_save", "save")).replace("def _save(", "def save(")
    found = {f.code: f for f in findings(text)}
    assert set(found) == {"CRL301", "CRL304"}
    assert "(it is public: callers outside this module)" in found["CRL304"].no_fix_reason
