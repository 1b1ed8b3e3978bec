"""The fix of a load-modify-save span (CRL304): one lock from the load through the save.

The lock and whether it can be held there are decided in `fixes/locks/load_save.py`; the wrap is
CRL301's lock form (`locked_write_fix`: a `with <same lock>:` inside is merged, `await`/`yield`
inside withholds the fix).
"""

from __future__ import annotations

from typing import Optional

from ..analysis.file_writes import FileAnalysis
from ..analysis.load_save import LoadSave
from ..rule import Fix
from .locked_write import locked_write_fix
from .locks.load_save import span_lock, span_op


def load_save_fix(analysis: FileAnalysis, site: LoadSave) -> tuple[Optional[Fix], Optional[str]]:
    chosen, reason = span_lock(analysis, site)
    if chosen is None:
        return None, reason
    lock, edits, key = chosen
    op = span_op(site)
    assert op is not None
    fix, reason = locked_write_fix(analysis, op, site.region, lock, edits, key, {}, [])
    if fix is not None:
        lock_text = analysis.context.module.code_for_node(lock)
        fix.message = f"Hold `{lock_text}` from the load through the save"
    return fix, reason
