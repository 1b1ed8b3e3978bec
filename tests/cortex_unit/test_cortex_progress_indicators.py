from __future__ import annotations

import io
import time

import pytest


@pytest.fixture
def pi(load):
    return load("progress_indicators")


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.002)


def test_spinner_writes_frames_and_stops(pi):
    out = io.StringIO()
    spinner = pi.SimpleSpinner(stream=out, interval=0.001, frames=pi.ASCII_FRAMES)
    spinner.start("Resolving")
    assert spinner.running is True
    _wait_for(lambda: out.getvalue().count("\r") >= 3)
    spinner.update("Downloading")
    _wait_for(lambda: "Downloading" in out.getvalue())
    spinner.stop("Installed nginx")
    assert spinner.running is False
    text = out.getvalue()
    assert "\r| Resolving" in text
    assert any(f"\r{frame} " in text for frame in pi.ASCII_FRAMES[1:])
    assert text.endswith("✓ Installed nginx\n")
    size = len(text)
    time.sleep(0.02)
    assert len(out.getvalue()) == size, "spinner thread kept writing after stop()"


def test_spinner_fail_and_restart(pi):
    out = io.StringIO()
    spinner = pi.SimpleSpinner(stream=out, interval=0.001)
    spinner.start("Working")
    spinner.start("Still working")  # already running: only the message changes
    _wait_for(lambda: "Still working" in out.getvalue())
    spinner.fail("apt-get exited with 100")
    assert out.getvalue().endswith("✗ apt-get exited with 100\n")
    spinner.start("Again")
    spinner.stop()
    assert spinner.running is False
    assert not out.getvalue().endswith("✓ \n")


def test_spinner_context_manager(pi):
    out = io.StringIO()
    with pi.spinner("Step", stream=out, interval=0.001):
        pass
    assert out.getvalue().endswith("✓ Step\n")
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        with pi.spinner("Step", stream=out, interval=0.001):
            raise RuntimeError("bad")
    assert out.getvalue().endswith("✗ Step: bad\n")


def test_spinner_defaults_to_stdout(pi, capsys):
    spinner = pi.SimpleSpinner(interval=0.001)
    spinner.start("hello")
    spinner.stop("bye")
    assert "bye" in capsys.readouterr().out


def test_progress_bar(pi):
    out = io.StringIO()
    bar = pi.ProgressBar(total=4, width=8, stream=out, label="pkgs")
    bar.advance()
    assert bar.render() == "pkgs [██░░░░░░] 1/4 (25%)"
    bar.advance(10)
    assert bar.current == 4 and bar.fraction == 1.0
    assert out.getvalue().endswith("4/4 (100%)\n")
    bar.finish()
    assert out.getvalue().count("\n") == 1
    with pytest.raises(ValueError):
        pi.ProgressBar(total=0)
