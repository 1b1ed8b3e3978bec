"""Imports a fix stops using are removed; nothing else about the imports changes."""

from __future__ import annotations

from cortex_racelint import Config, fix_source

from .conftest import in_this_repo

UNSAFE = in_this_repo(Config(unsafe_fixes=True))

RACY = '''"""Doc."""

# the user's own, already unused import stays
import os
# the connection factory
from sqlite3 import Row, connect

__all__ = ["save"]


def save(path, key):
    conn = connect(path)
    conn.row_factory = Row
    conn.execute("INSERT INTO kv VALUES (?)", (key,))
    conn.commit()
    conn.close()
'''


def _fixed(source: str, path: str = "m.py") -> str:
    result = fix_source(source, path, UNSAFE)
    assert result.fix_error is None and result.new_source is not None
    return result.new_source.decode()


def test_only_the_name_the_fix_stopped_using_is_removed():
    fixed = _fixed(RACY)
    assert "import os\n" in fixed  # unused before the fix: not ours to touch
    assert "from sqlite3 import Row\n" in fixed and "connect\n" not in fixed.split("__all__")[0]
    assert "# the connection factory\nfrom sqlite3 import Row" in fixed
    compile(fixed, "m.py", "exec")


def test_a_whole_statement_goes_and_its_comment_moves_to_the_next_one():
    fixed = _fixed(RACY.replace("from sqlite3 import Row, connect", "from sqlite3 import connect").replace(
        "    conn.row_factory = Row\n", ""))
    assert "sqlite3" not in fixed
    assert "import os\n# the connection factory\nfrom cortex.utils.db_pool import get_connection_pool\n" in fixed


def test_a_name_still_named_in_a_string_is_kept():
    fixed = _fixed(RACY.replace('__all__ = ["save"]', '__all__ = ["save", "connect"]'))
    assert "from sqlite3 import Row, connect\n" in fixed


def test_a_package_init_keeps_its_imports():
    fixed = _fixed(RACY, "pkg/__init__.py")
    assert "from sqlite3 import Row, connect\n" in fixed


def test_a_trailing_comment_of_a_removed_import_is_kept():
    source = RACY.replace("from sqlite3 import Row, connect", "from sqlite3 import connect  # stdlib driver").replace(
        "    conn.row_factory = Row\n", "")
    fixed = _fixed(source)
    assert "sqlite3" not in fixed and "# stdlib driver\n" in fixed
    compile(fixed, "m.py", "exec")
