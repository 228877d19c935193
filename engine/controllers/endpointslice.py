"""The EndpointSlice controller (steps 1 and 2 of the Service flow): at most 100 endpoints per
slice, one slice per port set, with ready / serving / terminating conditions, existing
endpoints kept in place and new ones appended to the fullest slice that has room; a
placeholder slice when nothing matches; Endpoints of selector-less Services mirrored. The
shared part (selection, targetPort) is in servicepods.py.
"""
from __future__ import annotations

import ipaddress

from engine.api.objects import evolve, is_terminating, labels_of, meta, owner_ref, pod_is_ready
from engine.api.store import shared
from engine.api.wellknown import MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS
from engine.controllers.base import key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.servicepods import (
    MAX_ENDPOINTS_PER_SLICE,
    MIRROR_CONTROLLER,
    SLICE_CONTROLLER,
    ServicePodWatcher,
    ServiceSelectorIndex,
    candidate_pods,
    endpoint_hostname_of,
    ip_family,
    resolve_target_port,
    service_managed,
    target_ref,
)


class EndpointSliceController(ServicePodWatcher):
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
        if svc is not None and not service_managed(svc):
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
        if service_managed(svc):
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
            family = ip_family(ip)
            k = (family, tuple((p["name"], p["port"], p["protocol"]) for p in eports))
            ports_of[k] = eports
            serving = pod_is_ready(pod)
            terminating = is_terminating(pod)
            ep: dict = {"addresses": [ip],
                        "conditions": shared({"ready": publish or (serving and not terminating),
                                              "serving": serving, "terminating": terminating})}
            host = endpoint_hostname_of(pod, svc)
            if host:
                ep["hostname"] = host
            node = pod["spec"].get("nodeName")
            if node:
                ep["nodeName"] = node
            ep["targetRef"] = target_ref(pod)
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
