"""CRL301: a write to a file shared across calls, made outside any lock.

The visitor reports the write; `fixes/shared_write_fix.write_fix` picks the fix form
`file-write-fix` asks for (atomic helpers, a lock around the region, or both) and builds it.
"""

from __future__ import annotations

import libcst as cst

from ...analysis.file_creates import create_site
from ...analysis.file_write_sites import file_region, unlocked_write
from ...analysis.file_writes import FileAnalysis, FileOp
from ...analysis.load_save import loads_first, saver_covered
from ...fixes.shared_write_fix import write_fix
from ...ftypes import Consequence, FixApplicability, GilExposure, Severity
from ...rule import Invalid, Rule, Valid, WindowNodes


LOADED = "; it loads the file first, so a concurrent caller's change is lost"


def _describe(op: FileOp) -> str:
    if op.verb == "copy":
        return "shutil copy onto it"
    if op.verb == "os_open":
        return "os.open(..., <write flags>)"
    if op.verb in ("open", "path_open"):
        prefix = "open" if op.verb == "open" else ".open"
        return f'{prefix}(..., "{op.mode}")'
    return f".{op.verb}()"


class UnlockedSharedFileWrite(Rule):
    CODE = "CRL301"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.shared_write

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The writes' statements, with their callers' and the helpers they call (see `AstFacts`)."""
        return facts.where("shared_write")

    NAME = "unlocked-shared-file-write"
    CONSEQUENCE = Consequence("torn or lost file", Severity.HIGH, "two writers interleave or truncate each other's output")
    LOST_ENTRY = Consequence("lost update", Severity.HIGH, "two callers load the same content; the later save drops the other's change")
    CONSEQUENCES = "Lost update, high, when the function loads the file before the write (load-modify-save)."
    MESSAGE = (
        "Write to shared file `{path}` (`{how}`) is not under a lock: "
        "concurrent writers interleave and readers can see it half-written"
    )
    EVIDENCE = ("open", "write_text", "write_bytes", "copy")  # `open (p, "w")` is legal
    FIX = FixApplicability.UNSAFE
    WHAT = """
        Finds writes to a file whose path is shared across calls, made outside any lock:
        write-mode `open(...)`/`io.open(...)` (`"w"`, `"a"`, `"x"`, `"+"`, binary forms,
        positional or `mode=`), `<path>.open("w")`, `<path>.write_text(...)` and
        `<path>.write_bytes(...)`, `shutil.copyfile/copy/copy2(src, <path>)` and
        `os.open(<path>, <flags with O_WRONLY/O_APPEND/O_TRUNC/O_CREAT>)` (through the
        last use of the descriptor). Dumps into the opened file (`json.dump`, `yaml.dump`,
        `yaml.safe_dump`, `pickle.dump`, `f.write`) belong to that `open`, which is reported
        once per write site. A path is shared when it derives from `self.<attr>`,
        `cls.<attr>`, `ClassName.<attr>`, a module global, or a local assigned only from
        those (`path = self.cache_dir / "x.json"`); for a built path the folder decides:
        `self.cache_dir / key` is shared, `destination / CONFIG_NAME` is the caller's.

        Not reported: read modes; writes under a lock (`with lock:`, `acquire()`/`finally:
        release()`, the helper module's `locked(path)`, or a private helper every one of
        whose calls in the module holds a lock, itself or through its calling helper, and that
        the module uses no other way: no thread target, callback or stored reference, no call
        from module level or a nested def or lambda, no decorator but `classmethod` /
        `staticmethod`; the caller-held-lock analysis the lazy-init rules use, with any lock,
        an instance's too); a path that is a parameter of the function
        (the caller owns it: `export(destination)`); fresh `tempfile` paths, and names made
        unique per call (a `uuid`, `secrets`/`random` value, the time, the pid, `next(counter)`;
        also through a local every assignment of which is one: `fname = f"{os.getpid()}_{time.time()}"`);
        `self.<attr>` paths the class only ever sets to a fresh temp folder
        (`self.tmp = tempfile.mkdtemp()`: the object's own); writes in `__init__` to the
        object's own attribute paths, and in a private method only the constructors and
        `__setstate__` of its class call, directly (fsspec's `MMapCache._makefile()`: the
        object is not shared yet); `if __name__ == "__main__":` code, module-level code
        and `async def` bodies; and `x.write_text(...)`/`write_bytes` calls pathlib would
        reject (more arguments than its signature, another keyword, a `**` splat: fsspec's
        `self.fs.write_text(path, value, **kwargs)` is a file system's method, not a path's).

        Not reported either, because one short-lived caller runs it rather than the threads of
        a service (`analysis/one_shot.py`): test code (a `test_*.py`/`*_test.py`/`conftest.py`
        file or one under a `tests/`, `test/` or `testing/` folder of a relative path, `test*`
        methods and `setUp`/`tearDown`-style hooks of a `TestCase` or `Test*` class, `test_*`
        functions) and entry points (the module functions called under
        `if __name__ == "__main__":`, anything in `__main__.py`, functions decorated as a
        `command`/`group`/`main`, `handle()` of a `BaseCommand`, a function that parses
        `sys.argv`), and the set-up and command methods of an application or command class
        (a base named `*Application`/`*App`/`*Command`: `initialize`, `start`, `init_*`,
        `run`, `handle`, `take_action`..., and the methods only those call). A helper they
        call is still reported when anything else in the project names it: in a project run,
        a function or method whose every mention in the non-test files is a direct call from
        such code (one at least in another module), its `def` or an import is not reported
        (IPython's `ProfileDir.copy_config_file`, called only from the application's
        `init_config_files`). Callers outside the checked files (a library's users) are not
        seen.

        Nor: one line appended per append-mode open (`with open(p, "a") as f: f.write(line)`,
        or `print(line, file=f)`): the kernel places each `O_APPEND` write at the end and keeps
        it whole on a local file system, and the buffered line is one write at close (a single
        `f.write` of any size: measured whole with 8 threads and 30 000-character lines; a
        `print` value longer than the 8 KiB buffer can part from its newline, a trade-off
        taken for log lines); a private helper only `async def` code calls (one event-loop
        thread); and `self.<attr>` set from a parameter earlier in the writing method on every
        path (`self.out = out`): the caller names that file, as with a parameter; and a
        `shutil.copy` of a fixed file (its source names no parameter, `self` or local built
        from one: a file bundled with the package) — every writer copies the same bytes to the
        same offsets, so concurrent copies converge (a reader can still see one half done).

        A private saving helper every in-module call of which loads the file, changes the copy and
        passes it in (`e = self._load(); e.append(x); self._save(e)`) is CRL304's finding (a
        lock on the write alone still loses an entry), or CRL301's when CRL304 is not selected.
    """
    WHY = """
        `open(p, "w")` truncates the file first and writes it later: a reader in another
        thread or process sees an empty or half-written file (measured with two writers and
        a reader on a GIL build: 1,112 torn reads in 1,500), two writers interleave into a
        corrupt file, and a read-modify-write (load, change, save) loses the other writer's
        change. A check-then-append (`if MARKER not in rc: append`) run twice appends twice.
    """
    FREE_THREADING = """
        The window holds calls (`write`, `json.dump`, the OS write), so it opens on every
        build: file I/O releases the GIL. Free-threaded builds run the writers truly in
        parallel and make the overlap more frequent, not possible for the first time.
    """
    FIX_SAFETY = """
        Chosen by `file-write-fix`. Left unset it is `"lock+atomic"` in a project that has
        the atomic-write helpers (`atomic-write-module`, default `cortex.utils.fileio`, found
        under the project root, flat or `src/` layout) and `"lock"` in one that does not:
        no fix imports a module the project lacks.

        * `lock` (safe): the write statement (the whole `with open(...)` block, or the
          `write_text` statement; through the last use of an `f = open(...)` object; through
          the `os.replace` that publishes a shared temp path) is wrapped in an instance lock
          for methods (`self._lock`, created first in `__init__`, after a singleton's
          `if initialised: return` guard; an existing lock is reused), a class lock for
          `cls.<attr>` paths, a module lock named after the global for functions
          (`_cache_file_lock`). When the function first reads or checks the same file
          (read-modify-write), the lock covers everything from that read through the write;
          a `with <same lock>:` already inside that span is merged into the new one (a
          second acquire of a plain `Lock` would deadlock). CRL302 then wraps the unlocked
          reads in the same lock.
        * `atomic` (unsafe): `with open(p, "w") as f:` becomes `with atomic_write(p, "w") as f:`,
          `p.write_text(s)` becomes `atomic_write_text(p, s)`, `write_bytes` becomes
          `atomic_write_bytes`, imported from `atomic-write-module` (default
          `cortex.utils.fileio`): a temp file in the same folder, fsync, `os.replace`,
          permissions kept. Appends, `+` modes, copies, `os.open` descriptors, file objects not scoped by a `with`, a
          `write_text` whose result is used and a file whose `f.name` the function reads
          (in the atomic form `f` is the temp file) have no atomic form and get the lock form.
          A target that is not a regular file (`os.devnull`, a FIFO, a device) is written
          through by the helper, never replaced; a symlink is written through to its target,
          keeping the link.
        * `lock+atomic` (unsafe): both, so writers do not lose each other's updates and
          readers (which need no lock then) never see a partial file.

        A hand-written atomic save (write a temp path, then `os.replace(tmp, target)`, the
        temp spelt as a local or the same expression twice) already publishes atomically: the
        lock covers the write *and* the `os.replace`, so no writer truncates a temp file
        another is about to publish. When the temp path does not derive from the target
        (`os.path.join(self.folder, "save.tmp")` published at `os.path.join(self.folder,
        self.name)`), every writer of the folder shares it, whatever its target: the lock is
        a module lock (an instance lock would not keep two instances apart), and the atomic
        styles write `with atomic_write(target, ...)` instead and drop the `os.replace` and
        the temp path's local when nothing else reads it (a unique temp file per write; the
        target's permissions are kept where the original gave it the temp file's).

        The atomic form is unsafe because replacing the file is observable: the file gets
        a new inode (hard links break, open descriptors keep the old content), an owner
        other than the writer is kept only when running as root, and `atomic_write_text`
        defaults to UTF-8 where `write_text` uses the locale encoding. Where it cannot
        replace, it writes in place as `open()` does (not atomic then): a target that is not
        a regular file, and an existing file whose folder refuses a new (temp) file.

        The check-then-append shape (read a file, `if MARKER not in content:` append to it)
        gets the lock form in every style, with the helper module's `locked(path)`: a
        per-path thread lock plus `flock`, so two threads *or processes* installing at once
        append once. It covers the read, the check and the append; every other write (and,
        through CRL302, read) of that file in the class or module takes the same `locked`.
        It is reentrant, so a locked method may call a locked helper.

        The atomic form and `locked(path)` need the helper module. Where the project does not
        have it, a write that would get either has no fix, and the finding says which module
        is missing and how to add it (`racelint scaffold fileio PACKAGE_DIR`, then
        `atomic-write-module`); `--fix` asked for such a fix exits 2 and writes none of it.
        The lock form needs only `threading`.
    """
    KNOWN_PROBLEMS = """
        An instance lock serialises one object's writers; two instances writing the same
        path (or other processes) are not excluded by it: the atomic form still keeps their
        readers from torn files. Paths built inline from literals (`Path.home() / ".x"`),
        imported constants and other modules' attributes are not recognised as shared.
        `np.save`, `df.to_csv` and long-lived file objects (`self._log =
        open(...)`, a returned `open(...)`) are not analysed. A lock is not added when the
        function is already called with that (non-reentrant) lock held: that would
        deadlock. `locked(path)` keeps a `<path>.lock` file beside the target for `flock`,
        so the target's folder must exist when the lock is taken.
    """

    def visit_Call(self, node: cst.Call) -> None:
        analysis = FileAnalysis.of(self.context)
        op = analysis.by_call.get(id(node))
        if not unlocked_write(analysis, op):
            return
        assert op is not None and op.path is not None
        codes = self.context.codes
        if (codes is None or "CRL303" in codes) and create_site(analysis, op) is not None:
            return  # a check-then-create: CRL303's finding (one finding per race), when it runs
        if (codes is None or "CRL304" in codes) and saver_covered(analysis, op):
            return  # a saving helper only load-modify-save spans call: CRL304's finding, whose lock covers it
        fix, reason = write_fix(analysis, op)
        region = file_region(analysis, op)
        lost = loads_first(analysis, op, region)  # a load-modify-save: say the entry is lost
        act = region.statements[-1] if region is not None else node
        message = self.MESSAGE.format(path=op.path.key, how=_describe(op)) + (LOADED if lost else "")
        window = WindowNodes(check=node, act=act, hold_call=node, exposure=GilExposure.GIL)
        consequence = self.LOST_ENTRY if lost else None
        self.report(node, message, fix=fix, no_fix_reason=reason, window=window, consequence=consequence)

    VALID = [
        Valid(
            """
            import json
            import threading


            class Cache:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def save(self, data):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(data, f)

                def load(self):
                    with open(self.path) as f:  # a read: CRL302's business
                        return json.load(f)
            """
        ),
        Valid(
            """
            import tempfile


            class Exporter:
                def export(self, destination, text):
                    # the caller chose the path: the caller's responsibility
                    with open(destination, "w") as f:
                        f.write(text)

                def scratch(self, text):
                    path = tempfile.mktemp(dir=self.folder)  # fresh per call
                    with open(path, "w") as f:
                        f.write(text)
            """
        ),
        Valid(
            """
            from cortex.utils.fileio import atomic_write_text, locked

            STATE = "state.txt"

            def save(text):
                with locked(STATE):
                    with open(STATE, "a") as f:
                        f.write(text)

            def replace(text):
                atomic_write_text(STATE, text)

            if __name__ == "__main__":
                with open(STATE, "w") as f:
                    f.write("")
            """
        ),
        Valid(
            """
            import threading


            class Store:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def update(self, text):
                    with self._lock:
                        self._write(text)

                def _write(self, text):  # every caller holds self._lock
                    self.path.write_text(text)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json


            class HardwareDetector:
                def __init__(self, cache_file):
                    self.cache_file = cache_file

                def _save_cache(self, data):
                    # persist for the next run
                    with open(self.cache_file, "w") as f:
                        json.dump(data, f, indent=2)
            """,
            line=10,
            unsafe=True,
            expected_fix="""
            import json
            import threading

            from cortex.utils.fileio import atomic_write


            class HardwareDetector:
                def __init__(self, cache_file):
                    self._lock = threading.Lock()
                    self.cache_file = cache_file

                def _save_cache(self, data):
                    # persist for the next run
                    with self._lock:
                        with atomic_write(self.cache_file, "w") as f:
                            json.dump(data, f, indent=2)
            """,
        ),
        Invalid(
            """
            from pathlib import Path

            STATE_FILE = Path.home() / ".cortex" / "state.txt"


            def remember(text):
                STATE_FILE.write_text(text, encoding="utf-8")
            """,
            line=7,
            unsafe=True,
            expected_fix="""
            import threading
            from pathlib import Path

            from cortex.utils.fileio import atomic_write_text

            STATE_FILE = Path.home() / ".cortex" / "state.txt"
            _state_file_lock = threading.Lock()


            def remember(text):
                with _state_file_lock:
                    atomic_write_text(STATE_FILE, text, encoding="utf-8")
            """,
        ),
        Invalid(
            """
            import os


            class Store:
                def __init__(self, folder, name):
                    self.folder = folder
                    self.name = name

                def save(self, text):
                    tmp = os.path.join(self.folder, "save.tmp")
                    with open(tmp, "w") as f:
                        f.write(text)
                    os.replace(tmp, os.path.join(self.folder, self.name))
            """,
            line=11,
            unsafe=True,
            expected_fix="""
            import os
            import threading

            from cortex.utils.fileio import atomic_write

            _folder_lock = threading.Lock()


            class Store:
                def __init__(self, folder, name):
                    self.folder = folder
                    self.name = name

                def save(self, text):
                    with _folder_lock:
                        with atomic_write(os.path.join(self.folder, self.name), "w") as f:
                            f.write(text)
            """,
        ),
        Invalid(
            """
            MARKER = "# >>> cortex >>>"


            class ShellInstaller:
                def __init__(self, rc_path):
                    self.rc_path = rc_path

                def install(self):
                    content = self.rc_path.read_text()
                    if MARKER not in content:
                        with open(self.rc_path, "a") as f:
                            f.write(MARKER + "\\n")
                        return True
                    return False
            """,
            line=11,
            expected_fix="""
            from cortex.utils.fileio import locked

            MARKER = "# >>> cortex >>>"


            class ShellInstaller:
                def __init__(self, rc_path):
                    self.rc_path = rc_path

                def install(self):
                    with locked(self.rc_path):
                        content = self.rc_path.read_text()
                        if MARKER not in content:
                            with open(self.rc_path, "a") as f:
                                f.write(MARKER + "\\n")
                            return True
                    return False
            """,
        ),
    ]
