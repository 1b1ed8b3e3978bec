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
            labels[index] = state.targets[0].label
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
        first = model.setup()  # a probe: an unbuildable constructor is "not runnable", not an exploration failure
    except NoModel as error:
        return {"nomodel": str(error)}
    except Unbuildable as error:
        return {"unrunnable": str(error)}
    arguments = first.targets[0].label if first.targets else ""
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
    for bound in options["bounds"] if result is None else ():
        # a low bound first: most races show with one preemption, in a few executions
        result = frontrun.explore(**common, **model.options, preemption_bound=bound, max_executions=options["max_executions"],
                                  warn_nondeterministic_sql=False, search=options.get("search"))
        if result.property_holds is not True or not seen["reached"]:
            break  # a violation, or a race no execution reaches: a higher bound changes neither
    assert result is not None
    explanation = result.explanation or ""
    return {
        "holds": result.property_holds,
        "explored": result.num_explored,
        "bound": bound,
        "max_executions": options["max_executions"],
        "budget": options["budget"],
        "explanation": explanation[:4000],
        "inconclusive": result.inconclusive_reason or "",
        "deadlock": deadlock_cycle(explanation),
        "reached": seen["reached"],
        "errors": sorted(seen["errors"])[:5],
        "violated": model.violated,
        "proven": model.holds,
        "detail": seen["detail"],
        "counterexample": list(result.counterexample) if isinstance(result.counterexample, list) else [],
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
