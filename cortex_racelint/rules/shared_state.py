"""CRL4xx: attributes shared between a class's background threads and its other methods.

Both rules read one per-class analysis (`analysis.threads.class_threads`): which methods
run on another thread, every `self.<attr>` access with its kind and the locks held, and
which pairs of accesses race. `shared_state_findings` turns it into findings once per
class (memoised on the context); CRL401 reports plain racing reads and writes, CRL402
read-modify-writes on the thread side.

The fix (unsafe) plans one edit per finding, each as small as possible:

* the statement holding the access goes under the object's lock (one lock per object,
  `codemods.instance_mutex`), consecutive statements touching shared attributes in one
  block share one `with`;
* a `while` whose test reads shared state becomes `while True:` + `with lock: if not
  <test>: break; <copy the shared fields the body reads into locals>`, the body using the
  locals, so I/O, sleeps and joins run outside the lock (the seed's spinner);
* a statement that also does I/O or calls back into the object keeps its call outside the
  lock: shared reads are copied into locals under the lock first (`hoist`), a value to be
  stored is computed first (`precompute`); where neither applies, no fix, and why.

Each fix touches only its own statements, so fixes of one class can be applied in one
round; overlapping ones (a statement inside a rewritten loop) wait for the next round of
the fix loop, which re-analyses the fixed code.
"""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Union

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.names import dotted_name
from ..analysis.threads import (
    MUTATORS,
    BINDING_RMW,
    CHANGES,
    CONTENTS_RMW,
    ITERATE,
    MUTATE,
    READ,
    WRITE,
    Access,
    ClassThreads,
    class_threads,
    display,
)
from ..fixes.blocks import negated, wrap_statements
from ..fixes.locks import instance_mutex
from ..ftypes import FixApplicability, GilExposure
from ..rule import Fix, Invalid, Rule, Valid, WindowNodes
from ..analysis.traverse import children

# --------------------------------------------------------------------------- what may run under a lock

_CHEAP_BUILTINS = frozenset(
    {
        "len", "str", "int", "float", "bool", "complex", "list", "dict", "tuple", "set", "frozenset", "bytes",
        "bytearray", "min", "max", "abs", "sum", "sorted", "reversed", "any", "all", "isinstance", "issubclass",
        "getattr", "hasattr", "id", "hash", "repr", "round", "enumerate", "range", "zip", "type", "divmod",
        "format", "callable", "chr", "ord", "pow", "slice", "ascii", "bin", "hex", "oct", "super", "object",
    }
)
_CHEAP_QUALIFIED_PREFIXES = ("math.", "operator.", "copy.", "dataclasses.replace", "itertools.")
_CHEAP_QUALIFIED = frozenset(
    {
        "time.time", "time.monotonic", "time.perf_counter", "time.time_ns", "time.monotonic_ns",
        "time.perf_counter_ns", "time.thread_time", "time.process_time",
    }
)
_BLOCKING_PREFIXES = (
    "time.sleep", "subprocess.", "socket.", "os.", "shutil.", "sqlite3.", "urllib.", "http.", "requests.",
    "logging.", "select.", "asyncio.", "threading.", "concurrent.", "multiprocessing.", "queue.", "io.",
    "builtins.open", "builtins.print", "builtins.input",
)
_CHEAP_METHODS = frozenset(
    {
        "append", "appendleft", "extend", "extendleft", "insert", "pop", "popleft", "popitem", "remove",
        "discard", "add", "clear", "update", "setdefault", "get", "copy", "items", "keys", "values", "index",
        "count", "sort", "reverse", "format", "strip", "lstrip", "rstrip", "lower", "upper", "split", "rsplit",
        "startswith", "endswith", "replace", "encode", "decode", "partition", "rpartition", "splitlines",
        "isdigit", "isalpha", "isspace", "union", "intersection", "difference", "issubset", "issuperset",
        "most_common", "total", "isoformat", "timestamp", "total_seconds", "bit_length", "to_bytes",
        "is_set", "qsize", "empty", "full", "is_alive", "locked",
    }
)
_SAFE_ON_THREAD_SAFE_OBJECTS = frozenset({"is_set", "qsize", "empty", "full", "is_alive", "locked"})
_GENERATOR_BARRIERS = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _nodes(node: cst.CSTNode, skip_nested: bool = True) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, not entering nested functions, classes or lambdas."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if skip_nested and current is not node and isinstance(current, _GENERATOR_BARRIERS):
            continue
        stack.extend(reversed(list(children(current))))


def _is_self_attr(node: cst.CSTNode, self_name: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self_name


# --------------------------------------------------------------------------- the findings


@dataclass
class SharedStateFinding:
    code: str
    node: cst.CSTNode
    message: str
    fix: Optional[Fix]
    no_fix_reason: Optional[str]
    window: Optional[WindowNodes]


def shared_state_findings(context: LintContext, class_node: cst.ClassDef) -> list[SharedStateFinding]:
    key = ("shared_state_findings", id(class_node))
    if key not in context.memo:
        threads = class_threads(context, class_node)
        context.memo[key] = [] if threads is None else _Planner(context, class_node, threads).findings()
    return context.memo[key]  # type: ignore[return-value]


_VERBS = {
    READ: "read",
    WRITE: "written",
    BINDING_RMW: "updated",
    MUTATE: "changed",
    CONTENTS_RMW: "checked and changed",
    ITERATE: "iterated",
}


def _verb(access: Access) -> str:
    if access.kind == MUTATE:
        parent = access.path[-2]
        if isinstance(parent, cst.Attribute) and parent.value is access.node:
            if parent.attr.value in ("append", "extend", "appendleft"):
                return "appended to"
        if isinstance(parent, cst.Subscript):
            return "stored into"
    if access.kind == CONTENTS_RMW and access.check is None:
        return "updated"
    return _VERBS[access.kind]


def _names(labels: Sequence[str], limit: int = 3) -> str:
    unique = list(dict.fromkeys(labels))
    if len(unique) > limit:
        return ", ".join(unique[:limit]) + f" and {len(unique) - limit} more"
    return ", ".join(unique)


Replacements = dict[cst.CSTNode, Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]]


@dataclass
class _Plan:
    message: str
    replacements: Replacements
    lock: cst.BaseExpression


class _Planner:
    def __init__(self, context: LintContext, class_node: cst.ClassDef, threads: ClassThreads) -> None:
        self.context = context
        self.class_node = class_node
        self.threads = threads
        self.racy = threads.racy_accesses()
        self.racy_attrs = {a.attr for a in self.racy}
        self._lock: Optional[tuple[cst.BaseExpression, list]] = None
        self._names_cache: dict[int, set[str]] = {}

    # -- reports --------------------------------------------------------------
    def findings(self) -> list[SharedStateFinding]:
        groups: dict[tuple[int, str], list[Access]] = {}
        for access in self.racy:
            code = "CRL402" if access.thread_side and access.kind in (BINDING_RMW, CONTENTS_RMW) else "CRL401"
            groups.setdefault((id(access.small), code), []).append(access)
        results = []
        for (_, code), accesses in groups.items():
            first = accesses[0]
            message = self._message(code, accesses)
            plan = self._plan(first)
            fix = no_fix = None
            if isinstance(plan, _Plan):
                default, edits = self.lock_edits()
                uses_default = isinstance(default, cst.Attribute) and isinstance(plan.lock, cst.Attribute) and (
                    plan.lock.attr.value == default.attr.value
                )
                fix = Fix(plan.message, plan.replacements, list(edits) if uses_default else [], FixApplicability.UNSAFE)
            else:
                no_fix = plan
            results.append(SharedStateFinding(code, first.node, message, fix, no_fix, self._window(first)))
        return results

    def _window(self, access: Access) -> Optional[WindowNodes]:
        """For a read-modify-write or check-then-act: the read, the write, a call between them.

        For a plain access the window spans both sides: this access (`check`) and the first
        conflicting access in another method (`act`), the one a reproducer runs while this
        side is held right after its access.
        """
        if access.kind not in (BINDING_RMW, CONTENTS_RMW) and access.check is None:
            partners = [c.other for c in self.threads.conflicts(access)]
            other = next((p for p in partners if p.region != access.region), partners[0] if partners else None)
            if other is None:
                return None
            statement = access.small if access.small is not None else access.node
            hold = next((n for n in _nodes(statement) if isinstance(n, cst.Call)), None)
            exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
            return WindowNodes(check=access.node, act=other.node, hold_call=hold, exposure=exposure)
        act = access.small if access.small is not None else access.node
        check = access.check.test if isinstance(access.check, (cst.If, cst.While)) else access.node
        hold = next((n for n in _nodes(act) if isinstance(n, cst.Call)), None)
        exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
        return WindowNodes(check=check, act=act, hold_call=hold, exposure=exposure)

    def _message(self, code: str, accesses: list[Access]) -> str:
        first = accesses[0]
        conflicts = self.threads.conflicts(first)
        # the context this access races in: prefer a thread, else the caller
        here = sorted({c.here for c in conflicts}, key=lambda c: (c == "caller", c))[0]
        where = self.threads.label(first, here)
        same = [c for c in conflicts if c.there == here and c.other.region == first.region]
        others = [c for c in conflicts if c not in same]
        also = sorted({a.attr for a in accesses} - {first.attr})
        also_text = f" (also {', '.join(f'`self.{a}`' for a in also)})" if also else ""
        by_verb: dict[str, list[str]] = {}
        for conflict in others:
            by_verb.setdefault(_verb(conflict.other), []).append(self.threads.label(conflict.other, conflict.there))
        partner_text = "; ".join(f"{verb} by {_names(labels)}" for verb, labels in by_verb.items())
        note = ""
        swappers = [c for c in conflicts if c.other.kind == WRITE]
        changers = [c for c in conflicts if c.other.kind == MUTATE]
        if first.kind == MUTATE and swappers:
            swapper = self.threads.label(swappers[0].other, swappers[0].there)
            note = f": the change can land in the old object after {swapper} replaces it"
        elif first.kind == WRITE and changers:
            changer = self.threads.label(changers[0].other, changers[0].there)
            note = f": a change by {changer} can land in the old object once this replaces it"
        if code == "CRL402":
            entry = self.threads.entries.get(here)
            reasons = []
            if same and entry is not None and entry.multi:
                kind = entry.label.split(" `")[0]
                reasons.append(f"concurrent {kind}s running `{display(here)}()` can lose updates")
            elif same:
                reasons.append("another thread running the same code can lose updates")
            if partner_text:
                reasons.append(f"also {partner_text}")
            return (
                f"`self.{first.attr}` is updated (read-modify-write) by {where} without a lock"
                f"{also_text}: {'; '.join(reasons)}"
            )
        if same and not partner_text:
            partner_text = f"{_verb(same[0].other)} by another thread running the same code"
        elif same:
            partner_text += f"; {_verb(same[0].other)} by another thread running the same code"
        return (
            f"`self.{first.attr}` is {_verb(first)} by {where} and {partner_text} "
            f"without a common lock{also_text}{note}"
        )

    # -- the lock -------------------------------------------------------------
    def lock_edits(self) -> tuple[cst.BaseExpression, list]:
        if self._lock is None:
            self._lock = instance_mutex(self.context, self.class_node)
        return self._lock

    def lock_for(self, access: Access) -> cst.BaseExpression:
        lock, _ = self.lock_edits()
        self_name = self.threads.regions[access.region].self_name
        partner_locks = [c.other.locks for c in self.threads.conflicts(access) if c.other.locks]
        if partner_locks:
            common = set.intersection(*[set(locks) for locks in partner_locks])
            attr_locks = sorted(k for k in common if k.startswith("self.") and k.count(".") == 1)
            if attr_locks:
                return cst.Attribute(cst.Name(self_name), cst.Name(attr_locks[0].split(".", 1)[1]))
        assert isinstance(lock, cst.Attribute)
        return lock.with_changes(value=cst.Name(self_name))

    # -- planning one fix ---------------------------------------------------
    def _plan(self, access: Access) -> Union[_Plan, str]:
        if access.locks:
            partner = next((c for c in self.threads.conflicts(access) if c.other.locks), None)
            where = (
                f" while {self.threads.label(partner.other, partner.there)} holds `{sorted(partner.other.locks)[0]}`"
                if partner
                else ""
            )
            held = sorted(access.locks)[0]
            return f"already guarded by `{held}`{where}: choose one lock for `self.{access.attr}` by hand"
        path = access.path
        for node in path[1:-1]:
            if isinstance(node, cst.Lambda):
                return "the access is inside a lambda, which may run later on any thread: move it out by hand"
        region = self.threads.regions[access.region]
        if access.check is not None:
            if isinstance(access.check, cst.While):
                return f"the loop changes `self.{access.attr}`, which its condition reads: restructure it by hand"
            return self._wrap_unit(access, access.check, "check-then-act")
        stmt = self._statement(path)
        if stmt is None:
            return "no statement to put under a lock"
        if isinstance(stmt, cst.While) and _within(path, stmt.test):
            return self._loop_rewrite(access, stmt)
        loop = self._enclosing_loop(access)
        if loop is not None:
            plan = self._loop_rewrite(access, loop)
            if isinstance(plan, _Plan) and access.attr in self._localised(loop, region.self_name, access.region):
                return plan
        if self._in_lazy_generator(access):
            return "the access is inside a generator expression that runs later: the lock would not cover it"
        if isinstance(stmt, cst.SimpleStatementLine):
            if self._cheap(stmt, access):
                return self._wrap_unit(access, stmt, "statement")
            return self._hoist_or_precompute(access, stmt)
        # a compound statement whose header reads the attribute
        if any(other.check is stmt for other in self.threads.accesses):
            return self._wrap_unit(access, stmt, "check-then-act")  # the body changes what it tests
        if self._cheap(stmt, access):
            return self._wrap_unit(access, stmt, "statement")
        if isinstance(stmt, cst.For) and _within(path, stmt.iter):
            return self._snapshot_iteration(access, stmt)
        if isinstance(stmt, cst.If) or (isinstance(stmt, cst.With) and len(stmt.items) == 1):
            return self._hoist_or_precompute(access, stmt)
        return f"`self.{access.attr}` is used in the header of a `{type(stmt).__name__.lower()}` that cannot be split"

    def _statement(self, path: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
        for index in range(len(path) - 2, -1, -1):
            node = path[index]
            if isinstance(node, cst.SimpleStatementLine):
                return node
            if isinstance(node, cst.SimpleStatementSuite):
                return path[index - 1]
            if isinstance(node, cst.BaseCompoundStatement):
                return node
        return None

    def _block_of(self, access: Access, stmt: cst.CSTNode) -> Optional[cst.IndentedBlock]:
        path = access.path
        for index, node in enumerate(path):
            if node is stmt:
                parent = path[index - 1] if index else None
                return parent if isinstance(parent, cst.IndentedBlock) else None
        return None

    def _in_lazy_generator(self, access: Access) -> bool:
        path = access.path
        for index in range(len(path) - 2, 0, -1):
            node = path[index]
            if isinstance(node, cst.GeneratorExp):
                parent = path[index - 1]
                grand = path[index - 2] if index >= 2 else None
                consumed = isinstance(parent, cst.Arg) and isinstance(grand, cst.Call) and _is_consumer(grand)
                if not consumed:
                    return True
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return False
        return False

    # -- cheapness ----------------------------------------------------------
    def _cheap(self, stmt: cst.CSTNode, access: Access) -> bool:
        """Nothing in `stmt` may block, call back into the object or suspend."""
        region = self.threads.regions[access.region]
        for node in _nodes(stmt):
            if node is not stmt and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                return False
            if isinstance(node, (cst.Yield, cst.Await, cst.While, cst.With, cst.Import, cst.ImportFrom)):
                return False
            if isinstance(node, cst.Call) and not self._cheap_call(node, region.self_name):
                return False
            if _is_self_attr(node, region.self_name) and node.attr.value in self.threads.properties:
                return False
        return True

    def _cheap_call(self, call: cst.Call, self_name: str) -> bool:
        func = call.func
        imports = self.context.imports
        qualified = imports.qualify(func) or ""
        if any(qualified == p or qualified.startswith(p) for p in _BLOCKING_PREFIXES):
            return False
        if qualified in _CHEAP_QUALIFIED or qualified.startswith(_CHEAP_QUALIFIED_PREFIXES):
            return True
        if isinstance(func, cst.Name):
            # builtins only: a constructor may do anything (connect a socket): build values outside
            return func.value in _CHEAP_BUILTINS and func.value not in imports.aliases
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if isinstance(receiver, cst.Name) and receiver.value == self_name:
                return False  # a method of the object: may take the lock itself
            if _is_self_attr(receiver, self_name):
                attr = receiver.attr.value  # type: ignore[union-attr]
                if attr in self.threads.methods:
                    return False
                if attr in self.threads.skipped_attributes:
                    return method in _SAFE_ON_THREAD_SAFE_OBJECTS
                return method in _CHEAP_METHODS
            if isinstance(receiver, (cst.SimpleString, cst.ConcatenatedString)) and method in ("join", "format"):
                return True
            return method in _CHEAP_METHODS
        return False

    def _calls_method(self, node: cst.CSTNode, self_name: str) -> bool:
        """`self.m(...)` for a method of the class: it may change shared state or take the lock."""
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        return (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == self_name
            and func.attr.value in self.threads.methods
        )

    # -- units: wrap statements -----------------------------------------------
    def _is_racy(self, node: cst.CSTNode, self_name: str) -> bool:
        """`self.<attr>` of an attribute some access of which races."""
        return _is_self_attr(node, self_name) and node.attr.value in self.racy_attrs  # type: ignore[attr-defined]

    def _touches_racy(self, stmt: cst.CSTNode, self_name: str) -> bool:
        return any(self._is_racy(n, self_name) for n in _nodes(stmt))

    def _wrap_unit(self, access: Access, stmt: cst.CSTNode, what: str) -> Union[_Plan, str]:
        if not self._cheap(stmt, access):
            if what == "check-then-act":
                return (
                    f"the check-then-act on `self.{access.attr}` spans a call that may block or re-enter the object: "
                    "restructure it by hand"
                )
            return f"the statement using `self.{access.attr}` also makes a call that must not run under the lock"
        block = self._block_of(access, stmt)
        if block is None:
            return f"`self.{access.attr}` is used in a one-line or `elif` construct that cannot be wrapped"
        region = self.threads.regions[access.region]
        body = list(block.body)
        index = next(i for i, s in enumerate(body) if s is stmt)
        start, end = index, index + 1
        while start > 0 and self._joinable(body[start - 1], access, region.self_name):
            start -= 1
        while end < len(body) and self._joinable(body[end], access, region.self_name):
            end += 1
        run = body[start:end]
        lock = self.lock_for(access)
        lock_text = self.context.module.code_for_node(lock)
        replacements: Replacements = {}
        previous = body[start - 1] if start > 0 else None
        following = body[end] if end < len(body) else None
        if previous is not None and self._locks_with(previous, lock_text):
            # extend the critical section right before instead of opening a second one
            assert isinstance(previous, cst.With) and isinstance(previous.body, cst.IndentedBlock)
            extended = previous.body.with_changes(body=[*previous.body.body, *run])
            replacements[previous] = previous.with_changes(body=extended)
            for extra in run:
                replacements[extra] = cst.RemoveFromParent()
        elif following is not None and self._locks_with(following, lock_text):
            assert isinstance(following, cst.With) and isinstance(following.body, cst.IndentedBlock)
            inner = list(following.body.body)
            if inner and following.leading_lines:  # comments above the `with` stay above its old first line
                inner[0] = inner[0].with_changes(leading_lines=[*following.leading_lines, *inner[0].leading_lines])
            moved = [run[0].with_changes(leading_lines=()), *run[1:]]
            replacements[following] = following.with_changes(
                body=following.body.with_changes(body=[*moved, *inner]), leading_lines=run[0].leading_lines
            )
            for extra in run:
                replacements[extra] = cst.RemoveFromParent()
        else:
            replacements[run[0]] = wrap_statements(lock, run)
            for extra in run[1:]:
                replacements[extra] = cst.RemoveFromParent()
        what_text = "check-then-act" if what == "check-then-act" else "access"
        return _Plan(f"Hold `{lock_text}` around the {what_text}", replacements, lock)

    def _locks_with(self, stmt: cst.CSTNode, lock_text: str) -> bool:
        """`with <lock>:` on exactly this lock (a critical section to extend)."""
        return (
            isinstance(stmt, cst.With)
            and len(stmt.items) == 1
            and stmt.items[0].asname is None
            and isinstance(stmt.body, cst.IndentedBlock)
            and self.context.module.code_for_node(stmt.items[0].item) == lock_text
        )

    def _joinable(self, stmt: cst.CSTNode, access: Access, self_name: str) -> bool:
        return self._touches_racy(stmt, self_name) and self._cheap(stmt, access) and not isinstance(stmt, cst.While)

    # -- units: copy shared reads into locals ---------------------------------
    def _function_names(self, access: Access) -> set[str]:
        function = self.threads.regions[access.region].function
        key = id(function)
        if key not in self._names_cache:
            skip = set()
            for node in _nodes(function, skip_nested=False):
                if isinstance(node, cst.Attribute):
                    skip.add(id(node.attr))
                elif isinstance(node, cst.Arg) and node.keyword is not None:
                    skip.add(id(node.keyword))
            names = {
                n.value for n in _nodes(function, skip_nested=False) if isinstance(n, cst.Name) and id(n) not in skip
            }
            self._names_cache[key] = names
        return self._names_cache[key]

    def _local_name(self, attr: str, access: Access, taken: set[str], suffix: str = "") -> str:
        base = (attr.lstrip("_") or "value") + suffix
        if base[0].isdigit():
            base = "value_" + base
        names = self._function_names(access) | taken
        candidate = base
        if candidate in names or keyword.iskeyword(candidate) or hasattr(builtins, candidate):
            candidate = f"{base}_value"
        counter = 2
        while candidate in names:
            candidate = f"{base}_value{counter}"
            counter += 1
        taken.add(candidate)
        return candidate

    def _hoist_or_precompute(self, access: Access, stmt: cst.CSTNode) -> Union[_Plan, str]:
        region = self.threads.regions[access.region]
        header = _header_of(stmt)
        scope = header if header is not None else stmt
        racy = [n for n in _nodes(scope, skip_nested=False) if self._is_racy(n, region.self_name)]
        calls_back = any(isinstance(n, cst.Call) and self._calls_method(n, region.self_name) for n in _nodes(scope))
        kinds = {a.kind for a in self.threads.accesses if a.attr in self.racy_attrs and _within(a.path, scope)}
        block = self._block_of(access, stmt)
        if block is None:
            return f"`self.{access.attr}` is used in a one-line or `elif` construct that cannot be split"
        lock = self.lock_for(access)
        lock_text = self.context.module.code_for_node(lock)
        if kinds <= {READ}:
            if calls_back:
                return (
                    f"the statement reading `self.{access.attr}` also calls back into the object: "
                    "move the call out by hand"
                )
            if any(not _plain_read(n, self._path_to(access, n)) for n in racy):
                return f"`self.{access.attr}` is read inside a lambda or generator here: copy it out by hand"
            taken: set[str] = set()
            locals_for: dict[str, str] = {}
            for node in racy:
                if node.attr.value not in locals_for:
                    locals_for[node.attr.value] = self._local_name(node.attr.value, access, taken)
            copies = [_copy(local, region.self_name, attr) for attr, local in locals_for.items()]
            new_scope = _replace_reads(scope, region.self_name, locals_for)
            new_stmt = new_scope if header is None else _replace_child(stmt, header, new_scope)
            guarded = wrap_statements(lock, copies).with_changes(leading_lines=getattr(stmt, "leading_lines", ()))
            new_stmt = new_stmt.with_changes(leading_lines=())
            return _Plan(
                f"Copy {', '.join(f'`self.{a}`' for a in locals_for)} into locals under `{lock_text}`, "
                "outside the call",
                {stmt: cst.FlattenSentinel([guarded, new_stmt])},
                lock,
            )
        plan = self._precompute(access, stmt, lock)
        if plan is not None:
            return plan
        return (
            f"the statement that changes `self.{access.attr}` also makes a call that must not run under the lock "
            "(I/O, a wait, or a call back into the object): split it by hand"
        )

    def _precompute(self, access: Access, stmt: cst.CSTNode, lock: cst.BaseExpression) -> Optional[_Plan]:
        """Compute the value (or the call's arguments) first, then store it under the lock.

        `self.x = f()`, `self.x += f()`, `self.d[k] = f()`, `self.items.append(f())`: Python
        evaluates the value before the store, so computing it one statement earlier keeps
        the order of effects; only the store runs under the lock.
        """
        region = self.threads.regions[access.region]
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return None
        small = stmt.body[0]
        lock_text = self.context.module.code_for_node(lock)

        def racy_in(node: Optional[cst.CSTNode]) -> bool:
            return node is not None and any(self._is_racy(n, region.self_name) for n in _nodes(node))

        target = None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, (cst.AugAssign, cst.AnnAssign)) and small.value is not None:
            target = small.target
        if target is not None and small.value is not None and not racy_in(small.value):  # type: ignore[union-attr]
            value = small.value  # type: ignore[union-attr]
            if isinstance(value, cst.Yield):
                return None
            if _is_self_attr(target, region.self_name):
                attr = target.attr.value  # type: ignore[union-attr]
            elif (
                isinstance(target, cst.Subscript)
                and _is_self_attr(target.value, region.self_name)
                and not any(racy_in(element) for element in target.slice)
                and self._cheap(target, access)
            ):
                attr = target.value.attr.value  # type: ignore[union-attr]
            else:
                return None
            suffix = "_delta" if isinstance(small, cst.AugAssign) else ""
            base = _singular(attr) if isinstance(target, cst.Subscript) else attr
            local = self._local_name(base, access, set(), suffix)
            compute = _assign(local, value).with_changes(leading_lines=stmt.leading_lines)
            store = stmt.with_changes(body=[small.with_changes(value=cst.Name(local))], leading_lines=())
            return _Plan(
                f"Compute the new value first, then store `self.{attr}` under `{lock_text}`",
                {stmt: cst.FlattenSentinel([compute, wrap_statements(lock, [store])])},
                lock,
            )
        # `self.items.append(make())`: the arguments first, the one mutating call under the lock
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            func = call.func
            if not (
                isinstance(func, cst.Attribute)
                and _is_self_attr(func.value, region.self_name)
                and func.attr.value in MUTATORS
                and not any(racy_in(arg.value) for arg in call.args)
            ):
                return None
            attr = func.value.attr.value  # type: ignore[union-attr]
            taken: set[str] = set()
            computed: list[cst.SimpleStatementLine] = []
            new_args = []
            for arg in call.args:
                if arg.star or self._cheap(arg.value, access):
                    new_args.append(arg)
                    continue
                local = self._local_name(_singular(attr), access, taken)
                computed.append(_assign(local, arg.value))
                new_args.append(arg.with_changes(value=cst.Name(local)))
            if not computed:
                return None
            computed[0] = computed[0].with_changes(leading_lines=stmt.leading_lines)
            new_call = small.with_changes(value=call.with_changes(args=new_args))
            store = stmt.with_changes(body=[new_call], leading_lines=())
            return _Plan(
                f"Build the value first, then call `self.{attr}.{func.attr.value}()` under `{lock_text}`",
                {stmt: cst.FlattenSentinel([*computed, wrap_statements(lock, [store])])},
                lock,
            )
        return None

    def _path_to(self, access: Access, node: cst.CSTNode) -> Sequence[cst.CSTNode]:
        for other in self.threads.accesses:
            if other.node is node:
                return other.path
        return access.path

    def _snapshot_iteration(self, access: Access, stmt: cst.For) -> Union[_Plan, str]:
        region = self.threads.regions[access.region]
        if any(_is_self_attr(n, region.self_name) and n.attr.value == access.attr for n in _nodes(stmt.body)):
            return f"the loop over `self.{access.attr}` also uses it in its body: restructure it by hand"
        if not self._cheap(stmt.iter, access) or any(self._calls_method(n, region.self_name) for n in _nodes(stmt.iter)):
            return f"the loop over `self.{access.attr}` calls out while building its iterable"
        block = self._block_of(access, stmt)
        if block is None:
            return f"`self.{access.attr}` is iterated in a construct that cannot be split"
        iterable = stmt.iter
        suffix = ""
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            suffix = f"_{iterable.func.attr.value}"
        elif not (_is_self_attr(iterable, region.self_name)):
            suffix = "_snapshot"
        local = self._local_name(access.attr, access, set(), suffix)
        lock = self.lock_for(access)
        copy = _assign(local, cst.Call(cst.Name("list"), [cst.Arg(iterable.deep_clone())]))
        guarded = wrap_statements(lock, [copy]).with_changes(leading_lines=stmt.leading_lines)
        new_for = stmt.with_changes(iter=cst.Name(local), leading_lines=())
        lock_text = self.context.module.code_for_node(lock)
        return _Plan(
            f"Iterate over a copy of `self.{access.attr}` taken under `{lock_text}`",
            {stmt: cst.FlattenSentinel([guarded, new_for])},
            lock,
        )

    # -- units: the polling loop ---------------------------------------------
    def _enclosing_loop(self, access: Access) -> Optional[cst.While]:
        """The innermost `while` around the access whose test reads racy shared state."""
        region = self.threads.regions[access.region]
        path = access.path
        for index in range(len(path) - 2, 0, -1):
            node = path[index]
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                return None
            if isinstance(node, cst.While) and path[index + 1] is node.body:
                if any(self._is_racy(n, region.self_name) for n in _nodes(node.test)):
                    return node
                return None
        return None

    def _localised(self, loop: cst.While, self_name: str, region_name: str) -> list[str]:
        """Racy attributes the loop body only reads: copied into locals each iteration."""
        reads: list[str] = []
        changed: set[str] = set()
        for access in self.threads.accesses:
            if access.region != region_name or not _within(access.path, loop):
                continue
            if access.attr not in self.racy_attrs:
                continue
            in_nested = any(isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) for n in access.path[1:-1])
            if access.kind != READ or in_nested:
                changed.add(access.attr)
            elif _within(access.path, loop.body):
                reads.append(access.attr)
        for node in _nodes(loop.body):
            if self._calls_method(node, self_name):
                changed |= self.threads.writes_by_region.get(node.func.attr.value, set())  # type: ignore[union-attr]
        return [a for a in dict.fromkeys(reads) if a not in changed]

    def _loop_rewrite(self, access: Access, loop: cst.While) -> Union[_Plan, str]:
        region = self.threads.regions[access.region]
        if loop.orelse is not None:
            return "the `while` loop has an `else:` clause; rewrite the loop by hand"
        test_accesses = [
            a
            for a in self.threads.accesses
            if a.region == access.region and a.attr in self.racy_attrs and _within(a.path, loop.test)
        ]
        if any(a.kind != READ for a in test_accesses):
            return "the loop condition changes shared state: rewrite it by hand"
        if any(isinstance(n, cst.Call) and self._calls_method(n, region.self_name) for n in _nodes(loop.test)):
            return "the loop condition calls a method of the object: rewrite it by hand"
        test_outside = not self._cheap(loop.test, access)
        if test_outside and any(
            not _plain_read(a.node, a.path) or isinstance(a.path[-2], cst.Attribute) for a in test_accesses
        ):
            return "the loop condition calls out with shared state it cannot copy first: rewrite it by hand"
        changed_in_body = {
            a.attr
            for a in self.threads.accesses
            if a.region == access.region and _within(a.path, loop.body) and a.kind in CHANGES
        }
        if {a.attr for a in test_accesses} & changed_in_body:
            return "the loop body changes the state its condition reads: rewrite it by hand"
        localised = self._localised(loop, region.self_name, access.region)
        taken: set[str] = set()
        locals_for = {attr: self._local_name(attr, access, taken) for attr in localised}
        test_locals: dict[str, str] = {}
        if test_outside:  # copy what the condition reads, evaluate it outside the lock
            for test_access in test_accesses:
                if test_access.attr not in locals_for and test_access.attr not in test_locals:
                    test_locals[test_access.attr] = self._local_name(test_access.attr, access, taken)
        lock = self.lock_for(access)
        condition = _replace_reads(loop.test, region.self_name, {**locals_for, **test_locals}) if test_outside else loop.test
        stop = cst.If(
            test=negated(condition),
            body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Break()])]),
        )
        copies = [_copy(local, region.self_name, attr) for attr, local in {**test_locals, **locals_for}.items()]
        if test_outside:
            guarded_block = [cst.With(items=[cst.WithItem(item=lock)], body=cst.IndentedBlock(copies)), stop]
        else:
            guarded_block = [cst.With(items=[cst.WithItem(item=lock)], body=cst.IndentedBlock([stop, *copies]))]
        body = loop.body
        if not isinstance(body, cst.IndentedBlock):
            return "the loop body is on one line; rewrite it by hand"
        new_body = [_replace_reads(s, region.self_name, locals_for) for s in body.body]
        new_loop = loop.with_changes(
            test=cst.Name("True"),
            body=body.with_changes(body=[*guarded_block, *new_body]),
            whitespace_after_while=cst.SimpleWhitespace(" "),
        )
        lock_text = self.context.module.code_for_node(lock)
        copied = f" and copy {', '.join(f'`self.{a}`' for a in locals_for)} into locals" if locals_for else ""
        return _Plan(
            f"Check the loop condition under `{lock_text}`{copied}; the body runs outside the lock",
            {loop: new_loop},
            lock,
        )


# --------------------------------------------------------------------------- small helpers


def _assign(local: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(local))], value)])


def _copy(local: str, self_name: str, attr: str) -> cst.SimpleStatementLine:
    """`local = self.attr`"""
    return _assign(local, cst.Attribute(cst.Name(self_name), cst.Name(attr)))


def _singular(attr: str) -> str:
    """A name for one element: `samples` -> `sample`, `status` -> `status_item`."""
    base = attr.lstrip("_")
    if len(base) > 3 and base.endswith("s") and not base.endswith(("ss", "us", "is")):
        return base[:-1]
    return f"{base}_item"


def _within(path: Sequence[cst.CSTNode], node: cst.CSTNode) -> bool:
    return any(p is node for p in path)


def _is_consumer(call: cst.Call) -> bool:
    """A call that exhausts a generator argument before returning."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "join":
        return True
    return (dotted_name(call.func) or "") in _CHEAP_BUILTINS


def _header_of(stmt: cst.CSTNode) -> Optional[cst.CSTNode]:
    if isinstance(stmt, (cst.If, cst.While)):
        return stmt.test
    if isinstance(stmt, cst.For):
        return stmt.iter
    if isinstance(stmt, cst.With) and len(stmt.items) == 1:
        return stmt.items[0]
    return None


def _plain_read(node: cst.CSTNode, path: Sequence[cst.CSTNode]) -> bool:
    return not any(isinstance(n, (cst.Lambda, cst.GeneratorExp, cst.FunctionDef)) for n in path[1:-1] if n is not node)


def _replace_child(stmt: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    if isinstance(stmt, (cst.If, cst.While)) and stmt.test is old:
        return stmt.with_changes(test=new)
    if isinstance(stmt, cst.For) and stmt.iter is old:
        return stmt.with_changes(iter=new)
    if isinstance(stmt, cst.With) and stmt.items and stmt.items[0] is old:
        return stmt.with_changes(items=[new, *stmt.items[1:]])
    return stmt


class _ReadReplacer(cst.CSTTransformer):
    def __init__(self, self_name: str, locals_for: dict[str, str]) -> None:
        super().__init__()
        self.self_name = self_name
        self.locals_for = locals_for
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def leave_FunctionDef(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.depth += 1  # runs later: it must keep reading the attribute itself
        return True

    def leave_Lambda(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute):
        if (
            self.depth == 0
            and isinstance(original_node.value, cst.Name)
            and original_node.value.value == self.self_name
            and original_node.attr.value in self.locals_for
        ):
            return cst.Name(self.locals_for[original_node.attr.value], lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node


def _replace_reads(node: cst.CSTNode, self_name: str, locals_for: dict[str, str]) -> cst.CSTNode:
    if not locals_for:
        return node
    return node.visit(_ReadReplacer(self_name, locals_for))


# --------------------------------------------------------------------------- the rules


class _SharedStateRule(Rule):
    FIX = FixApplicability.UNSAFE
    EVIDENCE = ("Thread", "Timer", "submit", "run_in_executor", "map", "start_new", "to_thread")
    _ENTRY_CALLS = frozenset({"Thread", "Timer", "submit", "map", "run_in_executor", "start_new_thread", "to_thread"})

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.thread_entry

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The analysis is per class: the top-level statements holding a class that starts threads."""
        return facts.where("thread_entry")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for finding in shared_state_findings(self.context, node):
            if finding.code == self.CODE:
                self.report(
                    finding.node, finding.message, fix=finding.fix, no_fix_reason=finding.no_fix_reason, window=finding.window
                )


_FREE_THREADING = """
    Under the GIL a thread switch happens only at a call or a backward jump, so most of
    these races need a switch at exactly the wrong call and show up rarely (a frame
    written while `update()` runs, a counter update lost while the other task was inside
    `len()`). On free-threaded builds (3.13t, 3.14t) the threads truly run in parallel:
    `self.n += 1` from several tasks loses updates constantly, fields updated together are
    read half-old and half-new, and a list swapped out while another thread appends loses
    the append. Single loads and stores of one attribute stay atomic; nothing orders them.
"""

_FIX_SAFETY = """
    Unsafe: it changes locking behaviour. The object gets one lock (`self._lock =
    threading.Lock()` at the top of `__init__`; an existing `Lock`/`RLock`/`Condition`
    of the object, or the lock the other side already holds, is reused). Each access is
    wrapped as narrowly as possible: the statement holding it, with consecutive statements
    touching shared attributes in one `with` (so `samples = self.samples; self.samples =
    []` stays atomic). A loop whose condition reads shared state becomes `while True:` +
    `with lock: if not <condition>: break` + copies of the shared fields the body reads,
    and the body uses the copies, so I/O, sleeps and joins run outside the lock. A
    statement that also does I/O or calls a method of the object keeps that call outside:
    shared reads are copied into locals under the lock first, or the value to store is
    computed first. `stop()`-style methods get only their assignments wrapped, never
    `join()`. Where none of this is possible (an access in a lambda, a lazy generator
    expression, an `elif` test, a check-then-act spanning a blocking call) the finding is
    reported without a fix and says why. Review: a polling loop now sees a snapshot taken
    at the top of each iteration, and code outside the class that calls these methods
    while holding the same non-reentrant lock would deadlock.
"""

_KNOWN_PROBLEMS = """
    Ordering through other means is not modelled: a field written before `event.set()` and
    read after `event.wait()`, or read after `queue.join()`, is still reported. Accesses
    before the thread is started (in the starting method, or before a `self.` call that
    starts it) and after `join()` / the end of `with ThreadPoolExecutor() as ex:` are not
    reported. When the thread calls the class's public methods that the caller's side also
    calls, the class is being used from two threads as a client would; whether that is
    allowed is the class's contract, so those accesses are not judged. For a pool started
    and shut down inside one method, setters on the caller's side are assumed not to run
    meanwhile (the owner thread is inside that method); readers such as `progress()` still
    are. Threads started by other classes on this object's methods are not seen.
"""


class SharedStateRace(_SharedStateRule):
    CODE = "CRL401"
    NAME = "shared-state-race"
    MESSAGE = "An attribute is written on one thread and read or written on another without a common lock"
    WHAT = """
        Finds attributes that code running on another thread reads or writes while the
        class's other methods write or read them, with no lock held in common. Thread code
        is a `threading.Thread(target=self.m)` or `Timer(..., self.m)` target, a callable
        given to `executor.submit`/`executor.map`/`loop.run_in_executor`/`asyncio.to_thread`,
        a `Thread` subclass's `run`, and what those call through `self.`. Reported at each
        racing access on the thread side and each racing write on the caller's side (and
        the caller's reads of what the thread writes), naming the other side.
    """
    WHY = """
        Nothing orders plain attribute accesses between threads. Fields updated together are
        read half-old and half-new (a spinner printing the message of one `update()` with the
        step of the next), a list swapped out by a reader while the thread appends to it
        loses the append, and state read by `progress()` or `status()` is torn.
        `threading.Event`, `queue.Queue` and locks used through their methods are not
        reported, nor are attributes assigned only in `__init__`, nor single `list.append` /
        `d[k] = v` calls (free-threaded CPython makes those atomic) unless another method
        swaps the container or iterates it.
    """
    FREE_THREADING = _FREE_THREADING
    FIX_SAFETY = _FIX_SAFETY
    KNOWN_PROBLEMS = _KNOWN_PROBLEMS
    VALID = [
        Valid(
            """
            import threading

            class Spinner:
                def __init__(self, stream):
                    self._stream = stream
                    self._lock = threading.Lock()
                    self._running = False
                    self._message = ""

                def start(self, message):
                    self._running = True  # before the thread starts
                    self._message = message
                    threading.Thread(target=self._animate, daemon=True).start()

                def _animate(self):
                    while True:
                        with self._lock:
                            if not self._running:
                                break
                            message = self._message
                        self._stream.write(message)

                def update(self, message):
                    with self._lock:
                        self._message = message

                def stop(self):
                    with self._lock:
                        self._running = False
            """
        ),
        Valid(
            """
            import queue
            import threading

            class Poller:
                def __init__(self, poll):
                    self._poll = poll  # assigned only in __init__
                    self._stop = threading.Event()
                    self._results = queue.Queue()
                    self._seen = []
                    self._thread = threading.Thread(target=self._loop, daemon=True)

                def _loop(self):
                    while not self._stop.is_set():
                        result = self._poll()
                        self._results.put(result)
                        self._seen.append(result)  # one append: atomic
                        self._stop.wait(1.0)

                def stop(self):
                    self._stop.set()
                    self._thread.join()
                    return len(self._seen)
            """
        ),
        Valid(
            """
            import threading

            class Job:
                def __init__(self):
                    self.result = None

                def run(self):
                    worker = threading.Thread(target=self._work)
                    worker.start()
                    worker.join()
                    return self.result  # read after join()

                def _work(self):
                    self.result = 42
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import sys
            import threading
            import time

            class Spinner:
                def __init__(self):
                    self._running = False
                    self._message = ""
                    self._thread = None

                def start(self, message):
                    self._running = True
                    self._message = message
                    self._thread = threading.Thread(target=self._animate, daemon=True)
                    self._thread.start()

                def _animate(self):
                    while self._running:
                        sys.stdout.write(f"\\r{self._message}")
                        time.sleep(0.1)

                def update(self, message):
                    self._message = message

                def stop(self):
                    self._running = False
                    self._thread.join()
            """,
            line=18,
            expected_fix="""
            import sys
            import threading
            import time

            class Spinner:
                def __init__(self):
                    self._lock = threading.Lock()
                    self._running = False
                    self._message = ""
                    self._thread = None

                def start(self, message):
                    self._running = True
                    self._message = message
                    self._thread = threading.Thread(target=self._animate, daemon=True)
                    self._thread.start()

                def _animate(self):
                    while True:
                        with self._lock:
                            if not self._running:
                                break
                            message = self._message
                        sys.stdout.write(f"\\r{message}")
                        time.sleep(0.1)

                def update(self, message):
                    with self._lock:
                        self._message = message

                def stop(self):
                    with self._lock:
                        self._running = False
                    self._thread.join()
            """,
        ),
        Invalid(
            """
            import threading
            import time

            class Monitor:
                def __init__(self, check):
                    self._check = check
                    self.samples = []
                    self._stop = threading.Event()
                    threading.Thread(target=self._run, daemon=True).start()

                def _run(self):
                    while not self._stop.is_set():
                        self.samples.append((time.time(), self._check()))
                        self._stop.wait(1.0)

                def drain(self):
                    samples = self.samples
                    self.samples = []
                    return samples
            """,
            line=13,
            expected_fix="""
            import threading
            import time

            class Monitor:
                def __init__(self, check):
                    self._lock = threading.Lock()
                    self._check = check
                    self.samples = []
                    self._stop = threading.Event()
                    threading.Thread(target=self._run, daemon=True).start()

                def _run(self):
                    while not self._stop.is_set():
                        sample = (time.time(), self._check())
                        with self._lock:
                            self.samples.append(sample)
                        self._stop.wait(1.0)

                def drain(self):
                    with self._lock:
                        samples = self.samples
                        self.samples = []
                    return samples
            """,
        ),
        Invalid(
            """
            import threading

            class Reporter:
                def __init__(self):
                    self.status = "idle"
                    threading.Thread(target=self._work).start()

                def _work(self):
                    print(self.status, lambda: self.status)

                def set_status(self, status):
                    self.status = status
            """,
            line=9,
        ),
    ]


class SharedStateReadModifyWrite(_SharedStateRule):
    CODE = "CRL402"
    NAME = "thread-side-read-modify-write"
    MESSAGE = "A read-modify-write on a background thread without a lock loses updates"
    WHAT = """
        Finds read-modify-writes of attributes in thread code (see CRL401) with no lock held:
        `self.n += 1`, `self.items = self.items + [x]`, `self.d[k] = self.d.get(k, 0) + 1`,
        `self.d[k] += 1`, and check-then-act such as `if k not in self.d: self.d[k] = v`,
        when another thread can touch the attribute meanwhile: other executor tasks running
        the same code, or the caller's side.
    """
    WHY = """
        A read-modify-write is three steps: read, compute, store. Two tasks that both read 5
        both store 6: one update is lost, and counters, totals and per-key tallies drift
        below the truth with no error anywhere.
    """
    FREE_THREADING = _FREE_THREADING
    FIX_SAFETY = _FIX_SAFETY
    KNOWN_PROBLEMS = _KNOWN_PROBLEMS
    VALID = [
        Valid(
            """
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class Counter:
                def __init__(self):
                    self._lock = threading.Lock()
                    self.count = 0

                def run(self, items):
                    with ThreadPoolExecutor() as pool:
                        list(pool.map(self._work, items))
                    return self.count

                def _work(self, item):
                    with self._lock:
                        self.count += 1
            """
        ),
        Valid(
            """
            import threading

            class Ticker:
                def __init__(self):
                    self.ticks = 0
                    threading.Thread(target=self._tick, daemon=True).start()

                def _tick(self):
                    self.ticks += 1  # only this one thread ever touches it
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor

            class Downloads:
                def __init__(self, fetch):
                    self._fetch = fetch
                    self.done = 0
                    self.per_host = {}

                def run(self, urls):
                    with ThreadPoolExecutor() as pool:
                        for url in urls:
                            pool.submit(self._one, url)

                def _one(self, url):
                    self._fetch(url)
                    self.done += 1
                    host = url.split("/")[2]
                    self.per_host[host] = self.per_host.get(host, 0) + 1

                def progress(self):
                    return self.done
            """,
            line=16,
            expected_fix="""
            import threading
            from concurrent.futures import ThreadPoolExecutor

            class Downloads:
                def __init__(self, fetch):
                    self._lock = threading.Lock()
                    self._fetch = fetch
                    self.done = 0
                    self.per_host = {}

                def run(self, urls):
                    with ThreadPoolExecutor() as pool:
                        for url in urls:
                            pool.submit(self._one, url)

                def _one(self, url):
                    self._fetch(url)
                    with self._lock:
                        self.done += 1
                    host = url.split("/")[2]
                    with self._lock:
                        self.per_host[host] = self.per_host.get(host, 0) + 1

                def progress(self):
                    with self._lock:
                        return self.done
            """,
        ),
        Invalid(
            """
            import threading

            class Collector:
                def __init__(self):
                    self.items = []

                def start(self, source):
                    threading.Thread(target=self._collect, args=(source,)).start()

                def _collect(self, source):
                    for item in source:
                        self.items = self.items + [item]

                def clear(self):
                    self.items = []
            """,
            line=12,
        ),
    ]
