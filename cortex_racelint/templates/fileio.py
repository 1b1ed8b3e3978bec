"""Crash- and race-safe file writes for shared paths (config, caches, rc files).

Why: ``open(path, "w")`` truncates first and writes later, so a concurrent
reader (another thread, another ``cortex`` process, the user's shell) can see
an empty or half-written file, and a crash leaves it torn.  A writer-only lock
does not help unlocked readers.  ``atomic_write`` writes a temp file in the
same folder and ``os.replace``\\ s it onto the target, which is atomic on POSIX
within one filesystem: readers see the old or the new file, never a mix.

``append_once`` covers the other shell-rc pattern ("add this line unless it is
there"), which is a check-then-act across threads *and* processes, so it runs
under a per-path thread lock plus an ``fcntl.flock`` on the sidecar file
``<path>.lock`` (left on disk on purpose: deleting lock files is itself racy).
Where ``fcntl`` is missing (Windows) only the thread lock applies.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Dict, Iterator, Optional, Union

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["append_once", "atomic_write", "atomic_write_bytes", "atomic_write_text", "locked"]

PathArg = Union[str, "os.PathLike[str]"]

_MODES = {"w": "w", "wt": "w", "wb": "wb", "x": "w", "xt": "w", "xb": "wb"}
_umask_lock = threading.Lock()


def _current_umask() -> int:
    """Read the umask without changing it (os.umask is a process-wide write)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # fallback: briefly set a safe value, then restore
        old = os.umask(0o022)
        os.umask(old)
    return old


def _fsync_dir(folder: str) -> None:
    """Persist the rename itself (best effort; not possible on every platform)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_write(
    path: PathArg,
    mode: str = "w",
    *,
    encoding: Optional[str] = None,
    newline: Optional[str] = None,
) -> Iterator[IO[Any]]:
    """Yield a file whose content replaces ``path`` atomically when the block succeeds.

    Modes: ``"w"``/``"wb"`` (replace) and ``"x"``/``"xb"`` (create; raise
    ``FileExistsError`` if ``path`` exists).  Append/update modes are rejected:
    an atomic replace writes the whole file.  The target's permission bits are
    kept (a new file gets ``0o666 & ~umask`` like ``open()``); a symlink target
    is written through, keeping the link; a target that is not a regular file
    (``os.devnull``, a FIFO) is opened and written in place, never replaced, and
    so is an existing file whose folder refuses a temp file (not atomic then).  On any exception the temp file is
    removed, the target is untouched, and the exception propagates.
    """
    if any(c in mode for c in "ar+"):
        raise ValueError(
            f"atomic_write does not support mode {mode!r}: an atomic replace writes the whole "
            f"file, it cannot append or update in place; read the old content and write it all "
            f"back, or use append_once()"
        )
    if mode not in _MODES:
        raise ValueError(f"atomic_write mode must be one of {sorted(_MODES)}, got {mode!r}")
    binary = "b" in mode
    if binary and (encoding is not None or newline is not None):
        raise ValueError("binary mode doesn't take an encoding or newline argument")
    exclusive = mode.startswith("x")

    target = os.fsdecode(os.fspath(path))
    if os.path.islink(target):
        target = os.path.realpath(target)
    if exclusive and os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), target)
    folder, name = os.path.split(os.path.abspath(target))

    try:
        st: Optional[os.stat_result] = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        # A device (``os.devnull``), FIFO or socket holds no content to replace, and a replace
        # would put a regular file where it was: write through it as ``open()`` does.
        with open(target, _MODES[mode], encoding=encoding, newline=newline) as f:
            yield f
        return
    try:
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        except OSError as error:
            if error.errno != errno.ENAMETOOLONG:
                raise
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")  # a name near NAME_MAX
    except OSError as error:
        if st is None or error.errno not in (errno.EACCES, errno.EPERM):
            raise
        # The folder takes no new file but the file itself may be writable (a shared file in a
        # folder we do not own): write it in place as ``open()`` does, rather than fail.
        with open(target, _MODES[mode], encoding=encoding, newline=newline) as f:
            yield f
        return
    try:
        perms = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_current_umask()
        if hasattr(os, "fchmod"):
            os.fchmod(fd, perms)
        else:  # pragma: no cover - Windows
            os.chmod(tmp, perms)
        if st is not None and hasattr(os, "fchown"):
            try:
                tst = os.fstat(fd)
                if (tst.st_uid, tst.st_gid) != (st.st_uid, st.st_gid):
                    os.fchown(fd, st.st_uid, st.st_gid)
            except OSError:
                pass  # best effort: only root may give files away
    except BaseException:
        os.close(fd)
        _unlink_quiet(tmp)
        raise

    f = os.fdopen(fd, _MODES[mode], encoding=encoding, newline=newline)
    try:
        yield f
        if f.closed:  # caller closed it: data is flushed, still make it durable
            sync_fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(sync_fd)
            finally:
                os.close(sync_fd)
        else:
            f.flush()
            os.fsync(f.fileno())
            f.close()
        if exclusive:
            _link_no_clobber(tmp, target)
        else:
            os.replace(tmp, target)
    except BaseException:
        try:
            f.close()
        except Exception:
            pass
        _unlink_quiet(tmp)
        raise
    _fsync_dir(folder)


def _link_no_clobber(tmp: str, target: str) -> None:
    """Publish ``tmp`` at ``target`` only if ``target`` still does not exist."""
    try:
        os.link(tmp, target)  # atomic create-if-absent
    except FileExistsError:
        raise
    except OSError:  # filesystem without hard links: check, then replace (small race)
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), target) from None
        os.replace(tmp, target)
        return
    _unlink_quiet(tmp)


def _unlink_quiet(p: str) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def atomic_write_text(
    path: PathArg, data: str, encoding: str = "utf-8", newline: Optional[str] = None
) -> None:
    """Atomically replace ``path`` with ``data`` (text)."""
    with atomic_write(path, "w", encoding=encoding, newline=newline) as f:
        f.write(data)


def atomic_write_bytes(path: PathArg, data: bytes) -> None:
    """Atomically replace ``path`` with ``data`` (bytes)."""
    with atomic_write(path, "wb") as f:
        f.write(data)


class _PathLock:
    """Reentrant per-path lock: an RLock in-process plus ``flock`` across processes.

    The flock is taken only at the outermost acquire, since two flocks on
    separate descriptors of one file conflict even within a process.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._rlock = threading.RLock()
        self._depth = 0
        self._fd: Optional[int] = None

    def acquire(self) -> None:
        self._rlock.acquire()
        try:
            if self._depth == 0 and fcntl is not None:
                flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                # the file being locked may not exist yet, nor its folder (a first install)
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
                fd = os.open(self.path + ".lock", flags, 0o666)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
        except BaseException:
            self._rlock.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
        finally:
            self._rlock.release()


_path_locks: Dict[str, _PathLock] = {}
_path_locks_lock = threading.Lock()


def _path_lock(path: PathArg) -> _PathLock:
    key = os.path.realpath(os.fsdecode(os.fspath(path)))
    lock = _path_locks.get(key)
    if lock is None:
        with _path_locks_lock:
            lock = _path_locks.get(key)
            if lock is None:
                lock = _path_locks[key] = _PathLock(key)
    return lock


@contextmanager
def locked(path: PathArg) -> Iterator[Path]:
    """Hold the per-path thread + file lock that ``append_once`` uses.

    Reentrant within a thread (so ``append_once`` may be called inside).
    Yields the resolved path.  Waits without a timeout.
    """
    lock = _path_lock(path)
    lock.acquire()
    try:
        yield Path(lock.path)
    finally:
        lock.release()


def _read_text(path: Path) -> str:
    """Current content ('' if missing); a separate function so tests can hold the window."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def append_once(path: PathArg, text: str, *, marker: Optional[str] = None) -> bool:
    """Append ``text`` unless ``marker or text`` is already in the file; True if appended.

    Safe across threads and processes.  Makes sure the existing content ends
    with a newline first.  Appends in place (no replace) so concurrent
    non-cooperating appenders never lose data.
    """
    needle = marker or text
    with locked(path) as p:
        content = _read_text(p)
        if needle in content:
            return False
        prefix = "\n" if content and not content.endswith("\n") else ""
        with open(p, "a", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(prefix + text)
            f.flush()
            os.fsync(f.fileno())
        return True


def _after_fork_in_child() -> None:
    """Locks held by other parent threads at fork time would never be released."""
    global _path_locks, _path_locks_lock, _umask_lock
    _path_locks = {}
    _path_locks_lock = threading.Lock()
    _umask_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
