"""Critical sections: writes and read-modify-writes of shared attributes put under the object's lock.

The statement holding the access goes under the lock, with the consecutive statements
touching shared attributes in the same `with` (or an adjacent `with` on that lock grows),
so `samples = self.samples; self.samples = []` stays atomic. A store whose value needs
I/O or a call back into the object has the value computed first, outside the lock.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from ..analysis.scope_walk import own_nodes
from ..analysis.threads import MUTATORS, Access
from .blocks import wrap_statements
from .field_planner import FieldPlanner, Plan, Replacements, assign, is_self_attr
from .locks.shared_fields import with_this_lock


class CriticalSections(FieldPlanner):
    def wrap_unit(self, access: Access, stmt: cst.CSTNode, what: str) -> Union[Plan, str]:
        """`with lock:` around `stmt` and its neighbours that touch shared attributes too."""
        if not self.cheap(stmt, access):
            if what == "check-then-act":
                return (
                    f"the check-then-act on `self.{access.attr}` spans a call that may block or re-enter the object: "
                    "restructure it by hand"
                )
            return f"the statement using `self.{access.attr}` also makes a call that must not run under the lock"
        block = self.block_of(access, stmt)
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
        module = self.context.module
        lock_text = module.code_for_node(lock)
        replacements: Replacements = {}
        previous = body[start - 1] if start > 0 else None
        following = body[end] if end < len(body) else None
        if previous is not None and with_this_lock(module, previous, lock_text):
            # extend the critical section right before instead of opening a second one
            assert isinstance(previous, cst.With) and isinstance(previous.body, cst.IndentedBlock)
            extended = previous.body.with_changes(body=[*previous.body.body, *run])
            replacements[previous] = previous.with_changes(body=extended)
            for extra in run:
                replacements[extra] = cst.RemoveFromParent()
        elif following is not None and with_this_lock(module, following, lock_text):
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
        return Plan(f"Hold `{lock_text}` around the {what_text}", replacements, lock)

    def _joinable(self, stmt: cst.CSTNode, access: Access, self_name: str) -> bool:
        touches_racy = any(self.is_racy(n, self_name) for n in own_nodes(stmt))
        return touches_racy and self.cheap(stmt, access) and not isinstance(stmt, cst.While)

    def precompute(self, access: Access, stmt: cst.CSTNode, lock: cst.BaseExpression) -> Optional[Plan]:
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
            return node is not None and any(self.is_racy(n, region.self_name) for n in own_nodes(node))

        target = None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, (cst.AugAssign, cst.AnnAssign)) and small.value is not None:
            target = small.target
        if target is not None and small.value is not None and not racy_in(small.value):  # type: ignore[union-attr]
            value = small.value  # type: ignore[union-attr]
            if isinstance(value, cst.Yield):
                return None
            if is_self_attr(target, region.self_name):
                attr = target.attr.value  # type: ignore[union-attr]
            elif (
                isinstance(target, cst.Subscript)
                and is_self_attr(target.value, region.self_name)
                and not any(racy_in(element) for element in target.slice)
                and self.cheap(target, access)
            ):
                attr = target.value.attr.value  # type: ignore[union-attr]
            else:
                return None
            suffix = "_delta" if isinstance(small, cst.AugAssign) else ""
            base = _singular(attr) if isinstance(target, cst.Subscript) else attr
            local = self.local_name(base, access, set(), suffix)
            compute = assign(local, value).with_changes(leading_lines=stmt.leading_lines)
            store = stmt.with_changes(body=[small.with_changes(value=cst.Name(local))], leading_lines=())
            return Plan(
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
                and is_self_attr(func.value, region.self_name)
                and func.attr.value in MUTATORS
                and not any(racy_in(arg.value) for arg in call.args)
            ):
                return None
            attr = func.value.attr.value  # type: ignore[union-attr]
            taken: set[str] = set()
            computed: list[cst.SimpleStatementLine] = []
            new_args = []
            for arg in call.args:
                if arg.star or self.cheap(arg.value, access):
                    new_args.append(arg)
                    continue
                local = self.local_name(_singular(attr), access, taken)
                computed.append(assign(local, arg.value))
                new_args.append(arg.with_changes(value=cst.Name(local)))
            if not computed:
                return None
            computed[0] = computed[0].with_changes(leading_lines=stmt.leading_lines)
            new_call = small.with_changes(value=call.with_changes(args=new_args))
            store = stmt.with_changes(body=[new_call], leading_lines=())
            return Plan(
                f"Build the value first, then call `self.{attr}.{func.attr.value}()` under `{lock_text}`",
                {stmt: cst.FlattenSentinel([*computed, wrap_statements(lock, [store])])},
                lock,
            )
        return None


def _singular(attr: str) -> str:
    """A name for one element: `samples` -> `sample`, `status` -> `status_item`."""
    base = attr.lstrip("_")
    if len(base) > 3 and base.endswith("s") and not base.endswith(("ss", "us", "is")):
        return base[:-1]
    return f"{base}_item"
