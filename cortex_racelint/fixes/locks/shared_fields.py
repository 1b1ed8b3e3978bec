"""The lock of a shared attribute (CRL401, CRL402): one mutex per object (`instance_mutex`),
unless every racing partner already holds a common `self.<lock>`; an access already under some
lock gets none added, and a person picks one."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...rule import ModuleEdit


def held_lock_reason(attr: str, held: frozenset[str], partner: Optional[tuple[str, frozenset[str]]]) -> str:
    """Why an access already under a lock (`held`) gets no fix: no second lock, a person picks one.

    `partner` is a racing access that holds a lock too: where it runs, and its locks.
    """
    where = f" while {partner[0]} holds `{sorted(partner[1])[0]}`" if partner else ""
    return f"already guarded by `{sorted(held)[0]}`{where}: choose one lock for `self.{attr}` by hand"


def shared_field_lock(
    mutex: cst.BaseExpression, self_name: str, partner_locks: list[frozenset[str]]
) -> cst.BaseExpression:
    """The lock a fix holds: the `self.<lock>` all racing partners hold, else the object's mutex.

    `partner_locks` are the lock sets of the partners that hold any; the receiver is spelt
    the way the method spells it.
    """
    if partner_locks:
        common = set.intersection(*[set(locks) for locks in partner_locks])
        attr_locks = sorted(k for k in common if k.startswith("self.") and k.count(".") == 1)
        if attr_locks:
            return cst.Attribute(cst.Name(self_name), cst.Name(attr_locks[0].split(".", 1)[1]))
    assert isinstance(mutex, cst.Attribute)
    return mutex.with_changes(value=cst.Name(self_name))


def mutex_edits(lock: cst.BaseExpression, mutex: cst.BaseExpression, edits: list[ModuleEdit]) -> list[ModuleEdit]:
    """The edits creating the object's mutex, for a fix holding it; none for a partner's lock."""
    uses_mutex = isinstance(mutex, cst.Attribute) and isinstance(lock, cst.Attribute) and (
        lock.attr.value == mutex.attr.value
    )
    return list(edits) if uses_mutex else []


def with_this_lock(module: cst.Module, stmt: cst.CSTNode, lock_text: str) -> bool:
    """`with <lock>:` on exactly this lock (a critical section to extend)."""
    return (
        isinstance(stmt, cst.With)
        and len(stmt.items) == 1
        and stmt.items[0].asname is None
        and isinstance(stmt.body, cst.IndentedBlock)
        and module.code_for_node(stmt.items[0].item) == lock_text
    )
