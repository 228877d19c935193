"""The kubelets' node Leases: each node's heartbeat in `kube-node-lease`.

Every kubelet holds a `coordination.k8s.io/v1` Lease named after its node and renews it
every 10 s (a quarter of `leaseDurationSeconds: 40`, upstream's nodeLeaseRenewIntervalFraction);
the node lifecycle controller reads it to tell a live node from a dead one, and `kubectl
describe node` prints it. As upstream's lease controller (k8s.io/component-helpers/
apimachinery/lease) writes it: `holderIdentity` = the node's name, no `acquireTime`,
`renewTime` a MicroTime, and an ownerReference to the Node (`apiVersion: v1`, no
`controller`), set once the Node exists.

A renewal is a background timer on the simulated clock (engine.cluster.clock): it fires
whenever time passes it, in the dashboard and `svcflow serve` every 10 s of wall time, but
`Cluster.run_until_idle()` does not wait for it, so a deterministic run still reaches its
steady state; an idle run ends by catching every overdue renewal up to `now`. A Lease's UID
comes from a random purpose of its own, so adding Leases does not change any other object's
UID.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from engine.api.naming import new_uid
from engine.api.objects import evolve, meta
from engine.cluster.clock import parse_time, rfc3339_micro
from engine.cluster.topology import Machines
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext

NODE_LEASE_NAMESPACE = "kube-node-lease"  # corev1.NamespaceNodeLease
LEASE_DURATION_SECONDS = 40  # the kubelet's nodeLeaseDurationSeconds default
RENEW_INTERVAL = LEASE_DURATION_SECONDS * 0.25  # nodeLeaseRenewIntervalFraction: 10 s


#: The node conditions a healthy kubelet posts: type -> (status, reason, message).
HEALTHY = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
}


def new_lease(node: dict, now: datetime) -> dict:
    """The Lease a kubelet creates for `node` (lease controller's newLease + setNodeOwnerFunc)."""
    md = meta(node)
    name = md["name"]
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": NODE_LEASE_NAMESPACE,
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                                              "uid": md.get("uid", "")}]},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                     "renewTime": rfc3339_micro(now)}}


class NodeLeases(Controller):
    """The lease controller of every kubelet (one per machine with a Node): keys are node names."""

    name = "kubelet-lease"

    def __init__(self, ctx: ControllerContext, machines: Machines) -> None:
        super().__init__(ctx)
        self.clock, self.api = ctx.clock, ctx.api
        self._uids = ctx.rng("node-lease-uid")
        self.machines = machines
        self._timers: dict[str, object] = {}
        self.store.watch("Node", self._on_node)

    def resume(self, name: str) -> None:
        """The node started again: its kubelet posts the node's status (Ready, the pressure
        conditions as it measures them) and renews its Lease at once."""
        node = self.store.get("Node", "", name)
        if node is not None:
            now = self.clock.now_str()
            new = evolve(node, "status")
            for c in new["status"].get("conditions") or []:
                healthy = HEALTHY.get(c.get("type"))
                if healthy is None:
                    continue
                status, reason, message = healthy
                if c.get("status") != status:
                    c["lastTransitionTime"] = now
                c.update(status=status, reason=reason, message=message, lastHeartbeatTime=now)
            if new != node:
                self.store.update(new, owned=True)
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancelled = True  # type: ignore[attr-defined]
        self.enqueue(name)

    def _on_node(self, ev) -> None:
        name = meta(ev.obj)["name"]
        if ev.type == "DELETED":
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancelled = True  # type: ignore[attr-defined]
            self.enqueue(name)  # (the Lease follows its owner, as the garbage collector does)
        elif ev.type == "ADDED":
            self.enqueue(name)

    def _arm(self, name: str, renewed: datetime) -> None:
        """The next renewal, RENEW_INTERVAL after the last one."""
        if name not in self._timers:
            due = (renewed + timedelta(seconds=RENEW_INTERVAL) - self.clock.now()).total_seconds()
            self._timers[name] = self.clock.call_later(max(due, 0.0), lambda: self._tick(name), background=True)

    def _tick(self, name: str) -> None:
        self._timers.pop(name, None)
        self.enqueue(name)

    def _namespace_usable(self) -> bool:
        ns = self.store.get("Namespace", "", NODE_LEASE_NAMESPACE)
        return ns is not None and not meta(ns).get("deletionTimestamp")

    def reconcile(self, name: str) -> None:
        node = self.store.get("Node", "", name)
        lease = self.store.get("Lease", NODE_LEASE_NAMESPACE, name)
        if node is None or self.machines.get(name) is None:
            if node is None and lease is not None:
                self.api.delete_object("Lease", NODE_LEASE_NAMESPACE, name)
            return
        if not self.machines.running(name):
            return  # the node is down (`docker stop`): no renewals until resume
        now = self.clock.now()
        if lease is None:
            if self._namespace_usable():
                self.store.create(new_lease(node, now), owned=True, uid=new_uid(self._uids))
        else:
            renewed = parse_time((lease.get("spec") or {}).get("renewTime"))
            if renewed is not None and now < renewed + timedelta(seconds=RENEW_INTERVAL):
                self._arm(name, renewed)  # not due yet (a Node event; a Lease someone else wrote)
                return
            new = evolve(lease, "spec")
            new["spec"]["renewTime"] = rfc3339_micro(now)
            self.store.update(new, owned=True)
        self._arm(name, now)
