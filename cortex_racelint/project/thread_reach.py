"""Private modules no thread of their project reaches: the two-thread rules do not report there.

A module on a private path (a dotted-name component starting with one `_`, not a dunder:
`pip._internal.req`, `pip._vendor.distlib.util`) is not an API: only its own project imports
it, so the project's own threads are the only threads that can run it. When the whole
project is linted (the *owner* package, the part before the first private component, has its
`__init__.py` in the run), the index can say that none of them reaches the module. A module
is **reached**, and keeps every finding, when any of these holds:

1. it starts a thread itself (a thread-entry call, its target named or not, or a class
   deriving from `Thread`, `Timer`, an executor or a thread pool);
2. the call graph of a thread entry of the project reaches one of its functions (`join.py`:
   names resolved through imports, 8 calls deep);
3. a module that starts threads imports it, directly or through other modules: the thread's
   code may call it in ways the call graph does not follow (methods of objects it holds,
   callbacks);
4. its code (not its comments) names a thread-starting module's *surface*: a function or method that starts a
   thread (`start`, `run_command`), the class holding it, or a thread subclass. That is how
   code hands its own objects and callables over to a thread (`Progress(...)`,
   `obj.run_command(cmd, progress=self.tick)`), also through an object received from
   elsewhere; the name is enough, the call graph is not asked.

A vendored package (`pip._vendor.rich`) is private to the vendoring project: its threads are
entries like any other (rich's refresh thread makes its own module and everything naming
`Live` or `Progress` reached), and its unreached modules are exempt like the vendoring
project's own. Missed: a thread of *another* project calling private code (unsupported by
the owner), a thread started through a name the table does not know (`os.fork`, a C
extension), and code handed over through a thread-starting function of an installed
package the run does not include. In a reached private module, dead top-level definitions
(nothing of the project names them: `dead_defs.py`) are dropped the same way. A file linted alone (flake8, the language server) is judged
with its project's summaries (`project/single_file.py`), as in a check; a file in no project is
a project of one module, and nothing private is exempt there. Users' `thread-entries` are rows
of the index's table (`analysis/entry_table.py`) and count like built-in entries.

A check drops the phase-1 findings of these modules after the join (`project/filters.py`):
its answer is cached under a digest of every file (`engine/cache.py` answers), so no per-file cached result depends on other files.
A project `--fix` passes the fact (`"unreached"` in the file's project facts, part of the cache
key through the facts digest) and the registry runs none of `CODES` there.
"""

from __future__ import annotations

from typing import Callable, Optional

from .dead_defs import Span, dead_spans, module_names
from .join import MAX_DEPTH, _Graph, _reach
from .modules import SymbolTable, absolute_import, module_name

#: the rules whose race needs two threads running this module's code (file writes, lazy init,
#: per-call connections); CRL103/CRL104 stay: the code already takes a lock, its author expects threads
CODES = frozenset(
    {"CRL101", "CRL102", "CRL105", "CRL106", "CRL107", "CRL201", "CRL301", "CRL302", "CRL303", "CRL304"}
)
REASON = "no thread of the project reaches this private module"
#: the rule pages' section for the rules of `CODES` (`docs.py`)
PAGE_TEXT = """
In a project run (`racelint check` or `--fix` of a folder), a module on a private path (a
dotted-name component starting with one `_`: `pip._internal.req`, `pip._vendor.distlib`) is
not reported when no thread of its own project can reach it: only its project imports it, and
that project runs it on one thread. This needs the owner package (the part before the first
private component, `pip`) in the run. The module is still reported when it starts a thread
itself (a thread-entry call, or a class deriving from `Thread`, `Timer` or an executor), when
a thread entry's call graph reaches one of its functions (8 calls deep), when a module that
starts threads imports it (directly or not: a thread may call it through objects it holds),
or when its code names what another module's threads run (a function or method starting a
thread, the class holding it, a thread subclass): that is how it could hand its objects or
callbacks to a thread. A vendored package is private to the vendoring project; its own threads
count like the project's. Not seen: a thread of another project calling private code, a thread
started through a name racelint does not know, code handed to an installed package outside
the run. flake8 and the language server judge a file with its project (the folder of its
configuration, else above its outermost package), as `check` does; users' `thread-entries`
count like built-in thread entries.

In a private module that some thread does reach, a top-level function or class is still not
reported when it is dead code: no thread entry's call graph reaches it, it starts no thread,
it has no decorator (which may register it), and its name (as a name, an attribute, an
imported name or an identifier-like string such as `getattr(m, "name")` or an `__all__`
entry) appears in no other module of the project and, in its own module, only inside other
dead definitions (`_store_pypirc` names `PyPIRCFile`; when nothing names `_store_pypirc`,
both are dead). Code outside the top-level definitions (assignments, `__all__`, `if`
blocks) makes every name it uses live. A module calling `globals()` (or `vars()`/`dir()` without
an argument) keeps all its definitions, a project using `__subclasses__` all its classes; a name
built at run time (`getattr(m, "_" + x)`) is not seen. A public module's definitions are never dead: another
project may call them. A project `--fix` still fixes dead code (a lock in code that never runs
changes nothing).
"""
__all__ = ["CODES", "REASON", "MAX_DEPTH", "unreached_modules", "unreached_code"]


def _private_owner(module: str) -> Optional[str]:
    """The package owning a private module (`pip` for `pip._vendor.x`), None for a public one."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index]) if index else None
    return None


def _imports(module: str, path: str, summary: dict, known: set[str]) -> set[str]:
    """The modules of the run that `module`'s import statements name (`from a import b`: `a` and
    `a.b`). The packages on the way are run at import, not called by the importer's code: left out."""
    found = set()
    for level, source, name in summary.get("imported", []):
        base = absolute_import(module, path.endswith("__init__.py"), level, source)
        found.add(base)
        if name:
            found.add(f"{base}.{name}")
    return found & known


def _surface(module: str, summary: dict) -> set[str]:
    """The names through which code hands something to this module's threads: the spawning
    functions, and those making an instance of one of its thread subclasses (`Live.start`)."""
    words = set()
    spawns = set(summary.get("spawns", []))
    classes = spawns & set(summary.get("classes", {}))
    for qual, info in summary.get("functions", {}).items():
        if any(call[0] == "n" and call[1] in classes for call in info.get("calls", [])):
            spawns.add(qual)
    for qual in spawns:
        if qual == "<module>":
            words.add(module.rpartition(".")[2])  # a thread started at import: importing it is the hand-over
            continue
        parts = qual.split(".")
        words.add(parts[0])
        if len(parts) > 1 and parts[0] in summary.get("classes", {}) and not parts[1].startswith("__"):
            words.add(parts[1])
    return words


def unreached_modules(
    summaries: dict[str, dict], read: Callable[[str], bytes], wanted: Optional[set[str]] = None
) -> dict[str, str]:
    """path -> reason, for the private modules of the run that no thread of their project reaches.

    `wanted` limits the answer to those paths (a check asks only about files with a finding of
    `CODES`: the graphs are built, and candidates parsed, only when one is private)."""
    return unreached_code(summaries, read, wanted)[0]


def unreached_code(
    summaries: dict[str, dict],
    read: Callable[[str], bytes],
    wanted: Optional[set[str]] = None,
    parsed: Optional[dict[str, Optional[set[str]]]] = None,
) -> tuple[dict[str, str], dict[str, list[Span]]]:
    """The unreached private modules (path -> reason), and the dead definitions (`dead_defs.py`)
    of the reached ones (path -> spans), among `wanted`. `parsed` keeps the modules' names
    (path -> names, from their summaries) between calls on the same files (flake8 asks file by
    file). `read` is not used any more: every name comes from the summaries."""
    modules: dict[str, tuple[str, dict]] = {}
    for path in sorted(summaries):
        if summaries[path]:
            modules.setdefault(module_name(path), (path, summaries[path]))
    candidates = {
        m
        for m in modules
        if (owner := _private_owner(m)) and owner in modules and (wanted is None or modules[m][0] in wanted)
    }
    if not candidates:
        return {}, {}
    known = set(modules)
    spawners = {m for m, (_, summary) in modules.items() if summary.get("spawns")}
    reached = set(spawners)
    imports = {m: _imports(m, path, summary, known) for m, (path, summary) in modules.items()}
    stack = list(spawners)  # 3: whatever a thread-starting module imports, directly or not
    while stack:
        for imported in imports[stack.pop()]:
            if imported not in reached:
                reached.add(imported)
                stack.append(imported)
    graph = _Graph(SymbolTable(modules))  # 2: the call graph of every thread entry
    quals: dict[str, set[str]] = {}
    for module, (_, summary) in modules.items():
        for _, ref_kind, text, scope, *_ in summary["entries"]:
            start = graph.resolve_ref(module, scope, ref_kind, text)
            if start is not None:
                for node in _reach(graph, start[0], start[1]):
                    reached.add(node[0])
                    quals.setdefault(node[0], set()).add(node[1])
    surface = set()
    for module in spawners:
        surface |= _surface(module, modules[module][1])
    facts = {}
    for module in sorted(candidates - reached):
        path = modules[module][0]
        words = module_names(modules[module][1])
        if words is not None and not words & surface:  # 4: it names what starts a thread
            facts[path] = f"{REASON} (`{module}`: private to `{_private_owner(module)}`, which starts no thread reaching it)"
    dead: dict[str, list[Span]] = {}
    parsed = {} if parsed is None else parsed
    for module in sorted(candidates & reached):
        path, summary = modules[module]
        recorded = summary.get("dead_defs")
        elsewhere = _project_names(module, modules, parsed)
        if recorded is not None and elsewhere is not None:
            live = quals.get(module, set()) | set(summary.get("spawns", []))
            spans = dead_spans(recorded, elsewhere, live)
            if spans:
                dead[path] = spans
    return facts, dead


def _project_names(
    module: str, modules: dict[str, tuple[str, dict]], parsed: dict[str, Optional[set[str]]]
) -> Optional[set[str]]:
    """The names the other modules of `module`'s project use (`dead_defs.py`, rule 4), from
    their summaries; None when one has none. The project is the owner package and everything under it."""
    owner = _private_owner(module)
    found: set[str] = set()
    for other, (path, summary) in modules.items():
        if other != module and (other == owner or other.startswith(f"{owner}.")):
            if path not in parsed:
                parsed[path] = module_names(summary)
            words = parsed[path]
            if words is None:
                return None
            found |= words
    return found
