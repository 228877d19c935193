"""The watch -> work queue -> reconcile loop every controller shares.

As in client-go, watch handlers only enqueue keys; `reconcile(key)` reads the current
state from the store and converges it. A key queued twice before it is processed is
reconciled once, which keeps a change's cost proportional to what it touches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.cluster import Cluster


class Controller:
    name = "controller"

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.queue: dict[str, None] = {}

    def enqueue(self, key: str) -> None:
        self.queue[key] = None

    def pop(self) -> str | None:
        if not self.queue:
            return None
        key = next(iter(self.queue))
        del self.queue[key]
        return key

    def reconcile(self, key: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def split_key(key: str) -> tuple[str, str]:
    ns, _, name = key.rpartition("/")
    return ns, name


def key_for(obj: dict) -> str:
    md = obj["metadata"]
    return f"{md.get('namespace') or ''}/{md['name']}"
