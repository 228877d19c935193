"""The Endpoints controller (legacy Endpoints, step 2 of the Service flow): ready pods in
`addresses`, others in `notReadyAddresses`, grouped into subsets by identical port sets,
addresses sorted as strings. The shared part (selection, targetPort) is in servicepods.py.
"""
from __future__ import annotations

from typing import Iterable

from engine.api.objects import evolve, is_terminating, labels_of, pod_is_ready
from engine.api.wellknown import TRIGGER_TIME
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS
from engine.controllers.base import key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.servicepods import (
    ServicePodWatcher,
    ServiceSelectorIndex,
    candidate_pods,
    endpoint_hostname_of,
    endpoint_port,
    resolve_target_port,
    service_managed,
    target_ref,
)


class EndpointsController(ServicePodWatcher):
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
        if not service_managed(svc):
            return
        pods = candidate_pods(self.store, svc)
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        subsets = self.compute_subsets(svc, [p for p in pods if publish or not is_terminating(p)])
        labels = self._labels_for(svc)
        if current is not None and current.get("subsets", []) == subsets and labels_of(current) == labels:
            return
        ready_ips = sorted({a["ip"] for s in subsets for a in s.get("addresses", [])})
        not_ready = sorted({a["ip"] for s in subsets for a in s.get("notReadyAddresses", [])})
        self.flow(self.name, svc, "collected", ip_detail(ready_ips, not_ready), step=STEP_COLLECT,
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
        self.flow(self.name, written, verb, ip_detail(ready_ips, not_ready), step=STEP_ENDPOINTS,
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
            host = endpoint_hostname_of(pod, svc)
            if host:
                addr["hostname"] = host
            if pod["spec"].get("nodeName"):
                addr["nodeName"] = pod["spec"]["nodeName"]
            addr["targetRef"] = target_ref(pod)
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


def ip_detail(ready: list[str], not_ready: list[str]) -> str:
    s = ",".join(ready) if ready else "<none>"
    if not_ready:
        s += f" (not ready: {','.join(not_ready)})"
    return s
