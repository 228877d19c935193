"""The watch -> work queue -> reconcile loop every controller shares.

As in client-go, watch handlers only enqueue keys; `reconcile(key)` reads the current
state from the store and converges it. A key queued twice before it is processed is
reconciled once, which keeps a change's cost proportional to what it touches.
"""
from __future__ import annotations

from collections import deque

from engine.controllers.context import ControllerContext


class WorkQueue:
    """client-go's workqueue: FIFO, and a key already waiting is not added twice.

    A deque plus a set: popping from the front of a dict (the obvious Python idiom)
    degrades to O(n) per pop once many keys have gone through, because the scan for
    the first live entry walks every deleted slot."""

    __slots__ = ("_order", "_waiting")

    def __init__(self) -> None:
        self._order: deque[str] = deque()
        self._waiting: set[str] = set()

    def add(self, key: str) -> None:
        if key not in self._waiting:
            self._waiting.add(key)
            self._order.append(key)

    def get(self) -> str | None:
        if not self._order:
            return None
        key = self._order.popleft()
        self._waiting.discard(key)
        return key

    def __len__(self) -> int:
        return len(self._order)

    def __bool__(self) -> bool:
        return bool(self._order)

    def __contains__(self, key: object) -> bool:
        return key in self._waiting

    def __iter__(self):
        return iter(list(self._order))


#: The work queue's rate limiter for a key whose sync failed (client-go's
#: ItemExponentialFailureRateLimiter(5ms, 1000s)): retried after 5 ms, 10 ms, 20 ms, ...
RETRY_BASE_SECONDS = 0.005
RETRY_MAX_SECONDS = 1000.0
#: Retries an idle run waits for (`Cluster.run_until_idle` jumps to them); later ones are
#: background timers, so a key that keeps failing does not keep the cluster from idling.
FOREGROUND_RETRIES = 5


class Controller:
    """A work queue and the store it reads; each controller takes the other pieces of
    its ControllerContext it needs in its own constructor, so they are listed there."""

    name = "controller"

    def __init__(self, ctx: ControllerContext) -> None:
        self.store = ctx.store
        self.queue = WorkQueue()
        self._retry_clock, self._retry_flow = ctx.clock, ctx.flow
        self._failures: dict[str, int] = {}  # key -> syncs failed in a row (the rate limiter's count)
        self._retrying: set[str] = set()  # keys with a retry timer pending
        self._sync_errors: dict[str, Exception] = {}  # key -> the exception its last sync raised

    # -- the work queue's rate limiter (client-go's ItemExponentialFailureRateLimiter) ------------
    def add_rate_limited(self, key: str, *, base: float = RETRY_BASE_SECONDS, cap: float = RETRY_MAX_SECONDS,
                         foreground: int = 0) -> tuple[int, float]:
        """workqueue.AddRateLimited: `key` again after base * 2^(n-1) seconds, n its failures
        in a row, at most `cap`; one pending retry per key (the earlier, as the delaying queue
        keeps). The first `foreground` retries are ones an idle run waits for, the later ones
        background timers (a key that keeps failing does not keep the cluster from idling).
        Returns (n, the delay)."""
        n = self._failures[key] = self._failures.get(key, 0) + 1
        delay = min(base * 2 ** (n - 1), cap)
        if key not in self._retrying:
            self._retrying.add(key)

            def retry() -> None:
                self._retrying.discard(key)
                self.enqueue(key)
            self._retry_clock.call_later(delay, retry, background=n > foreground)
        return n, delay

    def num_requeues(self, key: str) -> int:
        return self._failures.get(key, 0)

    def forget(self, key: str) -> None:
        """workqueue.Forget: the key synced; its next failure starts the back-off over."""
        if self._failures:
            self._failures.pop(key, None)

    @property
    def failing(self) -> Exception | None:
        """The last error of a key whose syncs still raise (None once each has synced)."""
        return next(reversed(self._sync_errors.values()), None) if self._sync_errors else None

    def sync(self, key: str) -> None:
        """One key's reconcile, as a controller's processNextWorkItem runs it: a sync that
        raises (an error, or a bug of svcflow's) is said -- a flow event, as
        kube-controller-manager logs it -- and retried with back-off; it never ends the
        cluster, nor stops the other keys and controllers. (A controller whose sync reports
        its own errors -- FailedCreate, FailedToUpdateEndpointSlices -- rate-limits them
        itself with `add_rate_limited`, and forgets them when it syncs.)"""
        try:
            self.reconcile(key)
        except Exception as e:  # noqa: BLE001 - upstream: utilruntime.HandleError, then AddRateLimited
            self._failed(key, e)
        else:
            if self._sync_errors and self._sync_errors.pop(key, None) is not None:
                self.forget(key)

    def _failed(self, key: str, error: Exception) -> None:
        self._sync_errors.pop(key, None)
        self._sync_errors[key] = error
        n, delay = self.add_rate_limited(key, foreground=FOREGROUND_RETRIES)
        ns, _, name = key.rpartition("/")
        self._retry_flow(self.name, {"kind": "sync", "metadata": {"namespace": ns, "name": name}}, "failed",
                         f"{type(error).__name__}: {error} (retry {n} in {delay:g}s)")

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def pop(self) -> str | None:
        return self.queue.get()

    def reconcile(self, key: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def split_key(key: str) -> tuple[str, str]:
    ns, _, name = key.rpartition("/")
    return ns, name


def key_for(obj: dict) -> str:
    md = obj["metadata"]
    return f"{md.get('namespace') or ''}/{md['name']}"
