"""Endpoints and EndpointSlice controllers: steps 1 and 2 of the Service flow.

Both watch Services and Pods. For a Service with a selector they collect the pods of its
namespace whose labels match, resolve each Service port's targetPort per pod (a named
targetPort that a pod does not declare leaves that pod out for that port), and write:
- `Endpoints` (legacy): ready pods in `addresses`, others in `notReadyAddresses`, grouped
  into subsets by identical port sets, addresses sorted as strings;
- `EndpointSlice`s: at most 100 endpoints each, one per port set, with ready / serving /
  terminating conditions, existing endpoints kept in place and new ones appended to the
  fullest slice that has room; a placeholder slice when nothing matches.
Selector-less Services are left to the user; their Endpoints are mirrored into slices.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from engine.api.labels import service_selects
from engine.api.objects import evolve, is_terminating, labels_of, meta, owner_ref, pod_is_ready, pod_phase
from engine.api.store import shared
from engine.api.wellknown import HEADLESS_LABEL, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, TRIGGER_TIME
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS
from engine.controllers.base import Controller, key_for, split_key
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


def _family(ip: str) -> str:
    """The EndpointSlice addressType of a pod IP (the kubelet only reports valid ones)."""
    if ":" in ip:
        return "IPv6"
    if ip.count(".") == 3:
        return "IPv4"
    return "IPv6" if ipaddress.ip_address(ip).version == 6 else "IPv4"


def _pod_ip(pod: dict) -> str | None:
    return (pod.get("status") or {}).get("podIP")


def _endpoint_view(pod: dict) -> tuple:
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


def _hostname(pod: dict, svc: dict) -> str | None:
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == meta(svc)["name"]:
        return spec["hostname"]
    return None


def _target_ref(pod: dict) -> dict:
    md = meta(pod)
    return {"kind": "Pod", "name": md["name"], "namespace": md.get("namespace"), "uid": md.get("uid")}


def _service_managed(svc: dict) -> bool:
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
                (not _pod_ip(ev.obj) and not _pod_ip(ev.old))  # in no endpoints, before or after
                or _endpoint_view(ev.old) == _endpoint_view(ev.obj))):  # podEndpointsChanged
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


class _ServicePodWatcher(Controller):
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


class EndpointsController(_ServicePodWatcher):
    name = "endpoint-controller"

    def __init__(self, ctx: ControllerContext, services: ServiceSelectorIndex) -> None:
        super().__init__(ctx, services)
        self.store.watch("Endpoints", self._on_endpoints)

    def _on_endpoints(self, ev) -> None:
        """Someone else deleted or changed an Endpoints object: queue its Service, which
        writes it back as it should be (upstream's onEndpointsDelete; a selector-less
        Service's Endpoints belong to the user and are left alone in reconcile)."""
        if self._by_someone_else(ev):
            self.enqueue(key_for(ev.obj))

    def _reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        svc = self.store.get("Service", ns, name)
        current = self.store.get("Endpoints", ns, name)
        if svc is None:
            if current is not None:
                self.api.delete_object("Endpoints", ns, name)
                self.flow(self.name, current, "deleted", "service is gone", step=STEP_ENDPOINTS)
            return
        if not _service_managed(svc):
            return
        pods = candidate_pods(self.store, svc)
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        subsets = self.compute_subsets(svc, [p for p in pods if publish or not is_terminating(p)])
        labels = self._labels_for(svc)
        if current is not None and current.get("subsets", []) == subsets and labels_of(current) == labels:
            return
        ready_ips = sorted({a["ip"] for s in subsets for a in s.get("addresses", [])})
        not_ready = sorted({a["ip"] for s in subsets for a in s.get("notReadyAddresses", [])})
        self.flow(self.name, svc, "collected", _ip_detail(ready_ips, not_ready), step=STEP_COLLECT,
                  data={"ready": ready_ips, "notReady": not_ready})
        now = self.clock.now_str()
        ep = {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": labels,
                         "annotations": {TRIGGER_TIME: now}},
        }
        if not labels:
            del ep["metadata"]["labels"]
        if subsets:
            ep["subsets"] = subsets
        if current is None:
            written = self.api.create_internal(ep)
            verb = "created"
        else:
            new = evolve(current)
            new["metadata"]["labels"] = labels
            if not labels:
                new["metadata"].pop("labels", None)
            new["metadata"]["annotations"] = {**(new["metadata"].get("annotations") or {}), TRIGGER_TIME: now}
            new.pop("subsets", None)
            if subsets:
                new["subsets"] = subsets
            written = self.store.update(new, owned=True)
            verb = "updated"
        self.flow(self.name, written, verb, _ip_detail(ready_ips, not_ready), step=STEP_ENDPOINTS,
                  data={"ready": ready_ips, "notReady": not_ready})

    @staticmethod
    def compute_subsets(svc: dict, pods: Iterable[dict]) -> list[dict]:
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        ports = svc["spec"].get("ports") or []
        # address -> (ready, [endpoint ports])
        groups: dict[tuple, dict[str, list[dict]]] = {}
        for pod in pods:
            ip = pod["status"]["podIP"]
            addr = {"ip": ip}
            host = _hostname(pod, svc)
            if host:
                addr["hostname"] = host
            if pod["spec"].get("nodeName"):
                addr["nodeName"] = pod["spec"]["nodeName"]
            addr["targetRef"] = _target_ref(pod)
            ready = publish or pod_is_ready(pod)
            if not ports:
                eports: list[dict] = []
            else:
                eports = [endpoint_port(sp, n) for sp in ports if (n := resolve_target_port(sp, pod)) is not None]
                if not eports:
                    continue
            k = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in eports))
            g = groups.setdefault(k, {"addresses": [], "notReadyAddresses": [], "ports": eports})
            g["addresses" if ready else "notReadyAddresses"].append(addr)
        subsets = []
        for k in sorted(groups):
            g = groups[k]
            s: dict = {}
            for f in ("addresses", "notReadyAddresses"):
                if g[f]:
                    s[f] = sorted(g[f], key=lambda a: (a["ip"], a["targetRef"]["uid"] or ""))
            if g["ports"]:
                s["ports"] = sorted(g["ports"], key=lambda p: (p.get("name", ""), p["port"], p["protocol"]))
            subsets.append(s)
        return subsets


def _ip_detail(ready: list[str], not_ready: list[str]) -> str:
    s = ",".join(ready) if ready else "<none>"
    if not_ready:
        s += f" (not ready: {','.join(not_ready)})"
    return s


class EndpointSliceController(_ServicePodWatcher):
    name = "endpointslice-controller"

    def __init__(self, ctx: ControllerContext, services: ServiceSelectorIndex) -> None:
        super().__init__(ctx, services)
        self._zone_cache: dict[str, str | None] | None = None
        self.store.watch("Endpoints", self._on_endpoints)
        self.store.watch("Node", self._on_node)
        self.store.watch("EndpointSlice", self._on_slice)

    def _on_slice(self, ev) -> None:
        """A slice this controller manages was deleted or changed by someone else: queue
        its Service so the slice is written again (upstream's endpointSliceTracker sees a
        generation it did not write and resyncs the Service)."""
        if not self._by_someone_else(ev):
            return
        labels = labels_of(ev.obj)
        svc = labels.get(SERVICE_NAME_LABEL)
        if svc and labels.get(MANAGED_BY_LABEL) == SLICE_CONTROLLER:
            self.enqueue(f"{meta(ev.obj).get('namespace') or ''}/{svc}")

    def _on_node(self, ev) -> None:
        self._zone_cache = None

    def _zones(self) -> dict[str, str | None]:
        """Node -> topology zone label, recomputed only when a Node changes."""
        if self._zone_cache is None:
            self._zone_cache = {meta(n)["name"]: labels_of(n).get("topology.kubernetes.io/zone")
                                for n in self.store.list("Node")}
        return self._zone_cache

    def _on_endpoints(self, ev) -> None:
        svc = self.store.get("Service", meta(ev.obj).get("namespace") or "", meta(ev.obj)["name"])
        if svc is not None and not _service_managed(svc):
            self.enqueue(key_for(ev.obj))

    def slices_for(self, ns: str, name: str) -> list[dict]:
        return self.store.by_label("EndpointSlice", ns, SERVICE_NAME_LABEL, name)

    def _reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        svc = self.store.get("Service", ns, name)
        existing = self.slices_for(ns, name)
        if svc is None or svc["spec"].get("type") == "ExternalName":
            for s in existing:
                if labels_of(s).get(MANAGED_BY_LABEL) in (SLICE_CONTROLLER, MIRROR_CONTROLLER):
                    self.api.delete_object("EndpointSlice", ns, meta(s)["name"])
            return
        if _service_managed(svc):
            desired, ports_of = self._desired_from_pods(svc)
            managed_by = SLICE_CONTROLLER
        else:
            ep = self.store.get("Endpoints", ns, name)
            if ep is None or "endpointslice.kubernetes.io/skip-mirror" in labels_of(ep):
                return
            desired, ports_of = self._desired_from_endpoints(ep)
            managed_by = MIRROR_CONTROLLER
        mine = [s for s in existing if labels_of(s).get(MANAGED_BY_LABEL) == managed_by]
        self._write(svc, mine, desired, ports_of, managed_by)

    # -- desired state ------------------------------------------------------------
    def _desired_from_pods(self, svc: dict) -> tuple[dict[tuple, list[dict]], dict[tuple, list[dict]]]:
        """Endpoints grouped by (addressType, port set)."""
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        ports = svc["spec"].get("ports") or []
        desired: dict[tuple, list[dict]] = {}
        ports_of: dict[tuple, list[dict]] = {}
        zones = self._zones()
        for pod in candidate_pods(self.store, svc):
            eports = []
            for sp in ports:
                n = resolve_target_port(sp, pod)
                if n is not None:
                    eports.append({"name": sp.get("name", ""), "port": n, "protocol": sp.get("protocol", "TCP"),
                                   **({"appProtocol": sp["appProtocol"]} if sp.get("appProtocol") else {})})
            if ports and not eports:
                continue
            ip = pod["status"]["podIP"]
            family = _family(ip)
            k = (family, tuple((p["name"], p["port"], p["protocol"]) for p in eports))
            ports_of[k] = eports
            serving = pod_is_ready(pod)
            terminating = is_terminating(pod)
            ep: dict = {"addresses": [ip],
                        "conditions": shared({"ready": publish or (serving and not terminating),
                                              "serving": serving, "terminating": terminating})}
            host = _hostname(pod, svc)
            if host:
                ep["hostname"] = host
            node = pod["spec"].get("nodeName")
            if node:
                ep["nodeName"] = node
            ep["targetRef"] = _target_ref(pod)
            if node and zones.get(node):
                ep["zone"] = zones[node]
            desired.setdefault(k, []).append(ep)
        return desired, ports_of

    def _desired_from_endpoints(self, ep: dict) -> tuple[dict[tuple, list[dict]], dict[tuple, list[dict]]]:
        desired: dict[tuple, list[dict]] = {}
        ports_of: dict[tuple, list[dict]] = {}
        for subset in ep.get("subsets") or []:
            eports = [{"name": p.get("name", ""), "port": p["port"], "protocol": p.get("protocol", "TCP")}
                      for p in subset.get("ports") or []]
            for field, ready in (("addresses", True), ("notReadyAddresses", False)):
                for a in subset.get(field) or []:
                    family = "IPv6" if ipaddress.ip_address(a["ip"]).version == 6 else "IPv4"
                    k = (family, tuple((p["name"], p["port"], p["protocol"]) for p in eports))
                    ports_of[k] = eports
                    e: dict = {"addresses": [a["ip"]], "conditions": {"ready": ready}}
                    for f in ("hostname", "nodeName", "targetRef"):
                        if a.get(f):
                            e[f] = a[f]
                    desired.setdefault(k, []).append(e)
        return desired, ports_of

    # -- reconcile slices ---------------------------------------------------------
    def _write(self, svc: dict, mine: list[dict], desired: dict[tuple, list[dict]],
               ports_of: dict[tuple, list[dict]], managed_by: str) -> None:
        api = self.api
        ns, name = meta(svc).get("namespace") or "", meta(svc)["name"]
        labels = {**self._labels_for(svc), SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: managed_by}
        by_ip = {k: {e["addresses"][0]: e for e in eps} for k, eps in desired.items()}
        placed: set[tuple] = set()
        keep: list[dict] = []
        changed_any = False
        written_names: list[str] = []
        recyclable: dict | None = None
        # The slices this pass changed in place or made, by identity: bookkeeping stays out
        # of the API objects themselves.
        dirty: set[int] = set()
        new: set[int] = set()
        for s in mine:
            k = _slice_key(s)
            want = by_ip.get(k)
            if not want:
                if not desired and k == ("IPv4", ()) and not keep:
                    keep.append(self._replace(s, [], labels))  # the placeholder stays
                elif k == ("IPv4", ()) and not (s.get("endpoints") or []) and recyclable is None:
                    recyclable = s  # an empty placeholder is reused for the first real slice
                else:
                    api.delete_object("EndpointSlice", ns, meta(s)["name"])
                    changed_any = True
                continue
            new_eps = []
            for e in s.get("endpoints") or []:
                ip = e["addresses"][0]
                if ip in want and (k, ip) not in placed:
                    new_eps.append(want[ip])
                    placed.add((k, ip))
            keep.append(self._replace(s, new_eps, labels))
        # Append endpoints not yet placed to the fullest slice with room, else new slices.
        for k, eps in desired.items():
            for e in eps:
                ip = e["addresses"][0]
                if (k, ip) in placed:
                    continue
                placed.add((k, ip))
                room = [s for s in keep if _slice_key(s) == k and len(s.get("endpoints") or []) < MAX_ENDPOINTS_PER_SLICE]
                if room:
                    target = max(room, key=lambda s: len(s.get("endpoints") or []))
                    target.setdefault("endpoints", []).append(e)
                    dirty.add(id(target))
                elif recyclable is not None:
                    reuse = self._replace(recyclable, [e], labels)
                    reuse["addressType"], reuse["ports"] = k[0], [dict(p) for p in ports_of[k]]
                    dirty.add(id(reuse))
                    keep.append(reuse)
                    recyclable = None
                else:
                    keep.append(self._new_slice(svc, k, ports_of[k], labels, [e]))
                    new.add(id(keep[-1]))
        if recyclable is not None:
            api.delete_object("EndpointSlice", ns, meta(recyclable)["name"])
            changed_any = True
        if not desired and not keep:
            keep.append(self._new_slice(svc, ("IPv4", ()), [], labels, []))
            new.add(id(keep[-1]))
        # Persist.
        all_ready: list[str] = []
        for s in keep:
            is_dirty, is_new = id(s) in dirty, id(s) in new
            s["endpoints"] = s.get("endpoints") or []
            if not s["endpoints"]:
                s["endpoints"] = None
            if not s.get("ports"):
                s["ports"] = None
            if is_new:
                out = api.create_generated(s)
                changed_any = True
            else:
                old = self.store.get("EndpointSlice", ns, meta(s)["name"])
                out = self.store.update(s, owned=True) if is_dirty or old != s else old
                changed_any = changed_any or out is not old
            written_names.append(meta(out)["name"])
            all_ready += [e["addresses"][0] for e in out.get("endpoints") or [] if e["conditions"].get("ready", True)]
        if changed_any:
            self.flow(self.name, svc, "collected", ",".join(all_ready) or "<none>", step=STEP_COLLECT,
                      data={"ready": all_ready})
            self.flow(self.name, svc, "wrote", "EndpointSlice " + ",".join(written_names), step=STEP_ENDPOINTS,
                      data={"slices": written_names, "ready": all_ready})

    def _replace(self, s: dict, eps: list[dict], labels: dict) -> dict:
        new = evolve(s)  # a new version: own metadata, endpoints replaced, the rest shared
        new["metadata"]["labels"] = labels
        new["endpoints"] = eps
        return new

    def _new_slice(self, svc: dict, k: tuple, ports: list[dict], labels: dict, eps: list[dict]) -> dict:
        return {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"generateName": meta(svc)["name"] + "-", "namespace": meta(svc).get("namespace"),
                         "labels": dict(labels), "ownerReferences": [owner_ref(svc)]},
            "addressType": k[0], "endpoints": eps, "ports": [dict(p) for p in ports],
        }


def _slice_key(s: dict) -> tuple:
    return (s.get("addressType"), tuple((p.get("name", ""), p["port"], p["protocol"]) for p in s.get("ports") or []))
