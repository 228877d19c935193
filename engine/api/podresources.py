"""What a pod requests and limits, summed over its containers (k8s.io/component-helpers/resource
PodRequests / PodLimits): the one computation kube-scheduler's NodeResourcesFit filters on and
`kubectl describe node` prints per pod.

The app containers' values are summed; an init container runs alone before them, so only the
largest counts -- except a sidecar (an init container with `restartPolicy: Always`), which
keeps running beside the later init containers and the app, so it is added as well; then the
pod's overhead (to every request; only to the limits that are set). Quantities keep the format of the first one summed (what describe prints).
"""
from __future__ import annotations

from engine.api.quantity import Quantity, parse_quantity

ResourceList = dict[str, Quantity]


def add_resource_list(total: ResourceList, more: object) -> None:
    """addResourceList: the first quantity seen fixes the printed format. Values that are not
    quantities (the API server refuses them at decoding) count as nothing."""
    if not isinstance(more, dict):
        return
    for name, raw in more.items():
        q = parse_quantity(raw)
        if q is None:
            continue
        total[name] = total[name] + q if name in total else q


def max_resource_list(total: ResourceList, more: ResourceList) -> None:
    """maxResourceList: a quantity replaces the one held only when it is larger."""
    for name, q in more.items():
        if name not in total or q > total[name]:
            total[name] = q


def _resources(container: object, key: str) -> object:
    res = container.get("resources") if isinstance(container, dict) else None
    return res.get(key) if isinstance(res, dict) else None


def _pod_values(pod: dict, key: str, pod_level: bool) -> ResourceList:
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    total: ResourceList = {}
    for c in spec.get("containers") or []:
        add_resource_list(total, _resources(c, key))
    sidecars: ResourceList = {}
    init_max: ResourceList = {}
    for c in spec.get("initContainers") or []:
        mine: ResourceList = {}
        add_resource_list(mine, _resources(c, key))
        if isinstance(c, dict) and c.get("restartPolicy") == "Always":
            add_resource_list(total, _resources(c, key))
            add_resource_list(sidecars, _resources(c, key))
            running = dict(sidecars)
        else:
            running = dict(mine)
            for name, q in sidecars.items():
                running[name] = running[name] + q if name in running else q
        max_resource_list(init_max, running)
    max_resource_list(total, init_max)
    if pod_level:  # (spec.resources: the PodLevelResources gate; kubectl reads it when set)
        pod_res = spec.get("resources")
        for name, raw in ((pod_res.get(key) if isinstance(pod_res, dict) else None) or {}).items():
            q = parse_quantity(raw)
            if name in ("cpu", "memory") and q is not None:
                total[name] = q
    overhead = spec.get("overhead")
    if key == "requests":
        add_resource_list(total, overhead)
    elif isinstance(overhead, dict):  # (limits: only those set, and not zero, grow by the overhead)
        for name, raw in overhead.items():
            q = parse_quantity(raw)
            if q is not None and name in total and total[name].value != 0:
                total[name] = total[name] + q
    return total


def pod_requests(pod: dict, *, pod_level: bool = False) -> ResourceList:
    """PodRequests. `pod_level`: pod-level `spec.resources` win for cpu and memory, as kubectl's
    resourcehelper reads them (kube-scheduler v1.33 ignores them: the gate is off)."""
    return _pod_values(pod, "requests", pod_level)


def pod_limits(pod: dict, *, pod_level: bool = False) -> ResourceList:
    """PodLimits (see pod_requests)."""
    return _pod_values(pod, "limits", pod_level)
