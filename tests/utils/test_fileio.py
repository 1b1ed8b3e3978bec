"""Tests for cortex.utils.fileio: atomic replace, permissions, torn reads, append_once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, ContextManager, IO, Any, Iterator, List

import pytest

from cortex.utils import fileio
from cortex.utils.fileio import append_once, atomic_write, atomic_write_bytes, atomic_write_text, locked

ROOT = Path(__file__).resolve().parents[2]
OLD = "old complete content\n" * 50
NEW_HEAD = "new content, first half\n" * 50
NEW_TAIL = "new content, second half\n" * 50


def leftovers(folder: Path) -> List[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def run_threads(targets: List[Callable[[], None]], timeout: float = 20.0) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "thread hung (deadlock?)"


# -- atomic_write ----------------------------------------------------------------


def test_exception_mid_write_leaves_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text(OLD)
    with pytest.raises(RuntimeError, match="halfway"):
        with atomic_write(target) as f:
            f.write(NEW_HEAD)
            f.flush()
            raise RuntimeError("halfway")
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_exception_when_target_missing_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target, "wb") as f:
            f.write(b"partial")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_success_replaces_and_uses_hidden_temp_in_same_folder(tmp_path: Path) -> None:
    target = tmp_path / "data.txt"
    target.write_text(OLD)
    with atomic_write(target, encoding="utf-8") as f:
        f.write("héllo\n")
        temps = leftovers(tmp_path)
        assert len(temps) == 1 and temps[0].startswith(".data.txt.")
        assert target.read_text() == OLD  # nothing visible until the block ends
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert leftovers(tmp_path) == []


def test_permissions_kept(tmp_path: Path) -> None:
    target = tmp_path / "secret.conf"
    target.write_text(OLD)
    os.chmod(target, 0o640)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    os.chmod(target, 0o600)
    atomic_write_bytes(target, b"newer")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert target.read_bytes() == b"newer"


def test_new_file_gets_umask_default_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        with open(tmp_path / "b.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == stat.S_IMODE(
        os.stat(tmp_path / "b.txt").st_mode
    )


def test_exclusive_mode(tmp_path: Path) -> None:
    target = tmp_path / "once.lock"
    with atomic_write(target, "x") as f:
        f.write("first")
    assert target.read_text() == "first"
    with pytest.raises(FileExistsError):
        with atomic_write(target, "xb") as f:
            f.write(b"second")
    assert target.read_text() == "first"
    assert leftovers(tmp_path) == []


def test_exclusive_mode_detects_target_created_during_write(tmp_path: Path) -> None:
    target = tmp_path / "race.txt"
    with pytest.raises(FileExistsError):
        with atomic_write(target, "x") as f:
            f.write("mine")
            target.write_text("theirs")  # someone else won meanwhile
    assert target.read_text() == "theirs"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", ["a", "ab", "r+", "w+", "a+"])
def test_append_and_update_modes_rejected(tmp_path: Path, mode: str) -> None:
    with pytest.raises(ValueError, match="cannot append"):
        with atomic_write(tmp_path / "f", mode):
            pass
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("mode", ["r", "rb", "q", ""])
def test_other_bad_modes_rejected(tmp_path: Path, mode: str) -> None:
    with pytest.raises(ValueError):
        with atomic_write(tmp_path / "f", mode):
            pass


def test_binary_mode_rejects_encoding(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        with atomic_write(tmp_path / "f", "wb", encoding="utf-8"):
            pass


def test_newline_translation(tmp_path: Path) -> None:
    target = tmp_path / "crlf.txt"
    atomic_write_text(target, "a\nb\n", newline="\r\n")
    assert target.read_bytes() == b"a\r\nb\r\n"


def test_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.rc"
    real.write_text(OLD)
    link = tmp_path / "link.rc"
    link.symlink_to(real)
    atomic_write_text(link, "through")
    assert link.is_symlink()
    assert real.read_text() == "through"


def test_caller_closing_file_is_fine(tmp_path: Path) -> None:
    target = tmp_path / "c.txt"
    with atomic_write(target) as f:
        f.write("closed early")
        f.close()
    assert target.read_text() == "closed early"


def test_concurrent_atomic_writers_leave_one_whole_version(tmp_path: Path) -> None:
    target = tmp_path / "shared.json"
    versions = [f"{i}:" + str(i) * 20_000 for i in range(12)]
    go = threading.Barrier(12, timeout=5)

    def writer(data: str) -> Callable[[], None]:
        def run() -> None:
            go.wait()
            atomic_write_text(target, data)

        return run

    run_threads([writer(v) for v in versions])
    assert target.read_text() in versions
    assert leftovers(tmp_path) == []


# -- torn reads: hold the writer inside its write window -----------------------------


@contextmanager
def plain_open(path: Path) -> Iterator[IO[str]]:
    with open(path, "w") as f:
        yield f


def reader_sees_during_write(
    target: Path, writer_cm: Callable[[Path], ContextManager[IO[Any]]]
) -> str:
    """Start writing NEW, stop the writer halfway, read the target, let it finish."""
    target.write_text(OLD)
    in_window = threading.Barrier(2, timeout=5)
    may_finish = threading.Barrier(2, timeout=5)
    errors: List[BaseException] = []

    def writer() -> None:
        try:
            with writer_cm(target) as f:
                f.write(NEW_HEAD)
                f.flush()  # as a big json.dump would, once its buffer fills
                in_window.wait()
                may_finish.wait()
                f.write(NEW_TAIL)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=writer)
    t.start()
    in_window.wait()
    seen = target.read_text()
    may_finish.wait()
    t.join(5)
    assert not t.is_alive() and errors == []
    assert target.read_text() == NEW_HEAD + NEW_TAIL
    return seen


def test_plain_open_lets_reader_see_torn_file(tmp_path: Path) -> None:
    """Proves the harness can fail: the unprotected write is observed half-done."""
    seen = reader_sees_during_write(tmp_path / "cfg", plain_open)
    assert seen not in (OLD, NEW_HEAD + NEW_TAIL)
    assert seen == NEW_HEAD


def test_atomic_write_reader_sees_old_complete_file(tmp_path: Path) -> None:
    seen = reader_sees_during_write(tmp_path / "cfg", atomic_write)
    assert seen == OLD
    assert leftovers(tmp_path) == []


# -- append_once -------------------------------------------------------------------


LINE = 'eval "$(cortex completion bash)"  # cortex\n'


def naive_append_once(path: Path, text: str) -> bool:
    """What the rc-file code did: check, then append, no lock."""
    content = fileio._read_text(path)
    if text in content:
        return False
    with open(path, "a") as f:
        f.write(text)
    return True


def race_appenders(monkeypatch: pytest.MonkeyPatch, fn: Callable[[], bool], timeout: float):
    """8 threads; each one is held inside the read-then-append window on a barrier."""
    window = threading.Barrier(8, timeout=timeout)
    broken: List[bool] = []
    real_read = fileio._read_text

    def held_read(p: Path) -> str:
        content = real_read(p)
        try:
            window.wait()
        except threading.BrokenBarrierError:
            broken.append(True)
        return content

    monkeypatch.setattr(fileio, "_read_text", held_read)
    go = threading.Barrier(8, timeout=5)
    results: List[bool] = []

    def run() -> None:
        go.wait()
        results.append(fn())

    run_threads([run] * 8)
    return results, broken


def test_naive_append_from_8_threads_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the harness can fail: without the lock all 8 threads append."""
    rc = tmp_path / ".bashrc"
    rc.write_text("# rc\n")
    results, broken = race_appenders(monkeypatch, lambda: naive_append_once(rc, LINE), 5.0)
    assert results.count(True) == 8 and not broken
    assert rc.read_text().count(LINE) == 8


def test_append_once_from_8_threads_appends_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc = tmp_path / ".bashrc"
    rc.write_text("# rc without trailing newline")
    results, broken = race_appenders(monkeypatch, lambda: append_once(rc, LINE), 0.3)
    assert broken, "barrier must time out: the lock admits one thread at a time"
    assert results.count(True) == 1 and results.count(False) == 7
    assert rc.read_text() == "# rc without trailing newline\n" + LINE


def test_append_once_thread_lock_only_without_fcntl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileio, "fcntl", None)
    monkeypatch.setattr(fileio, "_path_locks", {})
    rc = tmp_path / ".zshrc"
    results, broken = race_appenders(monkeypatch, lambda: append_once(rc, LINE), 0.3)
    assert broken and results.count(True) == 1
    assert rc.read_text() == LINE
    assert not (tmp_path / ".zshrc.lock").exists()


def test_append_once_marker_and_newline(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    assert append_once(rc, "export A=1\n", marker="# cortex-path") is True  # file created
    assert rc.read_text() == "export A=1\n"
    rc.write_text("x=1\n# cortex-path\n")
    assert append_once(rc, "export A=1\n", marker="# cortex-path") is False
    assert append_once(rc, "y=2\n") is True
    assert append_once(rc, "y=2\n") is False
    assert rc.read_text() == "x=1\n# cortex-path\ny=2\n"


def test_locked_is_reentrant_with_append_once(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    out: List[bool] = []

    def run() -> None:
        with locked(rc) as p:
            assert p == Path(os.path.realpath(rc))
            out.append(append_once(rc, LINE))

    run_threads([run], timeout=5)
    assert out == [True]


def test_locked_excludes_other_threads(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    inside, release = threading.Event(), threading.Event()
    order: List[str] = []

    def holder() -> None:
        with locked(rc):
            inside.set()
            release.wait(5)
            order.append("holder done")

    def other() -> None:
        append_once(rc, LINE)
        order.append("append done")

    h = threading.Thread(target=holder)
    h.start()
    assert inside.wait(5)
    o = threading.Thread(target=other)
    o.start()
    o.join(0.2)
    assert o.is_alive()  # blocked by the lock
    release.set()
    h.join(5)
    o.join(5)
    assert order == ["holder done", "append done"]


CHILD = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from cortex.utils import fileio
    rc, me, other = sys.argv[2], sys.argv[3], sys.argv[4]
    real_read = fileio._read_text
    state = {"timeout": False}

    def held_read(p):
        content = real_read(p)
        open(me, "w").close()                # "I am inside the window"
        deadline = time.monotonic() + 1.0    # wait for the other process to join me
        while not os.path.exists(other):
            if time.monotonic() > deadline:
                state["timeout"] = True
                break
            time.sleep(0.005)
        return content

    fileio._read_text = held_read
    appended = fileio.append_once(rc, "source ~/.cortex/env  # cortex\\n")
    print(f"{appended} {state['timeout']}")
    """
)


@pytest.mark.skipif(fileio.fcntl is None, reason="cross-process lock needs fcntl")
def test_append_once_from_2_processes_appends_exactly_once(tmp_path: Path) -> None:
    rc = tmp_path / ".profile"
    rc.write_text("# profile\n")
    a, b = str(tmp_path / "in-a"), str(tmp_path / "in-b")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ROOT), str(rc), me, other],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in ((a, b), (b, a))
    ]
    outs = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    results = [out.split() for out, _ in outs]
    assert sorted(r[0] for r in results) == ["False", "True"]
    # flock admitted one process at a time, so exactly the first one waited in vain.
    assert sorted(r[1] for r in results) == ["False", "True"]
    assert rc.read_text() == "# profile\nsource ~/.cortex/env  # cortex\n"


@pytest.mark.parametrize("write", [
    lambda p: atomic_write_text(p, "gone"),
    lambda p: atomic_write_bytes(p, b"gone"),
])
def test_devnull_stays_a_device(write: Callable[[str], None]) -> None:
    """`os.devnull` as a default path: the atomic form must not put a regular file there."""
    before = os.stat(os.devnull)
    write(os.devnull)
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: List[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    with atomic_write(fifo, "w") as f:
        f.write("through the pipe")
    reader.join(10)
    assert got == ["through the pipe"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_a_folder_refusing_temp_files_falls_back_to_writing_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`open(p, "w")` works on a writable file in a folder we may not create files in; the atomic
    form must not turn that into a PermissionError (simulated: root may create files anywhere)."""
    import errno as errno_module

    target = tmp_path / "shared.log"
    target.write_text("old")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno_module.EACCES, "Permission denied")

    monkeypatch.setattr(fileio.tempfile, "mkstemp", refuse)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    with pytest.raises(PermissionError):  # a new file still needs the folder: the error open() gives
        atomic_write_text(tmp_path / "absent.log", "x")


def test_a_name_near_the_length_limit_still_gets_a_temp_file(tmp_path: Path) -> None:
    """`open()` takes a 255-byte name; the temp file's longer `.<name>.XXXX.tmp` must not fail."""
    target = tmp_path / ("n" * 250)
    atomic_write_text(target, "fits")
    assert target.read_text() == "fits" and leftovers(tmp_path) == []
