"""CRL201 knows who owns the connection (issue 15): factories, tests and entry points are not reported."""

from __future__ import annotations

import pytest

from cortex_racelint import Config, lint_source

WORK = "    conn.execute('INSERT INTO t VALUES (1)')\n    conn.commit()\n"

NOT_REPORTED = {
    "returned directly": "import sqlite3\ndef open_db(p):\n    return sqlite3.connect(p)\n",
    "returned by name": "import sqlite3\ndef open_db(p):\n    conn = sqlite3.connect(p)\n    conn.execute('PRAGMA x')\n    return conn\n",
    "a test function": "import sqlite3\ndef test_insert(tmp_path):\n    conn = sqlite3.connect(tmp_path / 'd')\n" + WORK,
    "a test module": "import sqlite3\nDB = 'app.db'\ndef insert():\n    conn = sqlite3.connect(DB)\n" + WORK,
    "main() of a script": "import sqlite3\nDB = 'app.db'\ndef main():\n    conn = sqlite3.connect(DB)\n" + WORK
    + "\nif __name__ == '__main__':\n    main()\n",
}


@pytest.mark.parametrize("name", sorted(NOT_REPORTED))
def test_a_connection_owned_elsewhere_is_not_reported(name: str) -> None:
    path = "test_app.py" if name == "a test module" else "app.py"
    assert [f.code for f in lint_source(NOT_REPORTED[name], path, Config()).findings] == []


def test_a_factory_its_callers_open_per_call_still_is() -> None:
    source = NOT_REPORTED["returned directly"] + "def put(p):\n    conn = open_db(p)\n" + WORK + "    conn.close()\n"
    assert [f.code for f in lint_source(source, "app.py", Config()).findings] == ["CRL201"]
    source = NOT_REPORTED["returned directly"] + "def put(p):\n    with closing(open_db(p)) as conn:\n" + WORK.replace("    ", "        ")
    assert [f.code for f in lint_source(source, "app.py", Config()).findings] == ["CRL201"]


def test_a_service_function_still_is() -> None:
    source = "import sqlite3\nDB = 'app.db'\ndef insert():\n    conn = sqlite3.connect(DB)\n" + WORK + "    conn.close()\n"
    assert [f.code for f in lint_source(source, "app.py", Config()).findings] == ["CRL201"]


def test_a_command_class_of_an_application_is_one_shot() -> None:
    """`ipython history trim`: a sub-command's `start()` opens and closes its connection once per process."""
    source = (
        "import sqlite3\nfrom contextlib import closing\nDB = 'app.db'\n"
        "class HistoryTrim(BaseIPythonApplication):\n  def start(self):\n    with closing(sqlite3.connect(DB)) as conn:\n"
        + WORK.replace("    ", "      ")
    )
    assert [f.code for f in lint_source(source, "app.py", Config()).findings] == []
    service = source.replace("HistoryTrim(BaseIPythonApplication)", "HistoryStore").replace("def start", "def trim")
    assert [f.code for f in lint_source(service, "app.py", Config()).findings] == ["CRL201"]


TUPLE_FACTORY = (
    "import sqlite3\nimport threading\n"
    "class Worker(threading.Thread):\n"
    "    def __init__(self, path):\n        super().__init__(daemon=True)\n        self.path = path\n"
    "    def _open(self):\n        conn = sqlite3.connect(self.path, check_same_thread=False)\n"
    "        cursor = conn.cursor()\n        return conn, cursor\n"
)


def test_a_factory_returning_the_connection_in_a_tuple_is_the_callers() -> None:
    """`return conn, cursor` hands the connection over like `return conn`; a thread's `run()` keeps
    it for the thread's life, closing it on the way out (sqlitedict's worker thread)."""
    run = (
        "    def run(self):\n        conn, cursor = self._open()\n        while self.serve(cursor):\n"
        "            conn.commit()\n        conn.close()\n"
    )
    assert [f.code for f in lint_source(TUPLE_FACTORY + run, "app.py", Config()).findings] == []


def test_a_tuple_factory_its_callers_open_per_call_still_is() -> None:
    per_call = "    def put(self, row):\n        conn, cursor = self._open()\n" + WORK.replace("    ", "        ") + "        conn.close()\n"
    assert [f.code for f in lint_source(TUPLE_FACTORY + per_call, "app.py", Config()).findings] == ["CRL201"]
