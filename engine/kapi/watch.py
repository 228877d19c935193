"""Watches: resourceVersions that mean something (apiserver-spec §2.6, §2.7).

One hook on the store (`store.watch("*")`) feeds a ring of recent events, each stamped with
the resourceVersion the write produced -- a DELETED object carries the deletion's version, as
kube-apiserver's does, so a client resuming from it does not replay the delete. Each open
watch gets a bounded buffer; a watcher that falls that far behind is closed (kube-apiserver
drops slow watchers and the client lists again) instead of holding the engine's memory.

Semantics of `resourceVersion` on a watch: unset or "0" -- the current state as synthetic
ADDED events, then changes; "N" -- only changes after N, or `410 Gone` (`Expired`) when N is
older than the ring remembers.
"""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from engine.api.store import ADDED, DELETED, MODIFIED, Store, WatchEvent

#: How many recent events the ring keeps (a resume from further back gets 410 Expired).
RING_SIZE = 50_000


@dataclass(frozen=True)
class Event:
    rv: int
    type: str
    kind: str
    obj: dict
    old: dict | None = None


def _stamped(obj: dict, rv: int) -> dict:
    """The deleted object as a DELETED event shows it: its metadata at the deletion's RV."""
    out = dict(obj)
    out["metadata"] = {**(obj.get("metadata") or {}), "resourceVersion": str(rv)}
    return out


@dataclass(eq=False)
class Watcher:
    """One open watch: which objects it wants and what it has not sent yet."""

    kind: str
    accepts: Callable[[dict], bool]
    limit: int
    pending: deque = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False

    def offer(self, ev: Event) -> None:
        if self.dropped:
            return
        now_in = self.accepts(ev.obj)
        if ev.type == MODIFIED:
            was_in = ev.old is not None and self.accepts(ev.old)
            if not now_in and not was_in:
                return
            if now_in and not was_in:
                ev = Event(ev.rv, ADDED, ev.kind, ev.obj)
            elif was_in and not now_in:
                ev = Event(ev.rv, DELETED, ev.kind, _stamped(ev.obj, ev.rv))
        elif not now_in:
            return
        if len(self.pending) >= self.limit:
            self.dropped = True
            self.pending.clear()
        else:
            self.pending.append(ev)
        self.wake.set()


class WatchHub:
    """The ring of recent events and the open watches, by kind."""

    def __init__(self, store: Store, ring_size: int = RING_SIZE) -> None:
        self.store = store
        self.ring: deque[Event] = deque(maxlen=ring_size)
        self.oldest = store.resource_version  # every event after this RV is in the ring
        self.watchers: dict[str, set[Watcher]] = {}
        store.watch("*", self._on_event)

    def _on_event(self, ev: WatchEvent) -> None:
        rv = self.store.resource_version
        obj = _stamped(ev.obj, rv) if ev.type == DELETED else ev.obj
        e = Event(rv, ev.type, obj.get("kind", ""), obj, ev.old if ev.type == MODIFIED else None)
        if len(self.ring) == self.ring.maxlen:
            self.oldest = self.ring[0].rv
        self.ring.append(e)
        for w in tuple(self.watchers.get(e.kind, ())):
            w.offer(e)

    def too_old(self, rv: int) -> bool:
        return rv < self.oldest

    def since(self, kind: str, rv: int) -> list[Event]:
        """The ring's events of `kind` after `rv`, oldest first."""
        out = []
        for e in reversed(self.ring):
            if e.rv <= rv:
                break
            if e.kind == kind:
                out.append(e)
        out.reverse()
        return out

    def add(self, w: Watcher) -> None:
        self.watchers.setdefault(w.kind, set()).add(w)

    def remove(self, w: Watcher) -> None:
        self.watchers.get(w.kind, set()).discard(w)

    def count(self) -> int:
        return sum(len(s) for s in self.watchers.values())
