"""Progress bars for long work: shown on a terminal, silent in CI and pipes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


class Tracker(Protocol):
    """What long-running code reports progress to."""

    def advance(self, n: int = 1) -> None: ...

    def total(self, n: int) -> None:
        """The amount of work, once it is known (a bar shows N/? until then)."""

    def status(self, text: str) -> None:
        """What the work is doing now, e.g. "caught up, waiting" (replaces the description)."""


class Silent:
    """No terminal to draw on: nothing is shown (what CI must see is logged by the work itself)."""

    def advance(self, n: int = 1) -> None:
        """Nothing to draw."""

    def total(self, n: int) -> None:
        """Nothing to draw."""

    def status(self, text: str) -> None:
        """Nothing to draw."""


class _Bar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)

    def total(self, n: int) -> None:
        self._progress.update(self._task, total=n)

    def status(self, text: str) -> None:
        self._progress.update(self._task, description=text)


def interactive() -> bool:
    """True when a human watches stderr (a terminal, and not CI)."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Tracker]:
    """A progress bar on stderr when interactive; a silent tracker otherwise."""
    if not interactive():
        yield Silent()
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        yield _Bar(bar, bar.add_task(description, total=total))
