"""The fix loop: apply non-overlapping fixes, re-parse, re-lint, repeat; never break code.

Unlike Fixit, a fixed module is parsed and linted again, so a fix that exposes a second
finding (a per-call lock hoisted, then the lazy init it guarded) is completed in the same
run; nested fixes are deferred to the next round instead of being dropped. The result
must parse and, if the input compiled, compile; otherwise the file is left untouched
and the reason reported. The loop runs on the file's narrowed form (`fix_narrowing`),
so a fix costs what the statements it touches cost, not the whole file; where that
cannot be shown equal to fixing the whole module, the whole module is fixed.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from typing import Iterator, Optional, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node

from ..analysis.traverse import children, walk
from ..fixes.import_placement import place_added_imports
from ..fixes.locks.one_lock import drop_shadowed_object_locks
from ..ftypes import Config, FileResult, Finding, FixApplicability
from ..project.standalone import own_facts
from ..registry import RuleSet, project_rules
from ..rule import AddImport, InsertStatement, Replacement, Report, Rule
from . import prefilter
from .fix_narrowing import NarrowedModule, WholeModuleNeeded
from .lint import ModuleRun, lint_source, parse, parse_error, rule_error, run_rules, to_findings
from .sourcefile import NewlineStyle

MAX_ROUNDS = 10


class _FixApplier(cst.CSTTransformer):
    """Replace nodes by identity and insert statements beside anchors, in one pass.

    Only the nodes on the way to an edited node are entered (`on_path`, when known): LibCST's
    transformer rebuilds every node it enters, which on a large module cost more than
    parsing it, for a fix that touches one statement.
    """

    def __init__(
        self,
        replacements: dict[int, Replacement],
        inserts: dict[int, list[InsertStatement]],
        on_path: Optional[set[int]] = None,
    ) -> None:
        super().__init__()
        self.replacements = replacements
        self.inserts = inserts
        self.on_path = on_path

    def on_visit(self, node: cst.CSTNode) -> bool:
        return self.on_path is None or id(node) in self.on_path

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


def apply_fixes(
    module: cst.Module,
    reports: Sequence[Report],
    prune_imports: bool = True,
    narrowed: Optional[NarrowedModule] = None,
) -> cst.Module:
    """`module` with the reports' fixes applied; `narrowed` when `module` is a file's narrowed form."""
    replacements: dict[int, Replacement] = {}
    inserts: dict[int, list[InsertStatement]] = {}
    seen_keys: set[str] = set()
    imports: list[AddImport] = []
    for report in reports:
        assert report.fix is not None
        for node, new in report.fix.replacements.items():
            replacements[id(node)] = new
    # one lock per object: a class-body lock another fix adds in `__init__` too is left out
    for edit in drop_shadowed_object_locks([edit for report in reports for edit in report.fix.edits]):  # type: ignore[union-attr]
        if isinstance(edit, AddImport):
            if edit.key not in seen_keys:
                imports.append(edit)
        elif edit.key not in seen_keys:
            inserts.setdefault(id(edit.anchor), []).append(edit)
        seen_keys.add(edit.key)
    fixed = module.visit(_FixApplier(replacements, inserts, _paths_to(module, {*replacements, *inserts})))
    if imports:
        context = CodemodContext()
        for edit in imports:
            AddImportsVisitor.add_needed_import(context, edit.module, edit.name)
        fixed = place_added_imports(fixed, _add_imports(fixed, context))
    return remove_imports_made_unused(module, fixed, narrowed) if prune_imports else fixed


def _paths_to(module: cst.Module, targets: set[int]) -> Optional[set[int]]:
    """The ids of the nodes from the module down to each target node, or None if a target
    was not found (the read-only walk skips formatting nodes): then every node is entered."""
    on_path: set[int] = set()
    stack: list[cst.CSTNode] = []
    found: set[int] = set()

    def on_visit(node: cst.CSTNode) -> bool:
        stack.append(node)
        if id(node) in targets:
            found.add(id(node))
            on_path.update(map(id, stack))
        return True

    def on_leave(node: cst.CSTNode) -> None:
        stack.pop()

    walk(module, on_visit, on_leave)
    return on_path if found == targets else None


def _add_imports(module: cst.Module, context: CodemodContext) -> cst.Module:
    """`AddImportsVisitor` on the module's head only: its work ends at the first statement after the imports.

    It reads and edits the docstring (or `__strict__`), the import block that follows and
    the first statement after that block (a blank line above it); the rest of the module is
    neither read nor changed, so it is not copied and transformed either.
    """
    end = 1 if module.body and not _is_import_line(module.body[0]) else 0  # a docstring or `__strict__` first
    while end < len(module.body) and _is_import_line(module.body[end]):
        end += 1
    head = module.with_changes(body=module.body[: end + 1])
    edited = AddImportsVisitor(context).transform_module(head)
    return edited.with_changes(body=[*edited.body, *module.body[end + 1 :]])


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    """A statement line holding one import, as `AddImportsVisitor` counts its import block."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    return isinstance(stmt.body[0], (cst.Import, cst.ImportFrom))


def _import_bindings(module: cst.Module) -> Iterator[tuple[str, str, Optional[str], Optional[str]]]:
    """(bound name, module, imported object, asname) for each module-level absolute import alias."""
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    dotted = get_full_name_for_node(alias.name) or ""
                    asname = alias.evaluated_alias
                    yield asname or dotted.split(".")[0], dotted, None, asname
            elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
                if isinstance(small.names, cst.ImportStar):
                    continue
                source = get_full_name_for_node(small.module) or ""
                for alias in small.names:
                    name = alias.evaluated_name
                    yield alias.evaluated_alias or name, source, name, alias.evaluated_alias


def _name_uses(nodes: Sequence[cst.CSTNode]) -> tuple[Counter, set[str]]:
    """How often each identifier occurs outside import statements, and every string literal."""
    uses: Counter = Counter()
    strings: set[str] = set()
    stack: list[cst.CSTNode] = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        if isinstance(node, cst.Name):
            uses[node.value] += 1
        elif isinstance(node, cst.SimpleString):
            strings.add(node.raw_value)
        stack.extend(children(node))
    return uses, strings


def remove_imports_made_unused(
    before: cst.Module, after: cst.Module, narrowed: Optional[NarrowedModule] = None
) -> cst.Module:
    """Drop the imports the fixes stopped using (`closing`, `sqlite3` after pooling), as Ruff's fixes do.

    Only a name that was used before the fixes and occurs nowhere after them (not as an
    identifier, an attribute name, nor a string such as an `__all__` entry) is removed;
    an import the user left unused is not ours to touch. A removed statement's comments
    (above it, and after it on its line) and blank lines move to the next statement.
    On a narrowed module, a name the dropped code may use could still be in use: the
    whole module decides (`WholeModuleNeeded`).
    """
    # statements the fixes left alone (the same objects) use the same names before and after:
    # only the changed ones are counted, and the others are read only if a name may have gone
    kept = {id(stmt) for stmt in before.body} & {id(stmt) for stmt in after.body}
    old_uses, _ = _name_uses([stmt for stmt in before.body if id(stmt) not in kept])
    new_uses, strings = _name_uses([stmt for stmt in after.body if id(stmt) not in kept])
    unused = {
        bound for bound, *_ in _import_bindings(after) if old_uses[bound] and not new_uses[bound] and bound not in strings
    }
    if unused:
        kept_uses, kept_strings = _name_uses([stmt for stmt in after.body if id(stmt) in kept])
        unused = {bound for bound in unused if not kept_uses[bound] and bound not in kept_strings}
    if narrowed is not None and any(narrowed.mentions(name) for name in unused):
        raise WholeModuleNeeded("an import the fix stopped using may be used by the dropped code")
    # only `leave_Module` edits: called directly, so LibCST does not rebuild every node on the way
    return _DropImports(unused).leave_Module(after, after) if unused else after


class _DropImports(cst.CSTTransformer):
    """Remove module-level import aliases binding `names`; whole statements when nothing is left."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def _bound(self, alias: cst.ImportAlias, is_from: bool) -> str:
        if alias.evaluated_alias:
            return alias.evaluated_alias
        return alias.evaluated_name if is_from else alias.evaluated_name.split(".")[0]

    def _filter(self, small: cst.BaseSmallStatement) -> Optional[cst.BaseSmallStatement]:
        is_from = isinstance(small, cst.ImportFrom)
        if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
            return small
        if is_from and (small.relative or small.module is None):  # type: ignore[union-attr]
            return small
        kept = [alias for alias in small.names if self._bound(alias, is_from) not in self.names]
        if not kept:
            return None
        if len(kept) != len(small.names):
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return small.with_changes(names=kept)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        section_gone = False  # a removed line started its import section (first line, or after a blank)
        for stmt in updated_node.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                smalls = [kept for kept in map(self._filter, stmt.body) if kept is not None]
                if not smalls:
                    section_gone = section_gone or not body or bool(stmt.leading_lines)
                    carried.extend(stmt.leading_lines)
                    comment = stmt.trailing_whitespace.comment
                    if comment is not None:  # `import x  # why`: the comment stays, on its own line
                        carried.append(cst.EmptyLine(comment=comment))
                    continue
                if len(smalls) != len(stmt.body):
                    smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                if any(new is not old for new, old in zip(smalls, stmt.body)) or len(smalls) != len(stmt.body):
                    stmt = stmt.with_changes(body=smalls)
            if carried or section_gone:
                own = list(stmt.leading_lines)
                if section_gone and all(line.comment is None for line in own):
                    own = []  # the next section's blank separator: the removed section's lines stand in
                stmt = stmt.with_changes(leading_lines=[*carried, *own])
                carried, section_gone = [], False
            body.append(stmt)
        return updated_node.with_changes(body=body, footer=[*carried, *updated_node.footer])


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
    config = own_facts(raw, path, config, project_rules(config, relative_path))  # linted on its own: a project of one module
    rule_set = RuleSet.for_file(config, relative_path)
    rule_classes: Sequence[type[Rule]] = rule_set.rules
    depth_checked = False
    screening: Optional[prefilter.Screening] = None
    if use_prefilter:
        screening = prefilter.screen(raw, rule_classes, config)
        rule_classes, depth_checked = screening.rules, screening.depth_checked
    if not rule_classes and not rule_set.unused_suppressions:
        return result  # as `lint_source`: a file no rule can match is not parsed, so `--fix` errs on no more files than `check`
    if screening is not None and not rule_set.unused_suppressions:  # as `lint_source`: CRL001 needs every statement
        narrowed = NarrowedModule.build(raw, screening)
        if narrowed is not None:
            fixed = _fix_narrowed(narrowed, raw, path, rule_classes, rule_set, config)
            if fixed is not None:
                return fixed
    style = NewlineStyle.detect(raw)
    try:
        module = parse(style.to_parser(raw), depth_checked)
    except RecursionError:  # the lint of what LibCST can parse, with no fix (`engine.deep_statements`)
        return lint_source(raw, path, config, relative_path, use_prefilter)
    except Exception as error:  # noqa: BLE001 - reported and skipped, never rewritten
        result.error = parse_error(path, error, raw)
        return result
    try:
        return _fix_module(module, raw, style, result, rule_classes, rule_set, config, path, use_prefilter)
    except RecursionError:  # too deep for the visitors: the lint of the rest, with no fix (`engine.deep_statements`)
        return lint_source(raw, path, config, relative_path, use_prefilter)
    except Exception as error:  # noqa: BLE001 - too deep for LibCST's recursive codegen, or a rule crashed: never rewritten
        return FileResult(path=path, old_source=raw, error=rule_error(path, error))


def _fix_narrowed(
    narrowed: NarrowedModule,
    raw: bytes,
    path: str,
    rule_classes: Sequence[type[Rule]],
    rule_set: RuleSet,
    config: Config,
) -> Optional[FileResult]:
    """The fix loop on the narrowed module; None where only the whole module can tell (then it is fixed whole)."""
    try:
        source = narrowed.source
        module = parse(source, depth_checked=True)  # the prefilter's `ast` parsed the file
        prune_imports = os.path.basename(path) != "__init__.py"
        whole = raw
        fixed_count = 0
        run: Optional[ModuleRun] = None
        findings: list[Finding] = []
        for _ in range(MAX_ROUNDS):
            run = run_rules(module, path, rule_classes, config)
            findings, live = to_findings(run, path, _code(module, source), config, rule_set)
            chosen = choose_fixes(run, live, config.unsafe_fixes)
            if not chosen:
                break
            source = apply_fixes(module, chosen, prune_imports, narrowed).bytes
            module = parse(source)
            fixed_count += sum(1 for report in chosen if report.primary is None)
            whole = narrowed.splice(source)
            rule_classes, renarrowed = narrowed.next_round(whole, rule_set.rules)
            if renarrowed is not narrowed:
                narrowed, source = renarrowed, renarrowed.source
                module = parse(source, depth_checked=True)  # `next_round`'s `ast` parsed it
            run = None
        if whole != raw and _compiles(whole, path) is not None:
            return None  # the whole-module path reverts it and says why
        if run is None:  # the rounds ran out with fixes still coming
            run = run_rules(module, path, rule_classes, config)
            findings, _ = to_findings(run, path, _code(module, source), config, rule_set)
        result = FileResult(path=path, old_source=raw)
        result.findings = narrowed.whole_findings(findings)
    except Exception:  # noqa: BLE001 - WholeModuleNeeded, or anything unusual: the whole path decides and reports
        return None
    _count_fixes(result, fixed_count, config)
    if whole != raw:
        result.new_source = whole
    return result


def _code(module: cst.Module, source: bytes) -> str:
    """`module.code`, without generating it: `source` is what `module` was parsed from, and
    LibCST round-trips a parsed source byte for byte."""
    return source.decode(module.encoding)


def _count_fixes(result: FileResult, fixed_count: int, config: Config) -> None:
    result.hidden_unsafe = sum(
        1 for f in result.findings if f.fix_applicability is FixApplicability.UNSAFE and not config.unsafe_fixes
    )
    result.fixed_count = fixed_count


def _fix_module(
    module: cst.Module,
    raw: bytes,
    style: NewlineStyle,
    result: FileResult,
    rule_classes: Sequence[type[Rule]],
    rule_set: RuleSet,
    config: Config,
    path: str,
    rescreen: bool,
) -> FileResult:
    """The fix loop on the whole module; `rescreen`: each round's rules are the prefilter's for its source."""
    original_rules = rule_classes
    fixed_count = 0
    run: Optional[ModuleRun] = None  # the last round's lint, while it is the lint of `module`
    findings: list[Finding] = []  # `run`'s findings
    candidate = style.to_parser(raw)  # the source `module` was parsed from
    try:
        for _ in range(MAX_ROUNDS):
            run = run_rules(module, path, rule_classes, config)
            findings, live = to_findings(run, path, _code(module, candidate), config, rule_set)
            chosen = choose_fixes(run, live, config.unsafe_fixes)
            if not chosen:
                break
            # a package's `__init__` may re-export what it imports: its imports are left alone
            candidate = apply_fixes(module, chosen, prune_imports=os.path.basename(path) != "__init__.py").bytes
            # fixes may add evidence the first screening did not see: screen the fixed source
            screening = prefilter.screen(candidate, rule_set.rules, config) if rescreen else None
            module = parse(candidate, screening is not None and screening.depth_checked)
            fixed_count += sum(1 for report in chosen if report.primary is None)
            rule_classes = screening.rules if screening is not None else rule_set.rules
            run = None
    except RecursionError:
        raise  # the module is too deep to lint at all (as in `lint_source`), not a broken fix
    except Exception as error:  # noqa: BLE001 - a fix that breaks the parse is reverted
        result.fix_error = f"fix reverted: the fixed code did not parse ({type(error).__name__}: {error})"
        module, rule_classes, run = _reverted(raw, style, original_rules, rule_set, rescreen)
        fixed_count, candidate = 0, style.to_parser(raw)
    new_raw = style.from_parser(candidate)
    # a fix is checked by compiling it; the original is compiled only to tell whether it compiled before
    problem = _compiles(new_raw, path) if new_raw != raw else None
    if problem is not None and _compiles(raw, path) is None:
        result.fix_error = f"fix reverted: the fixed code does not compile ({problem})"
        new_raw, fixed_count, candidate = raw, 0, style.to_parser(raw)
        module, rule_classes, run = _reverted(raw, style, original_rules, rule_set, rescreen)
    if run is None:  # reverted, or the rounds ran out with fixes still coming
        run = run_rules(module, path, rule_classes, config)
        findings, _ = to_findings(run, path, _code(module, candidate), config, rule_set)
    result.findings = findings
    _count_fixes(result, fixed_count, config)
    if new_raw != raw:
        result.new_source = new_raw
    return result


def _reverted(
    raw: bytes, style: NewlineStyle, original_rules: Sequence[type[Rule]], rule_set: RuleSet, rescreen: bool
) -> tuple[cst.Module, Sequence[type[Rule]], None]:
    """The original module and the rules the final lint of it runs (as the whole loop did before)."""
    return parse(style.to_parser(raw)), (original_rules if rescreen else rule_set.rules), None
