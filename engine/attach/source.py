"""Which kinds the mirror follows, and the reflectors that follow them.

Only what the panes and the computed kube-proxy and CoreDNS read: Pods, Services,
Endpoints, EndpointSlices, Nodes, Namespaces, and two ConfigMaps of kube-system (kube-proxy's
configuration for its mode, CoreDNS's Corefile), each selected by name so that RBAC may grant
exactly those. A kind RBAC refuses is reported in one line and skipped; the rest carry on.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from engine.attach.client import KubeClient
from engine.attach.reflector import Reflector, ReflectorSink, Resource

KUBE_PROXY_CONFIGMAP = "kube-proxy"
COREDNS_CONFIGMAP = "coredns"
_CM = "/api/v1/namespaces/kube-system/configmaps"

#: In the order they are listed: what shapes the computed components first.
RESOURCES = (
    Resource("ConfigMap", "v1", _CM, f"metadata.name={KUBE_PROXY_CONFIGMAP}", "kube-system/configmaps/kube-proxy"),
    Resource("ConfigMap", "v1", _CM, f"metadata.name={COREDNS_CONFIGMAP}", "kube-system/configmaps/coredns"),
    Resource("Node", "v1", "/api/v1/nodes", label="nodes"),
    Resource("Namespace", "v1", "/api/v1/namespaces", label="namespaces"),
    Resource("Service", "v1", "/api/v1/services", label="services"),
    Resource("EndpointSlice", "discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1/endpointslices",
             label="endpointslices"),
    Resource("Endpoints", "v1", "/api/v1/endpoints", label="endpoints"),
    Resource("Pod", "v1", "/api/v1/pods", label="pods"),
)


@dataclass
class AttachSource:
    """One reflector per resource, run together; `synced()` waits for every first list."""

    client: KubeClient
    sink: ReflectorSink
    resources: tuple[Resource, ...] = RESOURCES
    page_size: int = 500
    watch_seconds: int = 300
    reflectors: list[Reflector] = field(default_factory=list)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def start(self) -> None:
        """Start every reflector in the running loop."""
        self.reflectors = [Reflector(self.client, r, self.sink, page_size=self.page_size,
                                     watch_seconds=self.watch_seconds) for r in self.resources]
        self._tasks = [asyncio.create_task(r.run(), name=f"svcflow-attach {r.resource.name}")
                       for r in self.reflectors]

    async def synced(self) -> None:
        """Every resource listed once (or skipped as forbidden)."""
        await asyncio.gather(*(r.listed.wait() for r in self.reflectors))

    def forbidden(self) -> list[Resource]:
        return [r.resource for r in self.reflectors if r.forbidden]

    async def stop(self) -> None:
        for r in self.reflectors:
            r.stop()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
