"""Configuration of one simulated kube-proxy: its node and its flags, for one IP family.

One :class:`ProxierConfig` serves the three modes (iptables, ipvs, nftables), as one
``KubeProxyConfiguration`` serves the real kube-proxy whatever ``mode:`` says: the
node's identity and addresses and the mode-independent flags (``clusterCIDR``,
``detectLocalMode``, masquerading, ``nodePortAddresses``, feature gates) are read by
every proxier; the few fields of one mode are grouped and marked as such.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol, Sequence

from engine.api.objects import labels_of
from engine.proxy.ipnet import IPV4, IPV6, IPNet, family_of, ip_string, parse_cidr_sloppy, parse_ip_sloppy

# KubeProxyConfiguration (camelCase) and older spellings -> ProxierConfig fields, for
# configs given as plain mappings (:meth:`ProxierConfig.from_mapping`).
CONFIGURATION_KEYS = {
    "nodeName": "node_name", "hostname": "node_name",
    "nodeIPs": "node_ips", "nodeIP": "node_ips",
    "clusterCIDR": "cluster_cidr",
    "masqueradeAll": "masquerade_all", "masqueradeBit": "masquerade_bit",
    "nodePortAddresses": "node_port_addresses",
    "ipFamily": "ip_family", "nodeLabels": "node_labels",
    "serviceCIDRs": "service_cidrs", "randomFully": "random_fully",
}


@dataclass(frozen=True)
class LocalDetector:
    """``--detect-local-mode``: how kube-proxy tells pod traffic from other traffic.

    ``mode`` is ``ClusterCIDR``/``NodeCIDR`` (``value`` is the CIDR, written verbatim as
    kube-proxy does), ``BridgeInterface`` (an interface name) or ``InterfaceNamePrefix``
    (a prefix; iptables gets ``prefix+``).
    """

    mode: str
    value: str

    def if_local(self) -> str:
        if self.mode in ("ClusterCIDR", "NodeCIDR"):
            return f"-s {self.value}"
        if self.mode == "BridgeInterface":
            return f"-i {self.value}"
        return f"-i {self.value}+"

    def if_not_local(self) -> str:
        return "! " + self.if_local()


@dataclass
class ProxierConfig:
    """What a kube-proxy process knows about its node and flags, for one IP family.

    Defaults are those of a real kube-proxy on a modern node (bit-14 mark printed as
    ``0x00004000``, ``--random-fully`` supported, nfacct counters available).  The
    upstream unit-test fake differs in a few places; see :meth:`upstream_test_fake`.
    """

    # ---- the node
    node_name: str = ""
    # Every address on the node's interfaces ("ip" or "ip/prefix"; ipvs leaves out
    # kube-ipvs0's): NodePort addresses are matched against these.
    node_ips: Sequence[str] = ()
    # The node's primary IP (LoadBalancerSourceRanges "allow from node" check, the
    # "primary" NodePort address); defaults to the first non-loopback node_ips entry of
    # the proxier's family (see primary_node_ip).
    node_ip: str | None = None
    ip_family: str = IPV4
    node_labels: Mapping[str, str] = field(default_factory=dict)
    # ---- KubeProxyConfiguration, every mode
    # --cluster-cidr (comma-separated per family allowed); None means no local-traffic
    # detector unless local_detector is given.
    cluster_cidr: str | None = None
    local_detector: LocalDetector | None = None
    masquerade_all: bool = False
    masquerade_bit: int = 14
    # A literal mark to write instead of "%#08x" % (1 << masquerade_bit): the upstream
    # unit tests' fake proxiers inject "0x4000".
    masquerade_mark_literal: str | None = None
    # --nodeport-addresses; None (or empty) means the mode's default: every address for
    # iptables and ipvs, "primary" (the node IP) for nftables.
    node_port_addresses: Sequence[str] | None = None
    random_fully: bool = True  # iptables supports --random-fully (any iptables >= 1.6.2)
    sync_period: float = 30.0
    full_sync_period: float = 3600.0  # proxyutil.FullSyncPeriod
    load_balancer_ip_mode: bool = True  # LoadBalancerIPMode feature gate (GA 1.32)
    prefer_same_traffic_distribution: bool = True  # node hints (1.33)
    # ---- iptables mode
    localhost_node_ports: bool = True
    nfacct_ct_state_invalid: bool = True
    nfacct_localhost_node_ports: bool = True
    conntrack_tcp_be_liberal: bool = False
    large_cluster_threshold: int = 1000
    # ---- ipvs mode
    scheduler: str = "rr"
    # ---- nftables mode: what OnServiceCIDRsChanged delivers
    service_cidrs: Sequence[str] = ()

    # ---- derived values
    @property
    def is_ipv6(self) -> bool:
        return self.ip_family == IPV6

    @property
    def masquerade_mark(self) -> str:
        """The masquerade mark as kube-proxy formats it (Go ``%#08x``: ``0x00004000``)."""
        if self.masquerade_mark_literal:
            return self.masquerade_mark_literal
        return "0x%08x" % (1 << self.masquerade_bit)

    def family_node_ips(self) -> list[str]:
        """Node addresses of this family, canonical, deduplicated, in configuration order."""
        out: list[str] = []
        for s in self.node_ips:
            ip = parse_ip_sloppy(s.split("/", 1)[0])
            if ip is not None and family_of(ip) == self.ip_family and ip_string(ip) not in out:
                out.append(ip_string(ip))
        return out

    def primary_node_ip(self) -> str | None:
        """``node_ip``, else the first non-loopback node address of this family."""
        if self.node_ip:
            return self.node_ip
        for a in self.family_node_ips():
            ip = parse_ip_sloppy(a)
            if ip is not None and not ip.is_loopback:
                return a
        return None

    def family_cluster_cidr(self) -> str | None:
        """The ``--cluster-cidr`` entry of this family, as written."""
        if not self.cluster_cidr:
            return None
        for c in str(self.cluster_cidr).split(","):
            c = c.strip()
            net = parse_cidr_sloppy(c)
            if net is not None and family_of(net) == self.ip_family:
                return c
        return None

    def local_cidr(self) -> IPNet | None:
        """The ``--cluster-cidr`` of this family (the LocalTrafficDetector by CIDR)."""
        return parse_cidr_sloppy(self.family_cluster_cidr())

    def detector(self) -> LocalDetector | None:
        """The local-traffic detector: ``local_detector``, else by ``--cluster-cidr``."""
        if self.local_detector is not None:
            return self.local_detector
        cidr = self.family_cluster_cidr()
        return LocalDetector("ClusterCIDR", cidr) if cidr is not None else None

    # ---- construction
    @classmethod
    def from_mapping(cls, cfg: "ProxierConfig | Mapping | None") -> "ProxierConfig":
        """Accept a ProxierConfig or a plain dict (snake_case or KubeProxyConfiguration
        camelCase keys; ``ipvs: {scheduler: ...}`` is understood too)."""
        if isinstance(cfg, ProxierConfig):
            return cfg
        raw = dict(cfg or {})
        if isinstance(raw.get("ipvs"), Mapping) and raw["ipvs"].get("scheduler"):
            raw.setdefault("scheduler", raw["ipvs"]["scheduler"])
        kw: dict = {}
        names = set(cls.__dataclass_fields__)
        for k, v in raw.items():
            k = CONFIGURATION_KEYS.get(k, k)
            if k in names:
                kw[k] = v
        for k in ("node_ips", "service_cidrs"):
            if isinstance(kw.get(k), str):
                kw[k] = tuple(s.strip() for s in kw[k].split(",") if s.strip())
            elif kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        npa = kw.get("node_port_addresses")
        if isinstance(npa, str):
            kw["node_port_addresses"] = tuple(s.strip() for s in npa.split(",") if s.strip())
        elif npa is not None:
            kw["node_port_addresses"] = tuple(npa) or None
        if not kw.get("scheduler"):
            kw.pop("scheduler", None)
        return cls(**kw)

    @classmethod
    def upstream_test_fake(cls, *, ipv6: bool = False, **overrides) -> "ProxierConfig":
        """The values ``NewFakeProxier`` in proxier_test.go uses (node test-node, mark
        0x4000, pod CIDR local detector, no --random-fully, the fake's interfaces)."""
        base = dict(
            node_name="test-node",
            node_ips=["127.0.0.1/8", "::1/128", "192.168.0.2/24", "192.168.1.2/24",
                      "192.168.99.11/24", "2001:db8::1/64", "2001:db8:1::2/64"],
            node_ip="192.168.0.2",
            ip_family=IPV6 if ipv6 else IPV4,
            cluster_cidr="fd00:10::/64" if ipv6 else "10.0.0.0/8",
            masquerade_mark_literal="0x4000",
            random_fully=False,
        )
        base.update(overrides)
        return cls(**base)


class KubeProxySettings(Protocol):
    """The cluster's KubeProxyConfiguration, as far as the rules depend on it (what the
    cluster's topology reads from a kind config or a KubeProxyConfiguration manifest)."""

    cluster_cidr: str
    masquerade_all: bool
    masquerade_bit: int
    localhost_node_ports: bool
    node_port_addresses: list[str]


def node_proxier_config(node_name: str, node: Mapping | None, settings: KubeProxySettings,
                        service_cidrs: Sequence[str] = ()) -> ProxierConfig:
    """The configuration of kube-proxy on ``node`` (its API object; None once deleted):
    the node's InternalIP/ExternalIP addresses (the first is its primary IP) and labels,
    the cluster's settings, and the Service CIDRs (``OnServiceCIDRsChanged``)."""
    ips = [a["address"] for a in ((node or {}).get("status") or {}).get("addresses") or []
           if a.get("type") in ("InternalIP", "ExternalIP")]
    return ProxierConfig(node_name=node_name, node_ips=ips, node_ip=ips[0] if ips else "",
                         cluster_cidr=settings.cluster_cidr, masquerade_all=settings.masquerade_all,
                         masquerade_bit=settings.masquerade_bit,
                         localhost_node_ports=settings.localhost_node_ports,
                         node_port_addresses=list(settings.node_port_addresses),
                         node_labels=dict(labels_of(node or {})), service_cidrs=tuple(service_cidrs))
