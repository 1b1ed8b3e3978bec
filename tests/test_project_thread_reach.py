"""Private modules no thread of their project reaches (issue 15: pip's `_internal` writes files on one thread).

`project/thread_reach.py`: a module on a private path of a project linted whole keeps no
two-thread finding unless a thread of the project can reach it (it starts one, a thread's call
graph reaches it, a thread-starting module imports it, or it names what starts a thread).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Optional

from cortex_racelint.api import run_files
from cortex_racelint.engine.lint import lint_source
from cortex_racelint.ftypes import Config, ThreadEntrySpec
from cortex_racelint.project.summary import build_summary
from cortex_racelint.project.thread_reach import unreached_modules

STORE = textwrap.dedent("""
    import shutil


    class Store:
        def __init__(self, path):
            self.path = path

        def save(self, src):
            shutil.copy(src, self.path)
""")
SAVE_LINE = 10  # `shutil.copy(src, self.path)`

FILES = {"pkg/__init__.py": "", "pkg/_internal/__init__.py": "", "pkg/_internal/store.py": STORE}


def _write(root: Path, files: dict[str, str]) -> list[str]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(str(path))
    return sorted(paths)


def _crl301(root: Path, extra: Optional[dict[str, str]] = None, drop: tuple[str, ...] = (), **config) -> list[tuple[str, int]]:
    files = {k: v for k, v in {**FILES, **(extra or {})}.items() if k not in drop}
    results = run_files(_write(root, files), Config(root=root, **config), fix=False, jobs=1)
    return sorted((Path(r.path).relative_to(root).as_posix(), f.line) for r in results for f in r.findings if f.code == "CRL301")


STORED = ("pkg/_internal/store.py", SAVE_LINE)


def test_a_private_module_no_thread_reaches_is_not_reported(tmp_path: Path) -> None:
    assert _crl301(tmp_path) == []


def test_the_same_module_on_a_public_path_is_reported(tmp_path: Path) -> None:
    """Callers outside the project may run a public module on their threads."""
    found = _crl301(tmp_path, {"pkg/store.py": STORE})
    assert found == [("pkg/store.py", SAVE_LINE)]


def test_a_private_module_starting_a_thread_is_reported(tmp_path: Path) -> None:
    threaded = STORE + "\n\ndef start(store):\n    import threading\n    threading.Thread(target=print).start()\n"
    assert _crl301(tmp_path, {"pkg/_internal/store.py": threaded}) == [STORED]


def test_a_thread_subclass_counts_as_starting_threads(tmp_path: Path) -> None:
    threaded = STORE + "\n\nimport threading\n\n\nclass Saver(threading.Thread):\n    pass\n"
    assert _crl301(tmp_path, {"pkg/_internal/store.py": threaded}) == [STORED]


def test_a_thread_entry_whose_call_graph_reaches_it_keeps_it(tmp_path: Path) -> None:
    worker = """
        import threading

        from pkg._internal.helpers import run


        def serve():
            threading.Thread(target=run).start()
    """
    helpers = """
        from pkg._internal import store


        def run():
            store.save_all()
    """
    store = STORE + "\n\ndef save_all():\n    pass\n"
    found = _crl301(tmp_path, {"pkg/server.py": worker, "pkg/_internal/helpers.py": helpers, "pkg/_internal/store.py": store})
    assert found == [STORED]


def test_a_module_imported_by_thread_starting_code_keeps_it(tmp_path: Path) -> None:
    """The thread may call methods of a `Store` it holds: the call graph does not follow objects."""
    worker = """
        import threading

        from pkg._internal.store import Store


        def serve(store: Store):
            threading.Thread(target=store_loop, args=(store,)).start()


        def store_loop(store):
            store.save("x")
    """
    assert _crl301(tmp_path, {"pkg/server.py": worker}) == [STORED]


def test_naming_a_thread_starting_class_keeps_it(tmp_path: Path) -> None:
    """`Refresher(self)` hands the store to a thread the other module starts (rich's `Live`)."""
    live = """
        import threading


        class _Thread(threading.Thread):
            def __init__(self, owner):
                super().__init__()
                self.owner = owner

            def run(self):
                self.owner.refresh()


        class Refresher:
            def __init__(self, owner):
                self.owner = owner

            def begin(self):
                _Thread(self.owner).start()
    """
    store = STORE + "\n\ndef watch(store, refresher):\n    refresher.begin()\n"
    found = _crl301(tmp_path, {"pkg/_vendor/__init__.py": "", "pkg/_vendor/live.py": live, "pkg/_internal/store.py": store})
    assert found == [STORED]
    quiet = STORE + "\n\ndef watch(store):\n    # refresher.begin() would start a thread: a comment is not code\n    pass\n"
    assert _crl301(tmp_path, {"pkg/_vendor/__init__.py": "", "pkg/_vendor/live.py": live, "pkg/_internal/store.py": quiet}) == []


def test_without_the_owner_package_in_the_run_nothing_is_exempt(tmp_path: Path) -> None:
    """Linting `pkg/_internal/` alone: the project's threads are not all in sight."""
    assert _crl301(tmp_path, drop=("pkg/__init__.py",)) == [STORED]


def test_users_thread_entries_count_like_built_in_ones(tmp_path: Path) -> None:
    """`[tool.racelint] thread-entries` are rows of the index's table: a private module handed to
    one is reached; declaring an entry the project never uses exempts nothing less."""
    spec = ThreadEntrySpec(label="job", call="scheduler.every", arg=0)
    assert _crl301(tmp_path / "unused", thread_entries=(spec,)) == []
    jobs = textwrap.dedent("""
        import scheduler

        from pkg._internal.store import Store


        def save_all(src):
            Store("x").save(src)


        def plan():
            scheduler.every(save_all)
    """)
    used = {"pkg/_internal/jobs.py": jobs}
    assert _crl301(tmp_path / "used", used, thread_entries=(spec,)) == [STORED]
    assert _crl301(tmp_path / "builtin_only", used) == []  # without the row, `scheduler.every` starts nothing


def test_a_file_linted_alone_is_reported(tmp_path: Path) -> None:
    """flake8 and the language server see one file: no project, nothing exempt."""
    path = _write(tmp_path, FILES)[-1]
    result = lint_source(Path(path).read_bytes(), path, Config(root=tmp_path), "pkg/_internal/store.py")
    assert [f.line for f in result.findings if f.code == "CRL301"] == [SAVE_LINE]


def test_a_project_fix_leaves_an_unreached_private_module_alone(tmp_path: Path) -> None:
    paths = _write(tmp_path, FILES)
    public = _write(tmp_path, {"pkg/store.py": STORE})
    results = {r.path: r for r in run_files(sorted({*paths, *public}), Config(root=tmp_path), fix=True, jobs=1)}
    fixed, left = results[public[0]], results[paths[-1]]
    assert fixed.fixed_count == 1 and fixed.new_source != fixed.old_source  # the public copy only
    assert left.fixed_count == 0 and left.new_source in (None, left.old_source)


def test_summary_records_spawns_and_full_import_names() -> None:
    tree = ast.parse(textwrap.dedent("""
        import a.b.c
        from .x import y
        import threading

        class T(threading.Thread):
            pass

        def go(f):
            threading.Thread(target=f).start()
    """))
    summary = build_summary(tree)
    assert summary["spawns"] == ["T", "go"]
    assert [0, "a.b.c", None] in summary["imported"] and [1, "x", "y"] in summary["imported"]


def test_unreached_modules_names_the_reason(tmp_path: Path) -> None:
    paths = _write(tmp_path, FILES)
    summaries = {p: build_summary(ast.parse(Path(p).read_bytes())) for p in paths}
    found = unreached_modules(summaries, lambda p: Path(p).read_bytes())
    assert paths[-1] in found and "`pkg._internal.store`" in found[paths[-1]]
    assert not any(p.endswith("pkg/__init__.py") for p in found)  # the owner itself is public
