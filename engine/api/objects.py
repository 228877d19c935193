"""Small helpers over Kubernetes-shaped dicts (the vocabulary controllers share)."""
from __future__ import annotations

from typing import Any

from engine.api.store import json_copy


def clone(obj: dict) -> dict:
    """A private copy to modify before writing it back through the store."""
    return json_copy(obj)


def evolve(obj: dict, *deep: str) -> dict:
    """The next version of a stored object, sharing what it does not change.

    A shallow copy with its own `metadata` dict (the store stamps resourceVersion
    there) and private deep copies of the top-level fields named in `deep`; everything
    else is shared with the stored version, which nobody mutates. For the controllers
    that rewrite one part of an object many times (the kubelet writes a pod's status
    four times on the way to Ready): the spec is not copied each time."""
    new = dict(obj)
    new["metadata"] = dict(obj.get("metadata") or {})
    for f in deep:
        if f in obj:
            new[f] = json_copy(obj[f])
    return new


def meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def name_of(obj: dict) -> str:
    return meta(obj).get("name", "")


def ns_of(obj: dict) -> str:
    return meta(obj).get("namespace") or ""


def labels_of(obj: dict) -> dict[str, str]:
    return meta(obj).get("labels") or {}


def uid_of(obj: dict) -> str:
    return meta(obj).get("uid", "")




def owner_ref(owner: dict, *, controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": name_of(owner),
        "uid": uid_of(owner), "controller": controller, "blockOwnerDeletion": True,
    }


def controller_uid(obj: dict) -> str | None:
    for o in meta(obj).get("ownerReferences") or ():
        if o.get("controller"):
            return o.get("uid")
    return None


def is_terminating(obj: dict) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def pod_phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase", "Pending")


def condition(obj: dict, ctype: str) -> dict | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def pod_is_ready(pod: dict) -> bool:
    c = condition(pod, "Ready")
    return bool(c and c.get("status") == "True")


def pod_is_active(pod: dict) -> bool:
    """Counts toward a ReplicaSet's replicas: not terminal and not being deleted."""
    return pod_phase(pod) not in ("Succeeded", "Failed") and not is_terminating(pod)


def set_condition(status: dict, ctype: str, value: str, now: str, *, reason: str | None = None,
                  message: str | None = None, probe_time: bool = True) -> None:
    """Upsert a condition, moving lastTransitionTime only when the status flips."""
    conds = status.setdefault("conditions", [])
    for c in conds:
        if c["type"] == ctype:
            if c["status"] != value:
                c["lastTransitionTime"] = now
            c["status"] = value
            if probe_time:
                c["lastProbeTime"] = None
            _set_opt(c, "reason", reason)
            _set_opt(c, "message", message)
            return
    c: dict[str, Any] = {"type": ctype, "status": value}
    if probe_time:
        c["lastProbeTime"] = None
    c["lastTransitionTime"] = now
    _set_opt(c, "reason", reason)
    _set_opt(c, "message", message)
    conds.append(c)


def _set_opt(d: dict, k: str, v: Any) -> None:
    if v is None:
        d.pop(k, None)
    else:
        d[k] = v
