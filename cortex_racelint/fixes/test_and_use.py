"""A field an `if` (or `with`) header copies under the lock is used through that copy in its block.

`if self.stream and not self.stream.closed: self.stream.flush()` gets `stream = self.stream`
under the lock for the test; a second copy for the use, under a second `with`, could meet the
`None` another thread stored in between (concurrent-log-handler's `flush()`), so the test and
the use must come from one read. The block's reads of a copied field use the copy up to the
first point where the code itself could see another value: a write to the field, a call of a
method of the object that writes it, or a wait (what follows a wait must see what the other
thread wrote before ending it, as the polling-loop form already respects). A read in a loop
of the block that also holds such a point keeps its own read (the next round follows it).
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from ..analysis.file_writes import walk_all
from ..analysis.threads import READ, Access
from .field_planner import FieldPlanner, within


def _remainder(stmt: cst.CSTNode) -> list[cst.CSTNode]:
    """What runs after the header of `stmt`: its block (and an `if`'s `else`/`elif`), in source order."""
    parts: list[cst.CSTNode] = [stmt.body]  # type: ignore[attr-defined]
    orelse = getattr(stmt, "orelse", None)
    if isinstance(stmt, cst.If) and orelse is not None:
        parts.append(orelse)
    return parts


class HeaderCopies(FieldPlanner):
    def uses_of_copies(self, access: Access, stmt: cst.CSTNode, locals_for: dict[str, str]) -> dict[cst.CSTNode, cst.CSTNode]:
        """The reads in `stmt`'s block of the fields its header copied, each mapped to its copy, where
        the copy still holds what the read would see on this thread."""
        return self.served_reads(access, _remainder(stmt), locals_for)

    def served_reads(
        self, access: Access, parts: Sequence[cst.CSTNode], locals_for: dict[str, str]
    ) -> dict[cst.CSTNode, cst.CSTNode]:
        """The reads in `parts` (run in order, right after a copy of `locals_for`'s fields was taken)
        that the copy serves: before any wait, write of the field or call of a method writing it."""
        region = self.threads.regions[access.region]
        function = region.function
        order: dict[int, int] = {}
        for part in parts:
            for node in walk_all(part):
                order.setdefault(id(node), len(order))
        if not order:
            return {}
        nested = _deferred_nodes(parts)
        cuts: dict[str, list[int]] = {attr: [] for attr in locals_for}
        waits_at = self._first_wait(parts, function, order)
        for attr in cuts:
            if waits_at is not None:
                cuts[attr].append(waits_at)
        for other in self.threads.accesses:
            if other.region != access.region or other.attr not in cuts or other.kind == READ:
                continue
            if id(other.node) in order:
                cuts[other.attr].append(order[id(other.node)])
        for part in parts:
            for node in walk_all(part):
                if id(node) in order and self.calls_method(node, region.self_name):
                    written = self.threads.writes_by_region.get(node.func.attr.value, set())  # type: ignore[attr-defined]
                    for attr in written & set(cuts):
                        cuts[attr].append(order[id(node)])
        loops = [n for part in parts for n in walk_all(part) if isinstance(n, (cst.For, cst.While))]
        uses: dict[cst.CSTNode, cst.CSTNode] = {}
        for other in self.threads.accesses:
            if other.region != access.region or other.attr not in locals_for or other.kind != READ:
                continue
            position = order.get(id(other.node))
            if position is None or id(other.node) in nested:
                continue
            first_cut = min(cuts[other.attr], default=None)
            if first_cut is not None and first_cut <= position:
                continue
            if any(within(other.path, loop) and _cut_inside(loop, cuts[other.attr], order) for loop in loops):
                continue
            node = other.node
            uses[node] = cst.Name(locals_for[other.attr], lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]
        return uses

    def testing_header(self, access: Access) -> tuple[Access, cst.CSTNode] | None:
        """The read of the same field in the header of the innermost enclosing `if`/`with` whose copy
        would serve this read (`if self.stream: self.stream.flush()`), with that statement: the
        use's fix is the test's, so the two read the field once."""
        path = access.path
        for index in range(len(path) - 2, 0, -1):
            stmt = path[index]
            if isinstance(stmt, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None
            header = header_part(stmt)
            if header is None or within(path, header):
                continue
            tests = [
                other
                for other in self.threads.accesses
                if other.region == access.region and other.attr == access.attr and other.kind == READ
                and within(other.path, header)
            ]
            if not tests:
                continue
            served = self.uses_of_copies(tests[0], stmt, {access.attr: "_"})
            return (tests[0], stmt) if any(node is access.node for node in served) else None
        return None

    def _first_wait(self, parts: Sequence[cst.CSTNode], function: cst.FunctionDef, order: dict[int, int]):
        """Where the first call of the block that waits (itself or through what it runs) stands."""
        calls = self.object_calls()
        found = [calls.waiting_call(part, function) for part in parts]
        # the call's receiver and arguments are read before it waits: the cut follows its subtree
        positions = [max(order[id(n)] for n in walk_all(call)) + 1 for call in found if call is not None]
        return min(positions, default=None)


def _cut_inside(loop: cst.CSTNode, cuts: list[int], order: dict[int, int]) -> bool:
    """A cut stands inside `loop`: a read there may follow it on the loop's next round."""
    inside = [order[id(n)] for n in walk_all(loop) if id(n) in order]
    # a wait's cut stands just after its call, which may be the loop's last node
    return bool(inside) and any(min(inside) <= cut <= max(inside) + 1 for cut in cuts)


def _deferred_nodes(parts: Sequence[cst.CSTNode]) -> set[int]:
    """Nodes inside a nested function, lambda or generator expression: they run later, or elsewhere."""
    return {
        id(inner)
        for part in parts
        for node in walk_all(part)
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.GeneratorExp, cst.ClassDef))
        for inner in walk_all(node)
    }


def header_part(stmt: cst.CSTNode) -> cst.CSTNode | None:
    """The header whose copies `HeaderCopies` lends to the block: an `if` test, a single `with` item."""
    if isinstance(stmt, cst.If):
        return stmt.test
    if isinstance(stmt, cst.With) and len(stmt.items) == 1:
        return stmt.items[0]
    return None
