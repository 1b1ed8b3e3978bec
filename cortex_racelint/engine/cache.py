"""Per-file result cache in `.racelint_cache/results.sqlite3`, keyed on tool, config and content.

One row per file and configuration: re-linting a file replaces its row, so the cache
grows with the tree, not with its history, and rows of another tool version are dropped
when a run opens it. A row is used only when its key matches: a hash of the tool's own
source (an edited rule invalidates, not only a version bump), the effective
configuration, the file's path and its bytes; a row that does not match or whose data
does not parse is a miss, never trusted. Workers write their results one transaction
per batch (one file per entry cost ~0.4 ms each to create here); SQLite in WAL mode
lets several racelint processes share the cache, a writer waiting at most 5 s for
another before it skips (a cache that cannot be written only costs speed). A cache
file that is not a database is replaced. A file also has a row of what fixing it gave and
one of its per-finding fix edits (`FIXED`, `EDITS`): read only by the JSON/SARIF edits,
whose fix run writes no file, never by `--fix`.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Optional

from ..ftypes import (
    Config,
    Consequence,
    FileResult,
    Finding,
    FixApplicability,
    FlowStep,
    GilExposure,
    ParseError,
    Position,
    RaceWindow,
    Severity,
    SharedObject,
    Span,
    WithheldFix,
)

CACHE_DIR = ".racelint_cache"
DATABASE = "results.sqlite3"
FORMAT = 5
#: the row suffix of a summary stored without a result (`put_summaries`)
SUMMARY_ONLY = ":summary"
#: the row suffix of a fix result (`get_fixed`/`put_fixed`): what `--fix` makes of the file
FIXED = ":fixed"
#: the row suffix of a file's per-finding fix edits (`get_edits`/`put_edits`, `output/edits.py`)
EDITS = ":edits"
#: seconds a writer waits for another process's transaction before it skips its own
BUSY_TIMEOUT = 5.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    path TEXT NOT NULL,     -- absolute path of the linted file
    config TEXT NOT NULL,   -- hash of the effective configuration
    tool TEXT NOT NULL,     -- tool_fingerprint() of the writer
    key TEXT NOT NULL,      -- entry_key(): tool, configuration, path and content
    data TEXT NOT NULL,     -- the FileResult as JSON
    written INTEGER NOT NULL,  -- time.time_ns() of the write (the benchmark counts re-lints by it)
    PRIMARY KEY (path, config)
)
"""
#: the project filters' answers of the last run per configuration (`project/filters.py`)
_ANSWERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    config TEXT PRIMARY KEY,  -- config_id() of the run
    tool TEXT NOT NULL,       -- tool_fingerprint() of the writer
    key TEXT NOT NULL,        -- the tool and `filters.digest` of every file's path and bytes
    data TEXT NOT NULL        -- filter name -> path -> answer, as JSON
)
"""


#: the whole `cortex_racelint` package: a change to any rule, fix or analysis changes results
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def tool_sources() -> list[Path]:
    return sorted(PACKAGE_ROOT.rglob("*.py"))


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    digest = hashlib.sha256(str(FORMAT).encode())
    for source in tool_sources():
        digest.update(source.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def config_id(config: Config) -> str:
    """The row of a file under this configuration: one for phase 1, one for phase 2 (`:project`),
    whatever the facts (the entry key holds their digest), so the cache does not grow with them."""
    plain = hashlib.sha256(config.cache_key().removesuffix(config.facts_key()).encode()).hexdigest()
    return plain + (":project" if config.project_facts is not None else "")


def entry_key(path: str, raw: bytes, config: Config, content: Optional[str] = None) -> str:
    """`content`: `raw`'s sha256 hex digest when the caller already has it."""
    digest = hashlib.sha256()
    for part in (tool_fingerprint(), config.cache_key(), os.path.abspath(path), content or hashlib.sha256(raw).hexdigest()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def fixed_key(path: str, raw: bytes, config: Config) -> str:
    """The lint row's key plus a marker: a fix depends on exactly what a lint does (bytes,
    configuration incl. `unsafe_fixes` and the file's project facts, tool, path)."""
    return hashlib.sha256(f"{entry_key(path, raw, config)}\0fixed".encode()).hexdigest()


def _fixed_to_json(result: FileResult) -> str:
    data = json.loads(_result_to_json(result))
    data["fixed_count"] = result.fixed_count
    data["fix_error"] = result.fix_error
    data["new_source"] = base64.b64encode(result.new_source).decode("ascii") if result.new_source is not None else None
    return json.dumps(data)


def _fixed_from_json(text: str, path: str, raw: bytes) -> Optional[FileResult]:
    result = _result_from_json(text, path)
    if result is None:
        return None
    data = json.loads(text)
    result.old_source = raw
    result.fixed_count = int(data.get("fixed_count", 0))
    result.fix_error = data.get("fix_error")
    new = data.get("new_source")
    result.new_source = base64.b64decode(new) if new is not None else None
    return result


def _answers_key(digest: str) -> str:
    return hashlib.sha256(f"{tool_fingerprint()}\0{digest}".encode()).hexdigest()


def _span(data: dict) -> Span:
    return Span(Position(*data["start"]), Position(*data["end"]))


def _finding_to_json(finding: Finding) -> dict:
    data = dataclasses.asdict(finding)
    data["span"] = {"start": [finding.span.start.line, finding.span.start.column], "end": [finding.span.end.line, finding.span.end.column]}
    if finding.fix_applicability is not None:
        data["fix_applicability"] = finding.fix_applicability.value
    if finding.window is not None:
        data["window"] = {
            "check": {"start": [finding.window.check.start.line, finding.window.check.start.column], "end": [finding.window.check.end.line, finding.window.check.end.column]},
            "act": {"start": [finding.window.act.start.line, finding.window.act.start.column], "end": [finding.window.act.end.line, finding.window.act.end.column]},
            "hold_call": finding.window.hold_call,
            "exposure": finding.window.exposure.value,
        }
    data["flow"] = [[s.path, s.line, s.column, s.message] for s in finding.flow]
    data["related"] = [[[s.start.line, s.start.column], [s.end.line, s.end.column]] for s in finding.related]
    if finding.consequence is not None:
        data["consequence"] = {**data["consequence"], "severity": finding.consequence.severity.value}
    if finding.shared is not None:
        data["shared"] = {**data["shared"], "methods": list(finding.shared.methods)}
    return data


def _consequence_from_json(data: Optional[dict]) -> Optional[Consequence]:
    if not data:
        return None
    return Consequence(data["kind"], Severity(data["severity"]), data.get("detail", ""))


def _finding_from_json(data: dict) -> Finding:
    window = None
    if data.get("window"):
        w = data["window"]
        window = RaceWindow(_span(w["check"]), _span(w["act"]), w["hold_call"], GilExposure(w["exposure"]))
    return Finding(
        code=data["code"],
        message=data["message"],
        path=data["path"],
        span=_span(data["span"]),
        fix_applicability=FixApplicability(data["fix_applicability"]) if data.get("fix_applicability") else None,
        fix_message=data.get("fix_message"),
        no_fix_reason=data.get("no_fix_reason"),
        window=window,
        withheld_fix=_withheld_from_json(data.get("withheld_fix")),
        consequence=_consequence_from_json(data.get("consequence")),
        related=tuple(Span(Position(*start), Position(*end)) for start, end in data.get("related", [])),
        flow=tuple(FlowStep(*step) for step in data.get("flow", [])),
        shared=SharedObject(**{**data["shared"], "methods": tuple(data["shared"]["methods"])}) if data.get("shared") else None,
    )


def _withheld_from_json(data: Optional[dict]) -> Optional[WithheldFix]:
    if not data:
        return None
    return WithheldFix(module=data["module"], applicability=FixApplicability(data["applicability"]))


def _result_to_json(result: FileResult) -> str:
    return json.dumps(
        {
            "path": result.path,
            "findings": [_finding_to_json(f) for f in result.findings],
            "error": dataclasses.asdict(result.error) if result.error else None,
            "hidden_unsafe": result.hidden_unsafe,
            "skipped": result.skipped,
            "summary": result.summary,
        }
    )


def _result_from_json(text: str, path: str) -> Optional[FileResult]:
    data = json.loads(text)
    if data.get("path") != path:
        return None
    result = FileResult(path=path, findings=[_finding_from_json(f) for f in data["findings"]])
    if data.get("error"):
        result.error = ParseError(**data["error"])
    result.hidden_unsafe = int(data.get("hidden_unsafe", 0))
    result.skipped = [(int(first), int(last)) for first, last in data.get("skipped", [])]
    result.summary = data.get("summary")
    return result


#: (database, pid) -> this process's connection: every batch a worker runs unpickles a new
#: ResultCache, and they share one connection instead of opening one per batch
_connections: dict[tuple[str, int], sqlite3.Connection] = {}
#: held around every use of a connection: a free-threaded build's worker threads share them
_connections_lock = threading.RLock()


class ResultCache:
    """The cache of one project root; picklable (a worker process opens its own connection).

    Close it (`close`) before forking: a child must never touch an SQLite connection it
    inherited, and SQLite's file locks are per process.
    """

    def __init__(self, root: Path, folder: Optional[Path] = None) -> None:
        """The cache in `folder` (`--cache-dir`), by default `root/.racelint_cache`."""
        self.folder = folder if folder is not None else root / CACHE_DIR
        self.database = self.folder / DATABASE
        self._broken = False
        #: path -> sha256 of the bytes `get` last keyed it by, this run (`prepare` empties it): the
        #: project filters' digest (`project.phase.drop_filtered`) reuses them instead of hashing again
        self.content_digests: dict[str, bytes] = {}

    def __getstate__(self) -> dict:
        return {"folder": self.folder, "database": self.database}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"].parent, state["folder"])  # type: ignore[misc]

    # -- connection -----------------------------------------------------------------
    def prepare(self) -> None:
        """Create the folder (ignored by git) and open the database; drop other tool versions' rows."""
        self.content_digests = {}
        with _connections_lock:
            connection = self._connect()
            if connection is not None:
                with self._quiet():
                    connection.execute("DELETE FROM results WHERE tool != ?", (tool_fingerprint(),))
                    connection.execute("DELETE FROM answers WHERE tool != ?", (tool_fingerprint(),))

    def _connect(self) -> Optional[sqlite3.Connection]:
        if self._broken:
            return None
        slot = (str(self.database), os.getpid())
        with _connections_lock:
            connection = _connections.get(slot)
            if connection is None:
                connection = _connections[slot] = self._open()  # type: ignore[assignment]
                if connection is None:
                    del _connections[slot]
        self._broken = connection is None
        return connection

    def _open(self) -> Optional[sqlite3.Connection]:
        for attempt in range(2):
            connection = None
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                ignore = self.folder / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("*\n")
                # the one connection of this process (kept in `_connections`), not one per call
                connection = sqlite3.connect(
                    self.database, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
                connection.execute(_SCHEMA)
                connection.execute(_ANSWERS_SCHEMA)
                with contextlib.suppress(sqlite3.OperationalError):  # WAL is unavailable on some file systems
                    connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                return connection
            except sqlite3.DatabaseError:
                if connection is not None:
                    connection.close()
                if attempt == 0 and not self._replace_unreadable():
                    break
            except (sqlite3.Error, OSError):
                if connection is not None:
                    connection.close()
                break
        return None  # unusable (read-only folder, locked for too long): run without

    def _replace_unreadable(self) -> bool:
        """Remove a cache file that is not a database (or a corrupt one); True if removed."""
        try:
            check = sqlite3.connect(self.database, timeout=BUSY_TIMEOUT)  # racelint: ignore[CRL201] a one-off health check
            try:
                healthy = check.execute("PRAGMA quick_check").fetchone() == ("ok",)
            finally:
                check.close()
        except sqlite3.DatabaseError:
            healthy = False
        except sqlite3.Error:
            return False
        if healthy:
            return False  # busy, not broken: leave it to its owner
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.database}{suffix}")
        return True

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error:
            pass  # locked past the timeout, disk full, corrupt page: only speed is lost

    # -- entries ----------------------------------------------------------------------
    def _rows(self, path: str, configs: tuple[str, ...]) -> list[tuple[str, str]]:
        """(key, data) of the rows of `path` (absolute) under these configuration ids; none when
        the cache is unusable (`get`, `summary` and the filters' answers look rows up alike)."""
        marks = ", ".join("?" * len(configs))
        with _connections_lock:
            connection = self._connect()
            if connection is None:
                return []
            try:
                return connection.execute(
                    f"SELECT key, data FROM results WHERE path = ? AND config IN ({marks})", (path, *configs)
                ).fetchall()
            except sqlite3.Error:
                return []

    def get(self, path: str, raw: bytes, config: Config) -> Optional[FileResult]:
        """The stored result for exactly these bytes, tool and configuration, else None."""
        content = hashlib.sha256(raw)
        self.content_digests[path] = content.digest()
        key = entry_key(path, raw, config, content.hexdigest())
        for row_key, data in self._rows(os.path.abspath(path), (config_id(config),)):
            if row_key != key:
                continue
            try:
                return _result_from_json(data, path)
            except (ValueError, KeyError, TypeError):
                return None  # a row that does not parse is recomputed (and replaced)
        return None

    def get_fixed(self, path: str, raw: bytes, config: Config) -> Optional[FileResult]:
        """What fixing exactly these bytes with this tool and configuration (its project facts
        included) gave, `old_source` set to `raw`; else None."""
        key = fixed_key(path, raw, config)
        for row_key, data in self._rows(os.path.abspath(path), (config_id(config) + FIXED,)):
            if row_key != key:
                continue
            try:
                return _fixed_from_json(data, path, raw)
            except (ValueError, KeyError, TypeError):
                return None
        return None

    def put_fixed(self, entries: Iterable[tuple[str, bytes, Config, FileResult]]) -> None:
        """Store fix results, `(path, bytes fixed, config, result)` each: one row per file and
        configuration beside its lint row (replaced by the next fix of other bytes)."""
        now = time.time_ns()
        rows = [
            (os.path.abspath(path), config_id(config) + FIXED, tool_fingerprint(), fixed_key(path, raw, config), _fixed_to_json(result), now)
            for path, raw, config, result in entries
            if not (result.error is not None and result.error.message.startswith("cannot read"))
        ]
        self._put_rows(rows)

    def get_edits(self, path: str, key: str, config: Config) -> Optional[dict]:
        """The per-finding edits `output/edits.py` stored under `key` (its own digest of
        everything they depend on), as the JSON it stored; else None."""
        for row_key, data in self._rows(os.path.abspath(path), (config_id(config) + EDITS,)):
            if row_key != key:
                continue
            try:
                found = json.loads(data)
            except ValueError:
                return None
            return found if isinstance(found, dict) else None
        return None

    def put_edits(self, entries: Iterable[tuple[str, str, Config, dict]]) -> None:
        """Store per-finding edits, `(path, key, config, JSON-able dict)` each."""
        now = time.time_ns()
        self._put_rows(
            [(os.path.abspath(path), config_id(config) + EDITS, tool_fingerprint(), key, json.dumps(data), now) for path, key, config, data in entries]
        )

    def _put_rows(self, rows: list[tuple]) -> None:
        if not rows:
            return
        with _connections_lock:
            connection = self._connect()
            if connection is None:
                return
            with self._quiet():
                connection.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)", rows)

    def summary(self, path: str, raw: bytes, config: Config) -> Optional[dict]:
        """The project-index summary for exactly these bytes, tool and configuration, however the
        run spelt the path (`project.single_file` reads it): stored with a phase-1 result, or
        alone by `put_summaries`."""
        key = entry_key(path, raw, config)
        plain = config_id(config)
        for row_key, data in self._rows(os.path.abspath(path), (plain, plain + SUMMARY_ONLY)):
            if row_key != key:
                continue
            try:
                summary = json.loads(data).get("summary")
            except (ValueError, AttributeError):
                continue
            if isinstance(summary, dict):
                return summary
        return None

    def filter_answers(self, digest: str, config: Config) -> Optional[dict]:
        """The project filters' answers (`project/filters.py`) stored under `digest` (every file's
        bytes and the configuration) by this tool, else None."""
        with _connections_lock:
            connection = self._connect()
            if connection is None:
                return None
            try:
                row = connection.execute("SELECT key, data FROM answers WHERE config = ?", (config_id(config),)).fetchone()
            except sqlite3.Error:
                return None
        if row is None or row[0] != _answers_key(digest):
            return None
        try:
            known = json.loads(row[1])
        except ValueError:
            return None
        return known if isinstance(known, dict) else None

    def put_filter_answers(self, digest: str, config: Config, known: dict) -> None:
        """Store the filters' answers of a run: one row per configuration, replaced by the next
        run whose files differ (the cache does not grow with the edits)."""
        row = (config_id(config), tool_fingerprint(), _answers_key(digest), json.dumps(known, sort_keys=True))
        with _connections_lock:
            connection = self._connect()
            if connection is None:
                return
            with self._quiet():
                connection.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", row)

    def put_summaries(self, entries: Iterable[tuple[str, bytes, Config, dict]]) -> None:
        """Store summaries a single-file adapter parsed (rows of their own, never read as a
        result), so the next process reads them instead of parsing again."""
        now = time.time_ns()
        rows = [
            (
                os.path.abspath(path), config_id(config) + SUMMARY_ONLY, tool_fingerprint(), entry_key(path, raw, config),
                json.dumps({"summary": summary}), now,
            )
            for path, raw, config, summary in entries
        ]
        self._put_rows(rows)

    def put_many(self, entries: Iterable[tuple[str, bytes, Config, FileResult]]) -> None:
        """Store results, one transaction: `(path, bytes linted, config, result)` each."""
        rows = []
        now = time.time_ns()
        for path, raw, config, result in entries:
            if result.error is not None and result.error.message.startswith("cannot read"):
                continue  # nothing was linted
            key = entry_key(path, raw, config)
            rows.append((os.path.abspath(path), config_id(config), tool_fingerprint(), key, _result_to_json(result), now))
        if not rows:
            return
        with _connections_lock:
            connection = self._connect()
            if connection is None:
                return
            with self._quiet():
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)", rows)
                    connection.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        """Close this process's connection (before forking workers, and at the end of a run)."""
        with _connections_lock:
            connection = _connections.pop((str(self.database), os.getpid()), None)
        if connection is not None:
            with self._quiet():
                connection.close()


def remove_cache(folder: Path) -> tuple[bool, list[str]]:
    """Delete the files this cache writes in `folder`, then the folder if that empties it.

    Only the cache's own files go (a `--cache-dir` pointed at a folder holding anything
    else keeps it all): (whether anything was removed, the names left behind).
    """
    removed = False
    ignore = folder / ".gitignore"
    with contextlib.suppress(OSError):
        if ignore.read_text() == "*\n":  # the one `_open` writes, not a project's own
            ignore.unlink()
            removed = True
    for name in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", f"{DATABASE}-journal"):
        try:
            (folder / name).unlink()
            removed = True
        except FileNotFoundError:
            pass
    try:
        leftover = sorted(entry.name for entry in folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return removed, []
    if not leftover:
        folder.rmdir()
        removed = True
    return removed, leftover
