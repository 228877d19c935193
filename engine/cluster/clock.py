"""Simulated time.

Every controller reads time from one `SimClock` so that a run can be replayed: in
deterministic mode the clock starts at a fixed instant and only moves when the cluster
runs out of immediate work and jumps to its next timer. The dashboard drives the same
clock from wall time instead.

Timers are of two sorts. A foreground timer is work the cluster is waiting for (an image
pull, a probe, a termination): an idle run jumps to it. A background timer is a loop that
runs forever on a real node (the kubelet renewing its Lease every 10 s): it fires when time
passes it -- while an idle run jumps between foreground timers, and in `run_for`, which
follows wall time -- but an idle run never jumps to one, or `run_until_idle()` would never
end. `fire_due` runs the background timers time has already passed (the clock was advanced
without running), so an idle run ends with every loop caught up to `now`.
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


def rfc3339_micro(t: datetime) -> str:
    """Format like the API server does for metav1.MicroTime (RFC3339Micro: six fractional
    digits, `Z`), as in a Lease's `renewTime`."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: object) -> datetime | None:
    """A stored time (RFC 3339, with or without a fraction: a Lease's MicroTime, a Node's
    taint `timeAdded`), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_rfc3339(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


@dataclass(order=True)
class _Timer:
    when: datetime
    seq: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)
    background: bool = field(default=False, compare=False)


STAMPS_KEPT = 256  # distinct seconds whose timestamp strings are kept


class SimClock:
    """A clock that only advances when told to, with a queue of timers.

    `origin` is when the cluster began (periodic loops such as PodGC's count their ticks
    from it); `now_str` is the API server's timestamp of the current instant."""

    def __init__(self, start: datetime) -> None:
        self.origin = start
        self._now = start
        self._timers: list[_Timer] = []  # foreground: what an idle run waits for
        self._background: list[_Timer] = []  # loops that never end (see the module docstring)
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

    def call_later(self, seconds: float, fn: Callable[[], None], *, background: bool = False) -> _Timer:
        """Run `fn` `seconds` from now. `background`: a periodic loop's next turn, which an
        idle run does not wait for (see the module docstring)."""
        t = _Timer(self._now + timedelta(seconds=seconds), next(self._seq), fn, background=background)
        heapq.heappush(self._background if background else self._timers, t)
        return t

    @staticmethod
    def _head(heap: list[_Timer]) -> _Timer | None:
        while heap and heap[0].cancelled:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def next_timer_at(self, *, background: bool = True) -> datetime | None:
        """When the next timer is due (`background=False`: the next foreground one)."""
        fg = self._head(self._timers)
        bg = self._head(self._background) if background else None
        if fg is None or bg is None:
            t = fg or bg
            return t.when if t else None
        return min(fg.when, bg.when)

    def fire_next(self, *, wait_for_background: bool = True) -> bool:
        """Advance to the earliest timer and run every timer due at that instant, in the
        order they were set. `wait_for_background=False` (an idle run): False at once when
        no foreground timer is left, whatever background loops are pending."""
        if not wait_for_background and self._head(self._timers) is None:
            return False
        when = self.next_timer_at()
        if when is None:
            return False
        if when > self._now:
            self._now = when
        self._fire_until(self._now)
        return True

    def fire_due(self) -> bool:
        """Run every timer due at or before now without moving the clock (the loops the
        clock was advanced past); False when there was none."""
        when = self.next_timer_at()
        if when is None or when > self._now:
            return False
        self._fire_until(self._now)
        return True

    def _fire_until(self, until: datetime) -> None:
        fg, bg = self._timers, self._background
        while True:
            f, b = self._head(fg), self._head(bg)
            if b is not None and (f is None or b < f):
                t, heap = b, bg
            elif f is not None:
                t, heap = f, fg
            else:
                return
            if t.when > until:
                return
            heapq.heappop(heap)
            t.fn()

    def advance(self, seconds: float) -> None:
        """Move time forward without firing timers (they fire on the next run)."""
        self._now += timedelta(seconds=seconds)

    def advance_to(self, when: datetime) -> None:
        if when > self._now:
            self._now = when
