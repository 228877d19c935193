"""The managedFields of the writes the cluster's own components make, as kind records them:
`kube-controller-manager` (the pods a ReplicaSet, StatefulSet, DaemonSet or Job creates, the
ReplicaSets a Deployment creates, the workloads' status, EndpointSlices and Endpoints),
`kubelet` (a pod's status) and `kube-scheduler` (a pod it could not place).

svcflow's controllers write the store directly, at a rate of hundreds of thousands of
objects on a cold start; recording a field set on each of those writes would cost memory
and time nobody sees. The entries are worked out when an object is SERVED instead (the API
server's read path, engine.kapi.reads) from what the object holds: what the controller
created is the object less what admission and the scheduler added; what the kubelet owns is
the status as it differs from the one the pod was bound with. Their time is the object's
own (creation, the latest condition), not the time of the component's last write.
Stored entries (the users' writes) are served as they are and a component's entry is only
added when none of its identity is stored.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from engine.api.wellknown import SERVICE_ACCOUNT_VOLUME_PREFIX
from engine.kapi import fieldmanager, fieldpaths
from engine.kapi.fieldmanager import Path

CONTROLLER_MANAGER = "kube-controller-manager"
KUBELET = "kubelet"
SCHEDULER = "kube-scheduler"
assert fieldmanager.COMPONENTS == {CONTROLLER_MANAGER, KUBELET, SCHEDULER}
_API_VERSIONS = {"Pod": "v1", "Endpoints": "v1", "EndpointSlice": "discovery.k8s.io/v1", "Deployment": "apps/v1",
                 "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1"}
_WORKLOADS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"})
#: The tolerations DefaultTolerationSeconds adds (admission, after the field manager).
_ADMITTED_TOLERATIONS = frozenset({"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"})
_SLICE_CONTROLLER = "endpointslice-controller.k8s.io"


def _controller(md: dict) -> dict | None:
    for ref in md.get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def _latest(items: Iterable[Any], *keys: str) -> str | None:
    times = [i.get(k) for i in items if isinstance(i, dict) for k in keys if isinstance(i.get(k), str)]
    return max(times) if times else None


def _fields(old: Any, new: Any, kind: str, keep=fieldmanager.main_resource) -> set[Path]:
    cmp = fieldmanager.compare(old, new, kind)
    return {p for p in cmp.added | cmp.modified if keep(p)}


def _pod_as_created(pod: dict) -> dict:
    """A controller's pod as it sent it: without the service account admission's volume,
    mounts and account, the default tolerations, priority and the node it was bound to."""
    spec = dict(pod.get("spec") or {})
    for f in ("nodeName", "priority", "preemptionPolicy"):
        spec.pop(f, None)
    if spec.get("serviceAccountName") == "default":
        spec.pop("serviceAccountName", None)
        spec.pop("serviceAccount", None)
    tolerations = [t for t in spec.get("tolerations") or () if not (
        isinstance(t, dict) and t.get("key") in _ADMITTED_TOLERATIONS and t.get("tolerationSeconds") == 300)]
    if tolerations:
        spec["tolerations"] = tolerations
    else:
        spec.pop("tolerations", None)
    volumes = [v for v in spec.get("volumes") or () if not str((v or {}).get("name", "")).startswith(
        SERVICE_ACCOUNT_VOLUME_PREFIX)]
    if volumes:
        spec["volumes"] = volumes
    else:
        spec.pop("volumes", None)
    for key in ("containers", "initContainers"):
        if isinstance(spec.get(key), list):
            spec[key] = [_container_as_created(c) for c in spec[key]]
    md = pod["metadata"]
    return {"metadata": {k: md[k] for k in ("generateName", "labels", "annotations", "ownerReferences") if k in md},
            "spec": spec}


def _container_as_created(c: Any) -> Any:
    if not isinstance(c, dict) or not c.get("volumeMounts"):
        return c
    mounts = [m for m in c["volumeMounts"] if not str((m or {}).get("name", "")).startswith(
        SERVICE_ACCOUNT_VOLUME_PREFIX)]
    out = dict(c)
    if mounts:
        out["volumeMounts"] = mounts
    else:
        out.pop("volumeMounts")
    return out


def _bound_status(pod: dict) -> dict:
    """The status a pod has once bound, before its kubelet writes: Pending, its QoS class and
    the scheduler's PodScheduled condition."""
    status = pod.get("status") or {}
    scheduled = [c for c in status.get("conditions") or () if isinstance(c, dict) and c.get("type") == "PodScheduled"]
    out: dict[str, Any] = {"phase": "Pending"}
    if "qosClass" in status:
        out["qosClass"] = status["qosClass"]
    if scheduled:
        out["conditions"] = scheduled
    return out


def _pod_made_fields(pod: dict) -> dict:
    return fieldpaths.to_fields_v1(_fields(fieldmanager.zero_value("Pod"), _pod_as_created(pod), "Pod"))


def _made_key(pod: dict) -> tuple | None:
    """What a controller's pod's field set is decided by: its owner and the template's
    revision (the labels), its generateName and annotation keys; the values of a template's
    fields differ from pod to pod (a StatefulSet's hostname, a DaemonSet's node), not the fields."""
    md = pod["metadata"]
    ref = _controller(md)
    if ref is None:
        return None
    labels = md.get("labels") or {}
    return (ref.get("uid"), md.get("generateName"), tuple(sorted(labels.items())), tuple(sorted(md.get("annotations") or ())))


def _status_key(status: dict) -> tuple:
    """What the kubelet's field set of a status is decided by, but its pod IPs (keys of their own)."""
    # (a condition's members by their number: a kubelet writes each type with the same ones)
    conditions = tuple((c.get("type"), len(c)) for c in status.get("conditions") or () if isinstance(c, dict))
    return (tuple(status), conditions, status.get("phase") == "Pending")


def _kubelet_fields(pod: dict) -> dict:
    status = {k: v for k, v in (pod.get("status") or {}).items() if k != "podIPs"}
    bound = {"status": _bound_status(pod)}
    return fieldpaths.to_fields_v1(_fields(bound, {"status": status}, "Pod", fieldmanager.status_subresource))


_IP_MEMBERS: dict = {".": {}, "f:ip": {}}  # (shared by every pod's tree: served trees are only read)


def _with_pod_ips(tree: dict, status: dict) -> dict:
    """The kubelet's tree with its pod's IPs (`podIPs` is a list keyed by `ip`)."""
    ips = [p.get("ip") for p in status.get("podIPs") or () if isinstance(p, dict)]
    if not ips:
        return tree
    pod_ips: dict[str, Any] = {".": {}}
    for ip in ips:
        pod_ips['k:{"ip":' + json.dumps(ip) + "}"] = _IP_MEMBERS
    return {**tree, "f:status": {**tree.get("f:status", {}), "f:podIPs": pod_ips}}


def _pod_entries(pod: dict, memo: "Memo") -> list[dict]:
    md, status = pod["metadata"], pod.get("status") or {}
    out = []
    created = md.get("creationTimestamp") or ""
    key = _made_key(pod)
    if key is not None:
        tree = memo.get(("made", key), lambda: _pod_made_fields(pod))
        out.append(fieldmanager.entry(CONTROLLER_MANAGER, "Update", "v1", created, tree))
    conditions = [c for c in status.get("conditions") or () if isinstance(c, dict)]
    unschedulable = [c for c in conditions if c.get("type") == "PodScheduled" and c.get("status") == "False"]
    if unschedulable:
        fields = _fields({"status": {"phase": "Pending"}}, {"status": {"phase": "Pending", "conditions": unschedulable}},
                         "Pod", fieldmanager.status_subresource)
        out.append(fieldmanager.entry(SCHEDULER, "Update", "v1", _latest(unschedulable, "lastTransitionTime") or created,
                                      fields, "status"))
    else:
        tree = _with_pod_ips(memo.get(("kubelet", _status_key(status)), lambda: _kubelet_fields(pod)), status)
        if tree:
            out.append(fieldmanager.entry(KUBELET, "Update", "v1", _latest(conditions, "lastTransitionTime") or created,
                                          tree, "status"))
    return out


class Memo:
    """Field trees already worked out, by what decides them (a pod's owner and template, a
    status's shape): the pods of one template are served without walking each one. Bounded:
    it starts over past `limit` entries."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._trees: dict[tuple, dict] = {}

    def get(self, key: tuple, make: Callable[[], dict]) -> dict:
        tree = self._trees.get(key)
        if tree is None:
            if len(self._trees) >= self.limit:
                self._trees.clear()
            tree = self._trees[key] = make()
        return tree


def _workload_entries(obj: dict) -> list[dict]:
    kind, md = obj["kind"], obj["metadata"]
    api_version, created = _API_VERSIONS[kind], md.get("creationTimestamp") or ""
    out = []
    if kind == "ReplicaSet" and _controller(md) is not None:  # (the Deployment controller's ReplicaSet)
        made = {"metadata": {k: md[k] for k in ("labels", "annotations", "ownerReferences") if k in md},
                "spec": obj.get("spec") or {}}
        out.append(fieldmanager.entry(CONTROLLER_MANAGER, "Update", api_version, created,
                                      _fields(fieldmanager.zero_value(kind), made, kind)))
    status = obj.get("status") or {}
    if status:
        before: dict[str, Any] = {"status": {}}
        after: dict[str, Any] = {"status": status}
        revision = (md.get("annotations") or {}).get("deployment.kubernetes.io/revision")
        if kind == "Deployment" and revision is not None:  # (written with the status, by UpdateStatus)
            others = {k: v for k, v in md["annotations"].items() if k != "deployment.kubernetes.io/revision"}
            before["metadata"] = {"annotations": others} if others else {}
            after["metadata"] = {"annotations": {**others, "deployment.kubernetes.io/revision": revision}}
        fields = _fields(before, after, kind, fieldmanager.status_subresource)
        when = _latest(status.get("conditions") or (), "lastUpdateTime", "lastTransitionTime") or created
        out.append(fieldmanager.entry(CONTROLLER_MANAGER, "Update", api_version, when, fields, "status"))
    return out


def _made_entry(obj: dict) -> list[dict]:
    """An object the controller manager creates and keeps whole (EndpointSlice, Endpoints)."""
    kind, md = obj["kind"], obj["metadata"]
    made = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    made["metadata"] = {k: md[k] for k in ("generateName", "labels", "annotations", "ownerReferences") if k in md}
    return [fieldmanager.entry(CONTROLLER_MANAGER, "Update", _API_VERSIONS[kind], md.get("creationTimestamp") or "",
                               _fields(fieldmanager.zero_value(kind), made, kind))]


def component_entries(obj: dict, memo: Memo, is_controlled_endpoints: bool = False) -> list[dict]:
    """The cluster components' managedFields entries for `obj`."""
    kind = obj.get("kind")
    if kind == "Pod":
        return _pod_entries(obj, memo)
    if kind in _WORKLOADS:
        return _workload_entries(obj)
    if kind == "EndpointSlice" and ((obj["metadata"].get("labels") or {}).get(
            "endpointslice.kubernetes.io/managed-by") == _SLICE_CONTROLLER):
        return _made_entry(obj)
    if kind == "Endpoints" and is_controlled_endpoints:
        return _made_entry(obj)
    return []


def served(obj: dict, memo: Memo, is_controlled_endpoints: bool = False) -> dict:
    """`obj` as the API serves it: its stored managedFields and the components' entries of
    identities not stored, in upstream's order (a new dict; the stored object is untouched)."""
    if obj.get("kind") not in _API_VERSIONS:
        return obj
    md = obj.get("metadata")
    if not isinstance(md, dict):
        return obj
    extra = component_entries(obj, memo, is_controlled_endpoints)
    if not extra:
        return obj
    stored = [e for e in md.get("managedFields") or () if isinstance(e, dict)]
    if stored:
        have = {fieldmanager.identity(e) for e in stored}
        extra = [e for e in extra if fieldmanager.identity(e) not in have]
        if not extra:
            return obj
    return {**obj, "metadata": {**md, "managedFields": fieldmanager.sort_entries(stored + extra)}}


class ComponentFields:
    """The components' entries as one cluster's API serves them (engine.kapi.context holds one)."""

    #: Objects whose served managedFields are kept (a list of 100,000 pods asks each once).
    KEEP = 400_000

    def __init__(self, store: Any) -> None:
        self.store = store
        self.memo = Memo()
        # (kind, namespace, name, uid, resourceVersion, controlled) -> the served managedFields
        # (None: served as stored). A stored object is never changed, only replaced with a
        # new resourceVersion, so a version's entries are computed once, as kube-apiserver
        # stores them with the object instead of deriving them on each read: at 10,000
        # Services the pods' entries cost the served lists ~10 s of CPU per full listing.
        self._served: dict[tuple, list | None] = {}

    def served(self, obj: dict) -> dict:
        """`served` for an object of the store: Endpoints are the controller's when a Service of
        theirs has a selector (the endpoints controller keeps only those)."""
        md = obj.get("metadata")
        if not isinstance(md, dict) or obj.get("kind") not in _API_VERSIONS:
            return obj  # (no component writes it: nothing to look up, nothing to keep)
        controlled = False
        if obj.get("kind") == "Endpoints":
            svc = self.store.get("Service", md.get("namespace") or "", md.get("name") or "")
            controlled = bool(svc and (svc.get("spec") or {}).get("selector"))
        key = (obj.get("kind"), md.get("namespace"), md.get("name"), md.get("uid"), md.get("resourceVersion"),
               controlled)
        if key in self._served:
            fields = self._served[key]
            return obj if fields is None else {**obj, "metadata": {**md, "managedFields": fields}}
        out = served(obj, self.memo, controlled)
        if len(self._served) >= self.KEEP:
            self._served.clear()
        self._served[key] = None if out is obj else out["metadata"]["managedFields"]
        return out
