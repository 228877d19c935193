"""Structured records of what each controller did.

These are svcflow's own events (not Kubernetes `Event` objects, which the engine also
writes for `kubectl describe`). They are the dashboard's input: the four-step Service
flow animation replays the ones tagged with a `step`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
        from engine.clock import rfc3339

        step = f" [step {self.step}]" if self.step else ""
        detail = f" {self.detail}" if self.detail else ""
        return f"{rfc3339(self.time)} {self.controller} {self.verb} {self.ref}{step}{detail}"
