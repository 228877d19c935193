"""kube-scheduler: binds each pending pod to a node.

Filters, in the default profile's order (the first one a node fails is its reason):
NodeUnschedulable (cordoned), TaintToleration (kind's control plane carries
`node-role.kubernetes.io/control-plane:NoSchedule` when workers exist), NodeAffinity
(nodeSelector), NodeResourcesFit: the pod count (`status.allocatable.pods`, 110 on a kind
node: "Too many pods") and the pod's cpu and memory requests against what the node's
allocatable leaves after the requests of the pods already bound there ("Insufficient cpu",
"Insufficient memory"; a node may fail several, each counted). A pod no node fits stays
Pending with the scheduler's FailedScheduling message, and is retried when a Node changes or
a bound pod goes.
Score: fewest pods (spreading), ties broken at random as the real scheduler's selectHost
does (seeded in deterministic mode).
"""
from __future__ import annotations

from engine.api.objects import evolve, labels_of, meta, pod_phase, set_condition
from engine.api.podresources import pod_requests
from engine.api.quantity import parse_quantity
from engine.api.tolerations import tolerates_any
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext

TOO_MANY_PODS = "Too many pods"
INSUFFICIENT_CPU = "Insufficient cpu"
INSUFFICIENT_MEMORY = "Insufficient memory"
# Nodes failing only NodeResourcesFit could make room by preempting lower-priority pods;
# every pod here has priority 0, so DefaultPreemption finds no victims on them. Nodes
# failing the other filters are UnschedulableAndUnresolvable: preemption cannot help.
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"


def _holds_slot(pod: dict) -> bool:
    """Whether a bound pod counts against its node's pod capacity (the scheduler cache
    keeps assigned pods until they are deleted or reach a terminal phase)."""
    return pod_phase(pod) not in ("Succeeded", "Failed")


def allowed_pods(node: dict) -> int:
    """`status.allocatable.pods` (NodeInfo.Allocatable.AllowedPodNumber); 110 when the
    node does not say, as the kubelet's default maxPods."""
    raw = ((node.get("status") or {}).get("allocatable") or {}).get("pods")
    try:
        return int(str(raw))
    except (TypeError, ValueError):
        return 110


def requested(pod: dict) -> tuple[int, int]:
    """The pod's (milli-cpu, memory bytes) requests, as the scheduler's framework.Resource
    holds them (MilliValue, Value)."""
    r = pod_requests(pod)
    cpu, mem = r.get("cpu"), r.get("memory")
    return (cpu.milli_value() if cpu else 0, mem.int_value() if mem else 0)


def allocatable(node: dict) -> tuple[int, int]:
    """The node's allocatable (milli-cpu, memory bytes); 0 when it does not say."""
    raw = ((node.get("status") or {}).get("allocatable") or {})
    cpu, mem = parse_quantity(raw.get("cpu", 0)), parse_quantity(raw.get("memory", 0))
    return (cpu.milli_value() if cpu else 0, mem.int_value() if mem else 0)


def histogram(reasons: dict[str, int]) -> str:
    """FitError's sortReasonsHistogram: "<count> <reason>" strings, sorted as strings."""
    return ", ".join(sorted(f"{v} {k}" for k, v in reasons.items()))


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    return tolerates_any(tolerations, taint)


def tolerates_all(tolerations: list[dict], node: dict) -> bool:
    taints = (node.get("spec") or {}).get("taints") or []
    return all(_tolerates(tolerations, t) for t in taints if t.get("effect") in ("NoSchedule", "NoExecute"))


UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def _taint_text(t: dict) -> str:
    return f"{{{t.get('key')}: {t.get('value', '')}}}"


class Scheduler(Controller):
    name = "default-scheduler"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.recorder, self.clock, self.flow = ctx.recorder, ctx.clock, ctx.flow
        self._rng = ctx.rng("scheduler")  # selectHost's tie-breaks
        self.store.watch("Pod", self._on_pod)
        self.store.watch("Node", self._on_node)
        # Kept from the Pod watch, as the scheduler cache does: active pods per node and
        # the pods still waiting for one, so a bind never recounts the cluster's pods.
        self._node_of: dict[str, str] = {}  # ns/name -> node, active bound pods
        self._pods_per_node: dict[str, int] = {}
        self._request_of: dict[str, tuple[int, int]] = {}  # ns/name -> its (milli-cpu, memory), when not zero
        self._requested: dict[str, list[int]] = {}  # node -> [milli-cpu, memory] its bound pods request
        self._pending: dict[str, None] = {}
        self._nodes: list[dict] | None = None
        # (tolerations, nodeSelector) -> (nodes that fit, reasons the others do not);
        # the filter verdicts only change when a Node does.
        self._fits: dict[str, tuple[list[dict], dict[str, int]]] = {}
        self._fit_names: dict[str, list[str]] = {}
        self._capacity: dict[str, list[int]] = {}  # filter signature -> the fitting nodes' allocatable pods
        self._allocatable: dict[str, tuple[int, int]] = {}  # node -> allocatable (milli-cpu, memory)

    def _on_pod(self, ev) -> None:
        key = key_for(ev.obj)
        node = ev.obj["spec"].get("nodeName")
        counted = self._node_of.pop(key, None)
        req: tuple[int, int] | None = None
        if counted is not None:
            self._pods_per_node[counted] -= 1
            req = self._request_of.pop(key, (0, 0))
            if req != (0, 0):
                used = self._requested[counted]
                used[0] -= req[0]
                used[1] -= req[1]
        if ev.type == "DELETED":
            self._pending.pop(key, None)
            if counted is not None:
                self._retry_pending()  # its slot is free: pods waiting for room may fit now
            return
        if node:
            self._pending.pop(key, None)
            if _holds_slot(ev.obj):
                self._node_of[key] = node
                self._pods_per_node[node] = self._pods_per_node.get(node, 0) + 1
                if req is None:  # (first seen bound; a pod's requests do not change after: kept)
                    req = requested(ev.obj)
                if req != (0, 0):
                    self._request_of[key] = req
                    used = self._requested.setdefault(node, [0, 0])
                    used[0] += req[0]
                    used[1] += req[1]
            elif counted is not None:
                self._retry_pending()  # a pod that finished frees its node's slot
        else:
            self._pending[key] = None
            self.enqueue(key)

    def _on_node(self, ev) -> None:
        self._nodes = None
        self._fits.clear()
        self._fit_names.clear()
        self._capacity.clear()
        self._allocatable.clear()
        self._retry_pending()

    def _retry_pending(self) -> None:
        """Move the unschedulable pods back to the active queue (the scheduling queue's
        MoveAllToActiveOrBackoffQueue on a Node event or an assigned pod's deletion)."""
        for key in self._pending:  # creation order, as the pod lister iterates
            self.enqueue(key)

    def _load(self) -> dict[str, int]:
        return self._pods_per_node

    def _caps_of(self, sig: str, fits: list[dict]) -> list[int]:
        """The allocatable pods of each node in `fits` (cached with the filter verdicts)."""
        caps = self._capacity.get(sig)
        if caps is None:
            caps = self._capacity[sig] = [allowed_pods(n) for n in fits]
        return caps

    def _names_of(self, sig: str, fits: list[dict]) -> list[str]:
        names = self._fit_names.get(sig)
        if names is None:
            names = self._fit_names[sig] = [meta(n)["name"] for n in fits]
        return names

    @staticmethod
    def _filter(nodes: list[dict], tolerations: list[dict], selector: dict) -> tuple[list[dict], dict[str, int]]:
        """The filters whose verdict only a Node change can change (NodeUnschedulable,
        TaintToleration, NodeAffinity), in the default profile's order."""
        fits, reasons = [], {}
        for n in nodes:
            spec = n.get("spec") or {}
            taints = [t for t in spec.get("taints") or []
                      if isinstance(t, dict) and t.get("effect") in ("NoSchedule", "NoExecute")
                      and not _tolerates(tolerations, t)]
            if spec.get("unschedulable") and not _tolerates(tolerations, UNSCHEDULABLE_TAINT):
                r = "node(s) were unschedulable"
            elif taints:
                r = f"node(s) had untolerated taint {_taint_text(taints[0])}"
            elif any(labels_of(n).get(k) != v for k, v in selector.items()):
                r = "node(s) didn't match Pod's node affinity/selector"
            else:
                fits.append(n)
                continue
            reasons[r] = reasons.get(r, 0) + 1
        return fits, reasons

    def _insufficient(self, name: str, node: dict, cpu: int, mem: int) -> list[str]:
        """fitsRequest's cpu and memory checks: a request above zero must fit in what the
        node's allocatable leaves after its bound pods' requests."""
        alloc = self._allocatable.get(name)
        if alloc is None:
            alloc = self._allocatable[name] = allocatable(node)
        used = self._requested.get(name) or (0, 0)
        out = []
        if cpu > 0 and cpu > alloc[0] - used[0]:
            out.append(INSUFFICIENT_CPU)
        if mem > 0 and mem > alloc[1] - used[1]:
            out.append(INSUFFICIENT_MEMORY)
        return out

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        pod = self.store.get("Pod", ns, name)
        if pod is None or pod["spec"].get("nodeName") or meta(pod).get("deletionTimestamp"):
            return
        if self._nodes is None:
            self._nodes = self.store.list("Node")
        nodes = self._nodes
        tolerations = pod["spec"].get("tolerations") or []
        selector = pod["spec"].get("nodeSelector") or {}
        sig = repr((tolerations, selector))
        cached = self._fits.get(sig)
        if cached is None:
            cached = self._fits[sig] = self._filter(nodes, tolerations, selector)
        fits, reasons = cached
        load = self._load()
        loads: list[int] = []
        resource_failed = 0  # nodes NodeResourcesFit refused (Unschedulable: preemption is tried there)
        if fits:  # NodeResourcesFit: the pod count, then cpu and memory, against allocatable
            names = self._names_of(sig, fits)
            loads = [load.get(n, 0) for n in names]
            caps = self._caps_of(sig, fits)
            cpu, mem = requested(pod)
            if cpu == 0 and mem == 0:  # (most pods: only the pod count can fail)
                room = [i for i, (used, cap) in enumerate(zip(loads, caps)) if used < cap]
                if len(room) < len(fits):
                    reasons = {**reasons, TOO_MANY_PODS: len(fits) - len(room)}
            else:
                reasons = dict(reasons)
                room = []
                for i, n in enumerate(names):
                    failed = self._insufficient(n, fits[i], cpu, mem)
                    if loads[i] >= caps[i]:
                        failed.insert(0, TOO_MANY_PODS)
                    for r in failed:
                        reasons[r] = reasons.get(r, 0) + 1
                    if not failed:
                        room.append(i)
            resource_failed = len(fits) - len(room)
            if resource_failed:
                fits = [fits[i] for i in room]
                loads = [loads[i] for i in room]
        if not fits:
            total = len(nodes)
            full = resource_failed
            preemption = {k: v for k, v in ((NOT_HELPFUL, total - full), (NO_VICTIMS, full)) if v}
            msg = (f"0/{total} nodes are available: {histogram(reasons)}. "
                   f"preemption: 0/{total} nodes are available: {histogram(preemption)}.")
            new = evolve(pod, "status")
            set_condition(new.setdefault("status", {}), "PodScheduled", "False", self.clock.now_str(),
                          reason="Unschedulable", message=msg)
            if new != pod:
                self.store.update(new, owned=True)
                self.recorder.event(pod, "Warning", "FailedScheduling", msg, self.name)
            return
        least = min(loads)
        best = [n for n, count in zip(fits, loads) if count == least]
        node = best[self._rng.randrange(len(best))] if len(best) > 1 else best[0]
        node_name = meta(node)["name"]
        new = evolve(pod, "status")
        new["spec"] = {**pod["spec"], "nodeName": node_name}
        set_condition(new.setdefault("status", {}), "PodScheduled", "True", self.clock.now_str())
        self.store.update(new, owned=True)
        self.recorder.event(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node_name}", self.name)
        self.flow(self.name, new, "bound", f"to {node_name}")
