"""CRL3xx: writes to shared files outside a lock, and reads that skip the writers' lock.

Both rules read `analysis.file_writes.FileAnalysis` (one pass per module, memoised):
which calls write or read a file, whether the path is shared across calls, which locks
guard each call (directly, or through every caller of a private helper), and which
statements a lock must cover. The fix style comes from `file-write-fix`:

* `lock`: wrap the write (and, through CRL302, the reads) in a lock;
* `atomic`: rewrite the write to the atomic-write helpers (temp file + `os.replace`);
* `lock+atomic` (default): both.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..analysis.file_writes import ATOMIC_MODES, FileAnalysis, FileOp, Region, walk_all
from ..analysis.lazyinit import walk_statements
from ..analysis.names import dotted_name
from ..fixes.blocks import replace_in, wrap_statements
from ..fixes.locks import class_lock, instance_lock_after_guard, lock_name_for, module_lock
from ..ftypes import FixApplicability, GilExposure
from ..rule import AddImport, Fix, Invalid, Rule, Valid, WindowNodes

_CONSTRUCTORS = ("__init__", "__new__", "__post_init__")
_COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


# -- which operations the rules look at -----------------------------------------------
def _in_scope(op: FileOp) -> bool:
    """Code that runs concurrently: inside a (sync) function, outside `__main__` blocks.

    Constructors are skipped for attribute paths: the object is not shared with another
    thread yet, and a lock created there could not guard it anyway.
    """
    if op.path is None or op.function is None or op.in_main_guard:
        return False
    if op.function.node.asynchronous is not None:
        return False  # one event-loop thread; a threading lock would block the loop
    if op.path.kind != "global" and op.function.name in _CONSTRUCTORS:
        return False
    return True


def unlocked_write(analysis: FileAnalysis, op: Optional[FileOp]) -> bool:
    return (
        op is not None
        and op.is_write
        and _in_scope(op)
        and not analysis.effective_locks(op)
        and not analysis.escapes(op)
    )


def _scope_id(op: FileOp) -> int:
    assert op.path is not None
    return id(op.path.scope) if op.path.scope is not None else 0


def _memo(analysis: FileAnalysis, name: str, compute):
    cache = analysis.context.memo
    key = (name, 0)
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _region(analysis: FileAnalysis, op: FileOp) -> Optional[Region]:
    return _memo(analysis, f"file_region:{id(op.call)}", lambda: analysis.region(op))


def _path_locked(analysis: FileAnalysis) -> set[tuple[int, str]]:
    """Files some code appends to after checking their content (the rc-file shape).

    Such check-then-append must be idempotent across threads *and processes*, so every
    write to that file in the class or module takes the helper module's per-path
    `locked(path)` (thread lock + `flock`, reentrant) instead of an in-process lock.
    """

    def compute() -> set[tuple[int, str]]:
        found = set()
        for op in analysis.ops:
            if unlocked_write(analysis, op) and op.is_append:
                region = _region(analysis, op)
                if region is not None and region.read_first:
                    assert op.path is not None
                    found.add((_scope_id(op), op.path.key))
        return found

    return _memo(analysis, "file_path_locked", compute)


# -- building fixes ----------------------------------------------------------------------
def _unparenthesised(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, (cst.Tuple, cst.Yield)) or not getattr(expr, "lpar", None):
        return expr.deep_clone()
    return expr.deep_clone().with_changes(lpar=[], rpar=[])


def _arguments_fit(call: cst.Call, max_positional: int, keywords: set[str]) -> bool:
    positional = 0
    for arg in call.args:
        if arg.star:
            return False
        if arg.keyword is None:
            positional += 1
        elif arg.keyword.value not in keywords:
            return False
    return positional <= max_positional


def _is_expression_statement(op: FileOp) -> bool:
    return (
        len(op.stack) >= 3
        and isinstance(op.stack[-2], cst.Expr)
        and isinstance(op.stack[-3], cst.SimpleStatementLine)
        and len(op.stack[-3].body) == 1
    )


def atomic_call(analysis: FileAnalysis, op: FileOp) -> Optional[tuple[cst.Call, str]]:
    """The atomic-helper spelling of a write, and the helper's name, when one fits.

    `with open(p, "w", encoding=e) as f:` -> `with atomic_write(p, "w", encoding=e) as f:`;
    `p.write_text(s)` -> `atomic_write_text(p, s)`; `p.write_bytes(b)` -> `atomic_write_bytes(p, b)`.
    Appends, `+` modes, `errors=`/`buffering=`, and file objects not scoped by a `with`
    (or a `write_text` whose result is used) have no atomic form.
    """
    call = op.call
    if op.verb == "open" and op.with_item() is not None and op.mode in ATOMIC_MODES:
        if _arguments_fit(call, 2, {"mode", "encoding", "newline"}):
            return call.with_changes(func=cst.Name("atomic_write")), "atomic_write"
    if op.verb == "path_open" and op.with_item() is not None and op.mode in ATOMIC_MODES:
        if _arguments_fit(call, 1, {"mode", "encoding", "newline"}):
            args = [cst.Arg(_unparenthesised(op.path_expr), comma=_COMMA), *call.args]
            return call.with_changes(func=cst.Name("atomic_write"), args=args), "atomic_write"
    if op.verb in ("write_text", "write_bytes") and _is_expression_statement(op):
        fits = (
            _arguments_fit(call, 2, {"data", "encoding", "newline"})
            if op.verb == "write_text"
            else _arguments_fit(call, 1, {"data"})
        )
        if fits and call.args:
            helper = "atomic_write_text" if op.verb == "write_text" else "atomic_write_bytes"
            args = [cst.Arg(_unparenthesised(op.path_expr), comma=_COMMA), *call.args]
            return call.with_changes(func=cst.Name(helper), args=args), helper
    return None


def _binds(stmt: cst.CSTNode, name: str) -> bool:
    for node in walk_statements([stmt]):
        targets = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            return True
    return False


def _path_argument(analysis: FileAnalysis, op: FileOp, region: Region) -> cst.BaseExpression:
    """The path for `locked(...)`: as written, unless it is a local the region assigns."""
    expr = op.path_expr
    if isinstance(expr, cst.Name) and op.function is not None:
        if any(_binds(stmt, expr.value) for stmt in region.statements):
            value = analysis._local_value(expr.value, op.function)
            if value is not None:
                return _unparenthesised(value[0])
    return _unparenthesised(expr)


def _locked_expr(analysis: FileAnalysis, path: cst.BaseExpression) -> tuple[cst.Call, list]:
    module = analysis.atomic_module
    return cst.Call(func=cst.Name("locked"), args=[cst.Arg(path)]), [AddImport(module, "locked")]


def write_lock(
    analysis: FileAnalysis, op: FileOp, region: Region
) -> tuple[cst.BaseExpression, list, str, bool]:
    """(lock expression, edits, lock key, already exists) for a write site."""
    context = analysis.context
    path = op.path
    assert path is not None and op.function is not None
    if (_scope_id(op), path.key) in _path_locked(analysis):
        lock, edits = _locked_expr(analysis, _path_argument(analysis, op, region))
        return lock, edits, f"locked:{path.key}", True
    if path.kind == "instance" and path.scope is not None and path.receiver:
        lock, edits = instance_lock_after_guard(context, path.scope, receiver=path.receiver)
        key = dotted_name(lock) or ""
        return lock, edits, key, not edits
    if path.kind == "class" and path.scope is not None and path.receiver:
        attribute = path.root.split(".", 1)[1]
        name = lock_name_for(attribute)
        edits = class_lock(context, path.scope, name, attribute)
        return cst.Attribute(cst.Name(path.receiver), cst.Name(name)), edits, f"{path.receiver}.{name}", not edits
    name = lock_name_for(path.root.split(".")[0]).lower()
    existed = name in analysis.locks.inventory.module_locks
    lock, edits = module_lock(context, name, path.root.split(".")[0])
    return lock, edits, name, existed


def _same_key(a: str, b: str) -> bool:
    """Lock keys equal up to the receiver's spelling (`self._lock` vs `me._lock`)."""
    if a == b:
        return True
    if "." in a and "." in b and not a.startswith("locked:"):
        return a.split(".", 1)[1] == b.split(".", 1)[1]
    return False


def deadlock_reason(
    analysis: FileAnalysis, op: FileOp, region: Region, key: str, exists: bool
) -> Optional[str]:
    """Why wrapping would self-deadlock on an existing non-reentrant lock, if it would."""
    if not exists or op.function is None:
        return None
    class_node = op.path.scope if op.path is not None else None
    if analysis.is_reentrant(key, class_node):
        return None
    for site in analysis.call_sites(op.function):
        if any(_same_key(key, held) for held in site.held):
            caller = site.caller.name if site.caller is not None else "module code"
            return (
                f"`{op.function.name}()` is called from `{caller}()` with `{key}` held; "
                "a second acquire would deadlock"
            )
    for stmt in region.statements:
        for node in walk_statements([stmt]):
            if isinstance(node, cst.Call):
                helper = analysis.helper_called(node, op.function)
                if helper is not None and _takes(analysis, helper, key):
                    return f"`{helper.name}()`, called inside, takes `{key}` itself; wrapping would deadlock"
    return None


def _takes(analysis: FileAnalysis, helper, key: str) -> bool:
    for node in walk_all(helper.node):
        if isinstance(node, cst.With):
            for item in node.items:
                if analysis.locks.is_lock(item.item) and _same_key(analysis.locks.lock_key(item.item), key):
                    return True
    return False


class _DropInnerLock(cst.CSTTransformer):
    """Inside the new `with <lock>:`, a nested `with <same lock>:` is redundant, and a
    deadlock for a plain Lock: keep its body (or its other items)."""

    def __init__(self, analysis: FileAnalysis, op: FileOp, key: str) -> None:
        super().__init__()
        self.analysis, self.op, self.key = analysis, op, key
        self.kept = 0  # nested acquisitions that could not be dropped

    def _same(self, expr: cst.BaseExpression) -> bool:
        locks = self.analysis.locks
        found = self.analysis.locked_call_key(expr, self.op.function)
        if found is None and locks.is_lock(expr):
            found = locks.lock_key(expr)
        return found is not None and _same_key(found, self.key)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested def runs later, without the lock

    def leave_With(self, original_node: cst.With, updated_node: cst.With):  # type: ignore[override]
        kept = [item for item in updated_node.items if not self._same(item.item)]
        if len(kept) == len(updated_node.items):
            return updated_node
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated_node.with_changes(items=kept)
        body = updated_node.body
        if isinstance(body, cst.SimpleStatementSuite):
            line = cst.SimpleStatementLine(body=list(body.body), trailing_whitespace=body.trailing_whitespace)
            statements: list = [line]
            header = None
        else:
            assert isinstance(body, cst.IndentedBlock)
            statements = list(body.body)
            header = body.header.comment
        if not statements:
            self.kept += 1
            return updated_node
        moved_comment = []
        if header is not None:  # `with lock:  # why` -> `# why` above the first statement
            moved_comment = [cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(""), comment=header)]
        statements[0] = statements[0].with_changes(
            leading_lines=[*updated_node.leading_lines, *moved_comment, *statements[0].leading_lines]
        )
        return cst.FlattenSentinel(statements)


def wrap_region(
    region: Region,
    lock: cst.BaseExpression,
    inner: dict[cst.CSTNode, cst.CSTNode],
    unlock: Optional[_DropInnerLock] = None,
) -> dict[cst.CSTNode, object]:
    statements = region.statements
    moved = [replace_in(stmt, inner) for stmt in statements]
    if unlock is not None:
        moved = [m for stmt in moved for m in _flatten(stmt.visit(unlock))]
        if unlock.kept:
            return {}
    replacements: dict[cst.CSTNode, object] = {statements[0]: wrap_statements(lock, moved)}
    for stmt in statements[1:]:
        replacements[stmt] = cst.RemoveFromParent()
    return replacements


def _flatten(result) -> list:
    if isinstance(result, cst.FlattenSentinel):
        return list(result.nodes)
    if isinstance(result, cst.RemovalSentinel):
        return []
    return [result]


def _no_lock_reason(op: FileOp, region: Optional[Region]) -> Optional[str]:
    if region is None:
        if not op.levels():
            return "the write is not a statement of its own (inside a lambda or comprehension)"
        return "the file object is used beyond the statements one lock could wrap"
    return None


def write_fix(analysis: FileAnalysis, op: FileOp) -> tuple[Optional[Fix], Optional[str]]:
    style = analysis.context.config.file_write_fix
    want_atomic = style in ("atomic", "lock+atomic")
    region = _region(analysis, op)
    assert op.path is not None
    path_locked = (_scope_id(op), op.path.key) in _path_locked(analysis)
    publishes = region is not None and region.publishes
    atomic = atomic_call(analysis, op) if want_atomic and not publishes else None
    module = analysis.atomic_module
    if style == "atomic" and atomic is not None and not path_locked:
        new_call, helper = atomic
        return (
            Fix(
                f"Write `{op.path.key}` atomically with `{helper}` (temp file + os.replace)",
                {op.call: new_call},
                [AddImport(module, helper)],
                FixApplicability.UNSAFE,
            ),
            None,
        )
    reason = _no_lock_reason(op, region)
    if reason is not None:
        return None, reason
    assert region is not None
    lock, edits, key, exists = write_lock(analysis, op, region)
    reason = deadlock_reason(analysis, op, region, key, exists)
    if reason is not None:
        return None, reason
    inner: dict[cst.CSTNode, cst.CSTNode] = {}
    helpers: list[str] = []
    if want_atomic and not publishes:
        for stmt in region.statements:
            for node in walk_statements([stmt]):
                other = analysis.by_call.get(id(node)) if isinstance(node, cst.Call) else None
                if other is not None and unlocked_write(analysis, other):
                    found = atomic_call(analysis, other)
                    if found is not None:
                        inner[other.call] = found[0]
                        helpers.append(found[1])
    edits = [*edits, *(AddImport(module, helper) for helper in dict.fromkeys(helpers))]
    lock_text = analysis.context.module.code_for_node(lock)
    message = f"Hold `{lock_text}` around the write" + (" and write atomically" if inner else "")
    if region.read_first:
        message = f"Hold `{lock_text}` from the read through the write" + (" and write atomically" if inner else "")
    applicability = FixApplicability.UNSAFE if inner else FixApplicability.SAFE
    unlock = _DropInnerLock(analysis, op, key)
    replacements = wrap_region(region, lock, inner, unlock)
    if not replacements:
        return None, f"`{lock_text}` is already taken inside; a second acquire would deadlock"
    return Fix(message, replacements, edits, applicability), None


def _describe(op: FileOp) -> str:
    if op.verb in ("open", "path_open"):
        prefix = "open" if op.verb == "open" else ".open"
        return f'{prefix}(..., "{op.mode}")'
    return f".{op.verb}()"


# -- CRL302 helpers ----------------------------------------------------------------------
def _writer_locks(analysis: FileAnalysis, reader: FileOp) -> list[tuple[FileOp, str]]:
    """Each in-place write of the reader's file under a lock (same class/module), with
    the lock it holds (the per-path `locked` first, else the outermost)."""
    assert reader.path is not None
    found = []
    for op in analysis.ops:
        if not op.is_write or op.path is None or op.function is None or op.in_main_guard:
            continue
        if op.path.key != reader.path.key or op.path.scope is not reader.path.scope:
            continue
        held = analysis.effective_locks(op)
        if held:
            locked = [key for key in held if key.startswith("locked:")]
            found.append((op, (locked or list(held))[0]))
    return found


def _receiver_for(analysis: FileAnalysis, op: FileOp) -> Optional[str]:
    function = op.function
    while function is not None and function.class_node is None:
        function = function.parent
    if function is None or function.class_node is None:
        return None
    if function.receiver:
        return function.receiver
    return function.class_node.name.value


def _reader_lock(
    analysis: FileAnalysis, writer: FileOp, key: str, reader: FileOp
) -> tuple[Optional[cst.BaseExpression], list, str]:
    """The writer's lock spelt for the reader's function (None if it cannot be)."""
    if key.startswith("locked:"):
        lock, edits = _locked_expr(analysis, _unparenthesised(reader.path_expr))
        return lock, edits, key
    expr = writer.held_exprs.get(key)
    text = dotted_name(expr) if expr is not None else key
    if not text or not all(part.isidentifier() for part in text.split(".")):
        return None, [], key
    head, _, rest = text.partition(".")
    if rest:
        writer_receiver = _receiver_for(analysis, writer)
        class_node = reader.path.scope if reader.path is not None else None
        if head == writer_receiver or (class_node is not None and head == class_node.name.value):
            receiver = _receiver_for(analysis, reader)
            if receiver is None:
                return None, [], key
            text = f"{receiver}.{rest}"
    return cst.parse_expression(text), [], text


class UnlockedSharedFileWrite(Rule):
    CODE = "CRL301"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.shared_write

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The writes' statements, with their callers' and the helpers they call (see `AstFacts`)."""
        return facts.where("shared_write")

    NAME = "unlocked-shared-file-write"
    MESSAGE = (
        "Write to shared file `{path}` (`{how}`) is not under a lock: "
        "concurrent writers interleave and readers can see it half-written"
    )
    EVIDENCE = ("open", "write_text", "write_bytes")  # `open (p, "w")` is legal
    FIX = FixApplicability.UNSAFE
    WHAT = """
        Finds writes to a file whose path is shared across calls, made outside any lock:
        write-mode `open(...)`/`io.open(...)` (`"w"`, `"a"`, `"x"`, `"+"`, binary forms,
        positional or `mode=`), `<path>.open("w")`, `<path>.write_text(...)` and
        `<path>.write_bytes(...)`. Dumps into the opened file (`json.dump`, `yaml.dump`,
        `yaml.safe_dump`, `pickle.dump`, `f.write`) belong to that `open`, which is reported
        once per write site. A path is shared when it derives from `self.<attr>`,
        `cls.<attr>`, `ClassName.<attr>`, a module global, or a local assigned only from
        those (`path = self.cache_dir / "x.json"`); for a built path the folder decides:
        `self.cache_dir / key` is shared, `destination / CONFIG_NAME` is the caller's.

        Not reported: read modes; writes under a lock (`with lock:`, `acquire()`/`finally:
        release()`, the helper module's `locked(path)`, or a private helper every one of
        whose calls in the module holds a lock); a path that is a parameter of the function
        (the caller owns it: `export(destination)`); fresh `tempfile` paths; writes in
        `__init__` to the object's own attribute paths; `if __name__ == "__main__":` code,
        module-level code and `async def` bodies.
    """
    WHY = """
        `open(p, "w")` truncates the file first and writes it later: a reader in another
        thread or process sees an empty or half-written file (measured with two writers and
        a reader on a GIL build: 1,112 torn reads in 1,500), two writers interleave into a
        corrupt file, and a read-modify-write (load, change, save) loses the other writer's
        change. A check-then-append (`if MARKER not in rc: append`) run twice appends twice.
    """
    FREE_THREADING = """
        The window holds calls (`write`, `json.dump`, the OS write), so it opens on every
        build: file I/O releases the GIL. Free-threaded builds run the writers truly in
        parallel and make the overlap more frequent, not possible for the first time.
    """
    FIX_SAFETY = """
        Chosen by `file-write-fix` (default `"lock+atomic"`):

        * `lock` (safe): the write statement (the whole `with open(...)` block, or the
          `write_text` statement; through the last use of an `f = open(...)` object; through
          the `os.replace` that publishes a shared temp path) is wrapped in an instance lock
          for methods (`self._lock`, created first in `__init__`, after a singleton's
          `if initialised: return` guard; an existing lock is reused), a class lock for
          `cls.<attr>` paths, a module lock named after the global for functions
          (`_cache_file_lock`). When the function first reads or checks the same file
          (read-modify-write), the lock covers everything from that read through the write;
          a `with <same lock>:` already inside that span is merged into the new one (a
          second acquire of a plain `Lock` would deadlock). CRL302 then wraps the unlocked
          reads in the same lock.
        * `atomic` (unsafe): `with open(p, "w") as f:` becomes `with atomic_write(p, "w") as f:`,
          `p.write_text(s)` becomes `atomic_write_text(p, s)`, `write_bytes` becomes
          `atomic_write_bytes`, imported from `atomic-write-module` (default
          `cortex.utils.fileio`): a temp file in the same folder, fsync, `os.replace`,
          permissions kept. Appends, `+` modes and file objects not scoped by a `with` have
          no atomic form and get the lock form.
        * `lock+atomic` (unsafe): both, so writers do not lose each other's updates and
          readers (which need no lock then) never see a partial file.

        The atomic form is unsafe because replacing the file is observable: the file gets
        a new inode (hard links break, open descriptors keep the old content), an owner
        other than the writer is kept only when running as root, the folder must be
        writable, and `atomic_write_text` defaults to UTF-8 where `write_text` uses the
        locale encoding.

        The check-then-append shape (read a file, `if MARKER not in content:` append to it)
        gets the lock form in every style, with the helper module's `locked(path)`: a
        per-path thread lock plus `flock`, so two threads *or processes* installing at once
        append once. It covers the read, the check and the append; every other write (and,
        through CRL302, read) of that file in the class or module takes the same `locked`.
        It is reentrant, so a locked method may call a locked helper.
    """
    KNOWN_PROBLEMS = """
        An instance lock serialises one object's writers; two instances writing the same
        path (or other processes) are not excluded by it: the atomic form still keeps their
        readers from torn files. Paths built inline from literals (`Path.home() / ".x"`),
        imported constants and other modules' attributes are not recognised as shared.
        `shutil.copy`, `np.save`, `df.to_csv` and long-lived file objects (`self._log =
        open(...)`, a returned `open(...)`) are not analysed. A lock is not added when the
        function is already called with that (non-reentrant) lock held: that would
        deadlock. `locked(path)` keeps a `<path>.lock` file beside the target for `flock`,
        so the target's folder must exist when the lock is taken.
    """

    def visit_Call(self, node: cst.Call) -> None:
        analysis = FileAnalysis.of(self.context)
        op = analysis.by_call.get(id(node))
        if not unlocked_write(analysis, op):
            return
        assert op is not None and op.path is not None
        fix, reason = write_fix(analysis, op)
        region = _region(analysis, op)
        act = region.statements[-1] if region is not None else node
        self.report(
            node,
            self.MESSAGE.format(path=op.path.key, how=_describe(op)),
            fix=fix,
            no_fix_reason=reason,
            window=WindowNodes(check=node, act=act, hold_call=node, exposure=GilExposure.GIL),
        )

    VALID = [
        Valid(
            """
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with open(self.path) as f:  # a read: CRL302's business
                        return json.load(f)
            """
        ),
        Valid(
            """
            import tempfile


            class Exporter:
                def export(self, destination, text):
                    # the caller chose the path: the caller's responsibility
                    with open(destination, "w") as f:
                        f.write(text)

                def scratch(self, text):
                    path = tempfile.mktemp(dir=self.folder)  # fresh per call
                    with open(path, "w") as f:
                        f.write(text)
            """
        ),
        Valid(
            """
            from cortex.utils.fileio import atomic_write_text, locked

            STATE = "state.txt"

            def save(text):
                with locked(STATE):
                    with open(STATE, "a") as f:
                        f.write(text)

            def replace(text):
                atomic_write_text(STATE, text)

            if __name__ == "__main__":
                with open(STATE, "w") as f:
                    f.write("")
            """
        ),
        Valid(
            """
            import threading


            class Store:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def update(self, text):
                    with self._lock:
                        self._write(text)

                def _write(self, text):  # every caller holds self._lock
                    self.path.write_text(text)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json


            class HardwareDetector:
                def __init__(self, cache_file):
                    self.cache_file = cache_file

                def _save_cache(self, data):
                    # persist for the next run
                    with open(self.cache_file, "w") as f:
                        json.dump(data, f, indent=2)
            """,
            line=10,
            unsafe=True,
            expected_fix="""
            import json
            import threading

            from cortex.utils.fileio import atomic_write


            class HardwareDetector:
                def __init__(self, cache_file):
                    self._lock = threading.Lock()
                    self.cache_file = cache_file

                def _save_cache(self, data):
                    # persist for the next run
                    with self._lock:
                        with atomic_write(self.cache_file, "w") as f:
                            json.dump(data, f, indent=2)
            """,
        ),
        Invalid(
            """
            from pathlib import Path

            STATE_FILE = Path.home() / ".cortex" / "state.txt"


            def remember(text):
                STATE_FILE.write_text(text, encoding="utf-8")
            """,
            line=7,
            unsafe=True,
            expected_fix="""
            import threading
            from pathlib import Path

            from cortex.utils.fileio import atomic_write_text

            STATE_FILE = Path.home() / ".cortex" / "state.txt"
            _state_file_lock = threading.Lock()


            def remember(text):
                with _state_file_lock:
                    atomic_write_text(STATE_FILE, text, encoding="utf-8")
            """,
        ),
        Invalid(
            """
            MARKER = "# >>> cortex >>>"


            class ShellInstaller:
                def __init__(self, rc_path):
                    self.rc_path = rc_path

                def install(self):
                    content = self.rc_path.read_text()
                    if MARKER not in content:
                        with open(self.rc_path, "a") as f:
                            f.write(MARKER + "\\n")
                        return True
                    return False
            """,
            line=11,
            expected_fix="""
            from cortex.utils.fileio import locked

            MARKER = "# >>> cortex >>>"


            class ShellInstaller:
                def __init__(self, rc_path):
                    self.rc_path = rc_path

                def install(self):
                    with locked(self.rc_path):
                        content = self.rc_path.read_text()
                        if MARKER not in content:
                            with open(self.rc_path, "a") as f:
                                f.write(MARKER + "\\n")
                            return True
                    return False
            """,
        ),
    ]


class UnlockedSharedFileRead(Rule):
    CODE = "CRL302"

    @classmethod
    def ast_candidate(cls, facts) -> bool:  # a read races only with a locked write of the same module
        return facts.locked_shared_write
    NAME = "read-skips-writer-lock"
    MESSAGE = "Read of `{path}` does not hold `{lock}`, the lock its writers take: it can see the file half-written"
    EVIDENCE = ("open", "write_text", "write_bytes")  # it needs a locked write in the module
    WHAT = """
        Finds reads (`open(p)`, `open(p, "r")`, `<path>.open()`, `read_text`, `read_bytes`,
        and so `json.load(open(p))`) of a shared file that the same class (or, for a module
        global path, the same module) writes in place under a lock, done without that lock.
    """
    WHY = """
        A lock held by the writers only keeps writers apart; a reader that does not take it
        still opens the file between the writer's truncate and its last write and sees an
        empty or partial file (measured: 1,308 torn reads in 1,500 with a writer-only lock).
    """
    FREE_THREADING = """
        Same on every build: file I/O releases the GIL, so the reader runs inside the
        writer's window whenever their timing overlaps.
    """
    FIX_SAFETY = """
        Safe. The read statement (the whole `with open(p) as f:` block, or the statement with
        the `read_text`) is wrapped in the writers' lock, spelt for the reader's method
        (`self._lock`, `locked(self.rc_path)`). No fix when the reader is called with that
        (non-reentrant) lock already held, which would deadlock. Writes made through the
        atomic helpers do not count: readers of an atomically replaced file never see it
        partial and need no lock, which is why `file-write-fix = "lock+atomic"` leaves them
        alone.
    """
    KNOWN_PROBLEMS = """
        Only writers in the same class or module are considered, and paths are matched by
        their text (`self.cache_file` with `self.cache_file`).
    """

    def visit_Call(self, node: cst.Call) -> None:
        analysis = FileAnalysis.of(self.context)
        op = analysis.by_call.get(id(node))
        if op is None or not op.is_read or not _in_scope(op):
            return
        assert op.path is not None
        held = analysis.effective_locks(op)
        for writer, key in _writer_locks(analysis, op):
            lock, edits, spelt = _reader_lock(analysis, writer, key, op)
            if not any(_same_key(key, h) or _same_key(spelt, h) for h in held):
                break
        else:
            return  # no locked writer, or the reader holds every writer's lock
        fix, reason = None, None
        region = analysis.region(op)
        if lock is None:
            reason = f"the writers' lock `{key}` cannot be named from here"
        elif region is None:
            reason = "the read is not a statement of its own"
        else:
            reason = deadlock_reason(analysis, op, region, spelt, True)
            if reason is None:
                lock_text = self.context.module.code_for_node(lock)
                unlock = _DropInnerLock(analysis, op, spelt)
                replacements = wrap_region(region, lock, {}, unlock)
                if replacements:
                    fix = Fix(f"Hold `{lock_text}` while reading", replacements, edits)
                else:
                    reason = f"`{lock_text}` is already taken inside; a second acquire would deadlock"
        self.report(
            node,
            self.MESSAGE.format(path=op.path.key, lock=f"locked({op.path.key})" if key.startswith("locked:") else spelt),
            fix=fix,
            no_fix_reason=reason,
        )

    VALID = [
        Valid(
            """
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with self._lock:
                        with open(self.path) as f:
                            return json.load(f)
            """
        ),
        Valid(
            """
            import json
            import threading

            from cortex.utils.fileio import atomic_write


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with atomic_write(self.path, "w") as f:  # readers see old or new
                            json.dump(data, f)

                def load(self):
                    with open(self.path) as f:
                        return json.load(f)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with open(self.path) as f:
                        return json.load(f)
            """,
            line=16,
            expected_fix="""
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with self._lock:
                        with open(self.path) as f:
                            return json.load(f)
            """,
        )
    ]
