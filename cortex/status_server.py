"""A small local status endpoint for long-running Cortex operations.

``cortex serve-status`` starts it on 127.0.0.1 so that editors and the desktop
applet can poll what an install is doing: ``/status`` returns request counters
and the recent log lines, ``/health`` is a liveness probe. Each request is
served on its own thread (``ThreadingHTTPServer``), and the log lines come from
a logging handler that every Cortex thread logs through.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional


class RecentLogHandler(logging.Handler):
    """Keeps the last ``capacity`` formatted log lines for the status page."""

    def __init__(self, capacity: int = 200) -> None:
        super().__init__()
        self.capacity = capacity
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if len(self.lines) > self.capacity:
            del self.lines[0]

    def drain_text(self) -> str:
        """The lines logged since the last call, as one text block."""
        with self.lock:
            lines = self.lines
            self.lines = []
        return "\n".join(lines)


class StatusHandler(BaseHTTPRequestHandler):
    """Serves ``/status`` and ``/health``; counts requests per path."""
    _lock = threading.Lock()

    path_counts: dict[str, int] = {}
    log_handler: Optional[RecentLogHandler] = None

    def do_GET(self) -> None:
        with self._lock:
            self.path_counts[self.path] = self.path_counts.get(self.path, 0) + 1
        if self.path == "/health":
            self._reply(200, {"ok": True})
        elif self.path == "/status":
            recent = self.log_handler.drain_text() if self.log_handler is not None else ""
            self._reply(200, {"requests": dict(self.path_counts), "recent": recent})
        else:
            self._reply(404, {"error": "not found"})

    def _reply(self, code: int, payload: dict) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the status page is polled every second: keep stderr quiet


def make_server(port: int = 0, log_handler: Optional[RecentLogHandler] = None) -> ThreadingHTTPServer:
    """A status server on 127.0.0.1 (port 0: any free port); call ``serve_forever()`` on it."""
    StatusHandler.log_handler = log_handler
    return ThreadingHTTPServer(("127.0.0.1", port), StatusHandler)
