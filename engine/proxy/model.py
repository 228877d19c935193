"""What kube-proxy sees: service ports and their endpoints, derived from API objects.

This mirrors ``pkg/proxy/{serviceport.go, endpointslicecache.go, topology.go}`` and
``pkg/api/v1/service/util.go``: each Service becomes one :class:`ServicePort` per
``spec.ports`` entry, each EndpointSlice port contributes :class:`Endpoint` s to the
service port with the same name and protocol, and :func:`categorize_endpoints` decides
which endpoints Cluster and Local traffic policy use.  Inputs are plain dicts in API
JSON shape (already defaulted by an API server, though missing optional fields get the
API defaults here as well).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from engine.api.wellknown import SERVICE_NAME_LABEL, ZONE_LABEL
from engine.proxy.ipnet import (
    IPV4,
    IPV6,
    IPNet,
    canonical_ip,
    cidr_string,
    family_of,
    is_ipv6_canonical,
    is_ipv6_string,
    join_host_port,
    parse_cidr_sloppy,
)
from engine.proxy.iptables import chains

DEFAULT_STICKY_SECONDS = 10800  # API default for sessionAffinityConfig.clientIP.timeoutSeconds
SUPPORTED_ADDRESS_TYPES = ("IPv4", "IPv6")  # FQDN slices are ignored by kube-proxy


def _meta(obj: Mapping) -> Mapping:
    return obj.get("metadata") or {}


def object_key(obj: Mapping) -> str:
    """``namespace/name`` of an object: the key partial syncs are tracked by."""
    md = _meta(obj)
    return f"{md.get('namespace') or ''}/{md.get('name') or ''}"


def slice_service_key(slice_obj: Mapping) -> str | None:
    """``namespace/service`` an EndpointSlice belongs to (its service-name label)."""
    md = _meta(slice_obj)
    svc = (md.get("labels") or {}).get(SERVICE_NAME_LABEL)
    if not svc:
        return None
    return f"{md.get('namespace') or ''}/{svc}"


# --------------------------------------------------------------------------- services


def service_port_name(namespace: str, name: str, port_name: str | None) -> str:
    """``ServicePortName.String()``: ``namespace/name``, then ``:port`` when the port is named
    (what the chain-name hashes and the rules' comments are made from)."""
    return f"{namespace}/{name}:{port_name}" if port_name else f"{namespace}/{name}"


@dataclass(frozen=True)
class ServicePort:
    """One port of one Service, as the proxier's ``servicePortInfo``.

    Addresses are already family-filtered and printed canonically; chain names are
    precomputed because every sync needs them.
    """

    namespace: str
    name: str
    port_name: str
    protocol: str  # as in the API: TCP / UDP / SCTP
    cluster_ip: str
    port: int
    node_port: int = 0
    external_ips: tuple[str, ...] = ()
    load_balancer_vips: tuple[str, ...] = ()
    load_balancer_source_ranges: tuple[IPNet, ...] = ()
    session_affinity_client_ip: bool = False
    sticky_max_age_seconds: int = 0
    health_check_node_port: int = 0
    external_policy_local: bool = False
    internal_policy_local: bool = False
    # derived, filled in __post_init__
    spn: str = field(init=False)
    proto: str = field(init=False)
    svc_chain: str = field(init=False)
    svl_chain: str = field(init=False)
    ext_chain: str = field(init=False)
    fw_chain: str = field(init=False)

    def __post_init__(self) -> None:
        spn = service_port_name(self.namespace, self.name, self.port_name)
        proto = self.protocol.lower()
        h = chains.port_proto_hash(spn, proto)
        set_ = object.__setattr__
        set_(self, "spn", spn)
        set_(self, "proto", proto)
        set_(self, "svc_chain", chains.SVC_PREFIX + h)
        set_(self, "svl_chain", chains.SVL_PREFIX + h)
        set_(self, "ext_chain", chains.EXT_PREFIX + h)
        set_(self, "fw_chain", chains.FW_PREFIX + h)

    @property
    def service_key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def externally_accessible(self) -> bool:
        """Reachable other than by ClusterIP (NodePort, externalIP or LB VIP)."""
        return self.node_port != 0 or bool(self.load_balancer_vips) or bool(self.external_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        # eTP=Local still needs Cluster endpoints for the pod short-circuit.
        return not self.internal_policy_local or self.externally_accessible

    @property
    def uses_local_endpoints(self) -> bool:
        return self.internal_policy_local or (self.external_policy_local and self.externally_accessible)

    @property
    def source_range_strings(self) -> tuple[str, ...]:
        return tuple(cidr_string(c) for c in self.load_balancer_source_ranges)


def _service_externally_accessible(spec: Mapping) -> bool:
    """``apiservice.ExternallyAccessible`` (type-based, unlike the per-port notion)."""
    t = spec.get("type") or "ClusterIP"
    return t in ("LoadBalancer", "NodePort") or (t == "ClusterIP" and bool(spec.get("externalIPs")))


def cluster_ip_for_family(spec: Mapping, family: str) -> str:
    """``proxyutil.GetClusterIPByFamily``."""
    families = spec.get("ipFamilies") or []
    if not families:
        cip = spec.get("clusterIP") or ""
        if not cip or cip == "None":
            return ""
        return cip if (family == IPV6) == is_ipv6_string(cip) else ""
    cips = spec.get("clusterIPs") or []
    for idx, fam in enumerate(families):
        if fam == family and idx < len(cips):
            return cips[idx]
    return ""


def _is_vip_mode(ingress: Mapping, ip_mode_enabled: bool) -> bool:
    if not ip_mode_enabled:
        return True  # LoadBalancerIPMode gate off: every ingress IP is a VIP
    mode = ingress.get("ipMode")
    return mode is None or mode == "VIP"


def service_ports(service: Mapping, family: str = IPV4, *, lb_ip_mode: bool = True) -> list[ServicePort]:
    """All proxied ports of a Service for one IP family (empty if kube-proxy skips it).

    Skipped: headless Services (clusterIP empty or ``None``), ``ExternalName`` Services
    and Services with no clusterIP of this family.  Unparseable externalIPs, ingress IPs
    and source ranges are dropped, like other-family ones.
    """
    spec = service.get("spec") or {}
    md = _meta(service)
    cip_raw = spec.get("clusterIP") or ""
    if not cip_raw or cip_raw == "None" or (spec.get("type") == "ExternalName"):
        return []
    want_v6 = family == IPV6
    cip = canonical_ip(cluster_ip_for_family(spec, family))
    if cip is None:
        return []

    etp_local = _service_externally_accessible(spec) and spec.get("externalTrafficPolicy") == "Local"
    itp_local = spec.get("internalTrafficPolicy") == "Local"

    sticky = 0
    client_ip = spec.get("sessionAffinity") == "ClientIP"
    if client_ip:
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
        t = cfg.get("timeoutSeconds")
        sticky = int(t) if t is not None else DEFAULT_STICKY_SECONDS

    external_ips = []
    for s in spec.get("externalIPs") or []:
        ip = canonical_ip(s)
        if ip is not None and is_ipv6_canonical(ip) == want_v6:
            external_ips.append(ip)

    ranges = []
    for s in spec.get("loadBalancerSourceRanges") or []:
        net = parse_cidr_sloppy(s.strip() if isinstance(s, str) else s)
        if net is not None and family_of(net) == family:
            ranges.append(net)

    vips = []
    ingress_list = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    for ing in ingress_list:
        if not ing.get("ip"):
            continue
        if not _is_vip_mode(ing, lb_ip_mode):
            continue
        ip = canonical_ip(ing["ip"])
        if ip is not None and is_ipv6_canonical(ip) == want_v6:
            vips.append(ip)

    hc = 0
    if (spec.get("type") or "ClusterIP") == "LoadBalancer" and etp_local:
        hc = int(spec.get("healthCheckNodePort") or 0)

    out = []
    for p in spec.get("ports") or []:
        out.append(ServicePort(
            namespace=md.get("namespace") or "",
            name=md.get("name") or "",
            port_name=p.get("name") or "",
            protocol=p.get("protocol") or "TCP",
            cluster_ip=cip,
            port=int(p.get("port") or 0),
            node_port=int(p.get("nodePort") or 0),
            external_ips=tuple(external_ips),
            load_balancer_vips=tuple(vips),
            load_balancer_source_ranges=tuple(ranges),
            session_affinity_client_ip=client_ip,
            sticky_max_age_seconds=sticky,
            health_check_node_port=hc,
            external_policy_local=etp_local,
            internal_policy_local=itp_local,
        ))
    return out


# -------------------------------------------------------------------------- endpoints


NO_HINTS: frozenset[str] = frozenset()


class Endpoint:
    """One endpoint of one service port (``BaseEndpointInfo``).

    Immutable by convention, compared and hashed by value (without ``key``, which is
    derived): a proxier keeps the last sync's endpoints and compares them to tell a real
    change from a no-op. A plain class with slots rather than a frozen dataclass: a first
    sync builds 100,000 of them at 10,000 Services, and a frozen dataclass's ``__init__``
    (every field set through ``object.__setattr__``) cost five times as much.
    """

    __slots__ = ("ip", "port", "is_local", "ready", "serving", "terminating", "zone_hints", "node_hints", "key")

    ip: str
    port: int
    is_local: bool
    ready: bool
    serving: bool
    terminating: bool
    zone_hints: frozenset[str]
    node_hints: frozenset[str]
    # ``ip:port`` (``[ip]:port`` for IPv6): the DNAT target, chain-hash input, sort key.
    key: str

    def __init__(self, ip: str, port: int, is_local: bool = False, ready: bool = True, serving: bool = True,
                 terminating: bool = False, zone_hints: frozenset[str] = NO_HINTS,
                 node_hints: frozenset[str] = NO_HINTS) -> None:
        self.ip = ip
        self.port = port
        self.is_local = is_local
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
        self.zone_hints = zone_hints
        self.node_hints = node_hints
        self.key = join_host_port(ip, port)

    def _fields(self) -> tuple:
        return (self.ip, self.port, self.is_local, self.ready, self.serving, self.terminating,
                self.zone_hints, self.node_hints)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (f"Endpoint(ip={self.ip!r}, port={self.port!r}, is_local={self.is_local!r}, ready={self.ready!r}, "
                f"serving={self.serving!r}, terminating={self.terminating!r}, zone_hints={self.zone_hints!r}, "
                f"node_hints={self.node_hints!r})")


PortKey = tuple[str, str]  # (port name, protocol)


def _hint_names(hints: Mapping | None, field_name: str) -> frozenset[str]:
    if not hints:
        return NO_HINTS
    return frozenset(h.get("name") for h in hints.get(field_name) or [] if h.get("name") is not None)


def endpoints_by_port(
    slices: Iterable[Mapping],
    family: str,
    node_name: str,
    *,
    node_hints_enabled: bool = True,
) -> dict[PortKey, list[Endpoint]]:
    """``EndpointSliceCache.getEndpointsMap`` for one Service's slices.

    Returns, per (port name, protocol), the endpoints sorted by their ``ip:port`` string
    (bytewise, so ``10.1.1.11:11`` sorts before ``10.1.1.1:11``): that order drives the
    probability cascade.  Only ``addresses[0]`` of each endpoint is used; endpoints of
    the other IP family are ignored; a duplicate ``ip:port`` is replaced by a later copy
    only if that copy is not terminating.
    """
    by_port: dict[PortKey, dict[str, Endpoint]] = {}
    ordered = sorted(slices, key=lambda s: _meta(s).get("name") or "")
    for sl in ordered:
        if sl.get("addressType", "IPv4") not in SUPPORTED_ADDRESS_TYPES:
            continue
        usable: list[tuple] | None = None  # the slice's endpoints, read once for all its ports
        for port in sl.get("ports") or []:
            pname = port.get("name")
            pnum = port.get("port")
            if pname is None or not pnum:
                continue  # kube-proxy ignores nil names and nil/0 ports
            if usable is None:
                usable = _usable_endpoints(sl, family, node_name, node_hints_enabled)
            pnum = int(pnum)
            eps = by_port.setdefault((pname, port.get("protocol") or "TCP"), {})
            for ip, is_local, ready, serving, terminating, zone_hints, node_hints in usable:
                e = Endpoint(ip, pnum, is_local, ready, serving, terminating, zone_hints, node_hints)
                k = e.key
                if not terminating or k not in eps:
                    eps[k] = e
    # Keys are ASCII (a canonical address and a port), so their str order is the bytewise one.
    return {k: [v[e] for e in sorted(v)] for k, v in by_port.items() if v}


def _usable_endpoints(sl: Mapping, family: str, node_name: str, node_hints_enabled: bool) -> list[tuple]:
    """An EndpointSlice's endpoints kube-proxy uses, as (canonical IP, is local, ready,
    serving, terminating, zone hints, node hints): ``addresses[0]`` of each one of
    ``family`` that parses."""
    want_v6 = family == IPV6
    out = []
    for ep in sl.get("endpoints") or []:
        addrs = ep.get("addresses")
        if not addrs:
            continue
        ip = canonical_ip(addrs[0])
        if ip is None or is_ipv6_canonical(ip) != want_v6:
            continue
        cond = ep.get("conditions") or {}
        ready = cond.get("ready")
        serving = cond.get("serving")
        terminating = cond.get("terminating")
        node = ep.get("nodeName")
        hints = ep.get("hints")
        out.append((
            ip,
            bool(node_name) and node is not None and node == node_name,
            ready is None or bool(ready),
            serving is None or bool(serving),
            terminating is not None and bool(terminating),
            _hint_names(hints, "forZones") if hints else NO_HINTS,
            _hint_names(hints, "forNodes") if hints and node_hints_enabled else NO_HINTS,
        ))
    return out


# ---------------------------------------------------------------------- categorization


@dataclass(frozen=True)
class Categorized:
    """Result of ``proxy.CategorizeEndpoints`` for one service port."""

    cluster: tuple[Endpoint, ...]
    local: tuple[Endpoint, ...]
    all_reachable: tuple[Endpoint, ...]
    has_any: bool


def _topology_mode(endpoints: list[Endpoint], node_name: str, zone: str, prefer_same_node: bool) -> str:
    has_for_node = False
    all_node_hints = True
    has_for_zone = False
    all_zone_hints = True
    for ep in endpoints:
        if not ep.ready:
            continue
        if not ep.node_hints:
            all_node_hints = False
        elif node_name in ep.node_hints:
            has_for_node = True
        if not ep.zone_hints:
            all_zone_hints = False
        elif zone in ep.zone_hints:
            has_for_zone = True
    if prefer_same_node and all_node_hints and has_for_node:
        return "PreferSameNode"
    if all_zone_hints and has_for_zone:
        return "PreferSameZone"
    return ""


def _available_for_topology(ep: Endpoint, mode: str, node_name: str, zone: str) -> bool:
    if mode == "":
        return True
    if mode == "PreferSameNode":
        return node_name in ep.node_hints
    if mode == "PreferSameZone":
        return zone in ep.zone_hints
    return False


def categorize_endpoints(
    endpoints: list[Endpoint],
    sp: ServicePort,
    node_name: str,
    node_labels: Mapping[str, str] | None = None,
    *,
    prefer_same_node: bool = True,
) -> Categorized:
    """Which endpoints Cluster and Local traffic policy use, and which get SEP chains.

    Ready endpoints are used; if there are none, serving+terminating ones (cluster-wide
    for Cluster policy, per node for Local).  ``has_any`` says whether the service has
    usable endpoints anywhere, which decides REJECT versus DROP.
    """
    cluster: list[Endpoint] = []
    local: list[Endpoint] = []
    has_any = False
    mode = ""
    use_terminating = False
    zone = (node_labels or {}).get(ZONE_LABEL, "")

    if sp.uses_cluster_endpoints:
        mode = _topology_mode(endpoints, node_name, zone, prefer_same_node)
        cluster = [e for e in endpoints if e.ready and _available_for_topology(e, mode, node_name, zone)]
        if not cluster:
            cluster = [e for e in endpoints if e.serving and e.terminating]
        if cluster:
            has_any = True

    if not sp.uses_local_endpoints:
        return Categorized(tuple(cluster), (), tuple(cluster), has_any)

    has_local_ready = has_local_term = False
    for e in endpoints:
        if e.ready:
            has_any = True
            if e.is_local:
                has_local_ready = True
        elif e.serving and e.terminating:
            has_any = True
            if e.is_local:
                has_local_term = True
    if has_local_ready:
        local = [e for e in endpoints if e.is_local and e.ready]
    elif has_local_term:
        use_terminating = True
        local = [e for e in endpoints if e.is_local and e.serving and e.terminating]

    if not sp.uses_cluster_endpoints:
        return Categorized((), tuple(local), tuple(local), has_any)
    if mode == "" and not use_terminating:
        return Categorized(tuple(cluster), tuple(local), tuple(cluster), has_any)
    # Union by key; Go builds it from a map (random order), so any order is faithful.
    merged = {e.key: e for e in cluster}
    merged.update((e.key, e) for e in local)
    union = tuple(merged[k] for k in sorted(merged))  # (ASCII keys: bytewise order)
    return Categorized(tuple(cluster), tuple(local), union, has_any)
