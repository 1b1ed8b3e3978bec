"""Reads under the writers' lock: shared fields copied into locals, the slow code using the copies.

A `while` whose condition reads shared state becomes `while True:` + `with lock: if not
<condition>: break` + copies of the fields the body only reads; a statement that reads
shared fields and does I/O gets the copies taken under the lock first; a `for` over a
shared container iterates a copy. I/O, sleeps and joins run outside the lock.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import libcst as cst

from ..analysis.file_writes import walk_all
from ..analysis.scope_walk import own_nodes
from ..analysis.threads import CHANGES, READ, Access
from .blocks import negated, replace_in, wrap_statements
from .field_planner import Plan, assign, is_self_attr, within
from .guard_copies import GuardCopies
from .local_copies import copy_field, evaluated_after, plain_read, replace_child, replace_reads
from .waiting_condition import WaitingConditions


class ReadsUnderLock(WaitingConditions, GuardCopies):
    def copy_reads(
        self, access: Access, stmt: cst.CSTNode, header: Optional[cst.CSTNode], lock: cst.BaseExpression
    ) -> Union[Plan, str]:
        """Copy the shared fields `stmt` (or its compound `header`) reads into locals under the lock."""
        region = self.threads.regions[access.region]
        scope = header if header is not None else stmt
        racy = [n for n in walk_all(scope) if self.is_racy(n, region.self_name)]
        calls_back = any(isinstance(n, cst.Call) and self.calls_method(n, region.self_name) for n in own_nodes(scope))
        lock_text = self.context.module.code_for_node(lock)
        if calls_back:
            return (
                f"the statement reading `self.{access.attr}` also calls back into the object: "
                "move the call out by hand"
            )
        if any(not plain_read(n, self._path_to(access, n)) for n in racy):
            return f"`self.{access.attr}` is read inside a lambda or generator here: copy it out by hand"
        late = self._read_after_wait(scope, region.function, racy)
        if late is not None:
            return (
                f"`self.{late}` is read after a wait in the same statement: a copy taken before it would miss "
                "the write that ends the wait; split the statement by hand"
            )
        taken: set[str] = set()
        locals_for: dict[str, str] = {}
        for node in racy:
            if node.attr.value not in locals_for:
                locals_for[node.attr.value] = self.local_name(node.attr.value, access, taken)
        copies = [copy_field(local, region.self_name, attr) for attr, local in locals_for.items()]
        new_scope = replace_reads(scope, region.self_name, locals_for)
        uses: dict[cst.CSTNode, cst.CSTNode] = {}
        if header is None:
            new_stmt = new_scope
        else:  # the block uses the header's copies: the test and the use read the field once
            uses = self.uses_of_copies(access, stmt, locals_for)
            new_stmt = replace_in(stmt, {header: new_scope, **uses}) if uses else replace_child(stmt, header, new_scope)
        guarded = wrap_statements(lock, copies).with_changes(leading_lines=getattr(stmt, "leading_lines", ()))
        new_stmt = new_stmt.with_changes(leading_lines=())
        block = "; the block uses the copies" if header is not None and uses else ""
        return Plan(
            f"Copy {', '.join(f'`self.{a}`' for a in locals_for)} into locals under `{lock_text}`, "
            f"outside the call{block}",
            {stmt: cst.FlattenSentinel([guarded, new_stmt])},
            lock,
        )

    def _read_after_wait(self, scope: cst.CSTNode, function: cst.FunctionDef, racy: list) -> Optional[str]:
        """The first shared field `scope` reads after a call in it that waits, if any."""
        call = self.object_calls().waiting_call(scope, function)
        if call is None:
            return None
        later = evaluated_after(scope, call)
        return next((n.attr.value for n in racy if id(n) in later), None)

    def _path_to(self, access: Access, node: cst.CSTNode) -> Sequence[cst.CSTNode]:
        for other in self.threads.accesses:
            if other.node is node:
                return other.path
        return access.path

    def snapshot_iteration(self, access: Access, stmt: cst.For) -> Union[Plan, str]:
        """`for x in self.items:` -> `with lock: items = list(self.items)` + `for x in items:`."""
        region = self.threads.regions[access.region]
        if any(is_self_attr(n, region.self_name) and n.attr.value == access.attr for n in own_nodes(stmt.body)):
            return f"the loop over `self.{access.attr}` also uses it in its body: restructure it by hand"
        if not self.cheap(stmt.iter, access) or any(self.calls_method(n, region.self_name) for n in own_nodes(stmt.iter)):
            return f"the loop over `self.{access.attr}` calls out while building its iterable"
        block = self.block_of(access, stmt)
        if block is None:
            return f"`self.{access.attr}` is iterated in a construct that cannot be split"
        iterable = stmt.iter
        suffix = ""
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            suffix = f"_{iterable.func.attr.value}"
        elif not (is_self_attr(iterable, region.self_name)):
            suffix = "_snapshot"
        local = self.local_name(access.attr, access, set(), suffix)
        lock = self.lock_for(access)
        copy = assign(local, cst.Call(cst.Name("list"), [cst.Arg(iterable.deep_clone())]))
        guarded = wrap_statements(lock, [copy]).with_changes(leading_lines=stmt.leading_lines)
        new_for = stmt.with_changes(iter=cst.Name(local), leading_lines=())
        lock_text = self.context.module.code_for_node(lock)
        return Plan(
            f"Iterate over a copy of `self.{access.attr}` taken under `{lock_text}`",
            {stmt: cst.FlattenSentinel([guarded, new_for])},
            lock,
        )

    # -- the polling loop -----------------------------------------------------
    def enclosing_loop(self, access: Access) -> Optional[cst.While]:
        """The innermost `while` around the access whose test reads racy shared state."""
        region = self.threads.regions[access.region]
        path = access.path
        for index in range(len(path) - 2, 0, -1):
            node = path[index]
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                return None
            if isinstance(node, cst.While) and path[index + 1] is node.body:
                if any(self.is_racy(n, region.self_name) for n in own_nodes(node.test)):
                    return node
                return None
        return None

    def localised(self, loop: cst.While, self_name: str, region_name: str) -> list[str]:
        """Racy attributes the loop body only reads: copied into locals each iteration.

        Only reads up to the first statement that waits (`event.wait()`, `q.get()`, `join()`,
        `recv()`, a sleep, or a method of the object reaching one): a read after the wait must
        see what the other thread wrote before it let the wait end (a handshake), and a copy
        taken at the top of the loop would be older than that write. Later reads keep their own
        critical sections.
        """
        reads: list[str] = []
        changed: set[str] = set()
        late: set[str] = set()
        after_wait, late_nodes = self._after_first_wait(loop, region_name)
        for access in self.threads.accesses:
            if access.region != region_name or not within(access.path, loop):
                continue
            if access.attr not in self.racy_attrs:
                continue
            in_nested = any(isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) for n in access.path[1:-1])
            if access.kind != READ or in_nested or _in_inner_loop(access.path, loop):
                # an inner loop may run for ever without coming back to the top of this one: a copy
                # taken there never changes (dramatiq's `if not self.running: break` per message)
                changed.add(access.attr)
            elif id(access.node) in late_nodes or any(within(access.path, stmt) for stmt in after_wait):
                late.add(access.attr)
            elif within(access.path, loop.body):
                reads.append(access.attr)
        for node in own_nodes(loop.body):
            if self.calls_method(node, self_name):
                changed |= self.threads.writes_by_region.get(node.func.attr.value, set())  # type: ignore[union-attr]
        return [a for a in dict.fromkeys(reads) if a not in changed and a not in late]

    def _after_first_wait(self, loop: cst.While, region_name: str) -> tuple[list[cst.CSTNode], set[int]]:
        """The loop body's statements after the first one that waits, and the nodes of that
        statement evaluated after its waiting call (nothing when nothing waits)."""
        body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
        function = self.threads.regions[region_name].function
        calls = self.object_calls()
        for index, stmt in enumerate(body):
            call = calls.waiting_call(stmt, function)
            if call is None:
                continue
            return list(body[index + 1 :]), evaluated_after(stmt, call)
        return [], set()

    def _guarded_condition(
        self,
        access: Access,
        loop: cst.While,
        lock: cst.BaseExpression,
        test_accesses: list[Access],
        locals_for: dict[str, str],
        taken: set[str],
        test_outside: bool,
    ) -> list[cst.BaseStatement]:
        """`with lock: if not <test>: break` + the copies; a test that calls out runs on copies, outside."""
        self_name = self.threads.regions[access.region].self_name
        test_locals: dict[str, str] = {}
        if test_outside:  # copy what the condition reads, evaluate it outside the lock
            for test_access in test_accesses:
                if test_access.attr not in locals_for and test_access.attr not in test_locals:
                    test_locals[test_access.attr] = self.local_name(test_access.attr, access, taken)
        condition = replace_reads(loop.test, self_name, {**locals_for, **test_locals}) if test_outside else loop.test
        stop = cst.If(
            test=negated(condition),
            body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Break()])]),
        )
        copies = [copy_field(local, self_name, attr) for attr, local in {**test_locals, **locals_for}.items()]
        if test_outside:
            return [cst.With(items=[cst.WithItem(item=lock)], body=cst.IndentedBlock(copies)), stop]
        return [cst.With(items=[cst.WithItem(item=lock)], body=cst.IndentedBlock([stop, *copies]))]

    def loop_rewrite(self, access: Access, loop: cst.While) -> Union[Plan, str]:
        """`while <shared test>:` -> `while True:` + the test and the copies under the lock."""
        region = self.threads.regions[access.region]
        if loop.orelse is not None:
            return "the `while` loop has an `else:` clause; rewrite the loop by hand"
        test_accesses = [
            a
            for a in self.threads.accesses
            if a.region == access.region and a.attr in self.racy_attrs and within(a.path, loop.test)
        ]
        if any(a.kind != READ for a in test_accesses):
            return "the loop condition changes shared state: rewrite it by hand"
        if any(isinstance(n, cst.Call) and self.calls_method(n, region.self_name) for n in own_nodes(loop.test)):
            return "the loop condition calls a method of the object: rewrite it by hand"
        waiting = self.waits_in_condition(access, loop)
        test_outside = not self.cheap(loop.test, access)
        if test_outside and not waiting and any(
            not plain_read(a.node, a.path) or isinstance(a.path[-2], cst.Attribute) for a in test_accesses
        ):
            return "the loop condition calls out with shared state it cannot copy first: rewrite it by hand"
        changed_in_body = {
            a.attr
            for a in self.threads.accesses
            if a.region == access.region and within(a.path, loop.body) and a.kind in CHANGES
        }
        if {a.attr for a in test_accesses} & changed_in_body:
            return "the loop body changes the state its condition reads: rewrite it by hand"
        localised = self.localised(loop, region.self_name, access.region)
        taken: set[str] = set()
        locals_for = {attr: self.local_name(attr, access, taken) for attr in localised}
        lock = self.lock_for(access)
        if waiting:  # reads after the condition's wait are copied after it
            split = self.split_condition(access, loop, lock, locals_for, taken)
            if isinstance(split, str):
                return split
            guarded_block: list[cst.BaseStatement] = split
        else:
            guarded_block = self._guarded_condition(access, loop, lock, test_accesses, locals_for, taken, test_outside)
        body = loop.body
        if not isinstance(body, cst.IndentedBlock):
            return "the loop body is on one line; rewrite it by hand"
        new_body = [replace_reads(s, region.self_name, locals_for) for s in body.body]
        new_loop = loop.with_changes(
            test=cst.Name("True"),
            body=body.with_changes(body=[*guarded_block, *new_body]),
            whitespace_after_while=cst.SimpleWhitespace(" "),
        )
        lock_text = self.context.module.code_for_node(lock)
        copied = f" and copy {', '.join(f'`self.{a}`' for a in locals_for)} into locals" if locals_for else ""
        how = " operand by operand (what follows its wait is read after it)" if waiting else ""
        return Plan(
            f"Check the loop condition{how} under `{lock_text}`{copied}; the body runs outside the lock",
            {loop: new_loop},
            lock,
        )


def header_of(stmt: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The part of a compound statement that runs once, before its body: test, iterable, context manager."""
    if isinstance(stmt, (cst.If, cst.While)):
        return stmt.test
    if isinstance(stmt, cst.For):
        return stmt.iter
    if isinstance(stmt, cst.With) and len(stmt.items) == 1:
        return stmt.items[0]
    return None


def _in_inner_loop(path: Sequence[cst.CSTNode], loop: cst.While) -> bool:
    """The access runs inside a `for`/`while` nested in `loop`'s body."""
    start = next((i for i, node in enumerate(path) if node is loop), None)
    if start is None:
        return False
    return any(isinstance(node, (cst.For, cst.While)) for node in path[start + 1 : -1])
