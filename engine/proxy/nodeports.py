"""``--nodeport-addresses`` handling (``proxyutil.NodePortAddresses``)."""
from __future__ import annotations

import ipaddress

from engine.proxy.ipnet import IPV4, IPNet, family_of, ip_string, parse_cidr_sloppy, parse_ip_sloppy

_IPV4_LOOPBACK_START = ipaddress.IPv4Address("127.0.0.0")


class NodePortAddresses:
    """Which node addresses accept NodePort traffic, for one IP family.

    CIDRs of the other family are ignored; if none remain the proxier matches every
    address (``0.0.0.0/0`` / ``::/0``), which is also what an explicit zero CIDR means.
    """

    def __init__(self, family: str, cidr_strings: list[str] | None, primary_ip: str | None = None):
        strings: list[str] = []
        for s in cidr_strings or []:
            if s == "primary":  # kube-proxy's shorthand for the node's primary IPs
                if primary_ip:
                    ip = parse_ip_sloppy(primary_ip)
                    if ip is not None:
                        strings.append(f"{ip}/{ip.max_prefixlen}")
                continue
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

    def node_ips(self, addresses: list[str]) -> list[str]:
        """``GetNodeIPs``: the node addresses inside the CIDRs, deduplicated.

        Go returns them in map order; they are sorted by their string here.
        """
        found: dict[str, None] = {}
        parsed = [parse_ip_sloppy(a) for a in addresses]
        for net in self.cidrs:
            for ip in parsed:
                if ip is not None and ip.version == net.version and ip in net:
                    found[ip_string(ip)] = None
        return sorted(found)
