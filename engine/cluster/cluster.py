"""A simulated cluster: store + clock + seeded randomness + controllers.

`Cluster.run_until_idle()` drains every controller's work queue, then jumps the clock to
the next timer (a pod finishing its image pull, a probe passing, a pod finishing its
termination) until nothing is left: the steady state the CLI prints.
"""
from __future__ import annotations

import hashlib
import os
import random
import time
from types import MappingProxyType
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from engine.cluster import bootstrap
from engine.api.allocators import AllocationError, ClusterIPAllocator, HostLocalIPAM, NodePortAllocator
from engine.api.apiserver import ApiServer
from engine.cluster.clock import DETERMINISTIC_START, SimClock, rfc3339
from engine.controllers.base import Controller, no_cyclic_gc
from engine.dns.coredns import CoreDNS
from engine.controllers.daemonset import DaemonSetController
from engine.controllers.deployment import DeploymentController
from engine.controllers.endpoints import EndpointsController, EndpointSliceController
from engine.controllers.garbagecollector import GarbageCollector
from engine.kubelet.kubelet import Kubelet
from engine.proxy.controller import KubeProxy
from engine.controllers.loadbalancer import LoadBalancerController
from engine.controllers.namespace import NamespaceController
from engine.controllers.podgc import PodGC
from engine.controllers.rootca import RootCACertPublisher
from engine.controllers.replicaset import ReplicaSetController
from engine.controllers.scheduler import Scheduler
from engine.cluster.events import FlowEvent, FlowLog
from engine.api.naming import new_uid
from engine.api.objects import meta
from engine.api.store import CLUSTER_SCOPED, Store
from engine.cluster.topology import NodeSpec, Topology, build_topology

DETERMINISTIC_SEED = 0
WORKERS_JOIN_AFTER = 15.0  # seconds after the control plane is ready, as `kind create cluster`
USER_STARTS_AFTER = 120.0  # the cluster's age when the user's manifests are applied
FREEZE_EVERY_WRITES = 50_000  # store writes after which a run freezes the GC heap (again)
FREEZE_AFTER_WRITES = 200_000  # past this many writes, every run freezes it


_NO_DATA = MappingProxyType({})  # the data of the (many) flow events that carry none


class Cluster:
    """The whole simulated control plane. Build one per CLI invocation or dashboard."""

    def __init__(self, topology: Topology | None = None, *, deterministic: bool = False,
                 bare: bool = False, seed: int | None = None) -> None:
        self.topology = topology or build_topology([], [])
        self._node_specs: dict[str, NodeSpec] = {}
        self._stamps: dict[int, str] = {}
        self._event_refs: dict[tuple, dict] = {}  # shared involvedObject / source dicts
        self.deterministic = deterministic
        self.bare = bare
        if deterministic:
            start, self.seed = DETERMINISTIC_START, DETERMINISTIC_SEED if seed is None else seed
        else:
            start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=USER_STARTS_AFTER)
            self.seed = seed if seed is not None else int.from_bytes(os.urandom(8), "big")
        self.clock = SimClock(start)
        self.clock_origin = start
        self._rngs: dict[str, random.Random] = {}
        self.store = Store(self.clock, lambda: new_uid(self.rng("uid")))
        self.flow_events = FlowLog()
        self.flow_listeners: list[Callable[[FlowEvent], None]] = []
        # The views' memos of rows already computed (engine.views.panes), which live as long as
        # this cluster: a tour that starts over gets a new cluster and new memos.
        self.view_caches: dict[str, dict] = {}
        self._frozen_at_rv = 0  # the store version at the last GC freeze (see _big)
        self.cluster_ips = ClusterIPAllocator(self.topology.service_subnet, self.rng("clusterip"))
        lo, hi = self.topology.node_port_range
        self.node_ports = NodePortAllocator(lo, hi, self.rng("nodeport"))
        self.ipam: dict[str, HostLocalIPAM] = {n.name: HostLocalIPAM(n.pod_cidr) for n in self.topology.nodes}
        self.api = ApiServer(self)
        self.controllers: list[Controller] = [
            DeploymentController(self), ReplicaSetController(self), DaemonSetController(self),
            Scheduler(self), Kubelet(self), EndpointsController(self), EndpointSliceController(self),
            LoadBalancerController(self), KubeProxy(self), CoreDNS(self), GarbageCollector(self),
            NamespaceController(self), RootCACertPublisher(self), PodGC(self),
        ]
        self.kubelet = next(c for c in self.controllers if isinstance(c, Kubelet))
        self.coredns = next(c for c in self.controllers if isinstance(c, CoreDNS))
        self.kube_proxy = next(c for c in self.controllers if isinstance(c, KubeProxy))
        self.namespaces = next(c for c in self.controllers if isinstance(c, NamespaceController))
        self._event_names: dict[int, str] = {}
        self._event_seq = 0
        self._boot()

    # -- services the controllers use -------------------------------------------
    def rng(self, purpose: str) -> random.Random:
        """One generator per purpose, all derived from the cluster seed, so a change in
        how often one controller draws does not reshuffle every other name."""
        r = self._rngs.get(purpose)
        if r is None:
            digest = hashlib.sha256(f"{self.seed}:{purpose}".encode()).digest()
            r = self._rngs[purpose] = random.Random(int.from_bytes(digest[:8], "big"))
        return r

    def now(self) -> datetime:
        return self.clock.now()

    def now_str(self, offset: float = 0.0) -> str:
        t = self.clock.now() + timedelta(seconds=offset) if offset else self.clock.now()
        # One string per simulated second, shared by every object stamped in it (a
        # cold start writes hundreds of thousands of timestamps).
        sec = int(t.timestamp())
        cached = self._stamps.get(sec)
        if cached is None:
            if len(self._stamps) > 256:
                self._stamps.clear()
            cached = self._stamps[sec] = rfc3339(t)
        return cached

    def node_spec(self, name: str) -> NodeSpec | None:
        """The machine behind a node name, or None: no kubelet runs for a name that is
        not one of the cluster's machines (a pod bound to `no-such-node` stays Pending
        until the pod garbage collector removes it)."""
        spec = self._node_specs.get(name)
        if spec is None:  # first use, or a node the topology gained since
            self._node_specs = {n.name: n for n in self.topology.nodes}
            spec = self._node_specs.get(name)
        return spec

    def allocate_pod_ip(self, node: str) -> str:
        """The next pod IP of the node's podCIDR (host-local IPAM); AllocationError with
        the CNI plugin's words when the range is used up."""
        ipam = self.ipam.get(node)
        if ipam is None:
            spec = self.node_spec(node)
            if spec is None:
                raise AllocationError(f"no podCIDR for node {node}")
            ipam = self.ipam[node] = HostLocalIPAM(spec.pod_cidr)
        return ipam.allocate()

    def release_pod_ip(self, node: str | None, ip: str) -> None:
        if node in self.ipam:
            self.ipam[node].release(ip)

    def flow(self, controller: str, obj: dict, verb: str, detail: str = "", *, step: int | None = None,
             data: dict[str, Any] | None = None) -> FlowEvent:
        md = meta(obj)
        ev = FlowEvent(seq=self.flow_events.total, time=self.clock.now(), controller=controller,
                       kind=obj.get("kind", ""), namespace=md.get("namespace") or "", name=md.get("name", ""),
                       verb=verb, detail=detail, step=step, data=dict(data) if data else _NO_DATA)
        self.flow_events.append(ev)
        for fn in self.flow_listeners:
            fn(ev)
        return ev

    def record_event(self, obj: dict, type_: str, reason: str, message: str, component: str,
                     host: str | None = None, *, at_offset: float = 0.0) -> None:
        """A core/v1 Event about `obj`, as `kubectl describe` lists them (repeats counted)."""
        md = meta(obj)
        ns = md.get("namespace") or "default"
        # Events seen, by a hash of what makes them repeats (the tuple itself, times
        # 500,000 events, would cost more than the events' dicts); a hit is checked
        # against the stored Event, so a collision only means a new Event.
        key = hash((obj.get("kind"), ns, md.get("name"), reason, message))
        when = self.now_str(at_offset)
        name = self._event_names.get(key)
        if name is not None:
            ev = self.store.get("Event", ns, name)
            inv = (ev or {}).get("involvedObject") or {}
            if ev is not None and (ev.get("reason"), ev.get("message"), inv.get("kind"), inv.get("name")) == (
                    reason, message, obj.get("kind"), md.get("name")):
                new = dict(ev)
                new["count"] = ev.get("count", 1) + 1
                new["lastTimestamp"] = when
                self.store.update(new)
                return
        # Real event names are `<object>.<UnixNano in hex>`, so name order is time order.
        t = self.clock.now() + timedelta(seconds=at_offset)
        self._event_seq += 1
        nanos = int(t.timestamp()) * 1_000_000_000 + self._event_seq % 1_000_000_000
        name = f"{md.get('name')}.{nanos:x}"
        self._event_names[key] = name
        # Stored objects are immutable, so the events about one object share one
        # involvedObject dict, and those of one component on one host one source dict.
        skey = ("source", component, host)
        source = self._event_refs.get(skey)
        if source is None:
            source = {"component": component}
            if host:
                source["host"] = host
            self._event_refs[skey] = source
        ikey = (obj.get("apiVersion"), obj.get("kind"), md.get("name"), md.get("namespace"), md.get("uid"))
        involved = self._event_refs.get(ikey)
        if involved is None:
            if len(self._event_refs) > 4096:
                self._event_refs.clear()
            involved = self._event_refs[ikey] = {
                "apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                "name": md.get("name"), "namespace": md.get("namespace"), "uid": md.get("uid")}
        self.store.create({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved,
            "reason": reason, "message": message, "type": type_, "source": source,
            "firstTimestamp": when, "lastTimestamp": when, "count": 1,
            "reportingComponent": component, "reportingInstance": host or "",
        }, owned=True)

    # -- running --------------------------------------------------------------------
    def _big(self) -> bool:
        """Whether to freeze the heap after this run (see `no_cyclic_gc`), so the cluster's
        state, which lives on, is not rescanned by every full collection (one takes half a
        second at 1,000 Services, seconds at 10,000): after every run of a big cluster
        (FREEZE_AFTER_WRITES), and in a smaller one when the store took
        FREEZE_EVERY_WRITES writes since the last freeze (a cold start, a big apply) --
        at rest a small cluster does not freeze, so the dashboard's cyclic garbage is
        still collected there."""
        rv = self.store.resource_version
        if rv <= FREEZE_AFTER_WRITES and rv - self._frozen_at_rv < FREEZE_EVERY_WRITES:
            return False
        self._frozen_at_rv = rv
        return True

    def run_until_idle(self, max_steps: int = 10_000_000) -> None:
        with no_cyclic_gc(freeze=self._big):
            steps = 0
            while steps < max_steps:
                progressed = False
                for c in self.controllers:
                    while c.queue:
                        key = c.pop()
                        if key is not None:
                            c.reconcile(key)
                            steps += 1
                            progressed = True
                if progressed:
                    continue
                if not self.clock.fire_next():
                    return

    def run_for(self, seconds: float, *, budget: float | None = None) -> bool:
        """Advance simulated time by `seconds`, running everything due on the way.

        ``budget``: wall-clock seconds this call may take (the dashboard keeps the screen
        responsive while 100,000 pods start). When it runs out, work that was due stays
        queued and the clock stops where the work got to, so simulated time lags wall time
        the way a busy control plane lags its clients; False says there is more to do, and
        another call (``run_for(0, budget=...)``) carries on from there."""
        until = self.clock.now() + timedelta(seconds=seconds)
        deadline = None if budget is None else time.perf_counter() + budget
        with no_cyclic_gc(freeze=self._big):
            while True:
                for c in self.controllers:
                    queue = c.queue
                    n = 0
                    while queue:
                        c.reconcile(c.pop())  # type: ignore[arg-type]
                        n += 1
                        if deadline is not None and not n % 32 and time.perf_counter() > deadline:
                            return False
                if deadline is not None and time.perf_counter() > deadline and self._pending_work():
                    return False
                nxt = self.clock.next_timer_at()
                if nxt is None or nxt > until:
                    break
                self.clock.fire_next()
        self.clock.advance_to(until)
        return True

    def _pending_work(self) -> bool:
        return any(c.queue for c in self.controllers)

    # -- boot -------------------------------------------------------------------------
    def _boot(self) -> None:
        """Bring the cluster up like `kind create cluster`, then let a little time pass."""
        t0 = self.clock.now()
        nodes = self.topology.nodes
        cp = self.topology.control_plane
        bootstrap.system_objects_before_nodes(self)
        kubelet = next(c for c in self.controllers if isinstance(c, Kubelet))
        preloaded = set(bootstrap.PRELOADED_IMAGES)
        for n in nodes:
            kubelet.image_cache[n.name] = set(preloaded)
        self.api.create_internal(bootstrap.node_object(cp, self.now_str(), lambda: new_uid(self.rng('node-ids'))))
        if not self.bare:
            bootstrap.control_plane_objects(self)
        self.run_until_idle()
        self.clock.advance(WORKERS_JOIN_AFTER)
        for n in nodes:
            if n is not cp:
                self.api.create_internal(bootstrap.node_object(n, self.now_str(), lambda: new_uid(self.rng('node-ids'))))
        self.run_until_idle()
        if not self.bare:  # (last, so the objects before keep their versions and uids)
            bootstrap.config_maps(self)
            next(c for c in self.controllers if isinstance(c, RootCACertPublisher)).publish_everywhere()
        self.clock.advance_to(t0 + timedelta(seconds=USER_STARTS_AFTER))
        self.boot_events = self.flow_events.total

    # -- convenience ------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self.store.get(kind, "" if kind in CLUSTER_SCOPED else namespace, name)
