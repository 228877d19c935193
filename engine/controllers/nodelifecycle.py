"""The node lifecycle controller (kube-controller-manager's `node-controller`,
pkg/controller/nodelifecycle): it tells a live node from a dead one by its kubelet's Lease.

A node whose Lease has not been renewed for NODE_MONITOR_GRACE_PERIOD (50 s in v1.33; the
kubelet renews every 10 s) is marked as kube-controller-manager marks it:

* every node condition the kubelet posted becomes `Unknown`, reason `NodeStatusUnknown`,
  message `Kubelet stopped posting node status.` (their last heartbeat stays), and the Node
  gets a `NodeNotReady` event;
* the pods bound to it get their `Ready` condition set to False (MarkPodsNotReady) and a
  `NodeNotReady` event, so the EndpointSlice controller moves them to not-ready and
  kube-proxy stops sending them traffic -- while `kubectl get pods` still says `1/1
  Running` (the containers' statuses are the kubelet's, which cannot write);
* the taints `node.kubernetes.io/unreachable:NoSchedule` (the scheduler places nothing
  there) and `:NoExecute` (the taint eviction controller evicts the pods that do not
  tolerate it, and after `tolerationSeconds` -- 300 by default -- the ones that do), each
  with `timeAdded`.

When the kubelet posts Ready again (the node's container started), the taints go and the
Node gets `NodeReady`. The controller does not poll every 5 s (nodeMonitorPeriod) as
upstream's does; it looks again at each Lease's deadline, a timer on the simulated clock, so
a node goes NotReady 50 s after its last renewal rather than up to 55 s.
"""
from __future__ import annotations

from datetime import timedelta

from engine.api.objects import evolve, meta, set_condition
from engine.cluster.clock import parse_time
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext

NODE_MONITOR_GRACE_PERIOD = 50.0  # kube-controller-manager --node-monitor-grace-period (v1.32+)
LEASE_NAMESPACE = "kube-node-lease"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNKNOWN_REASON, UNKNOWN_MESSAGE = "NodeStatusUnknown", "Kubelet stopped posting node status."


def ready_status(node: dict) -> str:
    """The node's Ready condition's status ("True", "False", "Unknown"; "" when none)."""
    return next((c.get("status", "") for c in (node.get("status") or {}).get("conditions") or []
                 if c.get("type") == "Ready"), "")


class NodeLifecycleController(Controller):
    """Keys are node names."""

    name = "node-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.recorder, self.clock = ctx.recorder, ctx.clock
        self._timers: dict[str, object] = {}
        self.store.watch("Node", self._on_node)
        self.store.watch("Lease", self._on_lease)

    def _on_node(self, ev) -> None:
        self.enqueue(meta(ev.obj)["name"])

    def _on_lease(self, ev) -> None:
        if meta(ev.obj).get("namespace") == LEASE_NAMESPACE:
            self.enqueue(meta(ev.obj)["name"])

    def _look_again(self, name: str, seconds: float) -> None:
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancelled = True  # type: ignore[attr-defined]

        def due() -> None:
            self._timers.pop(name, None)
            self.enqueue(name)
        self._timers[name] = self.clock.call_later(max(seconds, 0.0), due, background=True)

    def reconcile(self, name: str) -> None:
        node = self.store.get("Node", "", name)
        if node is None:
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancelled = True  # type: ignore[attr-defined]
            return
        lease = self.store.get("Lease", LEASE_NAMESPACE, name)
        if lease is None:
            return  # (a Node no kubelet holds a Lease for: nothing to judge it by)
        renewed = parse_time((lease.get("spec") or {}).get("renewTime"))
        if renewed is None:
            return
        now = self.clock.now()
        deadline = renewed + timedelta(seconds=NODE_MONITOR_GRACE_PERIOD)
        if now < deadline:
            self._look_again(name, (deadline - now).total_seconds())
            if ready_status(node) == "True":
                self._untaint(node)
            return
        if ready_status(node) != "Unknown":
            node = self._mark_unknown(node)
            self._mark_pods_not_ready(name)
        self._taint(node)

    # -- the node ---------------------------------------------------------------------------
    def _mark_unknown(self, node: dict) -> dict:
        now = self.clock.now_str()
        new = evolve(node, "status")
        for c in new["status"].get("conditions") or []:
            if c.get("status") != "Unknown":
                c["lastTransitionTime"] = now
            c.update(status="Unknown", reason=UNKNOWN_REASON, message=UNKNOWN_MESSAGE)
        node = self.store.update(new, owned=True)
        self.recorder.event(node, "Normal", "NodeNotReady", f"Node {meta(node)['name']} status is now: NodeNotReady",
                            self.name)
        return node

    def _taint(self, node: dict) -> None:
        """SwapNodeControllerTaint: the NoSchedule taint first (its pass runs on the Node
        update), then the NoExecute one; each stamped with the time it was added."""
        taints = list((node.get("spec") or {}).get("taints") or [])
        have = {(t.get("key"), t.get("effect")) for t in taints}
        now = self.clock.now_str()
        added = [{"effect": effect, "key": UNREACHABLE, "timeAdded": now}
                 for effect in ("NoSchedule", "NoExecute") if (UNREACHABLE, effect) not in have]
        if added:
            new = evolve(node, "spec")
            new.setdefault("spec", {})["taints"] = taints + added
            self.store.update(new, owned=True)

    def _untaint(self, node: dict) -> None:
        taints = (node.get("spec") or {}).get("taints") or []
        kept = [t for t in taints if t.get("key") != UNREACHABLE]
        if len(kept) == len(taints):
            return
        new = evolve(node, "spec")
        if kept:
            new["spec"]["taints"] = kept
        else:
            new["spec"].pop("taints", None)
        node = self.store.update(new, owned=True)
        self.recorder.event(node, "Normal", "NodeReady", f"Node {meta(node)['name']} status is now: NodeReady",
                            self.name)

    # -- its pods ---------------------------------------------------------------------------
    def _mark_pods_not_ready(self, name: str) -> None:
        """MarkPodsNotReady: only the pod's Ready condition; its reason and message stay."""
        now = self.clock.now_str()
        for pod in [p for p in self.store.iter("Pod") if p["spec"].get("nodeName") == name]:
            cond = next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"),
                        None)
            if cond is None or cond.get("status") == "False":
                continue
            new = evolve(pod, "status")
            set_condition(new["status"], "Ready", "False", now, reason=cond.get("reason"), message=cond.get("message"))
            self.store.update(new, owned=True)
            self.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready", self.name)
