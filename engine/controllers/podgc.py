"""PodGC (kube-controller-manager's pod garbage collector), the part a learner meets:
pods bound to a node that does not exist.

A pod created with `spec.nodeName: no-such-node` bypasses the scheduler and no kubelet
ever looks at it, so it sits `Pending`. Upstream's gc loop runs every 20 s; a node name it
does not know is quarantined for 40 s (it may be a Node the informer has not seen yet)
and, if it is still missing then, each of its pods is marked `Failed` with the
`DisruptionTarget` condition (`DeletionByPodGC`, "PodGC: node no longer exists") and
force-deleted (grace period 0). A ReplicaSet then replaces the pod, with the same
template, and the story repeats: that is what a cluster does.

Timers are armed only while orphans exist, so `run_until_idle` still reaches a steady
state (an idle cluster has no periodic timer).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from engine.api.objects import evolve, meta, set_condition
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext

GC_CHECK_PERIOD = 20.0  # gcCheckPeriod
QUARANTINE = 40.0  # quarantineTime


class PodGC(Controller):
    name = "pod-garbage-collector"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.clock, self.flow = ctx.api, ctx.clock, ctx.flow
        self._nodes: set[str] = set()
        self._orphans: dict[str, str] = {}  # pod key -> node name it is bound to
        self._quarantine: dict[str, datetime] = {}  # missing node -> when it may be declared gone
        self._armed: datetime | None = None
        self.store.watch("Node", self._on_node)
        self.store.watch("Pod", self._on_pod)

    def _on_node(self, ev) -> None:
        name = meta(ev.obj)["name"]
        if ev.type == "DELETED":
            self._nodes.discard(name)
            for key in [key_for(p) for p in self.store.iter("Pod") if p["spec"].get("nodeName") == name]:
                self._orphan(key, name)
        else:
            self._nodes.add(name)
            self._quarantine.pop(name, None)
            for key in [k for k, v in self._orphans.items() if v == name]:
                del self._orphans[key]

    def _on_pod(self, ev) -> None:
        key = key_for(ev.obj)
        node = ev.obj["spec"].get("nodeName")
        if ev.type == "DELETED" or not node or node in self._nodes:
            self._orphans.pop(key, None)
            return
        self._orphan(key, node)

    def _orphan(self, key: str, node: str) -> None:
        self._orphans[key] = node
        self._arm()

    def _next_tick(self) -> datetime:
        """The gc loop's next run: every GC_CHECK_PERIOD seconds since the cluster began."""
        clock = self.clock
        since = (clock.now() - clock.origin).total_seconds()
        ticks = int(since // GC_CHECK_PERIOD) + 1
        return clock.origin + timedelta(seconds=ticks * GC_CHECK_PERIOD)

    def _arm(self) -> None:
        if self._armed is not None and self._armed > self.clock.now():
            return
        when = self._next_tick()
        self._armed = when
        self.clock.call_later((when - self.clock.now()).total_seconds(), lambda: self.enqueue("gc"))

    def reconcile(self, key: str) -> None:
        """One run of the gc loop (gcOrphaned)."""
        self._armed = None
        now = self.clock.now()
        for node in set(self._orphans.values()):
            if node not in self._nodes:
                self._quarantine.setdefault(node, now + timedelta(seconds=QUARANTINE))
        gone = {n for n, until in self._quarantine.items() if until <= now and n not in self._nodes}
        for pod_key, node in list(self._orphans.items()):
            if node not in gone:
                continue
            ns, name = split_key(pod_key)
            pod = self.store.get("Pod", ns, name)
            del self._orphans[pod_key]
            if pod is None:
                continue
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                new = evolve(pod, "status")
                st = new.setdefault("status", {})
                st["phase"] = "Failed"
                set_condition(st, "DisruptionTarget", "True", self.clock.now_str(), reason="DeletionByPodGC",
                              message="PodGC: node no longer exists")
                self.store.update(new, owned=True)
            self.api.delete_object("Pod", ns, name, grace=False)
            self.flow(self.name, pod, "deleted", f"node {node} does not exist")
        for node in gone:
            del self._quarantine[node]
        if self._orphans:
            self._arm()
