"""kube-proxy's IPVS mode, as a pure renderer of what a real node would show.

This follows ``pkg/proxy/ipvs/proxier.go`` of Kubernetes v1.33 (``syncProxyRules``,
``syncService``, ``syncEndpoint``, ``writeIptablesRules``, ``acceptIPVSTraffic``,
``createAndLinkKubeChain``), ``pkg/proxy/ipvs/ipset.go`` (set names, types and
comments) and ``pkg/proxy/ipvs/ipset/ipset.go`` (entry strings, ``create`` arguments).
IPVS mode programs three things, and each has a renderer here:

* the kernel IPVS table (one virtual server per ClusterIP, externalIP, LoadBalancer
  ingress IP and node-IP:NodePort), shown exactly as ``ipvsadm -Ln`` prints it
  (:meth:`IPVSProxier.ipvsadm_ln`, including ipvsadm's own sort, which compares
  addresses with a wrapping 32-bit subtraction: on a kind node ``172.18.0.3:31000``
  sorts *before* ``10.96.0.1:443``);
* the ipsets the iptables rules match on (:meth:`IPVSProxier.ipset_list`, in
  ``ipset save`` form: upstream tests assert on exactly these entry strings, and the
  ``ipset list`` header carries kernel-dependent numbers such as "Size in memory"
  that cannot be reproduced);
* a small, fixed set of iptables rules (:meth:`IPVSProxier.iptables_save` for what
  ``iptables-save`` prints, :meth:`IPVSProxier.iptables_restore` for the exact input
  kube-proxy feeds to ``iptables-restore --noflush``).

:meth:`IPVSProxier.lookup` picks a real server the way the kernel scheduler would, so a
traffic simulator can route a connection; an IPVS lookup is one hash lookup.

Where the real system is nondeterministic (Go map iteration, the kernel's
pointer-seeded service hash) a fixed, documented order is used instead.
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from engine.proxy.config import ProxierConfig
from engine.proxy.ipnet import (
    IPV6,
    cidr_contains,
    cidr_string,
    family_of,
    ip_string,
    join_host_port,
    parse_ip_sloppy,
)
from engine.proxy.model import (
    Endpoint,
    ServicePort,
    categorize_endpoints,
    endpoints_by_port,
    service_ports,
    slice_service_key,
)
from engine.proxy.nodeports import NodePortAddresses
from engine.proxy.steps import SERVICES_PER_STEP, Steps, drain


def _valid_local_address(ip_s: str, cfg: ProxierConfig) -> bool:
    """``netlinkHandle.isValidForSet``: right family, not loopback, not v6 link-local."""
    ip = parse_ip_sloppy(ip_s)
    if ip is None or family_of(ip) != cfg.ip_family or ip.is_loopback:
        return False
    if ip.version == 6 and ip.is_link_local:
        return False
    return True


def group_slices(slices: Iterable[Mapping]) -> dict[str, list[Mapping]]:
    """EndpointSlices by the ``namespace/service`` their service-name label names."""
    out: dict[str, list[Mapping]] = {}
    for sl in slices or []:
        key = slice_service_key(sl)
        if key is not None:
            out.setdefault(key, []).append(sl)
    return out


def collect_service_ports(services: Iterable[Mapping], cfg: ProxierConfig) -> list[ServicePort]:
    """All proxied service ports, in a fixed order (servicePortName, then protocol).

    kube-proxy walks ``svcPortMap``, a Go map, so its real order is random; sorting
    keeps every rendering reproducible.
    """
    return drain(collect_service_ports_steps(services, cfg))


def collect_service_ports_steps(services: Iterable[Mapping], cfg: ProxierConfig) -> Steps[list[ServicePort]]:
    """`collect_service_ports` in steps (`engine.proxy.steps`): a yield every few Services."""
    ports: list[ServicePort] = []
    for i, svc in enumerate(services or [], 1):
        if not i % SERVICES_PER_STEP:
            yield
        ports.extend(service_ports(svc, cfg.ip_family, lb_ip_mode=cfg.load_balancer_ip_mode))
    ports.sort(key=lambda sp: (sp.spn, sp.proto))
    return ports


def endpoints_for(sp: ServicePort, by_service: Mapping[str, Mapping]) -> list[Endpoint]:
    """The endpoints of one service port (all of them; categorisation comes later)."""
    return list(by_service.get(sp.service_key, {}).get((sp.port_name, sp.protocol), []))


def build_endpoints_index(slices: Iterable[Mapping], cfg: ProxierConfig) -> dict[str, dict]:
    """``endpointsMap`` for every service: key -> {(port name, protocol): [Endpoint]}."""
    return drain(build_endpoints_index_steps(slices, cfg))


def build_endpoints_index_steps(slices: Iterable[Mapping], cfg: ProxierConfig) -> Steps[dict[str, dict]]:
    """`build_endpoints_index` in steps: a yield every few Services' slices."""
    index: dict[str, dict] = {}
    for i, (key, sl) in enumerate(group_slices(slices).items(), 1):
        if not i % SERVICES_PER_STEP:
            yield
        index[key] = endpoints_by_port(sl, cfg.ip_family, cfg.node_name)
    return index


# ---------------------------------------------------------------------------- ipsets

HASH_IP = "hash:ip"
HASH_IP_PORT = "hash:ip,port"
HASH_IP_PORT_IP = "hash:ip,port,ip"
HASH_IP_PORT_NET = "hash:ip,port,net"
BITMAP_PORT = "bitmap:port"

KUBE_LOOP_BACK = "KUBE-LOOP-BACK"
KUBE_CLUSTER_IP = "KUBE-CLUSTER-IP"
KUBE_EXTERNAL_IP = "KUBE-EXTERNAL-IP"
KUBE_EXTERNAL_IP_LOCAL = "KUBE-EXTERNAL-IP-LOCAL"
KUBE_LOAD_BALANCER = "KUBE-LOAD-BALANCER"
KUBE_LOAD_BALANCER_FW = "KUBE-LOAD-BALANCER-FW"
KUBE_LOAD_BALANCER_LOCAL = "KUBE-LOAD-BALANCER-LOCAL"
KUBE_LOAD_BALANCER_SOURCE_IP = "KUBE-LOAD-BALANCER-SOURCE-IP"
KUBE_LOAD_BALANCER_SOURCE_CIDR = "KUBE-LOAD-BALANCER-SOURCE-CIDR"
KUBE_NODE_PORT_TCP = "KUBE-NODE-PORT-TCP"
KUBE_NODE_PORT_LOCAL_TCP = "KUBE-NODE-PORT-LOCAL-TCP"
KUBE_NODE_PORT_UDP = "KUBE-NODE-PORT-UDP"
KUBE_NODE_PORT_LOCAL_UDP = "KUBE-NODE-PORT-LOCAL-UDP"
KUBE_NODE_PORT_SCTP = "KUBE-NODE-PORT-SCTP-HASH"
KUBE_NODE_PORT_LOCAL_SCTP = "KUBE-NODE-PORT-LOCAL-SCTP-HASH"
KUBE_HEALTH_CHECK_NODE_PORT = "KUBE-HEALTH-CHECK-NODE-PORT"
KUBE_IPVS_IPS = "KUBE-IPVS-IPS"

# ipsetInfo, in declaration order (name, type, comment).  kube-proxy creates the sets by
# ranging over a Go map, so the kernel's order is random; declaration order is used.
IPSET_INFO: tuple[tuple[str, str, str], ...] = (
    (KUBE_LOOP_BACK, HASH_IP_PORT_IP, "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
    (KUBE_CLUSTER_IP, HASH_IP_PORT, "Kubernetes service cluster ip + port for masquerade purpose"),
    (KUBE_EXTERNAL_IP, HASH_IP_PORT, "Kubernetes service external ip + port for masquerade and filter purpose"),
    (KUBE_EXTERNAL_IP_LOCAL, HASH_IP_PORT, "Kubernetes service external ip + port with externalTrafficPolicy=local"),
    (KUBE_LOAD_BALANCER, HASH_IP_PORT, "Kubernetes service lb portal"),
    (KUBE_LOAD_BALANCER_FW, HASH_IP_PORT, "Kubernetes service load balancer ip + port for load balancer with sourceRange"),
    (KUBE_LOAD_BALANCER_LOCAL, HASH_IP_PORT, "Kubernetes service load balancer ip + port with externalTrafficPolicy=local"),
    (KUBE_LOAD_BALANCER_SOURCE_IP, HASH_IP_PORT_IP, "Kubernetes service load balancer ip + port + source IP for packet filter purpose"),
    (KUBE_LOAD_BALANCER_SOURCE_CIDR, HASH_IP_PORT_NET, "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"),
    (KUBE_NODE_PORT_TCP, BITMAP_PORT, "Kubernetes nodeport TCP port for masquerade purpose"),
    (KUBE_NODE_PORT_LOCAL_TCP, BITMAP_PORT, "Kubernetes nodeport TCP port with externalTrafficPolicy=local"),
    (KUBE_NODE_PORT_UDP, BITMAP_PORT, "Kubernetes nodeport UDP port for masquerade purpose"),
    (KUBE_NODE_PORT_LOCAL_UDP, BITMAP_PORT, "Kubernetes nodeport UDP port with externalTrafficPolicy=local"),
    (KUBE_NODE_PORT_SCTP, HASH_IP_PORT, "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"),
    (KUBE_NODE_PORT_LOCAL_SCTP, HASH_IP_PORT, "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'"),
    (KUBE_HEALTH_CHECK_NODE_PORT, BITMAP_PORT, "Kubernetes health check node port"),
    (KUBE_IPVS_IPS, HASH_IP, "Addresses on the ipvs interface"),
)

# ipsetWithIptablesChain: (set, table, from chain, to, match type, -p protocol)
# Note: the local sets come before their non-local twins, as upstream requires.
IPSET_WITH_IPTABLES_CHAIN: tuple[tuple[str, str, str, str, str, str], ...] = (
    (KUBE_LOOP_BACK, "nat", "KUBE-POSTROUTING", "MASQUERADE", "dst,dst,src", ""),
    (KUBE_LOAD_BALANCER, "nat", "KUBE-SERVICES", "KUBE-LOAD-BALANCER", "dst,dst", ""),
    (KUBE_LOAD_BALANCER_LOCAL, "nat", "KUBE-LOAD-BALANCER", "RETURN", "dst,dst", ""),
    (KUBE_NODE_PORT_LOCAL_TCP, "nat", "KUBE-NODE-PORT", "RETURN", "dst", "tcp"),
    (KUBE_NODE_PORT_TCP, "nat", "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst", "tcp"),
    (KUBE_NODE_PORT_LOCAL_UDP, "nat", "KUBE-NODE-PORT", "RETURN", "dst", "udp"),
    (KUBE_NODE_PORT_UDP, "nat", "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst", "udp"),
    (KUBE_NODE_PORT_LOCAL_SCTP, "nat", "KUBE-NODE-PORT", "RETURN", "dst,dst", "sctp"),
    (KUBE_NODE_PORT_SCTP, "nat", "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst,dst", "sctp"),
    (KUBE_LOAD_BALANCER_FW, "filter", "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL", "dst,dst", ""),
    (KUBE_LOAD_BALANCER_SOURCE_CIDR, "filter", "KUBE-SOURCE-RANGES-FIREWALL", "RETURN", "dst,dst,src", ""),
    (KUBE_LOAD_BALANCER_SOURCE_IP, "filter", "KUBE-SOURCE-RANGES-FIREWALL", "RETURN", "dst,dst,src", ""),
)


def ipset_name(base: str, ipv6: bool) -> str:
    """``NewIPSet``: IPv6 sets are ``KUBE-6-…``, cut to ipset's 31-character limit."""
    if ipv6 and base.startswith("KUBE-"):
        return base.replace("KUBE-", "KUBE-6-", 1)[:31]
    return base


@dataclass
class IPSet:
    """One ipset and the entries kube-proxy keeps in it (``activeEntries``)."""

    base_name: str
    name: str
    set_type: str
    comment: str
    family: str
    entries: set[str] = field(default_factory=set)

    def create_line(self, hashsize: int = 1024, maxelem: int = 65536) -> str:
        """``ipset save``'s ``create`` line for the arguments kube-proxy passes."""
        if self.set_type == BITMAP_PORT:
            return f"create {self.name} {self.set_type} range 0-65535"
        fam = "inet6" if self.family == IPV6 else "inet"
        return f"create {self.name} {self.set_type} family {fam} hashsize {hashsize} maxelem {maxelem}"

    def sorted_entries(self) -> list[str]:
        """bitmap:port lists ports ascending (the kernel walks the bitmap); hash sets are
        listed in the order kube-proxy adds them (``sets.List()``: sorted strings), since
        the kernel's hash order depends on a random initval."""
        if self.set_type == BITMAP_PORT:
            return sorted(self.entries, key=int)
        return sorted(self.entries)


def hash_ip_port(ip: str, proto: str, port: int) -> str:
    return f"{ip},{proto}:{port}"


# ---------------------------------------------------------------------- IPVS kernel

IPPROTO = {"TCP": 6, "UDP": 17, "SCTP": 132}
AF_INET, AF_INET6 = 2, 10
FLAG_PERSISTENT = 0x1
FLAG_HASHED = 0x2
FLAG_SOURCE_HASH = 0x10  # utilipvs.FlagSourceHash == IP_VS_SVC_F_SCHED2 (sh/mh "-port")


@dataclass
class RealServer:
    """An IPVS destination (``ipvsadm``'s ``-> RemoteAddress:Port`` line)."""

    ip: str
    port: int
    weight: int = 1
    forward: str = "Masq"  # kube-proxy only uses NAT forwarding
    active_conns: int = 0
    inactive_conns: int = 0

    @property
    def key(self) -> str:
        return join_host_port(self.ip, self.port)


@dataclass
class VirtualServer:
    """An IPVS service as the kernel holds it, plus scheduler state.

    ``destinations`` is in kernel list order: ``ip_vs_add_dest`` links new real servers
    at the head, and the rr scheduler walks this list.
    """

    protocol: str  # TCP / UDP / SCTP
    ip: str
    port: int
    scheduler: str = "rr"
    flags: int = 0
    timeout: int = 0
    service: str = ""  # servicePortName, for humans and tests
    kind: str = "ClusterIP"  # ClusterIP / ExternalIP / LoadBalancer / NodePort
    external_policy_local: bool = False  # eTP=Local: the iptables side skips masquerading
    destinations: list[RealServer] = field(default_factory=list)
    rr_last: str | None = None  # key of the last real server rr picked (svc->sched_data)
    affinity: dict[str, str] = field(default_factory=dict)  # persistence templates

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.protocol, self.ip, self.port)

    @property
    def persistent(self) -> bool:
        return bool(self.flags & FLAG_PERSISTENT)

    @property
    def address(self) -> str:
        return join_host_port(self.ip, self.port)

    def same_config(self, other: "VirtualServer") -> bool:
        return (self.scheduler, self.flags, self.timeout) == (other.scheduler, other.flags, other.timeout)

    def add_destination(self, rs: RealServer) -> None:
        self.destinations.insert(0, rs)

    def delete_destination(self, key: str) -> None:
        """Unlink a real server; rr's cursor moves to its predecessor (ip_vs_rr_del_dest)."""
        idx = next((i for i, d in enumerate(self.destinations) if d.key == key), None)
        if idx is None:
            return
        if self.rr_last == key:
            self.rr_last = self.destinations[idx - 1].key if idx > 0 else None
        del self.destinations[idx]
        for c, k in list(self.affinity.items()):
            if k == key:
                del self.affinity[c]


def _wrap32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def _addr_cmp(a: str, b: str) -> int:
    """libipvs compares addresses as ``int r = ntohl(a) - ntohl(b)`` (wrapping)."""
    ia, ib = ipaddress.ip_address(a), ipaddress.ip_address(b)
    if ia.version == 4 and ib.version == 4:
        return _wrap32(int(ia) - int(ib))
    wa, wb = int(ia).to_bytes(16, "big"), int(ib).to_bytes(16, "big")
    for i in range(4):
        r = _wrap32(int.from_bytes(wa[4 * i:4 * i + 4], "big") - int.from_bytes(wb[4 * i:4 * i + 4], "big"))
        if r:
            return r
    return 0


def _af(ip: str) -> int:
    return AF_INET6 if ":" in ip else AF_INET


def ipvs_cmp_services(a: VirtualServer, b: VirtualServer) -> int:
    """libipvs ``ipvs_cmp_services`` (fwmark, af, protocol, address, port)."""
    r = _af(a.ip) - _af(b.ip)
    if r:
        return r
    r = IPPROTO.get(a.protocol, 0) - IPPROTO.get(b.protocol, 0)
    if r:
        return r
    r = _addr_cmp(a.ip, b.ip)
    if r:
        return r
    return a.port - b.port


def ipvs_cmp_dests(a: RealServer, b: RealServer) -> int:
    """libipvs ``ipvs_cmp_dests`` (address, then port)."""
    r = _addr_cmp(a.ip, b.ip)
    if r:
        return r
    return a.port - b.port


def glibc_msort(items: Sequence, cmp: Callable[[object, object], int]) -> list:
    """glibc's ``qsort`` merge sort, used so that ipvsadm's non-transitive comparator
    (addresses more than 2^31 apart compare "backwards") orders exactly as on a node."""
    n = len(items)
    if n <= 1:
        return list(items)
    n1 = n // 2
    return _merge(glibc_msort(items[:n1], cmp), glibc_msort(items[n1:], cmp), cmp)


#: Below this many items `glibc_msort_steps` sorts in one go (~10 ms with ipvsadm's compare).
SORT_ITEMS_PER_STEP = 1024


def glibc_msort_steps(items: Sequence, cmp: Callable[[object, object], int]) -> Steps[list]:
    """`glibc_msort` in steps: the same halves merged in the same order (so the same
    result, however odd the comparator), a yield after each big merge."""
    n = len(items)
    if n <= SORT_ITEMS_PER_STEP:
        return glibc_msort(items, cmp)
    n1 = n // 2
    a = yield from glibc_msort_steps(items[:n1], cmp)
    b = yield from glibc_msort_steps(items[n1:], cmp)
    yield
    return _merge(a, b, cmp)


def _merge(a: list, b: list, cmp: Callable[[object, object], int]) -> list:
    """msort_with_tmp's merge: the left run wins ties."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if cmp(a[i], b[j]) <= 0:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out


def _sched_flags_text(vs: VirtualServer) -> str:
    """ipvsadm's ``print_sched_flags``: kube-proxy only ever sets the mh "port" flag."""
    if vs.scheduler in ("sh", "mh") and vs.flags & FLAG_SOURCE_HASH:
        return f" ({vs.scheduler}-port)"
    return ""


# ----------------------------------------------------------------------- iptables

@dataclass(frozen=True)
class IptRule:
    """One iptables rule in two spellings.

    ``restore`` is the argument list exactly as kube-proxy writes it into the
    iptables-restore input; ``save`` is how ``iptables-save`` prints the same rule once
    the kernel holds it (address/protocol matches first, ``/32`` added, marks printed
    as ``--set-xmark``, ``REJECT`` with its default ``--reject-with``...).
    """

    table: str
    chain: str
    restore: str
    save: str


BUILTIN_CHAINS = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
}

# iptablesChains: the chains kube-proxy (ipvs) creates, in creation order.
IPTABLES_CHAINS: tuple[tuple[str, str], ...] = (
    ("nat", "KUBE-SERVICES"),
    ("nat", "KUBE-POSTROUTING"),
    ("nat", "KUBE-NODE-PORT"),
    ("nat", "KUBE-LOAD-BALANCER"),
    ("nat", "KUBE-MARK-MASQ"),
    ("filter", "KUBE-FORWARD"),
    ("filter", "KUBE-NODE-PORT"),
    ("filter", "KUBE-PROXY-FIREWALL"),
    ("filter", "KUBE-SOURCE-RANGES-FIREWALL"),
    ("filter", "KUBE-IPVS-FILTER"),
    ("filter", "KUBE-IPVS-OUT-FILTER"),
)

# iptablesJumpChain: (table, from, to, comment), installed with EnsureRule(Prepend).
IPTABLES_JUMP_CHAINS: tuple[tuple[str, str, str, str], ...] = (
    ("nat", "OUTPUT", "KUBE-SERVICES", "kubernetes service portals"),
    ("nat", "PREROUTING", "KUBE-SERVICES", "kubernetes service portals"),
    ("nat", "POSTROUTING", "KUBE-POSTROUTING", "kubernetes postrouting rules"),
    ("filter", "FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules"),
    ("filter", "INPUT", "KUBE-NODE-PORT", "kubernetes health check rules"),
    ("filter", "INPUT", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
    ("filter", "FORWARD", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
    ("filter", "INPUT", "KUBE-IPVS-FILTER", "kubernetes ipvs access filter"),
    ("filter", "OUTPUT", "KUBE-IPVS-OUT-FILTER", "kubernetes ipvs access filter"),
)


def _short_hex(mark: str) -> str:
    return hex(int(mark, 16))


def _host_cidr(ip: str) -> str:
    return f"{ip}/128" if ":" in ip else f"{ip}/32"


# ------------------------------------------------------------------------- results

@dataclass(frozen=True)
class IPVSResult:
    """What one sync programmed (a snapshot; the proxier keeps the live state)."""

    virtual_servers: tuple[VirtualServer, ...]
    ipsets: Mapping[str, tuple[str, ...]]
    bound_addresses: tuple[str, ...]  # addresses on kube-ipvs0
    iptables_restore: str


@dataclass
class LookupResult:
    """Outcome of routing one new connection through the proxier.

    Truthy when a destination was chosen, so ``if proxier.lookup(...)`` reads like the
    ``destination | None`` it stands for; ``evaluations`` counts hash lookups and rules
    the kernel evaluated on the way.
    """

    destination: str | None
    verdict: str  # DNAT / REJECT / DROP / NO_SERVICE / ACCEPT
    evaluations: int
    ip: str | None = None
    port: int | None = None
    masquerade: bool = False
    trace: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.destination is not None


# ------------------------------------------------------------------------- proxier

@dataclass
class _DesiredVS:
    vs: VirtualServer
    endpoints: list[Endpoint]
    bind: bool


class IPVSProxier:
    """kube-proxy ``--proxy-mode=ipvs`` for one node and one IP family.

    Each :meth:`sync` is a full ``syncProxyRules``: it recomputes the desired IPVS
    services, ipset entries and iptables rules from the given Services and
    EndpointSlices and applies the difference to the simulated kernel state, which
    persists between syncs (so rr cursors and persistence templates survive, and
    virtual servers no longer wanted are deleted as ``cleanLegacyService`` does).
    """

    def __init__(self, config: ProxierConfig | Mapping | None = None):
        self.config = ProxierConfig.from_mapping(config)
        self.virtual_servers: dict[tuple[str, str, int], VirtualServer] = {}
        self.ipsets: dict[str, IPSet] = {
            base: IPSet(base, ipset_name(base, self.config.is_ipv6), typ, comment, self.config.ip_family)
            for base, typ, comment in IPSET_INFO
        }
        self.bound_addresses: list[str] = []  # kube-ipvs0, in bind order
        self.nat_rules: list[IptRule] = []
        self.filter_rules: list[IptRule] = []
        self._restore_text = ""
        self.synced = False

    # ------------------------------------------------------------------ sync
    def sync(self, services: Iterable[Mapping], slices: Iterable[Mapping]) -> IPVSResult:
        return drain(self.sync_steps(services, slices))

    def sync_steps(self, services: Iterable[Mapping], slices: Iterable[Mapping]) -> Steps[IPVSResult]:
        """`sync` in steps (`engine.proxy.steps`): it yields every few Services, so a
        caller can run a sync over 10,000 of them between other work. The objects it was
        handed must not change meanwhile (stored objects never do), nor may another sync
        of this proxier run before it ends (`engine.proxy.modes` sees to that)."""
        cfg = self.config
        svc_ports = yield from collect_service_ports_steps(services, cfg)
        eps_index = yield from build_endpoints_index_steps(slices, cfg)
        for s in self.ipsets.values():
            s.entries = set()

        node_address_set = [ip for ip in cfg.family_node_ips() if _valid_local_address(ip, cfg)]
        npa = NodePortAddresses.of_config(cfg)
        node_ips: list[str] = []
        if any(sp.node_port for sp in svc_ports):
            if npa.match_all:
                node_ips = list(node_address_set)
            else:
                node_ips = [ip for ip in npa.node_ips(cfg.family_node_ips()) if not parse_ip_sloppy(ip).is_loopback]

        desired: dict[tuple[str, str, int], _DesiredVS] = {}
        active_bind: dict[str, None] = {}  # (in bind order)
        lb_no_node_access: list[tuple[str, str, int]] = []
        sched = cfg.scheduler or "rr"

        def mk_vs(sp: ServicePort, ip: str, port: int, kind: str) -> VirtualServer:
            flags, timeout = 0, 0
            if sp.session_affinity_client_ip:
                flags |= FLAG_PERSISTENT
                timeout = sp.sticky_max_age_seconds
            if sched == "mh":
                flags |= FLAG_SOURCE_HASH
            return VirtualServer(sp.protocol, ip, port, sched, flags, timeout, sp.spn, kind,
                                 sp.external_policy_local)

        def want(vs: VirtualServer, sp: ServicePort, only_local: bool, bind: bool) -> None:
            eps = self._endpoints_for_vs(sp, endpoints_for(sp, eps_index), only_local)
            desired[vs.key] = _DesiredVS(vs, eps, bind)
            if bind:
                active_bind.setdefault(vs.ip)

        for i, sp in enumerate(svc_ports, 1):
            if not i % SERVICES_PER_STEP:
                yield
            proto = sp.proto
            all_eps = endpoints_for(sp, eps_index)
            # Handle traffic that loops back to the originator with SNAT.
            for ep in all_eps:
                if ep.is_local:
                    self.ipsets[KUBE_LOOP_BACK].entries.add(f"{ep.ip},{proto}:{ep.port},{ep.ip}")
            # ClusterIP
            self.ipsets[KUBE_CLUSTER_IP].entries.add(hash_ip_port(sp.cluster_ip, proto, sp.port))
            want(mk_vs(sp, sp.cluster_ip, sp.port, "ClusterIP"), sp, sp.internal_policy_local, True)
            # externalIPs
            for eip in sp.external_ips:
                entry = hash_ip_port(eip, proto, sp.port)
                if sp.external_policy_local:
                    self.ipsets[KUBE_EXTERNAL_IP_LOCAL].entries.add(entry)
                else:
                    self.ipsets[KUBE_EXTERNAL_IP].entries.add(entry)
                want(mk_vs(sp, eip, sp.port, "ExternalIP"), sp, sp.external_policy_local,
                     eip not in node_address_set)
            # LoadBalancer ingress
            for lbip in sp.load_balancer_vips:
                entry = hash_ip_port(lbip, proto, sp.port)
                self.ipsets[KUBE_LOAD_BALANCER].entries.add(entry)
                if sp.external_policy_local:
                    self.ipsets[KUBE_LOAD_BALANCER_LOCAL].entries.add(entry)
                if sp.load_balancer_source_ranges:
                    self.ipsets[KUBE_LOAD_BALANCER_FW].entries.add(entry)
                    allow_from_node = False
                    node_ip = parse_ip_sloppy(cfg.primary_node_ip())
                    for cidr in sp.load_balancer_source_ranges:
                        self.ipsets[KUBE_LOAD_BALANCER_SOURCE_CIDR].entries.add(
                            f"{lbip},{proto}:{sp.port},{cidr_string(cidr)}")
                        if cidr_contains(cidr, node_ip):
                            allow_from_node = True
                    if allow_from_node:
                        self.ipsets[KUBE_LOAD_BALANCER_SOURCE_IP].entries.add(
                            f"{lbip},{proto}:{sp.port},{lbip}")
                    else:
                        lb_no_node_access.append((lbip, proto, sp.port))
                want(mk_vs(sp, lbip, sp.port, "LoadBalancer"), sp, sp.external_policy_local,
                     lbip not in node_address_set)
            # NodePorts
            if sp.node_port and node_ips:
                if proto == "sctp":
                    np_entries = [hash_ip_port(ip, proto, sp.node_port) for ip in node_ips]
                    np_set, np_local = KUBE_NODE_PORT_SCTP, KUBE_NODE_PORT_LOCAL_SCTP
                else:
                    np_entries = [str(sp.node_port)]
                    np_set = KUBE_NODE_PORT_TCP if proto == "tcp" else KUBE_NODE_PORT_UDP
                    np_local = KUBE_NODE_PORT_LOCAL_TCP if proto == "tcp" else KUBE_NODE_PORT_LOCAL_UDP
                self.ipsets[np_set].entries.update(np_entries)
                if sp.external_policy_local:
                    self.ipsets[np_local].entries.update(np_entries)
                for ip in node_ips:
                    want(mk_vs(sp, ip, sp.node_port, "NodePort"), sp, sp.external_policy_local, False)
            if sp.health_check_node_port:
                self.ipsets[KUBE_HEALTH_CHECK_NODE_PORT].entries.add(str(sp.health_check_node_port))

        self.ipsets[KUBE_IPVS_IPS].entries = set(active_bind)
        yield from self._apply_ipvs(desired)
        self.bound_addresses = [a for a in self.bound_addresses if a in active_bind]
        kept = set(self.bound_addresses)
        self.bound_addresses += [a for a in active_bind if a not in kept]
        self._write_iptables_rules(lb_no_node_access)
        self.synced = True
        snapshots: list[VirtualServer] = []
        for i, v in enumerate(self.virtual_servers.values(), 1):
            if not i % SERVICES_PER_STEP:
                yield
            snapshots.append(self._snapshot(v))
        ipsets: dict[str, tuple[str, ...]] = {}
        for s in self.ipsets.values():  # (KUBE-LOOP-BACK: an entry per local endpoint, 30,000 at 10,000 Services)
            yield
            ipsets[s.name] = tuple(s.sorted_entries())
        return IPVSResult(
            virtual_servers=tuple(snapshots),
            ipsets=ipsets,
            bound_addresses=tuple(self.bound_addresses),
            iptables_restore=self._restore_text,
        )

    def _endpoints_for_vs(self, sp: ServicePort, all_eps: list[Endpoint], only_local: bool) -> list[Endpoint]:
        """``syncEndpoint``'s choice of real servers for one virtual server."""
        cat = categorize_endpoints(all_eps, sp, self.config.node_name, self.config.node_labels)
        if only_local:
            # Local endpoints, or (kubernetes#97081) cluster endpoints so local pods
            # can still reach the service when this node has none.
            return list(cat.local) if cat.local else list(cat.cluster)
        return list(cat.cluster)

    def _apply_ipvs(self, desired: Mapping[tuple[str, str, int], _DesiredVS]) -> Steps[None]:
        """syncService/syncEndpoint/cleanLegacyService against the kernel table, a yield
        every few virtual servers."""
        for i, (key, d) in enumerate(desired.items(), 1):
            if not i % SERVICES_PER_STEP:
                yield
            cur = self.virtual_servers.get(key)
            if cur is None:
                cur = d.vs
                self.virtual_servers[key] = cur
            elif not cur.same_config(d.vs):  # UpdateVirtualServer keeps the real servers
                cur.scheduler, cur.flags, cur.timeout = d.vs.scheduler, d.vs.flags, d.vs.timeout
            cur.service, cur.kind = d.vs.service, d.vs.kind
            cur.external_policy_local = d.vs.external_policy_local
            new_keys = {e.key: e for e in d.endpoints}
            cur_keys = {r.key for r in cur.destinations}
            # AddRealServer in the order Go's set yields them (random; sorted here)
            for k in sorted(new_keys, key=str.encode):
                if k not in cur_keys:
                    e = new_keys[k]
                    cur.add_destination(RealServer(e.ip, e.port))
            # Graceful delete: a real server with no connections is removed at once.
            for k in sorted(cur_keys - set(new_keys)):
                cur.delete_destination(k)
        for key in [k for k in self.virtual_servers if k not in desired]:
            del self.virtual_servers[key]

    @staticmethod
    def _snapshot(vs: VirtualServer) -> VirtualServer:
        return VirtualServer(vs.protocol, vs.ip, vs.port, vs.scheduler, vs.flags, vs.timeout,
                             vs.service, vs.kind, vs.external_policy_local,
                             [RealServer(**vars(r)) for r in vs.destinations])

    # ------------------------------------------------------------ iptables
    def _write_iptables_rules(self, lb_no_node_access: list[tuple[str, str, int]]) -> None:
        """``writeIptablesRules`` + ``acceptIPVSTraffic``, in both spellings."""
        cfg = self.config
        mark = cfg.masquerade_mark
        smark = _short_hex(mark)
        nat: list[IptRule] = []
        flt: list[IptRule] = []

        def add(table: str, chain: str, restore: str, save: str | None = None) -> None:
            (nat if table == "nat" else flt).append(IptRule(table, chain, restore, save if save is not None else restore))

        def name(base: str) -> str:
            return self.ipsets[base].name

        def comment(base: str) -> str:
            return f'"{self.ipsets[base].comment}"'

        def empty(base: str) -> bool:
            return not self.ipsets[base].entries

        lo = "::1/128" if cfg.is_ipv6 else "127.0.0.0/8"
        add("nat", "KUBE-SERVICES", f"-s {lo} -j RETURN")

        for base, table, frm, to, match, proto in IPSET_WITH_IPTABLES_CHAIN:
            if empty(base):
                continue
            p = f"-p {proto} " if proto else ""
            add(table, frm, f"{p}-m comment --comment {comment(base)} -m set --match-set {name(base)} {match} -j {to}")

        if not empty(KUBE_CLUSTER_IP):
            head = f"-m comment --comment {comment(KUBE_CLUSTER_IP)} -m set --match-set {name(KUBE_CLUSTER_IP)}"
            local = cfg.local_cidr()
            if cfg.masquerade_all:
                add("nat", "KUBE-SERVICES", f"{head} dst,dst -j KUBE-MARK-MASQ")
            elif local is not None:
                c = cidr_string(local)
                add("nat", "KUBE-SERVICES", f"{head} dst,dst ! -s {c} -j KUBE-MARK-MASQ",
                    f"! -s {c} {head} dst,dst -j KUBE-MARK-MASQ")
            else:
                add("nat", "KUBE-SERVICES", f"{head} src,dst -j KUBE-MARK-MASQ")

        def external_ip_rules(args: str) -> None:
            add("nat", "KUBE-SERVICES", f"{args} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT")
            add("nat", "KUBE-SERVICES", f"{args} -m addrtype --dst-type LOCAL -j ACCEPT")

        if not empty(KUBE_EXTERNAL_IP):
            args = f"-m comment --comment {comment(KUBE_EXTERNAL_IP)} -m set --match-set {name(KUBE_EXTERNAL_IP)} dst,dst"
            add("nat", "KUBE-SERVICES", f"{args} -j KUBE-MARK-MASQ")
            external_ip_rules(args)
        if not empty(KUBE_EXTERNAL_IP_LOCAL):
            args = (f"-m comment --comment {comment(KUBE_EXTERNAL_IP_LOCAL)} "
                    f"-m set --match-set {name(KUBE_EXTERNAL_IP_LOCAL)} dst,dst")
            external_ip_rules(args)

        add("nat", "KUBE-SERVICES", "-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT")
        add("nat", "KUBE-LOAD-BALANCER", "-j KUBE-MARK-MASQ")
        add("filter", "KUBE-SOURCE-RANGES-FIREWALL", "-j DROP")
        for ip, proto, port in lb_no_node_access:
            add("filter", "KUBE-IPVS-OUT-FILTER",
                f"-s {ip} -m ipvs --vaddr {ip} --vproto {proto} --vport {port} -j DROP",
                f"-s {_host_cidr(ip)} -m ipvs --vproto {IPPROTO[proto.upper()]} --vaddr {_host_cidr(ip)} --vport {port} -j DROP")
        # acceptIPVSTraffic: must be last in KUBE-SERVICES
        for base in (KUBE_CLUSTER_IP, KUBE_LOAD_BALANCER):
            if not empty(base):
                match = "dst" if self.ipsets[base].set_type == BITMAP_PORT else "dst,dst"
                add("nat", "KUBE-SERVICES", f"-m set --match-set {name(base)} {match} -j ACCEPT")
        add("filter", "KUBE-FORWARD",
            f'-m comment --comment "kubernetes forwarding rules" -m mark --mark {mark}/{mark} -j ACCEPT',
            f'-m comment --comment "kubernetes forwarding rules" -m mark --mark {smark}/{smark} -j ACCEPT')
        add("filter", "KUBE-FORWARD",
            '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')
        add("filter", "KUBE-NODE-PORT",
            f"-m comment --comment {comment(KUBE_HEALTH_CHECK_NODE_PORT)} "
            f"-m set --match-set {name(KUBE_HEALTH_CHECK_NODE_PORT)} dst -j ACCEPT")
        for base, match in ((KUBE_LOAD_BALANCER, "dst,dst"), (KUBE_CLUSTER_IP, "dst,dst"),
                            (KUBE_EXTERNAL_IP, "dst,dst"), (KUBE_EXTERNAL_IP_LOCAL, "dst,dst"),
                            (KUBE_HEALTH_CHECK_NODE_PORT, "dst")):
            add("filter", "KUBE-IPVS-FILTER", f"-m set --match-set {name(base)} {match} -j RETURN")
        reject_with = "icmp6-port-unreachable" if cfg.is_ipv6 else "icmp-port-unreachable"
        add("filter", "KUBE-IPVS-FILTER",
            f"-m conntrack --ctstate NEW -m set --match-set {name(KUBE_IPVS_IPS)} dst -j REJECT",
            f"-m conntrack --ctstate NEW -m set --match-set {name(KUBE_IPVS_IPS)} dst -j REJECT --reject-with {reject_with}")
        add("nat", "KUBE-POSTROUTING", f"-m mark ! --mark {mark}/{mark} -j RETURN",
            f"-m mark ! --mark {smark}/{smark} -j RETURN")
        add("nat", "KUBE-POSTROUTING", f"-j MARK --xor-mark {mark}", f"-j MARK --set-xmark {smark}/0x0")
        masq = '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE'
        if cfg.random_fully:
            masq += " --random-fully"
        add("nat", "KUBE-POSTROUTING", masq)
        add("nat", "KUBE-MARK-MASQ", f"-j MARK --or-mark {mark}", f"-j MARK --set-xmark {smark}/{smark}")

        self.nat_rules, self.filter_rules = nat, flt
        lines = ["*nat"]
        lines += [f":{c} - [0:0]" for t, c in IPTABLES_CHAINS if t == "nat"]
        lines += [f"-A {r.chain} {r.restore}" for r in nat]
        lines.append("COMMIT")
        lines.append("*filter")
        lines += [f":{c} - [0:0]" for t, c in IPTABLES_CHAINS if t == "filter"]
        lines += [f"-A {r.chain} {r.restore}" for r in flt]
        lines.append("COMMIT")
        self._restore_text = "\n".join(lines) + "\n"

    def builtin_jump_rules(self) -> list[IptRule]:
        """The jumps ``createAndLinkKubeChain`` inserts with ``iptables -I`` (position 1,
        so each chain lists them in reverse insertion order)."""
        per_chain: dict[tuple[str, str], list[IptRule]] = {}
        for table, frm, to, comment in IPTABLES_JUMP_CHAINS:
            spec = f'-m comment --comment "{comment}" -j {to}'
            per_chain.setdefault((table, frm), []).insert(0, IptRule(table, frm, spec, spec))
        return [r for rules in per_chain.values() for r in rules]

    # ------------------------------------------------------------ renderers
    def iptables_restore(self) -> str:
        """The exact ``iptables-restore --noflush`` input kube-proxy wrote last sync."""
        return self._restore_text

    def iptables_save(self, version: str = "v1.8.9", date: str | None = "Thu Jan  1 00:00:00 1970",
                      tables: Sequence[str] = ("filter", "nat")) -> str:
        """What ``iptables-save`` prints for the kube-proxy-owned parts of the node.

        Layout per table: built-in chains with policy and counters, then user chains
        sorted by name, then the rules grouped by chain in the same order.  ``date``
        (``None`` omits the comment lines) and ``version`` make the header
        deterministic; the table order follows what iptables-legacy was observed to
        print (filter, then nat).  kubelet's own chains are not modelled.
        """
        builtin = self.builtin_jump_rules()
        out: list[str] = []
        for table in tables:
            chains = [c for t, c in IPTABLES_CHAINS if t == table]
            rules = [r for r in builtin if r.table == table]
            rules += self.nat_rules if table == "nat" else self.filter_rules
            if date is not None:
                out.append(f"# Generated by iptables-save {version} on {date}")
            out.append(f"*{table}")
            for c in BUILTIN_CHAINS[table]:
                out.append(f":{c} ACCEPT [0:0]")
            user = sorted(chains, key=str.encode)
            for c in user:
                out.append(f":{c} - [0:0]")
            for c in list(BUILTIN_CHAINS[table]) + user:
                out += [f"-A {c} {r.save}" for r in rules if r.chain == c]
            out.append("COMMIT")
            if date is not None:
                out.append(f"# Completed on {date}")
        return "\n".join(out) + "\n"

    def ipset_list(self, format: str = "save") -> str:
        """The ipsets as ``ipset save`` prints them (``create`` + ``add`` lines).

        ``ipset save`` is used rather than ``ipset list`` because upstream tests assert
        on exactly these entry strings and the ``list`` header carries kernel-specific
        numbers (revision, "Size in memory", references).  ``format="members"`` gives
        ``name: entries`` lines, handy in a UI.  The output matches ipset 6.x; ipset 7.x
        appends ``bucketsize 12 initval 0x…`` (a random seed) to hash ``create`` lines.
        """
        out: list[str] = []
        for s in self.ipsets.values():
            if format == "members":
                out.append(f"{s.name}: {' '.join(s.sorted_entries())}".rstrip())
                continue
            out.append(s.create_line())
            out += [f"add {s.name} {e}" for e in s.sorted_entries()]
        return "\n".join(out) + "\n"

    def ipvsadm_ln(self, version: str = "1.2.1", size: int = 4096) -> str:
        """Exactly ``ipvsadm -Ln``: header, title, then virtual servers as ipvsadm sorts
        them (protocol, then address with libipvs's wrapping compare, then port) with
        their real servers sorted the same way.  Connection counters are 0: the
        simulator does not track connections.  Lines keep ipvsadm's trailing padding.
        """
        return drain(self.ipvsadm_ln_steps(version, size))

    def ipvsadm_ln_steps(self, version: str = "1.2.1", size: int = 4096) -> Steps[str]:
        """`ipvsadm_ln` in steps (`engine.proxy.steps`): the rules pane's first text at
        10,000 Services is laid out between a dashboard's repaints."""
        out = [f"IP Virtual Server version {version} (size={size})",
               "Prot LocalAddress:Port Scheduler Flags",
               "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
        ordered = yield from glibc_msort_steps(list(self.virtual_servers.values()), ipvs_cmp_services)
        for i, vs in enumerate(ordered, 1):
            if not i % SERVICES_PER_STEP:
                yield
            vname = f"[{vs.ip}]:{vs.port}" if ":" in vs.ip else f"{vs.ip}:{vs.port}"
            svc_name = f"{vs.protocol}  {vname}"
            if ":" not in vs.ip:
                svc_name = svc_name[:33]
            line = f"{svc_name} {vs.scheduler}{_sched_flags_text(vs)}"
            if vs.persistent:
                line += f" persistent {vs.timeout}"
            out.append(line)
            for rs in glibc_msort(list(vs.destinations), ipvs_cmp_dests):
                dname = f"[{rs.ip}]:{rs.port}" if ":" in rs.ip else f"{rs.ip}:{rs.port}"[:28]
                out.append("  -> %-28s %-7s %-6d %-10u %-10u" % (
                    dname, rs.forward, rs.weight, rs.active_conns, rs.inactive_conns))
        return "\n".join(out) + "\n"

    def kube_ipvs0_addresses(self) -> list[str]:
        """Addresses bound to the ``kube-ipvs0`` dummy interface (``ip -br addr``)."""
        return list(self.bound_addresses)

    # ------------------------------------------------------------ lookup
    def lookup(self, protocol: str, ip: str, port: int, rng: random.Random | None = None,
               *, client_ip: str | None = None) -> LookupResult:
        """Schedule a new connection to ``ip:port`` as the IPVS kernel would.

        The virtual server is found with one hash lookup (``evaluations == 1``).  The
        real server is chosen by the configured scheduler: rr/wrr exactly as
        ``ip_vs_rr_schedule`` (cyclic over the kernel list, cursor kept per virtual
        server), sh/dh with the kernel's 256-bucket tables; other schedulers fall back
        to rr.  ``client_ip`` enables persistence (session affinity) and sh.  A virtual
        server with no usable real server answers ICMP port-unreachable (``REJECT``).
        ``rng`` is accepted for symmetry with the nftables lookup and is unused.
        """
        proto = protocol.upper()
        addr = parse_ip_sloppy(ip)
        key = (proto, ip_string(addr) if addr is not None else ip, int(port))
        vs = self.virtual_servers.get(key)
        trace = [f"ipvs: lookup {proto} {join_host_port(key[1], key[2])}"]
        if vs is None:
            return LookupResult(None, "NO_SERVICE", 1, trace=trace + ["ipvs: no virtual server"])
        dest: RealServer | None = None
        if vs.persistent and client_ip and client_ip in vs.affinity:
            k = vs.affinity[client_ip]
            dest = next((d for d in vs.destinations if d.key == k and d.weight > 0), None)
        if dest is None:
            dest = self._schedule(vs, client_ip)
            if dest is not None and vs.persistent and client_ip:
                vs.affinity[client_ip] = dest.key
        if dest is None:
            return LookupResult(None, "REJECT", 1, trace=trace + [f"ipvs: {vs.address} has no destination"])
        trace.append(f"ipvs: {vs.address} {vs.scheduler} -> {dest.key}")
        masq = self._masquerades(vs, dest, client_ip)
        return LookupResult(dest.key, "DNAT", 1, dest.ip, dest.port, masquerade=masq, trace=trace)

    def _masquerades(self, vs: VirtualServer, dest: RealServer, client_ip: str | None) -> bool:
        """Whether the iptables side SNATs this connection (KUBE-MARK-MASQ or the
        KUBE-LOOP-BACK hairpin rule).  An unknown client counts as off-cluster."""
        cfg = self.config
        src = parse_ip_sloppy(client_ip) if client_ip else None
        proto = vs.protocol.lower()
        if src is not None and src.is_loopback:
            return False  # KUBE-SERVICES -s 127.0.0.0/8 -j RETURN
        if src is not None and ip_string(src) == dest.ip and \
                f"{dest.ip},{proto}:{dest.port},{dest.ip}" in self.ipsets[KUBE_LOOP_BACK].entries:
            return True  # hairpin
        if vs.kind == "ClusterIP":
            if cfg.masquerade_all:
                return True
            local = cfg.local_cidr()
            return local is not None and not cidr_contains(local, src)
        return not vs.external_policy_local

    def _schedule(self, vs: VirtualServer, client_ip: str | None) -> RealServer | None:
        dests = vs.destinations
        if not dests:
            return None
        if vs.scheduler in ("sh", "dh") and (client_ip or vs.scheduler == "dh"):
            return self._hash_schedule(vs, client_ip)
        # ip_vs_rr_schedule: continue after the last pick, wrapping once.
        idx = next((i for i, d in enumerate(dests) if d.key == vs.rr_last), -1)
        order = dests[idx + 1:] + dests[:idx + 1] if idx >= 0 else list(dests)
        for d in order:
            if d.weight > 0:
                vs.rr_last = d.key
                return d
        return None

    @staticmethod
    def _hash_schedule(vs: VirtualServer, client_ip: str | None) -> RealServer | None:
        """ip_vs_sh / ip_vs_dh: 256 buckets filled round-robin by weight, keyed by
        ``hash_32(addr [+ port]) `` of the source (sh) or destination (dh) address."""
        buckets: list[RealServer] = []
        dests = [d for d in vs.destinations if d.weight > 0]
        if not dests:
            return None
        i = c = 0
        while len(buckets) < 256:
            d = dests[i % len(dests)]
            buckets.append(d)
            c += 1
            if c >= d.weight:
                i, c = i + 1, 0
        addr = client_ip if vs.scheduler == "sh" else vs.ip
        a = ipaddress.ip_address(addr)
        fold = int(a) if a.version == 4 else (
            int.from_bytes(a.packed[0:4], "big") ^ int.from_bytes(a.packed[4:8], "big")
            ^ int.from_bytes(a.packed[8:12], "big") ^ int.from_bytes(a.packed[12:16], "big"))
        h = ((fold * 0x61C88647) & 0xFFFFFFFF) >> (32 - 8)
        return buckets[h & 0xFF]
