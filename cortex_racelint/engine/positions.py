"""Positions of the nodes a lint reports, without LibCST's whole-module PositionProvider.

`PositionProvider` records a `CodeRange` for every node of the module (tens of
thousands in a large file) through a generic metadata pass: about 7x the cost of
plain code generation, and a quarter of racelint's whole cold run. A report needs
a handful of positions, all inside the top-level statements its rules were visiting.

`LazyPositions` runs LibCST's own code generation once, tracking line and column as
tokens are emitted (so every count is exactly what `PositionProvider` would say),
and records ranges only while inside the reported nodes (a node's position may be
hoisted from its descendants, never from elsewhere). A node asked for outside them
triggers a full recording, so a lookup never silently misses.
"""

from __future__ import annotations

import contextlib
import re
from typing import Iterable, Iterator, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

_NEWLINE = re.compile(r"\r\n?|\n")
_NOT_RECORDING = contextlib.nullcontext()


class _AllRecorded(Exception):
    """Every root's range is known: code generation stops (nothing after them is asked for)."""


class _RecordingCodegenState(CodegenState):
    """Code generation that knows where it is, and records ranges only within `roots`.

    Mirrors `libcst.metadata.position_provider.PositionProvidingCodegenState`:
    syntactic positions (`record_syntactic_position`, including positions hoisted
    from a child) win over the whitespace-inclusive fallback of `after_codegen`.
    """

    def __init__(self, module: cst.Module, roots: Optional[set[cst.CSTNode]]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.column = 0
        self.roots = roots  # None: record everything
        self.pending: set[cst.CSTNode] = set(roots) if roots else set()  # roots not generated yet
        self.recording = roots is None
        self.active_root: Optional[cst.CSTNode] = None
        self.starts: list[CodePosition] = []
        self.computed: dict[cst.CSTNode, CodeRange] = {}

    def _advance(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        segments = _NEWLINE.split(value)
        self.line += len(segments) - 1
        self.column = len(segments[-1])

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if not self.recording:
            if self.roots is None or node not in self.roots:
                return
            self.recording = True
            self.active_root = node
        self.starts.append(CodePosition(self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if not self.recording:
            return
        start = self.starts.pop()
        if node not in self.computed:
            self.computed[node] = CodeRange(start, CodePosition(self.line, self.column))
        self.pending.discard(node)
        if node is self.active_root:
            self.recording = False
            self.active_root = None
            if not self.pending:
                raise _AllRecorded  # the rest of the module holds no root: no need to generate it

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> contextlib.AbstractContextManager[None]:
        if not self.recording:
            return _NOT_RECORDING
        return self._record(node, start_node, end_node)

    @contextlib.contextmanager
    def _record(
        self, node: cst.CSTNode, start_node: Optional[cst.CSTNode], end_node: Optional[cst.CSTNode]
    ) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        try:
            yield
        finally:
            end = CodePosition(self.line, self.column)
            if start_node is not None:
                start = self.computed[start_node].start
            if end_node is not None:
                end = self.computed[end_node].end
            self.computed[node] = CodeRange(start, end)


def record_positions(module: cst.Module, roots: Optional[Iterable[cst.CSTNode]] = None) -> dict[cst.CSTNode, CodeRange]:
    """`PositionProvider`'s ranges for `roots` and every node inside them (None: all nodes)."""
    roots = None if roots is None else set(roots)
    if roots is not None and not roots:
        return {}  # nothing to record
    state = _RecordingCodegenState(module, roots)
    try:
        module._codegen(state)
    except _AllRecorded:
        pass
    return state.computed


class LazyPositions:
    """A read-only mapping node -> CodeRange, computed on first use for the nodes reported."""

    def __init__(self, module: cst.Module, roots: Iterable[cst.CSTNode]) -> None:
        self.module = module
        self._roots: Optional[set[cst.CSTNode]] = set(roots)
        self._ranges: Optional[dict[cst.CSTNode, CodeRange]] = None
        self._complete = False

    def _lookup(self, node: cst.CSTNode) -> Optional[CodeRange]:
        if self._ranges is None:
            self._ranges = record_positions(self.module, self._roots)
            self._complete = self._roots is None
        found = self._ranges.get(node)
        if found is None and not self._complete:
            self._ranges = record_positions(self.module)
            self._complete = True
            found = self._ranges.get(node)
        return found

    def get(self, node: cst.CSTNode, default: Optional[CodeRange] = None) -> Optional[CodeRange]:
        found = self._lookup(node)
        return default if found is None else found

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._lookup(node)
        if found is None:
            raise KeyError(node)
        return found

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode) and self._lookup(node) is not None
