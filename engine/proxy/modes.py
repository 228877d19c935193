"""kube-proxy's ipvs and nftables modes inside the simulated cluster.

A proxier per node and mode keeps its kernel state between syncs (rr cursors, virtual
servers, the nftables table). The dashboard's mode key and `proxy-rules --mode` show
what that node would print; when the cluster runs in one of these modes, its syncs are
the step-3 events and traffic is scheduled by them. Syncs and the text they leave are
generators (`engine.proxy.steps`): one call drains them, an attached dashboard runs them
a slice at a time (`KubeProxy.sync_in_slices`: the first sync, and every later one in
these modes, each a full sync of every node), the same steps.

In nftables mode, nodes whose tables can differ only by their own addresses share one
proxier, as iptables mode's nodes share one rule state (`engine.proxy.controller`): no
Service depends on the node that renders it (Local traffic policies, topology hints, a
loadBalancerSourceRanges "allow from node" check) and `nodePortAddresses` is unset. The
table then names the node in one place only: the `nodeport-ips` set, the node's primary
IP (nftables mode's default "primary" NodePort addresses; upstream `setupNFTables`).
The shared proxier is synced once per change and held once (~250 MiB at 10,000 Services,
instead of that per node); each node sees it through a view with its own `nodeport-ips`
and configuration (`NFTablesProxier.node_view`: its listing, transaction and packet walks
are a proxier of its own's, byte for byte) and still reports its own sync. The nodes of
the first sync share it (a node that comes later starts from an empty table, as its own
kube-proxy would, and keeps its own); as soon as the nodes' tables may differ otherwise,
each takes a copy of its view and keeps it (`_place`).

ipvs mode keeps a proxier per node: with `nodePortAddresses` unset, kube-proxy binds a
virtual server per NodePort on each of the node's own addresses (and lists them in its
ipsets), so no two nodes' `ipvsadm -Ln` are the same. At 10,000 Services a node's sync
takes ~2 s and holds ~50 MiB; an attached dashboard runs those syncs in slices
(`KubeProxy.sync_in_slices`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from engine.api.store import Store
from engine.cluster.clock import SimClock
from engine.cluster.topology import Topology
from engine.proxy.config import ProxierConfig, node_proxier_config
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
SHARED = "*"  # the owner of the proxier nodes share (see the module doc)
SHAREABLE = ("nftables",)  # modes whose rules name the node only where a view puts its own (nodeport-ips)


@dataclass(frozen=True)
class ModeInputs:
    """What a sync reads: the Services and EndpointSlices, and their (and the Nodes') versions;
    and whether the nodes' rules could not differ then (`ModeProxies.shared`, decided once
    for every node of a sync: a change between two slices is the next sync's)."""

    services: list[dict]
    slices: list[dict]
    version: tuple[int, int, int]
    shared: bool = False


class ModeProxies:
    """The ipvs / nftables proxiers of every node, synced on demand."""

    def __init__(self, store: Store, clock: SimClock, topology: Topology,
                 shared: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        self.clock = clock
        self.topology = topology
        # Whether the nodes' rules cannot differ now (kube-proxy's controller knows which
        # Services depend on the node): nftables proxiers are then shared.
        self.shared = shared
        self.proxiers: dict[tuple[str, str], IPVSProxier | NFTablesProxier] = {}  # (owner, mode) ->
        self._owner: dict[tuple[str, str], str] = {}  # (node, mode) -> its proxier's owner, if not the node
        self._synced_rv: dict[tuple[str, str], tuple[int, int, int]] = {}  # (node, mode) -> ...
        self._shape: dict[tuple[str, str], dict[str, object]] = {}  # (node, mode) -> ...
        # (owner, mode) -> what its proxier's last sync read and left (a shared one's is reused)
        self._last: dict[tuple[str, str], tuple[tuple[int, int, int], dict[str, object], int]] = {}
        self._serial: dict[tuple[str, str], int] = {}  # (owner, mode) -> its syncs, ended
        self._views: dict[tuple[str, str], tuple[int, NFTablesProxier]] = {}  # (node, mode) -> (serial, view)
        self._affinity: dict[tuple[str, str], dict] = {}  # (node, mode) -> its view's session-affinity memory
        self._syncing: set[tuple[str, str]] = set()  # (owner, mode): a sync in steps is under way on it
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
        return ModeInputs(self.store.list("Service"), self.store.list("EndpointSlice"), self._inputs_version(),
                          self.shared())

    def _node_config(self, node: str) -> ProxierConfig:
        return node_proxier_config(node, self.store.get("Node", "", node), self.topology.proxy,
                                   (self.topology.service_subnet,))

    def _proxier_key(self, node: str, mode: str) -> tuple[str, str]:
        return (self._owner.get((node, mode), node), mode)

    def _owned(self, node: str, mode: str):
        """The proxier `node`'s rules in `mode` are synced in (the shared one, or its own)."""
        key = self._proxier_key(node, mode)
        p = self.proxiers.get(key)
        if p is None:
            cfg = self._node_config(node)  # (a shared one's: the first node's; views replace its addresses)
            p = self.proxiers[key] = IPVSProxier(cfg) if mode == "ipvs" else NFTablesProxier(cfg)
        return p

    def proxier(self, node: str, mode: str):
        """`node`'s rules in `mode`, as its own kube-proxy holds them: its own proxier, or
        its view of the shared one (`NFTablesProxier.node_view`)."""
        pkey = self._proxier_key(node, mode)
        p = self._owned(node, mode)
        if pkey[0] != SHARED:
            return p
        serial = self._serial.get(pkey, 0)
        cached = self._views.get((node, mode))
        if cached is None or cached[0] != serial:
            cached = self._views[(node, mode)] = (serial, p.node_view(
                self._node_config(node), self._affinity.setdefault((node, mode), {})))
        return cached[1]

    def _place(self, node: str, mode: str, inputs: ModeInputs) -> tuple[str, str]:
        """Put `node` on the shared proxier or keep it on its own, so that what it holds is
        byte for byte what a proxier of its own would hold after the same syncs:

        - a node takes the shared proxier at its first sync, if the nodes' rules cannot
          differ then and the shared proxier is new or was synced over these very inputs
          (every node of the first sync does: one sync from an empty table over the same
          inputs; a node that comes later starts from an empty table, as its own
          kube-proxy does, and keeps a proxier of its own);
        - a node leaves it for good when their rules may differ: it takes a copy of its
          view (the shared history, its own addresses) and syncs on from there. The
          shared proxier is dropped with its last node."""
        key, pkey = (node, mode), (SHARED, mode)
        if self._owner.get(key) == SHARED:
            if mode in SHAREABLE and inputs.shared:
                return pkey
            own = self.proxier(node, mode).detached()
            del self._owner[key]
            self._views.pop(key, None)
            self._affinity.pop(key, None)
            self.proxiers[key] = own
            if not any(o == SHARED for (_, m), o in self._owner.items() if m == mode):
                self.proxiers.pop(pkey, None)
                self._last.pop(pkey, None)
            return key
        last = self._last.get(pkey)
        if key not in self.proxiers and mode in SHAREABLE and inputs.shared \
                and (pkey not in self.proxiers or last is None
                     or (self._serial.get(pkey) == 1 and last[0] == inputs.version)):
            self._owner[key] = SHARED
            return pkey
        return key

    def sync(self, node: str, mode: str) -> ModeSync:
        return drain(self.sync_steps(node, mode))

    def sync_steps(self, node: str, mode: str, inputs: ModeInputs | None = None) -> Steps[ModeSync]:
        """A sync of `node`'s proxier in `mode`, in steps (`engine.proxy.steps`): over
        `inputs` (kube-proxy's sync of every node reads the same), by default the Services
        and EndpointSlices as they are now. Until it ends, `ensure` leaves that proxier
        alone (a lookup sees it as it is, half synced or not) rather than start a second
        sync of the same state."""
        key = (node, mode)
        inputs = inputs or self.inputs()
        pkey = self._place(node, mode, inputs)
        p = self._owned(node, mode)
        version = inputs.version
        last = self._last.get(pkey)
        if pkey[0] == SHARED and last is not None and last[0] == version:
            # (another node's sync of this change synced the shared proxier: the same bytes)
            shape, rules = last[1], last[2]
        else:
            shape, rules = yield from self._sync_proxier(p, pkey, inputs)
        old = self._shape.get(key, {})
        self._shape[key] = shape
        self._synced_rv[key] = version
        yield
        return ModeSync(written=sorted(n for n, held in shape.items() if old.get(n, _NOTHING) != held),
                        deleted=sorted(n for n in old if n not in shape), rules=rules)

    def _sync_proxier(self, p, pkey: tuple[str, str], inputs: ModeInputs) -> Steps[tuple[dict[str, object], int]]:
        """One proxier's sync, in steps: what it left, by name, and its rule count."""
        mode = pkey[1]
        services, slices = inputs.services, inputs.slices
        self._syncing.add(pkey)
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
            self._syncing.discard(pkey)
        self._last[pkey] = (inputs.version, shape, rules)
        self._serial[pkey] = self._serial.get(pkey, 0) + 1
        return shape, rules

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
        if self._proxier_key(node, mode) not in self._syncing and key not in self._held \
                and synced != self._inputs_version() \
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
