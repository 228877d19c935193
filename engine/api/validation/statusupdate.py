"""What a write to a `status` or `finalize` subresource is validated against: each status
strategy's ValidateUpdate (pkg/apis/apps/validation ValidateXStatusUpdate,
pkg/apis/core/validation ValidateNamespaceFinalizeUpdate), not the spec's validation (the
status strategies keep the spec, so it cannot have changed).

The workloads' counts are int32s a controller writes; a negative one, or more ready than
there are replicas, is refused as kube-apiserver refuses `kubectl patch deploy redis
--subresource=status -p '{"status":{"replicas":-1}}'`. A status write may change the metadata
(the status strategies keep only the spec, and a few a field of it), so ValidateObjectMetaUpdate
checks its labels, annotations and ownerReferences (`object_meta_update_errors`) first.
"""
from __future__ import annotations

from typing import Any, Callable

from engine.api.validation.errors import FieldError, forbidden, invalid, not_supported, required
from engine.api.validation.metadata import (
    nonneg,
    validate_annotations,
    validate_labels,
    validate_owner_references,
)
from engine.api.validation.names import is_dns1123_subdomain, is_qualified_name, is_valid_ip, parse_ip
from engine.api.validation.values import as_dict, as_list, as_str_map, is_int

_GREATER = "cannot be greater than status.replicas"
#: helper.IsStandardFinalizerName: the finalizers that need no domain.
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def _count(status: dict, name: str) -> int:
    """An int32 of the status as Go reads it: absent is 0."""
    value = status.get(name)
    return value if is_int(value) else 0


def _nonneg(status: dict, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[FieldError]:
    """ValidateNonnegativeField of each count (the pointer ones, `optional`, only when set)."""
    out: list[FieldError] = []
    for name in names:
        out.extend(nonneg(_count(status, name), f"status.{name}"))
    for name in optional:
        if status.get(name) is not None:
            out.extend(nonneg(status[name], f"status.{name}"))
    return out


def _not_above(status: dict, names: tuple[str, ...]) -> list[FieldError]:
    """Each count no greater than status.replicas."""
    replicas = _count(status, "replicas")
    return [invalid(f"status.{n}", _count(status, n), _GREATER) for n in names if _count(status, n) > replicas]


def _collision_decremented(status: dict, old_status: dict) -> list[FieldError]:
    """apivalidation.IsDecremented of status.collisionCount (a pointer: unset after set is too)."""
    new, old = status.get("collisionCount"), old_status.get("collisionCount")
    if old is None or not is_int(old) or (is_int(new) and new >= old):
        return []
    return [invalid("status.collisionCount", new if is_int(new) else 0, "cannot be decremented")]


def _available_above_ready(status: dict) -> list[FieldError]:
    if _count(status, "availableReplicas") > _count(status, "readyReplicas"):
        return [invalid("status.availableReplicas", _count(status, "availableReplicas"),
                        "cannot be greater than readyReplicas")]
    return []


def deployment_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateDeploymentStatusUpdate (ValidateDeploymentStatus, then collisionCount)."""
    status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))
    return [*_nonneg(status, ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                              "availableReplicas", "unavailableReplicas"), ("collisionCount",)),
            *_not_above(status, ("updatedReplicas", "readyReplicas", "availableReplicas")),
            *_available_above_ready(status),
            *_collision_decremented(status, old_status)]


def replicaset_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateReplicaSetStatusUpdate (ValidateReplicaSetStatus)."""
    status = as_dict(new.get("status"))
    return [*_nonneg(status, ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                              "observedGeneration")),
            *_not_above(status, ("fullyLabeledReplicas", "readyReplicas", "availableReplicas")),
            *_available_above_ready(status)]


def statefulset_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateStatefulSetStatusUpdate (ValidateStatefulSetStatus, then collisionCount)."""
    status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))
    return [*_nonneg(status, ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas"),
                     ("observedGeneration", "collisionCount")),
            *_not_above(status, ("readyReplicas", "currentReplicas", "updatedReplicas")),
            *_collision_decremented(status, old_status)]


def daemonset_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateDaemonSetStatusUpdate (validateDaemonSetStatus, then collisionCount)."""
    status, old_status = as_dict(new.get("status")), as_dict(old.get("status"))
    return [*_nonneg(status, ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled",
                              "numberReady", "observedGeneration", "updatedNumberScheduled", "numberAvailable",
                              "numberUnavailable"), ("collisionCount",)),
            *_collision_decremented(status, old_status)]


def namespace_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateNamespaceStatusUpdate: the phase follows the deletionTimestamp (its path is
    upstream's `status.Phase`, capital P)."""
    phase = as_dict(new.get("status")).get("phase") or ""
    if not as_dict(new.get("metadata")).get("deletionTimestamp"):
        if phase != "Active":
            return [invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty")]
    elif phase != "Terminating":
        return [invalid("status.Phase", phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")]
    return []


#: supportedLoadBalancerIPMode, sorted as sets.List prints it.
LOAD_BALANCER_IP_MODES = ("Proxy", "VIP")


def service_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateServiceStatusUpdate's ValidateLoadBalancerStatus: ingress only on a
    LoadBalancer (AllowServiceLBStatusOnNonLB is locked off since 1.32), each a valid IP with
    an ipMode (defaulted to VIP), or a DNS name that is not an IP."""
    ingress = as_list(as_dict(as_dict(new.get("status")).get("loadBalancer")).get("ingress"))
    if ingress and as_dict(new.get("spec")).get("type") != "LoadBalancer":
        return [forbidden("status.loadBalancer.ingress", "may only be used when `spec.type` is 'LoadBalancer'")]
    out: list[FieldError] = []
    for i, item in enumerate(ingress):
        at, item = f"status.loadBalancer.ingress[{i}]", as_dict(item)
        ip, mode, hostname = item.get("ip") or "", item.get("ipMode"), item.get("hostname") or ""
        if ip:
            out.extend(is_valid_ip(f"{at}.ip", ip))
        if mode is None:
            if ip:
                out.append(required(f"{at}.ipMode", "must be specified when `ip` is set"))
        elif not ip:
            out.append(forbidden(f"{at}.ipMode", "may not be specified when `ip` is not set"))
        elif mode not in LOAD_BALANCER_IP_MODES:
            out.append(not_supported(f"{at}.ipMode", mode, LOAD_BALANCER_IP_MODES))
        if hostname:
            out.extend(invalid(f"{at}.hostname", hostname, m) for m in is_dns1123_subdomain(hostname))
            if parse_ip(hostname) is not None:
                out.append(invalid(f"{at}.hostname", hostname, "must be a DNS name, not an IP address"))
    return out


STATUS_UPDATE: dict[str, Callable[[dict, dict], list[FieldError]]] = {
    "Service": service_status_update,
    "Namespace": namespace_status_update,
    "Deployment": deployment_status_update,
    "ReplicaSet": replicaset_status_update,
    "StatefulSet": statefulset_status_update,
    "DaemonSet": daemonset_status_update,
}


def object_meta_update_errors(new: dict) -> list[FieldError]:
    """ValidateObjectMetaUpdate's checks of what an update may change: labels, annotations,
    ownerReferences (what it may not change, update_object keeps; new finalizers on an object
    being deleted are the API server's `_finalizers_frozen`)."""
    md = as_dict(new.get("metadata"))
    return [*validate_labels(as_str_map(md.get("labels")), "metadata.labels"),
            *validate_annotations(md.get("annotations"), "metadata.annotations"),
            *validate_owner_references(md.get("ownerReferences"), "metadata.ownerReferences")]


def status_update_errors(new: dict, old: dict) -> list[FieldError]:
    """The kind's status strategy's ValidateUpdate: the metadata, then the status (kinds
    svcflow has no status validator for: the metadata only)."""
    check = STATUS_UPDATE.get(new.get("kind", ""))
    meta_errors = object_meta_update_errors(new)
    if new.get("kind") == "StatefulSet":  # (ValidateStatefulSetStatusUpdate: the status first)
        return [*(check(new, old) if check else []), *meta_errors]
    return [*meta_errors, *(check(new, old) if check else [])]


def namespace_finalize_errors(new: dict) -> list[FieldError]:
    """ValidateNamespaceFinalizeUpdate: each of spec.finalizers a qualified name, and one
    without a `/` one of the standard ones (validateKubeFinalizerName)."""
    out: list[FieldError] = []
    spec: Any = as_dict(new.get("spec"))
    for i, name in enumerate(spec.get("finalizers") or ()):
        if not isinstance(name, str):
            continue
        path = f"spec.finalizers[{i}]"
        out.extend(invalid(path, name, m) for m in is_qualified_name(name))
        if "/" not in name and name not in STANDARD_FINALIZERS:
            out.append(invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return out
