"""Simulated time.

Every controller reads time from one `SimClock` so that a run can be replayed: in
deterministic mode the clock starts at a fixed instant and only moves when the cluster
runs out of immediate work and jumps to its next timer. The dashboard drives the same
clock from wall time instead.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

DETERMINISTIC_START = datetime(2025, 6, 1, 10, 0, 0, tzinfo=timezone.utc)


def rfc3339(t: datetime) -> str:
    """Format like the API server does for metav1.Time: seconds precision, `Z`."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


@dataclass(order=True)
class _Timer:
    when: datetime
    seq: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


STAMPS_KEPT = 256  # distinct seconds whose timestamp strings are kept


class SimClock:
    """A clock that only advances when told to, with a queue of timers.

    `origin` is when the cluster began (periodic loops such as PodGC's count their ticks
    from it); `now_str` is the API server's timestamp of the current instant."""

    def __init__(self, start: datetime) -> None:
        self.origin = start
        self._now = start
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._stamps: dict[int, str] = {}

    def now(self) -> datetime:
        return self._now

    def now_str(self, offset: float = 0.0) -> str:
        """`now` (plus `offset` seconds) as metav1.Time writes it. One string per simulated
        second, shared by every object stamped in it (a cold start writes hundreds of
        thousands of timestamps)."""
        t = self._now + timedelta(seconds=offset) if offset else self._now
        sec = int(t.timestamp())
        cached = self._stamps.get(sec)
        if cached is None:
            if len(self._stamps) > STAMPS_KEPT:
                self._stamps.clear()
            cached = self._stamps[sec] = rfc3339(t)
        return cached

    def call_later(self, seconds: float, fn: Callable[[], None]) -> _Timer:
        t = _Timer(self._now + timedelta(seconds=seconds), next(self._seq), fn)
        heapq.heappush(self._timers, t)
        return t

    def next_timer_at(self) -> datetime | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].when if self._timers else None

    def fire_next(self) -> bool:
        """Advance to the earliest timer and run every timer due at that instant."""
        when = self.next_timer_at()
        if when is None:
            return False
        if when > self._now:
            self._now = when
        while self._timers and self._timers[0].when <= self._now:
            t = heapq.heappop(self._timers)
            if not t.cancelled:
                t.fn()
        return True

    def advance(self, seconds: float) -> None:
        """Move time forward without firing timers (they fire on the next run)."""
        self._now += timedelta(seconds=seconds)

    def advance_to(self, when: datetime) -> None:
        if when > self._now:
            self._now = when
