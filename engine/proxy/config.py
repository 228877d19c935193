"""Configuration of one simulated kube-proxy (iptables mode, one IP family)."""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.proxy.ipnet import IPV4, IPV6, family_of, parse_cidr_sloppy, parse_ip_sloppy


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
    """What a kube-proxy process knows about its node and flags.

    Defaults are those of a real kube-proxy on a modern node (bit-14 mark printed as
    ``0x00004000``, ``--random-fully`` supported, nfacct counters available).  The
    upstream unit-test fake differs in a few places; see :meth:`upstream_test_fake`.
    """

    node_name: str = ""
    # Every address on the node's interfaces ("ip" or "ip/prefix"); NodePort addresses
    # are matched against these when --nodeport-addresses is set.
    node_ips: list[str] = field(default_factory=list)
    # The node's primary IP (LoadBalancerSourceRanges "allow from node" check); defaults
    # to the first non-loopback node_ips entry of the proxier's family.
    node_ip: str | None = None
    ip_family: str = IPV4
    # --cluster-cidr (comma-separated per family allowed); None means no local-traffic
    # detector unless local_detector is given.
    cluster_cidr: str | None = None
    local_detector: LocalDetector | None = None
    masquerade_all: bool = False
    masquerade_bit: int = 14
    # Literal mark to write instead of "%#08x" % (1 << masquerade_bit); the upstream test
    # fake injects "0x4000".
    masquerade_mark: str | None = None
    localhost_node_ports: bool = True
    node_port_addresses: list[str] | None = None
    random_fully: bool = True
    nfacct_ct_state_invalid: bool = True
    nfacct_localhost_node_ports: bool = True
    conntrack_tcp_be_liberal: bool = False
    large_cluster_threshold: int = 1000
    sync_period: float = 30.0
    full_sync_period: float = 3600.0  # proxyutil.FullSyncPeriod
    node_labels: dict[str, str] = field(default_factory=dict)
    load_balancer_ip_mode: bool = True  # LoadBalancerIPMode feature gate (GA 1.32)
    prefer_same_traffic_distribution: bool = True  # node hints (1.33)

    # ---- derived values
    @property
    def is_ipv6(self) -> bool:
        return self.ip_family == IPV6

    @property
    def mark(self) -> str:
        """The masquerade mark as kube-proxy formats it (Go ``%#08x``)."""
        if self.masquerade_mark:
            return self.masquerade_mark
        return "0x%08x" % (1 << self.masquerade_bit)

    def detector(self) -> LocalDetector | None:
        if self.local_detector is not None:
            return self.local_detector
        if not self.cluster_cidr:
            return None
        for c in self.cluster_cidr.split(","):
            c = c.strip()
            net = parse_cidr_sloppy(c)
            if net is not None and family_of(net) == self.ip_family:
                return LocalDetector("ClusterCIDR", c)
        return None

    def local_addresses(self) -> list[str]:
        """node_ips without prefix lengths."""
        return [a.split("/", 1)[0] for a in self.node_ips]

    def primary_node_ip(self) -> str | None:
        if self.node_ip:
            return self.node_ip
        for a in self.local_addresses():
            ip = parse_ip_sloppy(a)
            if ip is not None and family_of(ip) == self.ip_family and not ip.is_loopback:
                return a
        return None

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
            masquerade_mark="0x4000",
            random_fully=False,
        )
        base.update(overrides)
        return cls(**base)
