"""Garbage collector: when an owner is deleted, its dependents follow (background
cascading deletion, kubectl's default): Deployment -> ReplicaSets -> Pods, Service ->
EndpointSlices. Pods still terminate gracefully through the kubelet."""
from __future__ import annotations

from engine.controllers.base import Controller
from engine.objects import meta
from engine.store import DELETED


class GarbageCollector(Controller):
    name = "garbage-collector"

    def __init__(self, cluster) -> None:
        super().__init__(cluster)
        self.store.watch("*", self._on_any)

    def _on_any(self, ev) -> None:
        if ev.type != DELETED:
            return
        for kind, ns, name in self.store.dependents(meta(ev.obj).get("uid", "")):
            self.enqueue(f"{kind}|{ns}|{name}")

    def reconcile(self, key: str) -> None:
        kind, ns, name = key.split("|")
        obj = self.store.get(kind, ns, name)
        if obj is None:
            return
        owners = [o for o in meta(obj).get("ownerReferences") or [] if o.get("kind") != "Node"]
        alive = [o for o in owners if self._owner_exists(o, ns)]
        if owners and not alive:
            self.cluster.api.delete_object(kind, ns, name)
            self.cluster.flow(self.name, obj, "deleted", "owner is gone")

    def _owner_exists(self, ref: dict, ns: str) -> bool:
        o = self.store.get(ref["kind"], ns, ref["name"])
        return o is not None and meta(o).get("uid") == ref.get("uid")
