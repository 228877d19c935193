"""kube-proxy on every node (step 3 of the Service flow).

Like the real one it watches Services and EndpointSlices — not Endpoints — and batches
changes: watch events only record which Services changed; one reconcile then runs a
sync on each node, partial (KEP-3453: only the touched Services' chains plus the
top-level chains) unless a full one is due. Syncs are rate-limited as kube-proxy's
BoundedFrequencyRunner does (`iptables.minSyncPeriod`, 1s by default, with a burst of
2): a change after a quiet spell is programmed at once, a storm of changes (a rollout,
a cold start of 100,000 pods) is folded into one sync per second of simulated time.

Each node keeps its own rule state, because NodePort and Local-policy rules differ per
node; nodes whose rules cannot differ share it. That is the case while no Service
depends on which node renders it (no Local traffic policy, no topology hints, no
loadBalancerSourceRanges "allow from node" check) and `nodePortAddresses` is unset: the
rules of every node are then the same bytes, so one proxier computes them once (copy on
write, as it were) and each node still reports its own sync. As soon as one Service is
node-dependent, every node gets a proxier of its own. Every sync is a step-3 flow event
per node with the node, the mode, the chains written and deleted, and the rule count.

kube-proxy runs as a DaemonSet's pod on each node. When a node's kube-proxy stops (its pod
deleted or terminating: the DaemonSet deleted, the pod killed), the rules it wrote stay in
the node's kernel, and nothing programs new or changed Services there: that node keeps its
rules as they were (`stopped`; a node that shared them gets its own copy), while the others
move on; a new kube-proxy pod running there starts with a full sync. A node where no
kube-proxy pod was ever seen (a bare cluster, an attached one that runs none) is not judged.

This module is the controller (watch -> sync); what it drives lives beside it: the rate
limiter in `engine.proxy.runner`, the proxiers in `engine.proxy.iptables` (and
`engine.proxy.modes` for ipvs and nftables), the save text the panes show in
`engine.proxy.iptables.savelines`, the chains a selection lights up in
`engine.proxy.iptables.servicechains`.
"""
from __future__ import annotations

import time
from typing import Sequence

from engine.api.objects import labels_of, meta
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.cluster.events import STEP_PROXY
from engine.cluster.topology import Topology
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext
from engine.heap import no_cyclic_gc
from engine.proxy.config import ProxierConfig, node_proxier_config
from engine.proxy.iptables.netfilter import TextOnlyNetfilter
from engine.proxy.iptables.partial import IncrementalProxier
from engine.proxy.iptables.proxier import IPTablesProxier
from engine.proxy.iptables.save import save_timestamp
from engine.proxy.iptables.savelines import SaveLines
from engine.proxy.iptables.servicechains import endpoint_chains, service_chains
from engine.proxy.modes import ModeInputs, ModeProxies
from engine.proxy.runner import BoundedFrequencyRunner
from engine.proxy.steps import Steps, drain

SYNC_KEY = "sync"
SHARED = "*"  # class key of the nodes that share one rule state
STOPPED = "-"  # class key of a node whose kube-proxy is not running (its rules are its own, frozen)
KUBE_PROXY_LABEL = ("k8s-app", "kube-proxy")  # kubeadm's (and kind's) DaemonSet's pods
MODE_SYNCED = ("ipvs", "nftables")  # modes whose every sync is a full one, per node


def node_dependent_service(svc: dict) -> bool:
    """Whether this Service's rules can differ from node to node (iptables mode)."""
    spec = svc.get("spec") or {}
    if spec.get("internalTrafficPolicy") == "Local":
        return True
    if spec.get("externalTrafficPolicy") == "Local":
        return True
    if spec.get("loadBalancerSourceRanges"):
        return True
    return bool(spec.get("trafficDistribution"))


def node_dependent_slice(sl: dict) -> bool:
    """Endpoint hints (topology-aware routing) make a node's choice depend on its zone."""
    return any(e.get("hints") for e in sl.get("endpoints") or ())


class KubeProxy(Controller):
    name = "kube-proxy"

    def __init__(self, ctx: ControllerContext, topology: Topology) -> None:
        super().__init__(ctx)
        self.clock = ctx.clock
        self._flow = ctx.flow
        self.topology = topology  # the cluster's KubeProxyConfiguration and Service CIDR
        self.proxiers: dict[str, IncrementalProxier] = {}  # node -> its proxier (shared ones repeat)
        self.last_sync: dict[str, object] = {}
        self._class_of: dict[str, str] = {}  # node -> class key
        self._changed: set[str] | None = None  # None = first sync is full
        self._other_modes: dict[tuple, tuple[str, str]] = {}  # (node, mode, inputs) -> (timestamp, text)
        self.save_lines = SaveLines()  # the iptables-save text of the nodes last shown
        # Objects that make a node's rules differ from another's (see the module doc),
        # with the Service each belongs to; and Services that stopped being so.
        self._dependent: dict[tuple[str, str, str], str] = {}
        self._undepended: set[str] = set()
        self.runner = BoundedFrequencyRunner(lambda secs, fn: self.clock.call_later(secs, fn),
                                             lambda: self.enqueue(SYNC_KEY))
        self.modes = ModeProxies(ctx.store, ctx.clock, topology, self._rules_shared)
        self._stepping: Steps[None] | None = None  # a sync run in slices (`sync_in_slices`)
        self._stepping_first = False  # ... and it is the first one
        self._every_sync = False  # later ipvs/nftables syncs run in slices too (`sync_in_slices`)
        self._previous: dict[str, str] = {}  # node -> its pane's text while a later sync runs
        self.stopped: set[str] = set()  # nodes whose kube-proxy is not running
        self._running: dict[str, set[str]] = {}  # node -> its running kube-proxy pods
        self._ran: set[str] = set()  # nodes where a kube-proxy pod was seen running
        self.store.watch("Service", self._on_change)
        self.store.watch("EndpointSlice", self._on_change)
        self.store.watch("Node", self._on_node)
        self.store.watch("Pod", self._on_pod)

    # -- watch ------------------------------------------------------------------
    def _on_change(self, ev) -> None:
        obj = ev.obj
        ns = meta(obj).get("namespace") or ""
        kind = obj["kind"]
        name = meta(obj)["name"] if kind == "Service" else labels_of(obj).get(SERVICE_NAME_LABEL)
        ref = (kind, ns, meta(obj)["name"])
        dependent = ev.type != "DELETED" and (
            node_dependent_service(obj) if kind == "Service" else node_dependent_slice(obj))
        was = self._dependent.pop(ref, None)
        if was is not None:
            self._undepended.add(was)  # its rules go back to being the same on every node
        if dependent and name:
            self._dependent[ref] = f"{ns}/{name}"
        if not name:
            return
        if self._changed is not None:
            self._changed.add(f"{ns}/{name}")
        self.enqueue(SYNC_KEY)

    def _on_node(self, ev) -> None:
        if ev.type == "ADDED":
            self._changed = None if not self.proxiers else self._changed
            self.enqueue(SYNC_KEY)

    def _on_pod(self, ev) -> None:
        pod = ev.obj
        md = meta(pod)
        if md.get("namespace") != "kube-system" or labels_of(pod).get(KUBE_PROXY_LABEL[0]) != KUBE_PROXY_LABEL[1]:
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            return
        running = ev.type != "DELETED" and not md.get("deletionTimestamp") \
            and (pod.get("status") or {}).get("phase") == "Running"
        pods = self._running.setdefault(node, set())
        if running:
            pods.add(md["name"])
            self._ran.add(node)
        else:
            pods.discard(md["name"])
        up = bool(pods) or node not in self._ran
        if not up and node not in self.stopped:
            self._stop(node, pod)
        elif up and node in self.stopped:
            self.stopped.discard(node)
            self._class_of.pop(node, None)
            self.proxiers.pop(node, None)  # (a new kube-proxy: a full sync, from nothing)
            self.last_sync.pop(node, None)
            self._flow(self.name, pod, "started", f"{node}: kube-proxy is running again: a full sync programs "
                                                  "every Service there")
            self.enqueue(SYNC_KEY)

    def _stop(self, node: str, pod: dict) -> None:
        """`node`'s kube-proxy stopped: its rules stay as they are (its own copy of them, if
        it shared them), and no sync touches them until one runs there again."""
        self.stopped.add(node)
        p = self.proxiers.get(node)
        n = self.store.get("Node", "", node)
        if p is not None and n is not None and self._class_of.get(node) == SHARED:
            self.proxiers[node] = p.clone_for(self.config_for(n))
        self._class_of[node] = STOPPED
        self._flow(self.name, pod, "stopped", f"{node}: kube-proxy is not running: the rules it wrote stay; "
                                              "nothing programs new or changed Services on this node")

    @property
    def mode(self) -> str:
        return self.topology.proxy.mode

    def restart(self) -> None:
        """Start over with the topology's (new) configuration, as kube-proxy does when its
        configuration file changes (it exits; its DaemonSet starts it again): every node's
        rules are synced afresh, in full, at once. Used by a mirror whose cluster's
        `kube-system/kube-proxy` ConfigMap changed (engine.attach)."""
        self._stepping = None  # (a sync under way starts over with the new configuration)
        self._previous.clear()
        self.proxiers.clear()
        self._class_of.clear()
        self.last_sync.clear()
        self._changed = None
        self._other_modes.clear()
        self.save_lines = SaveLines()
        self.modes = ModeProxies(self.store, self.clock, self.topology, self._rules_shared)
        self.modes.driven = self.mode if self._every_sync else None
        self.enqueue(SYNC_KEY)

    def config_for(self, node: dict) -> ProxierConfig:
        return node_proxier_config(meta(node)["name"], node, self.topology.proxy,
                                   (self.topology.service_subnet,))

    # -- reconcile ----------------------------------------------------------------
    def _sim_seconds(self) -> float:
        return (self.clock.now() - self.clock.origin).total_seconds()

    def _rules_shared(self) -> bool:
        """Whether no node's rules can differ from another's now (see the module doc)."""
        return not (self._dependent or self.topology.proxy.node_port_addresses)

    def _class_key(self, node: dict) -> str:
        return SHARED if self._rules_shared() else meta(node)["name"]

    def reconcile(self, key: str) -> None:
        if self._stepping is not None:
            return  # a first sync runs in slices; what changed meanwhile is synced after it
        now = self._sim_seconds()
        if not self.runner.may_run(now, unlimited=not self.proxiers):
            return  # a sync is scheduled (minSyncPeriod); it will see this change
        if self._every_sync and self.proxiers and self.mode in MODE_SYNCED:
            # (a full sync of every node, seconds at 10,000 Services: `sync_in_slices` runs it)
            self._start_stepping(now, first=False)
            return
        drain(self._sync(now))

    def _start_stepping(self, now: float, *, first: bool) -> None:
        """Hand a sync to `sync_in_slices`. While a later one runs, the rules pane keeps
        the text the last sync left (`render`), as `ipvsadm -Ln` or `nft list ruleset` would
        print until kube-proxy's new rules are written."""
        self._stepping_first = first
        if not first:
            self._previous = {node: text for (node, mode, _), (_, text) in self._other_modes.items()
                              if mode == self.mode}
        self._stepping = self._held_sync(now, first=first)

    @property
    def first_synced(self) -> bool:
        """Every node's rules computed at least once (none to compute with no Node)."""
        return (self._stepping is None or not self._stepping_first) \
            and (bool(self.last_sync) or not self.store.count("Node"))

    @property
    def syncing(self) -> bool:
        """A sync runs in slices (`sync_in_slices`), the first or a later one."""
        return self._stepping is not None

    def sync_in_slices(self, budget: float, *, every_sync: bool = False) -> bool:
        """Run kube-proxy's first sync -- a full one over every Service, seconds at 10,000
        -- a slice of about `budget` wall seconds at a time, so that a dashboard's event
        loop can repaint between slices (an attached cluster's first sync; `reconcile`
        does nothing while it is under way). The rules are the ones a one-call sync
        writes: the same steps run, over the Services and EndpointSlices as they were when
        it started (stored objects are never changed, only replaced); what changed since
        is synced after it, as a change during any sync would be. True when no such sync
        is due or under way any more.

        `every_sync` (an attached dashboard's, from then on): in ipvs and nftables modes
        every later sync is a full one of every node too (one Service added: seconds per
        node at 10,000), so `reconcile` leaves those to this method as well, the rate
        limiter deciding when they start as it does for one-call syncs. Off, a caller that
        runs the cluster to idle (the simulation, the CLI, tests) syncs in one call."""
        if every_sync and not self._every_sync:
            self._every_sync = True
            self.modes.driven = self.mode
        if self._stepping is None:
            if self.proxiers and self._every_sync and self.mode in MODE_SYNCED and SYNC_KEY in self.queue:
                while self.pop() is not None:
                    pass
                self.reconcile(SYNC_KEY)  # (starts it, unless the rate limiter defers it)
            elif self.proxiers or not self.queue:
                return True  # (not a first sync: those are partial, and short)
            else:
                while self.pop() is not None:  # (its one key, `SYNC_KEY`: this sync is what it asked)
                    pass
                self._start_stepping(self._sim_seconds(), first=True)
            if self._stepping is None:
                return True
        deadline = time.perf_counter() + budget
        try:
            # What a slice builds lives on (the rules): kept out of the cyclic collector's
            # reach, as a one-call sync's is (`Cluster.run_for`), else a full collection
            # over it, between two slices, froze the dashboard for a second at 10,000.
            with no_cyclic_gc(freeze=lambda: True):
                while True:
                    next(self._stepping)
                    if time.perf_counter() > deadline:
                        return False
        except BaseException as e:
            self._stepping = None  # (done; or failed: the caller says so, and nothing waits for it)
            self._previous = {}
            if not isinstance(e, StopIteration):
                raise
            if self._changed is None or self._changed or self._undepended:
                self.enqueue(SYNC_KEY)  # (what changed while it ran)
            return True

    def _held_sync(self, now: float, *, first: bool) -> Steps[None]:
        """A sync in steps, then the text of the first node's rules laid out in steps too
        (the rules pane's paint would otherwise do it in one go, at 10,000 Services: ~1 s
        for iptables-save's 470,000 lines, ~3 s for ipvsadm's sort, ~1 s for nft's 600,000
        lines). iptables-save's text is laid out after the first sync only: later ones
        are partial, and short."""
        modes = self.modes
        held = [(meta(n)["name"], self.mode) for n in self.store.list("Node")] \
            if self.mode in MODE_SYNCED else []
        modes.hold(held)  # (a packet walk meanwhile does not sync a node's rules in one go)
        try:
            yield from self._sync(now)
        finally:
            modes.release(held)
        shown = next((meta(n)["name"] for n in self.store.list("Node")
                      if meta(n)["name"] in self.proxiers and meta(n)["name"] in self.last_sync), None)
        if shown is None:
            return
        if self.mode == "iptables" and first:
            yield from self.save_lines.warm(self.proxiers[shown], self.save_timestamp(),
                                            self.rules_token(shown, "iptables"))
        elif self.mode in MODE_SYNCED:
            # The first node's, and those of the nodes whose text a pane showed before this
            # sync (kept under the inputs its sync read: what changed since is synced after it).
            for node in [shown] + sorted(n for n in self._previous if n != shown and n in self.last_sync):
                version = self.modes.synced_version(node, self.mode)
                text = yield from self.modes.layout_steps(node, self.mode)
                if version is not None:
                    self._other_modes[(node, self.mode, version)] = (self.save_timestamp(), text)

    def _sync(self, now: float) -> Steps[None]:
        """One sync of every node (`reconcile`), in steps."""
        changed, self._changed = self._changed, set()
        store = self.store

        def service(key: str):
            ns, _, name = key.partition("/")
            return store.get("Service", ns, name)

        def slices_of(key: str):
            ns, _, name = key.partition("/")
            return store.by_label("EndpointSlice", ns, SERVICE_NAME_LABEL, name)

        everything: dict[str, list] = {}

        def all_of(kind: str):  # only a full sync walks every Service and slice
            return lambda: everything.setdefault(kind, store.list(kind))
        # ipvs and nftables syncs are full ones: every node's reads what the first step saw.
        inputs = ModeInputs(all_of("Service")(), all_of("EndpointSlice")(), self.inputs_version(),
                            self._rules_shared()) \
            if self.mode in ("ipvs", "nftables") else None
        results: dict[str, object] = {}  # class key -> this sync's result
        fresh: set[str] = set()
        extra: dict[str, set[str]] = {}  # class key -> keys its (cloned) state must resync
        node_dependent = {k for k in self._dependent.values()}
        for node in self.store.list("Node"):
            node_name = meta(node)["name"]
            if node_name in self.stopped:
                continue  # (no kube-proxy runs there: its rules stay as they were)
            ck = self._class_key(node)
            proxier = self.proxiers.get(node_name)
            if self._class_of.get(node_name) != ck or proxier is None:
                shared = next((self.proxiers[n] for n, k in self._class_of.items()
                               if k == ck and n in self.proxiers), None) if ck == SHARED else None
                if shared is None and proxier is not None and changed is not None \
                        and not self.topology.proxy.node_port_addresses:
                    # Same flags, another node: start from the rules it has (see clone_for)
                    # and resync what differs by node, instead of a full sync.
                    shared = proxier.clone_for(self.config_for(node)) if ck != SHARED else proxier
                    extra[ck] = node_dependent | self._undepended
                if shared is None:
                    shared = IncrementalProxier(self.config_for(node))
                    fresh.add(ck)
                proxier = self.proxiers[node_name] = shared
                self._class_of[node_name] = ck
            result = results.get(ck)
            if result is None:
                full = ck in fresh or changed is None
                result = results[ck] = yield from proxier.sync_changes_steps(
                    None if full else changed, service, slices_of, all_of("Service"), all_of("EndpointSlice"),
                    now=now, rerender=extra.get(ck, ()))
            self.last_sync[node_name] = result
            written, deleted, rules = result.chains_written, result.chains_deleted, result.rule_count
            if self.mode in ("ipvs", "nftables"):
                ms = yield from self.modes.sync_steps(node_name, self.mode, inputs)
                written, deleted, rules = ms.written, ms.deleted, ms.rules
            if not written and not deleted:
                continue
            touched = sorted(changed or [])
            unit = {"ipvs": "virtual servers"}.get(self.mode, "chains")
            kind = "full" if result.full or self.mode != "iptables" else "partial"
            detail = f"{kind} sync: {len(written)} {unit} written, {len(deleted)} deleted, {rules} rules"
            for svc_key in touched[:1] or [""]:
                ns, _, name = svc_key.partition("/")
                obj = self.store.get("Service", ns, name) or {"kind": "Service",
                                                              "metadata": {"namespace": ns, "name": name}}
                self._flow(self.name, obj if svc_key else node, "synced", f"{node_name}: {detail}",
                                  step=STEP_PROXY,
                                  data={"node": node_name, "mode": self.mode, "full": kind == "full",
                                        "services": touched, "written": written,
                                        "deleted": deleted, "rules": rules})
        self._undepended.clear()
        for n in [n for n in self._class_of if self.proxiers.get(n) is None]:
            del self._class_of[n]
        self._other_modes.clear()

    # -- views ----------------------------------------------------------------------
    def save_timestamp(self) -> str:
        """The time `iptables-save` would print now (its `# Generated by` lines)."""
        return save_timestamp(self.clock.now())


    def iptables_save(self, node: str) -> str:
        lines = self.iptables_save_lines(node)
        return "\n".join(lines) + "\n" if lines else ""

    def iptables_save_lines(self, node: str) -> Sequence[str]:
        """What `iptables-save` prints on `node`, as lines kept per chain (`SaveLines`)."""
        p = self.proxiers.get(node)
        if p is None or node not in self.last_sync or self._stepping is not None:
            return []  # (none yet, or its first sync under way)
        return self.save_lines.lines(p, self.save_timestamp(), self.rules_token(node, "iptables"))

    def inputs_version(self) -> tuple[int, int, int]:
        """The versions of what kube-proxy reads (Services, EndpointSlices, Nodes): other
        writes (a Lease renewal every 10 s, an Event) leave its rules as they are."""
        kv = self.store.kind_version
        return (kv("Service"), kv("EndpointSlice"), kv("Node"))

    def rules_token(self, node: str, mode: str) -> tuple:
        """Equal as long as `render(node, mode)` only differs by its timestamp."""
        if mode == "iptables":
            p = self.proxiers.get(node)
            return (p, getattr(p, "incremental_syncs", 0), getattr(p, "full_path_syncs", 0))
        return (node, mode, self.inputs_version(), self._stepping is None or mode != self.mode)

    def iptables_restore(self, node: str) -> str:
        p = self.proxiers.get(node)
        return self.last_sync[node].restore if p is not None and node in self.last_sync else ""  # type: ignore[attr-defined]

    def full_restore(self, node: str) -> str:
        """A fresh full sync's iptables-restore input for `node` (what `--format restore` prints)."""
        n = self.store.get("Node", "", node)
        if n is None:
            return ""
        # Only the text is wanted: a Netfilter that does not model the result spares a
        # second copy of every rule (and the time to apply it).
        p = IPTablesProxier(self.config_for(n), netfilter=TextOnlyNetfilter())
        now = (self.clock.now() - self.clock.origin).total_seconds()
        with no_cyclic_gc():
            return p.sync(self.store.list("Service"), self.store.list("EndpointSlice"), now=now).restore

    def render(self, node: str, mode: str, form: str = "save") -> str:
        if mode == "iptables":
            return self.iptables_save(node) if form == "save" else self.full_restore(node)
        if self._stepping is not None and mode == self.mode:
            # (its first sync under way: the text is laid out in its last steps; a later
            # one: what the last sync left, until this one is written)
            return "" if self._stepping_first else self._previous.get(node, "")
        version = self.inputs_version()
        if mode == self.modes.driven and self.modes.synced_version(node, mode) is not None:
            version = self.modes.synced_version(node, mode)  # (its next sync runs in slices)
        key = (node, mode, version)
        if key not in self._other_modes:
            with no_cyclic_gc():
                text = self.modes.render(node, mode)
                self._other_modes[key] = (self.save_timestamp(), text)
        stamp, text = self._other_modes[key]
        now = self.save_timestamp()
        if stamp != now and mode == "ipvs":  # (its iptables-save part says when it was printed)
            text = text.replace(f" on {stamp}\n", f" on {now}\n")
            self._other_modes[key] = (now, text)
        return text

    def chains_for_service(self, node: str, mode: str, ns: str, name: str) -> list[str]:
        """What the rules pane lights up for Service `ns/name`."""
        svc = self.store.get("Service", ns, name)
        if svc is None:
            return []
        if mode != "iptables":
            return [f"{ns}/{name}"] + [ip for ip in svc["spec"].get("clusterIPs") or [] if ip != "None"]
        return service_chains(ns, name, svc, self.store.list("EndpointSlice", ns))

    def chains_for_pod(self, node: str, mode: str, ns: str, name: str) -> list[str]:
        """What the rules pane lights up for pod `ns/name`."""
        pod = self.store.get("Pod", ns, name)
        ip = ((pod or {}).get("status") or {}).get("podIP")
        if not ip:
            return []
        if mode != "iptables":
            return [ip]
        return endpoint_chains(ns, ip, self.store.list("EndpointSlice", ns))
