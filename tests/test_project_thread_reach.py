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
from cortex_racelint.project.dead_defs import dead_definitions
from cortex_racelint.project.single_file import lint_in_project
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

#: a live user of `Store`: without one, `Store` is dead code wherever it is (`project/dead_defs.py`)
COMMANDS = "from pkg._internal.store import Store\n\n\ndef save(path, src):\n    Store(path).save(src)\n"
FILES = {
    "pkg/__init__.py": "",
    "pkg/_internal/__init__.py": "",
    "pkg/_internal/commands.py": COMMANDS,
    "pkg/_internal/store.py": STORE,
}


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


# -- dead definitions of a private module that starts threads (`project/dead_defs.py`) --

TOOL = textwrap.dedent("""
    import shutil
    import threading


    class Runner:
        def run(self, cmd):
            threading.Thread(target=self.reader).start()

        def reader(self):
            pass


    class Store:
        def __init__(self, path):
            self.path = path

        def save(self, src):
            shutil.copy(src, self.path)


    def _store(path, src):
        Store(path).save(src)


    def _load(path):
        return Store(path)
""")
TOOL_SAVE = ("pkg/_vendor/tool.py", 19)  # `shutil.copy(src, self.path)`
VENDOR = {"pkg/__init__.py": "", "pkg/_vendor/__init__.py": "", "pkg/_vendor/tool.py": TOOL}
ONLY_STORE = tuple(set(FILES) - set(VENDOR))  # `FILES` but the owner's `__init__.py`


def _tool(root: Path, tool: str = TOOL, extra: Optional[dict[str, str]] = None) -> list[tuple[str, int]]:
    return _crl301(root, {**VENDOR, "pkg/_vendor/tool.py": tool, **(extra or {})}, drop=ONLY_STORE)


def test_definitions_nothing_in_the_project_names_are_not_reported(tmp_path: Path) -> None:
    """`Store` is named only by `_store` and `_load`, which nothing names: all three are dead."""
    assert _tool(tmp_path) == []


def test_a_dead_definition_referenced_from_a_live_function_elsewhere_is_reported(tmp_path: Path) -> None:
    cli = "from pkg._vendor.tool import _store\n\n\ndef main(argv):\n    _store(argv[0], argv[1])\n"
    assert _tool(tmp_path, extra={"pkg/cli.py": cli}) == [TOOL_SAVE]


def test_a_definition_reached_from_the_modules_thread_target_is_reported(tmp_path: Path) -> None:
    tool = TOOL.replace("    def reader(self):\n        pass\n", "    def reader(self):\n        _store('a', 'b')\n")
    assert tool != TOOL and _tool(tmp_path, tool) == [TOOL_SAVE]


def test_a_name_in_the_modules_top_level_code_keeps_it_live(tmp_path: Path) -> None:
    """`__all__` (strings), an assignment: the chain `_load` -> `Store` is live."""
    assert _tool(tmp_path / "all", TOOL + '\n__all__ = ["_load"]\n') == [TOOL_SAVE]
    assert _tool(tmp_path / "alias", TOOL + "\nload = _load\n") == [TOOL_SAVE]


def test_a_name_in_a_string_elsewhere_keeps_it_live(tmp_path: Path) -> None:
    cli = "import importlib\n\n\ndef main():\n    return getattr(importlib.import_module('pkg._vendor.tool'), 'Store')\n"
    assert _tool(tmp_path, extra={"pkg/cli.py": cli}) == [TOOL_SAVE]


def test_a_decorated_definition_is_live(tmp_path: Path) -> None:
    """A decorator may register it (`atexit.register`, a command table)."""
    tool = TOOL.replace("def _store(", "@staticmethod\ndef _store(")
    assert tool != TOOL and _tool(tmp_path, tool) == [TOOL_SAVE]


def test_a_definition_starting_a_thread_is_live(tmp_path: Path) -> None:
    tool = TOOL.replace("Store(path).save(src)", "Store(path).save(src)\n    threading.Thread(target=print).start()")
    assert tool != TOOL and _tool(tmp_path, tool) == [TOOL_SAVE]


def test_dead_code_in_a_public_module_is_reported(tmp_path: Path) -> None:
    """Another project may import a public module and call anything in it."""
    public = {"pkg/__init__.py": "", "pkg/tool.py": TOOL}
    assert _crl301(tmp_path, public, drop=ONLY_STORE) == [("pkg/tool.py", 19)]


def test_a_file_linted_with_its_project_drops_dead_definitions_too(tmp_path: Path) -> None:
    """flake8 and the language server judge the file with its project, as `check` does."""
    paths = _write(tmp_path, VENDOR)
    tool = next(p for p in paths if p.endswith("tool.py"))
    result = lint_in_project(Path(tool).read_bytes(), tool, Config(root=tmp_path), "pkg/_vendor/tool.py")
    assert [f.line for f in result.findings if f.code == "CRL301"] == []
    used = _write(tmp_path / "used", {**VENDOR, "pkg/cli.py": "from pkg._vendor.tool import Store\n"})
    tool = next(p for p in used if p.endswith("tool.py"))
    result = lint_in_project(Path(tool).read_bytes(), tool, Config(root=tmp_path / "used"), "pkg/_vendor/tool.py")
    assert [f.line for f in result.findings if f.code == "CRL301"] == [TOOL_SAVE[1]]


def test_dead_definitions_die_together_and_live_ones_spread() -> None:
    tree = ast.parse(textwrap.dedent("""
        def a():
            return b()

        def b():
            return a()

        def c():
            return d

        def d():
            pass

        def e():
            return e()

        x = c
    """))
    assert [name for _, _, name in dead_definitions(tree, set(), [])] == ["a", "b", "e"]
    assert [name for _, _, name in dead_definitions(tree, {"a"}, [])] == ["e"]
    assert [name for _, _, name in dead_definitions(tree, set(), ["e.inner"])] == ["a", "b"]


def test_reflection_keeps_definitions_live() -> None:
    """`globals()` finds any definition, `__subclasses__` any class, without naming them."""
    source = "class A:\n    pass\n\ndef f():\n    pass\n"
    assert [name for _, _, name in dead_definitions(ast.parse(source), set(), [])] == ["A", "f"]
    assert dead_definitions(ast.parse(source + "\nx = globals()\n"), set(), []) == []
    assert dead_definitions(ast.parse(source + "\ndef g(o):\n    return dir(o)\n"), set(), []) != []
    assert [name for _, _, name in dead_definitions(ast.parse(source), {"__subclasses__"}, [])] == ["f"]
