"""No fix imports a module the project does not have (issue 14).

The pooled connection (CRL201), the atomic form and the per-path `locked(path)` (CRL301/302)
import helper modules. In a project without them a fix falls back to the standard library
where that is equivalent (the lock form), or is withheld with a reason naming the missing
module and the `racelint scaffold` command; a withheld fix that `--fix` was asked for is an
error (exit 2) and nothing of it is written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cortex_racelint import Config, fix_source, lint_source
from cortex_racelint.api import run_files
from cortex_racelint.config import load_config
from cortex_racelint.engine.cache import ResultCache
from cortex_racelint.ftypes import FixApplicability
from cortex_racelint.project_helpers import project_root, resolve_helpers

from .conftest import FIXTURES, REPO

STORE = textwrap.dedent(
    """\
    import sqlite3


    class Store:
        def __init__(self, db_path):
            self.db_path = db_path

        def count(self):
            conn = sqlite3.connect(self.db_path)
            n = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            conn.close()
            return n
    """
)
CACHE = textwrap.dedent(
    """\
    import json


    class Cache:
        def __init__(self, path):
            self.path = path

        def save(self, data):
            with open(self.path, "w") as f:
                json.dump(data, f)
    """
)
INSTALLER = textwrap.dedent(
    """\
    MARKER = "# >>> app >>>"


    class Installer:
        def __init__(self, rc_path):
            self.rc_path = rc_path

        def install(self):
            content = self.rc_path.read_text()
            if MARKER not in content:
                with open(self.rc_path, "a") as f:
                    f.write(MARKER + "\\n")
    """
)
LAZY = textwrap.dedent(
    """\
    _client = None


    def get_client():
        global _client
        if _client is None:
            _client = object()
        return _client
    """
)


def configure(root: Path, racelint: str) -> None:
    """The project's pyproject, with `racelint` as the body of its [tool.racelint]."""
    (root / "pyproject.toml").write_text(f'[project]\nname = "app"\n\n[tool.racelint]\n{racelint}', encoding="utf-8")


def project(root: Path, files: dict[str, str], racelint: str = "") -> Path:
    """A scratch project: a pyproject and `files`."""
    root.mkdir(parents=True, exist_ok=True)
    configure(root, racelint)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def racelint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "cortex_racelint", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, input=stdin)


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py"))}


# -- a project without the helpers ---------------------------------------------------------------
def test_no_fix_imports_cortex_in_a_project_without_it(tmp_path):
    root = project(tmp_path / "app", {"store.py": STORE, "cache.py": CACHE, "installer.py": INSTALLER, "lazy.py": LAZY})
    before = snapshot(root)
    proc = racelint("--fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    after = snapshot(root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert not any("cortex" in text for text in after.values())
    # what needs a helper is not written at all; the rest is
    assert after["store.py"] == before["store.py"] and after["installer.py"] == before["installer.py"]
    assert "with self._lock:\n            with open(self.path, \"w\") as f:" in after["cache.py"]
    assert "import threading" in after["cache.py"] and "with _client_lock:" in after["lazy.py"]
    for name in ("store.py", "installer.py"):  # each withheld fix is an error naming its finding
        assert f"{name}:" in proc.stdout and "fix not written" in proc.stdout
    assert "warning" not in proc.stderr


def test_the_reason_names_the_missing_module_and_how_to_get_it(tmp_path):
    root = project(tmp_path / "app", {"store.py": STORE, "installer.py": INSTALLER})
    proc = racelint("check", "--no-cache", "--format", "full", ".", cwd=root)
    assert proc.returncode == 1
    assert (
        "= note: no automatic fix: the pooled connection imports `get_connection_pool` from `cortex.utils.db_pool`, "
        "which this project does not have: write it with `racelint scaffold db-pool PACKAGE_DIR` and set "
        "`sqlite-pool` in [tool.racelint] to the module it prints"
    ) in proc.stdout
    assert (
        "= note: no automatic fix: the per-path lock `locked(path)` imports `locked` from `cortex.utils.fileio`, "
        "which this project does not have: write it with `racelint scaffold fileio PACKAGE_DIR` and set "
        "`atomic-write-module`"
    ) in proc.stdout


def test_a_configured_module_the_project_lacks_is_named(tmp_path):
    root = project(tmp_path / "app", {"store.py": STORE}, 'sqlite-pool = "app.db:pool_for"\n')
    (finding,) = lint_source(STORE, "store.py", load_config(root)).findings
    assert finding.fix_applicability is None
    assert "imports `pool_for` from `app.db`, which this project does not have" in finding.no_fix_reason
    assert finding.withheld_fix.module == "app.db"


@pytest.mark.parametrize(
    "flags,code",
    [
        (("--fix",), 1),  # the pooled connection is unsafe: not asked for, so not an error
        (("--fix", "--unsafe-fixes"), 2),
        (("--diff", "--unsafe-fixes"), 2),
        (("check",), 1),
    ],
)
def test_exit_2_only_when_the_withheld_fix_was_requested(tmp_path, flags, code):
    root = project(tmp_path / "app", {"store.py": STORE})
    proc = racelint(*flags, "--no-cache", "store.py", cwd=root)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert (root / "store.py").read_text(encoding="utf-8") == STORE
    assert ("CRL201 fix not written" in proc.stdout) == (code == 2)


def test_a_safe_fix_that_needs_a_helper_fails_plain_fix(tmp_path):
    root = project(tmp_path / "app", {"installer.py": INSTALLER})
    proc = racelint("--fix", "--no-cache", ".", cwd=root)
    assert proc.returncode == 2
    assert "installer.py:11:18: error: CRL301 fix not written: the per-path lock `locked(path)`" in proc.stdout
    assert (root / "installer.py").read_text(encoding="utf-8") == INSTALLER


def test_stdin_fix_without_the_helper_echoes_the_source_and_exits_2(tmp_path):
    root = project(tmp_path / "app", {})
    proc = racelint("--fix", "--unsafe-fixes", "--stdin-filename", "store.py", "-", cwd=root, stdin=STORE)
    assert proc.returncode == 2
    assert proc.stdout == STORE
    assert "CRL201 fix not written" in proc.stderr


def test_unconfigured_style_is_the_lock_form_and_says_why(tmp_path):
    root = project(tmp_path / "app", {"cache.py": CACHE})
    (finding,) = lint_source(CACHE, "cache.py", load_config(root)).findings
    assert finding.fix_applicability is FixApplicability.SAFE
    assert finding.fix_message == "Hold `self._lock` around the write (not atomic: this project has no `cortex.utils.fileio`)"


@pytest.mark.parametrize("style", ["atomic", "lock+atomic"])
def test_an_explicit_atomic_style_without_the_helper_is_withheld_not_weakened(tmp_path, style):
    root = project(tmp_path / "app", {"cache.py": CACHE}, f'file-write-fix = "{style}"\n')
    (finding,) = lint_source(CACHE, "cache.py", load_config(root)).findings
    assert finding.fix_applicability is None
    assert finding.no_fix_reason.startswith("the atomic form imports `atomic_write` from `cortex.utils.fileio`")
    assert finding.withheld_fix.applicability is FixApplicability.UNSAFE
    proc = racelint("--fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert proc.returncode == 2 and (root / "cache.py").read_text(encoding="utf-8") == CACHE


def test_a_helper_the_module_already_imports_is_used():
    source = "from cortex.utils.fileio import locked\n\n" + INSTALLER
    fixed = fix_source(source, "installer.py", Config(unsafe_fixes=True)).new_source.decode()
    assert "with locked(self.rc_path):" in fixed
    assert fixed.count("import") == 1


def test_the_library_default_imports_no_helper_in_any_fixture():
    """`fix_source` with a plain `Config()`: no project, so no helper: nothing imports cortex.*"""
    inputs = [p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py") and "runtime" not in p.parts]
    assert len(inputs) > 40
    for path in inputs:
        raw = path.read_bytes()
        result = fix_source(raw, str(path), Config(unsafe_fixes=True))
        assert result.fix_error is None, path
        if result.new_source is not None and b"cortex.utils" not in raw:
            assert b"cortex.utils" not in result.new_source, path


# -- with the helper scaffolded ------------------------------------------------------------------
def test_with_the_pool_scaffolded_in_a_src_layout_the_fix_appears_and_imports(tmp_path):
    root = project(tmp_path / "app", {"src/app/__init__.py": "", "src/app/store.py": STORE})
    scaffold = racelint("scaffold", "db-pool", "src/app", cwd=root)
    assert scaffold.returncode == 0
    assert 'sqlite-pool = "app.db_pool:get_connection_pool"' in scaffold.stdout  # not src.app.db_pool
    configure(root, 'sqlite-pool = "app.db_pool:get_connection_pool"\n')
    proc = racelint("--fix", "--unsafe-fixes", "--no-cache", "src", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fixed = (root / "src" / "app" / "store.py").read_text(encoding="utf-8")
    assert "from app.db_pool import get_connection_pool" in fixed
    assert "self._pool = get_connection_pool(self.db_path)" in fixed
    use = "import app.store, sys; print(app.store.Store(sys.argv[1]).count())"
    run = subprocess.run([sys.executable, "-c", use, str(tmp_path / "x.db")], cwd=root / "src", capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "0", run.stderr


def test_scaffold_from_a_subfolder_names_the_module_from_the_project_root(tmp_path):
    root = project(tmp_path / "app", {"app/__init__.py": ""})
    proc = racelint("scaffold", "fileio", ".", cwd=root / "app")
    assert proc.returncode == 0
    assert 'atomic-write-module = "app.fileio"' in proc.stdout


def test_with_fileio_scaffolded_the_atomic_form_and_locked_appear(tmp_path):
    root = project(tmp_path / "app", {"app/__init__.py": "", "app/cache.py": CACHE, "app/installer.py": INSTALLER})
    assert racelint("scaffold", "fileio", "app", cwd=root).returncode == 0
    configure(root, 'atomic-write-module = "app.fileio"\n')
    proc = racelint("--fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "from app.fileio import atomic_write" in (root / "app" / "cache.py").read_text(encoding="utf-8")
    installer = (root / "app" / "installer.py").read_text(encoding="utf-8")
    assert "from app.fileio import locked" in installer and "with locked(self.rc_path):" in installer


def test_scaffolding_at_the_default_place_changes_the_cached_result(tmp_path):
    """Availability is part of the configuration, so of the cache key: no stale "no fix" after scaffolding."""
    root = project(tmp_path / "app", {"cortex/__init__.py": "", "store.py": STORE})
    paths = [str(root / "store.py")]
    before = run_files(paths, load_config(root), fix=False, jobs=1, cache=ResultCache(root))
    assert before[0].findings[0].withheld_fix is not None
    cached = run_files(paths, load_config(root), fix=False, jobs=1, cache=ResultCache(root))
    assert cached[0].findings == before[0].findings  # the withheld fix survives the cache
    scaffold = racelint("scaffold", "db-pool", "cortex/utils", cwd=root)
    assert scaffold.returncode == 0 and "`sqlite-pool` already names it: nothing to configure" in scaffold.stdout
    after = run_files(paths, load_config(root), fix=False, jobs=1, cache=ResultCache(root))
    assert after[0].findings[0].fix_applicability is FixApplicability.UNSAFE
    assert after[0].findings[0].withheld_fix is None


# -- where helpers are looked up -----------------------------------------------------------------
def test_helpers_are_looked_up_under_the_project_flat_or_src(tmp_path):
    config = Config()
    assert resolve_helpers(config, tmp_path).present_helpers == ()
    (tmp_path / "src" / "cortex" / "utils").mkdir(parents=True)
    (tmp_path / "src" / "cortex" / "utils" / "fileio.py").write_text("", encoding="utf-8")
    assert resolve_helpers(config, tmp_path).present_helpers == ("cortex.utils.fileio",)
    assert resolve_helpers(config, REPO).present_helpers == ("cortex.utils.db_pool", "cortex.utils.fileio")
    assert resolve_helpers(config, REPO).cache_key() != resolve_helpers(config, tmp_path).cache_key()


def test_without_a_pyproject_a_tree_outside_the_working_folder_is_its_own_project(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # has the helpers: a tree elsewhere must not borrow them
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert project_root(Config(), outside) == outside.resolve()
    assert project_root(Config(), REPO / "fixtures") == REPO
    assert load_config(outside).present_helpers == ()


def test_withheld_fixes_cross_worker_processes(tmp_path):
    root = project(tmp_path / "app", {f"store{i}.py": STORE for i in range(8)})
    paths = sorted(str(p) for p in root.glob("store*.py"))
    results = run_files(paths, load_config(root), fix=True, jobs=2)
    assert [r.findings[0].withheld_fix.module for r in results] == ["cortex.utils.db_pool"] * 8
    assert all(r.new_source is None for r in results)
