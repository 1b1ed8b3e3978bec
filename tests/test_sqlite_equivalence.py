"""The CRL2xx fixes keep behaviour: same rows in the database, same values returned.

Each sqlite fixture pair is run twice, the original module and the fixed one (which
checks connections out of `cortex.utils.db_pool`), against a fresh database in its own
temporary folder, through the same scenario: create the schema, insert, query, and
fail in the middle of a transaction. The scenario records every return value (or
exception type), and afterwards every table of every database file is dumped. The
two runs must agree on both.
"""

from __future__ import annotations

import gc
import importlib
import sqlite3
import sys
from pathlib import Path
from typing import Callable

import pytest

from cortex_racelint.racetest import load_module_from_source

from .conftest import FIXTURES, REPO



@pytest.fixture(autouse=True)
def db_pool():
    """The repository's `cortex.utils.db_pool`, whatever `cortex` other tests left imported.

    The Cortex unit tests import the legacy tree under the same package name, so the
    `cortex` modules are swapped for the repository's for the duration of a test.
    """
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name == "cortex" or name.startswith("cortex.")}
    sys.path.insert(0, str(REPO))
    try:
        sys.modules.update(_REPO_MODULES)  # imported once: one pool registry, one fork hook
        importlib.invalidate_caches()
        module = importlib.import_module("cortex.utils.db_pool")
        assert Path(module.__file__).resolve().is_relative_to(REPO / "cortex")
        _REPO_MODULES.update({n: m for n, m in sys.modules.items() if n == "cortex" or n.startswith("cortex.")})
        yield module
        module.close_all()
    finally:
        sys.path.remove(str(REPO))
        for name in [n for n in sys.modules if n == "cortex" or n.startswith("cortex.")]:
            del sys.modules[name]
        sys.modules.update(saved)


_REPO_MODULES: dict = {}

SCHEMA = "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, qty INTEGER NOT NULL)"
FOLDER = FIXTURES / "sqlite"


class Recorder:
    """Calls functions and records `("ok", value)` or `("error", ExceptionType)`."""

    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def __call__(self, label: str, fn: Callable, *args, **kwargs):
        try:
            value = fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - the exception type is the observation
            outcome = ("error", type(error).__name__)
        else:
            outcome = ("ok", value)
        gc.collect()  # a leaked per-call connection is closed (and rolled back) now, as in production
        self.seen.append((label, *outcome))
        return outcome[1]


def schema(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(SCHEMA)
    conn.close()


def dump(folder: Path) -> dict[str, dict[str, list[tuple]]]:
    """Every table of every database file in `folder`."""
    result = {}
    for db in sorted(folder.glob("*.db")):
        conn = sqlite3.connect(db)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            result[db.name] = {
                table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
                for table in tables
                if not table.startswith("sqlite_")
            }
        finally:
            conn.close()
    return result


# -- scenarios, one per fixture ---------------------------------------------------------
def assign_close(m, folder: Path, call: Recorder) -> None:
    db, other = str(folder / "main.db"), str(folder / "copy.db")
    inv = call("init", m.Inventory, db)
    call("add apple", inv.add, "apple", 3)
    call("add pear", inv.add, "pear", 5)
    call("add_many fails midway", inv.add_many, [("fig", 1), ("kiwi", 2), ("apple", 9)])
    call("rows after failed batch", inv.rows)
    call("add_many", inv.add_many, [("fig", 1), ("kiwi", 2)])
    call("rows", inv.rows)
    call("qty apple", inv.qty, "apple")
    call("qty unknown", inv.qty, "nope")
    call("rename onto existing", inv.rename, "apple", "pear")
    call("rows after failed rename", inv.rows)
    call("rename", inv.rename, "apple", "plum")
    call("halve fails", inv.halve, "plum")
    call("qty after failed halve", inv.qty, "plum")
    call("count", m.count, db)
    call("restock", m.restock, db, ["plum", "pear"], 7)
    call("init copy", m.Inventory, other)
    call("copy", m.copy_items, db, other)
    call("names", m.names, other)
    call("rows after", inv.rows)


def try_finally(m, folder: Path, call: Recorder) -> None:
    db = str(folder / "ledger.db")
    m.LOG.clear()
    led = call("init", m.Ledger, db)
    call("add a", led.add, "a", 10)
    call("add b", led.add, "b", 5)
    call("add duplicate", led.add, "a", 1)
    call("total", led.total)
    call("transfer", led.transfer, "a", "b", 3)
    call("transfer overdraws", led.transfer, "a", "b", 100)
    call("total after failed transfer", led.total)
    call("try_add new", led.try_add, "c", 1)
    call("try_add duplicate", led.try_add, "a", 1)
    call("total after failed try_add", led.total)
    call("bump", led.bump, "a")
    call("add big", led.add, "big", 500)
    call("bump fails", led.bump, "a")
    call("total after failed bump", led.total)
    call("lookup", m.lookup, db, "a")
    call("lookup unknown", m.lookup, db, "zzz")
    call("log", list, m.LOG)


def with_connect(m, folder: Path, call: Recorder) -> None:
    db = str(folder / "cache.db")
    cache = call("init", m.Cache, db)
    call("put", cache.put, "a", 1)
    call("get", cache.get, "a")
    call("get unknown", cache.get, "x")
    call("put_many fails", cache.put_many, [("b", 2), ("a", 3)])
    call("get after failed batch", cache.get, "b")
    call("put_many", cache.put_many, [("b", 2), ("c", 3)])
    call("clear", cache.clear)
    call("put again", cache.put, "d", 4)
    out = folder / "export.txt"
    call("export", lambda: Path(m.export(db, str(out))).read_text())


def closing(m, folder: Path, call: Recorder) -> None:
    db = str(folder / "notes.db")
    notes = call("init", m.Notes, db)
    call("setup", notes.setup)
    call("add", notes.add, "x", 1)
    call("add y", notes.add, "y", 2)
    call("add duplicate", notes.add, "x", 2)
    call("stock", notes.stock)


def spellings(m, folder: Path, call: Recorder) -> None:
    db = str(folder / "spell.db")
    call("create", m.create, db)
    call("first of empty", m.first, db)
    call("insert", m.insert, db, "a", 1)
    call("insert b", m.insert, db, "b", 2)
    call("insert duplicate", m.insert, db, "a", 2)
    call("first", m.first, db)
    call("total", m.total, db)


def pool_attributes(m, folder: Path, call: Recorder) -> None:
    main, audit = folder / "main.db", folder / "audit.db"
    schema(main)
    schema(audit)
    with sqlite3.connect(audit) as conn:
        conn.execute("INSERT INTO items (name, qty) VALUES ('x', 1)")
    conn.close()
    call("reuses", lambda: m.Reuses(str(main)).count())
    two = m.TwoDatabases(str(main), str(audit))
    call("main", two.count)
    call("audit", two.audit_count)
    taken = m.PoolNameTaken(str(audit))
    call("pool name taken", taken.count)
    taken._pool.shutdown()
    changes = m.PathChanges(str(main))
    call("before switch", changes.count)
    changes.switch(str(audit))
    call("after switch", changes.count)


def shared_connection(m, folder: Path, call: Recorder) -> None:
    m._conn.execute("CREATE TABLE IF NOT EXISTS log (message TEXT)")
    call("log", m.log, "hello")
    profiles = call("init", m.Profiles, str(folder / "profiles.db"))
    call("save", profiles.save, "a", "{}")
    call("save empty", profiles.save, "", "{}")
    call("get", profiles.get, "a")
    call("get unknown", profiles.get, "zzz")
    call("rename", profiles.rename, "a", "b")
    call("rename unknown", profiles.rename, "a", "c")
    call("names", profiles.names)
    locked = m.Locked(str(folder / "kv.db"))
    locked._conn.execute("CREATE TABLE kv (k TEXT)")
    call("put", locked.put, "k1")
    m._conn.close()
    profiles._conn.close()
    locked._conn.close()


SCENARIOS = {
    "assign_close": assign_close,
    "try_finally": try_finally,
    "with_connect": with_connect,
    "closing": closing,
    "spellings": spellings,
    "pool_attributes": pool_attributes,
    "shared_connection": shared_connection,
}

PAIRS = sorted(p.stem[: -len(".fixed")] for p in FOLDER.glob("*.fixed.py"))


def test_every_fixed_sqlite_fixture_has_a_scenario():
    assert sorted(SCENARIOS) == PAIRS


def _run(source: bytes, name: str, folder: Path, monkeypatch, db_pool) -> tuple[list, dict]:
    folder.mkdir()
    monkeypatch.chdir(folder)  # module-level connections open relative paths here
    module = load_module_from_source(source, f"sqlite_fixture_{name}", str(FOLDER / f"{name}.py"))
    call = Recorder()
    SCENARIOS[name](module, folder, call)
    del module
    gc.collect()
    db_pool.close_all()
    return call.seen, dump(folder)


@pytest.mark.parametrize("name", PAIRS)
def test_fixed_code_behaves_like_the_original(name, tmp_path, monkeypatch, db_pool):
    original = (FOLDER / f"{name}.py").read_bytes()
    fixed = (FOLDER / f"{name}.fixed.py").read_bytes()
    assert b"sqlite3.connect(" in original or b"connect(" in original
    before_calls, before_rows = _run(original, name, tmp_path / "original", monkeypatch, db_pool)
    after_calls, after_rows = _run(fixed, name, tmp_path / "fixed", monkeypatch, db_pool)
    # objects (class instances) differ between runs: compare values, with instances by type
    normalise = lambda seen: [  # noqa: E731
        (label, kind, value if isinstance(value, (int, float, str, bytes, list, tuple, dict, type(None))) else type(value).__name__)
        for label, kind, value in seen
    ]
    assert normalise(after_calls) == normalise(before_calls)
    assert after_rows == before_rows
    assert any(kind == "error" for _, kind, _ in before_calls) or name in ("pool_attributes", "shared_connection")
    assert any(rows for tables in before_rows.values() for rows in tables.values())


def test_failure_mid_transaction_leaves_no_partial_rows(tmp_path, monkeypatch, db_pool):
    """The pooled code rolls back what failed: the batch with a duplicate leaves nothing."""
    fixed = (FOLDER / "assign_close.fixed.py").read_bytes()
    monkeypatch.chdir(tmp_path)
    module = load_module_from_source(fixed, "sqlite_fixture_batch")
    inventory = module.Inventory(str(tmp_path / "batch.db"))
    inventory.add("apple", 1)
    with pytest.raises(sqlite3.IntegrityError):
        inventory.add_many([("fig", 1), ("apple", 2)])
    assert inventory.rows() == [("apple", 1)]
    inventory.add("pear", 2)
    assert inventory.rename("apple", "pear") is False
    assert inventory.rows() == [("apple", 1), ("pear", 2)]  # the +1000 was rolled back with the rename
    db_pool.close_all()
