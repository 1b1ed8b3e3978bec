"""Threads that frameworks start (issue 18), run against the legacy and the migrated tree.

`cortex.status_server` runs code on threads it never starts: `ThreadingHTTPServer` serves
each request on its own thread with a new handler object (so only class-level state is
shared), and every logging thread calls the log handler's `emit()` under its handler lock.
Each scenario holds the race window open (DESIGN.md section 4) and must show the race on
the legacy tree and never on the migrated one.
"""

from __future__ import annotations

import io
import logging
import threading
from types import SimpleNamespace

import pytest

from cortex_racelint.racetest import WindowHold, run_together

from .cortex_trees import LEGACY_ROOT, MIGRATED_ROOT, import_cortex, purge_cortex_modules

TREES = [pytest.param(LEGACY_ROOT, id="legacy")]
if (MIGRATED_ROOT / "cortex" / "status_server.py").exists():
    TREES.append(pytest.param(MIGRATED_ROOT, id="migrated"))


@pytest.fixture(params=TREES)
def status_server(request):
    module = import_cortex(request.param, "status_server")
    yield SimpleNamespace(module=module, racy=request.param == LEGACY_ROOT)
    purge_cortex_modules()


def expect(tree, raced: bool, what: str) -> None:
    if tree.racy:
        assert raced, f"the legacy tree should show the race ({what}), but it did not"
    else:
        assert not raced, f"the migrated tree still races: {what}"


class _HeldCounts(dict):
    """The class-level per-path counter, its `get` (inside the read-modify-write) held open."""

    hold: WindowHold

    def get(self, key, default=None):
        value = super().get(key, default)
        self.hold()
        return value


def _request(handler_class, path: str):
    """A handler as the server builds one per request, minus the socket: `do_GET` is what
    the request's thread runs."""
    handler = handler_class.__new__(handler_class)
    handler.path = path
    handler.wfile = io.BytesIO()
    handler.send_response = handler.send_header = lambda *args: None
    handler.end_headers = lambda: None
    return handler


def test_request_counter_shared_by_handler_threads(status_server):
    threads = 8
    hold = WindowHold(parties=threads, timeout=0.5)
    counts = _HeldCounts()
    counts.hold = hold
    handler_class = status_server.module.StatusHandler
    handler_class.path_counts = counts
    run = run_together(threads, lambda _: _request(handler_class, "/health").do_GET())
    assert not run.errors
    expect(status_server, counts["/health"] < threads, f"{counts['/health']} of {threads} requests counted")
    if not status_server.racy:
        assert hold.serialised, "the class lock must serialise the handlers' update"


def test_log_lines_drained_while_a_thread_logs(status_server):
    handler = status_server.module.RecentLogHandler()
    in_window, proceed = threading.Event(), threading.Event()
    plain = handler.format

    def held_format(record):  # emit has already read `self.lines` when it formats
        in_window.set()
        proceed.wait(0.5)
        return plain(record)

    handler.format = held_format
    record = logging.LogRecord("cortex", logging.INFO, __file__, 1, "installed nginx", None, None)
    logging_thread = threading.Thread(target=handler.handle, args=(record,))  # handle() takes the handler lock
    logging_thread.start()
    assert in_window.wait(5)
    drained = handler.drain_text()
    proceed.set()
    logging_thread.join(5)
    assert not logging_thread.is_alive()
    drained += handler.drain_text()
    expect(status_server, "installed nginx" not in drained, "a log line appended to the list drain_text() had swapped out")
