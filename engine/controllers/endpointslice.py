"""The EndpointSlice controller (steps 1 and 2 of the Service flow): at most 100 endpoints per
slice, one slice per port set, with ready / serving / terminating conditions, existing
endpoints kept in place and new ones appended to the fullest slice that has room; a
placeholder slice when nothing matches; Endpoints of selector-less Services mirrored. The
shared part (selection, targetPort) is in servicepods.py.

A pod bound to a Node that does not exist (deleted while its pods run on) is left out of the
slices, unless the Service publishes not-ready addresses, as upstream's reconciler does: the
sync then fails with "skipping Pod ... Node ... Not Found" (a FailedToUpdateEndpointSlices
event on the Service) and the Service is retried with backoff (1 s doubling, 15 times) until
PodGC has deleted the pod. A Node's deletion itself queues no Service: the slices change at
the Service's next sync. The v1 Endpoints controller does not look at Nodes at all.
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

EVENT_SOURCE = "endpoint-slice-controller"  # the component its Events are recorded as
MAX_RETRIES = 15  # maxRetries: a Service whose sync keeps failing is dropped from the queue after this
SYNC_BACKOFF, MAX_SYNC_BACKOFF = 1.0, 1000.0  # defaultSyncBackOff, maxSyncBackOff


class EndpointSliceController(ServicePodWatcher):
    name = "endpointslice-controller"

    def __init__(self, ctx: ControllerContext, services: ServiceSelectorIndex) -> None:
        super().__init__(ctx, services)
        self.recorder = ctx.recorder
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
        skipped: list[str] = []
        if service_managed(svc):
            desired, ports_of = self._desired_from_pods(svc, skipped)
            managed_by = SLICE_CONTROLLER
        else:
            ep = self.store.get("Endpoints", ns, name)
            if ep is None or "endpointslice.kubernetes.io/skip-mirror" in labels_of(ep):
                return
            desired, ports_of = self._desired_from_endpoints(ep)
            managed_by = MIRROR_CONTROLLER
        mine = [s for s in existing if labels_of(s).get(MANAGED_BY_LABEL) == managed_by]
        self._write(svc, mine, desired, ports_of, managed_by)
        self._handle_err(key, svc, skipped)

    def _handle_err(self, key: str, svc: dict, errors: list[str]) -> None:
        """syncService's error path: a Warning on the Service and a rate-limited retry
        (handleErr); a good sync forgets the count. The retry is a background timer, so an
        idle run does not wait for it (PodGC's deletion, a foreground timer, ends the story)."""
        if not errors:
            self.forget(key)
            return
        # utilerrors.NewAggregate: one error alone, several in brackets
        msg = errors[0] if len(errors) == 1 else "[" + ", ".join(dict.fromkeys(errors)) + "]"
        ns, name = split_key(key)
        self.recorder.event(svc, "Warning", "FailedToUpdateEndpointSlices",
                            f"Error updating Endpoint Slices for Service {ns}/{name}: {msg}", EVENT_SOURCE)
        if self.num_requeues(key) >= MAX_RETRIES:
            self.forget(key)  # "Retry budget exceeded, dropping service out of the queue"
            return
        self.add_rate_limited(key, base=SYNC_BACKOFF, cap=MAX_SYNC_BACKOFF)

    # -- desired state ------------------------------------------------------------
    def _desired_from_pods(self, svc: dict, skipped: list[str]) -> tuple[dict[tuple, list[dict]], dict[tuple, list[dict]]]:
        """Endpoints grouped by (addressType, port set); a pod whose Node does not exist
        is left out (unless the Service publishes not-ready addresses) and said in `skipped`."""
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        ports = svc["spec"].get("ports") or []
        desired: dict[tuple, list[dict]] = {}
        ports_of: dict[tuple, list[dict]] = {}
        zones = self._zones()
        for pod in candidate_pods(self.store, svc):
            node = pod["spec"].get("nodeName")
            if node not in zones and not publish:
                md = meta(pod)
                skipped.append(f"skipping Pod {md['name']} for Service {md.get('namespace')}/{meta(svc)['name']}: "
                               f"Node {node or ''} Not Found")
                continue
            eports = []
            for sp in ports:
                n = resolve_target_port(sp, pod)
                if n is not None:
                    eports.append({"name": sp.get("name", ""), "port": n, "protocol": sp.get("protocol", "TCP"),
                                   **({"appProtocol": sp["appProtocol"]} if sp.get("appProtocol") else {})})
            # (no port of the pod's matched: upstream's getEndpointPorts skips each such port and
            # the pod is still an endpoint, in a slice with no ports; the Endpoints controller
            # leaves it out)
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
        # Slices no longer wanted. As upstream's finalize does, a slice this pass would create
        # takes over one of them of its address type instead (one update, the name kept: a
        # Service whose only pod is replaced keeps its slice through the placeholder); the
        # rest are deleted.
        doomed: list[dict] = []
        # The slices this pass changed in place or made, by identity: bookkeeping stays out
        # of the API objects themselves.
        dirty: set[int] = set()
        new: set[int] = set()

        def take_over(k: tuple, ports: list[dict], eps: list[dict]) -> dict | None:
            for i, d in enumerate(doomed):
                if d.get("addressType") == k[0]:
                    del doomed[i]
                    reuse = self._replace(d, eps, labels)
                    reuse["addressType"], reuse["ports"] = k[0], [dict(p) for p in ports]
                    dirty.add(id(reuse))
                    return reuse
            return None

        for s in mine:
            k = _slice_key(s)
            want = by_ip.get(k)
            if not want:
                if not desired and k == ("IPv4", ()) and not keep:
                    keep.append(self._replace(s, [], labels))  # the placeholder stays
                else:
                    doomed.append(s)
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
                elif (reuse := take_over(k, ports_of[k], [e])) is not None:
                    keep.append(reuse)
                else:
                    keep.append(self._new_slice(svc, k, ports_of[k], labels, [e]))
                    new.add(id(keep[-1]))
        if not desired and not keep:  # the placeholder: no ports, no endpoints
            placeholder = take_over(("IPv4", ()), [], [])
            if placeholder is None:
                placeholder = self._new_slice(svc, ("IPv4", ()), [], labels, [])
                new.add(id(placeholder))
            keep.append(placeholder)
        for d in doomed:
            api.delete_object("EndpointSlice", ns, meta(d)["name"])
            changed_any = True
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
