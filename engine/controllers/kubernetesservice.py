"""kube-apiserver's own controller of the `kubernetes` Service and its endpoint reconciler
(pkg/controlplane/controller/kubernetesservice, pkg/controlplane/reconcilers).

Every EndpointInterval (10 s) the API server makes sure `default/kubernetes` exists with its
ClusterIP (the Service range's first address) and its https port, and that the Endpoints and
EndpointSlice of that name list the API servers (here: the control-plane node's 6443). So
`kubectl delete svc kubernetes` heals within ten seconds, as on kind -- in-cluster clients,
CoreDNS's own informers included, depend on it -- and an edited or deleted Endpoints or
EndpointSlice of it is written again. The objects' shapes are kubeadm's first ones
(engine.cluster.bootstrap creates them with these builders at boot).
"""
from __future__ import annotations

from datetime import timedelta

from engine.api.apiserver import ApiError
from engine.api.objects import meta
from engine.api.store import DELETED, json_copy
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext

INTERVAL = 10.0  # kube-apiserver's --endpoint-reconciler EndpointInterval
NAMESPACE, NAME = "default", "kubernetes"
PORT_NAME, SERVICE_PORT, API_PORT = "https", 443, 6443


def kubernetes_service(cluster_ip: str) -> dict:
    """The Service as the API server creates it (CreateOrUpdateMasterServiceIfNeeded)."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": NAME, "namespace": NAMESPACE,
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": cluster_ip,
                     "ports": [{"name": PORT_NAME, "port": SERVICE_PORT, "protocol": "TCP",
                                "targetPort": API_PORT}]}}


def kubernetes_endpoints(apiserver_ip: str) -> dict:
    """Its Endpoints (the lease reconciler's; not mirrored into a second slice)."""
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": NAME, "namespace": NAMESPACE,
                         "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": apiserver_ip}],
                         "ports": [{"name": PORT_NAME, "port": API_PORT, "protocol": "TCP"}]}]}


def kubernetes_endpoint_slice(apiserver_ip: str) -> dict:
    """Its EndpointSlice, written by the same reconciler (no controller manages it)."""
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": {SERVICE_NAME_LABEL: NAME}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [apiserver_ip], "conditions": {"ready": True}}],
            "ports": [{"name": PORT_NAME, "port": API_PORT, "protocol": "TCP"}]}


#: What the reconciler compares and rewrites of each object (the rest is the writer's own).
_OWNED = {"Endpoints": ("subsets",), "EndpointSlice": ("addressType", "endpoints", "ports")}


class KubernetesServiceController(Controller):
    """Re-creates the `kubernetes` Service, Endpoints and EndpointSlice at the loop's next
    turn after one goes or changes (the loop runs every INTERVAL seconds from boot)."""

    name = "kubernetes-service"

    def __init__(self, ctx: ControllerContext, cluster_ip: str, apiserver_ip: str) -> None:
        super().__init__(ctx)
        self.api, self.clock = ctx.api, ctx.clock
        self.wanted = {"Service": kubernetes_service(cluster_ip), "Endpoints": kubernetes_endpoints(apiserver_ip),
                       "EndpointSlice": kubernetes_endpoint_slice(apiserver_ip)}
        self._armed = False
        for kind in self.wanted:
            self.store.watch(kind, self._on_event)

    def _on_event(self, ev) -> None:
        md = meta(ev.obj)
        if md.get("namespace") != NAMESPACE or md.get("name") != NAME:
            return
        if ev.type == DELETED or self._drifted(ev.obj):
            self._arm()

    def _drifted(self, obj: dict) -> bool:
        want = self.wanted.get(obj["kind"])
        return want is not None and any(obj.get(f) != want.get(f) for f in _OWNED.get(obj["kind"], ()))

    def _arm(self) -> None:
        """The loop's next turn: a background timer (an idle run does not wait ten seconds for it)."""
        if self._armed:
            return
        self._armed = True
        clock = self.clock
        since = (clock.now() - clock.origin).total_seconds()
        when = clock.origin + timedelta(seconds=(int(since // INTERVAL) + 1) * INTERVAL)
        clock.call_later((when - clock.now()).total_seconds(), lambda: self.enqueue("sync"), background=True)

    def reconcile(self, key: str) -> None:
        self._armed = False
        for kind, want in self.wanted.items():
            live = self.store.get(kind, NAMESPACE, NAME)
            if live is None:
                try:
                    self.api.create_internal(json_copy(want))
                except ApiError:  # (the address taken meanwhile: the loop tries again at its next turn)
                    self._arm()
            elif self._drifted(live):
                fixed = {**live, **{f: json_copy(want[f]) for f in _OWNED[kind]}}
                self.store.update(fixed)
