"""Benchmark: does a one-fix `--fix` cost scale with the fix or with the file? (issue 14)

    python benchmarks/fix_cost.py [--sizes 10000,36000,72000] [--findings crl101,crl301,...]
                                  [--repeat 3] [--tree DIR [--tree DIR ...]]

For each size and finding kind, a module of ordinary code (imports, functions, classes, loops,
comprehensions, exceptions, decorators) holding one fixable finding (CRL401: one race, reported at
both its sides) is generated in a temporary folder (with an empty `pyproject.toml`, so no outer
configuration applies). One kind per rule with a fix (`--findings`, default all):

- `crl101`, `crl102`, `crl105`: a lazy module global, class-held instance, keyed cache (safe fix);
- `crl103`: double-checked locking without the re-check (safe); `crl104`: a per-call lock (unsafe);
- `crl201`: a per-call connection, in a project whose `sqlite-pool` is its own `dbpool.py` (unsafe);
- `crl202`: a `check_same_thread=False` connection used without a lock (unsafe);
- `crl301`: an unlocked write to a class-held path; the project has no atomic-write helper, so the
  fix is the lock form (safe), after which CRL302 looks for the file's readers;
- `crl302`: a read that skips the lock its writer takes (safe);
- `crl401`, `crl402`: a field a thread reads while another method writes it, a counter an executor
  task increments (unsafe).

Timed, each as a fresh `racelint` subprocess on a fresh copy of the module, median of `--repeat`:
`check --no-cache`, `check --fix --no-cache`, `check --fix --unsafe-fixes --no-cache`. Printed: the
wall times and the ratio fix / check per size by wall and by CPU time (target: <= 3x); a fix run
that fails (exit 2) is shown as failed, with racelint's message. Several `--tree`s (checkouts, e.g.
`git archive` of an older commit) are measured in turns within each repeat, for a before/after
table. Every run's result is checked: `check` reports the finding and offers the fix expected; a
fix that applies leaves a file that compiles, is otherwise the original plus the fix (`check` on
it reports nothing), and a fix that does not apply leaves the file untouched. A failed check exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, NamedTuple, Optional

ROOT = Path(__file__).resolve().parent.parent

_IMPORTS = '''"""Generated module: ordinary code around one racelint finding."""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import json
import logging
import os
import re
from pathlib import Path
from typing import Iterable, Optional

logger = logging.getLogger(__name__)
DEFAULTS = {"retries": 3, "timeout": 2.5, "name": "generated"}
_PATTERN = re.compile(r"[a-z]+_[0-9]+")
'''


def _function(n: int) -> str:
    return f'''

def summarise_{n}(values: Iterable[int], limit: int = {n % 17 + 3}) -> dict:
    """Count, total and the largest values of batch {n}."""
    counts = collections.Counter()
    total = 0
    for index, value in enumerate(values):
        if value < 0:
            continue
        if index > limit * 10:
            break
        counts[value % limit] += 1
        total += value
    largest = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return {{"total": total, "largest": largest, "batch": {n}}}
'''


def _class(n: int) -> str:
    return f'''

@dataclasses.dataclass
class Record{n}:
    """A row of table {n}."""

    name: str
    size: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def describe(self) -> str:
        label = ", ".join(sorted(self.tags)) or "untagged"
        return f"{{self.name}} ({{self.size}} bytes): {{label}}"

    def grow(self, amount: int) -> "Record{n}":
        if amount <= 0:
            raise ValueError("amount must be positive")
        return dataclasses.replace(self, size=self.size + amount)

    @property
    def is_large(self) -> bool:
        return self.size > {n * 7 % 1000 + 100}
'''


def _parser(n: int) -> str:
    return f'''

def parse_line_{n}(line: str) -> Optional[tuple]:
    """Split `key = value` lines; comments and blanks give None."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        key, value = stripped.split("=", 1)
    except ValueError:
        logger.warning("malformed line %r in section {n}", line)
        return None
    key = key.strip().lower()
    if _PATTERN.fullmatch(key) is None:
        key = key.replace("-", "_")
    return key, json.loads(value) if value.strip().startswith(("[", "{{")) else value.strip()
'''


def _service(n: int) -> str:
    return f'''

class Service{n}:
    """Keeps a local index of paths; one instance per caller."""

    def __init__(self, root: str = ".") -> None:
        self.root = Path(root)
        self.index: dict = {{}}
        self.hits = 0

    def lookup(self, name: str) -> Optional[Path]:
        found = self.index.get(name)
        if found is not None:
            self.hits += 1
        return found

    def rebuild(self, names: Iterable[str]) -> int:
        self.index = {{name: self.root / name for name in names if not name.startswith(".")}}
        return len(self.index)

    @staticmethod
    def pairs(items: list) -> list:
        return [(a, b) for a, b in itertools.combinations(items, 2) if a != b]
'''


def _helper(n: int) -> str:
    return f'''

@functools.wraps(print)
def report_{n}(*args, **kwargs):
    env = os.environ.get("GENERATED_{n}", "")
    while env.endswith("/"):
        env = env[:-1]
    options = {{**DEFAULTS, **kwargs}}
    if options["retries"] > {n % 5}:
        options["timeout"] = options["timeout"] * 2
    return [str(arg).upper() if env else str(arg) for arg in args], options
'''


_BLOCKS: tuple[Callable[[int], str], ...] = (_function, _class, _parser, _service, _helper)


class Finding(NamedTuple):
    """One finding kind: the code placed in the module, its extra imports, its fix, the project files it needs."""

    code: str
    snippet: str
    imports: str = ""
    applicability: Optional[str] = "safe"  # of the fix `check` offers: "safe", "unsafe" (None: no fix)
    project: dict[str, str] = {}
    count: int = 1  # findings `check` reports (a race is reported at both of its sides)


_POOL_PROJECT = {
    "pyproject.toml": '[tool.racelint]\nsqlite-pool = "dbpool:get_connection_pool"\n',
    "dbpool.py": "def get_connection_pool(path, pool_size=5):\n    raise NotImplementedError\n",
}

_FINDINGS: dict[str, Finding] = {
    # the only `global` in the module, tested and then created outside any lock
    "crl101": Finding("CRL101", """

_registry_instance = None


def get_registry():
    \"\"\"The process-wide registry, created on first use.\"\"\"
    global _registry_instance
    if _registry_instance is None:
        _registry_instance = Service0("/var/lib/generated")
    return _registry_instance
"""),
    # a class-held instance created on first use
    "crl102": Finding("CRL102", """

class Degradation:
    \"\"\"Fallback modes, one per process.\"\"\"

    _instance = None

    @classmethod
    def get_instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance
"""),
    # double-checked locking without the re-check under the lock
    "crl103": Finding("CRL103", """

_memory = None
_memory_lock = threading.Lock()


def get_memory():
    global _memory
    if _memory is None:
        with _memory_lock:
            _memory = Service1("/var/lib/memory")
    return _memory
""", imports="import threading\n"),
    # a lock created on every call
    "crl104": Finding("CRL104", """

_history = None


def get_history():
    global _history
    lock = threading.Lock()
    with lock:
        if _history is None:
            _history = Service2("/var/lib/history")
    return _history
""", imports="import threading\n", applicability="unsafe"),
    # a keyed cache filled outside any lock
    "crl105": Finding("CRL105", """

_caches: dict = {}


def get_cache(key):
    if key not in _caches:
        _caches[key] = Service3(key)
    return _caches[key]
"""),
    # a connection per call; the project has a pool factory (`dbpool.py`)
    "crl201": Finding("CRL201", """

class History:
    def __init__(self, db_path):
        self.db_path = db_path

    def count(self):
        conn = sqlite3.connect(self.db_path)
        total = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
        conn.close()
        return total
""", imports="import sqlite3\n", applicability="unsafe", project=_POOL_PROJECT),
    # a connection shared across threads, used without a lock
    "crl202": Finding("CRL202", """

class Store:
    def __init__(self, path):
        self._conn = sqlite3.connect(path, check_same_thread=False)

    def put(self, key, value):
        self._conn.execute("INSERT INTO kv VALUES (?, ?)", (key, value))
        self._conn.commit()
""", imports="import sqlite3\n", applicability="unsafe"),
    # the only write-mode open, to a path every instance shares; the project has no atomic-write
    # helper, so the fix is the lock form (safe), after which CRL302 looks for unlocked readers
    "crl301": Finding("CRL301", """

class Journal:
    \"\"\"All instances append to one journal file.\"\"\"

    journal_file = Path("/var/lib/generated/journal.json")

    @classmethod
    def save(cls, entries):
        with cls.journal_file.open("w") as handle:
            json.dump(entries, handle)
"""),
    # a read that skips the lock its writer takes
    "crl302": Finding("CRL302", """

class Settings:
    \"\"\"Saved under a lock; loaded without it.\"\"\"

    def __init__(self, path):
        self._lock = threading.Lock()
        self.path = path

    def save(self, data):
        with self._lock:
            with open(self.path, "w") as handle:
                json.dump(data, handle)

    def load(self):
        with open(self.path) as handle:
            return json.load(handle)
""", imports="import threading\n"),
    # a field a worker thread reads in its loop condition while `stop` writes it
    "crl401": Finding("CRL401", """

class Poller:
    def __init__(self):
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while self._running:
            time.sleep(0.1)

    def stop(self):
        self._running = False
""", imports="import threading\nimport time\n", applicability="unsafe", count=2),
    # a counter incremented on the executor's threads
    "crl402": Finding("CRL402", """

class Downloads:
    def __init__(self, fetch):
        self._fetch = fetch
        self.done = 0

    def run(self, urls):
        with ThreadPoolExecutor() as pool:
            for url in urls:
                pool.submit(self._one, url)

    def _one(self, url):
        self._fetch(url)
        self.done += 1
""", imports="from concurrent.futures import ThreadPoolExecutor\n", applicability="unsafe"),
}


def generate(lines: int, finding: str) -> str:
    """About `lines` lines of varied code with the finding in the middle (its imports at the top)."""
    kind = _FINDINGS[finding]
    head = _IMPORTS.replace("import re\n", "import re\n" + kind.imports, 1)
    parts = [head]
    count = len(head.splitlines())
    n = 0
    placed = False
    while count < lines:
        if not placed and count >= lines // 2:
            parts.append(kind.snippet)
            count += len(kind.snippet.splitlines())
            placed = True
        block = _BLOCKS[n % len(_BLOCKS)](n)
        parts.append(block)
        count += len(block.splitlines())
        n += 1
    if not placed:
        parts.append(kind.snippet)
    return "".join(parts)


class RunFailed(Exception):
    """racelint crashed or reported an error (exit 2), e.g. an older tree that cannot fix a large module."""


def racelint(tree: Path, folder: Path, *arguments: str) -> tuple[tuple[float, float], subprocess.CompletedProcess]:
    """((wall seconds, CPU seconds of the process tree), the run); CPU time is steadier on a busy machine."""
    command = [sys.executable, "-m", "cortex_racelint", "check", "--no-cache", "--format", "json", *arguments, "module.py"]
    env = dict(os.environ, PYTHONPATH=str(tree))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0, 1) or b"Traceback" in result.stderr:
        messages = [finding["message"] for finding in json.loads(result.stdout or b"[]") if finding["code"] is None]
        raise RunFailed(f"exit {result.returncode}: {'; '.join(messages) or result.stderr.decode(errors='replace')[-300:]}")
    return (elapsed, cpu), result


def codes(result: subprocess.CompletedProcess) -> list[str]:
    return [finding["code"] for finding in json.loads(result.stdout or b"[]")]


def check_fixed(tree: Path, folder: Path, original: str, code: str, applies: bool) -> None:
    """The fix did its job and nothing else: compiles, finding gone; or the file is untouched."""
    fixed = (folder / "module.py").read_text()
    if not applies:
        if fixed != original:
            raise SystemExit(f"{code}: a fix that should not apply changed the file")
        return
    compile(fixed, "module.py", "exec", dont_inherit=True)
    remaining = codes(racelint(tree, folder)[1])
    if remaining:
        raise SystemExit(f"{code}: after the fix, check still reports {remaining}")
    if fixed == original or len(fixed.splitlines()) - len(original.splitlines()) > 20:
        raise SystemExit(f"{code}: the fix changed nothing, or far more than the finding")


_MODES = {"check": (), "fix": ("--fix",), "fix-unsafe": ("--fix", "--unsafe-fixes")}


def _offered(result: subprocess.CompletedProcess) -> Optional[str]:
    """The applicability of the (first) finding's fix, as `check` offers it (None: no fix)."""
    fix = json.loads(result.stdout or b"[]")[0]["fix"]
    return fix["applicability"] if fix else None


def measure(
    trees: list[Path], scratch: Path, source: str, kind: Finding, repeat: int
) -> dict[Path, dict[str, "tuple[float, float] | str"]]:
    """Per tree and mode (check, fix, fix --unsafe-fixes): median (wall, CPU) seconds, each run on
    a fresh copy, or why it failed. The trees take turns within each repeat, so a busy spell
    hits them alike."""
    folder = scratch / "run"
    samples: dict[tuple[Path, str], list[tuple[float, float]]] = {(tree, mode): [] for tree in trees for mode in _MODES}
    failed: dict[tuple[Path, str], str] = {}
    for _ in range(repeat):
        for tree in trees:
            for mode, arguments in _MODES.items():
                if (tree, mode) in failed:
                    continue
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                (folder / "pyproject.toml").write_text("")
                for name, text in kind.project.items():
                    (folder / name).write_text(text)
                (folder / "module.py").write_text(source)
                try:
                    times, result = racelint(tree, folder, *arguments)
                except RunFailed as error:
                    if mode == "check":
                        raise SystemExit(f"check failed: {error}") from None
                    failed[(tree, mode)] = f"failed ({error})"
                    continue
                samples[(tree, mode)].append(times)
                if mode == "check":
                    if codes(result) != [kind.code] * kind.count:
                        raise SystemExit(f"expected {kind.count} {kind.code}, check reported {codes(result)}")
                    if _offered(result) != kind.applicability:
                        raise SystemExit(f"{kind.code}: expected a {kind.applicability} fix, check offers {_offered(result)}")
                else:
                    applies = kind.applicability == "safe" or (kind.applicability == "unsafe" and mode == "fix-unsafe")
                    check_fixed(tree, folder, source, kind.code, applies)
    medians: dict[Path, dict[str, "tuple[float, float] | str"]] = {}
    for tree in trees:
        medians[tree] = {}
        for mode in _MODES:
            values = samples[(tree, mode)]
            medians[tree][mode] = failed.get((tree, mode)) or (
                statistics.median(v[0] for v in values),
                statistics.median(v[1] for v in values),
            )
    return medians


def _cells(times: "tuple[float, float] | str", check: "tuple[float, float]") -> str:
    if isinstance(times, str):
        return f"{times} | -"
    return f"{times[0]:.2f} | {times[0] / check[0]:.1f}x ({times[1] / check[1]:.1f}x)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,36000,72000", help="module sizes in lines, comma-separated")
    parser.add_argument("--findings", default=",".join(_FINDINGS), help="which finding each module holds")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tree", type=Path, action="append", help="checkout whose cortex_racelint runs (repeat it for a before/after table)"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    findings = args.findings.split(",")
    trees = [tree.resolve() for tree in (args.tree or [ROOT])]
    unknown = [finding for finding in findings if finding not in _FINDINGS]
    if unknown:
        parser.error(f"unknown findings {unknown}; known: {', '.join(_FINDINGS)}")
    for number, tree in enumerate(trees, start=1):
        print(f"tree {number}: racelint from {tree}")
    print(
        f"medians of {args.repeat}, wall seconds; fix/check: the fix run against `check` of the same tree, "
        "by wall time (by CPU time, user+sys of the process tree)"
    )
    print()
    print("| finding | lines | tree | check (CPU) | --fix | fix/check | --fix --unsafe-fixes | unsafe/check |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for finding in findings:
            kind = _FINDINGS[finding]
            for size in sizes:
                source = generate(size, finding)
                results = measure(trees, Path(scratch), source, kind, args.repeat)
                for number, tree in enumerate(trees, start=1):
                    times = results[tree]
                    check = times["check"]
                    assert not isinstance(check, str)
                    print(
                        f"| {kind.code} | {len(source.splitlines())} | {number} | {check[0]:.2f} ({check[1]:.2f}) "
                        f"| {_cells(times['fix'], check)} | {_cells(times['fix-unsafe'], check)} |",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
