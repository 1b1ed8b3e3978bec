"""Which file operations CRL301/CRL302 act on: in-scope sites, unlocked writes, per-path-locked files.

The rules ask it what to report and the fixes which writes to rewrite and which lock to take,
so it sits below both (fixes never import rules). Memoised on the context like `FileAnalysis`.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .file_writes import FileAnalysis, FileOp, Region, _argument, publish_target, walk_all

_CONSTRUCTORS = ("__init__", "__new__", "__post_init__")


def in_scope(op: FileOp) -> bool:
    """Code that runs concurrently: inside a (sync) function, outside `__main__` blocks, tests and
    script entry points.

    Constructors are skipped for attribute paths: the object is not shared with another
    thread yet, and a lock created there could not guard it anyway.
    """
    if op.path is None or op.function is None or op.in_main_guard or op.one_shot is not None:
        return False  # one short-lived caller: tests, a script's entry point (`analysis.one_shot`)
    if op.function.node.asynchronous is not None:
        return False  # one event-loop thread; a threading lock would block the loop
    if op.path.kind != "global" and op.function.name in _CONSTRUCTORS:
        return False
    return True


def unlocked_write(analysis: FileAnalysis, op: Optional[FileOp]) -> bool:
    return (
        op is not None
        and op.is_write
        and in_scope(op)
        and not analysis.effective_locks(op)
        and not analysis.escapes(op)
        and not analysis.async_only(op.function)
        and not analysis.caller_named(op)
        and not one_append(analysis, op)
        and not fixed_copy(analysis, op)
        and not built_only(analysis, op)
    )


#: methods that run while the object is built (unpickling builds one too): no other thread has it
_BUILDING = (*_CONSTRUCTORS, "__setstate__")


def built_only(analysis: FileAnalysis, op: FileOp) -> bool:
    """An attribute path written by a private method that only the object's construction calls.

    fsspec's `MMapCache._makefile()` is called by `__init__` and `__setstate__` alone: the write
    runs before any other thread can hold the object, as a write in `__init__` itself does (which
    `in_scope` already skips). Every mention of the method's name in the module must be a direct
    `self._m(...)` call from a constructor or `__setstate__` of its class (not from a nested def
    or lambda, which can run later; not stored, passed or called from elsewhere). As for the
    inherited-lock helpers, a subclass's call is seen only while the prefilter keeps its class.
    """
    function = op.function
    if (
        op.path is None
        or op.path.kind == "global"
        or function is None
        or function.parent is not None
        or function.class_node is None
        or function.kind != "instance"
        or not function.is_private
        or function.node.decorators
        or function.name in analysis._value_uses()
    ):
        return False
    sites = analysis.call_sites(function)
    if not sites or len(sites) != _mentions(analysis, function.name):
        return False
    for site in sites:
        caller, call = site.caller, site.call
        if (
            caller is None
            or site.in_lambda
            or caller.parent is not None
            or caller.class_node is not function.class_node
            or caller.name not in _BUILDING
            or not isinstance(call, cst.Call)
            or not isinstance(call.func, cst.Attribute)
            or not isinstance(call.func.value, cst.Name)
            or call.func.value.value != caller.receiver
        ):
            return False
    return True


def _mentions(analysis: FileAnalysis, name: str) -> int:
    """How many times the module names `name` as an attribute (`x.name`) or a plain name."""
    key = ("file_name_mentions", 0)
    memo = analysis.context.memo
    if key not in memo:
        counts: dict[str, int] = {}
        nodes = list(walk_all(analysis.context.module))
        named = {id(n.attr) for n in nodes if isinstance(n, cst.Attribute)}  # counted as the attribute
        named |= {id(n.name) for n in nodes if isinstance(n, (cst.FunctionDef, cst.ClassDef))}  # a definition
        for node in nodes:
            if isinstance(node, cst.Attribute):
                counts[node.attr.value] = counts.get(node.attr.value, 0) + 1
            elif isinstance(node, cst.Name) and id(node) not in named:
                counts[node.value] = counts.get(node.value, 0) + 1
        memo[key] = counts
    counts = memo[key]  # type: ignore[assignment]
    return counts.get(name, 0)  # type: ignore[union-attr]


def fixed_copy(analysis: FileAnalysis, op: FileOp) -> bool:
    """`shutil.copy(<a fixed file>, dst)`: every writer copies the same bytes to the same offsets,
    so two concurrent copies converge on the source's content (a late truncation is rewritten
    by the copy that made it). A fixed source names no parameter, no `self`/`cls` and no local
    that does: a file bundled with the package (`os.path.join(PACKAGE_DIR, "README")`),
    IPython's profile `README_STARTUP`. A reader can still see the copy half done (CRL302)."""
    if op.verb != "copy" or op.function is None:
        return False
    source = _argument(op.call, 0, "src")
    return source is not None and _fixed(analysis, source, op.function, set())


def one_append(analysis: FileAnalysis, op: FileOp) -> bool:
    """`with open(p, "a") as f: f.write(line)` (or `print(line, file=f)`): one line per open.

    An append-mode file is `O_APPEND`: the kernel puts each `write()` at the end of the file, and
    a local file system keeps one `write()` whole. The line is buffered and reaches the kernel as
    one `write()` when the `with` closes the file (text longer than the buffer is written
    through in one call), so two threads' lines cannot interleave and neither truncates the file.
    Not so for several writes, a `print` of several values or with `flush=True` (each can be its
    own `write()`), `a+` (it reads), a check of the file before appending (the rc-file shape:
    `path_locked_files`), or a file object used again.
    """
    if op.verb not in ("open", "path_open") or "a" not in op.mode or "+" in op.mode:
        return False
    found = op.with_item()
    if found is None:
        return False
    with_node, item = found
    if len(with_node.items) != 1 or item.asname is None or not isinstance(item.asname.name, cst.Name):
        return False
    name = item.asname.name.value
    body = with_node.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    lines = [s for s in statements if isinstance(s, cst.SimpleStatementLine)]
    if len(statements) != 1 or len(lines) != 1 or len(lines[0].body) != 1:
        return False
    expr = lines[0].body[0]
    if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
        return False
    call = expr.value
    if _one_line_write(call, name) is None:
        return False
    region = file_region(analysis, op)
    return region is not None and not region.read_first


def _one_line_write(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    """The one value `f.write(x)` / `print(x, file=f)` writes (the file used nowhere else), or None."""
    def mentions(node: cst.CSTNode) -> bool:
        return any(isinstance(n, cst.Name) and n.value == name for n in walk_all(node))

    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == name:
        if func.attr.value == "write" and len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
            return None if mentions(call.args[0]) else call.args[0].value
        return None
    if isinstance(func, cst.Name) and func.value == "print":
        positional = [a for a in call.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        target = keywords.get("file")
        if (
            len(positional) != 1
            or positional[0].star
            or not (isinstance(target, cst.Name) and target.value == name)
            or set(keywords) - {"file", "end"}
            or mentions(positional[0])
        ):
            return None
        return positional[0].value
    return None


def scope_id(op: FileOp) -> int:
    assert op.path is not None
    return id(op.path.scope) if op.path.scope is not None else 0


def _memo(analysis: FileAnalysis, name: str, compute):
    cache = analysis.context.memo
    key = (name, 0)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def file_region(analysis: FileAnalysis, op: FileOp) -> Optional[Region]:
    """`analysis.region(op)`, memoised: the rule and its fix both ask for it."""
    return _memo(analysis, f"file_region:{id(op.call)}", lambda: analysis.region(op))


def path_locked_files(analysis: FileAnalysis) -> set[tuple[int, str]]:
    """Files some code appends to after checking their content (the rc-file shape).

    Such check-then-append must be idempotent across threads *and processes*, so every
    write to that file in the class or module takes the helper module's per-path
    `locked(path)` (thread lock + `flock`, reentrant) instead of an in-process lock.
    """

    def compute() -> set[tuple[int, str]]:
        found = set()
        for op in analysis.ops:
            if unlocked_write(analysis, op) and op.is_append:
                region = file_region(analysis, op)
                if region is not None and region.read_first:
                    assert op.path is not None
                    found.add((scope_id(op), op.path.key))
        return found

    return _memo(analysis, "file_path_locked", compute)


def shared_temp_target(
    analysis: FileAnalysis, op: FileOp, region: Optional[Region]
) -> Optional[cst.BaseExpression]:
    """The target of a hand-written atomic save whose temp path does not derive from it
    (`os.path.join(self.folder, "save.tmp")` published at `self.folder / self.name`): every
    writer of the folder shares that temp file, whatever its target, so an instance lock
    cannot keep them apart. None for a temp path built from the target (`self.path + ".tmp"`)."""
    if region is None or region.publish is None or op.path is None:
        return None
    target = publish_target(region.publish)
    found = analysis.shared_path(target, op.function)
    target_key = found.key if found is not None else analysis.context.module.code_for_node(target)
    if _squeezed(target_key) in _squeezed(op.path.key):
        return None
    return target


def _squeezed(code: str) -> str:
    """Code without layout, so `a / b` and `a/b` compare equal."""
    return "".join(code.split())


def _fixed(analysis: FileAnalysis, expr: cst.BaseExpression, function, seen: set[str]) -> bool:
    """`expr` evaluates to the same value on every call: it reads no parameter and no local
    that does (locals followed through plain assignments); module names are taken as fixed."""
    bindings = analysis._function_bindings(function.node)
    params = analysis._params(function.node)
    keywords = {id(n.keyword) for n in walk_all(expr) if isinstance(n, cst.Arg) and n.keyword is not None}
    attributes = {id(n.attr) for n in walk_all(expr) if isinstance(n, cst.Attribute)}
    for node in walk_all(expr):
        if isinstance(node, (cst.Lambda, cst.Await, cst.Yield)):
            return False
        if not isinstance(node, cst.Name) or id(node) in keywords or id(node) in attributes:
            continue
        name = node.value
        if name in params:
            return False
        if name in bindings:
            if name in seen:
                return False
            values = [b.value for b in bindings[name] if isinstance(b, cst.Assign)]
            if len(values) != len(bindings[name]) or not all(
                _fixed(analysis, value, function, seen | {name}) for value in values
            ):
                return False
    return True
