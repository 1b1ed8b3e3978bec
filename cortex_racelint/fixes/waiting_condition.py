"""A polling loop whose condition waits: `while not stop.wait(t) and self.running:`.

The polling-loop form evaluates the condition on copies taken under the lock at the top of
each iteration. When the condition itself waits, a field read after the wait (the right
operand of `and`, or the body) would then come from before it: a `close()` that writes
`running = False` and ends the wait is seen one round late (websocket-client's
`_send_ping()`). Here the condition is split into its `and` operands, run in order:
`if not <operand>: break` each, every operand's shared reads copied under the lock just
before it runs (a cheap operand is tested under the lock itself), and the fields the body
reads are copied after the last wait. `a and b` stops at the first false operand, and so
do the `break`s, so nothing runs that did not run before.
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from ..analysis.file_writes import walk_all
from ..analysis.threads import Access
from .blocks import negated
from .field_planner import FieldPlanner
from .local_copies import copy_field, evaluated_after, replace_reads


def and_operands(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of `test`'s `and` chain in evaluation order (`test` alone if it is none)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return [*and_operands(test.left), *and_operands(test.right)]
    return [test]


class WaitingConditions(FieldPlanner):
    def waits_in_condition(self, access: Access, loop: cst.While) -> bool:
        """The loop condition waits (itself or through a method of the object it calls)."""
        function = self.threads.regions[access.region].function
        return self.object_calls().waiting_call(loop.test, function) is not None

    def split_condition(
        self,
        access: Access,
        loop: cst.While,
        lock: cst.BaseExpression,
        body_locals: dict[str, str],
        taken: set[str],
    ) -> Union[list[cst.BaseStatement], str]:
        """The statements replacing a waiting condition at the top of the loop body, or why none."""
        region = self.threads.regions[access.region]
        self_name = region.self_name
        calls = self.object_calls()
        statements: list[cst.BaseStatement] = []
        fresh: set[str] = set()  # copies in `body_locals`' names taken after every wait so far
        last_guarded = False
        for operand in and_operands(loop.test):
            racy = [n for n in walk_all(operand) if self.is_racy(n, self_name)]
            call = calls.waiting_call(operand, region.function)
            if call is not None:
                later = evaluated_after(operand, call)
                late = next((n for n in racy if id(n) in later), None)
                if late is not None:
                    return (
                        f"`self.{late.attr.value}` is read after a wait inside one operand of the loop condition: "
                        "a copy taken before the wait would miss the write that ends it; rewrite the loop by hand"
                    )
            if self.cheap(operand, access):
                stop = _stop_unless(operand)
                if racy:
                    reads = {n.attr.value for n in racy}
                    copies = [copy_field(body_locals[a], self_name, a) for a in body_locals if a in reads]
                    fresh |= reads & set(body_locals)
                    statements.append(_with(lock, [stop, *copies]))
                else:
                    statements.append(stop)
                last_guarded = bool(racy)
                continue
            if _deferred(operand) & {id(n) for n in racy} or any(_is_receiver(operand, n) for n in racy):
                return "the loop condition calls out with shared state it cannot copy first: rewrite it by hand"
            names: dict[str, str] = {}
            for node in racy:
                attr = node.attr.value
                if attr not in names:
                    names[attr] = body_locals.get(attr) or self.local_name(attr, access, taken)
            if names:
                statements.append(_with(lock, [copy_field(local, self_name, a) for a, local in names.items()]))
                fresh |= set(names) & set(body_locals)
            if call is not None:
                fresh.clear()
            statements.append(_stop_unless(replace_reads(operand, self_name, names)))
            last_guarded = False
        missing = [copy_field(local, self_name, a) for a, local in body_locals.items() if a not in fresh]
        if missing and last_guarded:
            last = statements[-1]
            assert isinstance(last, cst.With) and isinstance(last.body, cst.IndentedBlock)
            statements[-1] = last.with_changes(body=last.body.with_changes(body=[*last.body.body, *missing]))
        elif missing:
            statements.append(_with(lock, missing))
        return statements


def _stop_unless(operand: cst.BaseExpression) -> cst.If:
    """`if not <operand>: break`"""
    return cst.If(test=negated(operand), body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Break()])]))


def _with(lock: cst.BaseExpression, body: list[cst.BaseStatement]) -> cst.With:
    return cst.With(items=[cst.WithItem(item=lock)], body=cst.IndentedBlock(body))


def _is_receiver(operand: cst.BaseExpression, node: cst.CSTNode) -> bool:
    """`self.x.y`: the read's value is used through one of its attributes (not copied faithfully)."""
    return any(isinstance(n, cst.Attribute) and n.value is node for n in walk_all(operand))


def _deferred(operand: cst.BaseExpression) -> set[int]:
    """Ids of the nodes inside a lambda or generator expression of `operand`: they run later."""
    return {
        id(inner)
        for node in walk_all(operand)
        if isinstance(node, (cst.Lambda, cst.GeneratorExp))
        for inner in walk_all(node)
    }
