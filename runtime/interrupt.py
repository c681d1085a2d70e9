"""SIGTERM stops a command as Ctrl-C does: ``docker stop``, systemd and CI time-outs send it, not SIGINT.

Without a handler SIGTERM ends Python at once: a recording is left without its trailer (unreadable), and
nothing says why. With it, SIGTERM raises :class:`Terminated` where the program is, a ``KeyboardInterrupt``,
so every ``except KeyboardInterrupt`` that closes files cleanly handles it too. Forked children (the
simulator's generator, the validator's snapshot writer) inherit the handler; in them it restores the
default and ends the child as SIGTERM always did, since their parent decides how they stop.
"""

from __future__ import annotations

import faulthandler
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


_terminated = False
"""Whether SIGTERM was received (typer turns any KeyboardInterrupt into exit code 130, losing which)."""


def stacks_on_sigusr1() -> None:
    """``kill -USR1 PID`` prints the stack of every thread to stderr, and the command goes on: how an operator
    (or a test that timed out) sees where a command that does not answer is waiting."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)


def stop_on_sigterm() -> None:
    """Install the handler in this process (the command line does, once)."""
    owner = os.getpid()

    def handle(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a forked child: die as it would have without us
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        global _terminated
        _terminated = True
        raise Terminated

    signal.signal(signal.SIGTERM, handle)


class StopRequest:
    """Set by the first SIGINT or SIGTERM inside :func:`deferred`: the work stops where it chooses."""

    def __init__(self) -> None:
        self.signal: int | None = None

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.signal is not None

    def raise_if_requested(self) -> None:
        """Stop here, as the signal would have, if one was received."""
        if self.signal is not None:
            raise Terminated if self.signal == signal.SIGTERM else KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[StopRequest]:
    """Ctrl-C and SIGTERM ask the work to stop instead of raising wherever it is.

    Why: an exception between writing a record and counting it leaves a recording whose trailer disagrees
    with its lines, which no reader accepts. The work checks ``requested`` between records. A second
    signal raises as usual, so a stuck command still stops.
    """
    request = StopRequest()

    def handle(signum: int, frame: FrameType | None) -> None:
        if request.requested:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        request.signal = signum

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_code(exc: KeyboardInterrupt) -> int:
    """The shell's convention: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM)."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def exit_code_of(code: int) -> int:
    """The exit code a command ended with, 143 instead of typer's 130 when SIGTERM ended it."""
    return EXIT_TERMINATED if code == EXIT_INTERRUPTED and _terminated else code
