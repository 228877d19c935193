"""kube-proxy's ipvs and nftables modes inside the simulated cluster.

One proxier per node and mode keeps its kernel state between syncs (rr cursors,
virtual servers, the nftables table). The dashboard's mode key and `proxy-rules --mode`
show what that node would print; when the cluster runs in one of these modes, its syncs
are the step-3 events and traffic is scheduled by them. Syncs and the text they leave
are generators (`engine.proxy.steps`): one call drains them, an attached dashboard's
first sync runs them a slice at a time (`KubeProxy.sync_in_slices`), the same steps.

Every node's proxier is its own full copy (a node's NodePorts and Local endpoints
differ): at 10,000 Services a node's first sync takes ~2 s (ipvs) or ~3 s (nftables)
and holds ~50 MiB (ipvs) or ~250 MiB (nftables).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.api.store import Store
from engine.cluster.clock import SimClock
from engine.cluster.topology import Topology
from engine.proxy.config import node_proxier_config
from engine.proxy.iptables.save import save_timestamp
from engine.proxy.ipvs import IPVSProxier, LookupResult
from engine.proxy.nftables import NFTablesProxier
from engine.proxy.steps import SERVICES_PER_STEP, Steps, drain


@dataclass
class ModeSync:
    """What a sync changed, in the mode's own vocabulary (virtual servers or chains)."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    rules: int = 0


_NOTHING = object()


@dataclass(frozen=True)
class ModeInputs:
    """What a sync reads: the Services and EndpointSlices, and their (and the Nodes') versions."""

    services: list[dict]
    slices: list[dict]
    version: tuple[int, int, int]


class ModeProxies:
    """The ipvs / nftables proxiers of every node, synced on demand."""

    def __init__(self, store: Store, clock: SimClock, topology: Topology) -> None:
        self.store = store
        self.clock = clock
        self.topology = topology
        self.proxiers: dict[tuple[str, str], IPVSProxier | NFTablesProxier] = {}
        self._synced_rv: dict[tuple[str, str], tuple[int, int, int]] = {}
        self._shape: dict[tuple[str, str], dict[str, object]] = {}
        self._syncing: set[tuple[str, str]] = set()  # proxiers a sync in steps is under way on
        self._held: set[tuple[str, str]] = set()  # ... or about to be (`hold`)
        # The mode kube-proxy's controller syncs in slices itself (an attached dashboard's,
        # `KubeProxy.sync_in_slices`): a proxier of that mode synced once is left as its
        # last sync left it, never synced again in one go by a lookup or a pane.
        self.driven: str | None = None

    def _inputs_version(self) -> tuple[int, int, int]:
        """Services, EndpointSlices, Nodes: what a sync reads (a Lease renewal is not a change)."""
        kv = self.store.kind_version
        return (kv("Service"), kv("EndpointSlice"), kv("Node"))

    def inputs(self) -> ModeInputs:
        """The Services and EndpointSlices now (stored objects are replaced, never changed)."""
        return ModeInputs(self.store.list("Service"), self.store.list("EndpointSlice"), self._inputs_version())

    def proxier(self, node: str, mode: str):
        key = (node, mode)
        p = self.proxiers.get(key)
        if p is None:
            cfg = node_proxier_config(node, self.store.get("Node", "", node), self.topology.proxy,
                                      (self.topology.service_subnet,))
            p = self.proxiers[key] = IPVSProxier(cfg) if mode == "ipvs" else NFTablesProxier(cfg)
        return p

    def sync(self, node: str, mode: str) -> ModeSync:
        return drain(self.sync_steps(node, mode))

    def sync_steps(self, node: str, mode: str, inputs: ModeInputs | None = None) -> Steps[ModeSync]:
        """A sync of `node`'s proxier in `mode`, in steps (`engine.proxy.steps`): over
        `inputs` (kube-proxy's sync of every node reads the same), by default the Services
        and EndpointSlices as they are now. Until it ends, `ensure` leaves that proxier
        alone (a lookup sees it as it is, half synced or not) rather than start a second
        sync of the same state."""
        key = (node, mode)
        p = self.proxier(node, mode)
        inputs = inputs or self.inputs()
        services, slices, version = inputs.services, inputs.slices, inputs.version
        self._syncing.add(key)
        try:
            # What the sync left, by name (a virtual server, a chain) -> what it holds: a
            # name whose content changed was written.
            shape: dict[str, object] = {}
            if mode == "ipvs":
                res = yield from p.sync_steps(services, slices)
                for i, vs in enumerate(res.virtual_servers, 1):
                    if not i % SERVICES_PER_STEP:
                        yield
                    shape[f"{vs.protocol} {vs.address}:{vs.port}"] = \
                        ",".join(sorted(str(d) for d in getattr(vs, "destinations", {})))
                rules = len(res.virtual_servers)
            else:
                now = (self.clock.now() - self.clock.origin).total_seconds()
                res = yield from p.sync_steps(services, slices, now=now)
                # (a chain's content, as far as the flow tells: the length of its listed body)
                shape = yield from p.chain_sizes_steps()
                rules = res.rules
        finally:
            self._syncing.discard(key)
        old = self._shape.get(key, {})
        self._shape[key] = shape
        self._synced_rv[key] = version
        yield
        return ModeSync(written=sorted(n for n, held in shape.items() if old.get(n, _NOTHING) != held),
                        deleted=sorted(n for n in old if n not in shape), rules=rules)

    def hold(self, keys: list[tuple[str, str]]) -> None:
        """(node, mode) proxiers a sync in steps is about to take, one after the other:
        `ensure` leaves them alone until `release` too (a one-call sync in between would
        freeze the caller for it, and leave the sync in steps nothing to write)."""
        self._held.update(keys)

    def release(self, keys: list[tuple[str, str]]) -> None:
        self._held.difference_update(keys)

    def ensure(self, node: str, mode: str):
        key = (node, mode)
        synced = self._synced_rv.get(key)
        if key not in self._syncing and key not in self._held and synced != self._inputs_version() \
                and (synced is None or mode != self.driven):
            self.sync(node, mode)
        return self.proxier(node, mode)

    def synced_version(self, node: str, mode: str) -> tuple[int, int, int] | None:
        """The versions of the inputs (`_inputs_version`) `node`'s last sync in `mode` read."""
        return self._synced_rv.get((node, mode))

    def render(self, node: str, mode: str) -> str:
        """What the rules pane shows for `node` in `mode`, synced first if its inputs changed."""
        self.ensure(node, mode)
        return drain(self.layout_steps(node, mode))

    def layout_steps(self, node: str, mode: str) -> Steps[str]:
        """The text of `node`'s rules in `mode` as its last sync left them, laid out in
        steps (`engine.proxy.steps`): ~3 s in one go at 10,000 Services."""
        p = self.proxier(node, mode)
        if mode == "ipvs":
            ln = yield from p.ipvsadm_ln_steps()
            yield
            stamp = save_timestamp(self.clock.now())  # (the clock when it is done: a slice may be later)
            return ("$ ipvsadm -Ln\n" + ln + "\n$ ipset save\n" + p.ipset_list()
                    + "\n$ iptables-save   # the rules ipvs mode still installs\n"
                    + p.iptables_save(date=stamp))
        return (yield from p.list_table_steps())

    def lookup(self, node: str, mode: str, proto: str, ip: str, port: int, src: str | None,
               rng) -> LookupResult:
        p = self.ensure(node, mode)
        if mode == "ipvs":
            return p.lookup(proto, ip, port, rng, client_ip=src)
        return p.lookup(proto, ip, port, rng, src_ip=src)
