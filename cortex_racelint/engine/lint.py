"""Parse once, visit once with every enabled rule, turn reports into findings.

Data flows one way: source bytes -> prefilter -> LibCST module -> one batched visit
(all rules share the `LintContext`) -> reports -> suppressions -> findings. The fix
loop (`fixer.py`) calls `run_rules` again on each re-parsed module.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import traceback
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import libcst as cst

from ..analysis.context import LintContext
from ..analysis.traverse import walk
from ..project.summary import build_summary
from ..ftypes import (
    Config,
    FileResult,
    Finding,
    FixApplicability,
    FlowStep,
    ParseError,
    Position,
    RaceWindow,
    Span,
)
from ..project import event_loop
from ..project.standalone import own_facts_and_tree
from ..registry import RuleSet, all_rules, project_rules
from ..rule import Report, Rule
from . import deep_statements, prefilter, unvalidated
from .positions import LazyPositions
from .sourcefile import NewlineStyle
from .suppressions import SuppressionTable


class _BatchedWalk:
    """Dispatches each node to the rules that asked for its type, keeping the path.

    A direct walk over the nodes' dataclass fields in source order: LibCST's own
    `visit` rebuilds every node it passes (it is a transformer underneath), which
    costs more than the parse; a read-only lint needs none of that.
    """

    def __init__(self, context: LintContext, rules: Sequence[Rule]) -> None:
        self.context = context
        self.visits: dict[type, list[Callable]] = {}
        self.leaves: dict[type, list[Callable]] = {}
        self._rules = rules

    def _methods(self, node_type: type) -> tuple[list[Callable], list[Callable]]:
        if node_type not in self.visits:
            name = node_type.__name__
            self.visits[node_type] = [getattr(r, f"visit_{name}") for r in self._rules if hasattr(r, f"visit_{name}")]
            self.leaves[node_type] = [getattr(r, f"leave_{name}") for r in self._rules if hasattr(r, f"leave_{name}")]
        return self.visits[node_type], self.leaves[node_type]

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.context.ancestors.append(node)
        for method in self._methods(type(node))[0]:
            method(node)
        return True

    def on_leave(self, node: cst.CSTNode) -> None:
        for method in self.leaves[type(node)]:
            method(node)
        self.context.ancestors.pop()


@dataclass
class ModuleRun:
    """Reports of one visit, with the positions needed to place them."""

    module: cst.Module
    reports: list[Report]
    positions: LazyPositions  # node -> CodeRange, computed on first use
    context: Optional[LintContext] = None

    def span(self, node: cst.CSTNode) -> Span:
        """From the node's start to the end of its first line's content.

        A compound statement is reported by its header (`if x is None:`), not its whole
        body, so editors underline the check rather than twenty lines.
        """
        code_range = self.positions[node]
        end = code_range.end
        header = _header_child(node)
        if header is not None and header in self.positions:
            end = self.positions[header].end
        return Span(Position(code_range.start.line, code_range.start.column), Position(end.line, end.column))


def _header_child(node: cst.CSTNode) -> Optional[cst.CSTNode]:
    if isinstance(node, (cst.If, cst.While)):
        return node.test
    if isinstance(node, cst.With):
        return node.items[-1]
    if isinstance(node, cst.For):
        return node.iter
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return node.name
    return None


#: CPython's messages for a file nested deeper than its parser allows
_TOO_DEEP = ("too many nested parentheses", "too many levels of indentation", "too complex", "recursion")


class NestingTooDeep(RecursionError):
    """Refused before LibCST sees it: `args[0]` says why, `line` where (0 if unknown)."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.line = line


def _refuse_deep_nesting(raw: bytes) -> None:
    """Raise NestingTooDeep for nesting LibCST's native parser cannot survive.

    LibCST's Rust parser has no depth limit: ~2000 nested brackets, or a few
    thousand chained `[0]`/`lambda:`/unary operators, overflow the C stack and kill
    the whole process (SIGSEGV), taking every other file of the run with it.
    CPython's parser bounds nesting (200 brackets, 100 indents, its recursion limit),
    so a file it refuses for depth is reported instead of handed to LibCST.
    """
    try:
        ast.parse(raw)
    except (RecursionError, MemoryError):
        raise NestingTooDeep("recursion limit") from None
    except SyntaxError as error:
        if any(marker in str(error.msg) for marker in _TOO_DEEP):
            raise NestingTooDeep(str(error.msg), error.lineno or 0) from None
    except ValueError:  # NUL bytes: LibCST reports them
        pass


def parse(raw: bytes, depth_checked: bool = False) -> cst.Module:
    """LibCST module of `raw`; `depth_checked` when `ast` already parsed it (the prefilter did)."""
    if not depth_checked:
        _refuse_deep_nesting(raw)
    return unvalidated.parse_module(raw)


def run_rules(
    module: cst.Module, path: str, rule_classes: Sequence[type[Rule]], config: Optional[Config] = None
) -> ModuleRun:
    context = LintContext(module, path, config)
    context.codes = frozenset(rule_class.CODE for rule_class in rule_classes)
    rules = [rule_class(context) for rule_class in rule_classes]
    batched = _BatchedWalk(context, rules)
    walk(module, batched.on_visit, batched.on_leave)
    reports = [report for rule in rules for report in rule.reports]
    return ModuleRun(module, reports, LazyPositions(module, _nodes_to_place(reports)), context)


def _nodes_to_place(reports: Sequence[Report]) -> Iterator[cst.CSTNode]:
    """Every node whose position a report can be asked for: itself, its window, its fix's edits."""
    for report in reports:
        yield report.node
        if report.window is not None:
            yield report.window.check
            yield report.window.act
        if report.fix is not None:
            yield from report.fix.replacements


def _python_syntax_error(source: Optional[bytes]) -> Optional[SyntaxError]:
    """CPython's own message and position, clearer than the LibCST parser's."""
    if source is None:
        return None
    try:
        ast.parse(source)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def parse_error(path: str, error: BaseException, source: Optional[bytes] = None) -> ParseError:
    """One clear line for anything that stops a file from being parsed."""
    if isinstance(error, cst.ParserSyntaxError):
        precise = _python_syntax_error(source)
        if precise is not None:
            return ParseError(path, f"cannot parse: {precise.msg}", precise.lineno or 0, max((precise.offset or 1) - 1, 0))
        message = str(error.message).strip().splitlines()[0] if error.message else "invalid syntax"
        return ParseError(path, f"cannot parse: {message}", error.raw_line, error.raw_column)
    if isinstance(error, NestingTooDeep):
        return ParseError(path, f"cannot parse: nesting too deep for the parser ({error.args[0]})", error.line)
    if isinstance(error, RecursionError):
        return ParseError(path, "cannot parse: nesting too deep for the parser (recursion limit)")
    if isinstance(error, UnicodeDecodeError):
        return ParseError(path, f"cannot decode: {error.reason} at byte {error.start}")
    if isinstance(error, (LookupError, SyntaxError)):
        return ParseError(path, f"cannot decode: {error}")
    if isinstance(error, ValueError) and "null" in str(error).lower():
        return ParseError(path, "cannot parse: source contains NUL bytes")
    return ParseError(path, f"cannot parse: {type(error).__name__}: {error}")


def rule_error(path: str, error: BaseException) -> ParseError:
    """A file that parsed but could not be linted: too deep for the visitors, or a rule's bug."""
    if isinstance(error, RecursionError):
        return parse_error(path, error)
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    detail = f"{type(error).__name__}: {error}".rstrip(": ")
    return ParseError(path, f"internal error: racelint crashed on this file ({detail}{where}); please report it")


def to_findings(
    run: ModuleRun,
    path: str,
    source_text: str,
    config: Config,
    rule_set: RuleSet,
    honour_noqa: bool = True,
) -> tuple[list[Finding], list[Report]]:
    """Suppress, then convert live reports to plain findings (sorted)."""
    table = SuppressionTable(source_text)
    findings: list[Finding] = []
    kept: list[Report] = []
    primaries: dict[tuple[int, str], int] = {}  # (primary node, code) -> index in `findings`
    suppressed: set[tuple[int, str]] = set()
    loop_only = run.context.project_facts.get("loop_only") if run.context is not None else None
    if loop_only:
        loop_only = event_loop.ranges_in(source_text, loop_only)
    for report in run.reports:
        if report.primary is not None:
            continue
        span = run.span(report.node)
        if loop_only and event_loop.reason_at(loop_only, span.start.line, report.code):
            continue  # one event-loop thread runs it (`project/event_loop.py`): no second thread
        if table.suppresses(report.code, span.start.line, honour_noqa):
            suppressed.add((id(report.node), report.code))  # the race is accepted: its other sites too
            continue
        kept.append(report)
        primaries[(id(report.node), report.code)] = len(findings)
        findings.append(_finding(report, span, path, run, config))
    for report in run.reports:  # the other sites of a race: related locations of its finding
        key = (id(report.primary), report.code)
        if report.primary is None or key in suppressed:
            continue
        span = run.span(report.node)
        if key not in primaries or table.suppresses(report.code, span.start.line, honour_noqa):
            continue
        kept.append(report)
        index = primaries[key]
        findings[index] = dataclasses.replace(findings[index], related=(*findings[index].related, span))
    if rule_set.unused_suppressions:
        project = {rule.CODE for rule in all_rules() if rule.PROJECT}
        for suppression, stale in table.unused():
            if stale and all(code in project for code in stale):
                continue  # a project rule's finding is judged in phase 2, not by this file's pass
            stale = tuple(code for code in stale if code not in project)
            what = ", ".join(stale) if stale else "any finding"
            position = Position(suppression.line, suppression.column)
            findings.append(
                Finding(
                    code="CRL001",
                    message=f"Unused suppression: no {what} reported on this line",
                    path=path,
                    span=Span(position, position),
                )
            )
    findings.sort(key=Finding.sort_key)
    return findings, kept


def _finding(report: Report, span: Span, path: str, run: ModuleRun, config: Config) -> Finding:
    window = None
    if report.window is not None and report.window.check in run.positions and report.window.act in run.positions:
        hold = report.window.hold_call
        window = RaceWindow(
            check=run.span(report.window.check),
            act=run.span(report.window.act),
            hold_call=run.module.code_for_node(hold.func) if hold is not None else None,
            exposure=report.window.exposure,
        )
    fix = report.fix
    return Finding(
        code=report.code,
        message=report.message,
        path=path,
        span=span,
        fix_applicability=fix.applicability if fix else None,
        fix_message=fix.message if fix else None,
        no_fix_reason=report.no_fix_reason,
        window=window,
        withheld_fix=report.withheld,
        consequence=report.consequence,
        flow=(*report.flow, FlowStep(path, span.start.line, span.start.column, "the access, without a lock"))
        if report.flow
        else (),
        shared=report.shared,
    )


def _parse_without_deep_statements(raw: bytes, error: BaseException, result: FileResult) -> Optional[cst.Module]:
    """Parse with the too-deep statements stubbed (`engine.deep_statements`); None if that does not help."""
    if not isinstance(error, RecursionError):
        return None
    stubbed = deep_statements.without_deep_statements(raw)
    if stubbed is None:
        return None
    try:
        module = parse(stubbed[0], depth_checked=True)
    except Exception:  # noqa: BLE001 - still too deep, or something else: the original error is reported
        return None
    result.skipped = stubbed[1]
    return module


def summary_tree(raw: bytes, result: FileResult, config: Optional[Config] = None) -> Optional[ast.Module]:
    """Parse `raw` with `ast` and set `result.summary`; None (no summary) if it does not parse.

    A summary that cannot be built (nesting too deep for its walk) leaves the file out of the
    index only: the file is still linted.
    """
    try:
        tree = ast.parse(raw)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        result.summary = build_summary(tree, config.thread_entries if config is not None else ())
    except RecursionError:
        result.summary = None
    return tree


def lint_source(
    raw: bytes | str,
    path: str = "<stdin>",
    config: Optional[Config] = None,
    relative_path: str = "",
    use_prefilter: bool = True,
    honour_noqa: bool = True,
    summarize: bool = False,
    project_only: bool = False,
) -> FileResult:
    """Lint one file's contents; never raises for bad input (it becomes `error`).

    `summarize`: also build the module's summary for the project index (`result.summary`),
    from the `ast` tree the prefilter reads. `project_only` (phase 2 of a project run, with
    `config.project_facts`): only the project rules run, and unused suppressions are not judged.
    """
    config = config or Config()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    result = FileResult(path=path)
    own_tree: Optional[ast.Module] = None
    if not summarize:  # linted on its own: a project of one module
        config, own_tree = own_facts_and_tree(raw, path, config, project_rules(config, relative_path))
    rule_set = RuleSet.for_file(config, relative_path)
    rule_classes: Sequence[type[Rule]] = rule_set.rules
    if project_only:
        rule_classes = [rule for rule in rule_classes if rule.PROJECT]
        rule_set = dataclasses.replace(rule_set, rules=tuple(rule_classes), unused_suppressions=False)
    depth_checked = False
    parsed = raw
    crl001 = rule_set.unused_suppressions
    tree = summary_tree(raw, result, config) if summarize else own_tree
    if use_prefilter:
        screening = prefilter.screen(raw, rule_classes, config, tree)
        rule_classes, depth_checked = screening.rules, screening.depth_checked
        if not crl001:  # an unused-suppression check needs every statement
            parsed = prefilter.narrowed_source(raw, screening) or raw
    if not rule_classes and not crl001:
        return result
    style = NewlineStyle.detect(raw)
    try:
        module = parse(style.to_parser(parsed), depth_checked)
    except Exception as error:  # noqa: BLE001 - any parser failure is a reported, skipped file
        module = _parse_without_deep_statements(style.to_parser(parsed), error, result)
        if module is None:
            result.error = parse_error(path, error, raw)
            return result
    try:
        run = run_rules(module, path, rule_classes, config)
    except RecursionError as error:  # too deep for the visitors: lint the rest of the file
        retry = None if result.skipped else _parse_without_deep_statements(style.to_parser(parsed), error, result)
        try:
            run = run_rules(retry, path, rule_classes, config) if retry is not None else None
        except RecursionError:
            run = None
        if run is None:
            result.error, result.skipped = rule_error(path, error), []
            return result
        module = retry
    except Exception as error:  # noqa: BLE001 - a rule crashed: reported as such, never as a syntax error
        result.error = rule_error(path, error)
        return result
    text = style.to_parser(raw).decode(module.encoding, errors="replace")  # for comments: no codegen
    result.findings, _ = to_findings(run, path, text, config, rule_set, honour_noqa)
    if result.skipped:
        result.findings = [
            dataclasses.replace(f, fix_applicability=None, fix_message=None, no_fix_reason=deep_statements.NO_FIX)
            for f in result.findings
        ]
    if run.context is not None:
        run.context.release()
    result.hidden_unsafe = sum(
        1 for f in result.findings if f.fix_applicability is FixApplicability.UNSAFE and not config.unsafe_fixes
    )
    return result
