"""What the served API exposes: the kinds registry (`engine.api.kinds`), plus the resources
every kube-apiserver answers though svcflow stores nothing of its own for them, which
discovery, the URL router and the OpenAPI documents all read, so they can never disagree
with each other or with the rest of svcflow. Discovery publishes the entries verbatim (short
names, categories, verbs, subresources), resources alphabetical inside a group-version and
the group-versions in kube-apiserver's order; which subresources are actually served is the
concern modules' business (`ApiContext.subresource_routes`).

The resources beyond the registry (`engine.api.apionly.API_ONLY`) are each answered by a
module of its own: events.k8s.io/v1 `events` (engine.kapi.eventsv1, through `view`), the
reviews (engine.kapi.authz), and apiextensions.k8s.io/v1 `customresourcedefinitions` (always
empty, read by the generic read path).
"""
from __future__ import annotations

from typing import Any, Callable

from engine.api import eventsv1, kinds
from engine.api.apionly import (  # noqa: F401 - the served API's names for them
    API_ONLY,
    CUSTOM_RESOURCE_DEFINITION,
    EVENTS_V1,
    LOCAL_SUBJECT_ACCESS_REVIEW,
    SELF_SUBJECT_ACCESS_REVIEW,
    SELF_SUBJECT_REVIEW,
    SELF_SUBJECT_RULES_REVIEW,
    SUBJECT_ACCESS_REVIEW,
    TOKEN_REVIEW,
)
from engine.api.kinds import KindInfo

#: kube-apiserver's group priorities (`DefaultGenericAPIServicePriorities`, the aggregator's
#: apiVersionPriorities): `/apis` lists groups from the highest, the core group first.
GROUP_PRIORITY: dict[str, int] = {
    "": 18000, "apiregistration.k8s.io": 18000, "apps": 17800, "events.k8s.io": 17750,
    "authentication.k8s.io": 17700, "authorization.k8s.io": 17600, "autoscaling": 17500, "batch": 17400,
    "certificates.k8s.io": 17300, "networking.k8s.io": 17200, "policy": 17100, "rbac.authorization.k8s.io": 17000,
    "storage.k8s.io": 16800, "apiextensions.k8s.io": 16700, "admissionregistration.k8s.io": 16700,
    "scheduling.k8s.io": 16600, "coordination.k8s.io": 16500, "node.k8s.io": 16300, "discovery.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100, "resource.k8s.io": 15900,
}


class ResourceTable:
    """The served resources by group/version (discovery order) and by URL path."""

    def __init__(self) -> None:
        by_gv: dict[tuple[str, str], list[KindInfo]] = {gv: kinds.in_group_version(*gv) for gv in kinds.group_versions()}
        for info in API_ONLY:
            by_gv.setdefault((info.group, info.version), []).append(info)
        order = sorted(by_gv, key=lambda gv: (gv[0] != "", -GROUP_PRIORITY.get(gv[0], 0)))  # (stable otherwise)
        self.by_gv: dict[tuple[str, str], list[KindInfo]] = {
            gv: sorted(by_gv[gv], key=lambda i: i.resource) for gv in order}
        self._api_only = {(i.group, i.version, i.resource): i for i in API_ONLY}

    def lookup(self, group: str, version: str, resource: str) -> KindInfo | None:
        return kinds.by_resource(group, version, resource) or self._api_only.get((group, version, resource))

    def groups(self) -> list[str]:
        """API group names other than core, in discovery order."""
        return list(dict.fromkeys(g for g, _ in self.by_gv if g))

    def versions(self, group: str) -> list[str]:
        return [v for g, v in self.by_gv if g == group]

    @staticmethod
    def view(info: KindInfo) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        """How a resource served from another kind's objects shows them (events.k8s.io/v1
        Events from the core Events), or None for a kind served as stored."""
        return eventsv1.from_core if info is EVENTS_V1 else None
