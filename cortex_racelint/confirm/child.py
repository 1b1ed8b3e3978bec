"""The reproducer's child process: `python -m cortex_racelint.confirm.child SPEC RUNS THREADS TIMEOUT ROOT OUT`.

It imports the sandboxed package fresh for every run, each run in its own throw-away
HOME and working directory (a run must not see the files of the previous one), and
writes its reports as JSON to OUT: the user's code may print to stdout.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

from .arguments import use_inferred
from .hooks import RacelintStop
from .scenarios import install, run


def _purge(top: str) -> None:
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    runs, threads, timeout = int(argv[1]), int(argv[2]), float(argv[3])
    sys.path.insert(0, argv[4])
    out = Path(argv[5])
    top = spec["module"].split(".")[0]
    base = Path(os.environ.get("HOME", "."))
    install(spec.get("family", "creation"))
    use_inferred(json.loads(spec.get("arguments") or "{}"))
    quiet = threading.excepthook
    threading.excepthook = lambda args: None if issubclass(args.exc_type, RacelintStop) else quiet(args)
    reports = []
    for index in range(runs):
        home = base / f"run-{index}"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["HOME"] = str(home)
        os.chdir(home)
        _purge(top)
        report = run(spec, threads, timeout)
        reports.append(report)
        if "unrunnable" in report or not report.get("reached", True):
            break  # deterministic: a window not reached once is never reached
    out.write_text(json.dumps(reports), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # leftover daemon threads of the user's code must not keep us alive


if __name__ == "__main__":
    main(sys.argv[1:])
