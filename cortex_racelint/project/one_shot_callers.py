"""Functions only one-shot code calls, across modules: start-up helpers are not service code.

CRL301/CRL302 (and CRL201) do not report what one-shot code does (`analysis/one_shot.py`: an
application's `init_*()`, a script's `main()`, ...), but a helper such code calls in another
module looked like any other method to the per-file pass: IPython's
`ProfileDir.copy_config_file` is called only from `BaseIPythonApplication.init_config_files`.

Phase 1 records, per module, the names one-shot functions call directly (the summary's
`one_shot_calls`, tallied by `OneShotTally` during its one `ast` walk). The join keeps a
function when every other mention of its name in the project's non-test files is one of those
calls (at least one from another module: a module's own `main()` trying its public API out is
no evidence), its `def` or an import of it. The text is counted, so a mention the summary cannot
explain (a callback `target=obj.name`, a call from a thread or a nested def, a comment) keeps
the finding. Test files are neutral: a method their tests call is still one-shot in the program.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Callable, Iterable, Optional, Union

from ..analysis.one_shot import (
    APP_BASE_SUFFIXES,
    APP_ENTRY_METHODS,
    APP_ENTRY_PREFIXES,
    COMMAND_BASES,
    COMMAND_DECORATORS,
    is_test_module,
)

_WORD = re.compile(rb"[A-Za-z_]\w*")
_Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
#: the codes one-shot code does not have (`analysis/one_shot.py` users: file writes, per-call connections);
#: a fix run gets the same answer through the file's facts, read by `one_shot_reason`
CODES = frozenset({"CRL301", "CRL302", "CRL304", "CRL201"})


def _last(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = {test.left, test.comparators[0]}
    names = {n.id for n in sides if isinstance(n, ast.Name)}
    strings = {n.value for n in sides if isinstance(n, ast.Constant)}
    return "__name__" in names and "__main__" in strings


def _own_nodes(body: list) -> Iterable[ast.AST]:
    """The nodes of `body`, not those of nested defs, lambdas or classes (they may run later, elsewhere)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _one_shot(function: _Function, bases: Optional[list[str]]) -> bool:
    """`analysis.one_shot.one_shot_reason` for what a tree alone shows (no path, no test code)."""
    name = function.name
    if any(_last(d) in COMMAND_DECORATORS for d in function.decorator_list):
        return True
    if bases is not None:
        if name == "handle" and any(b in COMMAND_BASES for b in bases):
            return True
        if any(b.endswith(APP_BASE_SUFFIXES) for b in bases) and (
            name in APP_ENTRY_METHODS or name.startswith(APP_ENTRY_PREFIXES)
        ):
            return True
    return False


#: `<parser>.parse_args()` with no argument reads `sys.argv`: the function is an entry point
ARGV_READERS = frozenset({"parse_args", "parse_known_args"})


class OneShotTally:
    """Fed by the summary's one walk: each function's direct calls, kept when it is one-shot.

    `function` hears every def once its body is walked (calls in nested defs and lambdas are
    not its own: they may run later, on another thread); `result` adds the module functions
    the `if __name__ == "__main__":` block calls, and the block's own calls.
    """

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.top: dict[str, Counter] = {}
        self.bases: dict[str, list[str]] = {}

    def class_bases(self, node: ast.ClassDef) -> None:
        self.bases[node.name] = [_last(b) for b in node.bases]

    def function(self, node: _Function, class_name: Optional[str], nested: bool, calls: Counter, argv: bool) -> None:
        if nested:
            return
        if argv or _one_shot(node, self.bases.get(class_name) if class_name is not None else None):
            self.counts.update(calls)
        elif class_name is None:
            self.top[node.name] = calls

    def result(self, tree: ast.Module) -> dict[str, int]:
        for stmt in tree.body:
            if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
                calls = Counter(_last(n.func) for n in _own_nodes(stmt.body) if isinstance(n, ast.Call))
                calls.pop("", None)
                self.counts.update(calls)
                for name in calls:
                    self.counts.update(self.top.pop(name, {}))
        return dict(self.counts)


def _defined(summaries: dict[str, dict]) -> dict[str, list[tuple[str, str]]]:
    """name -> (path, qual) of every module function and method (not nested) by that name."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path, summary in summaries.items():
        for qual in summary.get("functions", {}):
            parts = qual.split(".")
            if len(parts) == 1 or (len(parts) == 2 and parts[0] in summary.get("classes", {})):
                found.setdefault(parts[-1], []).append((path, qual))
    return found


class _NameIndex:
    """One pass over the summaries, for every name at once (a fix run asks about all of them).

    `explained[name]`: the mentions the summaries account for (one-shot calls, defs, nested too,
    and imports). `busy`: names some non-test module calls more often than its one-shot code
    does (its `calls`, by last name): such a call is a mention nothing explains, so the text
    count could only reject the name; it is rejected without reading any file.
    """

    def __init__(self, summaries: dict[str, dict]) -> None:
        self.explained: Counter = Counter()
        self.busy: set[str] = set()
        for path, summary in summaries.items():
            if is_test_module(path):
                continue
            one_shot = summary.get("one_shot_calls", {})
            self.explained.update(one_shot)
            called: Counter = Counter()
            for qual, info in summary.get("functions", {}).items():
                self.explained[qual.rpartition(".")[2]] += 1
                for kind, text, *_ in info.get("calls", ()):
                    called[text.rpartition("|" if kind == "r" else ".")[2]] += 1
            for local, (_, _, imported) in summary.get("imports", {}).items():
                if imported is not None:
                    self.explained[imported] += 1
                if local != imported:
                    self.explained[local] += 1
            self.busy.update(name for name, n in called.items() if n > one_shot.get(name, 0))


def one_shot_functions(
    summaries: dict[str, dict],
    paths: Iterable[str],
    read: Callable[[str], bytes],
    wanted: Optional[set[str]] = None,
) -> dict[str, dict[str, str]]:
    """path -> {qual: reason} for the functions only one-shot code of the project calls.

    `paths` are all the project's files, summarised or not: a file without a summary (a syntax
    error) still has its mentions counted, and none explained. `wanted` limits the names looked
    at (those of functions with a finding): the text is read only for them.
    """
    called: dict[str, list[str]] = {}  # name -> modules whose one-shot code calls it
    for path, summary in summaries.items():
        if not is_test_module(path):
            for name in summary.get("one_shot_calls", {}):
                called.setdefault(name, []).append(path)
    defined = _defined(summaries)
    index = _NameIndex(summaries)
    candidates = sorted(
        name
        for name in called
        if name in defined and not name.startswith("__") and (wanted is None or name in wanted) and name not in index.busy
    )
    if not candidates:
        return {}
    mentions = _mentions(candidates, paths, read)
    if mentions is None:
        return {}
    facts: dict[str, dict[str, str]] = {}
    for name in candidates:
        if mentions.get(name, 0) != index.explained[name]:
            continue
        homes = {path for path, _ in defined[name]}
        for path, qual in defined[name]:
            # a caller defining its own `name` may be calling that one (ftplib's and poplib's `getwelcome`)
            others = sorted(p for p in called[name] if p not in homes)
            if others:  # a module's own `__main__` demo of its API is no evidence: another module's start-up is
                facts.setdefault(path, {})[qual] = f"called only from one-shot code ({', '.join(others[:3])})"
    return facts


def _mentions(candidates: list[str], paths: Iterable[str], read: Callable[[str], bytes]) -> Optional[Counter]:
    """How often each candidate appears as a word in the non-test files; None when one cannot be read.

    A few names: one alternation. Many (a fix run looks at every candidate): counting every word
    is cheaper than a long alternation (26 s -> a few on the standard library).
    """
    wanted = {n.encode() for n in candidates}
    pattern = re.compile(rb"\b(" + b"|".join(re.escape(n) for n in sorted(wanted)) + rb")\b") if len(wanted) <= 16 else _WORD
    counts: Counter = Counter()
    for path in sorted(set(paths)):
        if is_test_module(path):
            continue
        try:
            text = read(path)
        except OSError:
            return None  # a file we cannot read may call anything
        found = Counter(pattern.findall(text))
        counts.update({word.decode(): n for word, n in found.items() if word in wanted})
    return counts


def enclosing(summary: dict, line: int) -> Optional[str]:
    """The outermost def whose lines hold `line` (as `analysis.one_shot` judges the outermost def)."""
    best: Optional[tuple[int, str]] = None  # the earliest start holding the line
    for qual, info in summary.get("functions", {}).items():
        start, end = info.get("line"), info.get("end")
        if start is not None and end is not None and start <= line <= end and (best is None or start < best[0]):
            best = (start, qual)
    return best[1] if best is not None else None
