"""Reproducer runs for shared attributes: lost updates (CRL402) and unlocked sharing (CRL401).

Both hold a thread right after its access to `self.<attr>`, routed through a property
on a throw-away subclass (`hooks.hook_attribute`); see `scenarios.py` for what each
run proves.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from ..racetest import WindowHold
from .drive import MISSING, Report, in_method, join, report, start_threads
from .hooks import RacelintStop, hook_attribute
from .targets import instance_for, resolve

REACH_SECONDS = 1.5  # how long a side may take to reach its window


def run_rmw(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = instance_for(module, spec)
    target = resolve(module, spec["function"], instance)
    attr, line, filename = spec["attr"], spec.get("window_line"), module.__file__
    hold = WindowHold(parties=threads, timeout=timeout)
    lock = threading.Lock()
    driven: dict[int, int] = {}
    reads: dict[int, tuple[int, Any]] = {}
    state = {"version": 0, "lost": 0, "writes": 0}

    def before_set(obj: Any, kind: str, value: Any, frame: Any) -> None:
        with lock:
            read = reads.pop(threading.get_ident(), None)
            if read is not None:
                state["writes"] += 1
                if read[0] != state["version"] and value is not read[1]:
                    state["lost"] += 1  # computed from a value another thread's write replaced

    def after_access(obj: Any, kind: str, value: Any, frame: Any) -> None:
        if kind == "write":
            with lock:
                state["version"] += 1
        elif threading.get_ident() in driven and in_method(frame, filename, target.function, line):
            with lock:
                reads[threading.get_ident()] = (state["version"], value)
            hold()  # between the read and the write

    hook_attribute(instance, attr, before_set, after_access)
    started, errors = start_threads([target.call] * threads, driven)
    join(started, 10 + 2 * timeout)
    lost = state["lost"]
    return report(reached=hold.arrivals > 0, raced=lost > 0, serialised=hold.arrivals > 0 and hold.timeouts > 0 and lost == 0,
                  detail=f"{lost} of {state['writes']} updates of `{attr}` lost ({hold.arrivals} threads read it in the window)",
                  arrivals=hold.arrivals, timeouts=hold.timeouts, errors=errors)


def run_shared(spec: dict, threads: int, timeout: float) -> Report:
    module = importlib.import_module(spec["module"])
    instance = instance_for(module, spec)
    # each side is recognised by its frames, so a side may run on the thread its starter spawns
    drive_a = resolve(module, spec.get("entry") or spec["function"], instance)
    drive_b = resolve(module, spec.get("other_entry") or spec["other_function"], instance)
    side_a, side_b = spec["function"].split(".")[-1], spec["other_function"].split(".")[-1]
    attr, line, filename = spec["attr"], spec.get("window_line"), module.__file__
    a_in, b_done, a_out = threading.Event(), threading.Event(), threading.Event()
    main = threading.get_ident()
    state: dict[str, Any] = {"held": False, "b_inside": "", "timed_out": False, "changed": False, "stop": False}

    def check_stop(obj: Any, kind: str, value: Any, frame: Any) -> None:
        if state["stop"] and threading.get_ident() != main and frame.f_code.co_name in (side_a, side_b):
            raise RacelintStop

    def after_access(obj: Any, kind: str, value: Any, frame: Any) -> None:
        if frame.f_code.co_filename != filename:
            return
        check_stop(obj, kind, value, frame)
        if not state["held"] and in_method(frame, filename, side_a, line):
            state["held"] = True
            before = obj.__dict__.get(attr, MISSING)
            a_in.set()
            state["timed_out"] = not b_done.wait(timeout)
            state["changed"] = obj.__dict__.get(attr, MISSING) is not before
            state["stop"] = True  # the verdict is in: unwind both sides at their next access
            a_out.set()
        elif frame.f_code.co_name == side_b and state["held"] and not a_out.is_set() and not state["b_inside"]:
            state["b_inside"] = "wrote" if kind == "write" else "read"
            b_done.set()

    def run_b() -> None:
        if a_in.wait(REACH_SECONDS):
            drive_b.call()

    hook_attribute(instance, attr, check_stop, after_access)
    started, errors = start_threads([drive_a.call, run_b], {})
    if a_in.wait(REACH_SECONDS):
        a_out.wait(timeout + 3.0)
    state["stop"] = True
    join(started, 2.0)
    reached, raced = state["held"], bool(state["b_inside"])
    a_label, b_label = f"{spec['function']}()", f"{spec['other_function']}()"
    if raced:
        detail = f"`{b_label}` {state['b_inside']} `{attr}` while `{a_label}` was held right after its access"
        detail += " (the value it saw was replaced under it)" if state["changed"] else ""
    elif reached:
        detail = f"`{b_label}` could not touch `{attr}` while `{a_label}` was held (the hold timed out)"
    else:
        detail = f"driving `{drive_a.label}` never reached the window (line {line or '?'})"
    return report(reached=reached, raced=raced, serialised=reached and state["timed_out"] and not raced, detail=detail,
                  arrivals=int(reached), timeouts=int(state["timed_out"]), errors=errors)
