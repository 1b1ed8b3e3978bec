"""`analysis.source_walk`: a read-only visitor run without LibCST's `visit` sees what `visit` shows it, in its order."""

from __future__ import annotations

import textwrap

import libcst as cst

from cortex_racelint.analysis.source_walk import source_children, visit
from cortex_racelint.analysis.traverse import _NODE, _kind

#: every construct whose dataclass fields are not in source order (`SOURCE_ORDER`), and some that are
SOURCE = textwrap.dedent(
    """
    from .. import a, b
    @deco(one())
    def f(p, /, q=two(), *args, k=three(), **kw) -> four():
        try:
            x = five() if six() else seven()
        except eight() as e:
            nine()
        return ten(key=eleven(), *twelve())
    @deco2()
    class C(Base(), metaclass=Meta()):
        attr = thirteen()[1:fourteen():2]
    match fifteen():
        case [y] if sixteen():
            seventeen()
    lam = lambda m=eighteen(): nineteen()
    """
)


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.names: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(cst.Module([]).code_for_node(node.func))

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node.value)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def test_children_in_libcst_order() -> None:
    module = cst.parse_module(SOURCE)
    stack: list[cst.CSTNode] = [module]
    checked = 0
    while stack:
        node = stack.pop()
        theirs = [child for child in node.children if _kind(type(child)) == _NODE]
        assert list(source_children(node)) == theirs, type(node).__name__
        checked += 1
        stack.extend(theirs)
    assert checked > 100


def test_visit_matches_libcst_visit() -> None:
    module = cst.parse_module(SOURCE)
    ours, libcst_s = _Collect(), _Collect()
    visit(module, ours)
    module.visit(libcst_s)
    assert ours.calls == libcst_s.calls and ours.names == libcst_s.names
    assert "eighteen" not in ours.calls  # a visit_ method returning False skips the children
    assert ours.calls.index("deco") < ours.calls.index("two") < ours.calls.index("ten")
