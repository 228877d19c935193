"""The API resources svcflow serves: kind -> group, version, plural, scope.

kubectl's messages name objects by these (`deployment.apps/redis created`,
`deployments.apps "redis" not found`), so they live in one table.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindInfo:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployment.apps`, `service`: how apply/get prefix names."""
        low = self.kind.lower()
        return f"{low}.{self.group}" if self.group else low

    @property
    def qualified_plural(self) -> str:
        """`deployments.apps`, `services`: how NotFound/AlreadyExists name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS: dict[str, KindInfo] = {k.kind: k for k in (
    KindInfo("Namespace", "", "v1", "namespaces", False),
    KindInfo("Node", "", "v1", "nodes", False),
    KindInfo("Pod", "", "v1", "pods", True),
    KindInfo("Service", "", "v1", "services", True),
    KindInfo("Endpoints", "", "v1", "endpoints", True),
    KindInfo("ConfigMap", "", "v1", "configmaps", True),
    KindInfo("Event", "", "v1", "events", True),
    KindInfo("Deployment", "apps", "v1", "deployments", True),
    KindInfo("ReplicaSet", "apps", "v1", "replicasets", True),
    KindInfo("DaemonSet", "apps", "v1", "daemonsets", True),
    KindInfo("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True),
)}


def kind_info(kind: str) -> KindInfo:
    return KINDS[kind]


def is_served(kind: str, api_version: str) -> bool:
    info = KINDS.get(kind)
    return info is not None and info.api_version == api_version
