"""API discovery, in both formats client-go reads (apiserver-spec §1).

kubectl 1.32+ asks `/api` and `/apis` for aggregated discovery (apidiscovery.k8s.io/v2) and
decides by the response's Content-Type; older clients and CoreDNS read the legacy
`APIVersions` / `APIGroupList` / per group-version `APIResourceList`. Both are generated
from `resources.ResourceTable`, so they list the same resources in the same order.
"""
from __future__ import annotations

from typing import Any

from engine.api.kinds import KindInfo
from engine.kapi.resources import ResourceTable

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> str | None:
    """The aggregated media type the client accepts (v2 before v2beta1), or None."""
    parts = [p.replace(" ", "") for p in accept.split(",")]
    for want, version in ((AGGREGATED_V2, "v2"), (AGGREGATED_V2BETA1, "v2beta1")):
        for p in parts:
            params = set(p.split(";"))
            if {"g=apidiscovery.k8s.io", f"v={version}", "as=APIGroupDiscoveryList"} <= params:
                return want
    return None


def _response_kind(info: KindInfo, group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group if version else info.group, "version": version or info.version, "kind": kind}


def _aggregated_resource(s: KindInfo) -> dict[str, Any]:
    info = s
    out: dict[str, Any] = {
        "resource": s.resource,
        "responseKind": {"group": info.group, "version": info.version, "kind": info.kind},
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": s.singular,
        "verbs": list(s.verbs),
    }
    if s.short_names:
        out["shortNames"] = list(s.short_names)
    if s.categories:
        out["categories"] = list(s.categories)
    if s.subresources:
        out["subresources"] = [{"subresource": sub.name,
                                "responseKind": _response_kind(s, sub.group, sub.version, sub.kind),
                                "verbs": list(sub.verbs)} for sub in s.subresources]
    return out


def _aggregated_group(table: ResourceTable, group: str, media: str) -> dict[str, Any]:
    versions = [{"version": v, "resources": [_aggregated_resource(s) for s in table.by_gv[(group, v)]],
                 "freshness": "Current"} for v in table.versions(group)]
    return {"metadata": {"name": group} if group else {}, "versions": versions}


def aggregated(table: ResourceTable, legacy_core: bool, media: str) -> dict[str, Any]:
    """`/api` (the core group alone) or `/apis` (every named group) as APIGroupDiscoveryList."""
    groups = [""] if legacy_core else table.groups()
    api_version = "apidiscovery.k8s.io/v2" if media == AGGREGATED_V2 else "apidiscovery.k8s.io/v2beta1"
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {},
            "items": [_aggregated_group(table, g, media) for g in groups]}


def api_versions(server_address: str) -> dict[str, Any]:
    """Legacy `/api`."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(table: ResourceTable, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in table.versions(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(table: ResourceTable) -> dict[str, Any]:
    """Legacy `/apis`."""
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(table, g) for g in table.groups()]}


def api_group(table: ResourceTable, group: str) -> dict[str, Any] | None:
    """Legacy `/apis/GROUP`."""
    if group not in table.groups():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(table, group)}


def api_resource_list(table: ResourceTable, group: str, version: str) -> dict[str, Any] | None:
    """Legacy `/api/v1`, `/apis/G/V`: resources, then their subresources as `pods/exec`."""
    served = table.by_gv.get((group, version))
    if served is None:
        return None
    resources: list[dict[str, Any]] = []
    for s in served:
        r: dict[str, Any] = {"name": s.resource, "singularName": s.singular, "namespaced": s.namespaced,
                             "kind": s.kind, "verbs": list(s.verbs)}
        if s.short_names:
            r["shortNames"] = list(s.short_names)
        if s.categories:
            r["categories"] = list(s.categories)
        resources.append(r)
        for sub in s.subresources:
            entry: dict[str, Any] = {"name": f"{s.resource}/{sub.name}", "singularName": "",
                                     "namespaced": s.namespaced, "kind": sub.kind, "verbs": list(sub.verbs)}
            if sub.version and (sub.group, sub.version) != (group, version):
                entry["group"], entry["version"] = sub.group, sub.version
            resources.append(entry)
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
