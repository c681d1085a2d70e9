"""Pacing on the simulated clock: hold each event until its simulated time, N times faster than real."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """``speed`` simulated seconds per wall-clock second from the first event on; None: no pacing."""

    def __init__(self, speed: float | None, *, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self._speed = speed
        self._now = now
        self._sleep = sleep
        self._origin: tuple[int, float] | None = None

    def wait(self, simulated: int) -> None:
        """Return when the wall clock has caught up with the simulated instant ``simulated`` (seconds)."""
        if self._speed is None:
            return
        if self._origin is None:
            self._origin = (simulated, self._now())
            return
        first, started = self._origin
        delay = started + (simulated - first) / self._speed - self._now()
        if delay > 0:
            self._sleep(delay)
