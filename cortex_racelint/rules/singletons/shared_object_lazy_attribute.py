"""CRL108: instance-level lazy initialisation on a process-wide shared object that several threads run."""

from __future__ import annotations

import libcst as cst

from ...analysis.shared_objects import LAZY, shared_object_sites
from ...ftypes import Consequence, Severity
from ...rule import Invalid, Rule, Valid
from ..shared_state.shared_object_update import PROJECT_KNOWN_PROBLEMS

NO_FIX = (
    "a double-checked fix would run `{init}` under the object's lock, and racelint cannot prove it "
    "never calls back into this object (taking that lock again) nor waits for a thread that needs "
    "it: guard it by hand (an `RLock`, or create it in `__init__`)"
)


class SharedObjectLazyAttribute(Rule):
    CODE = "CRL108"
    NAME = "shared-object-lazy-attribute"
    PROJECT = True
    FIX = None
    CONSEQUENCE = Consequence(
        "duplicate object", Severity.MEDIUM, "two threads both create the attribute and one keeps a copy the object forgets"
    )
    MESSAGE = "Lazy initialisation of an attribute of a process-wide shared object that several threads run, without a lock"
    WHAT = """
        Finds `if self._x is None: self._x = make()` (also `if not self._x:`) with no lock held,
        in a method of an object the whole process shares (a module global instance, a
        singleton accessor) when thread entries anywhere in the project reach that method.
        The finding carries the path from the thread entry to the check (JSON `flow`, SARIF
        `codeFlows`, the `full` format).
    """
    WHY = """
        Two threads both see `None` and both create the value: a cipher, a client or a
        connection is built twice, one thread uses the copy the object then forgets, and
        anything the loser's copy holds (a key it generated, a session) is lost.
    """
    FREE_THREADING = """
        Under the GIL the window holds the initialiser call, so a thread switch can already
        split it; on free-threaded builds both threads run the check at the same moment.
    """
    FIX_SAFETY = """
        No fix. The double-checked form would run the initialiser under the object's lock,
        and the initialiser is arbitrary code that may call back into the object (taking the
        lock again) or wait for a thread that needs it; the finding says so.
    """
    KNOWN_PROBLEMS = PROJECT_KNOWN_PROBLEMS
    VALID = [
        Valid(
            """
            import threading

            class Vault:
                def __init__(self):
                    self._lock = threading.Lock()
                    self._cipher = None

                def cipher(self):
                    with self._lock:
                        if self._cipher is None:
                            self._cipher = object()
                        return self._cipher

            VAULT = Vault()

            def worker():
                VAULT.cipher()

            def start():
                for _ in range(4):
                    threading.Thread(target=worker).start()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import threading

            class Vault:
                def __init__(self):
                    self._cipher = None

                def cipher(self):
                    if self._cipher is None:
                        self._cipher = object()
                    return self._cipher

            VAULT = Vault()

            def worker():
                VAULT.cipher()

            def start():
                for _ in range(4):
                    threading.Thread(target=worker).start()
            """,
            line=8,
        ),
    ]

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return True  # runs only with project facts, on the files they name

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for site in shared_object_sites(self.context, node):
            if site.kind != LAZY:
                continue
            entry = site.flow[0].message if site.flow else "a thread entry"
            message = (
                f"`self.{site.attr}` is created lazily without a lock in `{node.name.value}.{site.method.name.value}()`, "
                f"which several threads run on the object shared as {site.shared} (from {entry})"
            )
            init = _initialiser(self.context.module, site.node, site.attr)
            self.report(site.node, message, no_fix_reason=NO_FIX.format(init=init), flow=site.flow, shared=site.object)


def _initialiser(module: cst.Module, check: cst.CSTNode, attr: str) -> str:
    """The source of the value the `if` stores (for the reason), else the attribute's name."""
    body = getattr(check, "body", None)
    for line in getattr(body, "body", ()):
        for small in getattr(line, "body", ()):
            if isinstance(small, cst.Assign):
                text = module.code_for_node(small.value)
                return text if len(text) <= 40 else text[:37] + "..."
    return f"self.{attr}"
