"""Mutation recall: remove each lock the fixes added to `cortex/`; racelint must see the race again.

Every `with <lock>:` block of the migrated tree is unwrapped in turn (its body kept, the
lock gone). At least 90% of these mutants must be reported; the survivors are listed.
A lock that only wraps a whole-file `atomic_write` is an equivalent mutant: without it the
writes still never tear (last writer wins), which is what CRL301's atomic form accepts.
"""

from __future__ import annotations

import libcst as cst

import shutil
from pathlib import Path

from cortex_racelint import Config, lint_source
from cortex_racelint.api import run_files
from cortex_racelint.analysis.context import LintContext

from .conftest import REPO

MIGRATED = REPO / "cortex"
HAND_WRITTEN = {"utils", "parallel_llm_threaded.py"}
RULES = Config(select=("CRL1", "CRL2", "CRL3", "CRL4"))


class _Unwrap(cst.CSTTransformer):
    """Replace the `index`-th lock `with` block (in source order) by its body."""

    def __init__(self, context: LintContext, index: int) -> None:
        super().__init__()
        self.context, self.index, self.seen = context, index, -1
        self.equivalent = False

    def leave_With(self, original_node: cst.With, updated_node: cst.With):
        if not any(self.context.locks.is_lock(item.item) for item in original_node.items):
            return updated_node
        self.seen += 1
        if self.seen != self.index or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        self.equivalent = _only_atomic_write(updated_node.body)
        return cst.FlattenSentinel(list(updated_node.body.body))


def _only_atomic_write(block: cst.IndentedBlock) -> bool:
    body = block.body
    return (
        len(body) == 1
        and isinstance(body[0], cst.With)
        and "atomic_write" in cst.Module(body=[]).code_for_node(body[0].items[0].item)
    )


def mutants():
    for path in sorted(MIGRATED.rglob("*.py")):
        if path.relative_to(MIGRATED).parts[0] in HAND_WRITTEN:
            continue
        source = path.read_text(encoding="utf-8")
        module = cst.parse_module(source)
        context = LintContext(module, str(path))
        count = sum(
            1
            for node in _walk_withs(module)
            if any(context.locks.is_lock(item.item) for item in node.items)
        )
        for index in range(count):
            unwrap = _Unwrap(context, index)
            mutant = module.visit(unwrap).code
            if mutant != source:
                yield f"{path.relative_to(MIGRATED)}#{index}", mutant, unwrap.equivalent


def _walk_withs(module: cst.Module):
    found = []

    class Collect(cst.CSTVisitor):
        def visit_With(self, node: cst.With) -> None:
            found.append(node)

    module.visit(Collect())
    return found


def _reported_in_project(name: str, source: str, root: Path) -> bool:
    """The mutant linted with the rest of the migrated tree (a copy under `root`): the project
    rules (CRL404, CRL108) see a race across modules only in a project run."""
    tree = root / name.replace("/", "_").replace("#", "_") / "cortex"
    shutil.copytree(MIGRATED, tree)
    target = tree / name.split("#")[0]
    target.write_text(source, encoding="utf-8")
    paths = sorted(str(p) for p in tree.rglob("*.py") if p.relative_to(tree).parts[0] not in HAND_WRITTEN)
    results = run_files(paths, Config(select=RULES.select, root=tree.parent), fix=False, jobs=1)
    return any(r.findings for r in results if Path(r.path) == target)


def test_removing_any_added_lock_is_reported_again(tmp_path):
    survivors, total, equivalent = [], 0, []
    for name, source, is_equivalent in mutants():
        if is_equivalent:
            equivalent.append(name)
            continue
        total += 1
        # the file alone first (fast); a race across modules needs the rest of the tree
        if not lint_source(source, name, RULES).findings and not _reported_in_project(name, source, tmp_path):
            survivors.append(name)
    assert total >= 20, f"only {total} mutants: the migrated tree should hold many locks"
    recall = 1 - len(survivors) / total
    print(f"mutation recall: {total - len(survivors)}/{total} = {recall:.0%}; survivors: {survivors}; equivalent: {equivalent}")
    assert recall >= 0.9, f"recall {recall:.0%} < 90%; survivors: {survivors}"
