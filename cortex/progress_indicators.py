"""Terminal progress indicators: a threaded spinner and a progress bar.

The spinner animates on a background thread while the main thread waits
for the LLM or the package manager; ``update()`` changes its message on the
fly. Output goes to an injectable stream so tests can capture it.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional, TextIO

SPINNER_FRAMES = ("⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏")
ASCII_FRAMES = ("|", "/", "-", "\\")


class SimpleSpinner:
    """Spinner drawn by a daemon thread.

    >>> spinner = SimpleSpinner()
    >>> spinner.start("Resolving dependencies")
    >>> spinner.update("Downloading")
    >>> spinner.stop("Done")
    """

    def __init__(
        self,
        stream: Optional[TextIO] = None,
        interval: float = 0.1,
        frames: tuple[str, ...] = SPINNER_FRAMES,
    ) -> None:
        self._lock = threading.Lock()
        self._stream = stream if stream is not None else sys.stdout
        self._interval = interval
        self._frames = frames
        self._running = False
        self._current_message = ""
        self._step = ""  # e.g. "3/7" while a multi-package install runs
        self._thread: Optional[threading.Thread] = None

    @property
    def running(self) -> bool:
        return self._running

    def start(self, message: str = "") -> None:
        if self._running:
            self.update(message)
            return
        self._running = True
        self._current_message = message
        self._thread = threading.Thread(target=self._animate, daemon=True)
        self._thread.start()

    def _animate(self) -> None:
        index = 0
        while True:
            with self._lock:
                if not self._running:
                    break
                current_message = self._current_message
                step = self._step
            frame = self._frames[index % len(self._frames)]
            self._stream.write(f"\r{frame} {current_message}")
            if step:
                self._stream.write(f" [{step}]")
            self._stream.flush()
            index += 1
            time.sleep(self._interval)

    def update(self, message: str, step: str = "") -> None:
        with self._lock:
            self._current_message = message
            self._step = step

    def stop(self, final: Optional[str] = None) -> None:
        with self._lock:
            self._running = False
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._stream.write("\r\033[K")
        if final:
            self._stream.write(f"✓ {final}\n")
        self._stream.flush()

    def fail(self, message: str) -> None:
        self.stop()
        self._stream.write(f"✗ {message}\n")
        self._stream.flush()


@contextmanager
def spinner(message: str, stream: Optional[TextIO] = None, interval: float = 0.1) -> Iterator[SimpleSpinner]:
    """``with spinner("Installing"): ...`` – stops (or fails) on exit."""
    s = SimpleSpinner(stream=stream, interval=interval)
    s.start(message)
    try:
        yield s
    except BaseException as exc:
        s.fail(f"{message}: {exc}")
        raise
    else:
        s.stop(message)


class ProgressBar:
    """Determinate progress bar, redrawn on every ``advance``."""

    def __init__(self, total: int, width: int = 30, stream: Optional[TextIO] = None, label: str = "") -> None:
        if total <= 0:
            raise ValueError("total must be positive")
        self.total = total
        self.width = width
        self.label = label
        self.current = 0
        self._stream = stream if stream is not None else sys.stdout

    @property
    def fraction(self) -> float:
        return min(self.current / self.total, 1.0)

    def render(self) -> str:
        filled = int(self.width * self.fraction)
        bar = "█" * filled + "░" * (self.width - filled)
        prefix = f"{self.label} " if self.label else ""
        return f"{prefix}[{bar}] {self.current}/{self.total} ({self.fraction:.0%})"

    def advance(self, steps: int = 1) -> None:
        self.current = min(self.current + steps, self.total)
        self._stream.write("\r" + self.render())
        if self.current >= self.total:
            self._stream.write("\n")
        self._stream.flush()

    def finish(self) -> None:
        if self.current < self.total:
            self.advance(self.total - self.current)
