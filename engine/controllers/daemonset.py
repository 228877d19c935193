"""DaemonSet controller: one pod per eligible node (kube-proxy and kindnet run this way).

Pods are bound to their node directly (spec.nodeName, as the controller's node-affinity
leads the scheduler to do) and tolerate the taints their template tolerates.
"""
from __future__ import annotations

from engine.api.apiserver import ApiError
from engine.api.objects import clone, is_terminating, meta, owner_ref, pod_is_active, pod_is_ready, uid_of
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext
from engine.controllers.scheduler import tolerates_all


class DaemonSetController(Controller):
    name = "daemonset-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder = ctx.api, ctx.recorder
        self.store.watch("DaemonSet", lambda ev: self.enqueue(key_for(ev.obj)))
        self.store.watch("Pod", self._on_pod)
        self.store.watch("Node", lambda ev: [self.enqueue(key_for(d)) for d in self.store.list("DaemonSet")])

    def _on_pod(self, ev) -> None:
        for o in meta(ev.obj).get("ownerReferences") or ():
            if o.get("kind") == "DaemonSet":
                self.enqueue(f"{meta(ev.obj).get('namespace')}/{o['name']}")

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        ds = self.store.get("DaemonSet", ns, name)
        if ds is None or is_terminating(ds):
            return
        tmpl = ds["spec"].get("template") or {}
        tolerations = (tmpl.get("spec") or {}).get("tolerations") or []
        pods = [p for k, pns, pn in self.store.dependents(uid_of(ds))
                if k == "Pod" and (p := self.store.get("Pod", pns, pn)) is not None]
        by_node = {p["spec"].get("nodeName"): p for p in pods if pod_is_active(p)}
        eligible = [n for n in self.store.list("Node") if tolerates_all(tolerations, n)]
        failed = False
        for node in eligible:
            if meta(node)["name"] not in by_node:
                pod = clone(tmpl)
                md = pod.setdefault("metadata", {})
                md.pop("creationTimestamp", None)
                md["generateName"] = f"{name}-"
                md["namespace"] = ns
                md.setdefault("labels", {})["controller-revision-hash"] = ds["metadata"].get("annotations", {}).get("svcflow/revision-hash", "")
                if not md["labels"]["controller-revision-hash"]:
                    del md["labels"]["controller-revision-hash"]
                md["ownerReferences"] = [owner_ref(ds)]
                pod["spec"]["nodeName"] = meta(node)["name"]
                try:
                    created = self.api.create_generated({"apiVersion": "v1", "kind": "Pod", **pod})
                except ApiError as e:  # (admission refused it: a ServiceAccount that does not exist)
                    self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {e.status.status_message()}",
                                        self.name)
                    failed = True
                    continue
                self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {meta(created)['name']}", self.name)
        if failed:  # syncDaemonSet's error: the key again later (rate-limited, background timers)
            self.add_rate_limited(key)
        else:
            self.forget(key)
        active = [p for k, pns, pn in self.store.dependents(uid_of(ds))
                  if k == "Pod" and (p := self.store.get("Pod", pns, pn)) is not None and pod_is_active(p)]
        ready = sum(1 for p in active if pod_is_ready(p))
        status = {
            "currentNumberScheduled": len(active), "desiredNumberScheduled": len(eligible),
            "numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready,
            "updatedNumberScheduled": len(active), "observedGeneration": meta(ds).get("generation", 1),
        }
        if len(eligible) - ready:
            status["numberUnavailable"] = len(eligible) - ready
        if not ready:
            del status["numberAvailable"]
        if ds.get("status") != status:
            new = clone(ds)
            new["status"] = status
            self.store.update(new, owned=True)
