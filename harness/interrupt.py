"""Stopping a run: SIGINT (Ctrl-C) and SIGTERM stop the units in flight at once.

Workers run in sessions of their own, so a Ctrl-C at the terminal reaches only the harness.
While :func:`stop_on_signals` is active, the first SIGINT or SIGTERM calls ``on_stop`` (the
executor kills the process groups of the units in flight, which are then recorded as
``interrupted``) and raises :class:`RunInterrupted` in the main thread; a second signal only
calls ``on_stop`` again. The command line exits with ``128 + signal`` (130 for Ctrl-C, 143 for
SIGTERM) and the run resumes when the same run id is run again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """The harness got SIGINT or SIGTERM; the units in flight were stopped and recorded.

    Attributes:
        signum: The signal that stopped the run.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number."""
        return 128 + self.signum


@contextmanager
def stop_on_signals(on_stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM call ``on_stop`` and raise :class:`RunInterrupted`.

    Outside the main thread (where Python cannot install handlers) it does nothing; the
    previous handlers are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        on_stop()
        if not seen:
            seen.append(signum)
            raise RunInterrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
