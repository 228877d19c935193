"""kube-proxy's ``BoundedFrequencyRunner`` (``pkg/util/async/bounded_frequency_runner.go``).

kube-proxy never syncs on every watch event: its runner lets a sync through at once
after a quiet spell, and folds a storm of changes (a rollout, a cold start of 100,000
pods) into one sync per ``minSyncPeriod``. Upstream that is a token bucket of
``burstSyncs`` tokens refilled at one per ``minSyncPeriod``; a sync that finds no token
is retried when one is due. Time here is the simulated clock's, in seconds.
"""
from __future__ import annotations

from typing import Callable

MIN_SYNC_PERIOD = 1.0  # KubeProxyConfiguration iptables.minSyncPeriod default
BURST_SYNCS = 2  # kube-proxy's burstSyncs for its BoundedFrequencyRunner

CallLater = Callable[[float, Callable[[], None]], object]  # (seconds, callback) -> a timer


class BoundedFrequencyRunner:
    """Decides whether a requested sync runs now or later (and then asks for it again).

    ``call_later`` schedules a callback on the clock; ``retry`` is called when a deferred
    sync is due (the controller enqueues its sync key again).
    """

    def __init__(self, call_later: CallLater, retry: Callable[[], None], *,
                 min_interval: float = MIN_SYNC_PERIOD, burst_runs: int = BURST_SYNCS) -> None:
        self._call_later = call_later
        self._retry = retry
        self.min_interval = min_interval
        self.burst_runs = burst_runs
        self._tokens = float(burst_runs)
        self._tokens_at: float | None = None
        self._timer: object | None = None

    def may_run(self, now: float, *, unlimited: bool = False) -> bool:
        """Whether a sync may run now (it then took a token). False when one is already
        scheduled (it will see this change) or must wait (it is scheduled now).
        ``unlimited`` lets a sync through without a token (the first one)."""
        if self._timer is not None:
            return False
        wait = 0.0 if unlimited else self._take_token(now)
        if wait > 0:
            self._timer = self._call_later(wait, self._due)
            return False
        return True

    def _due(self) -> None:
        self._timer = None
        self._retry()

    def _take_token(self, now: float) -> float:
        """0 if a sync may run now (and take a token), else seconds until one may."""
        if self._tokens_at is not None:
            self._tokens = min(float(self.burst_runs), self._tokens + (now - self._tokens_at) / self.min_interval)
        self._tokens_at = now
        if self._tokens >= 1.0 - 1e-9:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) * self.min_interval
