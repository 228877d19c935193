"""ReplicaSet controller: keeps `spec.replicas` pods of the template alive.

Pods are created with `generateName: <rs>-` (the API server adds 5 characters) and an
owner reference; excess pods are deleted, least valuable first (unscheduled, pending,
not ready, newest), like `controller.ActivePods` ranking.
"""
from __future__ import annotations

from engine.api.labels import label_selector_matches
from engine.api.objects import (
    controller_uid,
    evolve,
    is_terminating,
    labels_of,
    meta,
    owner_ref,
    pod_is_active,
    pod_is_ready,
    pod_phase,
    uid_of,
)
from engine.api.store import WatchEvent
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder, self.flow = ctx.api, ctx.recorder, ctx.flow
        self.store.watch("ReplicaSet", lambda ev: self.enqueue(key_for(ev.obj)))
        self.store.watch("Pod", self._on_pod)

    def _on_pod(self, ev: WatchEvent) -> None:
        owner = controller_uid(ev.obj)
        if not owner:
            return
        for o in meta(ev.obj).get("ownerReferences") or ():
            if o.get("uid") == owner and o.get("kind") == "ReplicaSet":
                self.enqueue(f"{meta(ev.obj).get('namespace')}/{o['name']}")

    def owned_pods(self, rs: dict) -> list[dict]:
        uid = uid_of(rs)
        ns = meta(rs).get("namespace") or ""
        out = []
        for kind, pns, name in self.store.dependents(uid):
            if kind == "Pod" and pns == ns:
                p = self.store.get("Pod", ns, name)
                if p is not None:
                    out.append(p)
        return out

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        rs = self.store.get("ReplicaSet", ns, name)
        if rs is None or is_terminating(rs):
            return
        pods = self._release_unmatched(rs, self.owned_pods(rs))
        active = [p for p in pods if pod_is_active(p)]
        want = int(rs["spec"].get("replicas", 1))
        api, event = self.api, self.recorder.event
        if len(active) < want:
            for _ in range(want - len(active)):
                pod = self._new_pod(rs)
                created = api.create_generated(pod)
                event(rs, "Normal", "SuccessfulCreate", f"Created pod: {meta(created)['name']}", self.name)
                self.flow(self.name, created, "created", f"for {name}")
        elif len(active) > want:
            for p in sorted(active, key=_deletion_rank)[: len(active) - want]:
                api.delete_object("Pod", ns, meta(p)["name"])
                event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {meta(p)['name']}", self.name)
            active = [p for p in self.owned_pods(rs) if pod_is_active(p)]
        self._update_status(rs, active)

    def _release_unmatched(self, rs: dict, pods: list[dict]) -> list[dict]:
        """ControllerRefManager.ClaimPods: a pod this ReplicaSet owns whose labels no longer
        match its selector (someone relabelled it) is released -- its ownerReference removed,
        the pod left running as an orphan -- and the ReplicaSet makes a new one in its place."""
        sel = rs["spec"].get("selector")
        kept = []
        for p in pods:
            if label_selector_matches(sel, labels_of(p)) or is_terminating(p):
                kept.append(p)
                continue
            new = evolve(p)
            refs = [o for o in meta(p).get("ownerReferences") or [] if o.get("uid") != uid_of(rs)]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            self.store.update(new, owned=True)
            self.flow(self.name, new, "released", f"labels no longer match {meta(rs)['name']}'s selector")
        return kept

    def _new_pod(self, rs: dict) -> dict:
        # The API server's defaulting deep-copies what it is given, so the template's
        # spec is passed as is; only the metadata (written here) is a private copy.
        tmpl = rs["spec"].get("template") or {}
        md = dict(tmpl.get("metadata") or {})
        md.pop("creationTimestamp", None)
        md["generateName"] = meta(rs)["name"] + "-"
        md["namespace"] = meta(rs).get("namespace")
        md["ownerReferences"] = [owner_ref(rs)]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": tmpl.get("spec") or {}}

    def _update_status(self, rs: dict, active: list[dict]) -> None:
        sel = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        ready = sum(1 for p in active if pod_is_ready(p))
        status = {
            "replicas": len(active),
            "fullyLabeledReplicas": sum(1 for p in active if all(labels_of(p).get(k) == v for k, v in sel.items())),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": meta(rs).get("generation", 1),
        }
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        if rs.get("status") != status:
            new = evolve(rs)
            new["status"] = status
            self.store.update(new, owned=True)


def _deletion_rank(pod: dict) -> tuple:
    """Which pod to delete first when scaling down (kubernetes' ActivePodsWithRanks)."""
    unscheduled = 0 if not pod["spec"].get("nodeName") else 1
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(pod_phase(pod), 2)
    ready = 1 if pod_is_ready(pod) else 0
    created = meta(pod).get("creationTimestamp", "")
    # newer pods first: invert by sorting on negative ordinal of the timestamp string
    return (unscheduled, phase, ready, _neg(created), meta(pod)["name"])


def _neg(s: str) -> tuple:
    return tuple(-ord(ch) for ch in s)
