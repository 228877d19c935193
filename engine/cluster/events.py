"""Structured records of what each controller did.

These are svcflow's own events (not Kubernetes `Event` objects, which the engine also
writes for `kubectl describe`). They are the dashboard's input: the four-step Service
flow animation replays the ones tagged with a `step`.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from types import MappingProxyType
from typing import Any, Callable, Iterator

from engine.api.objects import meta
from engine.cluster.clock import rfc3339

# The four steps of the Service creation flow, as the tutorial tells it.
STEP_COLLECT = 1  # Endpoint controller collects the matching pod IPs
STEP_ENDPOINTS = 2  # it writes Endpoints / EndpointSlice
STEP_PROXY = 3  # kube-proxy on every node programs its rules
STEP_DNS = 4  # CoreDNS serves name.namespace.svc.cluster.local


@dataclass(frozen=True)
class FlowEvent:
    """One controller action: who did what to which object, and when."""

    seq: int
    time: datetime
    controller: str
    kind: str
    namespace: str
    name: str
    verb: str
    detail: str = ""
    step: int | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def ref(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    def line(self) -> str:
        """The one-line form `svcflow events` prints."""
        step = f" [step {self.step}]" if self.step else ""
        detail = f" {self.detail}" if self.detail else ""
        return f"{rfc3339(self.time)} {self.controller} {self.verb} {self.ref}{step}{detail}"


FLOW_LOG_KEEP = 50_000  # events kept: hours of a demo, a bounded part of a 10,000-Service start


class FlowLog:
    """The flow events a cluster keeps: the newest FLOW_LOG_KEEP, oldest first.

    Every controller action is recorded (a cold start of 10,000 Services makes ~450,000)
    and the dashboard plays them as they come, so only the recent ones are ever read
    again; keeping all of them grew memory without bound over a long session. `total`
    counts every event recorded (it is the next event's `seq`), so callers that count
    what a change set off keep working after the oldest have gone."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep or FLOW_LOG_KEEP
        self.total = 0
        self._events: deque[FlowEvent] = deque(maxlen=self.keep)

    def append(self, ev: FlowEvent) -> None:
        self._events.append(ev)
        self.total += 1

    def __iter__(self) -> Iterator[FlowEvent]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)

    @property
    def dropped(self) -> int:
        """How many of the oldest events are no longer kept."""
        return self.total - len(self._events)

    def since(self, seq: int) -> list[FlowEvent]:
        """The kept events numbered `seq` or later."""
        return list(islice(self._events, max(0, seq - self.dropped), None))


_NO_DATA = MappingProxyType({})  # the data of the (many) flow events that carry none


class FlowSink:
    """Where controllers report what they did: the cluster's FlowLog, and the listeners
    (the dashboard's flow player, a tour) told of each event as it happens."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.log = FlowLog()
        self.listeners: list[Callable[[FlowEvent], None]] = []

    def flow(self, controller: str, obj: dict, verb: str, detail: str = "", *, step: int | None = None,
             data: dict[str, Any] | None = None) -> FlowEvent:
        """Record that `controller` did `verb` to `obj`; `step` tags the Service flow's steps."""
        md = meta(obj)
        log = self.log
        ev = FlowEvent(seq=log.total, time=self._now(), controller=controller,
                       kind=obj.get("kind", ""), namespace=md.get("namespace") or "", name=md.get("name", ""),
                       verb=verb, detail=detail, step=step, data=dict(data) if data else _NO_DATA)
        log.append(ev)
        for fn in self.listeners:
            fn(ev)
        return ev
