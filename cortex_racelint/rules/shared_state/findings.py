"""One class's CRL401/CRL402/CRL403/CRL405 findings, computed once and shared by both rules.

The racing accesses of `analysis.threads.class_threads` are grouped per statement and
rule; each group gets its message (naming both sides of the race), its race window for
reproducers, and its fix (or the reason for none) from `fix_choice`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import libcst as cst

from ...analysis.context import LintContext
from ...analysis.scope_walk import own_nodes
from ...analysis.threads import (
    BINDING_RMW,
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
from ...fixes.field_planner import Plan
from ...fixes.locks.shared_fields import mutex_edits
from ...ftypes import Consequence, FixApplicability, GilExposure, Severity
from ...rule import Fix, WindowNodes
from .fix_choice import SharedStatePlanner
from .iteration_race import (
    CODE as ITERATION_CODE,
    is_iteration_race,
    iteration_code,
    iteration_consequence,
    iteration_message,
    iteration_window,
)


@dataclass
class SharedStateFinding:
    code: str
    node: cst.CSTNode
    message: str
    fix: Optional[Fix]
    no_fix_reason: Optional[str]
    window: Optional[WindowNodes]
    #: the first site of the same race (attribute and code): this one is reported as its related location
    primary: Optional[cst.CSTNode] = None
    #: None: the rule's own (`Rule.CONSEQUENCE`)
    consequence: Optional[Consequence] = None


def shared_state_findings(context: LintContext, class_node: cst.ClassDef) -> list[SharedStateFinding]:
    key = ("shared_state_findings", id(class_node))
    if key not in context.memo:
        threads = class_threads(context, class_node)
        context.memo[key] = [] if threads is None else _findings(SharedStatePlanner(context, class_node, threads))
    return context.memo[key]  # type: ignore[return-value]


def _findings(planner: SharedStatePlanner) -> list[SharedStateFinding]:
    threads = planner.threads
    groups: dict[tuple[int, str], list[Access]] = {}
    flags = one_way_flags(threads)
    for access in planner.racy:
        code = "CRL402" if access.thread_side and access.kind in (BINDING_RMW, CONTENTS_RMW) else "CRL401"
        if code == "CRL401" and access.attr in flags:
            code = "CRL403"  # a one-way flag read late: harmless, opt-in
        if code == "CRL401" and is_iteration_race(threads, access):
            found = iteration_code(threads, access)  # iterated while another thread changes its size
            if found is None:
                continue  # a list only appended to: the walk reads a consistent prefix
            code = found
        if access.alias is not None and code != ITERATION_CODE:
            continue  # a walk through a local is CRL405's only: a rebinding of the attribute leaves the local alone
        groups.setdefault((id(access.small), code), []).append(access)
    results = []
    for (_, code), accesses in groups.items():
        first = accesses[0]
        message = iteration_message(threads, accesses) if code == ITERATION_CODE else _message(threads, code, accesses)
        plan = planner.plan(first)
        fix = no_fix = None
        if isinstance(plan, Plan):
            edits = mutex_edits(plan.lock, *planner.lock_edits())
            fix = Fix(plan.message, plan.replacements, edits, FixApplicability.UNSAFE)
        else:
            no_fix = plan
        window = iteration_window(threads, first) if code == ITERATION_CODE else _window(threads, first)
        result = SharedStateFinding(code, first.node, message, fix, no_fix, window)
        result.consequence = _consequence(threads, code, accesses)
        results.append(result)
    return _one_per_race(results, [accesses[0].attr for accesses in groups.values()])


def _one_per_race(results: list[SharedStateFinding], attrs: list[str]) -> list[SharedStateFinding]:
    """One finding per (attribute, code): the other sites become its related locations (each keeps
    its own fix, applied with it), so an attribute touched at 26 places is one finding, not 26.
    Sites with no fix stay apart by reason, so a finding never hides why one of its sites has none."""
    first: dict[tuple[str, str, bool, str], SharedStateFinding] = {}
    sites: dict[tuple[str, str, bool, str], int] = {}
    for result, attr in zip(results, attrs):
        key = (attr, result.code, result.fix is None, result.no_fix_reason or "")
        if key in first:
            result.primary = first[key].node
            sites[key] += 1
        else:
            first[key] = result
            sites[key] = 1
    for key, result in first.items():
        if sites[key] > 1:
            result.message += f" ({sites[key] - 1} more site{'s' if sites[key] > 2 else ''} of this race listed with it)"
    return results


def _consequence(threads: ClassThreads, code: str, accesses: list[Access]) -> Optional[Consequence]:
    """Two threads writing the attribute lose one write (a `stop()` undone by the loop's own
    write); a read racing a write sees a stale value (the rule's default)."""
    if code == ITERATION_CODE:
        return iteration_consequence(threads, accesses)
    if code != "CRL401":
        return None
    for access in accesses:
        if access.kind == WRITE and any(c.other.kind == WRITE for c in threads.conflicts(access)):
            return Consequence(
                "lost update", Severity.HIGH, "two threads write it and one write is lost (a stop or state change undone)"
            )
    return None


_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__"})
_FLAG_VALUES = frozenset({"True", "False", "None"})


def one_way_flags(threads: ClassThreads) -> frozenset[str]:
    """Attributes that only ever move one way outside the constructor (every other write stores
    the same constant: `self.running = False`) and are only read as a condition (`while
    self.running:`, `if self.stopped:`). A stale read of one costs one more loop iteration."""
    by_attr: dict[str, list[Access]] = {}
    for access in threads.accesses:
        by_attr.setdefault(access.attr, []).append(access)
    flags = set()
    for attr, accesses in by_attr.items():
        values: set[str] = set()
        for access in accesses:
            region = threads.regions.get(access.region)
            if access.kind == WRITE:
                if region is not None and region.method in _CONSTRUCTORS:
                    continue
                value = _stored_constant(access)
                if value is None:
                    break
                values.add(value)
            elif access.kind != READ or not _in_condition(access):
                break
        else:
            if len(values) == 1:
                flags.add(attr)
    return frozenset(flags)


def _stored_constant(access: Access) -> Optional[str]:
    path = access.path
    if len(path) >= 3 and isinstance(path[-2], cst.AssignTarget) and isinstance(path[-3], cst.Assign):
        value = path[-3].value
        if isinstance(value, cst.Name) and value.value in _FLAG_VALUES:
            return value.value
    return None


_CONDITION_PARTS = (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison, cst.ComparisonTarget)


def _in_condition(access: Access) -> bool:
    """The read is the test of an `if`/`while`, or a `not`/`and`/`or`/comparison part of it (not a
    value handed on: `while self._wait(self.handle):` uses the value)."""
    path = access.path
    for index, node in enumerate(path):
        if isinstance(node, (cst.If, cst.While)) and index + 1 < len(path) and path[index + 1] is node.test:
            return all(isinstance(part, _CONDITION_PARTS) for part in path[index + 1 : -1])
    return False


def _window(threads: ClassThreads, access: Access) -> Optional[WindowNodes]:
    """For a read-modify-write or check-then-act: the read, the write, a call between them.

    For a plain access the window spans both sides: this access (`check`) and the first
    conflicting access in another method (`act`), the one a reproducer runs while this
    side is held right after its access.
    """
    if access.kind not in (BINDING_RMW, CONTENTS_RMW) and access.check is None:
        partners = [c.other for c in threads.conflicts(access)]
        other = next((p for p in partners if p.region != access.region), partners[0] if partners else None)
        if other is None:
            return None
        statement = access.small if access.small is not None else access.node
        hold = next((n for n in own_nodes(statement) if isinstance(n, cst.Call)), None)
        exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
        return WindowNodes(check=access.node, act=other.node, hold_call=hold, exposure=exposure)
    act = access.small if access.small is not None else access.node
    check = access.check.test if isinstance(access.check, (cst.If, cst.While)) else access.node
    hold = next((n for n in own_nodes(act) if isinstance(n, cst.Call)), None)
    exposure = GilExposure.GIL if hold is not None else GilExposure.FREE_THREADED_ONLY
    return WindowNodes(check=check, act=act, hold_call=hold, exposure=exposure)


def _message(threads: ClassThreads, code: str, accesses: list[Access]) -> str:
    first = accesses[0]
    conflicts = threads.conflicts(first)
    # the context this access races in: prefer a thread, else the caller
    here = sorted({c.here for c in conflicts}, key=lambda c: (c == "caller", c))[0]
    where = threads.label(first, here)
    same = [c for c in conflicts if c.there == here and c.other.region == first.region]
    others = [c for c in conflicts if c not in same]
    also = sorted({a.attr for a in accesses} - {first.attr})
    also_text = f" (also {', '.join(f'`self.{a}`' for a in also)})" if also else ""
    by_verb: dict[str, list[str]] = {}
    for conflict in others:
        by_verb.setdefault(_verb(conflict.other), []).append(threads.label(conflict.other, conflict.there))
    partner_text = "; ".join(f"{verb} by {_names(labels)}" for verb, labels in by_verb.items())
    note = ""
    swappers = [c for c in conflicts if c.other.kind == WRITE]
    changers = [c for c in conflicts if c.other.kind == MUTATE]
    if first.kind == MUTATE and swappers:
        swapper = threads.label(swappers[0].other, swappers[0].there)
        note = f": the change can land in the old object after {swapper} replaces it"
    elif first.kind == WRITE and changers:
        changer = threads.label(changers[0].other, changers[0].there)
        note = f": a change by {changer} can land in the old object once this replaces it"
    if code == "CRL402":
        entry = threads.entries.get(here)
        reasons = []
        if same and entry is not None and entry.multi:
            kind = entry.label.split(" `")[0]
            reasons.append(f"concurrent {_plural(kind)} running `{display(here)}()` can lose updates")
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


def _plural(kind: str) -> str:
    """The plural of an entry's kind, which users name too (`label` of `thread-entries`): "thread entry"
    -> "thread entries", "worker process" -> "worker processes", "executor task" -> "executor tasks"."""
    if kind.endswith("y") and kind[-2:-1] not in ("a", "e", "o", "u", ""):
        return kind[:-1] + "ies"
    if kind.endswith(("s", "x", "z", "ch", "sh")):
        return kind + "es"
    return kind + "s"
