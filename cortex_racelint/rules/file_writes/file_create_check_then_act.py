"""CRL303: a shared file created after an existence check (check-then-create).

The site comes from `analysis/file_creates.py` (CRL301 leaves these writes to this rule);
the fix from `fixes/exclusive_create.py`.
"""

from __future__ import annotations

import libcst as cst

from ...analysis.file_creates import create_site, same_content
from ...analysis.file_write_sites import file_region, unlocked_write
from ...analysis.file_writes import FileAnalysis
from ...fixes.exclusive_create import exclusive_create_fix
from ...ftypes import Consequence, FixApplicability, GilExposure, Severity
from ...rule import Invalid, Rule, Valid, WindowNodes


class FileCreateCheckThenAct(Rule):
    CODE = "CRL303"
    NAME = "file-create-check-then-act"

    @classmethod
    def ast_candidate(cls, facts) -> bool:
        return facts.shared_write  # every create it reports is a CRL301 write first

    @classmethod
    def ast_statements(cls, facts) -> set[int]:
        return facts.where("shared_write")

    CONSEQUENCE = Consequence(
        "lost update",
        Severity.HIGH,
        "two first users both create the file; the later truncates what the earlier wrote and each keeps its own content",
    )
    SAME_CONTENT = Consequence(
        "torn read",
        Severity.MEDIUM,
        "every creator writes the same constant content; a reader can see the file empty between one creator's truncation and its write",
    )
    CONSEQUENCES = """
        Decided per site by what the creators write:
        - lost update, high: the content differs per caller (a generated key, a token, a value
          computed from the call): the later creator truncates the earlier's content and each
          caller keeps its own; the file holds only one;
        - torn read, medium: every creator writes the same literal or module constant
          (`p.write_text(DEFAULTS)`): nothing is lost, but a reader can find the file empty
          between one creator's truncation and its write.
    """
    MESSAGE = (
        "Shared file `{path}` is created after checking that it does not exist: two first callers can "
        "both create it, and the later truncates what the earlier wrote"
    )
    EVIDENCE = ("exists", "is_file", "isfile", "FileNotFoundError")
    FIX = FixApplicability.UNSAFE
    WHAT = """
        Finds the creation of a shared file guarded by a check that it does not exist yet:
        `if not p.exists(): <create p>`, `if p.exists(): <read p> else: <create p>`, and
        `if p.exists(): return <read p>` followed by the create (also `p.is_file()`,
        `os.path.exists(p)`, `os.path.isfile(p)`), and the EAFP spellings
        `try: <read p> except FileNotFoundError: <create p>` and
        `try: return <read p> except FileNotFoundError: pass` followed by the create. A create is a write that makes or
        truncates the file: `os.open(p, <flags with O_CREAT, without O_EXCL or O_APPEND>)`,
        `open(p, "w"/"wb")`, `p.open("w")`, `p.write_text(...)`, `p.write_bytes(...)`. A touch,
        `os.close(os.open(p, O_CREAT | O_WRONLY))` without `O_TRUNC`, is no write at all (for CRL301
        neither): it makes an empty file or leaves the existing one as it was.

        The path must be shared across calls and the write unlocked, exactly as for CRL301
        (same analysis: a parameter path, a path unique per call, a temp folder, test code,
        a script's entry point, `async def` code and writes under a lock are not reported).

        One finding per race: such a write is reported by this rule only; CRL301 reports the
        other writes of shared files. The check-then-create is the more specific diagnosis
        (its consequence is a lost first content, not a torn file), and its fix differs.
        Where CRL303 is not selected (`select = ["CRL301"]`, or ignored), CRL301 reports the
        write as before, so deselecting the specific rule never hides the race.
    """
    WHY = """
        Two first users both see no file, both create it: the later `O_TRUNC` (or `"w"`)
        truncates what the earlier wrote, and each caller keeps what it wrote itself. For a
        key file, the two callers encrypt with different keys and one of them is lost with
        everything it encrypted; for a default config, a reader sees it empty.
    """
    FREE_THREADING = """
        The window between the check and the write holds calls (the check, the key
        generation, the open), so it opens on every build; free-threaded builds make the
        overlap more frequent.
    """
    FIX_SAFETY = """
        Unsafe. The create becomes exclusive (`O_TRUNC` becomes `O_EXCL`, or `| os.O_EXCL`
        is added; mode `"w"` becomes `"x"`; `p.write_text(s)` becomes
        `with p.open("x") as f: f.write(s)`), in a `try` whose `except FileExistsError:`
        runs a copy of the branch the code takes when the file exists (the read), so a
        caller that loses the race ends with the winner's content. Statements after the
        create in its branch move to the `try`'s `else:` when the exists branch continues
        after the check. The check, the create and the write are also held under a lock, so
        the loser reads the winner's whole content, never an empty file between its create
        and its write: in a project that has the atomic-write helpers (`atomic-write-module`,
        default `cortex.utils.fileio`) the per-path `locked(path)` (a thread lock plus
        `flock`, which keeps other instances and other processes apart too: two CLI runs
        creating a key file), and every other write and read of that file in the class or
        module takes it as well (CRL301, CRL302); without the helpers, the lock CRL301 would
        take (instance, class or module lock). `locked(path)` keeps a `<path>.lock` file
        beside the target and creates the target's folder if it is missing.

        Single-threaded, the file never exists at the create (the check just said so), so
        the same writes happen. It differs only where the path exists without the check
        seeing it: a dangling symlink (`exists()` is False; `O_TRUNC` writes through the
        link, `O_EXCL` finds the link and runs the exists branch) and, for an `is_file()`
        check, a directory or other non-regular file at the path (`FileExistsError` and the
        exists branch instead of `IsADirectoryError`): hence unsafe. The EAFP spelling is
        recognised only with `except FileNotFoundError:` alone: a broader `OSError` handler
        also sends a permission error to the create, where the exclusive create would then
        take the other branch.

        No fix when the creating branch keeps something the file cannot give back (a local
        read after the check, or an attribute set after the create, that the exists branch
        does not set): a loser could not end as if it had found the file.
    """
    KNOWN_PROBLEMS = """
        Without the helpers, an instance lock keeps one object's threads apart; another
        instance or another process racing on the same path no longer truncates the
        winner's file (the create is exclusive) but may read it between the winner's create
        and its write. `locked(path)` is taken on every call of the function, the fast path
        that finds the file included (an `open` and two `flock` calls). A check
        combined with another condition (`if force or not p.exists():`), a check stored in a
        local first, or a create nested deeper than the check's branch is not recognised.
    """

    def visit_Call(self, node: cst.Call) -> None:
        analysis = FileAnalysis.of(self.context)
        op = analysis.by_call.get(id(node))
        if not unlocked_write(analysis, op):
            return
        assert op is not None and op.path is not None
        site = create_site(analysis, op)
        if site is None:
            return
        fix, reason = exclusive_create_fix(analysis, site)
        region = file_region(analysis, op)
        act = region.statements[-1] if region is not None else node
        self.report(
            node,
            self.MESSAGE.format(path=op.path.key),
            fix=fix,
            no_fix_reason=reason,
            window=WindowNodes(check=site.check, act=act, hold_call=node, exposure=GilExposure.GIL),
            consequence=self.SAME_CONTENT if same_content(analysis, site) else self.CONSEQUENCE,
        )

    VALID = [
        Valid(
            """
            import os


            class KeyStore:
                def __init__(self, path):
                    self.path = path

                def key(self):
                    try:
                        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                    except FileExistsError:
                        with open(self.path, "rb") as f:
                            return f.read()
                    key = os.urandom(32)
                    os.write(fd, key)
                    os.close(fd)
                    return key
            """
        ),
        Valid(
            """
            def ensure(path, text):
                # the caller chose the path
                if not path.exists():
                    path.write_text(text)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import os


            class KeyStore:
                def __init__(self, key_path):
                    self._key_path = key_path

                def get_key(self):
                    if self._key_path.exists():
                        return self._key_path.read_bytes()
                    key = os.urandom(32)
                    fd = os.open(self._key_path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
                    try:
                        os.write(fd, key)
                    finally:
                        os.close(fd)
                    return key
            """,
            line=12,
            unsafe=True,
            expected_fix="""
            import os

            from cortex.utils.fileio import locked


            class KeyStore:
                def __init__(self, key_path):
                    self._key_path = key_path

                def get_key(self):
                    with locked(self._key_path):
                        if self._key_path.exists():
                            return self._key_path.read_bytes()
                        key = os.urandom(32)
                        try:
                            fd = os.open(self._key_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                        except FileExistsError:
                            return self._key_path.read_bytes()
                        try:
                            os.write(fd, key)
                        finally:
                            os.close(fd)
                    return key
            """,
        ),
        Invalid(
            """
            DEFAULTS = "[core]\\n"


            class Config:
                def __init__(self, path):
                    self.path = path

                def load(self):
                    if not self.path.exists():
                        self.path.write_text(DEFAULTS)
                    return self.path.read_text()
            """,
            line=10,
            unsafe=True,
            expected_fix="""
            from cortex.utils.fileio import locked

            DEFAULTS = "[core]\\n"


            class Config:
                def __init__(self, path):
                    self.path = path

                def load(self):
                    with locked(self.path):
                        if not self.path.exists():
                            try:
                                with self.path.open("x") as f:
                                    f.write(DEFAULTS)
                            except FileExistsError:
                                pass
                    with locked(self.path):
                        return self.path.read_text()
            """,
        ),
        Invalid(
            """
            import os
            import secrets


            class Session:
                def __init__(self, path):
                    self.path = path

                def secret(self):
                    secret = None
                    if not os.path.exists(self.path):
                        secret = secrets.token_hex()
                        with open(self.path, "w") as f:
                            f.write(secret)
                    return secret or open(self.path).read()
            """,
            line=13,
            expected_fix=None,  # `secret` is kept after the check: a loser could not recover it
        ),
        Invalid(
            """
            import secrets


            class Tokens:
                def __init__(self, path):
                    self.path = path

                def token(self):
                    try:
                        with open(self.path) as f:
                            token = f.read()
                    except FileNotFoundError:
                        token = secrets.token_hex(16)
                        with open(self.path, "w") as f:
                            f.write(token)
                    return token
            """,
            line=14,
            unsafe=True,
            expected_fix="""
            import secrets

            from cortex.utils.fileio import locked


            class Tokens:
                def __init__(self, path):
                    self.path = path

                def token(self):
                    try:
                        with locked(self.path):
                            with open(self.path) as f:
                                token = f.read()
                    except FileNotFoundError:
                        token = secrets.token_hex(16)
                        with locked(self.path):
                            try:
                                with open(self.path, "x") as f:
                                    f.write(token)
                            except FileExistsError:
                                with open(self.path) as f:
                                    token = f.read()
                    return token
            """,
        ),
    ]
