"""`racelint scaffold`: the helpers the fixes import, and cortex/utils/ is exactly its output."""

from __future__ import annotations

import pytest

from cortex_racelint.scaffold import HELPERS, template

from .conftest import REPO


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_cortex_utils_is_the_scaffold_output(helper):
    assert (REPO / "cortex" / "utils" / HELPERS[helper]).read_text(encoding="utf-8") == template(helper)


def test_scaffold_writes_a_pool_that_the_fix_can_import(run_cli, tmp_path):
    result = run_cli("scaffold", "db-pool", "myapp/db", cwd=tmp_path)
    assert result.code == 0
    assert (tmp_path / "myapp" / "db" / "db_pool.py").is_file()
    assert 'sqlite-pool = "myapp.db.db_pool:get_connection_pool"' in result.out
    assert run_cli("scaffold", "db-pool", "myapp/db", cwd=tmp_path).code == 2  # never overwrites silently
