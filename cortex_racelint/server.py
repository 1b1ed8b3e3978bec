"""`racelint server`: a language server over stdio (pygls), so editors show races while you type.

* Diagnostics on open, change and save. Only the document that changed is linted again;
  the others keep their results (keyed by the document's text, so a save that changes
  nothing costs nothing).
* Code actions: the fix of a finding (safe fixes; unsafe ones only when the client sets
  the initialisation option `{"unsafeFixes": true}`), "fix all" as `source.fixAll`,
  and "suppress on this line" (`# noqa: CRLxxx`, merged into an existing noqa).
* Hover on a finding shows its rule's page (the text of `racelint rule CODE`).

A fix is computed for every finding of the code in the document at once (the fixer's
unit), and the code action's title says so when there are several.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from . import __version__
from .adoption.add_noqa import add_noqa_to_source
from .config import ConfigError, load_config
from .docs import render_rule
from .engine.fixer import fix_source
from .project.single_file import config_in_project, lint_in_project
from .ftypes import Config, Finding, FixApplicability, Severity
from .output.rule_info import rule_url

SOURCE = "racelint"
FIX_ALL_KIND = "source.fixAll"


@dataclass
class _DocumentState:
    digest: str
    findings: list[Finding] = field(default_factory=list)
    config: Optional[Config] = None


class RaceLintServer(LanguageServer):
    """The pygls server plus racelint's per-document results."""

    def __init__(self) -> None:
        super().__init__("racelint", __version__)
        self.unsafe_fixes = False
        self.documents: dict[str, _DocumentState] = {}
        self.configs: dict[Path, Config] = {}
        self.lint_count = 0  # documents linted (tests check that only the edited one is)

    # -- configuration ------------------------------------------------------
    def config_for(self, path: Path) -> Config:
        folder = path.parent
        if folder not in self.configs:
            try:
                config = load_config(folder)
            except ConfigError as error:
                self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"racelint: {error}"))
                config = Config()
            self.configs[folder] = config
        config = self.configs[folder]
        return dataclasses.replace(config, unsafe_fixes=True) if self.unsafe_fixes else config

    # -- linting ------------------------------------------------------------
    def lint(self, uri: str) -> list[Finding]:
        document = self.workspace.get_text_document(uri)
        text = document.source
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        state = self.documents.get(uri)
        if state is None or state.digest != digest:
            path = _path_of(uri)
            config = self.config_for(path)
            result = lint_in_project(text.encode("utf-8", "surrogatepass"), str(path), config, _relative(path, config))
            self.lint_count += 1
            state = _DocumentState(digest, list(result.findings), config)
            self.documents[uri] = state
        return state.findings

    def publish(self, uri: str) -> None:
        lines = self.workspace.get_text_document(uri).lines
        diagnostics = [diagnostic(f, lines, uri) for f in self.lint(uri)]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))


def _path_of(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path.cwd() / "untitled.py"


def _relative(path: Path, config: Config) -> str:
    root = config.root or Path.cwd()
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _utf16_column(line: str, column: int) -> int:
    """LSP columns count UTF-16 code units; racelint's count code points."""
    prefix = line[:column]
    return len(prefix.encode("utf-16-le")) // 2


def _position(lines: list[str], line: int, column: int) -> types.Position:
    index = max(line - 1, 0)
    text = lines[index] if index < len(lines) else ""
    return types.Position(line=index, character=_utf16_column(text, column))


_SEVERITY = {
    Severity.HIGH: types.DiagnosticSeverity.Error,
    Severity.MEDIUM: types.DiagnosticSeverity.Warning,
    Severity.LOW: types.DiagnosticSeverity.Information,
}


def diagnostic(finding: Finding, lines: list[str], uri: str) -> types.Diagnostic:
    span = finding.span
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=types.Range(_position(lines, s.start.line, s.start.column), _position(lines, s.end.line, s.end.column))),
            message="another site of this race",
        )
        for s in finding.related
    ]
    message = finding.message
    if finding.consequence is not None:
        message += f"\nConsequence: {finding.consequence.describe()} (severity {finding.consequence.severity.value})"
    if finding.no_fix_reason:
        message += f"\nNo fix: {finding.no_fix_reason}"
    return types.Diagnostic(
        range=types.Range(_position(lines, span.start.line, span.start.column), _position(lines, span.end.line, span.end.column)),
        message=message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning) if finding.severity else types.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=types.CodeDescription(href=rule_url(finding.code)),
        source=SOURCE,
        related_information=related or None,
        data={"fix": finding.fix_applicability.value if finding.fix_applicability else None},
    )


def _whole_document_edit(uri: str, old: str, new: str, version: Optional[int]) -> types.WorkspaceEdit:
    lines = old.splitlines(keepends=True)
    end = types.Position(line=len(lines), character=0)
    edit = types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=new)
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])])


def _fixed_text(server: RaceLintServer, uri: str, codes: tuple[str, ...]) -> Optional[str]:
    document = server.workspace.get_text_document(uri)
    path = _path_of(uri)
    config = server.config_for(path)
    narrowed = dataclasses.replace(config, select=codes, extend_select=(), ignore=())
    narrowed = config_in_project(document.source.encode("utf-8"), str(path), narrowed)  # the lint's facts, for its fixes
    result = fix_source(document.source.encode("utf-8"), str(path), narrowed, _relative(path, config))
    if result.new_source is None:
        return None
    return result.new_source.decode("utf-8")


def _fix_allowed(server: RaceLintServer, finding: Finding) -> bool:
    if finding.fix_applicability is FixApplicability.SAFE:
        return True
    return finding.fix_applicability is FixApplicability.UNSAFE and server.unsafe_fixes


def _overlaps(finding: Finding, selection: types.Range) -> bool:
    first, last = finding.span.start.line - 1, finding.span.end.line - 1
    return not (last < selection.start.line or first > selection.end.line)


def build_server() -> RaceLintServer:
    server = RaceLintServer()

    @server.feature(types.INITIALIZE)
    def _initialize(ls: RaceLintServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        ls.unsafe_fixes = bool(options.get("unsafeFixes")) if isinstance(options, dict) else False

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def _did_open(ls: RaceLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def _did_change(ls: RaceLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def _did_save(ls: RaceLintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.configs.clear()  # a saved pyproject.toml may change the configuration
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def _did_close(ls: RaceLintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]),
    )
    def _code_action(ls: RaceLintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        findings = ls.lint(uri)
        actions: list[types.CodeAction] = []
        wanted = params.context.only
        quick = wanted is None or any(k.startswith(types.CodeActionKind.QuickFix) for k in wanted)
        fix_all = wanted is None or any(FIX_ALL_KIND.startswith(k) or k.startswith("source.fixAll") for k in wanted)
        here = [f for f in findings if _overlaps(f, params.range)]
        if quick:
            for code in dict.fromkeys(f.code for f in here if _fix_allowed(ls, f)):
                new = _fixed_text(ls, uri, (code,))
                if new is None:
                    continue
                count = sum(1 for f in findings if f.code == code)
                unsafe = any(f.fix_applicability is FixApplicability.UNSAFE for f in here if f.code == code)
                title = f"racelint: fix {code}" + (f" (all {count} in this file)" if count > 1 else "") + (" [unsafe]" if unsafe else "")
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=types.CodeActionKind.QuickFix,
                        edit=_whole_document_edit(uri, document.source, new, document.version),
                        is_preferred=not unsafe,
                    )
                )
            for finding in here:
                noqa = add_noqa_to_source(document.source.encode("utf-8"), [finding], uri)
                if noqa.new_source is None:
                    continue
                new_line = noqa.new_source.decode("utf-8").splitlines(keepends=True)[finding.line - 1]
                edit = types.TextEdit(
                    range=types.Range(types.Position(finding.line - 1, 0), types.Position(finding.line, 0)),
                    new_text=new_line,
                )
                actions.append(
                    types.CodeAction(
                        title=f"racelint: suppress {finding.code} on this line",
                        kind=types.CodeActionKind.QuickFix,
                        edit=types.WorkspaceEdit(
                            document_changes=[
                                types.TextDocumentEdit(
                                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=document.version),
                                    edits=[edit],
                                )
                            ]
                        ),
                    )
                )
        if fix_all:
            codes = tuple(dict.fromkeys(f.code for f in findings if _fix_allowed(ls, f)))
            new = _fixed_text(ls, uri, codes) if codes else None
            if new is not None:
                actions.append(
                    types.CodeAction(
                        title="racelint: fix all" + (" (including unsafe fixes)" if ls.unsafe_fixes else " safe fixes"),
                        kind=types.CodeActionKind.SourceFixAll,
                        edit=_whole_document_edit(uri, document.source, new, document.version),
                    )
                )
        return actions

    @server.command("racelint.stats")
    def _stats(ls: RaceLintServer, *args: object) -> dict:
        """How many documents were linted so far: lets a client check that an edit re-lints one."""
        return {"lints": ls.lint_count, "documents": len(ls.documents)}

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def _hover(ls: RaceLintServer, params: types.HoverParams) -> Optional[types.Hover]:
        line = params.position.line + 1
        for finding in ls.lint(params.text_document.uri):
            if finding.span.start.line <= line <= finding.span.end.line:
                page = render_rule(finding.code)
                if page:
                    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=page))
        return None

    return server


def serve() -> int:
    """Run the server on stdin/stdout until the client exits."""
    build_server().start_io()
    return 0
