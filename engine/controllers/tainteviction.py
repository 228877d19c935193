"""The taint eviction controller (kube-controller-manager's `taint-eviction-controller`,
pkg/controller/tainteviction): a pod on a node with a `NoExecute` taint it does not tolerate
is deleted; one that tolerates every such taint for a while (`tolerationSeconds`: the
DefaultTolerationSeconds admission plugin gives every pod 300 s for `not-ready` and
`unreachable`) is deleted when the shortest of those runs out, counted from when this
controller first saw it tainted; a toleration without seconds tolerates for ever (DaemonSet
pods, the static pods). The deletion is graceful, as an eviction: on a node that is down no
kubelet finishes it, so the pod stays `Terminating` while its ReplicaSet makes a new one on
a node that is up. A taint removed before then cancels the eviction, with an event.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from engine.api.objects import is_terminating, meta
from engine.api.tolerations import tolerates
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext


def no_execute_taints(node: dict | None) -> list[dict]:
    if node is None:
        return []
    return [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]


def min_toleration_seconds(tolerations: list[dict], taints: list[dict]) -> float | None:
    """getMatchingTolerations + getMinTolerationTime: None when some taint is not tolerated
    (evict now), inf when every matching toleration is for ever, else the shortest."""
    used = []
    for taint in taints:
        match = [t for t in tolerations if isinstance(t, dict) and tolerates(t, taint)]
        if not match:
            return None
        used += match
    seconds = [t["tolerationSeconds"] for t in used if isinstance(t.get("tolerationSeconds"), (int, float))]
    return float(max(0, min(seconds))) if seconds else float("inf")


class TaintEvictionController(Controller):
    """Keys are pod keys (namespace/name)."""

    name = "taint-eviction-controller"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.api, self.recorder, self.clock = ctx.api, ctx.recorder, ctx.clock
        self._scheduled: dict[str, tuple[datetime, object]] = {}  # pod key -> (first seen tainted, timer)
        self._tainted: set[str] = set()  # nodes with a NoExecute taint
        self.store.watch("Node", self._on_node)
        self.store.watch("Pod", self._on_pod)

    def _on_node(self, ev) -> None:
        name = meta(ev.obj)["name"]
        tainted = ev.type != "DELETED" and bool(no_execute_taints(ev.obj))
        if not tainted and name not in self._tainted:
            return
        if tainted:
            self._tainted.add(name)
        else:
            self._tainted.discard(name)
        for pod in self.store.iter("Pod"):
            if pod["spec"].get("nodeName") == name:
                self.enqueue(key_for(pod))

    def _on_pod(self, ev) -> None:
        key = key_for(ev.obj)
        if ev.type == "DELETED":
            self._cancel(key)
        elif ev.obj["spec"].get("nodeName") in self._tainted or key in self._scheduled:
            self.enqueue(key)

    def _cancel(self, key: str) -> bool:
        entry = self._scheduled.pop(key, None)
        if entry is not None:
            entry[1].cancelled = True  # type: ignore[attr-defined]
        return entry is not None

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        pod = self.store.get("Pod", ns, name)
        if pod is None or is_terminating(pod):
            self._cancel(key)
            return
        taints = no_execute_taints(self.store.get("Node", "", pod["spec"].get("nodeName") or ""))
        if not taints:
            if self._cancel(key):
                self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Cancelling deletion of Pod {key}",
                                    self.name)
            return
        seconds = min_toleration_seconds(pod["spec"].get("tolerations") or [], taints)
        if seconds is None:
            self._cancel(key)
            self._evict(key)
            return
        if seconds == float("inf"):
            return
        now = self.clock.now()
        start = self._scheduled[key][0] if key in self._scheduled else now
        trigger = start + timedelta(seconds=seconds)
        self._cancel(key)
        timer = self.clock.call_later(max((trigger - now).total_seconds(), 0.0), lambda: self._evict(key),
                                      background=True)
        self._scheduled[key] = (start, timer)

    def _evict(self, key: str) -> None:
        self._scheduled.pop(key, None)
        ns, name = split_key(key)
        pod = self.store.get("Pod", ns, name)
        if pod is None or is_terminating(pod):
            return
        self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {key}", self.name)
        self.api.delete_object("Pod", ns, name)
