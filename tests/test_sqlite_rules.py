"""CRL201/CRL202: spellings, what is not reported, why a fix is refused, and the legacy tree."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.ftypes import FixApplicability

from .conftest import FIXTURES, in_this_repo

CRL2 = in_this_repo(Config(select=("CRL2",), unsafe_fixes=True))
LEGACY = FIXTURES / "cortex_legacy" / "cortex"


def findings(source: str, config: Config = CRL2):
    result = lint_source(textwrap.dedent(source).lstrip(), "example.py", config)
    assert result.error is None
    return result.findings


def fixed(source: str, config: Config = CRL2) -> str:
    result = fix_source(textwrap.dedent(source).lstrip(), "example.py", config)
    assert result.fix_error is None and result.new_source is not None
    text = result.new_source.decode()
    compile(text, "example.py", "exec")
    assert [f for f in lint_source(text, "example.py", config).findings if f.code.startswith("CRL2")] == []
    assert fix_source(text, "example.py", config).new_source is None
    return text


# -- CRL201: every spelling ------------------------------------------------------------
@pytest.mark.parametrize(
    "imports,call",
    [
        ("import sqlite3", "sqlite3.connect(path)"),
        ("import sqlite3 as s", "s.connect(path)"),
        ("from sqlite3 import connect", "connect(path)"),
        ("from sqlite3 import connect as c", "c(path)"),
        ("import sqlite3", "sqlite3.dbapi2.connect(path)"),
        ("from sqlite3 import dbapi2", "dbapi2.connect(path)"),
        ("from sqlite3 import dbapi2 as db", "db.connect(path)"),
        ("import sqlite3.dbapi2", "sqlite3.dbapi2.connect(path)"),
    ],
)
def test_every_spelling_of_sqlite3_connect_is_reported_and_fixed(imports, call):
    source = f"""
    {imports}

    def count(path):
        conn = {call}
        n = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        conn.close()
        return n
    """
    found = findings(source)
    assert [(f.code, f.line) for f in found] == [("CRL201", 4)]
    assert found[0].fix_applicability is FixApplicability.UNSAFE
    assert "with get_connection_pool(path).get_connection() as conn:" in fixed(source)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """
            import socket
            def f(host):
                s = socket.socket()
                s.connect((host, 80))
            """,
            id="socket.connect",
        ),
        pytest.param(
            """
            import psycopg
            def f(dsn):
                with psycopg.connect(dsn) as conn:
                    return conn.execute("SELECT 1").fetchone()
            """,
            id="psycopg.connect",
        ),
        pytest.param(
            """
            class C:
                def connect(self):
                    return self
                def f(self):
                    return self.connect()
            """,
            id="self.connect",
        ),
        pytest.param(
            """
            def connect(path):
                return path
            def f(p):
                return connect(p)
            """,
            id="local-connect",
        ),
        pytest.param(
            """
            import sqlite3
            DB = sqlite3.connect("app.db")
            """,
            id="module-level",
        ),
        pytest.param(
            """
            import sqlite3
            def main():
                pass
            if __name__ == "__main__":
                conn = sqlite3.connect("demo.db")
                conn.close()
            """,
            id="main-guard",
        ),
        pytest.param(
            """
            import sqlite3
            def scratch():
                conn = sqlite3.connect(":memory:")
                conn.close()
            """,
            id="memory",
        ),
        pytest.param(
            """
            import sqlite3
            SCRATCH = ":memory:"
            def scratch(rows):
                db = ":memory:"
                first = sqlite3.connect(db)
                first.close()
                with sqlite3.connect(SCRATCH) as conn:
                    conn.execute("SELECT 1")
            """,
            id="memory-constant",
        ),
        pytest.param(
            """
            import sqlite3
            def scratch():
                with sqlite3.connect("") as conn:
                    conn.execute("SELECT 1")
            """,
            id="temporary-db",
        ),
        pytest.param(
            """
            import sqlite3
            class Store:
                def __init__(self, path):
                    self._conn = sqlite3.connect(path)
            """,
            id="stored-on-self",
        ),
        pytest.param(
            """
            import sqlite3
            _conn = None
            def init(path):
                global _conn
                _conn = sqlite3.connect(path)
            """,
            id="stored-in-global",
        ),
    ],
)
def test_not_reported(source):
    assert findings(source) == []


# -- CRL201: shapes that get no fix, and why -------------------------------------------
NO_FIX = {  # (a factory returning the connection is not reported at all: tests/test_sqlite_ownership.py)
    "stored-on-self": (
        """
        import sqlite3
        class A:
            def open(self, p):
                conn = sqlite3.connect(p)
                self.conn = conn
        """,
        "self.conn",
    ),
    "passed-to-thread": (
        """
        import sqlite3, threading
        def f(p):
            conn = sqlite3.connect(p)
            t = threading.Thread(target=work, args=(conn,))
            t.start()
            t.join()
            conn.close()
        """,
        "passed to `Thread`",
    ),
    "submitted-to-executor": (
        """
        import sqlite3
        def f(p, pool):
            conn = sqlite3.connect(p)
            future = pool.submit(work, conn)
            conn.close()
            return future
        """,
        "passed to `submit`",
    ),
    "yielded-cursor": (
        """
        import sqlite3
        def rows(p):
            with sqlite3.connect(p) as conn:
                yield conn.execute("SELECT 1")
        """,
        "yield",
    ),
    "generator": (
        """
        import sqlite3
        def rows(p):
            conn = sqlite3.connect(p)
            for row in conn.execute("SELECT 1"):
                yield row
            conn.close()
        """,
        "held across `yield`",
    ),
    "closure": (
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p)
            def query(sql):
                return conn.execute(sql).fetchall()
            rows = query("SELECT 1")
            conn.close()
            return rows
        """,
        "nested function or lambda",
    ),
    "assigned-in-branch": (
        """
        import sqlite3
        def f(p, fallback):
            if p:
                conn = sqlite3.connect(p)
            else:
                conn = sqlite3.connect(fallback)
            n = conn.execute("SELECT 1").fetchone()
            conn.close()
            return n
        """,
        "used outside it",
    ),
    "cursor-returned": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as conn:
                return conn.execute("SELECT 1")
        """,
        "returned",
    ),
    "cursor-used-after-with": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as conn:
                cur = conn.execute("SELECT 1")
            return cur.fetchall()
        """,
        "left the connection open",
    ),
    "conn-used-after-with": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as conn:
                conn.execute("INSERT INTO t VALUES (1)")
            return conn.total_changes
        """,
        "used after",
    ),
    "lazy-generator-expression": (
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p)
            rows = (r[0] for r in conn.execute("SELECT 1"))
            conn.close()
            return rows
        """,
        "generator expression",
    ),
    "across-loop-iterations": (
        """
        import sqlite3
        def f(paths):
            conn = None
            for p in paths:
                if conn is not None:
                    conn.execute("SELECT 1")
                conn = sqlite3.connect(p)
                conn.execute("SELECT 2")
        """,
        "across iterations",
    ),
    "handler-swallows-without-rollback": (
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p)
            conn.row_factory = sqlite3.Row
            try:
                conn.execute("INSERT INTO t VALUES (1)")
                conn.commit()
            except sqlite3.Error:
                print(conn.total_changes)
                return False
            finally:
                conn.close()
            return True
        """,
        "swallows the error without rolling back",
    ),
    "handler-uses-conn-after-release": (
        """
        import sqlite3
        def f(p):
            conn = None
            try:
                conn = sqlite3.connect(p)
                conn.execute("INSERT INTO t VALUES (1)")
                conn.commit()
            except sqlite3.Error:
                if conn:
                    conn.rollback()
                raise
            finally:
                if conn:
                    conn.close()
        """,
        "back in the pool",
    ),
    "reassigned": (
        """
        import sqlite3
        def f(p, other):
            conn = sqlite3.connect(p)
            conn.execute("SELECT 1")
            if other:
                conn = other
            conn.close()
        """,
        "reassigned",
    ),
    "not-bound": (
        """
        import sqlite3
        def f(p):
            return sqlite3.connect(p).execute("SELECT 1").fetchone()[0] + 1
        """,
        "not bound to a local name",
    ),
    "detect_types": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p, detect_types=sqlite3.PARSE_DECLTYPES) as conn:
                return conn.execute("SELECT 1").fetchone()
        """,
        "detect_types",
    ),
    "isolation_level": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p, isolation_level=None) as conn:
                conn.execute("SELECT 1")
        """,
        "isolation_level",
    ),
    "uri": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as conn:
                return conn.execute("SELECT 1").fetchone()
        """,
        "uri",
    ),
    "check_same_thread": (
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p, check_same_thread=False)
            conn.execute("SELECT 1")
            conn.close()
        """,
        "check_same_thread",
    ),
    "more-positional": (
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p, 5.0, sqlite3.PARSE_DECLTYPES)
            conn.close()
        """,
        "positional arguments after `timeout`",
    ),
    # a pooled connection would hold different data than a fresh one
    "total-changes": (
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p)
            conn.execute("DELETE FROM t")
            conn.commit()
            n = conn.total_changes
            conn.close()
            return n
        """,
        "counts every change since the connection was opened",
    ),
    "attach": (
        """
        import sqlite3
        def f(p, other):
            with sqlite3.connect(p) as conn:
                conn.execute("ATTACH DATABASE ? AS other", (other,))
                conn.execute("INSERT INTO other.t SELECT * FROM t")
        """,
        "`ATTACH`",
    ),
    "temp-table-in-script": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as conn:
                conn.executescript("DELETE FROM s; create temporary table s2 (x)")
        """,
        "`TEMP` table",
    ),
    "create-function": (
        """
        import sqlite3
        def f(p, weight):
            conn = sqlite3.connect(p)
            conn.create_aggregate("wsum", 1, make_sum(weight))
            rows = conn.execute("SELECT wsum(v) FROM t").fetchall()
            conn.close()
            return rows
        """,
        "`conn.create_aggregate()` registers per-connection state",
    ),
    "memory-default-parameter": (
        """
        import sqlite3
        def f(rows, db=":memory:"):
            conn = sqlite3.connect(db)
            conn.executemany("INSERT INTO t VALUES (?)", rows)
            conn.close()
        """,
        "the default of `db`",
    ),
    "memory-fallback-in-init": (
        """
        import sqlite3
        class C:
            def __init__(self, path=None):
                self.path = path or ":memory:"
            def f(self):
                conn = sqlite3.connect(self.path)
                conn.execute("CREATE TABLE t (x)")
                conn.close()
        """,
        "`self.path` is set from it in `__init__`",
    ),
    "file-unlinked-through-path": (
        """
        import sqlite3
        from pathlib import Path
        DB = "app.db"
        def wipe():
            Path(DB).unlink(missing_ok=True)
        def f():
            conn = sqlite3.connect(DB)
            conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
            conn.close()
        """,
        "removed or replaced (`Path(DB).unlink(missing_ok=True)`)",
    ),
    "file-replaced-by-restore": (
        """
        import os, sqlite3
        class S:
            def __init__(self, db_path):
                self.db_path = db_path
            def restore(self, backup):
                os.replace(backup, self.db_path)
            def f(self):
                with sqlite3.connect(self.db_path) as conn:
                    conn.execute("DELETE FROM t")
        """,
        "removed or replaced",
    ),
    "file-copied": (
        """
        import shutil, sqlite3
        def backup(path, target):
            with sqlite3.connect(path) as conn:
                conn.execute("INSERT INTO log VALUES ('backup')")
            shutil.copy2(path, target)
        """,
        "`-wal` file until a checkpoint",
    ),
    "enumerate-returned": (
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as conn:
                return enumerate(conn.execute("SELECT x FROM t"))
        """,
        "`enumerate(...)` over `conn` is returned",
    ),
    "islice-kept-after-block": (
        """
        import sqlite3
        from itertools import islice
        def f(p):
            conn = sqlite3.connect(p)
            first = islice(conn.execute("SELECT x FROM t"), 3)
            conn.close()
            return list(first)
        """,
        "`first` is used after",
    ),
}


def test_a_local_named_cursor_does_not_block_the_fix():
    """`conn.cursor` is an attribute name, not a use of the local `cursor` (20 of 39 sites in a real tree)."""
    source = """
    import sqlite3

    def add(path, v):
        conn = sqlite3.connect(path)
        cursor = conn.cursor()
        cursor.execute("INSERT INTO t VALUES (?)", (v,))
        conn.commit()
        conn.close()
        return cursor.rowcount
    """
    [finding] = findings(source)
    assert finding.fix_applicability is FixApplicability.UNSAFE, finding.no_fix_reason
    assert "with get_connection_pool(path).get_connection() as conn:\n        cursor = conn.cursor()" in fixed(source)


def test_eager_lazy_wrappers_and_prose_mentioning_attach_keep_the_fix():
    source = """
    import sqlite3

    def f(p):
        conn = sqlite3.connect(p)
        pairs = list(zip(conn.execute("SELECT x FROM t"), range(3)))
        numbered = [i for i, _ in enumerate(conn.execute("SELECT x FROM t"))]
        conn.execute("INSERT INTO log VALUES (?)", ("could not attach the file",))
        conn.close()
        return pairs, numbered
    """
    [finding] = findings(source)
    assert finding.fix_applicability is FixApplicability.UNSAFE, finding.no_fix_reason


def test_a_subclass_that_sets_the_path_gets_the_pool_at_the_call_site():
    source = """
    import sqlite3

    class Base:
        def __init__(self, db_path):
            self.db_path = db_path

        def count(self):
            with sqlite3.connect(self.db_path) as conn:
                return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]

    class Mid(Base):
        pass

    class Leaf(Mid):
        def __init__(self, folder):
            super().__init__(folder + "/a.db")
            self.db_path = folder + "/b.db"
    """
    text = fixed(source)
    assert "self._pool" not in text
    assert "with get_connection_pool(self.db_path).get_connection() as conn:" in text


@pytest.mark.parametrize("name", sorted(NO_FIX))
def test_unsafe_shapes_are_reported_without_a_fix(name):
    source, reason = NO_FIX[name]
    found = [f for f in findings(source) if f.code == "CRL201"]
    assert found, name
    for finding in found:
        assert finding.fix_applicability is None
        assert reason in (finding.no_fix_reason or ""), finding.no_fix_reason
    assert fix_source(textwrap.dedent(source).lstrip(), "example.py", CRL2).new_source is None


# -- CRL201: fixes beyond the fixture pairs ----------------------------------------------
def test_dropped_connect_arguments_are_named_in_the_fix_message():
    [finding] = findings(
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p, timeout=30, cached_statements=10) as conn:
                conn.execute("SELECT 1")
        """
    )
    assert "`timeout`" in finding.fix_message and "`cached_statements`" in finding.fix_message


def test_guarded_close_in_finally_and_reraising_handler():
    text = fixed(
        """
        import sqlite3
        def f(p):
            conn = sqlite3.connect(p)
            try:
                conn.execute("INSERT INTO t VALUES (1)")
                conn.commit()
            except Exception:
                conn.close()
                raise
            finally:
                if conn is not None:
                    conn.close()
        """
    )
    assert text.endswith(
        "def f(p):\n"
        "    with get_connection_pool(p).get_connection() as conn:\n"
        '        conn.execute("INSERT INTO t VALUES (1)")\n'
        "        conn.commit()\n"
    )


def test_connection_opened_inside_try_with_guarded_close():
    text = fixed(
        """
        import sqlite3
        def f(p):
            conn = None
            try:
                conn = sqlite3.connect(p)
                return conn.execute("SELECT 1").fetchone()
            except sqlite3.Error:
                return None
            finally:
                if conn:
                    conn.close()
        """
    )
    assert "    try:\n        with get_connection_pool(p).get_connection() as conn:\n" in text
    assert "finally" not in text


def test_the_pool_factory_comes_from_the_configuration():
    config = Config(
        select=("CRL2",), unsafe_fixes=True, sqlite_pool="myapp.storage:pool_for", present_helpers=("myapp.storage",)
    )
    text = fixed(
        """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as conn:
                conn.execute("SELECT 1")
        """,
        config,
    )
    assert "from myapp.storage import pool_for" in text
    assert "with pool_for(p).get_connection() as conn:" in text


def test_an_existing_import_of_the_factory_is_reused():
    text = fixed(
        """
        import sqlite3
        from cortex.utils import db_pool

        def f(p):
            with sqlite3.connect(p) as conn:
                conn.execute("SELECT 1")
        """
    )
    assert "with db_pool.get_connection_pool(p).get_connection() as conn:" in text
    assert "from cortex.utils.db_pool import" not in text


def test_the_instance_pool_is_added_once_per_class():
    text = fixed(
        """
        import sqlite3

        class Store:
            def __init__(self, path):
                self.path = path

            def a(self):
                with sqlite3.connect(self.path) as conn:
                    conn.execute("SELECT 1")

            def b(self):
                conn = sqlite3.connect(self.path)
                conn.execute("SELECT 2")
                conn.close()
        """
    )
    assert text.count("self._pool = get_connection_pool(self.path)") == 1
    assert text.count("with self._pool.get_connection() as conn:") == 2


# -- CRL202 ------------------------------------------------------------------------------
SHARED = """
import sqlite3

class Store:
    def __init__(self, path):
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
        self._conn.commit()
{methods}
"""


def shared(methods: str) -> str:
    return SHARED.format(methods=textwrap.indent(textwrap.dedent(methods), "    "))


def test_crl202_reports_once_per_method_and_not_in_init():
    found = findings(
        shared(
            """
            def put(self, k, v):
                self._conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (k, v))
                self._conn.commit()

            def get(self, k):
                row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()
                return row and row[0]
            """
        )
    )
    assert [(f.code, f.line) for f in found] == [("CRL202", 10), ("CRL202", 14)]
    assert "`self._conn`" in found[0].message and "`put`" in found[0].message


def test_crl202_reentrant_call_in_a_using_statement_gets_no_fix():
    [finding] = [
        f
        for f in findings(
            shared(
                """
                def get(self, k):
                    with self._lock:
                        return self._conn.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()

                def copy(self, k, new):
                    self._conn.execute("INSERT INTO kv VALUES (?, ?)", (new, self.get(k)[0]))
                """
            )
        )
        if f.code == "CRL202"
    ]
    assert finding.fix_applicability is None and "deadlock" in finding.no_fix_reason


def test_crl202_nested_function_gets_no_fix():
    [finding] = findings(
        shared(
            """
            def later(self):
                return lambda: self._conn.execute("SELECT 1")
            """
        )
    )
    assert finding.fix_applicability is None and "nested function" in finding.no_fix_reason


def test_crl202_reuses_an_existing_lock():
    source = """
    import sqlite3
    import threading

    class Store:
        def __init__(self, path):
            self._guard = threading.RLock()
            self._conn = sqlite3.connect(path, check_same_thread=False)

        def size(self):
            return self._conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
    """
    text = fixed(source)
    assert "with self._guard:" in text and "threading.Lock()" not in text


# -- the legacy Cortex tree --------------------------------------------------------------
LEGACY_COUNTS = {
    "context_memory.py": ("CRL201", 7),
    "graceful_degradation.py": ("CRL201", 6),
    "installation_history.py": ("CRL201", 7),
    "kernel_features/accelerator_limits.py": ("CRL202", 7),
    "kernel_features/kv_cache_manager.py": ("CRL201", 7),
    "semantic_cache.py": ("CRL201", 5),
    "transaction_history.py": ("CRL201", 6),
}


@pytest.mark.parametrize("relative", sorted(LEGACY_COUNTS))
def test_every_legacy_finding_gets_a_fix_that_leaves_the_module_clean(relative):
    path = LEGACY / relative
    code, count = LEGACY_COUNTS[relative]
    raw = path.read_bytes()
    found = lint_source(raw, str(path), CRL2).findings
    assert [f.code for f in found] == [code] * count
    assert all(f.fix_applicability is FixApplicability.UNSAFE for f in found)
    result = fix_source(raw, str(path), CRL2)
    assert result.fix_error is None and result.new_source is not None
    compile(result.new_source, str(path), "exec")
    assert result.findings == []
    text = result.new_source.decode()
    if code == "CRL201":
        assert "connect(self.db_path" not in text
        assert "self._pool = get_connection_pool(self.db_path)" in text
    else:
        assert "self._lock = threading.Lock()" in text


def test_no_other_legacy_module_is_reported():
    reported = {
        str(Path(p).relative_to(LEGACY))
        for p in LEGACY.rglob("*.py")
        if lint_source(p.read_bytes(), str(p), CRL2).findings
    }
    assert reported == set(LEGACY_COUNTS)


@pytest.mark.parametrize(
    "method",
    [
        "@property\ndef conn(self):\n    return self._conn\n",
        "def rows(self):\n    return self._conn.execute('SELECT 1')\n",
        "def cursor(self):\n    cur = self._conn.cursor()\n    cur.execute('SELECT 1')\n    return cur\n",
    ],
    ids=["connection-returned", "cursor-returned", "cursor-alias-returned"],
)
def test_crl202_handing_the_connection_out_gets_no_fix(method):
    [finding] = findings(shared(method))
    assert finding.fix_applicability is None and "returned" in finding.no_fix_reason


def test_the_configured_pool_module_may_open_connections():
    source = textwrap.dedent(
        """
        import sqlite3

        def _connect(path):
            conn = sqlite3.connect(path, check_same_thread=False)
            return conn
        """
    ).lstrip()
    assert lint_source(source, "src/cortex/utils/db_pool.py", CRL2).findings == []
    custom = Config(select=("CRL2",), sqlite_pool="myapp.storage:pool_for")
    assert lint_source(source, "myapp/storage.py", custom).findings == []
    used_here = source.replace("    return conn\n", "    conn.execute('SELECT 1')\n    conn.close()\n")
    assert [f.code for f in lint_source(used_here, "myapp/other.py", custom).findings] == ["CRL201"]


def test_a_parameter_of_the_same_name_removed_elsewhere_does_not_block_the_fix():
    """`path` in `save_json` is another variable than `path` in `count`: only a removal in the
    function itself (or of `self.x` / a global anywhere in the module) blocks the pool."""
    source = """
    import os
    import sqlite3

    def save_json(path, text):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def count(path):
        conn = sqlite3.connect(path)
        n = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        conn.close()
        return n
    """
    [finding] = [f for f in findings(source) if f.code == "CRL201"]
    assert finding.fix_applicability is FixApplicability.UNSAFE, finding.no_fix_reason


def test_string_replace_on_the_path_is_not_a_file_operation():
    source = """
    import sqlite3

    class S:
        def __init__(self, db_path):
            self.db_path = db_path
            self.label = self.db_path.replace(".db", "")

        def count(self):
            with sqlite3.connect(self.db_path) as conn:
                return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    """
    [finding] = findings(source)
    assert finding.fix_applicability is FixApplicability.UNSAFE, finding.no_fix_reason


def test_a_path_renamed_onto_the_database_blocks_the_fix():
    source = """
    import sqlite3
    from pathlib import Path

    DB = Path("app.db")

    def restore(backup: Path):
        backup.rename(DB)

    def count():
        with sqlite3.connect(DB) as conn:
            return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    """
    [finding] = findings(source)
    assert "removed or replaced (`backup.rename(DB)`)" in (finding.no_fix_reason or "")


def test_a_semantic_pragma_blocks_the_fix_unless_every_connecting_function_sets_it():
    leaky = """
    import sqlite3

    def strict(p):
        conn = sqlite3.connect(p)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("INSERT INTO pet VALUES (1, 2)")
        conn.commit()
        conn.close()

    def loose(p):
        conn = sqlite3.connect(p)
        conn.execute("INSERT INTO pet VALUES (3, 4)")
        conn.commit()
        conn.close()
    """
    strict, loose = findings(leaky)
    assert "`PRAGMA foreign_keys = on` stays set" in (strict.no_fix_reason or "")
    assert loose.fix_applicability is FixApplicability.UNSAFE
    everywhere = leaky.replace(
        'conn.execute("INSERT INTO pet VALUES (3, 4)")',
        'conn.execute("PRAGMA foreign_keys=1")\n        conn.execute("INSERT INTO pet VALUES (3, 4)")',
    ).replace("foreign_keys = ON", "foreign_keys = 1")
    assert all(f.fix_applicability is FixApplicability.UNSAFE for f in findings(everywhere))
    speed_only = leaky.replace("foreign_keys = ON", "synchronous = OFF")
    assert all(f.fix_applicability is FixApplicability.UNSAFE for f in findings(speed_only))


@pytest.mark.parametrize(
    "use, fixable",
    [
        ("rows = list(map(tuple, conn.execute('SELECT x FROM t')))", True),
        ("rows = [r for r in itertools.islice(conn.execute('SELECT x FROM t'), 2)]", True),
        ("rows = itertools.chain.from_iterable(conn.execute('SELECT x FROM t'))", False),
        ("rows = pool.map(work, [conn])", False),
    ],
)
def test_lazy_wrappers_escape_only_when_they_outlive_the_block(use, fixable):
    source = f"""
    import itertools
    import sqlite3

    def f(p, pool, work):
        conn = sqlite3.connect(p)
        {use}
        conn.close()
        return rows
    """
    [finding] = findings(source)
    assert (finding.fix_applicability is FixApplicability.UNSAFE) == fixable, finding.no_fix_reason


@pytest.mark.parametrize(
    "subclass, call_site",
    [
        ("class Leaf(Base):\n        db_path = 'other.db'", True),
        ("class Leaf(Base):\n        def __init__(self):\n            self.ready = True", True),
        ("class Leaf(Base):\n        def __init__(self, p):\n            super().__init__(p)\n            self.ready = True", False),
    ],
)
def test_subclasses_that_bypass_the_base_init_get_the_pool_at_the_call_site(subclass, call_site):
    source = f"""
    import sqlite3

    class Base:
        def __init__(self, db_path):
            self.db_path = db_path

        def count(self):
            with sqlite3.connect(self.db_path) as conn:
                return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]

    {subclass}
    """
    text = fixed(source)
    assert ("self._pool" not in text) == call_site


def test_a_module_path_that_falls_back_to_memory_blocks_the_fix():
    source = """
    import os
    import sqlite3

    DB = os.environ.get("APP_DB", ":memory:")

    def count():
        conn = sqlite3.connect(DB)
        n = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        conn.close()
        return n
    """
    [finding] = findings(source)
    assert "the module sets `DB` from it" in (finding.no_fix_reason or "")


def test_check_same_thread_true_is_the_default_and_keeps_the_fix():
    source = """
    import sqlite3

    def count(p):
        conn = sqlite3.connect(p, check_same_thread=True)
        n = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        conn.close()
        return n
    """
    [finding] = findings(source)
    assert finding.fix_applicability is FixApplicability.UNSAFE, finding.no_fix_reason
    assert "check_same_thread" not in fixed(source)
    [blocked] = findings(source.replace("check_same_thread=True", "check_same_thread=False"))
    assert "check_same_thread" in (blocked.no_fix_reason or "")
