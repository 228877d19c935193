"""Garbage collector: when an owner is deleted, its dependents follow (background
cascading deletion, kubectl's default): Deployment -> ReplicaSets -> Pods, Service ->
EndpointSlices. Pods still terminate gracefully through the kubelet.

An object that arrives naming owners none of which exists (an ownerReference copied
into a manifest, a uid from another cluster) is deleted too, as the real collector's
attemptToDelete does once it has looked each owner up and found it absent."""
from __future__ import annotations

from engine.api.objects import meta
from engine.api.store import ADDED, CLUSTER_SCOPED, DELETED
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext


def _owner_refs(obj: dict) -> list[dict]:
    refs = meta(obj).get("ownerReferences") or []
    if not isinstance(refs, list):
        return []
    return [o for o in refs if isinstance(o, dict) and o.get("kind") != "Node"]


class GarbageCollector(Controller):
    name = "garbage-collector"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.flow = ctx.api, ctx.flow
        self.store.watch("*", self._on_any)

    def _on_any(self, ev) -> None:
        if ev.type == ADDED:
            owners = _owner_refs(ev.obj)
            if owners and not any(self._owner_exists(o, meta(ev.obj).get("namespace") or "") for o in owners):
                md = meta(ev.obj)
                self.enqueue(f"{ev.obj['kind']}|{md.get('namespace') or ''}|{md['name']}")
            return
        if ev.type != DELETED:
            return
        for kind, ns, name in self.store.dependents(meta(ev.obj).get("uid", "")):
            self.enqueue(f"{kind}|{ns}|{name}")

    def reconcile(self, key: str) -> None:
        kind, ns, name = key.split("|")
        obj = self.store.get(kind, ns, name)
        if obj is None:
            return
        owners = _owner_refs(obj)
        alive = [o for o in owners if self._owner_exists(o, ns)]
        if owners and not alive:
            self.api.delete_object(kind, ns, name)
            self.flow(self.name, obj, "deleted", "owner is gone")

    def _owner_exists(self, ref: dict, ns: str) -> bool:
        kind, name = ref.get("kind"), ref.get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            return False
        try:
            o = self.store.get(kind, "" if kind in CLUSTER_SCOPED else ns, name)
        except (KeyError, TypeError):
            return False
        return o is not None and meta(o).get("uid") == ref.get("uid")
