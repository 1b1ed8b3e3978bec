"""Language-server latency: diagnostics for a ~2,000-line file after a change (issue 17).

Measured in one session, as ratios:
* `change -> diagnostics`: from `didChange` sent to `publishDiagnostics` received, over
  stdio with a real LSP client (pygls's), median of N edits;
* `racelint check FILE`: the same file linted by the CLI in a fresh process (what an editor
  plugin that shells out would pay), median of N runs;
* `lint_source` in process: the lint alone, the floor of both.

Target: change -> diagnostics within 200 ms.  Run: `python benchmarks/lsp_latency.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient

REPO = Path(__file__).resolve().parent.parent
LEGACY = REPO / "fixtures" / "cortex_legacy" / "cortex"


def big_file(lines: int = 2000) -> str:
    """Legacy Cortex modules concatenated to about `lines` lines (real code, real races)."""
    parts: list[str] = []
    total = 0
    for path in sorted(LEGACY.rglob("*.py")):
        text = path.read_text()
        parts.append(text)
        total += text.count("\n")
        if total >= lines:
            break
    return "\n".join(parts)


async def lsp_latencies(path: Path, text: str, runs: int) -> tuple[list[float], int]:
    client = BaseLanguageClient("bench", "0")
    received: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diagnostics(params: types.PublishDiagnosticsParams) -> None:
        received.put_nowait((time.perf_counter(), len(params.diagnostics)))

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def _log(params: types.LogMessageParams) -> None:
        print("server:", params.message, file=sys.stderr)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _show(params: types.ShowMessageParams) -> None:
        print("server:", params.message, file=sys.stderr)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    await client.start_io(sys.executable, "-m", "cortex_racelint", "server", env=env)
    stderr_lines: list[bytes] = []

    async def drain() -> None:  # pygls pipes the server's stderr: read it, or a chatty server blocks
        while line := await client._server.stderr.readline():  # noqa: SLF001
            stderr_lines.append(line)

    drainer = asyncio.create_task(drain())
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=path.parent.as_uri()))
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
    _, count = await received.get()
    times = []
    for version in range(2, runs + 2):
        edited = text + f"\nEDIT_{version} = {version}\n"  # a real change: the text differs every time
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri), [types.TextDocumentContentChangeWholeDocument(edited)]
            )
        )
        at, count = await received.get()
        times.append(at - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drainer.cancel()
    if stderr_lines:
        print(f'server stderr: {len(stderr_lines)} lines, first: {stderr_lines[0][:200]!r}', file=sys.stderr)
    return times, count


def cli_times(path: Path, runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "--exit-zero", str(path)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        times.append(time.perf_counter() - started)
    return times


def in_process_times(path: Path, text: str, runs: int) -> list[float]:
    sys.path.insert(0, str(REPO))
    from cortex_racelint.engine.lint import lint_source

    lint_source(text.encode(), str(path))  # warm the imports
    times = []
    for version in range(runs):
        started = time.perf_counter()
        lint_source((text + f"\nEDIT_{version} = 1\n").encode(), str(path))
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--file", type=Path, help="measure this module instead of the legacy Cortex concatenation")
    args = parser.parse_args()
    text = args.file.read_text() if args.file else big_file()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big_module.py"
        path.write_text(text)
        (Path(folder) / "pyproject.toml").write_text("[tool.racelint]\n")
        lsp, count = asyncio.run(lsp_latencies(path, text, args.runs))
        cli = cli_times(path, args.runs)
        floor = in_process_times(path, text, args.runs)
    lsp_ms, cli_ms, floor_ms = (statistics.median(t) * 1000 for t in (lsp, cli, floor))
    print(f"file: {text.count(chr(10)) + 1} lines, {count} findings; {args.runs} runs each (median)")
    print(f"change -> diagnostics (server): {lsp_ms:7.1f} ms   target <= 200 ms: {'yes' if lsp_ms <= 200 else 'NO'}")
    print(f"racelint check FILE (process):  {cli_ms:7.1f} ms   server/check = {lsp_ms / cli_ms:.2f}x")
    print(f"lint_source (in process):       {floor_ms:7.1f} ms   server/lint  = {lsp_ms / floor_ms:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
