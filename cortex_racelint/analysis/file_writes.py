"""Which calls write or read files, whether their path is shared, and what guards them.

Both CRL3 rules ask the same questions of a module, so one pass answers them all and
is memoised on the context:

* **file operations**: write-mode `open`/`io.open`/`<path>.open(mode)` (positional or
  `mode=`; `w`, `a`, `x`, `+`, binary forms), `<path>.write_text/write_bytes`, and the
  reads `open(p)`/`<path>.open()`/`read_text`/`read_bytes`; `<path>.exists()`-style
  checks are recorded too (they start a check-then-write sequence). Whatever is done
  with the file object (`json.dump(d, f)`, `yaml.safe_dump`, `pickle.dump`, `f.write`)
  belongs to the site of the `open`, so a site is the `open` (or `write_text`) call.
* **shared paths**: a path is shared across calls when it derives from `self.<attr>`,
  `cls.<attr>`, `ClassName.<attr>`, a module global, or a local assigned only from
  those (`path = self.cache_dir / "x.json"`). A function parameter is the caller's
  responsibility and a fresh `tempfile` path is private to the call, so neither is.
* **guards**: locks held at the site (everything `analysis.locks` knows, plus the
  atomic-write module's per-path `locked(path)`), and locks inherited by a private
  helper (`_save`, `self._save()`) every one of whose in-module calls holds a lock.
* **regions**: the statements a lock must cover: the write statement, extended to the
  last use of a file object bound by assignment, to the `os.replace` publishing a
  shared temp path, and back to an earlier read or existence check of the same file in
  the function (read-modify-write, check-then-append).
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from typing import Iterator, Optional

import libcst as cst

from .caller_locks import every_caller_holds
from .context import LintContext, _is_main_guard
from .lazyinit import walk_statements
from .names import dotted_name
from .one_shot import one_shot_reason
from .path_methods import not_pathlib_call
from .traverse import walk
from .traverse import children

#: open-like functions whose first argument is the path and second the mode
OPEN_FUNCTIONS = frozenset({"open", "io.open"})
READ_METHODS = frozenset({"read_text", "read_bytes"})
WRITE_METHODS = frozenset({"write_text", "write_bytes"})
CHECK_METHODS = frozenset({"exists", "is_file"})
CHECK_FUNCTIONS = frozenset({"os.path.exists", "os.path.isfile"})
PUBLISH_FUNCTIONS = frozenset({"os.replace", "os.rename", "shutil.move"})
#: copies that truncate and rewrite their destination (second argument) in place
COPY_FUNCTIONS = frozenset({"shutil.copyfile", "shutil.copy", "shutil.copy2"})
#: `os.open` flags that make the descriptor a writer (`O_RDWR` alone opens a tty or updates in
#: place without truncating: not counted, like the other precision trade-offs of the rule)
_WRITE_FLAGS = ("O_WRONLY", "O_APPEND", "O_TRUNC", "O_CREAT")
#: calls whose result is a path inside (or the same as) their first argument
PATH_BUILDERS = frozenset(
    {
        "os.path.join",
        "posixpath.join",
        "ntpath.join",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.expanduser",
        "os.path.normpath",
        "os.fspath",
        "os.fsencode",
        "os.fsdecode",
        "str",
        "pathlib.Path",
        "pathlib.PurePath",
        "pathlib.PosixPath",
    }
)
#: path methods whose result lives where their receiver does
PATH_METHODS = frozenset({"joinpath", "with_suffix", "with_name", "with_stem", "resolve", "absolute", "expanduser"})
REENTRANT_FACTORIES = frozenset({"threading.RLock", "multiprocessing.RLock", "_thread.RLock"})
#: text-mode and binary-mode spellings `atomic_write` accepts
ATOMIC_MODES = frozenset({"w", "wt", "tw", "wb", "bw", "x", "xt", "xb", "bx"})


@dataclass(frozen=True)
class SharedPath:
    """A file path that every call of the function resolves to the same file."""

    key: str  # canonical text of the path, locals substituted ("self.dir / 'x.json'")
    root: str  # the shared value it derives from ("self.dir", "CACHE_FILE")
    kind: str  # "instance" | "class" | "global"
    receiver: Optional[str]  # `self` / `cls` / `ClassName` for instance and class kinds
    scope: Optional[cst.ClassDef]  # the class whose attribute it is (None for globals)


@dataclass
class FunctionInfo:
    node: cst.FunctionDef
    parent: Optional["FunctionInfo"]  # enclosing function (closures)
    class_node: Optional[cst.ClassDef]  # set for methods (defined directly in a class body)
    kind: str  # "function" | "instance" | "class" | "static"
    receiver: Optional[str]  # the first parameter of instance and class methods

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def is_private(self) -> bool:
        return self.name.startswith("_") and not self.name.endswith("__")


@dataclass
class FileOp:
    """One call that writes, reads or checks a file."""

    call: cst.Call
    #: "open" | "path_open" | "os_open" | "copy" | "write_text" | "write_bytes" | "read_text" | "read_bytes" | "check"
    verb: str
    mode: str
    path_expr: cst.BaseExpression
    path: Optional[SharedPath]
    function: Optional[FunctionInfo]
    stack: tuple[cst.CSTNode, ...]  # ancestors, module first, the call last
    held: tuple[str, ...]  # lock keys held at the call
    held_exprs: dict[str, cst.BaseExpression]
    in_main_guard: bool
    #: why the code is not a service's (test code, a script's entry point: `analysis.one_shot`), or None
    one_shot: Optional[str] = None

    @property
    def is_write(self) -> bool:
        if self.verb in WRITE_METHODS or self.verb in ("copy", "os_open"):
            return True
        return self.verb in ("open", "path_open") and any(c in self.mode for c in "wax+")

    @property
    def is_read(self) -> bool:
        if self.verb in READ_METHODS:
            return True
        return self.verb in ("open", "path_open") and not self.is_write

    @property
    def is_append(self) -> bool:
        return self.verb in ("open", "path_open", "os_open") and "a" in self.mode

    def levels(self) -> list[tuple[cst.IndentedBlock, int]]:
        """(block, index) of each statement containing the call, innermost first, up to
        the enclosing function's body."""
        found: list[tuple[cst.IndentedBlock, int]] = []
        for position in range(len(self.stack) - 1, 0, -1):
            node, parent = self.stack[position], self.stack[position - 1]
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(parent, cst.IndentedBlock):
                index = next((i for i, stmt in enumerate(parent.body) if stmt is node), None)
                if index is not None:
                    found.append((parent, index))
        return found

    def with_item(self) -> Optional[tuple[cst.With, cst.WithItem]]:
        """`with <call> as f:` when the call is the item itself."""
        if len(self.stack) >= 3 and isinstance(self.stack[-2], cst.WithItem) and isinstance(self.stack[-3], cst.With):
            return self.stack[-3], self.stack[-2]
        return None


@dataclass
class Region:
    """Statements `block.body[start:end + 1]` a lock must cover."""

    block: cst.IndentedBlock
    start: int
    end: int
    read_first: bool = False  # starts at a read/check of the same file (read-modify-write)
    publishes: bool = False  # ends with `os.replace(tmp, ...)`: already an atomic publish
    publish: Optional[cst.Call] = None  # that `os.replace(tmp, target)` / `tmp.replace(target)` call

    @property
    def statements(self) -> list[cst.BaseStatement]:
        return list(self.block.body[self.start : self.end + 1])


def _bind(bindings: dict[str, list[cst.CSTNode]], target: cst.CSTNode, binding: cst.CSTNode) -> None:
    """Record what binds each name of an assignment target (a module function: a recursive
    closure would be a reference cycle holding the tree)."""
    if isinstance(target, cst.Name):
        bindings.setdefault(target.value, []).append(binding)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bind(bindings, element.value, cst.Pass())  # unpacked: not a plain assignment
    elif isinstance(target, cst.StarredElement):
        _bind(bindings, target.value, cst.Pass())


class _CallSite:
    """A call `self.m(...)` / `m(...)`; the locks held there are worked out only if asked."""

    def __init__(self, analysis: "FileAnalysis", stack: tuple[cst.CSTNode, ...], caller: Optional[FunctionInfo]) -> None:
        self._analysis = weakref.ref(analysis)  # the analysis owns its call sites: no cycle
        self._stack = stack
        self.caller = caller
        self._held: Optional[tuple[str, ...]] = None

    @property
    def held(self) -> tuple[str, ...]:
        if self._held is None:
            analysis = self._analysis()
            assert analysis is not None, "a call site outlived its FileAnalysis"
            self._held = analysis.held_at(self._stack, self.caller)[0]
        return self._held

    @property
    def call(self) -> cst.CSTNode:
        """The call node itself (what a caller matches a span's save call against)."""
        return self._stack[-1]

    @property
    def in_lambda(self) -> bool:
        """The call is inside a lambda (its caller is the function around the lambda: it runs later)."""
        return any(isinstance(node, cst.Lambda) for node in self._stack)

    def held_inside(self, block: cst.CSTNode) -> Optional[tuple[str, ...]]:
        """Lock keys held just inside `block`, an ancestor of the call; None when the call is not in it.
        (Locks taken between `block` and the call do not count: they do not cover the whole block.)"""
        position = next((i for i, node in enumerate(self._stack) if node is block), None)
        if position is None:
            return None
        analysis = self._analysis()
        assert analysis is not None, "a call site outlived its FileAnalysis"
        return analysis.held_at(self._stack[: position + 2], self.caller)[0]


class FileAnalysis:
    """File operations of one module, with their paths, guards and call graph."""

    def __init__(self, context: LintContext) -> None:
        self.context = context
        self.imports = context.imports
        self.locks = context.locks
        self.atomic_module = context.config.atomic_write_module
        self.ops: list[FileOp] = []
        self.by_call: dict[int, FileOp] = {}
        self.functions: dict[int, FunctionInfo] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        #: (id(class) or 0, function name) -> call sites `self.name(...)` / `name(...)`
        self.calls: dict[tuple[int, str], list[_CallSite]] = {}
        self._bindings: dict[int, dict[str, list[cst.CSTNode]]] = {}
        self._resolving: set[tuple[int, str]] = set()
        for stmt in context.module.body:
            if isinstance(stmt, cst.ClassDef):
                self.classes[stmt.name.value] = stmt
        _Collector(self).collect(context.module)

    def held_at(
        self, stack: tuple[cst.CSTNode, ...], function: Optional[FunctionInfo]
    ) -> tuple[tuple[str, ...], dict[str, cst.BaseExpression]]:
        """Lock keys held at `stack[-1]` (incl. the helper's `locked(path)`), and the expression of each."""
        held = list(self.locks.locks_held(stack))
        exprs: dict[str, cst.BaseExpression] = {}
        for index, ancestor in enumerate(stack[:-1]):
            if isinstance(ancestor, cst.With) and stack[index + 1] is ancestor.body:
                for item in ancestor.items:
                    if self.locks.is_lock(item.item):
                        exprs.setdefault(self.locks.lock_key(item.item), item.item)
                    locked_key = self.locked_call_key(item.item, function) if function is not None else None
                    if locked_key is not None:
                        held.append(locked_key)
                        exprs[locked_key] = item.item
        return tuple(dict.fromkeys(held)), exprs

    @classmethod
    def of(cls, context: LintContext) -> "FileAnalysis":
        key = ("file_analysis", 0)
        if key not in context.memo:
            context.memo[key] = cls(context)
        return context.memo[key]  # type: ignore[return-value]

    # -- recognising operations ------------------------------------------------
    def classify_call(self, call: cst.Call) -> Optional[tuple[str, str, cst.BaseExpression]]:
        """`(verb, mode, path expression)` for a file operation, else None."""
        func = call.func
        qualified = self.imports.qualify(func)
        if qualified in OPEN_FUNCTIONS and (qualified != "open" or "open" not in self.imports.aliases):
            path = _argument(call, 0, "file")
            mode = _argument(call, 1, "mode")
            mode_text = _string(mode) if mode is not None else "r"
            if path is None or mode_text is None:
                return None
            return "open", mode_text, path
        if qualified in CHECK_FUNCTIONS:
            path = _argument(call, 0, "path")
            return ("check", "", path) if path is not None else None
        if qualified in COPY_FUNCTIONS:
            path = _argument(call, 1, "dst")
            return ("copy", "w", path) if path is not None else None
        if qualified == "os.open":
            path, flags = _argument(call, 0, "path"), _argument(call, 1, "flags")
            if path is None or flags is None:
                return None
            text = self.context.module.code_for_node(flags)
            if not any(flag in text for flag in _WRITE_FLAGS):
                return None
            return "os_open", ("a" if "O_APPEND" in text else "w"), path
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        receiver = func.value
        root = dotted_name(receiver)
        if root is not None and root.split(".")[0] in self.imports.aliases:
            return None  # `os.open`, `gzip.open`, `webbrowser.open`: not a path method
        if method == "open":
            mode = _argument(call, 0, "mode")
            mode_text = _string(mode) if mode is not None else "r"
            return ("path_open", mode_text, receiver) if mode_text is not None else None
        if method in WRITE_METHODS or method in READ_METHODS:
            if not_pathlib_call(call, method):
                return None  # `fs.write_text(path, value, **kw)`: a file-system object, not a path
            return method, "", receiver
        if method in CHECK_METHODS and not call.args:
            return "check", "", receiver
        return None

    def one_shot(self, function: Optional[FunctionInfo]) -> Optional[str]:
        """`analysis.one_shot` for the outermost def (and its class) around `function`."""
        if function is None:
            return None
        outer = function
        while outer.parent is not None:
            outer = outer.parent
        return one_shot_reason(self.context, outer.node, outer.class_node)

    # -- shared paths ------------------------------------------------------------
    def shared_path(self, expr: cst.BaseExpression, function: Optional[FunctionInfo]) -> Optional[SharedPath]:
        refs: list[SharedPath] = []
        if not self._collect_refs(expr, function, refs):
            return None  # a fresh tempfile path
        if not refs:
            return None
        first = refs[0]
        key = " ".join(self._key_text(expr, function).split())
        return SharedPath(key, first.root, first.kind, first.receiver, first.scope)

    def _key_text(self, expr: cst.BaseExpression, function: Optional[FunctionInfo]) -> str:
        if isinstance(expr, cst.Name) and function is not None:
            value = self._local_value(expr.value, function)
            if value is not None:
                return self._key_text(value[0], value[1])
        return self.context.module.code_for_node(expr.with_changes(lpar=[], rpar=[]) if hasattr(expr, "lpar") else expr)

    def _collect_refs(self, node: cst.CSTNode, function: Optional[FunctionInfo], refs: list[SharedPath]) -> bool:
        """Append shared roots referenced by `node`; False if it holds a fresh temp path."""
        if isinstance(node, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return True
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Divide, cst.Add)):
            # `base / "x.json"`, `base + ".tmp"`: the folder decides, not the file name
            # (`destination / NAME` is the caller's folder; `self.dir / key` is shared)
            return self._collect_refs(node.left, function, refs) and not _has_tempfile(node.right, self, function)
        if isinstance(node, cst.Subscript):
            return self._collect_refs(node.value, function, refs)
        if isinstance(node, cst.Call):
            qualified = self.imports.qualify(node.func) or ""
            if qualified.startswith("tempfile."):
                return False
            builds_path = qualified in PATH_BUILDERS or (
                isinstance(node.func, cst.Attribute) and node.func.attr.value in PATH_METHODS
            )
            if builds_path:
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in PATH_METHODS:
                    base: Optional[cst.BaseExpression] = node.func.value
                else:
                    base = node.args[0].value if node.args and not node.args[0].star else None
                rest = [a.value for a in node.args if a.value is not base]
                if base is None or any(_has_tempfile(r, self, function) for r in rest):
                    return base is not None
                return self._collect_refs(base, function, refs)
            if isinstance(node.func, cst.Attribute) and not self._collect_refs(node.func.value, function, refs):
                return False
            return all(self._collect_refs(arg.value, function, refs) for arg in node.args)
        if isinstance(node, cst.Attribute):
            name = dotted_name(node)
            if name is None:
                return self._collect_refs(node.value, function, refs)
            head = name.split(".")[0]
            attribute = name.split(".")[1]
            receiver_kind = self._receiver_kind(head, function)
            if receiver_kind is not None:
                kind, class_node = receiver_kind
                if kind == "instance" and class_node is not None and attribute in self._temp_attributes(class_node):
                    return False  # `self.tmp = tempfile.mkdtemp()`: this object's own folder
                normal = "self" if kind == "instance" else head
                refs.append(SharedPath(name, f"{normal}.{attribute}", kind, head, class_node))
                return True
            if head in self.classes and not self._is_bound(head, function):
                refs.append(SharedPath(name, f"{head}.{attribute}", "class", head, self.classes[head]))
                return True
            return self._collect_name(head, function, refs)
        if isinstance(node, cst.Name):
            return self._collect_name(node.value, function, refs)
        if isinstance(node, cst.Arg):
            return self._collect_refs(node.value, function, refs)
        return all(self._collect_refs(child, function, refs) for child in children(node))

    def _collect_name(self, name: str, function: Optional[FunctionInfo], refs: list[SharedPath]) -> bool:
        scope = function
        while scope is not None:
            if name in self._params(scope.node):
                return True  # a parameter (or the receiver itself): not shared
            bindings = self._function_bindings(scope.node).get(name)
            if bindings:
                if any(isinstance(b, cst.Global) for b in bindings):
                    break
                if any(isinstance(b, cst.Nonlocal) for b in bindings):
                    scope = scope.parent
                    continue
                value = self._local_value(name, scope)
                if value is None:
                    return True  # loop variable, tuple target, ...: not a known shared value
                guard = (id(scope.node), name)
                if guard in self._resolving:
                    return True
                self._resolving.add(guard)
                try:
                    return self._collect_refs(value[0], value[1], refs)
                finally:
                    self._resolving.discard(guard)
            scope = scope.parent
        stmt = self.context.module_assignments.get(name)
        if isinstance(stmt, cst.SimpleStatementLine) and name not in self.imports.aliases:
            refs.append(SharedPath(name, name, "global", None, None))
        return True

    def _local_value(self, name: str, function: FunctionInfo) -> Optional[tuple[cst.BaseExpression, FunctionInfo]]:
        """The value of a local assigned only by plain `name = value` statements."""
        if name in self._params(function.node):
            return None
        bindings = self._function_bindings(function.node).get(name)
        if not bindings:
            return None
        values = []
        for binding in bindings:
            if isinstance(binding, cst.Assign) and all(isinstance(t.target, cst.Name) for t in binding.targets):
                values.append(binding.value)
            elif isinstance(binding, cst.AnnAssign) and binding.value is not None:
                values.append(binding.value)
            else:
                return None
        if not values:
            return None
        guard = (id(function.node), "value:" + name)
        if guard in self._resolving:
            return None
        self._resolving.add(guard)
        try:
            for value in values:
                refs: list[SharedPath] = []
                if not self._collect_refs(value, function, refs) or not refs:
                    return None
        finally:
            self._resolving.discard(guard)
        return values[0], function

    def _receiver_kind(
        self, name: str, function: Optional[FunctionInfo]
    ) -> Optional[tuple[str, Optional[cst.ClassDef]]]:
        """("instance"|"class", class) when `name` is the receiver of an enclosing method."""
        scope = function
        while scope is not None:
            if name in self._params(scope.node) or name in self._function_bindings(scope.node):
                if scope.receiver == name and scope.kind in ("instance", "class"):
                    return scope.kind, scope.class_node
                return None
            scope = scope.parent
        return None

    def _temp_attributes(self, class_node: cst.ClassDef) -> frozenset[str]:
        """`self.X` the class only ever assigns a fresh temp path (`tempfile.mkdtemp()`) to."""
        key = ("temp_attributes", id(class_node))
        if key not in self.context.memo:
            values: dict[str, list[cst.BaseExpression]] = {}
            for node in walk_all(class_node.body):
                if isinstance(node, cst.Assign):
                    for target in node.targets:
                        name = dotted_name(target.target)
                        if name is not None and name.count(".") == 1 and name.startswith("self."):
                            values.setdefault(name[5:], []).append(node.value)
            self.context.memo[key] = frozenset(
                name for name, assigned in values.items() if all(_has_tempfile(v, self) for v in assigned)
            )
        return self.context.memo[key]  # type: ignore[return-value]

    def _is_bound(self, name: str, function: Optional[FunctionInfo]) -> bool:
        scope = function
        while scope is not None:
            if name in self._params(scope.node) or name in self._function_bindings(scope.node):
                return True
            scope = scope.parent
        return False

    @staticmethod
    def _params(function: cst.FunctionDef) -> set[str]:
        params = function.params
        names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        return names

    def _function_bindings(self, function: cst.FunctionDef) -> dict[str, list[cst.CSTNode]]:
        cached = self._bindings.get(id(function))
        if cached is not None:
            return cached
        bindings: dict[str, list[cst.CSTNode]] = {}
        bind = functools.partial(_bind, bindings)
        for node in walk_statements(list(function.body.body)):
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    bind(target.target, node if isinstance(target.target, cst.Name) else cst.Pass())
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                bind(node.target, node)
            elif isinstance(node, (cst.For, cst.CompFor)):
                bind(node.target, node)
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                bind(node.asname.name, node)
            elif isinstance(node, cst.NamedExpr):
                bind(node.target, node)
            elif isinstance(node, cst.ExceptHandler) and node.name is not None:
                bind(node.name.name, node)
            elif isinstance(node, (cst.Global, cst.Nonlocal)):
                for item in node.names:
                    bindings.setdefault(item.name.value, []).append(node)
            elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    local = alias.asname.name if alias.asname is not None else alias.name
                    bind(cst.Name(dotted_name(local).split(".")[0]) if dotted_name(local) else local, node)
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not function:
                bind(node.name, node)
        self._bindings[id(function)] = bindings
        return bindings

    # -- guards --------------------------------------------------------------------
    def inherited_locks(self, function: Optional[FunctionInfo]) -> tuple[str, ...]:
        """Locks every in-module caller of a private helper holds when it calls it: the one
        caller-held-lock analysis (`analysis.caller_locks.every_caller_holds`), in this family's
        lock model (any lock, an instance's too, and the helper module's `locked(path)`)."""
        if function is None or not function.is_private or function.parent is not None:
            return ()
        held = every_caller_holds(self.context, function.node, self._held_by_caller, "file_writes")
        return tuple(sorted(held))

    def _held_by_caller(self, path: tuple[cst.CSTNode, ...], caller: Optional[cst.FunctionDef]) -> frozenset[str]:
        """A call from module or class level runs at import: it holds what it holds there."""
        return frozenset(self.held_at(path, self.functions.get(id(caller)) if caller is not None else None)[0])

    def async_only(self, function: Optional[FunctionInfo]) -> bool:
        """A private helper reached only by calls from `async def` code (or from helpers that are):
        it runs on the one event-loop thread, like its callers. A helper also used as a value
        (`run_in_executor(None, self._save)`, `Thread(target=self._save)`) runs elsewhere too."""
        if function is None or not function.is_private or function.parent is not None:
            return False
        key = ("async_only", id(function.node))
        memo = self.context.memo
        if key not in memo:
            memo[key] = False  # recursion guard
            sites = self.call_sites(function)
            memo[key] = (
                bool(sites)
                and function.name not in self._value_uses()
                and all(
                    site.caller is not None
                    and (site.caller.node.asynchronous is not None or self.async_only(site.caller))
                    for site in sites
                )
            )
        return memo[key]  # type: ignore[return-value]

    def _value_uses(self) -> frozenset[str]:
        """Names and attribute names the module uses other than by calling them."""
        key = ("file_value_uses", 0)
        if key not in self.context.memo:
            callees: set[int] = set()
            defined: set[int] = set()
            nodes = list(walk_all(self.context.module))
            for node in nodes:
                if isinstance(node, cst.Call):
                    callees.add(id(node.func))
                elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    defined.add(id(node.name))
                elif isinstance(node, cst.Attribute):
                    defined.add(id(node.attr))  # counted as the attribute, not as a name
            found: set[str] = set()
            for node in nodes:
                if isinstance(node, cst.Attribute) and id(node) not in callees:
                    found.add(node.attr.value)
                elif isinstance(node, cst.Name) and id(node) not in callees and id(node) not in defined:
                    found.add(node.value)
            self.context.memo[key] = frozenset(found)
        return self.context.memo[key]  # type: ignore[return-value]

    def caller_named(self, op: FileOp) -> bool:
        """`self.out = out` (a parameter) earlier in the writing method, on every path to the write:
        the file is the one this call's caller names, as with a parameter path (distributed's
        `write_scheduler_file(name)`: `if self.scheduler_file: raise ...; else: self.scheduler_file = name`)."""
        if op.path is None or op.path.kind != "instance" or op.function is None or op.function.parent is not None:
            return False
        levels = op.levels()
        if not levels:
            return False
        body, index = levels[-1]
        attribute = op.path.root.partition(".")[2]
        params = self._params(op.function.node)
        for stmt in body.body[:index]:
            for assign in _dominating_assignments(stmt):
                for target in assign.targets:
                    name = dotted_name(target.target)
                    if name is None or name.partition(".")[2] != attribute or name.partition(".")[0] != op.path.receiver:
                        continue
                    names = {n.value for n in walk_all(assign.value) if isinstance(n, cst.Name)}
                    refs: list[SharedPath] = []
                    if names & params and self._collect_refs(assign.value, op.function, refs) and not refs:
                        return True
        return False

    def call_sites(self, function: FunctionInfo) -> list[_CallSite]:
        scope = id(function.class_node) if function.class_node is not None else 0
        return self.calls.get((scope, function.name), [])

    def effective_locks(self, op: FileOp) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*op.held, *self.inherited_locks(op.function))))

    def is_reentrant(self, lock_key: str, class_node: Optional[cst.ClassDef]) -> bool:
        """`locked(path)` and RLocks may be taken again by the thread holding them."""
        if lock_key.startswith("locked:"):
            return True
        head, _, attribute = lock_key.partition(".")
        if not attribute:
            stmt = self.context.module_assignments.get(lock_key)
            return stmt is not None and _assigned_factory(stmt, lock_key, self) in REENTRANT_FACTORIES
        if class_node is None:
            return False
        for node in walk_all(class_node):
            if isinstance(node, cst.Assign) and len(node.targets) == 1:
                target = dotted_name(node.targets[0].target)
                if target and target.split(".")[-1] == attribute and isinstance(node.value, cst.Call):
                    return self.imports.qualify_call(node.value) in REENTRANT_FACTORIES
        return False

    def locked_call_key(self, expr: cst.BaseExpression, function: Optional[FunctionInfo]) -> Optional[str]:
        """`locked(<path>)` from the atomic-write module: a per-path, reentrant lock."""
        if not isinstance(expr, cst.Call) or not expr.args:
            return None
        if self.imports.qualify_call(expr) != f"{self.atomic_module}.locked":
            return None
        path = self.shared_path(expr.args[0].value, function)
        text = path.key if path is not None else self.context.module.code_for_node(expr.args[0].value)
        return f"locked:{text}"

    # -- regions -------------------------------------------------------------------
    def touches(self, stmt: cst.CSTNode, op: FileOp) -> bool:
        """Does `stmt` read or check `op`'s file, directly or via a helper of the class?"""
        assert op.path is not None
        for node in walk_statements([stmt]):
            if not isinstance(node, cst.Call):
                continue
            other = self.by_call.get(id(node))
            if other is not None and other.path is not None and other.path.key == op.path.key:
                if other.is_read or other.verb == "check":
                    return True
            helper = self.helper_called(node, op.function)
            if helper is not None and self.helper_reads(helper, op.path.key):
                return True
        return False

    def helper_called(self, call: cst.Call, function: Optional[FunctionInfo]) -> Optional[FunctionInfo]:
        """The method `self.m(...)` (or module function `m(...)`) a call runs."""
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and function is not None:
            if self._receiver_kind(func.value.value, function) is None:
                return None
            class_node = _outer_method(function).class_node
            for info in self.functions.values():
                if info.class_node is class_node and info.name == func.attr.value:
                    return info
        elif isinstance(func, cst.Name):
            for info in self.functions.values():
                if info.class_node is None and info.parent is None and info.name == func.value:
                    return info
        return None

    def helper_reads(self, helper: FunctionInfo, key: str) -> bool:
        return any(
            op.function is helper and op.path is not None and op.path.key == key and (op.is_read or op.verb == "check")
            for op in self.ops
        )

    def escapes(self, op: FileOp) -> bool:
        """The opened file object outlives the function: stored on an attribute or a
        global, returned or yielded. Its writes happen elsewhere; not analysed."""
        if op.verb not in ("open", "path_open", "os_open") or len(op.stack) < 2 or op.function is None:
            return False
        parent = op.stack[-2]
        if isinstance(parent, (cst.Return, cst.Yield)):
            return True
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is op.call:
            targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
            bindings = self._function_bindings(op.function.node)
            for target in targets:
                if not isinstance(target, cst.Name):
                    return True
                if any(isinstance(b, (cst.Global, cst.Nonlocal)) for b in bindings.get(target.value, [])):
                    return True
        return False

    def region(self, op: FileOp) -> Optional[Region]:
        """The statements a lock must cover for `op` (None if no run of statements does)."""
        levels = op.levels()
        if not levels or op.function is None:
            return None
        block, start = levels[0]
        end = start
        depth = 0
        bound = _bound_file_name(block.body[start], op.call) if op.verb in ("open", "path_open", "os_open") else None
        if bound is not None:
            # through the last use of `f = open(...)`, at the level that holds every use
            total = sum(1 for n in walk_all(op.function.node.body) if isinstance(n, cst.Name) and n.value == bound)
            for depth, (level_block, child_index) in enumerate(levels):
                last = _last_use(level_block, child_index, bound)
                covered = sum(
                    1
                    for stmt in level_block.body[child_index : last + 1]
                    for n in walk_all(stmt)
                    if isinstance(n, cst.Name) and n.value == bound
                )
                if covered >= total:
                    block, start, end = level_block, child_index, last
                    break
            else:
                return None
        publishes = False
        publish: Optional[cst.Call] = None
        if op.is_write:
            source = _text(op.path_expr)
            for later in range(end + 1, len(block.body)):
                publish = _publish_call(block.body[later], source, self)
                if publish is not None:
                    end, publishes = later, True
                    break
        region = Region(block, start, end, publishes=publishes, publish=publish)
        if op.is_write and op.path is not None:
            # an earlier read/check of the same file starts the region; the outermost wins
            for level_block, child_index in levels[depth:]:
                last = end if level_block is block else child_index
                first = start if level_block is block else child_index
                starts = [i for i in range(first) if self.touches(level_block.body[i], op)]
                child = level_block.body[child_index]
                if not starts and level_block is not block and isinstance(child, (cst.If, cst.While)):
                    if self.touches(child.test, op):  # `if not p.exists(): p.write_text(...)`
                        starts = [child_index]
                if starts:
                    region = Region(
                        level_block, starts[0], last, read_first=True, publishes=publishes, publish=publish
                    )
        return region


class _Collector(cst.CSTVisitor):
    """One pass recording file operations, functions and `self.m()` call sites."""

    def __init__(self, analysis: FileAnalysis) -> None:
        super().__init__()
        self.analysis = analysis
        self.stack: list[cst.CSTNode] = []
        self.function_stack: list[FunctionInfo] = []
        self.pending: list[tuple[cst.Call, tuple, Optional[FunctionInfo]]] = []

    def collect(self, module: cst.Module) -> None:
        walk(module, self.on_visit, self.on_leave)
        analysis = self.analysis
        # paths are resolved after the pass, when every function's bindings are known
        for call, stack, function in self.pending:
            found = analysis.classify_call(call)
            if found is None:
                continue
            verb, mode, path_expr = found
            if verb == "os_open" and _touch(analysis, call, stack):
                continue
            held, exprs = analysis.held_at(stack, function)
            main = any(isinstance(a, cst.If) and _is_main_guard(a.test) for a in stack[:-1])
            op = FileOp(
                call=call,
                verb=verb,
                mode=mode,
                path_expr=path_expr,
                path=analysis.shared_path(path_expr, function),
                function=function,
                stack=stack,
                held=held,
                held_exprs=exprs,
                in_main_guard=main,
                one_shot=analysis.one_shot(function),
            )
            analysis.ops.append(op)
            analysis.by_call[id(call)] = op

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        kind = type(node)  # exact types: LibCST's node classes are ABCs, slow to `isinstance`
        if kind is cst.FunctionDef:
            self._enter_function(node)  # type: ignore[arg-type]
        elif kind is cst.Call:
            self._call(node)  # type: ignore[arg-type]
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if type(original_node) is cst.FunctionDef:
            self.function_stack.pop()
        self.stack.pop()

    @property
    def receivers(self) -> set[str]:
        """Names that are `self`/`cls` of some enclosing method (a cheap test before `_receiver_kind`)."""
        return {info.receiver for info in self.function_stack if info.receiver is not None}

    def _enter_function(self, node: cst.FunctionDef) -> None:
        parent = self.function_stack[-1] if self.function_stack else None
        class_node = None
        stack = self.stack
        if len(stack) >= 3 and isinstance(stack[-2], cst.IndentedBlock) and isinstance(stack[-3], cst.ClassDef):
            class_node = stack[-3]
        kind, receiver = "function", None
        if class_node is not None:
            decorators = {dotted_name(d.decorator) for d in node.decorators}
            params = [*node.params.posonly_params, *node.params.params]
            if "staticmethod" in decorators:
                kind = "static"
            elif params:
                kind = "class" if ("classmethod" in decorators or node.name.value == "__new__") else "instance"
                receiver = params[0].name.value
            else:
                kind = "static"
        info = FunctionInfo(node, parent, class_node, kind, receiver)
        self.analysis.functions[id(node)] = info
        self.function_stack.append(info)

    def _call(self, node: cst.Call) -> None:
        """Remember the call; locks held and paths are worked out after the pass, for file operations only."""
        stack = tuple(self.stack)
        function = self.function_stack[-1] if self.function_stack else None
        analysis = self.analysis
        self.pending.append((node, stack, function))
        # call graph: `self.m(...)` in a method, `m(...)` anywhere
        func = node.func
        target: Optional[tuple[int, str]] = None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and function is not None:
            if func.value.value in self.receivers and analysis._receiver_kind(func.value.value, function) is not None:
                outer = _outer_method(function)
                if outer.class_node is not None:
                    target = (id(outer.class_node), func.attr.value)
        elif isinstance(func, cst.Name):
            target = (0, func.value)
        if target is not None:
            analysis.calls.setdefault(target, []).append(_CallSite(analysis, stack, function))


# -- small helpers ---------------------------------------------------------------
#: calls whose value differs on every call: a file name built from one is this caller's alone
UNIQUE_PREFIXES = ("tempfile.", "uuid.", "secrets.", "random.")
UNIQUE_CALLS = frozenset(
    {"os.getpid", "threading.get_ident", "threading.get_native_id", "time.time", "time.time_ns", "time.monotonic",
     "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns", "next", "os.urandom"}
)


def _touch(analysis: FileAnalysis, call: cst.Call, stack: tuple[cst.CSTNode, ...]) -> bool:
    """`os.close(os.open(p, O_CREAT | O_WRONLY))` without `O_TRUNC`: it makes an empty file or leaves
    an existing one as it was (a marker, `touch`), so two callers racing on it change nothing: no write."""
    flags = _argument(call, 1, "flags")
    if flags is None or "O_TRUNC" in analysis.context.module.code_for_node(flags):
        return False
    if len(stack) < 3 or not isinstance(stack[-2], cst.Arg) or not isinstance(stack[-3], cst.Call):
        return False
    closer = stack[-3]
    return analysis.imports.qualify(closer.func) == "os.close" and len(closer.args) == 1


def _has_tempfile(node: cst.CSTNode, analysis: FileAnalysis, function: Optional[FunctionInfo] = None) -> bool:
    """A fresh name: a `tempfile` path, or one made unique per call (a uuid, the time, the pid, a counter),
    also through a local every assignment of which is one (`fname = f"{os.getpid()}_{time.time()}"`;
    `fname + "-H"`)."""
    for n in walk_all(node):
        if isinstance(n, cst.Call):
            name = analysis.imports.qualify(n.func) or ""
            if name.startswith(UNIQUE_PREFIXES) or name in UNIQUE_CALLS or name.endswith((".now", ".utcnow")):
                return True
        elif isinstance(n, cst.Name) and function is not None and _unique_local(n.value, analysis, function):
            return True
    return False


def _unique_local(name: str, analysis: FileAnalysis, function: FunctionInfo) -> bool:
    """`name` is a local of `function` bound only by plain assignments of fresh names."""
    if name in analysis._params(function.node):
        return False
    bindings = analysis._function_bindings(function.node).get(name)
    if not bindings or not all(isinstance(b, cst.Assign) for b in bindings):
        return False
    guard = (id(function.node), "unique:" + name)
    if guard in analysis._resolving:
        return False
    analysis._resolving.add(guard)
    try:
        return all(_has_tempfile(b.value, analysis, function) for b in bindings)  # type: ignore[attr-defined]
    finally:
        analysis._resolving.discard(guard)


def _dominating_assignments(stmt: cst.CSTNode) -> Iterator[cst.Assign]:
    """Assignments in `stmt` that run whenever control passes it: the statement itself, or a
    branch of an `if` whose other branch cannot fall through (ends in `raise` or `return`)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        yield from (s for s in stmt.body if isinstance(s, cst.Assign))
    elif isinstance(stmt, cst.If) and isinstance(stmt.orelse, cst.Else):
        for branch, other in ((stmt.body, stmt.orelse.body), (stmt.orelse.body, stmt.body)):
            if _cannot_fall_through(other) and isinstance(branch, cst.IndentedBlock):
                for inner in branch.body:
                    yield from _dominating_assignments(inner)


def _cannot_fall_through(block: cst.BaseSuite) -> bool:
    last = block.body[-1] if isinstance(block, cst.IndentedBlock) and block.body else None
    if isinstance(block, cst.SimpleStatementSuite):
        last = block
    return isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and isinstance(
        last.body[-1], (cst.Raise, cst.Return)
    )


def walk_all(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def _outer_method(function: FunctionInfo) -> FunctionInfo:
    """The method a (possibly nested) function is defined in."""
    while function.parent is not None and function.class_node is None:
        function = function.parent
    return function


def _argument(call: cst.Call, position: int, keyword: str) -> Optional[cst.BaseExpression]:
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            return None
        if positional == position:
            return arg.value
        positional += 1
    return None


def _string(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        return node.evaluated_value
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _bound_file_name(stmt: cst.CSTNode, call: cst.Call) -> Optional[str]:
    """`f` in `f = open(...)` (not `with`: the block already spans the file's life)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        small = stmt.body[0]
        if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is call:
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
            if len(targets) == 1 and isinstance(targets[0], cst.Name):
                return targets[0].value
    return None


def _mentions(stmt: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in walk_all(stmt))


def _last_use(block: cst.IndentedBlock, index: int, name: str) -> int:
    last = index
    for later in range(index + 1, len(block.body)):
        if _mentions(block.body[later], name):
            last = later
    return last


def _text(expr: cst.BaseExpression) -> str:
    """An expression's code without its own parentheses or layout: `(self.path + ".tmp")` and
    `self.path+".tmp"` are the same path."""
    bare = expr.with_changes(lpar=[], rpar=[]) if getattr(expr, "lpar", None) else expr
    return "".join(cst.Module(body=[]).code_for_node(bare).split())


def _publish_call(stmt: cst.CSTNode, source: str, analysis: FileAnalysis) -> Optional[cst.Call]:
    """`os.replace(tmp, target)` / `tmp.replace(target)` / `tmp.rename(target)` moving the file
    written at `source` (compared as code, so `self.path + ".tmp"` spelt twice matches) elsewhere."""
    for node in walk_statements([stmt]):
        if not isinstance(node, cst.Call) or not node.args:
            continue
        if analysis.imports.qualify_call(node) in PUBLISH_FUNCTIONS and len(node.args) >= 2:
            if _text(node.args[0].value) == source and _text(node.args[1].value) != source:
                return node
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("replace", "rename"):
            if _text(func.value) == source and _text(node.args[0].value) != source:
                return node
    return None


def publish_target(call: cst.Call) -> cst.BaseExpression:
    """Where a publishing call (`_publish_call`) moves the file."""
    return call.args[1].value if isinstance(call.func, cst.Name) or len(call.args) >= 2 else call.args[0].value


def _assigned_factory(stmt: cst.CSTNode, name: str, analysis: FileAnalysis) -> Optional[str]:
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                if any(dotted_name(t.target) == name for t in small.targets):
                    return analysis.imports.qualify_call(small.value)
    return None


__all__ = ["FileAnalysis", "FileOp", "FunctionInfo", "Region", "SharedPath", "walk_all"]
