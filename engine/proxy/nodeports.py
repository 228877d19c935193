"""``--nodeport-addresses`` handling (``proxyutil.NodePortAddresses``), for every mode."""
from __future__ import annotations

import ipaddress
from typing import Iterable

from engine.proxy.config import ProxierConfig
from engine.proxy.ipnet import IPV4, IPNet, family_of, ip_string, parse_cidr_sloppy, parse_ip_sloppy

NODE_PORT_ADDRESSES_PRIMARY = "primary"  # kubeproxyconfig.NodePortAddressesPrimary
_IPV4_LOOPBACK_START = ipaddress.IPv4Address("127.0.0.0")


class NodePortAddresses:
    """Which node addresses accept NodePort traffic, for one IP family.

    ``"primary"`` stands for the node's primary IP (kube-proxy's server.go turns it into
    that IP's single-host CIDR). CIDRs of the other family are ignored; if none remain
    the proxier matches every address (``0.0.0.0/0`` / ``::/0``), which is also what an
    explicit zero CIDR means (``match_all``).
    """

    def __init__(self, family: str, cidr_strings: Iterable[str] | None, primary_ip: str | None = None):
        strings: list[str] = []
        for s in cidr_strings or ():
            if s == NODE_PORT_ADDRESSES_PRIMARY:
                ip = parse_ip_sloppy(primary_ip)
                if ip is not None:
                    s = f"{ip}/{ip.max_prefixlen}"
            net = parse_cidr_sloppy(s)
            if net is not None and family_of(net) == family:
                strings.append(s)
        if not strings:
            strings = ["0.0.0.0/0"] if family == IPV4 else ["::/0"]
        self.cidr_strings = strings
        self.cidrs: list[IPNet] = []
        self.match_all = False
        self.contains_ipv4_loopback = False
        for s in strings:
            net = parse_cidr_sloppy(s)
            if net is None:
                continue
            if net.version == 4 and (net.network_address.is_loopback or _IPV4_LOOPBACK_START in net):
                self.contains_ipv4_loopback = True
            if net.prefixlen == 0:
                self.cidrs = [net]
                self.match_all = True
                break
            self.cidrs.append(net)

    @classmethod
    def of_config(cls, cfg: ProxierConfig, *, default_primary: bool = False) -> "NodePortAddresses":
        """The node's ``--nodeport-addresses``; when unset, ``"primary"`` if the mode
        defaults to it (nftables) and every address otherwise."""
        strings = list(cfg.node_port_addresses or ())
        if not strings and default_primary:
            strings = [NODE_PORT_ADDRESSES_PRIMARY]
        return cls(cfg.ip_family, strings, cfg.primary_node_ip())

    def node_ips(self, addresses: Iterable[str]) -> list[str]:
        """``GetNodeIPs``: the addresses inside the CIDRs (loopback included, as upstream),
        canonical and deduplicated, in the order given (Go returns them in map order)."""
        found: dict[str, None] = {}
        for a in addresses:
            ip = parse_ip_sloppy(a)
            if ip is not None and any(ip.version == net.version and ip in net for net in self.cidrs):
                found[ip_string(ip)] = None
        return list(found)
