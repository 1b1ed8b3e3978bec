"""CRL304: a shared file loaded, changed and saved through a saving helper, with no lock across.

The site comes from `analysis/load_save.py` (CRL301 leaves the helper's write to this rule when
every call of the helper is such a span); the fix from `fixes/load_save.py`.
"""

from __future__ import annotations

import libcst as cst

from ...analysis.file_writes import FileAnalysis
from ...analysis.load_save import entry_flow, load_save_sites
from ...fixes.load_save import load_save_fix
from ...ftypes import Consequence, FixApplicability, GilExposure, Severity
from ...rule import Invalid, Rule, Valid, WindowNodes


class LoadModifySave(Rule):
    CODE = "CRL304"
    NAME = "load-modify-save-of-shared-file"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.shared_write  # the saving helper writes a shared file

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        """The writes' statements, with their callers' (the spans) and the helpers they call."""
        return facts.where("shared_write")

    CONSEQUENCE = Consequence(
        "lost update",
        Severity.HIGH,
        "two callers load the same content; the later save drops the entry the earlier added",
    )
    MESSAGE = (
        "`{function}()` loads shared file `{path}` ({loader}), changes it and saves it through `{saver}()` "
        "without one lock held from the load through the save: a concurrent caller's entry is lost"
    )
    #: the evidence of a second thread, appended to the message
    REACHED = "; {entry} reaches it"
    ASSUMED = "; two threads are assumed from the shared path (no thread entry of the project is seen reaching it)"
    EVIDENCE = ("open", "write_text", "write_bytes", "copy")  # the saving helper's write (CRL301's evidence)
    FIX = FixApplicability.SAFE
    WHAT = """
        Finds a function that loads a shared file into a local (a read of it: `open(p)`,
        `read_text`, `json.load(open(p))`, or a call of a helper of the same class or module
        that reads it: `entries = self._load()`), changes that local (`entries.append(x)`,
        `data[key] = value`) and then calls a helper that writes the same file with it
        (`self._save(entries)`), with no lock held across the span. The path rules are
        CRL301's (an attribute, a class attribute, a module global, or a local built from
        those; same path text, same class), and so are the exemptions: `async def` code,
        constructors for attribute paths, test code and a script's entry points, private
        modules no thread of the project reaches.

        The evidence of a second thread is CRL301's: a path shared across calls, in code that
        is not one-shot, not on an event loop and not in a module no thread reaches. Where a
        thread entry of the project (`docs/THREAD_ENTRIES.md`) reaches the function through
        calls the project index resolves, the message names that entry and the finding carries
        the path from it to the save (JSON `flow`, SARIF `codeFlows`, the `full` format), as
        CRL404's do; where none is seen (a library's callers, an object the index does not
        follow), the message says the second caller's thread is assumed. A file linted alone
        sees only its own thread entries.

        A lock the saving helper takes inside (`with self._lock:` around its write) does not
        count: it is released between the load and the save. When the read and the write
        are both in the function itself (no saving helper), the finding is CRL301's: its
        lock covers the span from the read.
    """
    WHY = """
        A history, favourites or install log kept as a JSON list: each caller loads the file
        into its own list, appends its entry and writes the list back. Two callers at once
        both load the old list; the one that saves last writes a list without the other's
        entry. Locking only the write (CRL301's fix for the helper) keeps the file whole but
        still loses the entry: the window is from the load to the save.
    """
    FREE_THREADING = """
        The window holds file I/O (the load, the dump), which releases the GIL on every build:
        the entry is lost under the GIL too. Free-threaded builds only make it more frequent.
    """
    FIX_SAFETY = """
        Safe: the statements from the load through the save go under one lock, the lock
        CRL301 would give the file (the instance lock `self._lock`, created in `__init__`, or
        a module lock named after the global path; an existing lock of that name is reused).
        One thread behaves as before. While the span holds the lock the saving helper is only
        called with it held, so CRL301 leaves the helper's write alone. No fix, and the
        finding says why, when the lock could be taken twice by one thread: the function is
        called with that (plain) lock held, or a helper in the span takes it itself (the
        saving helper locking its own write); the saving helper also has callers that do not
        load first, or is public (callers outside the module may not: its write then gets
        CRL301's own lock); or the span calls a callable its
        caller hands in (a parameter or a stored callback), which could come back. An `await`
        or `yield` in the span withholds the fix too.
    """
    KNOWN_PROBLEMS = """
        The load and the save must be in one block of one function and the saving helper
        must write the file itself (a helper of a helper is not followed); the saved value
        must be the loaded local (or an expression using it). An in-memory list kept on the
        object and saved whole (`self.entries.append(x); self._save()`) is not this rule's: a
        lock around the write (CRL301) already saves every entry. An instance lock does not
        keep two instances, or two processes, writing one file apart: `locked(path)` of the
        atomic-write helpers does, and is what the span takes when the file is also
        check-then-appended.
    """

    def visit_Call(self, node: cst.Call) -> None:
        analysis = FileAnalysis.of(self.context)
        for site in load_save_sites(analysis):
            if site.save_call is not node:
                continue
            assert site.write.path is not None
            fix, reason = load_save_fix(analysis, site)
            flow = entry_flow(analysis, site)  # a thread entry the project index sees reaching the function
            message = self.MESSAGE.format(
                function=site.function.name, path=site.write.path.key, loader=f"`{site.loader}`", saver=site.saver.name
            )
            evidence = self.REACHED.format(entry=flow[0].message) if flow else self.ASSUMED
            self.report(
                node,
                message + evidence,
                fix=fix,
                no_fix_reason=reason,
                window=WindowNodes(check=site.load_call, act=node, hold_call=node, exposure=GilExposure.GIL),
                flow=flow,
            )
            return

    VALID = [
        Valid(
            """
            import json
            import threading


            class History:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def _load(self):
                    with open(self.path) as f:
                        return json.load(f)

                def _save(self, entries):
                    with open(self.path, "w") as f:
                        json.dump(entries, f)

                def add(self, entry):
                    with self._lock:  # one lock from the load through the save
                        entries = self._load()
                        entries.append(entry)
                        self._save(entries)
            """
        ),
        Valid(
            """
            import json
            import threading


            class Exporter:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def _save(self, entries):
                    with self._lock:
                        with open(self.path, "w") as f:
                            json.dump(entries, f)

                def export(self, rows):
                    entries = [row.as_dict() for row in rows]  # not loaded from the file
                    entries.sort()
                    self._save(entries)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import json
            import os


            class Favourites:
                def __init__(self, path):
                    self.path = path

                def _load(self):
                    if not os.path.exists(self.path):
                        return []
                    with open(self.path) as f:
                        return json.load(f)

                def _save(self, entries):
                    with open(self.path, "w") as f:
                        json.dump(entries, f)

                def add(self, name):
                    entries = self._load()
                    entries.append(name)
                    self._save(entries)
            """,
            line=22,
            expected_fix="""
            import json
            import os
            import threading


            class Favourites:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def _load(self):
                    if not os.path.exists(self.path):
                        return []
                    with open(self.path) as f:
                        return json.load(f)

                def _save(self, entries):
                    with open(self.path, "w") as f:
                        json.dump(entries, f)

                def add(self, name):
                    with self._lock:
                        entries = self._load()
                        entries.append(name)
                        self._save(entries)
            """,
        ),
        Invalid(
            """
            import json
            from pathlib import Path

            HISTORY = Path.home() / ".cortex" / "history.json"


            def _save(history):
                HISTORY.write_text(json.dumps(history))


            def record(command):
                history = json.loads(HISTORY.read_text())
                history.append(command)
                _save(history[-100:])
            """,
            line=14,
            expected_fix="""
            import json
            import threading
            from pathlib import Path

            HISTORY = Path.home() / ".cortex" / "history.json"
            _history_lock = threading.Lock()


            def _save(history):
                HISTORY.write_text(json.dumps(history))


            def record(command):
                with _history_lock:
                    history = json.loads(HISTORY.read_text())
                    history.append(command)
                    _save(history[-100:])
            """,
        ),
        Invalid(
            """
            import json
            import threading


            class Favourites:
                def __init__(self, path):
                    self._lock = threading.Lock()
                    self.path = path

                def _load(self):
                    with self._lock:
                        with open(self.path) as f:
                            return json.load(f)

                def _save(self, entries):
                    with self._lock:  # released between the load and the save
                        with open(self.path, "w") as f:
                            json.dump(entries, f)

                def add(self, name):
                    entries = self._load()
                    entries.append(name)
                    self._save(entries)
            """,
            line=23,
        ),
    ]
