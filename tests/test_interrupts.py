"""The parent's signal handling around its worker pool (`api._stoppable`), in-process.

The end-to-end checks (no orphan workers, exit status, files old or new) are in
`test_hostile_input.py`; these pin the two details they can only hit by chance: a signal
whose exception was swallowed (it fired inside an at-fork hook) is still honoured, and
an ignored signal stays ignored.
"""

from __future__ import annotations

import os
import signal

import pytest

from cortex_racelint import api


def test_a_swallowed_interrupt_is_still_honoured() -> None:
    """SIGINT during the workers' fork raised inside logging's at-fork hook and was lost: rc 0, all written."""
    with api._stoppable() as interrupt:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs between bytecodes, and raises here
                pass
        except BaseException:  # what an at-fork hook does with the handler's exception
            pass
        assert interrupt.signum == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()


def test_sigterm_raises_stopped_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(api._Stopped) as stopped:
        with api._stoppable():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes
                pass
    assert stopped.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_signal_stays_ignored() -> None:
    """Under `nohup` SIGHUP is ignored; racelint must not turn it back into a stop."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with api._stoppable() as interrupt:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)
            interrupt.check()
        assert interrupt.signum is None
    finally:
        signal.signal(signal.SIGHUP, previous)
