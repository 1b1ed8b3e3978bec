"""Which thread entry of the project reaches a function: the evidence of a second thread.

CRL304 (load-modify-save) reports a span in a function whose file path is shared across calls;
that two threads run it is assumed from the path alone. Where a thread entry anywhere in the
project (the index's entry table: a `Thread` target, an executor task, a framework handler...)
reaches the function through calls the index resolves (as CRL404's evidence: `join._reach`,
names not values, up to `join.MAX_DEPTH` calls), the finding says which entry and carries the
path from it. Asked only for the functions holding such a finding (`wanted`).
"""

from __future__ import annotations

from typing import Iterable, Optional

from .join import Node, _Graph, _reach
from .modules import SymbolTable, module_name

#: the project fact: `{qual: [[path, line, column, message], ...]}`, the first entry's path to the function
#: (the rule reads it as `analysis/load_save.THREAD_ENTRIES`)
FACT = "thread_entries"


def innermost(summary: dict, line: int) -> Optional[str]:
    """The innermost def whose lines hold `line` (the function doing the span, not its enclosing def)."""
    best: Optional[tuple[int, str]] = None
    for qual, info in summary.get("functions", {}).items():
        start, end = info.get("line"), info.get("end")
        if start is not None and end is not None and start <= line <= end and (best is None or start > best[0]):
            best = (start, qual)
    return best[1] if best is not None else None


def entries_reaching(summaries: dict[str, dict], wanted: Optional[Iterable[tuple[str, str]]]) -> dict[str, dict]:
    """path -> {FACT: {qual: the path from the first thread entry reaching it}}; `wanted`: the
    (path, qual) to ask about (None: every function a thread entry reaches)."""
    modules: dict[str, tuple[str, dict]] = {}
    for path in sorted(summaries):
        if summaries[path]:
            modules.setdefault(module_name(path), (path, summaries[path]))
    targets: Optional[set[Node]] = None
    if wanted is not None:
        targets = {(module_name(path), qual) for path, qual in wanted}
        if not targets:
            return {}
    graph = _Graph(SymbolTable(modules))
    found: dict[str, dict] = {}
    for module, (path, summary) in modules.items():
        for kind, ref_kind, text, scope, line, col, *_ in summary["entries"]:
            start = graph.resolve_ref(module, scope, ref_kind, text)
            if start is None:
                continue
            head = [path, line, col, f"{kind} `{text.replace('|', '().')}` started in `{module}.{scope}`"]
            for node, (steps, *_) in _reach(graph, start[0], start[1]).items():
                if targets is not None and node not in targets:
                    continue
                reached = found.setdefault(graph.path(node[0]), {FACT: {}})[FACT]
                reached.setdefault(node[1], [head, *steps])
    return found
