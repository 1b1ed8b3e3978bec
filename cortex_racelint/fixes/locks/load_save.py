"""The lock held across a load-modify-save span (CRL304), and why none can be.

The span (`entries = self._load()` through `self._save(entries)`) takes the lock CRL301 would
give the file (`write_lock`: the instance lock for an attribute path, the module lock named
after a global, `locked(path)` for a check-then-appended file), spelt for the spanning
function. No lock is added where it could be taken twice by one thread:
- the function is called with that (plain) lock held, or a helper inside takes it
  (`deadlock_reason`, the caller-locks analysis of CRL301);
- the saving helper has other callers that do not load first (in the module, or outside it: a
  public helper): CRL301 gives its write its own lock, which the span would then hold when it
  calls the helper;
- the span calls a callable its caller hands in (a parameter, a stored `self.<attr>` that is not
  a method): it can come back to this function, or to another user of the lock.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import libcst as cst

from ...analysis.file_write_sites import unlocked_write
from ...analysis.file_writes import FileAnalysis, FileOp, walk_all
from ...analysis.load_save import LoadSave, saver_covered
from .file_writes import deadlock_reason, write_lock


def span_op(site: LoadSave) -> Optional[FileOp]:
    """The saver's write as if the spanning function made it (its receiver spells the lock)."""
    path = site.write.path
    function = site.function
    if path is None:
        return None
    if path.kind != "global":
        if function.receiver is None:
            return None
        path = dataclasses.replace(path, receiver=function.receiver)
    return dataclasses.replace(site.write, function=function, path=path)


Chosen = tuple[cst.BaseExpression, list, str]  # the lock, its module edits, its key


def span_lock(analysis: FileAnalysis, site: LoadSave) -> tuple[Optional[Chosen], Optional[str]]:
    """((lock, edits, key), None) for the span, or (None, why no lock can be held across it)."""
    op = span_op(site)
    if op is None:
        return None, "the span is in a nested function that cannot name the object's lock"
    saver = site.saver.name
    if unlocked_write(analysis, site.write) and not saver_covered(analysis, site.write):
        callers = [s.caller for s in analysis.call_sites(site.saver) if s.caller is not None]
        others = sorted({caller.name for caller in callers if caller is not site.function})
        where = f" (also from `{'()`, `'.join(others)}()`)" if others else ""
        where = where or ("" if site.saver.is_private else " (it is public: callers outside this module)")
        return None, (
            f"`{saver}()` is called without a load first{where}: its write gets its own lock (CRL301), "
            "which this span would then take again; hold one lock in every caller"
        )
    callback = _handed_in_call(analysis, site)
    if callback is not None:
        return None, f"the span calls `{callback}`, which its caller hands in: it could take the lock again"
    lock, edits, key, exists = write_lock(analysis, op, site.region)
    reason = deadlock_reason(analysis, op, site.region, key, exists)
    if reason is not None:
        return None, reason
    return (lock, edits, key), None


def _handed_in_call(analysis: FileAnalysis, site: LoadSave) -> Optional[str]:
    """A call in the span of a parameter (`callback(...)`) or of a stored attribute that is no method of the class."""
    function = site.function
    params = {p.name.value for p in (*function.node.params.posonly_params, *function.node.params.params,
                                     *function.node.params.kwonly_params)}
    methods = set()
    if function.class_node is not None and isinstance(function.class_node.body, cst.IndentedBlock):
        methods = {s.name.value for s in function.class_node.body.body if isinstance(s, cst.FunctionDef)}
    for stmt in site.region.statements:
        for node in walk_all(stmt):
            if not isinstance(node, cst.Call):
                continue
            func = node.func
            if isinstance(func, cst.Name) and func.value in params:
                return f"{func.value}()"
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == function.receiver
                and func.attr.value not in methods
            ):
                return f"{func.value.value}.{func.attr.value}()"
    return None


__all__ = ["span_lock", "span_op"]
