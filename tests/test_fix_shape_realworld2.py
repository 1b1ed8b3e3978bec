"""Repairs from session 11's third real-world corpus: fix diffs that stay reviewable, the lazy-init
harm model, CRL104's handed-on locks.

werkzeug's `get_machine_id` defines a 70-line `_generate()` after its early return and before
`_machine_id = _generate()`: the double-checked locking fix used to move the whole `def` under
the lock, re-indenting every line of it. A `def` that runs no code when defined stays put.
"""

from __future__ import annotations

import pytest

from cortex_racelint import Config, fix_source

SOURCE = '''\
_id = None


def get_id():
    global _id
    if _id is not None:
        return _id

    def _generate{signature}:
        # long body
        return object()

    _id = _generate()
    return _id
'''


def fixed(signature: str) -> str:
    result = fix_source(SOURCE.format(signature=signature), "m.py", Config())
    assert result.error is None and result.fix_error is None
    return result.new_source.decode()


@pytest.mark.parametrize("signature", ["()", "() -> object", "(x=1, *args, y: int = 2)"])
def test_a_plain_nested_def_stays_before_the_lock_unindented(signature):
    text = fixed(signature)
    assert f"\n    def _generate{signature}:\n" in text
    assert "        # long body\n" in text  # the def's body kept its indentation
    assert "    with _id_lock:\n        if _id is None:\n            _id = _generate()\n" in text


@pytest.mark.parametrize("signature", ["(x=make())", "(x: f() = 1)"])
def test_a_def_whose_definition_runs_code_stays_under_the_lock(signature):
    """A default or annotation that calls runs at definition: it stays guarded, as before."""
    text = fixed(signature)
    assert f"            def _generate{signature}" in text


# -- the harm model: a nested helper is judged by its own annotation and returns ---------------------
from cortex_racelint import lint_source  # noqa: E402

NESTED = '''\
_machine_id = None


def get_machine_id():
    global _machine_id
    if _machine_id is not None:
        return _machine_id

    def _generate(){returns}:
        with open("/etc/machine-id", "rb") as f:
            return {value}

    _machine_id = _generate()
    return _machine_id
'''


@pytest.mark.parametrize("returns, value", [(" -> str | bytes | None", "f.readline().strip()"), ("", "f.readline().strip().decode()")])
def test_a_nested_helper_returning_an_equal_value_is_harmless(returns, value):
    """werkzeug's `get_machine_id`: two first callers read an equal id (CRL107, opt-in), not two objects."""
    found = lint_source(NESTED.format(returns=returns, value=value), "m.py", Config(extend_select=("CRL107",))).findings
    assert [f.code for f in found] == ["CRL107"]


def test_a_nested_helper_building_an_object_is_still_reported():
    found = lint_source(NESTED.format(returns="", value="Registry(f.read())").replace(
        "_machine_id = None\n", "_machine_id = None\n\n\nclass Registry:\n    def __init__(self, data):\n        self.items = [data]\n"), "m.py", Config()).findings
    assert [f.code for f in found] == ["CRL101"]


KEYED = '''\
from kombu.utils.imports import symbol_by_name

_cache = {{}}


def resolve(name):
    if "." not in name:
        name = "pkg." + name
    return {make}(name)


def get_cls(name):
    if name not in _cache:
        _cache[name] = resolve(name)
    return _cache[name]
'''


@pytest.mark.parametrize("make", ["symbol_by_name", "importlib.import_module"])
def test_a_cache_of_imported_symbols_is_harmless(make):
    """kombu's `_transport_cache`: two first callers import the same class, nothing is lost."""
    src = KEYED.format(make=make).replace("from kombu", "import importlib\nfrom kombu")
    found = lint_source(src, "m.py", Config()).findings
    assert [f.code for f in found] == []


def test_a_cache_of_built_objects_is_still_reported():
    src = KEYED.format(make="Client").replace("from kombu.utils.imports import symbol_by_name\n", "from pkg import Client\n")
    assert [f.code for f in lint_source(src, "m.py", Config()).findings] == ["CRL105"]


# -- CRL104: a per-call lock handed on (sh's `OProc(..., process_assign_lock)`) ------------------------
PER_CALL = """\
import threading

def start(cmd, jobs):
    lock = threading.Lock()
{extra}    with lock:
        return cmd()
"""


@pytest.mark.parametrize(
    "extra",
    [
        "    proc = Process(cmd, lock)\n",  # passed to a call (a thread it starts takes it)
        "    holder.lock = lock\n",  # stored
        "    def worker():\n        with lock:\n            pass\n",  # a closure over it
        "    run_later(lambda: lock.locked())\n",
    ],
)
def test_a_lock_handed_on_is_not_reported(extra):
    assert [f.code for f in lint_source(PER_CALL.format(extra=extra), "m.py", Config()).findings] == []


@pytest.mark.parametrize("extra", ["", "    lock.acquire(); lock.release()\n"])
def test_a_lock_only_this_call_uses_is_reported(extra):
    assert [f.code for f in lint_source(PER_CALL.format(extra=extra), "m.py", Config()).findings] == ["CRL104"]


@pytest.mark.parametrize("make", ["pydoc.locate", "geo.locate"])
def test_locate_is_an_import_by_name_only_as_pydocs(make):
    """`pydoc.locate` imports by name; another module's `locate()` (a geocoder, an image finder) builds
    what it returns, so its cache stays a finding."""
    src = KEYED.format(make=make).replace("from kombu.utils.imports import symbol_by_name\n", "import geo\nimport pydoc\n")
    codes = [f.code for f in lint_source(src, "m.py", Config()).findings]
    assert codes == ([] if make == "pydoc.locate" else ["CRL105"])
