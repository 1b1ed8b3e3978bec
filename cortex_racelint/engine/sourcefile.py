"""Read source bytes and write fixed files back without losing anything.

LibCST keeps encoding cookies, BOMs and CRLF newlines when it is given bytes, but it
does not round-trip old-Mac `\\r`-only files, so those are normalised to `\\n` for
parsing and restored on output. Writes go to a temp file in the target's folder and
are swapped in with `os.replace`, so an interrupted run leaves the old or the new file,
never half of one; the mode bits are kept and a file that changed on disk since it was
read is not overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from dataclasses import dataclass
from typing import Iterator


class WriteRefused(Exception):
    """The fixed file was not written (changed on disk, symlink, permissions...)."""


@dataclass(frozen=True)
class NewlineStyle:
    cr_only: bool

    @classmethod
    def detect(cls, raw: bytes) -> "NewlineStyle":
        return cls(cr_only=b"\r" in raw and b"\n" not in raw)

    def to_parser(self, raw: bytes) -> bytes:
        return raw.replace(b"\r", b"\n") if self.cr_only else raw

    def from_parser(self, data: bytes) -> bytes:
        return data.replace(b"\n", b"\r") if self.cr_only else data


def read_bytes(path: str) -> bytes:
    """The file's bytes; a FIFO or device named `*.py` is refused, not waited on forever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        return handle.read()


def atomic_replace(path: str, data: bytes, expected_old: bytes) -> None:
    """Replace `path` with `data` atomically, if it still holds `expected_old`."""
    if os.path.islink(path):
        raise WriteRefused("is a symbolic link; racelint does not rewrite through links")
    try:
        current = read_bytes(path)
    except OSError as error:
        raise WriteRefused(f"cannot re-read before writing: {error.strerror}") from error
    if current != expected_old:
        raise WriteRefused("changed on disk while racelint was fixing it; not overwritten")
    info = os.stat(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.access(path, os.W_OK) or not info.st_mode & stat.S_IWUSR:  # read-only even for root
        raise WriteRefused("is read-only; not rewritten")
    with termination_deferred():
        try:
            fd, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".racelint")
        except OSError as error:
            raise WriteRefused(f"cannot create a temp file beside it: {error.strerror}") from error
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_path, stat.S_IMODE(info.st_mode))
            os.replace(temp_path, path)
        except BaseException:
            try:
                os.unlink(temp_path)
            except FileNotFoundError:
                pass
            raise


#: signals whose default action kills the process before any `finally` runs
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def termination_deferred() -> Iterator[None]:
    """Hold SIGTERM/SIGINT/SIGHUP for the block; they are delivered when it ends.

    Used while a temp file exists, so a kill cannot strand it (the process still stops,
    a few milliseconds later), and by `api` while pool workers fork. Only the main
    thread can set the mask; elsewhere, or where it cannot be set, nothing changes.
    """
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = mask(signal.SIG_BLOCK, TERMINATING)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)
