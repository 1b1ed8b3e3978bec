"""Thread entries that frameworks provide: code a library runs on its own threads.

A class that starts no thread of its own can still run on several: a request handler of a
threading server, a logging handler every logging thread calls, a FUSE file system, a
done-callback of an executor's future. The framework rows of `analysis.entry_table` (the one
table the project index reads too) say how each is recognised and what the framework
promises around it; users extend it with `[tool.racelint]
thread-entries` (`entries_from_config`). `analysis.threads` reads `class_entries` (methods
of a subclass) and `call_entry` (a callable handed to a call); the project-wide index reads
`module_thread_entries`.

Per entry (`ftypes.ThreadEntrySpec`):

* recognised by a base class and method names (`do_*` is a prefix, `*` every public
  method), or by a call and the position (or keyword) of the callable it is handed;
* `concurrent`: several calls run at the same time, each also with itself;
* `per_call`: a new object per call (a request handler per request), so only state shared
  across calls races: class attributes (`type(self).n`, `self.__class__.n`, `Handler.n`, a
  class-level container mutated through `self`) and the server's (`self.server.x`);
* `holds`: a lock the framework holds around the call (`Handler.handle()` takes
  `self.lock` around `emit()`), so the entry's own accesses are locked with it;
* `interrupts`: runs on the main thread by interrupting it (`signal.signal`,
  `atexit.register`): it races only with other thread entries, never with the caller side;
* `threaded_by`: the module must name one of these (a threading server) for the entry to
  run on threads; `unthreaded_by`: a call `(callable, keyword)` that runs it on one thread
  (`FUSE(ops, nothreads=True)`);
* `receiver_from`: the receiver must come from a call of this method (`.submit`: only an
  executor's future runs its done-callbacks on a worker thread; asyncio's run them on the loop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import libcst as cst

from ..ftypes import Config, ThreadEntrySpec
from .entry_table import FRAMEWORK_ENTRIES, method_matches
from .locks import LockAnalysis
from .names import ImportMap, dotted_name
from .traverse import children

#: the framework rows of the one thread-entry table (`analysis.entry_table`); the thread starts
#: (`Thread`, `Timer`, executor `submit`/`map`, `run_in_executor`, `asyncio.to_thread`) are its other
#: rows, read by `analysis.thread_syntax.thread_target`
BUILTIN_ENTRIES: tuple[ThreadEntrySpec, ...] = FRAMEWORK_ENTRIES

#: what the `ast` prefilter looks for (`analysis.ast_facts`): last names of the bases and calls
FRAMEWORK_BASE_NAMES = frozenset(base.rsplit(".", 1)[-1] for spec in BUILTIN_ENTRIES for base in spec.bases)
FRAMEWORK_CALL_NAMES = frozenset(spec.call.rsplit(".", 1)[-1] for spec in BUILTIN_ENTRIES if spec.call)
#: names that decide whether an entry runs on threads (a threading server, `FUSE(..., nothreads=True)`):
#: the statements naming them are kept when the prefilter narrows a module
FRAMEWORK_CONTEXT_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for spec in BUILTIN_ENTRIES for name in (*spec.threaded_by, spec.unthreaded_by[0]) if name
)
#: what the byte prefilter looks for (`SharedStateRule.EVIDENCE`): one of these is in any such file
FRAMEWORK_EVIDENCE = ("Handler", "Operations", "LoggingMixIn", "add_done_callback", "signal", "atexit", "callInThread", "deferToThread")

# -- configuration ------------------------------------------------------------------------------

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_METHOD = re.compile(r"^(\*|[A-Za-z_][A-Za-z0-9_]*\*?)$")
_KEYS = {"base", "methods", "call", "arg", "keyword", "concurrent", "per-call", "holds", "label"}
_BASE_ONLY = {"methods", "per-call", "holds"}
_CALL_ONLY = {"arg", "keyword"}


def entries_from_config(value: Any, where: str) -> tuple[ThreadEntrySpec, ...]:
    """`thread-entries = [{ base = "mylib.Worker", methods = ["run_job"] }, { call = "mylib.spawn", arg = 0 }]`.

    Raises ValueError with the entry's index and key named: a mistyped entry that silently
    matched nothing would hide the races it was added to find."""
    if not isinstance(value, list):
        raise ValueError(f"{where}: `thread-entries` must be a list of tables, got {value!r}")
    specs = []
    for index, item in enumerate(value):
        here = f"{where}: `thread-entries[{index}]`"
        if not isinstance(item, dict):
            raise ValueError(f"{here} must be a table like {{ base = \"pkg.Base\", methods = [\"run\"] }}, got {item!r}")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise ValueError(f"{here}: unknown key `{unknown[0]}` (known: {', '.join(sorted(_KEYS))})")
        if ("base" in item) == ("call" in item):
            raise ValueError(f"{here} needs exactly one of `base` (a class whose methods run on threads) or `call`")
        kind = "base" if "base" in item else "call"
        target = item[kind]
        if not isinstance(target, str) or not _DOTTED.match(target):
            raise ValueError(f"{here}: `{kind}` must be a dotted name like \"pkg.module.Name\", got {target!r}")
        wrong = sorted(set(item) & (_CALL_ONLY if kind == "base" else _BASE_ONLY))
        if wrong:
            raise ValueError(f"{here}: `{wrong[0]}` applies to a `{'call' if kind == 'base' else 'base'}` entry only")
        concurrent = _bool(item, "concurrent", True, here)
        label = item.get("label", "thread entry")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{here}: `label` must be a non-empty string, got {label!r}")
        if kind == "base":
            methods = item.get("methods")
            if not isinstance(methods, list) or not methods or not all(isinstance(m, str) and _METHOD.match(m) for m in methods):
                raise ValueError(f"{here}: `methods` must be a non-empty list of method names (`do_*` a prefix, `*` all), got {methods!r}")
            holds = item.get("holds", "")
            if not isinstance(holds, str) or (holds and not re.match(r"^self\.[A-Za-z_][A-Za-z0-9_]*$", holds)):
                raise ValueError(f"{here}: `holds` must name the object's lock as \"self.<attribute>\", got {holds!r}")
            specs.append(
                ThreadEntrySpec(
                    label=label, bases=(target,), methods=tuple(methods), concurrent=concurrent,
                    per_call=_bool(item, "per-call", False, here), holds=holds,
                )
            )
        else:
            arg = item.get("arg", 0)
            if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
                raise ValueError(f"{here}: `arg` must be the callable's position, an integer >= 0, got {arg!r}")
            keyword = item.get("keyword", "")
            if not isinstance(keyword, str) or (keyword and not keyword.isidentifier()):
                raise ValueError(f"{here}: `keyword` must be a parameter name, got {keyword!r}")
            specs.append(ThreadEntrySpec(label=label, call=target, arg=arg, keyword=keyword, concurrent=concurrent))
    return tuple(specs)


def _bool(item: dict, key: str, default: bool, here: str) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{here}: `{key}` must be true or false, got {value!r}")
    return value


def entry_table(config: Optional[Config]) -> tuple[ThreadEntrySpec, ...]:
    """The built-in entries, then the project's."""
    return BUILTIN_ENTRIES + (config.thread_entries if config is not None else ())


def config_evidence(config: Optional[Config]) -> tuple[str, ...]:
    """Text one of which a file must hold to use a configured entry (the prefilter's check)."""
    if config is None:
        return ()
    return tuple(sorted({(s.bases[0] if s.bases else s.call).rsplit(".", 1)[-1] for s in config.thread_entries}))


# -- recognising entries -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassEntry:
    """A method of a class that a framework runs on its threads."""

    method: str
    spec: ThreadEntrySpec


def class_spec(module: cst.Module, imports: ImportMap, class_node: cst.ClassDef, table: tuple[ThreadEntrySpec, ...]) -> Optional[ThreadEntrySpec]:
    """The table entry whose base the class derives from (through this module's classes), if any
    and if it runs on threads here (`threaded_by`, `unthreaded_by`)."""
    classes = {c.name.value: c for c in module.body if isinstance(c, cst.ClassDef)}
    pending, seen = [class_node], set()
    while pending:
        node = pending.pop()
        if node.name.value in seen:
            continue
        seen.add(node.name.value)
        for base in node.bases:
            qualified = imports.qualify(base.value) or dotted_name(base.value) or ""
            for spec in table:
                if qualified in spec.bases and _threaded_here(module, imports, spec, class_node):
                    return spec
            local = dotted_name(base.value) or ""
            if local in classes:
                pending.append(classes[local])
    return None


def class_entries(module: cst.Module, imports: ImportMap, class_node: cst.ClassDef, config: Optional[Config], methods: list[str]) -> list[ClassEntry]:
    """The methods (among `methods`) of `class_node` a framework runs on its threads."""
    spec = class_spec(module, imports, class_node, entry_table(config))
    if spec is None:
        return []
    if spec.per_call:  # the object lives on the request's thread: all of its code runs there
        return [ClassEntry(name, spec) for name in methods]
    return [ClassEntry(name, spec) for name in methods if method_matches(name, spec.methods)]


def _threaded_here(module: cst.Module, imports: ImportMap, spec: ThreadEntrySpec, class_node: cst.ClassDef) -> bool:
    if spec.threaded_by and not (_names_used(module, imports) & set(spec.threaded_by)):
        return False
    callee, keyword = spec.unthreaded_by
    if callee:
        for node in _walk(module):
            if isinstance(node, cst.Call) and (imports.qualify(node.func) or "") == callee and _single_threaded(node, keyword, class_node):
                return False
    return True


def _single_threaded(call: cst.Call, keyword: str, class_node: cst.ClassDef) -> bool:
    """`FUSE(Ops(), mnt, nothreads=True)`: true for this class (or an argument we cannot name)."""
    flag = next((a for a in call.args if a.keyword is not None and a.keyword.value == keyword), None)
    if flag is None or dotted_name(flag.value) in ("False", "None") or (isinstance(flag.value, cst.Integer) and flag.value.value == "0"):
        return False
    first = call.args[0].value if call.args and call.args[0].keyword is None else None
    if isinstance(first, cst.Call):
        return dotted_name(first.func) == class_node.name.value
    return True


def _names_used(module: cst.Module, imports: ImportMap) -> set[str]:
    found = set()
    for node in _walk(module):
        if isinstance(node, (cst.Name, cst.Attribute)):
            qualified = imports.qualify(node)
            if qualified:
                found.add(qualified)
    return found


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def call_entry(
    call: cst.Call, imports: ImportMap, table: tuple[ThreadEntrySpec, ...], function: Optional[cst.FunctionDef] = None
) -> Optional[tuple[ThreadEntrySpec, cst.BaseExpression]]:
    """(entry, the callable) when `call` hands a callable to a framework that runs it on a thread."""
    for spec in table:
        if not spec.call:
            continue
        if spec.call.startswith("."):
            if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == spec.call[1:]):
                continue
            if spec.receiver_from and not _bound_from(call.func.value, spec.receiver_from, function):
                continue
        elif (imports.qualify(call.func) or "") != spec.call:
            continue
        target = _argument(call, spec.arg, spec.keyword)
        if target is not None:
            return spec, target
    return None


def _argument(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if keyword and arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position].value if len(positional) > position else None


def _bound_from(receiver: cst.BaseExpression, method: str, function: Optional[cst.FunctionDef]) -> bool:
    """`ex.submit(f).add_done_callback(cb)`, or `fut = ex.submit(f)` earlier in the same function."""
    if isinstance(receiver, cst.Call):
        return isinstance(receiver.func, cst.Attribute) and receiver.func.attr.value == method
    if not isinstance(receiver, cst.Name) or function is None:
        return False
    for node in _walk(function):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            if any(isinstance(t.target, cst.Name) and t.target.value == receiver.value for t in node.targets):
                func = node.value.func
                if isinstance(func, cst.Attribute) and func.attr.value == method:
                    return True
    return False


class ObjectAsLock(LockAnalysis):
    """The module's lock analysis, reading `self.acquire()` / `self.release()` as the object's own
    lock (a logging handler's `acquire()` takes the `self.lock` its framework holds around `emit()`)."""

    def __init__(self, base: LockAnalysis, self_names: frozenset[str]) -> None:
        super().__init__(base.imports, base.inventory)
        self.self_names = self_names

    def is_lock(self, node: cst.BaseExpression) -> bool:
        return (isinstance(node, cst.Name) and node.value in self.self_names) or super().is_lock(node)


# -- for the project-wide index ------------------------------------------------------------------


@dataclass(frozen=True)
class FoundEntry:
    """One framework thread entry of a module: `owner` is the class (None for a module function)."""

    owner: Optional[str]
    function: str
    spec: ThreadEntrySpec
    node: cst.CSTNode  # the method's FunctionDef, or the call handing the callable over


def module_thread_entries(module: cst.Module, config: Optional[Config] = None, imports: Optional[ImportMap] = None) -> list[FoundEntry]:
    """Every framework thread entry of `module`: methods of framework subclasses, and callables
    (`self.m`, a module function, a local function) handed to a framework call."""
    imports = imports or ImportMap.from_module(module)
    table = entry_table(config)
    found: list[FoundEntry] = []
    for node in module.body:
        if isinstance(node, cst.ClassDef):
            defs = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)} if isinstance(node.body, cst.IndentedBlock) else {}
            for entry in class_entries(module, imports, node, config, list(defs)):
                found.append(FoundEntry(node.name.value, entry.method, entry.spec, defs[entry.method]))
    owners = _function_owners(module)
    for call, function, owner in owners:
        hit = call_entry(call, imports, table, function)
        if hit is None:
            continue
        spec, target = hit
        name = dotted_name(target)
        if name is None:
            continue
        head, _, rest = name.partition(".")
        if owner is not None and function is not None and rest and function.params.params and head == function.params.params[0].name.value:
            found.append(FoundEntry(owner, rest, spec, call))
        elif not rest:
            found.append(FoundEntry(None, name, spec, call))
    return found


def _function_owners(module: cst.Module) -> list[tuple[cst.Call, Optional[cst.FunctionDef], Optional[str]]]:
    """Each call with its enclosing top-level function or method and the method's class."""
    out: list[tuple[cst.Call, Optional[cst.FunctionDef], Optional[str]]] = []

    def visit(node: cst.CSTNode, function: Optional[cst.FunctionDef], owner: Optional[str]) -> None:
        for child in children(node):
            if isinstance(child, cst.ClassDef):
                visit(child, None, child.name.value)
            elif isinstance(child, cst.FunctionDef):
                visit(child, function or child, owner if function is None else owner)
            else:
                if isinstance(child, cst.Call):
                    out.append((child, function, owner))
                visit(child, function, owner)

    visit(module, None, None)
    return out
