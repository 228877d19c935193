"""A simulated cluster: the store, the clock, the seeded random source and the
controllers, assembled and run.

`Cluster.run_until_idle()` drains every controller's work queue, then jumps the clock to
the next timer (a pod finishing its image pull, a probe passing, a pod finishing its
termination) until nothing is left: the steady state the CLI prints. Loops that never end
(the kubelets renewing their node Leases) are background timers: they fire as time passes,
but an idle run does not wait for them (engine.cluster.clock).

The controllers do not see this class: each gets the ControllerContext (store, API
client, event recorder, clock, random source, flow sink) and what it alone needs
(kube-proxy the cluster's KubeProxyConfiguration, the kubelet its machines and IPAM).
"""
from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from engine.api.allocators import ClusterIPAllocator, NodePortAllocator
from engine.api.apiserver import ApiServer
from engine.api.naming import new_uid
from engine.api.store import CLUSTER_SCOPED, Store, wall_clock_resource_version
from engine.cluster import bootstrap
from engine.cluster.clock import DETERMINISTIC_START, SimClock
from engine.cluster.events import FlowSink
from engine.cluster.recorder import EventRecorder
from engine.cluster.rng import RandomSource
from engine.cluster.topology import Machines, Topology, build_topology
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext
from engine.controllers.daemonset import DaemonSetController
from engine.controllers.deployment import DeploymentController
from engine.controllers.endpoints import EndpointsController
from engine.controllers.endpointslice import EndpointSliceController
from engine.controllers.garbagecollector import GarbageCollector
from engine.controllers.kubernetesservice import KubernetesServiceController
from engine.controllers.loadbalancer import LoadBalancerController
from engine.controllers.namespace import NamespaceController
from engine.controllers.nodelifecycle import NodeLifecycleController
from engine.controllers.podgc import PodGC
from engine.controllers.replicaset import ReplicaSetController
from engine.controllers.rootca import RootCACertPublisher
from engine.controllers.scheduler import Scheduler
from engine.controllers.serviceaccount import ServiceAccountsController
from engine.controllers.servicepods import ServiceSelectorIndex
from engine.controllers.statefulset import StatefulSetController
from engine.controllers.tainteviction import TaintEvictionController
from engine.dns.coredns import CoreDNS
from engine.dns.corefile import CoreDNSConfig
from engine.heap import no_cyclic_gc
from engine.kubelet.ipam import PodIPAM
from engine.kubelet.kubelet import Kubelet
from engine.kubelet.nodelease import NodeLeases
from engine.proxy.controller import KubeProxy

DETERMINISTIC_SEED = 0
WORKERS_JOIN_AFTER = 15.0  # seconds after the control plane is ready, as `kind create cluster`
USER_STARTS_AFTER = 120.0  # the cluster's age when the user's manifests are applied
FREEZE_EVERY_WRITES = 50_000  # store writes after which a run freezes the GC heap (again)
FREEZE_AFTER_WRITES = 200_000  # past this many writes, every run freezes it


def computed_flow(flow):
    """A flow sink whose events are marked computed: `data["computed"]` and a detail that
    ends with "(computed)" (a mirror's kube-proxy and CoreDNS, engine.attach)."""
    def report(controller, obj, verb, detail="", *, step=None, data=None):
        return flow(controller, obj, verb, f"{detail} (computed)" if detail else "(computed)",
                    step=step, data={**(data or {}), "computed": True})
    return report


class Cluster:
    """The whole simulated control plane. Build one per CLI invocation or dashboard."""

    def __init__(self, topology: Topology | None = None, *, deterministic: bool = False,
                 bare: bool = False, seed: int | None = None, mirror: bool = False,
                 coredns: CoreDNSConfig | None = None, nameserver: str | None = None) -> None:
        """`mirror`: a read-only mirror of a real cluster (engine.attach): nothing boots and
        no controller that writes runs; the store is filled with the real objects as they
        are, and only kube-proxy and CoreDNS run over it (configured by `topology` and
        `coredns`, with `nameserver` the real kube-dns ClusterIP), computing what the real
        ones program and serve. The clock then starts at wall time."""
        self.topology = topology or build_topology([], [])
        self.deterministic = deterministic
        self.bare = bare
        self.mirror = mirror
        if mirror and not deterministic:
            start, self.seed = datetime.now(timezone.utc), 0 if seed is None else seed
        elif deterministic:
            start, self.seed = DETERMINISTIC_START, DETERMINISTIC_SEED if seed is None else seed
        else:
            start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=USER_STARTS_AFTER)
            self.seed = seed if seed is not None else int.from_bytes(os.urandom(8), "big")
        # The building blocks, each in its own module; their methods are offered here as
        # well for the API server, kubectl, the views and kube-proxy's controller.
        self.clock = SimClock(start)
        self.clock_origin = start
        self.now = self.clock.now
        self.now_str = self.clock.now_str
        self.rng = RandomSource(self.seed).rng
        self.store = Store(self.clock, lambda: new_uid(self.rng("uid")),
                           first_resource_version=1000 if deterministic or mirror else wall_clock_resource_version())
        flows = FlowSink(self.clock.now)
        self.flow, self.flow_events, self.flow_listeners = flows.flow, flows.log, flows.listeners
        self.recorder = EventRecorder(self.store, self.clock)
        # The views' memos of rows already computed (engine.views.panes), which live as long as
        # this cluster: a tour that starts over gets a new cluster and new memos.
        self.view_caches: dict[str, dict] = {}
        self._frozen_at_rv = 0  # the store version at the last GC freeze (see _big)
        self.cluster_ips = ClusterIPAllocator(self.topology.service_subnet, self.rng("clusterip"))
        lo, hi = self.topology.node_port_range
        self.node_ports = NodePortAllocator(lo, hi, self.rng("nodeport"))
        self.machines = Machines(self.topology)
        self.api = ApiServer(self.store, self.clock, self.rng, service_subnet=self.topology.service_subnet,
                             node_port_range=self.topology.node_port_range, cluster_ips=self.cluster_ips,
                             node_ports=self.node_ports)
        self.context = ControllerContext(store=self.store, api=self.api, recorder=self.recorder, clock=self.clock,
                                         rng=self.rng, flow=self.flow)
        if mirror:
            self._assemble_mirror(self.context, coredns, nameserver)
            self.boot_events = 0
        else:
            self._assemble(self.context)
            self._boot()

    def _assemble(self, ctx: ControllerContext) -> None:
        """The controllers, in the order they register their watches and run: the order
        decides which writes come first, and with them names, UIDs and events."""
        topo = self.topology
        # (the serviceaccount controller first: a namespace's `default` account comes before its pods)
        run: list[Controller] = [ServiceAccountsController(ctx), DeploymentController(ctx), ReplicaSetController(ctx),
                                 DaemonSetController(ctx), StatefulSetController(ctx), Scheduler(ctx)]
        # Every machine's containerd has kind's node image preloaded.
        self.kubelet = Kubelet(ctx, self.machines, PodIPAM(self.machines),
                               {n.name: bootstrap.PRELOADED_IMAGES for n in topo.nodes})
        services = ServiceSelectorIndex(self.store)  # one Service informer for both endpoint controllers
        self.node_leases = NodeLeases(ctx, self.machines)
        run += [self.kubelet, self.node_leases, EndpointsController(ctx, services), EndpointSliceController(ctx, services),
                LoadBalancerController(ctx)]
        self.kube_proxy = KubeProxy(ctx, topo)
        self.coredns = CoreDNS(ctx, CoreDNSConfig(zone=topo.dns_domain), topo.dns_ip, exited=self.kubelet.main_exited)
        run += [self.kube_proxy, self.coredns, GarbageCollector(ctx)]
        self.namespaces = NamespaceController(ctx)
        self.root_ca = RootCACertPublisher(ctx)
        run += [self.namespaces, self.root_ca, PodGC(ctx), NodeLifecycleController(ctx), TaintEvictionController(ctx),
                KubernetesServiceController(ctx, self.cluster_ips.nth(1), topo.control_plane.ip)]
        self.controllers = run

    def _assemble_mirror(self, ctx: ControllerContext, coredns: CoreDNSConfig | None,
                         nameserver: str | None) -> None:
        """Only the two computed components: the rest of the control plane is the real one.
        Their flow events say they are computed (svcflow cannot read a node's iptables)."""
        topo = self.topology
        ctx = replace(ctx, flow=computed_flow(ctx.flow))
        self.kube_proxy = KubeProxy(ctx, topo)
        self.coredns = CoreDNS(ctx, coredns or CoreDNSConfig(zone=topo.dns_domain), nameserver or topo.dns_ip,
                               mirrored=True)
        self.controllers = [self.kube_proxy, self.coredns]

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
                            c.sync(key)
                            steps += 1
                            progressed = True
                if progressed:
                    continue
                # Jump to the next foreground timer (background loops fire on the way);
                # with none left, catch the loops up to now, once, and stop.
                if not self.clock.fire_next(wait_for_background=False) and not self.clock.fire_due():
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
                    while queue:
                        c.sync(c.pop())  # type: ignore[arg-type]
                        # (after every key: one reconcile may be a ReplicaSet's 500 pods)
                        if deadline is not None and time.perf_counter() > deadline:
                            return False
                if deadline is not None and time.perf_counter() > deadline and self._pending_work():
                    return False
                nxt = self.clock.next_timer_at()
                if nxt is None or nxt > until:
                    break
                self.clock.fire_next()
        self.clock.advance_to(until)
        return True

    # -- machines -----------------------------------------------------------------------
    def stop_machine(self, name: str) -> None:
        """`docker stop <node>`: the node's container stops -- its kubelet (no Lease renewals,
        no pod work), its kube-proxy and every container on it. The API notices nothing until
        the node controller's grace period runs out (engine.controllers.nodelifecycle); the
        network finds nothing answering on it at once (engine.net)."""
        self.machines.stop(name)
        self.flow("docker", {"kind": "Node", "metadata": {"name": name}}, "stopped", "the node's container stopped")

    def start_machine(self, name: str) -> None:
        """`docker start <node>`: its kubelet comes back, posts the node Ready and syncs its pods."""
        self.machines.start(name)
        self.node_leases.resume(name)
        self.kubelet.resume(name)
        self.flow("docker", {"kind": "Node", "metadata": {"name": name}}, "started", "the node's container started")

    def _pending_work(self) -> bool:
        return any(c.queue for c in self.controllers)

    # -- boot -------------------------------------------------------------------------
    def _boot(self) -> None:
        """Bring the cluster up like `kind create cluster`, then let a little time pass."""
        t0 = self.clock.now()
        api, topo = self.api, self.topology
        cp = topo.control_plane
        ids = self.rng("node-ids")
        node_ids = lambda: new_uid(ids)  # noqa: E731
        bootstrap.system_objects_before_nodes(api)
        # kube-controller-manager's root-ca publisher is up before any kubelet mounts the CA
        # (each pod's kube-api-access volume projects it).
        self.root_ca.publish_everywhere()
        api.create_internal(bootstrap.node_object(cp, self.now_str(), node_ids))
        if not self.bare:
            bootstrap.control_plane_objects(api, topo, self.cluster_ips.nth(1))
            bootstrap.config_maps(api, self.coredns.config.corefile())
        self.run_until_idle()
        self.clock.advance(WORKERS_JOIN_AFTER)
        for n in topo.nodes:
            if n is not cp:
                api.create_internal(bootstrap.node_object(n, self.now_str(), node_ids))
        self.run_until_idle()
        self.clock.advance_to(t0 + timedelta(seconds=USER_STARTS_AFTER))
        # The loops that ran meanwhile (the kubelets' Lease renewals) catch up to the user's
        # first instant, so every cluster starts from the same state whatever is applied first.
        self.run_until_idle()
        self.boot_events = self.flow_events.total

    # -- convenience ------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self.store.get(kind, "" if kind in CLUSTER_SCOPED else namespace, name)
