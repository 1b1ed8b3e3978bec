"""Lock wrappers (issue 15: Twisted's `LogFile` is serialised by `threadable.synchronize`).

`analysis/lock_wrappers.py`: a function a `synchronized` wrapper runs holds a lock in its body,
for every rule reading held locks (CRL301/302, CRL401/402, the lazy-init family).
"""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint.engine.fixer import fix_source
from cortex_racelint.engine.lint import lint_source
from cortex_racelint.ftypes import Config

UNSAFE = Config(unsafe_fixes=True)

WRITER = """
    def save(self, data):
        with open(self.path, "w") as f:
            f.write(data)
"""


def _class(decorator: str = "", extra: str = "", tail: str = "", head: str = "") -> str:
    method = textwrap.indent(textwrap.dedent(WRITER), "    ")
    if decorator:
        method = method.replace("    def save", f"    {decorator}\n    def save", 1)
    return textwrap.dedent(head) + "class Store:\n" + extra + "    def __init__(self, path):\n        self.path = path\n" + method + tail


def _codes(source: str, code: str) -> list[int]:
    lines = []
    for prefilter in (True, False):
        found = [f.line for f in lint_source(source, "m.py", UNSAFE, use_prefilter=prefilter).findings if f.code == code]
        lines.append(found)
    assert lines[0] == lines[1], lines  # narrowing keeps what the wrapper needs
    return lines[0]


WRAPPED = {
    "wrapt decorator": _class("@wrapt.synchronized", head="import wrapt\n\n"),
    "bare name": _class("@synchronized", head="from wrapt import synchronized\n\n"),
    "named lock": _class("@synchronized(_lock)", head="import threading\nfrom wrapt import synchronized\n_lock = threading.Lock()\n\n"),
    "twisted synchronize": _class(
        extra="    synchronized = ['save']\n", tail="\n\nthreadable.synchronize(Store)\n", head="from twisted.python import threadable\n\n"
    ),
    "twisted, list on a base": (
        "from twisted.python import threadable\n\nclass Base:\n    synchronized = ['save']\n\n"
        + _class().replace("class Store:", "class Store(Base):")
        + "\n\nthreadable.synchronize(Store)\n"
    ),
}


@pytest.mark.parametrize("name", sorted(WRAPPED))
def test_a_wrapped_method_holds_a_lock(name: str) -> None:
    assert _codes(WRAPPED[name], "CRL301") == []


NOT_WRAPPED = {
    "another name": _class("@locked", head="from mylib import locked\n\n"),
    "not listed": _class(extra="    synchronized = ['load']\n", tail="\n\nthreadable.synchronize(Store)\n", head="from twisted.python import threadable\n\n"),
    "synchronize inside a function": _class(
        # a copy of Twisted's module: importing `twisted` would make this reactor code (`project/event_loop.py`)
        extra="    synchronized = ['save']\n", tail="\n\ndef setup():\n    threadable.synchronize(Store)\n", head="from vendored import threadable\n\n"
    ),
    "no synchronize call": _class(extra="    synchronized = ['save']\n"),
    "a lock we cannot name": _class("@synchronized(make_lock())", head="from wrapt import synchronized\n\n"),
}


@pytest.mark.parametrize("name", sorted(NOT_WRAPPED))
def test_other_shapes_are_still_reported(name: str) -> None:
    assert _codes(NOT_WRAPPED[name], "CRL301"), name


def test_a_function_nested_in_a_wrapped_method_does_not_hold_it() -> None:
    source = textwrap.dedent("""
        import threading
        import wrapt

        class Store:
            def __init__(self, path):
                self.path = path

            @wrapt.synchronized
            def save_later(self, data):
                def later():
                    with open(self.path, "w") as f:
                        f.write(data)
                threading.Thread(target=later).start()
    """)
    assert _codes(source, "CRL301") == [12]


def test_an_unwrapped_writer_of_the_same_file_gets_no_fix_and_says_why() -> None:
    source = _class("@wrapt.synchronized", head="import wrapt\n\n") + textwrap.indent(
        textwrap.dedent(WRITER).replace("def save", "def dump"), "    "
    )
    findings = [f for f in lint_source(source, "m.py", UNSAFE).findings if f.code == "CRL301"]
    assert len(findings) == 1 and findings[0].fix_applicability is None
    assert "synchronized" in (findings[0].no_fix_reason or "")
    assert fix_source(source, "m.py", UNSAFE).new_source is None


WORKER = """
import threading

import wrapt


class Worker:
    def __init__(self):
        self.count = 0
        self.state = "idle"
        threading.Thread(target=self.run).start()

    @wrapt.synchronized
    def run(self):
        self.count += 1
        self.state = "running"

    {decorator}
    def reset(self):
        self.count = 0
        return self.state
"""


def test_thread_and_caller_both_wrapped_share_the_instance_lock() -> None:
    wrapped = WORKER.format(decorator="@wrapt.synchronized")
    assert [f.code for f in lint_source(wrapped, "m.py", UNSAFE).findings] == []
    plain = WORKER.format(decorator="").replace("@wrapt.synchronized", "")
    assert {f.code for f in lint_source(plain, "m.py", UNSAFE).findings} >= {"CRL401", "CRL402"}


def test_a_partner_holding_only_the_wrapper_lock_gets_no_fix_and_no_crash() -> None:
    """The wrapper's lock has no name: a new lock in `reset()` would not exclude `run()`."""
    source = WORKER.format(decorator="")
    findings = lint_source(source, "m.py", UNSAFE)
    assert findings.error is None
    reported = [f for f in findings.findings if f.code == "CRL401"]
    assert reported and all(f.fix_applicability is None and "synchronized" in (f.no_fix_reason or "") for f in reported)
    assert fix_source(source, "m.py", UNSAFE).new_source is None
