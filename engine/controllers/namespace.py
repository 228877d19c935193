"""Namespace controller: a deleted Namespace empties, then goes.

`kubectl delete namespace shop` does not remove the Namespace at once: the API server
marks it (deletionTimestamp, phase Terminating) because its `spec.finalizers` holds
`kubernetes`, and refuses new objects in it from then on (`unable to create new content
in namespace shop because it is being terminated`). This controller deletes everything
in it -- pods terminate gracefully through the kubelet, as any deleted pod does -- and
reports what is left in the Namespace's conditions (`Some resources are remaining:
pods. has 2 resource instances`). When nothing is left it removes its finalizer, and
a Namespace with no finalizers is gone (pkg/controller/namespace/deletion).
"""
from __future__ import annotations

from engine.api.kinds import KINDS
from engine.api.objects import clone, meta
from engine.api.store import DELETED
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext

FINALIZER = "kubernetes"

# Workloads first, so no controller makes new pods for what is being emptied; upstream
# deletes per discovered resource, which the garbage collector makes order-free there.
_ORDER = ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Service", "Pod", "Endpoints", "EndpointSlice",
          "ConfigMap", "Event")
CONTENT_KINDS = _ORDER + tuple(k for k, info in KINDS.items() if info.namespaced and k not in _ORDER)

# The conditions the deleter maintains, in its order, with their "all is well" reason and
# message (status_condition_utils.go).
_CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
)


def is_terminating(ns: dict | None) -> bool:
    return ns is not None and bool(meta(ns).get("deletionTimestamp"))


class NamespaceController(Controller):
    name = "namespace-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.clock, self.flow = ctx.api, ctx.clock, ctx.flow
        self.store.watch("Namespace", self._on_namespace)
        self.store.watch("*", self._on_any)

    def _on_namespace(self, ev) -> None:
        if ev.type != DELETED and is_terminating(ev.obj):
            self.enqueue(meta(ev.obj)["name"])

    def _on_any(self, ev) -> None:
        """The last pod of a terminating Namespace went: look again (upstream requeues after
        an estimate of the pods' grace periods; a watch says exactly when)."""
        if ev.type != DELETED:
            return
        ns = meta(ev.obj).get("namespace")
        if ns and is_terminating(self.store.get("Namespace", "", ns)):
            self.enqueue(ns)

    def reconcile(self, key: str) -> None:
        ns = self.store.get("Namespace", "", key)
        if not is_terminating(ns):
            return
        self.sweep(key)

    def sweep(self, name: str, *, grace: bool = True) -> bool:
        """Delete what is in the Namespace; remove it once empty. Returns whether it is gone.
        ``grace=False`` removes pods at once (the live workspace's prune)."""
        api, store = self.api, self.store
        ns = store.get("Namespace", "", name)
        if ns is None:
            return True
        deleted = 0
        for _ in range(1 if grace else 3):  # (at once: also what the deletions recorded)
            held: dict[str, int] = {}  # finalizer -> objects it holds, counted in the same pass
            for kind in CONTENT_KINDS:
                for obj in store.list(kind, name):
                    if not (grace and meta(obj).get("deletionTimestamp")):  # (a pod already terminating)
                        obj_name = meta(obj)["name"]
                        api.delete_object(kind, name, obj_name, grace=grace)
                        deleted += 1
                        obj = store.get(kind, name, obj_name)
                    if obj is not None:  # (it stays: what holds it)
                        for f in meta(obj).get("finalizers") or ():
                            held[f] = held.get(f, 0) + 1
            remaining = {kind: store.count(kind, name) for kind in CONTENT_KINDS}
            remaining = {k: n for k, n in remaining.items() if n}
            if not remaining:
                break
        if remaining:
            self._set_conditions(ns, remaining, held)
            if deleted:
                left = ", ".join(f"{KINDS[k].plural}: {n}" for k, n in remaining.items())
                self.flow(self.name, ns, "deleting content", f"waiting for {left}")
            return False
        finalizers = [f for f in (ns.get("spec") or {}).get("finalizers") or [] if f != FINALIZER]
        if finalizers:  # someone else's finalizer: the Namespace waits for them
            new = clone(ns)
            new["spec"]["finalizers"] = finalizers
            store.update(new)
            return False
        store.delete("Namespace", "", name)
        self.flow(self.name, ns, "deleted", "all content removed; finalizer kubernetes done")
        return True

    def _set_conditions(self, ns: dict, remaining: dict[str, int], held: dict[str, int] | None = None) -> None:
        status = ns.get("status") or {}
        have = {c["type"]: c for c in status.get("conditions") or []}
        parts = sorted(f"{KINDS[k].plural}.{KINDS[k].group} has {n} resource instances" for k, n in remaining.items())
        now = self.clock.now_str()
        conditions = []
        for ctype, reason, message in _CONDITIONS:
            status_ = "False"
            if ctype == "NamespaceContentRemaining":
                status_, reason, message = "True", "SomeResourcesRemain", f"Some resources are remaining: {', '.join(parts)}"
            elif ctype == "NamespaceFinalizersRemaining" and held:
                status_, reason = "True", "SomeFinalizersRemain"
                message = "Some content in the namespace has finalizers remaining: " + \
                    ", ".join(f"{f} in {n} resource instances" for f, n in sorted(held.items()))
            old = have.get(ctype)
            since = old["lastTransitionTime"] if old and old.get("status") == status_ else now
            conditions.append({"lastTransitionTime": since, "message": message, "reason": reason,
                               "status": status_, "type": ctype})
        if conditions == status.get("conditions"):
            return
        new = clone(ns)
        new.setdefault("status", {})["conditions"] = conditions
        self.store.update(new)
