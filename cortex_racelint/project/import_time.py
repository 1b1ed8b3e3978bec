"""Lazy accessors the project first calls at import time: the global is set under the import lock.

botocore's `get_global_history_recorder()` creates `HISTORY_RECORDER` on first call, and
`botocore.client` and `botocore.endpoint` call it at module level: by the time any thread can
call it, an import already set the global (module code runs under the import lock, once).
The summary records each module's unconditional top-level calls (`import_calls`) and the
globals each function declares and assigns (`gstores`); the join resolves the calls to the
module functions they name. A module function qualifies when it assigns a global and no other
function of its module assigns any of those globals (a `reset()` would re-open the window).
The lazy-init rule re-checks that with LibCST (`analysis/import_time.py`, which also sees the
same-module case on its own); a check drops the phase-1 findings through the summaries.
Missed: a thread calling the accessor before any of those modules is imported.
"""

from __future__ import annotations

from .modules import SymbolTable, module_name

#: the lazy-init codes whose site is a module global checked in a module function
CODES = frozenset({"CRL101", "CRL107"})


def import_time_functions(summaries: dict[str, dict]) -> dict[str, dict[str, str]]:
    """path -> {function: reason} for the module functions some module calls at import."""
    modules: dict[str, tuple[str, dict]] = {}
    for path in sorted(summaries):
        if summaries[path]:
            modules.setdefault(module_name(path), (path, summaries[path]))
    table = SymbolTable(modules)
    facts: dict[str, dict[str, str]] = {}
    for module, (_, summary) in modules.items():
        for text in summary.get("import_calls", []):
            symbol = table.resolve(module, text)
            if symbol is None or "." in symbol[1]:
                continue
            owner_path, owner = modules[symbol[0]]
            if _sole_writer(owner, symbol[1]):
                facts.setdefault(owner_path, {}).setdefault(symbol[1], f"first called at import of `{module}`")
    return facts


def _sole_writer(summary: dict, qual: str) -> bool:
    """`qual` assigns a global and no other function of the module assigns one of its globals."""
    functions = summary.get("functions", {})
    mine = set(functions.get(qual, {}).get("gstores", []))
    return bool(mine) and not any(mine & set(info.get("gstores", [])) for other, info in functions.items() if other != qual)
