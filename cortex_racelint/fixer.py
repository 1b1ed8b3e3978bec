"""The fix loop: apply non-overlapping fixes, re-parse, re-lint, repeat; never break code.

Unlike Fixit, a fixed module is parsed and linted again, so a fix that exposes a second
finding (a per-call lock hoisted, then the lazy init it guarded) is completed in the same
run; nested fixes are deferred to the next round instead of being dropped. The result
must parse and, if the input compiled, compile; otherwise the file is left untouched
and the reason reported.
"""

from __future__ import annotations

import warnings
from typing import Optional, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from . import prefilter
from .engine import ModuleRun, parse, parse_error, rule_error, run_rules, to_findings
from .ftypes import Config, FileResult, FixApplicability
from .registry import enabled_rules, is_enabled
from .rule import AddImport, InsertStatement, Replacement, Report
from .sourcefile import NewlineStyle

MAX_ROUNDS = 10


class _FixApplier(cst.CSTTransformer):
    """Replace nodes by identity and insert statements beside anchors, in one pass."""

    def __init__(self, replacements: dict[int, Replacement], inserts: dict[int, list[InsertStatement]]) -> None:
        super().__init__()
        self.replacements = replacements
        self.inserts = inserts

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        result = self.replacements.get(id(original_node), updated_node)
        edits = self.inserts.get(id(original_node))
        if not edits or isinstance(result, cst.RemovalSentinel):
            return result
        core = list(result.nodes) if isinstance(result, cst.FlattenSentinel) else [result]
        small = isinstance(original_node, cst.BaseSmallStatement)  # e.g. in `def __init__(self): self.x = 1`
        before = [node for edit in edits if edit.before for node in _parse_insert(edit.code, small)]
        after = [node for edit in edits if not edit.before for node in _parse_insert(edit.code, small)]
        if before and isinstance(core[0], (cst.FunctionDef, cst.ClassDef)) and not core[0].leading_lines:
            # keep a def visually apart from the statement put above it
            core[0] = core[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        return cst.FlattenSentinel([*before, *core, *after])


def _parse_insert(code: str, small: bool) -> list[cst.CSTNode]:
    """The statement to insert; beside a small statement of a one-line suite, its small statements.

    `def __init__(self, p): self.p = p` gets `self._lock = Lock(); self.p = p`: a whole
    `SimpleStatementLine` cannot sit in a one-line suite.
    """
    statement = cst.parse_statement(code)
    if not small:
        return [statement]
    if not isinstance(statement, cst.SimpleStatementLine):
        raise ValueError(f"cannot insert a compound statement into a one-line suite: {code.strip()!r}")
    return list(statement.body)


def _overlaps(a: tuple, b: tuple) -> bool:
    return not (a[1] <= b[0] or b[1] <= a[0])


def choose_fixes(run: ModuleRun, reports: Sequence[Report], unsafe: bool) -> list[Report]:
    """Fixable reports whose edited spans do not overlap; the rest wait a round."""
    chosen: list[Report] = []
    taken: list[tuple] = []
    candidates = [r for r in reports if r.fix is not None]
    candidates.sort(key=lambda r: (run.positions[r.node].start.line, run.positions[r.node].start.column))
    for report in candidates:
        assert report.fix is not None
        if report.fix.applicability is FixApplicability.UNSAFE and not unsafe:
            continue
        if report.fix.applicability is FixApplicability.DISPLAY_ONLY:
            continue
        spans = []
        for node in report.fix.replacements:
            code_range = run.positions.get(node)
            if code_range is None:
                break
            spans.append(((code_range.start.line, code_range.start.column), (code_range.end.line, code_range.end.column)))
        else:
            if any(_overlaps(span, other) for span in spans for other in taken):
                continue
            taken.extend(spans)
            chosen.append(report)
    return chosen


def apply_fixes(module: cst.Module, reports: Sequence[Report]) -> cst.Module:
    replacements: dict[int, Replacement] = {}
    inserts: dict[int, list[InsertStatement]] = {}
    seen_keys: set[str] = set()
    imports: list[AddImport] = []
    for report in reports:
        assert report.fix is not None
        for node, new in report.fix.replacements.items():
            replacements[id(node)] = new
        for edit in report.fix.edits:
            if isinstance(edit, AddImport):
                if edit.key not in seen_keys:
                    imports.append(edit)
            elif edit.key not in seen_keys:
                inserts.setdefault(id(edit.anchor), []).append(edit)
            seen_keys.add(edit.key)
    fixed = module.visit(_FixApplier(replacements, inserts))
    if imports:
        context = CodemodContext()
        for edit in imports:
            AddImportsVisitor.add_needed_import(context, edit.module, edit.name)
        fixed = AddImportsVisitor(context).transform_module(fixed)
    return fixed


def _compiles(raw: bytes, path: str) -> Optional[str]:
    """None if `raw` compiles, else the error message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(raw, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return str(error)
    return None


def fix_source(
    raw: bytes | str,
    path: str = "<stdin>",
    config: Optional[Config] = None,
    relative_path: str = "",
    use_prefilter: bool = True,
) -> FileResult:
    """Fix one file's contents. `new_source` is set only when something changed."""
    config = config or Config()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    result = FileResult(path=path, old_source=raw)
    rule_classes = enabled_rules(config, relative_path)
    if use_prefilter:
        rule_classes = prefilter.candidate_rules(raw, rule_classes)
    if not rule_classes and not is_enabled("CRL001", config, relative_path):
        return result  # as `lint_source`: a file no rule can match is not parsed, so `--fix` errs on no more files than `check`
    style = NewlineStyle.detect(raw)
    try:
        module = parse(style.to_parser(raw))
    except Exception as error:  # noqa: BLE001 - reported and skipped, never rewritten
        result.error = parse_error(path, error, raw)
        return result
    try:
        return _fix_module(module, raw, style, result, rule_classes, config, path, relative_path)
    except Exception as error:  # noqa: BLE001 - too deep for LibCST's recursive codegen, or a rule crashed: never rewritten
        return FileResult(path=path, old_source=raw, error=rule_error(path, error))


def _fix_module(
    module: cst.Module,
    raw: bytes,
    style: NewlineStyle,
    result: FileResult,
    rule_classes: Sequence[type],
    config: Config,
    path: str,
    relative_path: str,
) -> FileResult:
    original_compiled = _compiles(raw, path) is None
    fixed_count = 0
    try:
        for _ in range(MAX_ROUNDS):
            run = run_rules(module, path, rule_classes, config)
            _, live = to_findings(run, path, module.code, config, relative_path)
            chosen = choose_fixes(run, live, config.unsafe_fixes)
            if not chosen:
                break
            candidate = apply_fixes(module, chosen)
            module = parse(candidate.bytes)
            fixed_count += len(chosen)
            rule_classes = enabled_rules(config, relative_path)  # fixes may add evidence
    except RecursionError:
        raise  # the module is too deep to lint at all (as in `lint_source`), not a broken fix
    except Exception as error:  # noqa: BLE001 - a fix that breaks the parse is reverted
        result.fix_error = f"fix reverted: the fixed code did not parse ({type(error).__name__}: {error})"
        module = parse(style.to_parser(raw))
        fixed_count = 0
    new_raw = style.from_parser(module.bytes)
    if new_raw != raw and original_compiled:
        problem = _compiles(new_raw, path)
        if problem is not None:
            result.fix_error = f"fix reverted: the fixed code does not compile ({problem})"
            new_raw, fixed_count = raw, 0
            module = parse(style.to_parser(raw))
    final = run_rules(module, path, rule_classes, config)
    result.findings, _ = to_findings(final, path, module.code, config, relative_path)
    result.hidden_unsafe = sum(
        1 for f in result.findings if f.fix_applicability is FixApplicability.UNSAFE and not config.unsafe_fixes
    )
    result.fixed_count = fixed_count
    if new_raw != raw:
        result.new_source = new_raw
    return result
