"""The thread that starts the entries is a side too: `main()` starting a saver thread, then recording
into the process-wide history itself (CRL406's main-thread side).

Summary (`note_wait`, `note_with`): per function, where it waits for the threads it started:
`waits` rows `[from, to]`, `[line, line]` for a thread's `.join()` (no argument, a number or a timeout:
not `", ".join(parts)`), a `.shutdown()` or a `.wait()` (`Event.wait()` too, the conservative reading), and `[first, last]` for a `with ...Executor(...)`/
`...Pool(...)` block, whose exit waits for what was submitted inside it.

Join (`main_sides`): a call the starting function (or module code) makes after a start and before the
first wait after it runs on the starter's thread while the entry runs; what it reaches on a shared
object is tallied as one more thread (`walk_join.WalkTally`). A call before the start, or after a
wait, is ordered with the entry and does not count.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from .entries import dotted

#: calls after which the starter has waited for the threads it started
_WAITS = frozenset({"join", "shutdown", "wait"})
#: `with` items whose exit waits for the tasks submitted in the block
_POOL_SUFFIXES = ("Executor", "Pool")


def note_wait(info: dict, node: ast.Call) -> None:
    """`t.join()`, `pool.shutdown()`, `done.wait()`: the starter waits here (not `", ".join(parts)`)."""
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in _WAITS and (func.attr != "join" or _thread_join(node)):
        info.setdefault("waits", []).append([node.lineno, node.lineno])


def _thread_join(node: ast.Call) -> bool:
    """`t.join()`, `t.join(5)`, `t.join(timeout=...)`, `t.join(self.timeout)`; not a `str`/`os.path` join."""
    if isinstance(node.func.value, ast.Constant) or len(node.args) > 1:  # type: ignore[attr-defined]
        return False
    if not node.args:
        return True
    arg = node.args[0]
    if isinstance(arg, ast.Constant):
        return isinstance(arg.value, (int, float)) and not isinstance(arg.value, bool)
    return "timeout" in (dotted(arg) or "").rsplit(".", 1)[-1].lower()


def note_with(info: dict, node: ast.AST) -> None:
    """`with ThreadPoolExecutor(4) as pool:`: its exit waits for the tasks submitted in it."""
    for item in node.items:  # type: ignore[attr-defined]
        expr = item.context_expr
        name = dotted(expr.func) if isinstance(expr, ast.Call) else None
        if name and name.rsplit(".", 1)[-1].endswith(_POOL_SUFFIXES):
            info.setdefault("waits", []).append([node.lineno, node.end_lineno])  # type: ignore[attr-defined]
            return


def _waited(info: dict, start: int) -> float:
    """The first line at which the starter has waited for an entry started at `start`."""
    found = float("inf")
    for first, last in info.get("waits", ()):
        if first == last and first > start:
            found = min(found, first)
        elif first < last and first <= start <= last:
            found = min(found, last + 1)
    return found


def main_sides(graph: Any, reach: Callable, modules: dict, walks: Any) -> None:
    """For each thread start, the walks and size changes of shared objects the starter reaches while the
    entry runs, into `walks` (`walk_join.WalkTally`) as the thread `("main", module, scope)`."""
    done: set[tuple] = set()
    for module, (path, summary) in modules.items():
        for kind, _, text, scope, line, col, _, _ in summary["entries"]:
            starter = summary["functions"].get(scope)
            if starter is None:
                continue
            waited = _waited(starter, line)
            for target, at, at_col, through, locks in graph.edges((module, scope)):
                if not line < at < waited or (module, scope, at, at_col) in done:
                    continue
                done.add((module, scope, at, at_col))
                step = [path, at, at_col, f"`{module}.{scope}` calls `{target[1]}` while the {kind} `{text.replace('|', '().')}` it started runs"]
                for node, (steps, vias, held, _) in reach(graph, target, through).items():
                    cls = (node[0], node[1].split(".")[0])
                    if "." not in node[1] or cls not in vias or cls not in graph.how:
                        continue
                    info = graph.summary(node[0])["functions"][node[1]]
                    if ("walks" in info or "sizes" in info) and not graph.summary(cls[0])["classes"][cls[1]].get("own_threads"):
                        walks.note(graph, cls, node, info, ("main", module, scope), False, locks | held, [step, *steps])
