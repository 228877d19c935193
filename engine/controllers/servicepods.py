"""What the Endpoints and EndpointSlice controllers share (steps 1 and 2 of the Service flow):
both watch Services and Pods, collect the pods of a Service's namespace whose labels match its
selector (`ServiceSelectorIndex`, one informer for both), and resolve each Service port's
targetPort per pod (a named targetPort that a pod does not declare leaves that pod out for
that port). Selector-less Services are left to the user; their Endpoints are mirrored into
slices.
"""
from __future__ import annotations

import ipaddress

from engine.api.labels import service_selects
from engine.api.objects import labels_of, meta, pod_phase
from engine.api.wellknown import HEADLESS_LABEL
from engine.controllers.base import Controller, key_for
from engine.controllers.context import ControllerContext

MAX_ENDPOINTS_PER_SLICE = 100
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
MIRROR_CONTROLLER = "endpointslicemirroring-controller.k8s.io"


def resolve_target_port(svc_port: dict, pod: dict) -> int | None:
    """podutil.FindPort: a number is used as is; a name is looked up among the pod's
    container ports with the same protocol."""
    tp = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(tp, int):
        return tp
    if isinstance(tp, str) and tp.isdigit():
        return int(tp)
    proto = svc_port.get("protocol", "TCP")
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for c in containers:
        for p in c.get("ports") or []:
            if p.get("name") == tp and p.get("protocol", "TCP") == proto:
                return int(p["containerPort"])
    return None


def endpoint_port(svc_port: dict, number: int) -> dict:
    out: dict = {}
    if svc_port.get("name"):
        out["name"] = svc_port["name"]
    out["port"] = number
    out["protocol"] = svc_port.get("protocol", "TCP")
    if svc_port.get("appProtocol"):
        out["appProtocol"] = svc_port["appProtocol"]
    return out


def candidate_pods(store, svc: dict) -> list[dict]:
    """Pods of the Service's namespace that the selector matches and that have an IP
    (found through the store's pod label index: the cost is the matching pods, not the
    namespace)."""
    sel = svc["spec"].get("selector") or {}
    ns = meta(svc).get("namespace") or ""
    out = []
    for p in store.select("Pod", ns, sel):
        if pod_phase(p) in ("Succeeded", "Failed") or not (p.get("status") or {}).get("podIP"):
            continue
        out.append(p)
    return out


def ip_family(ip: str) -> str:
    """The EndpointSlice addressType of a pod IP (the kubelet only reports valid ones)."""
    if ":" in ip:
        return "IPv6"
    if ip.count(".") == 3:
        return "IPv4"
    return "IPv6" if ipaddress.ip_address(ip).version == 6 else "IPv4"


def pod_ip(pod: dict) -> str | None:
    return (pod.get("status") or {}).get("podIP")


def endpoint_view(pod: dict) -> tuple:
    """What the endpoint controllers read of a pod (upstream's podEndpointsChanged plus
    what resolving a named targetPort reads): a status write that changes none of it,
    like the kubelet's Pending -> ContainerCreating, enqueues no Service."""
    md = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    ready = next((c.get("status") for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    return (md.get("labels"), md.get("deletionTimestamp"), md.get("uid"), status.get("podIP"),
            status.get("phase") in ("Succeeded", "Failed"), ready, spec.get("nodeName"), spec.get("hostname"),
            spec.get("subdomain"), spec.get("containers"), spec.get("initContainers"))


def endpoint_hostname_of(pod: dict, svc: dict) -> str | None:
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == meta(svc)["name"]:
        return spec["hostname"]
    return None


def target_ref(pod: dict) -> dict:
    md = meta(pod)
    return {"kind": "Pod", "name": md["name"], "namespace": md.get("namespace"), "uid": md.get("uid")}


def service_managed(svc: dict) -> bool:
    spec = svc.get("spec") or {}
    return spec.get("type") != "ExternalName" and bool(spec.get("selector"))


class ServiceSelectorIndex:
    """Services by the label pairs of their selectors, kept from the Service watch; one
    per cluster, made where the controllers are assembled and handed to both the
    Endpoints and EndpointSlice controllers (upstream's shared Service informer).

    A pod event then only looks at the Services that select one of its labels instead of
    every Service of the namespace (the real controllers walk a lister; at 5,000 Services
    a namespace that is the difference between O(1) and O(S) per pod change), and the
    two controllers reuse one answer per event."""

    def __init__(self, store) -> None:
        self._selectors: dict[str, dict] = {}  # ns/name -> selector
        self._by_pair: dict[tuple[str, str, str], set[str]] = {}  # (ns, k, v) -> {ns/name}
        self._last: tuple[object, list[str]] = (None, [])
        store.watch("Service", self._on_service)

    def _on_service(self, ev) -> None:
        key = key_for(ev.obj)
        ns = meta(ev.obj).get("namespace") or ""
        sel = None if ev.type == "DELETED" else (ev.obj.get("spec") or {}).get("selector")
        old = self._selectors.pop(key, None)
        if old:
            for k, v in old.items():
                keys = self._by_pair.get((ns, k, v))
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._by_pair[(ns, k, v)]
        if sel and isinstance(sel, dict):
            pairs = {k: v for k, v in sel.items() if isinstance(v, str)}
            self._selectors[key] = pairs
            for k, v in pairs.items():
                self._by_pair.setdefault((ns, k, v), set()).add(key)

    def services_for(self, ev) -> list[str]:
        """Keys of the Services whose selector matches the pod's old or new labels, in the
        lister's (name) order -- so reconcile order, and with it the generated names drawn
        from the seeded generator, does not depend on set order."""
        last_ev, keys = self._last
        if last_ev is ev:
            return keys
        keys = []
        if not (ev.old is not None and ev.type == "MODIFIED" and (
                (not pod_ip(ev.obj) and not pod_ip(ev.old))  # in no endpoints, before or after
                or endpoint_view(ev.old) == endpoint_view(ev.obj))):  # podEndpointsChanged
            ns = meta(ev.obj).get("namespace") or ""
            label_sets = [labels_of(ev.obj)] + ([labels_of(ev.old)] if ev.old else [])
            seen: set[str] = set()
            for ls in label_sets:
                for k, v in ls.items():
                    if isinstance(v, str):
                        seen.update(self._by_pair.get((ns, k, v), ()))
            for key in sorted(seen):
                sel = self._selectors.get(key)
                if sel and (service_selects(sel, label_sets[0])
                            or (len(label_sets) > 1 and service_selects(sel, label_sets[1]))):
                    keys.append(key)
        self._last = (ev, keys)
        return keys


class ServicePodWatcher(Controller):
    """Shared watch wiring: Service events enqueue the Service; Pod events enqueue every
    Service of the pod's namespace whose selector matched the old or the new labels."""

    def __init__(self, ctx: ControllerContext, services: ServiceSelectorIndex) -> None:
        super().__init__(ctx)
        self.api, self.clock, self.flow = ctx.api, ctx.clock, ctx.flow
        self._index = services
        self.store.index_labels("Pod")
        self.store.index_labels("EndpointSlice")
        self.store.watch("Service", self._on_service)
        self.store.watch("Pod", self._on_pod)

    def _on_service(self, ev) -> None:
        self.enqueue(key_for(ev.obj))

    _reconciling = False  # True while reconcile writes: those writes are this controller's own

    def reconcile(self, key: str) -> None:
        self._reconciling = True
        try:
            self._reconcile(key)
        finally:
            self._reconciling = False

    def _reconcile(self, key: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _by_someone_else(self, ev) -> bool:
        """A change to an object this controller writes, made by someone else (a user's
        delete or edit): the controller must write it back."""
        return not self._reconciling and ev.type != "ADDED"

    def _on_pod(self, ev) -> None:
        for key in self._index.services_for(ev):
            self.enqueue(key)

    def _labels_for(self, svc: dict) -> dict[str, str]:
        labels = dict(labels_of(svc))
        if svc["spec"].get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        return labels
