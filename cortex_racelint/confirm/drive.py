"""What every reproducer run shares: the report it returns and the threads it drives."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

from .hooks import RacelintStop

MISSING = object()

Report = dict[str, Any]


def report(*, reached: bool, raced: bool, serialised: bool, detail: str, arrivals: int = 0, timeouts: int = 0,
            errors: Optional[list[str]] = None, distinct: int = 0) -> Report:
    return {"arrivals": arrivals, "timeouts": timeouts, "distinct": distinct, "errors": sorted(set(errors or [])),
            "reached": reached, "raced": raced, "serialised": serialised, "detail": detail}


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def start_threads(bodies: list[Callable[[], Any]], driven: dict[int, int]) -> tuple[list[threading.Thread], list[str]]:
    """Start one daemon thread per body, released together; their idents go in `driven`."""
    start = threading.Barrier(len(bodies))
    errors: list[str] = []

    def wrap(index: int, body: Callable[[], Any]) -> None:
        driven[threading.get_ident()] = index
        try:
            start.wait(5)
        except threading.BrokenBarrierError:
            pass
        try:
            body()
        except RacelintStop:
            pass
        except BaseException as error:  # noqa: BLE001 - reported
            errors.append(describe(error))

    threads = [threading.Thread(target=wrap, args=(i, b), daemon=True) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    return threads, errors


def join(threads: list[threading.Thread], seconds: float) -> int:
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(1 for t in threads if t.is_alive())


def in_method(frame: Any, filename: str, function: str, line: Optional[int]) -> bool:
    code = frame.f_code
    return code.co_name == function and code.co_filename == filename and (line is None or frame.f_lineno == line)
