"""kube-scheduler: binds each pending pod to a node.

Filters: the node is Ready and schedulable, its taints are tolerated (kind's control
plane carries `node-role.kubernetes.io/control-plane:NoSchedule` when workers exist),
nodeSelector matches. Score: fewest pods (spreading), ties broken at random as the real
scheduler's selectHost does (seeded in deterministic mode).
"""
from __future__ import annotations

from engine.controllers.base import Controller, key_for, split_key
from engine.objects import clone, labels_of, meta, pod_is_active, set_condition


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        op = t.get("operator", "Equal")
        if not t.get("key") and op == "Exists":
            return True
        if t.get("key") != taint.get("key"):
            continue
        if op == "Exists" or t.get("value", "") == taint.get("value", ""):
            return True
    return False


def tolerates_all(tolerations: list[dict], node: dict) -> bool:
    taints = (node.get("spec") or {}).get("taints") or []
    return all(_tolerates(tolerations, t) for t in taints if t.get("effect") in ("NoSchedule", "NoExecute"))


def _taint_text(t: dict) -> str:
    return f"{{{t.get('key')}: {t.get('value', '')}}}"


class Scheduler(Controller):
    name = "default-scheduler"

    def __init__(self, cluster) -> None:
        super().__init__(cluster)
        self.store.watch("Pod", self._on_pod)
        self.store.watch("Node", self._on_node)
        self._pods_per_node: dict[str, int] = {}

    def _on_pod(self, ev) -> None:
        node = ev.obj["spec"].get("nodeName")
        if not node and ev.type != "DELETED":
            self.enqueue(key_for(ev.obj))

    def _on_node(self, ev) -> None:
        for p in self.store.iter("Pod"):
            if not p["spec"].get("nodeName"):
                self.enqueue(key_for(p))

    def _load(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.store.iter("Pod"):
            n = p["spec"].get("nodeName")
            if n and pod_is_active(p):
                counts[n] = counts.get(n, 0) + 1
        return counts

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        pod = self.store.get("Pod", ns, name)
        if pod is None or pod["spec"].get("nodeName") or meta(pod).get("deletionTimestamp"):
            return
        nodes = self.store.list("Node")
        tolerations = pod["spec"].get("tolerations") or []
        selector = pod["spec"].get("nodeSelector") or {}
        fits, reasons = [], {}
        for n in nodes:
            taints = [t for t in (n.get("spec") or {}).get("taints") or []
                      if t.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(tolerations, t)]
            if taints:
                r = f"node(s) had untolerated taint {_taint_text(taints[0])}"
            elif any(labels_of(n).get(k) != v for k, v in selector.items()):
                r = "node(s) didn't match Pod's node affinity/selector"
            elif (n.get("spec") or {}).get("unschedulable"):
                r = "node(s) were unschedulable"
            else:
                fits.append(n)
                continue
            reasons[r] = reasons.get(r, 0) + 1
        c = self.cluster
        if not fits:
            detail = ", ".join(f"{v} {k}" for k, v in sorted(reasons.items()))
            total = len(nodes)
            msg = (f"0/{total} nodes are available: {detail}. preemption: 0/{total} nodes are available: "
                   f"{total} Preemption is not helpful for scheduling.")
            new = clone(pod)
            set_condition(new.setdefault("status", {}), "PodScheduled", "False", c.now_str(),
                          reason="Unschedulable", message=msg)
            if new != pod:
                self.store.update(new)
                c.record_event(pod, "Warning", "FailedScheduling", msg, self.name)
            return
        load = self._load()
        least = min(load.get(meta(n)["name"], 0) for n in fits)
        best = [n for n in fits if load.get(meta(n)["name"], 0) == least]
        node = best[c.rng("scheduler").randrange(len(best))] if len(best) > 1 else best[0]
        node_name = meta(node)["name"]
        new = clone(pod)
        new["spec"]["nodeName"] = node_name
        set_condition(new.setdefault("status", {}), "PodScheduled", "True", c.now_str())
        self.store.update(new)
        c.record_event(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node_name}", self.name)
        c.flow(self.name, new, "bound", f"to {node_name}")
