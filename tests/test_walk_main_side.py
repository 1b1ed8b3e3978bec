"""CRL406's main-thread side (`project/main_side.py`): the function that starts a thread entry, calling the
process-wide object while the entry runs (after the start, before a join or the executor's exit), is one
more thread: its size changes race the entry's walks."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from cortex_racelint.api import run_files
from cortex_racelint.ftypes import Config

HISTORY = """
    import json


    class History:
        def __init__(self):
            self.entries = {}

        def record(self, key, value):
            self.entries[key] = value

        def save(self, path):
            with open(path, "w") as f:
                json.dump(self.entries, f)


    _history = History()


    def get_history():
        return _history
"""

MAIN = """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.history import get_history


    def _saver():
        get_history().save("h.json")


    def main():
        {BODY}
"""

START = "saver = threading.Thread(target=_saver)\n    saver.start()"
RECORD = "get_history().record('a', 1)"


def _crl406(root: Path, body: str) -> list:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "history.py").write_text(textwrap.dedent(HISTORY))
    main = textwrap.dedent(MAIN).replace("{BODY}", body)
    ast.parse(main)  # a case that does not parse would be silent
    (root / "app" / "main.py").write_text(main)
    paths = [str(p) for p in sorted(root.rglob("*.py"))]
    results = run_files(paths, Config(root=root, select=("CRL406",)), fix=False, jobs=1, cache=None)
    return [f for r in results for f in r.findings]


@pytest.mark.parametrize(
    "body",
    [
        f"{START}\n    {RECORD}",
        f"{START}\n    for i in range(3):\n        {RECORD}\n    saver.join()",
        f"with ThreadPoolExecutor(2) as pool:\n        pool.submit(_saver)\n        {RECORD}",
    ],
    ids=["after-start", "before-join", "inside-the-executor-block"],
)
def test_the_starter_growing_the_container_while_the_entry_walks_it(tmp_path, body):
    [finding] = _crl406(tmp_path, body)
    assert Path(finding.path).name == "history.py"
    assert "`_saver` it started runs" in finding.message


@pytest.mark.parametrize(
    "body",
    [
        f"{RECORD}\n    {START}",
        f"{START}\n    saver.join()\n    {RECORD}",
        f"with ThreadPoolExecutor(2) as pool:\n        pool.submit(_saver)\n    {RECORD}",
    ],
    ids=["before-start", "after-join", "after-the-executor-block"],
)
def test_the_starter_calling_before_the_start_or_after_waiting_is_ordered(tmp_path, body):
    assert _crl406(tmp_path, body) == []


def test_a_string_join_is_not_a_wait(tmp_path):
    body = f"{START}\n    print(', '.join(['a', 'b']))\n    {RECORD}"
    assert len(_crl406(tmp_path, body)) == 1
    body = f"{START}\n    saver.join(5)\n    {RECORD}"
    assert _crl406(tmp_path, body) == []
