"""Root CA publisher: every namespace gets the `kube-root-ca.crt` ConfigMap.

kube-controller-manager's root-ca-cert-publisher puts the cluster CA in each namespace
(pods mount it to verify the API server), recreates it when deleted and leaves
namespaces that are terminating alone. That is why `kubectl get cm` is never empty on a
real cluster. svcflow's cluster has no real CA: the certificate is a stand-in of the
usual size, fixed per cluster seed (pkg/controller/certificates/rootcacertpublisher).
"""
from __future__ import annotations

import base64
import textwrap

from engine.api.naming import new_uid
from engine.api.objects import meta
from engine.api.store import DELETED
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext

NAME = "kube-root-ca.crt"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")


class RootCACertPublisher(Controller):
    name = "root-ca-cert-publisher"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self._rng = ctx.api, ctx.rng
        self.active = False  # from the first moment of boot (engine.cluster.cluster)
        self._pem: str | None = None
        self.store.watch("Namespace", self._on_namespace)
        self.store.watch("ConfigMap", self._on_config_map)

    def _on_namespace(self, ev) -> None:
        if self.active and ev.type != DELETED:
            self.enqueue(meta(ev.obj)["name"])

    def _on_config_map(self, ev) -> None:
        if self.active and ev.type == DELETED and meta(ev.obj)["name"] == NAME:
            self.enqueue(meta(ev.obj).get("namespace") or "")

    def ca_pem(self) -> str:
        if self._pem is None:
            der = bytes(self._rng("root-ca").getrandbits(8) for _ in range(791))
            body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
            self._pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
        return self._pem

    def reconcile(self, key: str) -> None:
        ns = self.store.get("Namespace", "", key)
        if ns is None or meta(ns).get("deletionTimestamp") or self.store.get("ConfigMap", key, NAME) is not None:
            return
        # (UIDs of its own purpose: publishing at boot leaves every other object's UID as it was)
        self.api.create_internal({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": key, "annotations": {"kubernetes.io/description": DESCRIPTION}},
            "data": {"ca.crt": self.ca_pem()},
        }, uid=new_uid(self._rng("uid:root-ca")))

    def publish_everywhere(self) -> None:
        """Start publishing: every namespace now, then each as it comes."""
        self.active = True
        for ns in self.store.list("Namespace"):
            self.reconcile(meta(ns)["name"])
