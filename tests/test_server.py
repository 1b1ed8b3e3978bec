"""`racelint server` end to end, driven by a real LSP client (pytest-lsp) over stdio.

open -> diagnostics -> code action -> edit applied -> diagnostics cleared; suppress on a
line; hover shows the rule page; unsafe fixes only behind the initialisation option.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "cortex_racelint", "server"]
REPO = Path(__file__).resolve().parent.parent

RACY = '''\
import threading

_registry = None


def get_registry():
    global _registry
    if _registry is None:  # the race
        _registry = threading.Thread(target=print)
    return _registry
'''

UNSAFE_ONLY = '''\
import threading


class Counter:
    def __init__(self):
        self.count = 0
        self._thread = threading.Thread(target=self._run)

    def start(self):
        self._thread.start()

    def _run(self):
        for _ in range(100):
            self.count += 1

    def reset(self):
        self.count = 0
'''


async def _start(client: LanguageClient, root: Path, options: dict) -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options=options,
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env={"PYTHONPATH": str(REPO)}))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    lsp_client.root = root  # type: ignore[attr-defined]
    await _start(lsp_client, root, {})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env={"PYTHONPATH": str(REPO)}))
async def unsafe_client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text("[tool.racelint]\n")
    lsp_client.root = root  # type: ignore[attr-defined]
    await _start(lsp_client, root, {"unsafeFixes": True})
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, name: str, text: str) -> str:
    path = client.root / name  # type: ignore[attr-defined]
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    return uri


async def _diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            return list(params.diagnostics)


def _apply(text: str, edit: types.WorkspaceEdit) -> str:
    """What an editor does with a WorkspaceEdit of one document (edits applied from the end)."""
    assert edit.document_changes, edit
    lines = text.splitlines(keepends=True)
    (change,) = edit.document_changes
    for text_edit in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = text_edit.range.start, text_edit.range.end

        def offset(line: int, character: int) -> int:
            return sum(len(x) for x in lines[:line]) + character

        flat = "".join(lines)
        flat = flat[: offset(start.line, start.character)] + text_edit.new_text + flat[offset(end.line, end.character) :]
        lines = flat.splitlines(keepends=True)
    return "".join(lines)


def _change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


@pytest.mark.asyncio
async def test_open_diagnose_fix_and_clear(client: LanguageClient) -> None:
    uri = _open(client, "registry.py", RACY)
    diagnostics = await _diagnostics(client, uri)
    assert [(d.code, d.range.start.line, d.source) for d in diagnostics] == [("CRL101", 7, "racelint")]
    assert diagnostics[0].code_description is not None and diagnostics[0].code_description.href.endswith("CRL101.md")
    assert "Consequence:" in diagnostics[0].message

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    titles = [a.title for a in actions]
    assert "racelint: fix CRL101" in titles
    assert "racelint: suppress CRL101 on this line" in titles
    fix = next(a for a in actions if a.title == "racelint: fix CRL101")
    fixed = _apply(RACY, fix.edit)
    assert "with _registry_lock:" in fixed or "_lock" in fixed
    compile(fixed, "registry.py", "exec")

    _change(client, uri, fixed, 2)
    assert await _diagnostics(client, uri) == []


@pytest.mark.asyncio
async def test_suppress_on_this_line(client: LanguageClient) -> None:
    uri = _open(client, "suppress.py", RACY)
    diagnostics = await _diagnostics(client, uri)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    suppress = next(a for a in actions if a.title.startswith("racelint: suppress"))
    suppressed = _apply(RACY, suppress.edit)
    assert "if _registry is None:  # the race  # noqa: CRL101\n" in suppressed
    _change(client, uri, suppressed, 2)
    assert await _diagnostics(client, uri) == []


@pytest.mark.asyncio
async def test_hover_shows_the_rule_page(client: LanguageClient) -> None:
    uri = _open(client, "hover.py", RACY)
    await _diagnostics(client, uri)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(7, 8))
    )
    assert hover is not None
    assert "# unguarded-lazy-global (CRL101)" in hover.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 0))
    )
    assert nothing is None


@pytest.mark.asyncio
async def test_unsafe_fixes_need_the_initialisation_option(client: LanguageClient) -> None:
    uri = _open(client, "store.py", UNSAFE_ONLY)
    diagnostics = await _diagnostics(client, uri)
    assert sorted(d.code for d in diagnostics) == ["CRL401", "CRL402"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    assert not any(a.title.startswith("racelint: fix") for a in actions)


@pytest.mark.asyncio
async def test_unsafe_fixes_offered_when_enabled(unsafe_client: LanguageClient) -> None:
    uri = _open(unsafe_client, "store.py", UNSAFE_ONLY)
    diagnostics = await _diagnostics(unsafe_client, uri)
    actions = await unsafe_client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    titles = [a.title for a in actions]
    assert any(t.startswith("racelint: fix CRL40") and t.endswith("[unsafe]") for t in titles), titles
    fixed = _apply(UNSAFE_ONLY, next(a for a in actions if a.title.endswith("[unsafe]")).edit)
    assert "with self._lock:" in fixed


@pytest.mark.asyncio
async def test_an_edit_relints_only_the_edited_document(client: LanguageClient) -> None:
    first = _open(client, "one.py", RACY)
    await _diagnostics(client, first)
    second = _open(client, "two.py", RACY.replace("_registry", "_other"))
    await _diagnostics(client, second)

    async def lints() -> int:
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="racelint.stats"))
        return result["lints"]

    before = await lints()
    _change(client, second, RACY.replace("_registry", "_other") + "\nx = 1\n", 2)
    await _diagnostics(client, second)
    assert await lints() == before + 1
    # the same text again (a save with no change): nothing is linted
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=first)))
    assert len(await _diagnostics(client, first)) == 1
    assert await lints() == before + 1
