"""What a command prints after `sleep N` reaches the terminal when the cluster's clock has
moved N seconds on (`kubectl exec`: `sleep 3; echo done` shows `done`, and the next prompt,
three seconds later, as on a node).

The pods' shells run a line at once, noting how far into its sleeps each piece of output
came (`Output.chunks`); the served exec plays it back against the cluster's clock. That
clock follows the wall clock under `svcflow serve`; a deterministic one moves only when its
engine settles, so the wait sets a (foreground) timer at its end for the engine's idle run
to jump to, and wakes the engine. A cluster nobody drives (a test's) is waited for no longer
than the same seconds of wall time.
"""
from __future__ import annotations

import asyncio
import math
import time
from datetime import timedelta
from typing import Callable

from engine.cluster.clock import SimClock

#: How often a wait looks at the clock (wall seconds).
POLL_SECONDS = 0.05


def _nothing() -> None:
    """The timer a wait sets: nothing to do, only an instant for an idle run to reach."""


class Pacer:
    """Waits for the cluster's clock to reach offsets from the instant a line ran."""

    def __init__(self, clock: SimClock, wake: Callable[[], None] | None = None) -> None:
        self.clock, self.wake = clock, wake
        self.start = clock.now()
        self.began = time.monotonic()

    async def until(self, offset: float) -> None:
        """Return once the clock is `offset` seconds past the line's start (or that much wall
        time went by: nobody moves this cluster's clock)."""
        if not 0 < offset < math.inf:
            return  # (nothing to wait for; a wait without end is not played back)
        deadline = self.start + timedelta(seconds=offset)
        now = self.clock.now()
        if now >= deadline:
            return
        self.clock.call_later((deadline - now).total_seconds(), _nothing)
        if self.wake is not None:
            self.wake()
        while self.clock.now() < deadline and time.monotonic() - self.began < offset:
            await asyncio.sleep(POLL_SECONDS)
