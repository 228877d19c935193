"""kube-proxy's ipvs and nftables modes inside the simulated cluster.

One proxier per node and mode keeps its kernel state between syncs (rr cursors,
virtual servers, the nftables table). The dashboard's mode key and `proxy-rules --mode`
show what that node would print; when the cluster runs in one of these modes, its syncs
are the step-3 events and traffic is scheduled by them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.api.store import Store
from engine.cluster.clock import SimClock
from engine.cluster.topology import Topology
from engine.proxy.config import node_proxier_config
from engine.proxy.iptables.save import save_timestamp
from engine.proxy.ipvs import IPVSProxier, LookupResult
from engine.proxy.nftables import NFTablesProxier


@dataclass
class ModeSync:
    """What a sync changed, in the mode's own vocabulary (virtual servers or chains)."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    rules: int = 0


class ModeProxies:
    """The ipvs / nftables proxiers of every node, synced on demand."""

    def __init__(self, store: Store, clock: SimClock, topology: Topology) -> None:
        self.store = store
        self.clock = clock
        self.topology = topology
        self.proxiers: dict[tuple[str, str], IPVSProxier | NFTablesProxier] = {}
        self._synced_rv: dict[tuple[str, str], tuple[int, int, int]] = {}
        self._shape: dict[tuple[str, str], set[str]] = {}

    def _inputs_version(self) -> tuple[int, int, int]:
        """Services, EndpointSlices, Nodes: what a sync reads (a Lease renewal is not a change)."""
        kv = self.store.kind_version
        return (kv("Service"), kv("EndpointSlice"), kv("Node"))

    def proxier(self, node: str, mode: str):
        key = (node, mode)
        p = self.proxiers.get(key)
        if p is None:
            cfg = node_proxier_config(node, self.store.get("Node", "", node), self.topology.proxy,
                                      (self.topology.service_subnet,))
            p = self.proxiers[key] = IPVSProxier(cfg) if mode == "ipvs" else NFTablesProxier(cfg)
        return p

    def sync(self, node: str, mode: str) -> ModeSync:
        key = (node, mode)
        p = self.proxier(node, mode)
        services, slices = self.store.list("Service"), self.store.list("EndpointSlice")
        if mode == "ipvs":
            res = p.sync(services, slices)
            shape = {f"{vs.protocol} {vs.address}:{vs.port} -> " + ",".join(sorted(str(d) for d in getattr(vs, "destinations", {})))
                     for vs in res.virtual_servers}
            rules = len(res.virtual_servers)
        else:
            now = (self.clock.now() - self.clock.origin).total_seconds()
            res = p.sync(services, slices, now=now)
            text = p.list_table()
            shape = set(re.findall(r"^\tchain (\S+) \{$", text, re.M))
            shape |= {f"{c}:{len(body)}" for c, body in re.findall(r"^\tchain (\S+) \{\n(.*?)^\t\}", text, re.M | re.S)}
            rules = res.rules
        old = self._shape.get(key, set())
        self._shape[key] = shape
        self._synced_rv[key] = self._inputs_version()
        names = lambda s: sorted({x.split(":")[0] if mode == "nftables" else x.split(" -> ")[0] for x in s})  # noqa: E731
        return ModeSync(written=names(shape - old), deleted=[n for n in names(old - shape) if n not in names(shape)],
                        rules=rules)

    def ensure(self, node: str, mode: str):
        if self._synced_rv.get((node, mode)) != self._inputs_version():
            self.sync(node, mode)
        return self.proxier(node, mode)

    def render(self, node: str, mode: str) -> str:
        p = self.ensure(node, mode)
        if mode == "ipvs":
            stamp = save_timestamp(self.clock.now())
            return ("$ ipvsadm -Ln\n" + p.ipvsadm_ln() + "\n$ ipset save\n" + p.ipset_list()
                    + "\n$ iptables-save   # the rules ipvs mode still installs\n"
                    + p.iptables_save(date=stamp))
        return p.list_table()

    def lookup(self, node: str, mode: str, proto: str, ip: str, port: int, src: str | None,
               rng) -> LookupResult:
        p = self.ensure(node, mode)
        if mode == "ipvs":
            return p.lookup(proto, ip, port, rng, client_ip=src)
        return p.lookup(proto, ip, port, rng, src_ip=src)
