"""The lazy-init fix (double-checked locking) is withheld when the object is published before it is set up.

Its fast path reads the state without the lock: a thread there returns the object as soon as it
is assigned, before the statements that finish it ran (Pyro5 5.17's `get_ssl_context()` loads the
certificate after assigning the cached context). Made-up examples of the pattern.
"""

from __future__ import annotations

import textwrap

import pytest

from cortex_racelint import Config, fix_source, lint_source

CRL1 = Config(select=("CRL101",))

HALF_BUILT = {
    "method call": "    _client = Session()\n    _client.mount('https://', Adapter())\n",
    "attribute set": "    _client = Session()\n    _client.verify = False\n",
    "item set": "    _client = Session()\n    _client.headers['x-app'] = 'demo'\n",
}
COMPLETE = {
    "built in a local": "    client = Session()\n    client.mount('https://', Adapter())\n    _client = client\n",
    "one expression": "    _client = Session(verify=False)\n",
    "passed on, not changed": "    _client = Session()\n    register(_client)\n",
}


def module(body: str, early_return: bool) -> str:
    head = "from net import Adapter, Session, register\n\n_client = None\n\n\ndef client():\n    global _client\n"
    if early_return:
        return head + "    if _client is not None:\n        return _client\n" + body + "    return _client\n"
    return head + "    if _client is None:\n" + textwrap.indent(body, "    ") + "    return _client\n"


@pytest.mark.parametrize("early_return", [False, True])
@pytest.mark.parametrize("name", sorted(HALF_BUILT))
def test_no_fix_when_the_object_is_set_up_after_it_is_published(name: str, early_return: bool) -> None:
    source = module(HALF_BUILT[name], early_return)
    findings = lint_source(source, "app.py", CRL1).findings
    assert [f.code for f in findings] == ["CRL101"]
    assert findings[0].fix_applicability is None and "is assigned before it is set up" in (findings[0].no_fix_reason or "")
    assert fix_source(source, "app.py", CRL1).new_source is None


@pytest.mark.parametrize("early_return", [False, True])
@pytest.mark.parametrize("name", sorted(COMPLETE))
def test_the_fix_stays_when_the_object_is_complete_when_published(name: str, early_return: bool) -> None:
    source = module(COMPLETE[name], early_return)
    findings = lint_source(source, "app.py", CRL1).findings
    assert all(f.fix_applicability is not None for f in findings)  # the early return through a local: not lazy init
    assert early_return and name == "built in a local" or [f.code for f in findings] == ["CRL101"]
