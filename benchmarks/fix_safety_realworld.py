"""Issue 14, real code: does `racelint check --fix --unsafe-fixes` keep real packages' test suites green?

For each package in PACKAGES (pinned version): download its sdist from PyPI, unpack it into WORKDIR, make a
venv there, install the released wheel (for its dependencies) and the test dependencies, run the suite on the
pristine tree, copy the tree, run racelint's fix on the copy's source directory, run the suite again and
compare per-test outcomes (JUnit XML). Every test that passed before and fails after is a new failure; a test
killed by the per-test timeout (pytest-timeout) or a suite killed by the global timeout is a hang.

    python benchmarks/fix_safety_realworld.py WORKDIR [--packages a,b] [--timeout S] [--test-timeout S] [--safe]

`--safe` applies the safe fixes only (`--fix`), on a separate copy (WORKDIR/NAME/fixed-safe, results-safe.json).
A package whose fix changes no file is reported as such and its suite is not run.

The suites run from the tree (PYTHONPATH=<tree's import root>, which precedes site-packages), so the wheel in
the venv only supplies dependencies; the run checks that the package is imported from the tree. Only PyPI is
needed: tests needing servers or networks are deselected in the table (`deselect`, `-k`) and the table says so.
Prints a Markdown table, writes WORKDIR/results.json and each package's diff to WORKDIR/<pkg>/fix.diff.
Exit status 1 if any package has a new failure or a hang (or could not be measured).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import venv
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RACELINT = [REPO]  # the checkout whose cortex_racelint runs (--racelint-repo: compare with an older commit)
TREE = "{tree}"  # stands for the tree's path in test ids (parametrised by file paths), so both runs compare
MODE = ["", "--unsafe-fixes"]  # file suffix, then the fix flags after --fix; --safe: ["-safe"] (safe fixes only)


@dataclass(frozen=True)
class Package:
    """One suite: what to download, what to fix, how to test it."""

    name: str
    version: str
    src: str  # the directory racelint fixes, relative to the sdist root
    root: str  # the import root put on PYTHONPATH, relative to the sdist root
    module: str  # the top-level import name (checked to come from the tree)
    tests: tuple[str, ...]  # pytest arguments (paths, -k, --deselect)
    deps: tuple[str, ...] = ()  # extra test requirements
    exclude: tuple[str, ...] = ()  # racelint --extend-exclude globs (tests living inside the package)
    note: str = ""  # what was left out and why


PYTEST_DEPS = ("pytest<9", "pytest-timeout")

PACKAGES: dict[str, Package] = {
    p.name: p
    for p in (
        Package(
            "gunicorn", "23.0.0", "gunicorn", ".", "gunicorn", ("tests",), ("gevent", "eventlet"),
            note="its fixes are in workers/gthread.py and reloader.py, which the suite barely runs",
        ),
        Package(
            "paho-mqtt", "2.1.0", "src/paho", "src", "paho", ("tests",),
            note="test_websocket_integration and the broker tests use a local fake broker on 127.0.0.1",
        ),
        Package(
            "watchdog", "5.0.3", "src/watchdog", "src", "watchdog", ("tests",), ("flaky", "eventlet"),
            note="its findings are in observers/fsevents2.py (macOS only): the suite cannot exercise them here",
        ),
        Package("tqdm", "4.67.1", "tqdm", ".", "tqdm", ("tests",), ("pytest-asyncio>=0.24",)),
        Package(
            "structlog", "24.4.0", "src/structlog", "src", "structlog", ("tests",),
            ("freezegun>=0.2.8", "pretend", "pytest-asyncio>=0.17", "simplejson"),
        ),
        Package(
            "joblib", "1.4.2", "joblib", ".", "joblib", ("joblib/test",), ("threadpoolctl",),
            exclude=("*/test/*",),
            note="joblib/test is not fixed; numpy not installed (numpy tests skip)",
        ),
        Package(
            "zeroconf", "0.136.0", "src/zeroconf", "src", "zeroconf", ("tests",), ("pytest-asyncio",),
            note="pure-Python zeroconf from the tree (the wheel's compiled modules are shadowed); multicast on this"
                 " host",
        ),
        Package(
            "cheroot", "10.0.1", "cheroot", ".", "cheroot", ("-p", "cheroot.test._pytest_plugin", "cheroot/test"),
            ("pytest>=4.6.6,<7", "jaraco.context", "jaraco.text>=3.1", "portend", "pyopenssl", "pypytools",
             "pytest-mock>=1.11.0", "requests", "requests-unixsocket", "requests_toolbelt", "trustme>=0.4.0",
             "urllib3<2"),
            exclude=("*/test/*",), note="cheroot/test is not fixed; its servers listen on 127.0.0.1",
        ),
        # session 10: packages nobody had labelled or tuned for (their labels: precision/realworld_extra.jsonl)
        Package(
            "paramiko", "5.1.0", "paramiko", ".", "paramiko", ("tests",), ("icecream", "invoke", "pytest-relaxed"),
            note="the SSH transport thread against an in-process server on a socket pair",
        ),
        Package("logbook", "1.10.1", "src/logbook", "src", "logbook", ("tests",), ("pytest-rerunfailures",),
                note="pure-Python logbook from the tree (no Rust speedups); redis/zmq/execnet tests skip"),
        Package("sqlitedict", "2.1.0", "sqlitedict.py", ".", "sqlitedict", ("tests",)),
        Package(
            "websocket-client", "1.9.2", "websocket", ".", "websocket", ("websocket/tests",), ("python-socks",),
            exclude=("*/tests/*",), note="websocket/tests is not fixed; the tests needing the internet skip",
        ),
        # session 11: a third corpus nobody had labelled (labels: precision/realworld_s11.jsonl)
        Package(
            "werkzeug", "3.1.9", "src/werkzeug", "src", "werkzeug", ("tests",),
            ("cffi", "cryptography", "ephemeral-port-reserve", "watchdog"),
            note="the dev-server tests start servers on 127.0.0.1",
        ),
        Package("invoke", "3.0.3", "invoke", ".", "invoke", ("tests",), ("pytest-relaxed", "pytest-mock", "icecream")),
        Package("pyserial", "3.5", "serial", ".", "serial", ("test",),
                note="the unittest suites against loop:// (no serial hardware); rfc2217 needs a server and skips"),
        Package("sh", "2.4.0", "src/sh", "src", "sh", ("tests",), note="runs real child processes"),
        Package(
            "cherrypy", "18.10.0", "cherrypy", ".", "cherrypy", ("cherrypy/test",),
            ("objgraph", "path.py", "requests_toolbelt", "pytest-services>=2", "setuptools", "pytest-forked"),
            exclude=("*/test/*",), note="cherrypy/test is not fixed; its servers listen on 127.0.0.1",
        ),
    )
}


@dataclass
class SuiteRun:
    """Per-test outcomes of one suite run."""

    outcomes: dict[str, str] = field(default_factory=dict)  # test id -> passed/failed/error/skipped
    messages: dict[str, str] = field(default_factory=dict)  # test id -> failure message (first line)
    seconds: float = 0.0
    timed_out: bool = False
    returncode: int | None = None
    imported_from: str = ""

    def count(self, *kinds: str) -> int:
        return sum(1 for o in self.outcomes.values() if o in kinds)

    def summary(self) -> str:
        return f"{self.count('passed')}/{self.count('failed', 'error')}/{self.count('skipped')}"


@dataclass
class Result:
    """One package's row."""

    name: str
    version: str
    files: int = 0
    findings: int = 0
    fixed: int = 0
    changed_files: int = 0
    fix_exit: int | None = None
    before: SuiteRun | None = None
    after: SuiteRun | None = None
    new_failures: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    note: str = ""


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a command, raise with its output on failure."""
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc


def fetch(pkg: Package, workdir: Path) -> Path:
    """Download and unpack the sdist once; return the pristine tree."""
    dl = workdir / "sdists"
    dl.mkdir(parents=True, exist_ok=True)
    stem = f"{pkg.name}-{pkg.version}.tar.gz".lower().replace("-", "_")

    def sdist() -> list[Path]:
        return [p for p in dl.glob("*.tar.gz") if p.name.lower().replace("-", "_") == stem]

    found = sdist()
    if not found:
        for attempt in range(3):  # build-isolation installs flake on a busy machine
            try:
                sh([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    f"{pkg.name}=={pkg.version}", "-d", str(dl)], timeout=600)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        found = sdist()
    pristine = workdir / pkg.name / "pristine"
    if not pristine.exists():
        tmp = workdir / pkg.name / "unpack"
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(found[0]) as tar:
            tar.extractall(tmp, filter="data")
        (top,) = tmp.iterdir()
        top.rename(pristine)
        tmp.rmdir()
    return pristine


def make_venv(pkg: Package, workdir: Path) -> Path:
    """A venv per package with the released wheel (dependencies) and the test requirements."""
    env = workdir / pkg.name / "venv"
    py = env / "bin" / "python"
    stamp = env / ".installed"
    wanted = json.dumps([pkg.version, PYTEST_DEPS, pkg.deps])
    if stamp.exists() and stamp.read_text() == wanted:
        return py
    shutil.rmtree(env, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(env)
    sh([str(py), "-m", "pip", "install", "-q", f"{pkg.name}=={pkg.version}", *PYTEST_DEPS, *pkg.deps],
       timeout=1800)
    stamp.write_text(wanted)
    return py


def parse_junit(path: Path, tree: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Test id -> outcome and failure message from a JUnit XML file; the tree's path in an id becomes {tree}."""
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    if not path.exists():
        return outcomes, messages
    for case in ET.parse(path).iter("testcase"):
        tid = f"{case.get('classname', '')}::{case.get('name', '')}".replace(str(tree), TREE)
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                text = (child.get("message") or child.text or "").strip()
                messages[tid] = text.splitlines()[0][:300] if text else ""
                break
            if child.tag == "skipped":
                outcome = "skipped"
        if outcomes.get(tid) not in ("failed", "error"):  # setup+call errors of one test: keep the worst
            outcomes[tid] = outcome
    return outcomes, messages


def run_suite(pkg: Package, py: Path, tree: Path, tag: str, timeout: float, test_timeout: float,
              only: list[str] | None = None) -> SuiteRun:
    """Run the suite (or the given test ids) on `tree`, killing the process group at `timeout`."""
    junit = tree.parent / f"junit-{tag}.xml"
    junit.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONPATH=str((tree / pkg.root).resolve()), PYTHONDONTWRITEBYTECODE="1",
               PATH=f"{py.parent}:{env.get('PATH', '')}", HOME=str(tree.parent / "home"))
    (tree.parent / "home").mkdir(exist_ok=True)
    where = sh([str(py), "-c", f"import {pkg.module}, os; print(os.path.realpath({pkg.module}.__file__))"],
               env=env, cwd=tree, timeout=120).stdout.strip()
    args = only if only is not None else list(pkg.tests)
    cmd = [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-W", "ignore",
           f"--timeout={test_timeout}", f"--junitxml={junit}", *args]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    run = SuiteRun(seconds=time.monotonic() - start, timed_out=timed_out, returncode=proc.returncode,
                   imported_from=where)
    (tree.parent / f"pytest-{tag}.log").write_bytes(out or b"")
    run.outcomes, run.messages = parse_junit(junit, tree)
    return run


def racelint(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The racelint of this repository (or of --racelint-repo), as a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(RACELINT[0]))
    return subprocess.run([sys.executable, "-m", "cortex_racelint.cli", "check", "--no-cache", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=1800)


def apply_fix(pkg: Package, pristine: Path, fixed: Path, result: Result) -> None:
    """Copy the tree, run `--fix` (+ `--unsafe-fixes` unless --safe) on the copy's source dir, count, save the diff."""
    shutil.rmtree(fixed, ignore_errors=True)
    shutil.copytree(pristine, fixed, symlinks=True)
    src = fixed / pkg.src
    excl = [a for g in pkg.exclude for a in ("--extend-exclude", g)]
    if src.is_file():  # a single-module package (sqlitedict.py)
        excl = []
    report = racelint(["--format", "json", "--exit-zero", *excl, str(src)], fixed)
    result.findings = len(json.loads(report.stdout or "[]"))
    result.files = 1 if src.is_file() else sum(1 for p in src.rglob("*.py")
                                               if not any(p.match(g) for g in pkg.exclude))
    proc = racelint(["--fix", *MODE[1:], *excl, str(src)], fixed)
    result.fix_exit = proc.returncode
    m = re.search(r"\((\d+) fixed", proc.stdout)
    result.fixed = int(m.group(1)) if m else 0
    diff = subprocess.run(["diff", "-ru", str(pristine / pkg.src), str(src)], capture_output=True, text=True)
    (fixed.parent / f"fix{MODE[0]}.diff").write_text(diff.stdout)
    result.changed_files = (diff.stdout.count("\ndiff -ru ") + diff.stdout.startswith("diff -ru ")
                            if src.is_dir() else int(bool(diff.stdout)))
    unwritten = [line for line in (proc.stdout + proc.stderr).splitlines() if ": error: " in line]
    if proc.returncode == 2 and unwritten and all("fix not written" in line for line in unwritten):
        # a fix racelint refuses to write (CRL201 without the project's pool module): the others were written
        result.note = "; ".join(filter(None, [result.note, f"{len(unwritten)} fix(es) not written (racelint exit 2)"]))
    elif proc.returncode not in (0, 1):
        raise RuntimeError(f"racelint --fix exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


def is_timeout(message: str) -> bool:
    return "Timeout" in message and ("pytest-timeout" in message or message.startswith("Failed: Timeout"))


def measure(pkg: Package, workdir: Path, timeout: float, test_timeout: float) -> Result:
    """Before, fix, after, compare; re-run the new failures on both trees to separate flaky tests."""
    result = Result(pkg.name, pkg.version, note=pkg.note)
    start = time.monotonic()
    try:
        pristine = fetch(pkg, workdir)
        py = make_venv(pkg, workdir)
        fixed = workdir / pkg.name / f"fixed{MODE[0]}"
        apply_fix(pkg, pristine, fixed, result)
        if not result.changed_files:  # the fixed tree is the pristine one: its suite proves nothing
            result.note = "no file changed: suites not run" + (f"; {pkg.note}" if pkg.note else "")
            result.seconds = time.monotonic() - start
            return result
        result.before = run_suite(pkg, py, pristine, "before", timeout, test_timeout)
        result.after = run_suite(pkg, py, fixed, f"after{MODE[0]}", timeout, test_timeout)
        if not result.before.count("passed"):
            raise RuntimeError(f"no test passes before the fix: see {pristine.parent / 'pytest-before.log'}")
        for run, tree in ((result.before, pristine), (result.after, fixed)):
            if not run.imported_from.startswith(str(tree.resolve())):
                raise RuntimeError(f"{pkg.module} imported from {run.imported_from}, not {tree}")
        if result.after.timed_out and not result.before.timed_out:
            result.hangs.append(f"whole suite killed after {timeout:.0f} s")
        suspects = [t for t, o in result.before.outcomes.items()
                    if o == "passed" and result.after.outcomes.get(t, "missing") in ("failed", "error", "missing")
                    and not result.after.timed_out]
        if suspects:
            ids = [junit_to_nodeid(t, fixed) for t in suspects]
            again = run_suite(pkg, py, fixed, f"after{MODE[0]}-rerun", timeout, test_timeout, ids)
            still = run_suite(pkg, py, pristine, "before-rerun", timeout, test_timeout, ids)
            for t in suspects:
                if again.outcomes.get(t) == "passed" or still.outcomes.get(t) in ("failed", "error"):
                    result.flaky.append(t)
                elif is_timeout(result.after.messages.get(t, "")):
                    result.hangs.append(t)
                else:
                    result.new_failures.append(t)
    except Exception as exc:  # noqa: BLE001 - a package that cannot be measured is reported, not fatal
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
    result.seconds = time.monotonic() - start
    return result


def junit_to_nodeid(tid: str, tree: Path) -> str:
    """`tests.test_x.TestY::test_z[p]` -> `tests/test_x.py::TestY::test_z[p]`: the longest prefix that is a file."""
    classname, name = tid.replace(TREE, str(tree)).split("::", 1)
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        path = "/".join(parts[:i]) + ".py"
        if (tree / path).is_file():
            return "::".join([path, *parts[i:], name])
    return name


def table(results: list[Result]) -> str:
    """The Markdown table of the closing note."""
    rows = ["| package | version | files | findings | fixes applied | files changed | tests before "
            "(pass/fail/skip) | after | new failures | hangs | flaky (rerun) | time (s) | notes |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        before = r.before.summary() if r.before else "-"
        after = r.after.summary() if r.after else "-"
        note = r.note + (f" ERROR: {r.error.splitlines()[0]}" if r.error else "")
        rows.append(f"| {r.name} | {r.version} | {r.files} | {r.findings} | {r.fixed} | {r.changed_files} | "
                    f"{before} | {after} | {len(r.new_failures)} | {len(r.hangs)} | {len(r.flaky)} | "
                    f"{r.seconds:.0f} | {note} |")
    for r in results:
        for kind, ids in (("new failure", r.new_failures), ("hang", r.hangs), ("flaky", r.flaky)):
            rows.extend(f"\n- {r.name} {kind}: `{t}`" for t in ids)
    return "\n".join(rows)


def _from_json(row: dict) -> Result:
    """A Result back from results.json."""
    runs = {k: SuiteRun(**row[k]) if row.get(k) else None for k in ("before", "after")}
    note = PACKAGES[row["name"]].note if row["name"] in PACKAGES else row.get("note", "")
    return Result(**{**row, **runs, "note": note})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--packages", default=",".join(PACKAGES), help="comma-separated subset")
    parser.add_argument("--timeout", type=float, default=1200, help="whole-suite timeout (s)")
    parser.add_argument("--test-timeout", type=float, default=120, help="per-test timeout (s)")
    parser.add_argument("--racelint-repo", type=Path, default=REPO,
                        help="a checkout (e.g. `git archive` of an older commit) whose racelint to run")
    parser.add_argument("--safe", action="store_true",
                        help="apply safe fixes only (`--fix`): tree WORKDIR/NAME/fixed-safe, WORKDIR/results-safe.json")
    parser.add_argument("--report", action="store_true",
                        help="print the table of every package in WORKDIR/results.json and exit (no run)")
    args = parser.parse_args(argv)
    RACELINT[0] = args.racelint_repo.resolve()
    MODE[:] = ["-safe"] if args.safe else ["", "--unsafe-fixes"]
    names = [n.strip() for n in args.packages.split(",") if n.strip()]
    unknown = [n for n in names if n not in PACKAGES]
    if unknown:
        parser.error(f"unknown packages {unknown}; known: {', '.join(PACKAGES)}")
    workdir = args.workdir.resolve()
    if args.report:
        rows = json.loads((workdir / f"results{MODE[0]}.json").read_text())
        stored = [_from_json(row) for row in rows if row["name"] in PACKAGES]
        print(table(stored))
        return 1 if any(r.new_failures or r.hangs or r.error for r in stored) else 0
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        results.append(measure(PACKAGES[name], workdir, args.timeout, args.test_timeout))
        r = results[-1]
        print(f"   findings {r.findings}, fixed {r.fixed}, before {r.before and r.before.summary()}, "
              f"after {r.after and r.after.summary()}, new {r.new_failures}, hangs {r.hangs} {r.error[:500]}",
              file=sys.stderr, flush=True)
    # results.json keeps every package measured in this WORKDIR (runs of subsets add up)
    store = workdir / f"results{MODE[0]}.json"
    rows = {row["name"]: row for row in json.loads(store.read_text())} if store.exists() else {}
    rows.update({r.name: asdict(r) for r in results})
    store.write_text(json.dumps([rows[n] for n in PACKAGES if n in rows], indent=1))
    print(table(results))
    bad = [r for r in results if r.new_failures or r.hangs or r.error]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
