"""ServiceAccounts controller: every namespace has a `default` ServiceAccount.

kube-controller-manager's serviceaccount-controller (pkg/controller/serviceaccount)
creates the accounts it is configured with -- `default` -- in each Active namespace, and
again when one is deleted. The ServiceAccount admission plugin gives every pod that names
no account this one, and refuses a pod whose account is missing, so without it no pod
could be created in a new namespace.
"""
from __future__ import annotations

from engine.api.admission import DEFAULT_SERVICE_ACCOUNT
from engine.api.naming import new_uid
from engine.api.objects import meta
from engine.api.store import DELETED
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext

#: ServiceAccountsControllerOptions.ServiceAccounts: the accounts every namespace gets.
MANAGED = (DEFAULT_SERVICE_ACCOUNT,)


class ServiceAccountsController(Controller):
    name = "serviceaccount-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api = ctx.api
        self._uids = ctx.rng("uid:serviceaccount")
        self.store.watch("Namespace", self._on_namespace)
        self.store.watch("ServiceAccount", self._on_service_account)
        # (upstream's admission asks again while this controller catches up; see settle)
        ctx.api.service_accounts.settle = self.settle

    def _on_namespace(self, ev) -> None:
        if ev.type != DELETED:
            self.enqueue(meta(ev.obj)["name"])

    def _on_service_account(self, ev) -> None:
        if ev.type == DELETED and meta(ev.obj)["name"] in MANAGED:
            self.enqueue(meta(ev.obj).get("namespace") or "")

    def settle(self, namespace: str) -> None:
        """Sync `namespace` now if it waits in the queue (what upstream's admission waits for)."""
        if namespace in self.queue:
            self.reconcile(namespace)

    def reconcile(self, key: str) -> None:
        """syncNamespace: only an Active namespace gets its accounts (a terminating one is
        being emptied)."""
        ns = self.store.get("Namespace", "", key)
        if ns is None or meta(ns).get("deletionTimestamp") or (ns.get("status") or {}).get("phase", "Active") != "Active":
            return
        for name in MANAGED:
            if self.store.get("ServiceAccount", key, name) is None:
                # (UIDs of its own purpose: the accounts leave every other object's UID as it was)
                self.api.create_internal({"apiVersion": "v1", "kind": "ServiceAccount",
                                          "metadata": {"name": name, "namespace": key}}, uid=new_uid(self._uids))
