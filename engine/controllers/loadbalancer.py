"""A load-balancer controller, as MetalLB (layer 2) or cloud-provider-kind provide on kind.

LoadBalancer Services get an ingress IP from a pool on the node network
(172.18.255.200-250, MetalLB's documented kind pool), written to
`status.loadBalancer.ingress`. An ingress already present — for instance written in the
manifest to reproduce a given cluster — is kept; the IP goes back to the pool when the
Service is deleted or stops being a LoadBalancer.
"""
from __future__ import annotations

import ipaddress

from engine.api.objects import clone
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext

DEFAULT_POOL = ("172.18.255.200", "172.18.255.250")


class LoadBalancerController(Controller):
    name = "service-lb-controller"

    def __init__(self, ctx: ControllerContext, pool: tuple[str, str] = DEFAULT_POOL) -> None:
        super().__init__(ctx)
        self.recorder, self.flow = ctx.recorder, ctx.flow
        lo, hi = (int(ipaddress.ip_address(p)) for p in pool)
        self._pool = [str(ipaddress.ip_address(i)) for i in range(lo, hi + 1)]
        self._owner: dict[str, str] = {}  # ip -> ns/name
        self.store.watch("Service", self._on_service)

    def _on_service(self, ev) -> None:
        key = key_for(ev.obj)
        if ev.type == "DELETED":
            self._release(key)
            return
        self.enqueue(key)

    def _release(self, key: str) -> None:
        for ip, owner in list(self._owner.items()):
            if owner == key:
                del self._owner[ip]

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        svc = self.store.get("Service", ns, name)
        if svc is None:
            return
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        # MetalLB without --lb-class (kind's usual setup) serves only Services that name no
        # loadBalancerClass; another class is another controller's, so it stays <pending>
        if svc["spec"].get("type") != "LoadBalancer" or svc["spec"].get("loadBalancerClass"):
            if ingress and any(self._owner.get(i.get("ip", "")) == key for i in ingress):
                self._release(key)
                new = clone(svc)
                new["status"] = {"loadBalancer": {}}
                self.store.update(new, owned=True)
            return
        if ingress:
            for i in ingress:  # adopt what the manifest says, so the pool never hands it out
                if i.get("ip"):
                    self._owner.setdefault(i["ip"], key)
            return
        want = svc["spec"].get("loadBalancerIP")
        for other in self.store.list("Service"):  # ingress written in manifests is taken
            for i in ((other.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
                if i.get("ip"):
                    self._owner.setdefault(i["ip"], key_for(other))
        free = [ip for ip in self._pool if ip not in self._owner]
        ip = want if want and want not in self._owner else (free[0] if free else None)
        if ip is None:
            self.recorder.event(svc, "Warning", "AllocationFailed", "Failed to allocate IP: no available IPs",
                                self.name)
            return
        self._owner[ip] = key
        new = clone(svc)
        new["status"] = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}
        self.store.update(new, owned=True)
        self.recorder.event(svc, "Normal", "IPAllocated", f'Assigned IP ["{ip}"]', "metallb-controller")
        self.flow(self.name, new, "assigned", f"ingress {ip}", data={"ip": ip})
