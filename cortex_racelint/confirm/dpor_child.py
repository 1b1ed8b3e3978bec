"""The DPOR child: `python -m cortex_racelint.confirm.dpor_child SPEC ROOT OUT OPTIONS`.

Builds the finding's model (`models.py`) in the sandbox at ROOT, explores it with frontrun's
DPOR and writes one JSON verdict to OUT (the user's code may print to stdout). frontrun's
pitfalls, as in `tests/fix_safety/runner.py`: locks made before `patch_locks()` are real and
stall its scheduler, so every execution re-imports the package after patching; a wall-clock
backstop in the parent kills a child that hangs anyway.
"""

from __future__ import annotations

import frontrun  # first: it saves the real threading primitives at import, before anyone patches them
from frontrun._cooperative import patch_locks

import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .arguments import Unbuildable, choose, use_inferred
from .models import Model, NoModel, State, build_model


def deadlock_cycle(explanation: str) -> str:
    """The lock cycle of frontrun's deadlock report (`thread 0 -> lock 7 -> thread 0`), or ""."""
    if not explanation.startswith("Deadlock"):
        return ""
    cycle = [line.strip() for line in explanation.splitlines() if "->" in line]
    return "; ".join(cycle) or explanation.splitlines()[0]


#: execution number -> schedule of the failing executions `raced_objects` saw (the counterexample of an attribute)
SCHEDULES: dict[int, list[int]] = {}


def raced_objects(run: Any) -> tuple[Any, list[tuple[int, list[str]]]]:
    """`run()`'s result and, per failing execution, its number and the objects frontrun saw race (`Worker._count`).

    frontrun 0.7.0's result says only how many races an execution had (`error_on_any_race`); the
    objects are in the exploration report it writes for `--frontrun-report` (`race_info`: the racing
    object's type and attribute). The report is taken from the writer instead of a file."""
    import frontrun._report as report_module

    captured: dict[str, Any] = {}
    saved = report_module._global_report_path, report_module.generate_html_report
    report_module._global_report_path = os.devnull
    report_module.generate_html_report = lambda report, path: captured.__setitem__("report", report)
    try:
        result = run()
    finally:
        report_module._global_report_path, report_module.generate_html_report = saved
    report = captured.get("report")
    failing = [ex for ex in (report.executions if report else []) if not ex.invariant_held and not ex.was_deadlock]
    SCHEDULES.update({ex.index + 1: list(ex.schedule_trace) for ex in failing})
    return result, [(ex.index + 1, sorted({race["object"] for race in ex.race_info or () if race.get("object")})) for ex in failing]


_LOCK_OPERATION = re.compile(r"\(id=\d+\)\.(acquire|release)$")  # frontrun's entry for a lock itself, not shared state


def _for_attribute(result: Any, objects: list[tuple[int, list[str]]], attr: str, others: set[str]) -> tuple[Any, list[str], set[str], int]:
    """(holds for `self.<attr>`, the raced objects naming it, the other raced objects, the first execution racing on
    it) of an `error_on_any_race` run.

    frontrun names a raced attribute `Type.attr` (a dict entry `dict.key`). A failure whose report names no
    object (a frontrun that stopped reporting them) still counts against the attribute: never a false pass."""
    if result.property_holds is not False or deadlock_cycle(result.explanation or ""):
        return result.property_holds, [], others, 0

    def on_attr(name: str) -> bool:
        return not name.startswith("dict.") and name.rsplit(".", 1)[-1] == attr

    named = {name for _, execution in objects for name in execution if not _LOCK_OPERATION.search(name)}
    mine = sorted(n for n in named if on_attr(n))
    others = others | (named - set(mine))
    first = min((number for number, execution in objects if any(on_attr(n) for n in execution)), default=0)
    if mine or not named or len(objects) < len(result.failures or [None]):
        return False, mine, others, first
    return True, [], others, 0


def driven(state: State) -> str:
    """The racing calls as driven (`fib(n=2)`, `Meter.report() against Meter._work(name='racelint')`)."""
    labels = list(dict.fromkeys(target.label for target in state.targets))
    return " against ".join(labels)


def pick_arguments(model: Model, function: str, sets: int, common: dict[str, Any]) -> str:
    """Choose among the inferred argument sets of `function`; the driven call's label (`fib(n=2)`).

    Each set drives one call, serially, under the scheduler (a plain Lock taken again by its holder is
    reported, not blocking). Preferred, in order: a set whose call deadlocks (the cycle the exploration
    must report); one that runs to the end and reaches the race; one that runs the act at least twice in
    one call (`fib(2)` recurses through the window, `fib(1)` does not: a reentrant path is exercised);
    then the fewest acts (the cheapest exploration), then the earliest set.
    """
    best: tuple = ()
    labels: dict[int, str] = {}
    for index in range(sets):
        choose(function, index)
        seen: dict[str, State] = {}

        def setup() -> State:
            seen["state"] = model.setup()
            return seen["state"]

        try:
            probe = frontrun.explore(**{**common, "setup": setup, "workers": model.workers[:1], "invariant": lambda s: True},
                                     preemption_bound=0, max_executions=1)
        except Exception:  # noqa: BLE001 - a set that cannot even run ranks last
            continue
        state = seen.get("state")
        deadlocked = probe.property_holds is False and bool(deadlock_cycle(probe.explanation or ""))
        ran = state is not None and bool(state.finished) and model.reached(state)
        acts = len(state.acts) if state is not None else 0
        score = (deadlocked, ran, min(acts, 2), -acts, -index)
        if state is not None and state.targets:
            labels[index] = driven(state)
        if not best or score > best:
            best = score
    index = -best[-1] if best else 0
    choose(function, index)
    return labels.get(index, "")


def explore(spec: dict, base: Path, options: dict) -> dict[str, Any]:
    table = json.loads(spec.get("arguments") or "{}")
    use_inferred(table)
    try:
        model = build_model(spec, base, options.get("pair", "self"))
        probed = model.setup()  # a probe: an unbuildable constructor is "not runnable", not an exploration failure
    except NoModel as error:
        return {"nomodel": str(error)}
    except Unbuildable as error:
        return {"unrunnable": str(error)}
    arguments = driven(probed)
    patch_locks()  # modules imported from now on (every setup) get scheduler-aware locks
    seen: dict[str, Any] = {"reached": False, "errors": set(), "detail": ""}

    picture = model.options.get("serializable_invariant")

    def invariant(state: State) -> bool:
        if picture is not None:
            seen["picture"] = picture(state)
        seen["reached"] = seen["reached"] or model.reached(state)
        seen["errors"].update(state.errors)
        holds = model.invariant(state)
        if not holds and not seen["detail"]:
            seen["detail"] = "; ".join(state.broken)
        return holds

    started = time.perf_counter()
    common = {"setup": model.setup, "workers": model.workers, "invariant": invariant, "reproduce_on_failure": 0,
              "deadlock_timeout": options["deadlock_timeout"], "total_timeout": options["budget"], "detect_io": False}
    if len(table.get(spec["function"], ())) > 1:
        arguments = pick_arguments(model, spec["function"], len(table[spec["function"]]), common) or arguments
    bound, result = 0, None
    if "serializable_invariant" in model.options:
        # the serial baseline runs outside frontrun's scheduler, where a self-deadlock (a plain Lock taken
        # again by its holder) blocks for good: each serial order runs once under the scheduler first, which
        # reports it as a cycle. The first order runs twice: a state that differs between two identical serial
        # runs (a timestamp, a random id) would make every interleaving look non-serial, so there is no model
        pictures = []
        for reversed_order in (False, False, True):
            order = model.workers[::-1] if reversed_order else model.workers
            probe = frontrun.explore(**{**common, "workers": order}, preemption_bound=0, max_executions=1)
            pictures.append(seen.get("picture"))
            if len(pictures) == 2 and probe.property_holds is True and pictures[0] != pictures[1]:
                return {"nomodel": "the state the invariant compares differs between two identical serial runs"}
            if probe.property_holds is not True:
                if reversed_order and probe.explanation:  # name the threads as the model does
                    probe.explanation = re.sub(r"thread ([01])\b", lambda m: f"thread {1 - int(m.group(1))}", probe.explanation)
                result = probe
                break
    attr = spec.get("attr") if model.options.get("error_on_any_race") else ""
    holds, others, first = (result.property_holds if result is not None else None), set(), 0
    for bound in options["bounds"] if result is None else ():
        # a low bound first: most races show with one preemption, in a few executions
        def run(bound: int = bound) -> Any:
            return frontrun.explore(**common, **model.options, preemption_bound=bound, max_executions=options["max_executions"],
                                    warn_nondeterministic_sql=False, search=options.get("search"), **({"stop_on_first": False} if attr else {}))
        if attr:  # per attribute: races on other state of the two methods are other findings' business
            result, objects = raced_objects(run)
            holds, mine, others, first = _for_attribute(result, objects, attr, others)
            if mine:
                seen["detail"] = seen["detail"] or f"raced on {', '.join(mine)}"
        else:
            result = run()
            holds = result.property_holds
        if holds is not True or not seen["reached"]:
            break  # a violation, or a race no execution reaches: a higher bound changes neither
    assert result is not None
    explanation = result.explanation or ""
    proven = model.holds + (f" (unordered accesses to other state were seen: {', '.join(sorted(others))})" if others and holds else "")
    return {
        "holds": holds,
        "explored": first if holds is False and first else result.num_explored,  # a violation: where it showed
        "bound": bound,
        "max_executions": options["max_executions"],
        "budget": options["budget"],
        "explanation": explanation[:4000] if holds is not True else "",
        "inconclusive": result.inconclusive_reason or "",
        "deadlock": deadlock_cycle(explanation),
        "reached": seen["reached"],
        "errors": sorted(seen["errors"])[:5],
        "violated": model.violated,
        "proven": proven,
        "detail": seen["detail"],
        "counterexample": SCHEDULES.get(first) or (list(result.counterexample) if isinstance(result.counterexample, list) and holds is False else []),
        "seconds": round(time.perf_counter() - started, 4),
        "arguments": arguments,
    }


def main(argv: list[str]) -> int:
    spec, root, out, options = json.loads(argv[0]), argv[1], Path(argv[2]), json.loads(argv[3])
    sys.path.insert(0, root)
    base = Path(os.environ.get("HOME", "."))
    quiet = threading.excepthook
    threading.excepthook = lambda args: None if type(args.exc_value).__module__.startswith("frontrun") else quiet(args)
    try:
        verdict = explore(spec, base, options)
    except Exception as error:  # noqa: BLE001 - reported to the parent, which says why it could not run
        verdict = {"unrunnable": f"exploring the model failed: {type(error).__name__}: {str(error)[:300]}"}
    out.write_text(json.dumps(verdict), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # leftover daemon threads of the user's code must not keep us alive


if __name__ == "__main__":
    main(sys.argv[1:])  # also started by `dpor.light_command`, which skips the package's __init__
