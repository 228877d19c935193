"""Tests for the IPVS and nftables kube-proxy renderers (engine.proxy.ipvs / .nftables).

Three kinds of evidence are used:

* upstream unit tests, restated: ``pkg/proxy/nftables/proxier_test.go``
  (TestOverallNFTablesRules, TestNoEndpointsReject, TestClusterIPGeneral, TestLoadBalancer,
  TestNodePorts, TestExternalTrafficPolicyLocal/Cluster) and ``pkg/proxy/ipvs/proxier_test.go``
  (TestNodePortIPv4, TestLoadBalancerSourceRanges, TestAcceptIPVSTraffic,
  TestOnlyLocalLoadBalancing, TestHealthCheckNodePort, TestExternalIPs, ...).  Upstream's
  nftables tests compare ``knftables.Fake.Dump()`` after ``sortNFTablesTransaction``; that
  sort is ported below.  The overall-rules fixture is stated in its v1.33 form: the base
  chains and jump rules as in v1.33's ``setupNFTables`` (and knftables' own ParseDump
  fixture of that layout), and ``tcp dport N`` in service-chain masquerade rules, which
  kubernetes#131492 removed in v1.34's copy of the test;
* real node output found in public material (``nft list table ip kube-proxy`` on a
  v1.32-era cluster, ``ipvsadm -Ln`` on a kube-proxy node), restated as fragments;
* the running example (kubernetes, kube-dns, redis, web NodePort) for structure, names,
  endpoints and no-endpoint handling.
"""
from __future__ import annotations

import random
import textwrap

import pytest

from engine.proxy import ipvs as ipvsmod
from engine.proxy.config import ProxierConfig
from engine.proxy.iptables.netfilter import Netfilter
from engine.proxy.ipvs import IPVSProxier, glibc_msort, ipset_name, ipvs_cmp_services
from engine.proxy.nftables import (
    NFTablesProxier,
    hash_and_truncate,
    prio2str,
    service_port_chain_base,
    service_port_endpoint_chain_base,
)

# ----------------------------------------------------------------------- builders

def svc(ns: str, name: str, **spec) -> dict:
    status = spec.pop("status", None)
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": ns, "name": name}, "spec": spec}
    if status:
        obj["status"] = status
    return obj


def lb_status(*ips: str) -> dict:
    return {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}


def eps(ns: str, name: str, n, endpoints: list, ports: list, address_type: str = "IPv4") -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"namespace": ns, "name": f"{name}-{n}",
                         "labels": {"kubernetes.io/service-name": name}},
            "addressType": address_type, "endpoints": endpoints, "ports": ports}


def ep(ip: str, node: str | None = None, **cond) -> dict:
    e: dict = {"addresses": [ip]}
    if node:
        e["nodeName"] = node
    if cond:
        e["conditions"] = cond
    return e


def port(name: str, p: int, proto: str = "TCP", **kw) -> dict:
    return {"name": name, "port": p, "protocol": proto, **kw}


def sort_nft_transaction(tx: str) -> str:
    """Port of upstream helpers_test.go ``sortNFTablesTransaction``: drop blank and
    ``#`` lines, sort by object type (table, chain, rule, set, map, element), then by
    object name; rules keep their relative order, other lines sort by full text."""
    order = {"table": 10, "chain": 9, "rule": 8, "set": 7, "map": 6, "element": 5}
    lines = [ln for ln in tx.split("\n") if ln and not ln.startswith("#")]
    keyed = []
    for i, ln in enumerate(lines):
        w = ln.split(" ")
        kind_rank = -order.get(w[1], 0) if len(w) >= 5 else 0
        name = w[4] if len(w) >= 5 else ""
        tie = (i, "") if len(w) >= 5 and w[1] == "rule" else (0, ln)
        keyed.append(((kind_rank, name, tie), ln))
    keyed.sort(key=lambda t: t[0])
    return "\n".join(ln for _, ln in keyed)


# ------------------------------------------------------- upstream nftables fixture

# NewFakeProxier(v1.IPv4Protocol) in pkg/proxy/nftables/proxier_test.go
UPSTREAM_NFT_CONFIG = dict(
    node_name="test-node",
    node_ips=["192.168.0.2", "192.168.1.2", "192.168.99.11", "2001:db8::1", "2001:db8:1::2"],
    cluster_cidr="10.0.0.0/8",
    node_port_addresses=["192.168.0.2/32", "2001:db8::1/128"],
    service_cidrs=["172.30.0.0/16"],
)
TEST_EXTERNAL_CLIENT = "203.0.113.2"
TEST_EXTERNAL_CLIENT_BLOCKED = "203.0.113.130"
P80 = [port("p80", 80)]


def upstream_nft(services, slices, **cfg) -> NFTablesProxier:
    conf = {**UPSTREAM_NFT_CONFIG, "masquerade_mark_literal": "0x4000", **cfg}  # the fake hard-codes 0x4000
    p = NFTablesProxier(conf)
    p.sync(services, slices)
    return p


OVERALL_SERVICES = [
    svc("ns1", "svc1", clusterIP="172.30.0.41", ports=[port("p80", 80)]),
    svc("ns2", "svc2", type="LoadBalancer", externalTrafficPolicy="Local", clusterIP="172.30.0.42",
        ports=[port("p80", 80, nodePort=3001)], externalIPs=["192.168.99.22"], healthCheckNodePort=30000,
        status=lb_status("1.2.3.4")),
    svc("ns3", "svc3", type="NodePort", clusterIP="172.30.0.43", ports=[port("p80", 80, nodePort=3003)]),
    svc("ns4", "svc4", type="NodePort", clusterIP="172.30.0.44", externalIPs=["192.168.99.33"],
        ports=[port("p80", 80, targetPort=80)]),
    svc("ns5", "svc5", type="LoadBalancer", externalTrafficPolicy="Cluster", clusterIP="172.30.0.45",
        ports=[port("p80", 80, nodePort=3002)], healthCheckNodePort=30000,
        loadBalancerSourceRanges=[" 203.0.113.0/25"], sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}}, status=lb_status("5.6.7.8")),
    svc("ns6", "svc6", type="ClusterIP", clusterIP="172.30.0.46", ports=[port("p80", 80, targetPort=80)]),
]
OVERALL_SLICES = [
    eps("ns1", "svc1", 1, [ep("10.180.0.1")], P80),
    eps("ns2", "svc2", 1, [ep("10.180.0.2")], P80),
    eps("ns3", "svc3", 1, [ep("10.180.0.3")], P80),
    eps("ns4", "svc4", 1, [ep("10.180.0.4"), ep("10.180.0.5", "test-node")], P80),
    eps("ns5", "svc5", 1, [ep("10.180.0.3")], P80),
]

# TestOverallNFTablesRules' expected dump, v1.33 form (see module docstring).
EXPECTED_OVERALL_V133 = textwrap.dedent("""\
    add table ip kube-proxy { comment "rules for kube-proxy" ; }

    add chain ip kube-proxy cluster-ips-check
    add chain ip kube-proxy filter-prerouting { type filter hook prerouting priority -110 ; }
    add chain ip kube-proxy filter-input { type filter hook input priority -110 ; }
    add chain ip kube-proxy filter-forward { type filter hook forward priority -110 ; }
    add chain ip kube-proxy filter-output { type filter hook output priority -110 ; }
    add chain ip kube-proxy filter-output-post-dnat { type filter hook output priority -90 ; }
    add chain ip kube-proxy firewall-check
    add chain ip kube-proxy mark-for-masquerade
    add chain ip kube-proxy masquerading
    add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
    add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
    add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
    add chain ip kube-proxy nodeport-endpoints-check
    add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
    add chain ip kube-proxy services
    add chain ip kube-proxy service-endpoints-check

    add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
    add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
    add rule ip kube-proxy filter-prerouting ct state new jump firewall-check
    add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
    add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
    add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
    add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
    add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
    add rule ip kube-proxy filter-output ct state new jump firewall-check
    add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check
    add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
    add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
    add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
    add rule ip kube-proxy masquerading mark set mark xor 0x4000
    add rule ip kube-proxy masquerading masquerade fully-random
    add rule ip kube-proxy nat-output jump services
    add rule ip kube-proxy nat-postrouting jump masquerading
    add rule ip kube-proxy nat-prerouting jump services
    add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
    add rule ip kube-proxy reject-chain reject
    add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
    add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
    add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services

    add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
    add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
    add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
    add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
    add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
    add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
    add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
    add element ip kube-proxy nodeport-ips { 192.168.0.2 }

    # svc1
    add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
    add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }
    add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
    add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
    add element ip kube-proxy cluster-ips { 172.30.0.41 }
    add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }

    # svc2
    add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
    add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
    add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
    add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
    add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
    add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
    add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
    add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
    add element ip kube-proxy cluster-ips { 172.30.0.42 }
    add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
    add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
    add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
    add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }

    # svc3
    add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
    add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
    add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
    add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
    add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
    add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
    add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
    add element ip kube-proxy cluster-ips { 172.30.0.43 }
    add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
    add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }

    # svc4
    add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
    add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
    add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
    add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
    add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
    add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
    add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
    add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
    add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
    add element ip kube-proxy cluster-ips { 172.30.0.44 }
    add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
    add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }

    # svc5
    add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
    add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
    add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
    add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
    add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
    add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
    add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
    add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80

    add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
    add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
    add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
    add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

    add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
    add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop

    add element ip kube-proxy cluster-ips { 172.30.0.45 }
    add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
    add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
    add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
    add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }

    # svc6
    add element ip kube-proxy cluster-ips { 172.30.0.46 }
    add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
    """)


def test_sort_helper_matches_upstream_semantics():
    # rules keep their order within a chain; other objects sort; comments/blank lines vanish
    tx = "# c\nadd rule ip t b 2\n\nadd chain ip t b\nadd rule ip t a 1\nadd rule ip t b 1\nadd element ip t s { 2 }\nadd element ip t s { 1 }\n"
    assert sort_nft_transaction(tx).split("\n") == [
        "add chain ip t b", "add rule ip t a 1", "add rule ip t b 2", "add rule ip t b 1",
        "add element ip t s { 1 }", "add element ip t s { 2 }"]


def test_overall_nftables_rules_match_upstream():
    """TestOverallNFTablesRules: the whole table, compared the way upstream does."""
    p = upstream_nft(OVERALL_SERVICES, OVERALL_SLICES)
    assert sort_nft_transaction(p.dump()) == sort_nft_transaction(EXPECTED_OVERALL_V133)


def test_nftables_chain_names_are_upstream_hashes():
    # proxier_test.go vectors
    assert service_port_chain_base("ns1", "svc1", "tcp", "p80") == "ULMVA6XW-ns1/svc1/tcp/p80"
    assert service_port_endpoint_chain_base("ns1", "svc1", "tcp", "p80", "10.180.0.1", 80) == \
        "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"
    # knftables' ParseDump fixture: IPv6 endpoints have their colons turned into dots
    assert service_port_endpoint_chain_base("ns1", "svc1", "tcp", "p80", "fd00:10:180::1", 80) == \
        "ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80"
    assert service_port_endpoint_chain_base("ns1", "svc1", "tcp", "p80", "fd00:10:180::2:1", 80) == \
        "2CRNCTTE-ns1/svc1/tcp/p80__fd00.10.180..2.1/80"
    # names seen on real nodes (k3s / kubeadm listings)
    assert service_port_chain_base("default", "kubernetes", "tcp", "https") == "2QRHZV4L-default/kubernetes/tcp/https"
    assert service_port_chain_base("kube-system", "kube-dns", "udp", "dns") == "FY5PMXPG-kube-system/kube-dns/udp/dns"
    assert service_port_chain_base("kube-system", "kube-dns", "tcp", "dns-tcp") == "NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp"
    assert service_port_chain_base("kube-system", "kube-dns", "tcp", "metrics") == "AS2KJYAD-kube-system/kube-dns/tcp/metrics"
    assert service_port_chain_base("riset", "hellopod-np-svc", "tcp", "") == "P6J77WGM-riset/hellopod-np-svc/tcp/"
    assert service_port_endpoint_chain_base("default", "kubernetes", "tcp", "https", "10.128.0.16", 6443) == \
        "573J25N3-default/kubernetes/tcp/https__10.128.0.16/6443"
    assert service_port_endpoint_chain_base("kube-system", "kube-dns", "tcp", "dns-tcp", "10.42.0.171", 53) == \
        "T5HMVMWK-kube-system/kube-dns/tcp/dns-tcp__10.42.0.171/53"
    long = "x" * 300
    assert len(hash_and_truncate(long)) == 240 and hash_and_truncate(long).endswith("...")


def test_nft_priorities_print_like_nft():
    assert prio2str(-110, "prerouting") == "dstnat - 10"
    assert prio2str(-110, "input") == "-110"
    assert prio2str(-90, "output") == "-90"
    assert prio2str(-100, "prerouting") == "dstnat"
    assert prio2str(-100, "output") == "-100"
    assert prio2str(100, "postrouting") == "srcnat"
    assert prio2str(0, "forward") == "filter"


# ---------------------------------------------------------- upstream packet flows

def flows(p: NFTablesProxier, cases, seeds=range(12)):
    """Run each (src, dst, port, expected, masq) like upstream runPacketFlowTests:
    ``expected`` is the comma-joined set of endpoints numgen can pick, or a verdict."""
    for src, dst, dport, expected, masq, *rest in cases:
        proto = rest[0] if rest else "tcp"
        dests, verdicts, masqs = set(), set(), set()
        for s in seeds:
            r = p.lookup(proto, dst, dport, random.Random(s), src_ip=src)
            verdicts.add(r.verdict)
            masqs.add(r.masquerade)
            if r.destination:
                dests.add(r.destination)
        if expected in ("REJECT", "DROP"):
            assert verdicts == {expected}, (src, dst, dport, verdicts)
        elif expected == "":
            assert verdicts == {"ACCEPT"} and not dests, (src, dst, dport, verdicts)
        else:
            assert dests == set(expected.split(", ")), (src, dst, dport, dests)
            assert masqs == {masq}, (src, dst, dport, masqs)


def test_packet_flows_no_endpoints_reject():
    """TestNoEndpointsReject."""
    p = upstream_nft([svc("ns1", "svc1", type="LoadBalancer", clusterIP="172.30.0.41",
                          externalIPs=["192.168.99.11"], ports=[port("p80", 80, nodePort=3001)],
                          status=lb_status("1.2.3.4"))], [])
    flows(p, [
        ("10.0.0.2", "172.30.0.41", 80, "REJECT", False),
        (TEST_EXTERNAL_CLIENT, "192.168.99.11", 80, "REJECT", False),
        ("10.0.0.2", "192.168.0.2", 3001, "REJECT", False),
        (TEST_EXTERNAL_CLIENT, "192.168.0.2", 3001, "REJECT", False),
        ("10.0.0.2", "1.2.3.4", 80, "REJECT", False),
        (TEST_EXTERNAL_CLIENT, "1.2.3.4", 80, "REJECT", False),
    ])


def test_packet_flows_cluster_ip_general():
    """TestClusterIPGeneral."""
    p = upstream_nft(
        [svc("ns1", "svc1", clusterIP="172.30.0.41", ports=[port("http", 80)]),
         svc("ns2", "svc2", clusterIP="172.30.0.42", ports=[
             port("http", 80), port("https", 443, targetPort=8443), port("dns-udp", 53, "UDP"),
             port("dns-tcp", 53, "TCP", targetPort=5353), port("dns-sctp", 53, "SCTP")])],
        [eps("ns1", "svc1", 1, [ep("10.180.0.1", "test-node")], [port("http", 80)]),
         eps("ns2", "svc2", 1, [ep("10.180.0.1", "test-node"), ep("10.180.2.1", "node2")],
             [port("http", 80), port("https", 8443), port("dns-udp", 53, "UDP"), port("dns-tcp", 5353),
              port("dns-sctp", 53, "SCTP")])])
    flows(p, [
        ("10.180.0.2", "172.30.0.41", 80, "10.180.0.1:80", False),
        ("10.180.0.1", "172.30.0.41", 80, "10.180.0.1:80", True),  # hairpin
        ("10.180.0.2", "172.30.0.42", 80, "10.180.0.1:80, 10.180.2.1:80", False),
        ("10.180.0.2", "172.30.0.42", 443, "10.180.0.1:8443, 10.180.2.1:8443", False),
        ("10.180.0.2", "172.30.0.42", 53, "10.180.0.1:5353, 10.180.2.1:5353", False, "tcp"),
        ("10.180.0.2", "172.30.0.42", 53, "10.180.0.1:53, 10.180.2.1:53", False, "udp"),
        ("10.180.0.2", "172.30.0.42", 53, "10.180.0.1:53, 10.180.2.1:53", False, "sctp"),
        ("10.180.0.2", "172.30.0.42", 80, "REJECT", False, "udp"),
        ("10.180.0.2", "172.30.0.41", 443, "REJECT", False),
        ("10.180.0.2", "172.30.0.50", 80, "DROP", False),
    ])


def test_packet_flows_load_balancer_source_ranges():
    """TestLoadBalancer."""
    p = upstream_nft(
        [svc("ns1", "svc1", type="LoadBalancer", clusterIP="172.30.0.41", ports=[port("p80", 80, nodePort=3001)],
             loadBalancerSourceRanges=["192.168.0.0/24", " 203.0.113.0/25"], status=lb_status("1.2.3.4", "5.6.7.8"))],
        [eps("ns1", "svc1", 1, [ep("10.180.0.1")], P80)])
    e = "10.180.0.1:80"
    flows(p, [
        ("10.0.0.2", "172.30.0.41", 80, e, False),
        (TEST_EXTERNAL_CLIENT, "192.168.0.2", 3001, e, True),
        (TEST_EXTERNAL_CLIENT_BLOCKED, "192.168.0.2", 3001, e, True),  # NodePort bypasses source ranges
        (TEST_EXTERNAL_CLIENT, "1.2.3.4", 80, e, True),
        (TEST_EXTERNAL_CLIENT, "5.6.7.8", 80, e, True),
        (TEST_EXTERNAL_CLIENT_BLOCKED, "1.2.3.4", 80, "DROP", False),
        (TEST_EXTERNAL_CLIENT_BLOCKED, "5.6.7.8", 80, "DROP", False),
        ("10.0.0.2", "1.2.3.4", 80, "DROP", False),
        ("10.0.0.2", "5.6.7.8", 80, "DROP", False),
        ("192.168.0.2", "1.2.3.4", 80, e, True),
        ("192.168.0.2", "5.6.7.8", 80, e, True),
        ("1.2.3.4", "1.2.3.4", 80, e, True),  # SNATted to the LB IP: implicitly allowed
        ("5.6.7.8", "5.6.7.8", 80, e, True),
    ])
    # the firewall chain lists the node-allowed LB IPs, sorted as nft prints anonymous sets
    assert "\t\tip saddr != { 1.2.3.4, 5.6.7.8, 192.168.0.0/24, 203.0.113.0/25 } drop\n" in p.list_table()


@pytest.mark.parametrize("family,npa,alt_allowed", [
    ("IPv4", None, False),
    ("IPv4", ["192.168.0.0/24", "192.168.1.0/24", "2001:db8::/64"], True),
    ("IPv6", None, False),
    ("IPv6", ["192.168.0.0/24", "192.168.1.0/24", "2001:db8::/64", "2001:db8:1::2/128"], True),
])
def test_packet_flows_node_ports(family, npa, alt_allowed):
    """TestNodePorts."""
    v4 = family == "IPv4"
    svc_ip, ep1, ep2 = ("172.30.0.41", "10.180.0.1", "10.180.2.1") if v4 else \
        ("fd00:172:30::41", "fd00:10:180::1", "fd00:10:180::2:1")
    node_ip, alt_ip = ("192.168.0.2", "192.168.1.2") if v4 else ("2001:db8::1", "2001:db8:1::2")
    pod, ext = ("10.0.0.2", TEST_EXTERNAL_CLIENT) if v4 else ("fd00:10::2", "2600:5200::1")
    cfg = dict(ip_family=family, cluster_cidr="10.0.0.0/8" if v4 else "fd00:10::/64",
               service_cidrs=["172.30.0.0/16"] if v4 else ["fd00:10:96::/112"])
    if npa is not None:
        cfg["node_port_addresses"] = npa
    p = upstream_nft([svc("ns1", "svc1", type="NodePort", clusterIP=svc_ip, clusterIPs=[svc_ip],
                          ipFamilies=[family], ports=[port("p80", 80, nodePort=3001)])],
                     [eps("ns1", "svc1", 1, [ep(ep1), ep(ep2, "test-node")], P80, family)], **cfg)
    fmt = (lambda ip: f"{ip}:80") if v4 else (lambda ip: f"[{ip}]:80")
    both = f"{fmt(ep1)}, {fmt(ep2)}"
    flows(p, [(pod, svc_ip, 80, both, False), (ext, node_ip, 3001, both, True), (node_ip, node_ip, 3001, both, True)])
    flows(p, [(ext, alt_ip, 3001, both if alt_allowed else "", True)])


def test_packet_flows_external_traffic_policy():
    """TestExternalTrafficPolicyLocal / TestExternalTrafficPolicyCluster."""
    def make(policy):
        return upstream_nft(
            [svc("ns1", "svc1", type="LoadBalancer", externalTrafficPolicy=policy, clusterIP="172.30.0.41",
                 externalIPs=["192.168.99.11"], ports=[port("p80", 80, nodePort=3001, targetPort=80)],
                 healthCheckNodePort=30000, status=lb_status("1.2.3.4"))],
            [eps("ns1", "svc1", 1, [ep("10.180.0.1"), ep("10.180.2.1", "test-node")], P80)])
    both, local = "10.180.0.1:80, 10.180.2.1:80", "10.180.2.1:80"
    flows(make("Local"), [
        ("10.0.0.2", "172.30.0.41", 80, both, False),
        ("10.0.0.2", "192.168.99.11", 80, both, False),
        (TEST_EXTERNAL_CLIENT, "192.168.99.11", 80, local, False),
        ("10.0.0.2", "1.2.3.4", 80, both, False),
        (TEST_EXTERNAL_CLIENT, "1.2.3.4", 80, local, False),
        ("10.0.0.2", "192.168.0.2", 3001, both, False),
        (TEST_EXTERNAL_CLIENT, "192.168.0.2", 3001, local, False),
    ])
    flows(make("Cluster"), [
        ("10.0.0.2", "172.30.0.41", 80, both, False),
        ("10.0.0.2", "192.168.99.11", 80, both, True),
        (TEST_EXTERNAL_CLIENT, "192.168.99.11", 80, both, True),
        ("10.0.0.2", "1.2.3.4", 80, both, True),
        (TEST_EXTERNAL_CLIENT, "1.2.3.4", 80, both, True),
        ("10.0.0.2", "192.168.0.2", 3001, both, True),
        (TEST_EXTERNAL_CLIENT, "192.168.0.2", 3001, both, True),
    ])


def test_nft_lookup_counts_rules_and_map_lookups():
    p = upstream_nft(OVERALL_SERVICES, OVERALL_SLICES)
    r = p.lookup("tcp", "172.30.0.41", 80, random.Random(0), src_ip="10.0.0.2")
    assert r and r.destination == "10.180.0.1:80" and r.verdict == "DNAT"
    # filter-prerouting(1) firewall-check(1) nat-prerouting(1) services vmap(1)
    # service chain(2) endpoint chain(2) filter-forward(2)+checks(1+2) postrouting(1)+masq(1)
    assert r.evaluations == 15
    assert r.trace[3] == "services: ip daddr . meta l4proto . th dport vmap @service-ips"
    miss = p.lookup("tcp", "192.0.2.9", 80, random.Random(0), src_ip="10.0.0.2")
    assert not miss and miss.verdict == "ACCEPT"


def test_nft_session_affinity_sticks():
    p = upstream_nft([svc("ns1", "svc1", clusterIP="172.30.0.41", ports=[port("p80", 80)],
                          sessionAffinity="ClientIP")],
                     [eps("ns1", "svc1", 1, [ep(f"10.180.0.{i}") for i in range(1, 6)], P80)])
    rng = random.Random(7)
    first = p.lookup("tcp", "172.30.0.41", 80, rng, src_ip="10.0.0.9").destination
    assert {p.lookup("tcp", "172.30.0.41", 80, rng, src_ip="10.0.0.9").destination for _ in range(10)} == {first}
    listing = p.list_table()
    assert "\t\tflags dynamic,timeout\n\t\ttimeout 3h\n" in listing


# ------------------------------------------------ nft list: real-node listing check

def test_nft_list_matches_real_node_listing():
    """Rebuild the services behind a real ``nft -a list table kube-proxy`` (v1.32-era
    kubeadm cluster, handles removed) and compare sets, maps and chains verbatim:
    element order (nft sorts concatenations in host byte order), wrapping, chain names
    and rules."""
    services = [
        svc("default", "kubernetes", clusterIP="10.255.0.1", ports=[port("https", 443, targetPort=6443)]),
        svc("kube-system", "kube-dns", clusterIP="10.255.0.10",
            ports=[port("dns", 53, "UDP"), port("dns-tcp", 53), port("metrics", 9153)]),
        svc("home", "http-server", clusterIP="10.255.36.158", ports=[port("mainhttp", 8000)]),
        svc("home", "http-server-external-ip", clusterIP="10.255.8.50", externalIPs=["10.128.0.25"],
            ports=[port("mainhttp", 80)]),
        svc("ingress-nginx", "ingress-nginx-controller", clusterIP="10.255.10.67", externalIPs=["10.128.0.16"],
            ports=[port("http", 80), port("https", 443)]),
        svc("ingress-nginx", "ingress-nginx-controller-admission", clusterIP="10.255.233.197",
            ports=[port("https-webhook", 443)]),
    ]
    slices = [
        eps("default", "kubernetes", 0, [ep("10.128.0.16")], [port("https", 6443)]),
        eps("kube-system", "kube-dns", 0, [ep("10.244.0.2")],
            [port("dns", 53, "UDP"), port("dns-tcp", 53), port("metrics", 9153)]),
        eps("home", "http-server", 0, [ep("10.244.1.71"), ep("10.244.1.72"), ep("10.244.1.73"), ep("10.244.1.76")],
            [port("mainhttp", 8000)]),
        eps("home", "http-server-external-ip", 0, [ep("10.244.1.71")], [port("mainhttp", 8000)]),
        eps("ingress-nginx", "ingress-nginx-controller", 0, [ep("10.244.1.9")], [port("http", 80), port("https", 443)]),
        eps("ingress-nginx", "ingress-nginx-controller-admission", 0, [ep("10.244.1.9")], [port("https-webhook", 8443)]),
    ]
    p = NFTablesProxier(dict(node_name="worker-1", node_ips=["10.128.0.25"], cluster_cidr="10.244.0.0/16"))
    p.sync(services, slices)
    listing = p.list_table()
    expected_head = textwrap.dedent("""\
        table ip kube-proxy {
        \tcomment "rules for kube-proxy"
        \tset cluster-ips {
        \t\ttype ipv4_addr
        \t\tcomment "Active ClusterIPs"
        \t\telements = { 10.255.0.1, 10.255.0.10,
        \t\t\t     10.255.8.50, 10.255.10.67,
        \t\t\t     10.255.36.158, 10.255.233.197 }
        \t}

        \tset nodeport-ips {
        \t\ttype ipv4_addr
        \t\tcomment "IPs that accept NodePort traffic"
        \t\telements = { 10.128.0.25 }
        \t}

        \tmap no-endpoint-services {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\tcomment "vmap to drop or reject packets to services with no endpoints"
        \t}

        \tmap no-endpoint-nodeports {
        \t\ttype inet_proto . inet_service : verdict
        \t\tcomment "vmap to drop or reject packets to service nodeports with no endpoints"
        \t}

        \tmap firewall-ips {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\tcomment "destinations that are subject to LoadBalancerSourceRanges"
        \t}

        \tmap service-ips {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
        \t\telements = { 10.255.0.10 . tcp . 53 : goto service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp,
        \t\t\t     10.255.0.10 . udp . 53 : goto service-FY5PMXPG-kube-system/kube-dns/udp/dns,
        \t\t\t     10.255.36.158 . tcp . 8000 : goto service-MJTK4JPM-home/http-server/tcp/mainhttp,
        \t\t\t     10.128.0.16 . tcp . 80 : goto external-TAO5FKKM-ingress-nginx/ingress-nginx-controller/tcp/http,
        \t\t\t     10.128.0.25 . tcp . 80 : goto external-VQPS6G77-home/http-server-external-ip/tcp/mainhttp,
        \t\t\t     10.255.8.50 . tcp . 80 : goto service-VQPS6G77-home/http-server-external-ip/tcp/mainhttp,
        \t\t\t     10.255.10.67 . tcp . 80 : goto service-TAO5FKKM-ingress-nginx/ingress-nginx-controller/tcp/http,
        \t\t\t     10.255.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https,
        \t\t\t     10.128.0.16 . tcp . 443 : goto external-FRX3YWVZ-ingress-nginx/ingress-nginx-controller/tcp/https,
        \t\t\t     10.255.10.67 . tcp . 443 : goto service-FRX3YWVZ-ingress-nginx/ingress-nginx-controller/tcp/https,
        \t\t\t     10.255.233.197 . tcp . 443 : goto service-GZRGW4S7-ingress-nginx/ingress-nginx-controller-admission/tcp/https-webhook,
        \t\t\t     10.255.0.10 . tcp . 9153 : goto service-AS2KJYAD-kube-system/kube-dns/tcp/metrics }
        \t}

        \tmap service-nodeports {
        \t\ttype inet_proto . inet_service : verdict
        \t\tcomment "NodePort traffic"
        \t}
        """)
    assert listing.startswith(expected_head)
    for block in (
        "\tchain endpoint-573J25N3-default/kubernetes/tcp/https__10.128.0.16/6443 {\n"
        "\t\tip saddr 10.128.0.16 jump mark-for-masquerade\n"
        "\t\tmeta l4proto tcp dnat to 10.128.0.16:6443\n\t}\n",
        "\tchain service-2QRHZV4L-default/kubernetes/tcp/https {\n"
        "\t\tip daddr 10.255.0.1 tcp dport 443 ip saddr != 10.244.0.0/16 jump mark-for-masquerade\n"
        "\t\tnumgen random mod 1 vmap { 0 : goto endpoint-573J25N3-default/kubernetes/tcp/https__10.128.0.16/6443 }\n\t}\n",
        "\tchain service-MJTK4JPM-home/http-server/tcp/mainhttp {\n"
        "\t\tip daddr 10.255.36.158 tcp dport 8000 ip saddr != 10.244.0.0/16 jump mark-for-masquerade\n"
        "\t\tnumgen random mod 4 vmap { 0 : goto endpoint-ZRZOUO6E-home/http-server/tcp/mainhttp__10.244.1.71/8000, "
        "1 : goto endpoint-6JPGGG4H-home/http-server/tcp/mainhttp__10.244.1.72/8000, "
        "2 : goto endpoint-HH426HHC-home/http-server/tcp/mainhttp__10.244.1.73/8000, "
        "3 : goto endpoint-I3S2YGGE-home/http-server/tcp/mainhttp__10.244.1.76/8000 }\n\t}\n",
    ):
        assert block in listing


# ------------------------------------------------------------- running example

def running_example():
    """kubernetes + kube-dns + redis (ClusterIP) + web (NodePort, 2 endpoints)."""
    ready = dict(ready=True, serving=True, terminating=False)
    services = [
        svc("default", "kubernetes", clusterIP="10.96.0.1", ports=[port("https", 443, targetPort=6443)]),
        svc("kube-system", "kube-dns", clusterIP="10.96.0.10",
            ports=[port("dns", 53, "UDP"), port("dns-tcp", 53), port("metrics", 9153)]),
        svc("default", "redis", clusterIP="10.96.140.27", ports=[port("", 6379)]),
        svc("default", "web", type="NodePort", clusterIP="10.104.22.9",
            ports=[port("", 3000, targetPort=8080, nodePort=31000)]),
    ]
    slices = [
        eps("default", "kubernetes", 0, [ep("172.18.0.2", **ready)], [port("https", 6443)]),
        eps("kube-system", "kube-dns", "xk2lm",
            [ep("10.244.0.2", "kind-control-plane", **ready), ep("10.244.0.3", "kind-control-plane", **ready)],
            [port("dns", 53, "UDP"), port("dns-tcp", 53), port("metrics", 9153)]),
        eps("default", "redis", "8vrzq", [ep("10.244.2.3", "kind-worker2", **ready), ep("10.244.1.5", "kind-worker", **ready)],
            [port("", 6379)]),
        eps("default", "web", "h2x9k", [ep("10.244.1.6", "kind-worker", **ready), ep("10.244.2.4", "kind-worker2", **ready)],
            [port("", 8080)]),
    ]
    return services, slices


KIND_WORKER = dict(node_name="kind-worker", node_ips=["172.18.0.3"], cluster_cidr="10.244.0.0/16",
                   service_cidrs=["10.96.0.0/16"])

RS = "  -> %-28s Masq    1      0          0         "
EXPECTED_IPVSADM = "\n".join([
    "IP Virtual Server version 1.2.1 (size=4096)",
    "Prot LocalAddress:Port Scheduler Flags",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
    # ipvsadm's comparator subtracts addresses as 32-bit ints: 172.18.x sorts before 10.96.x
    "TCP  172.18.0.3:31000 rr",
    "  -> 10.244.1.6:8080              Masq    1      0          0         ",
    "  -> 10.244.2.4:8080              Masq    1      0          0         ",
    "TCP  10.96.0.1:443 rr",
    "  -> 172.18.0.2:6443              Masq    1      0          0         ",
    "TCP  10.96.0.10:53 rr",
    "  -> 10.244.0.2:53                Masq    1      0          0         ",
    "  -> 10.244.0.3:53                Masq    1      0          0         ",
    "TCP  10.96.0.10:9153 rr",
    "  -> 10.244.0.2:9153              Masq    1      0          0         ",
    "  -> 10.244.0.3:9153              Masq    1      0          0         ",
    "TCP  10.96.140.27:6379 rr",
    "  -> 10.244.1.5:6379              Masq    1      0          0         ",
    "  -> 10.244.2.3:6379              Masq    1      0          0         ",
    "TCP  10.104.22.9:3000 rr",
    "  -> 10.244.1.6:8080              Masq    1      0          0         ",
    "  -> 10.244.2.4:8080              Masq    1      0          0         ",
    "UDP  10.96.0.10:53 rr",
    "  -> 10.244.0.2:53                Masq    1      0          0         ",
    "  -> 10.244.0.3:53                Masq    1      0          0         ",
]) + "\n"


def test_running_example_ipvsadm_exact():
    services, slices = running_example()
    p = IPVSProxier(KIND_WORKER)
    p.sync(services, slices)
    assert p.ipvsadm_ln() == EXPECTED_IPVSADM
    assert RS % "10.244.1.6:8080" in p.ipvsadm_ln()


def test_running_example_ipvs_ipsets_and_dummy_interface():
    services, slices = running_example()
    p = IPVSProxier(KIND_WORKER)
    r = p.sync(services, slices)
    assert r.ipsets["KUBE-CLUSTER-IP"] == (
        "10.104.22.9,tcp:3000", "10.96.0.1,tcp:443", "10.96.0.10,tcp:53", "10.96.0.10,tcp:9153",
        "10.96.0.10,udp:53", "10.96.140.27,tcp:6379")
    # hairpin set: only endpoints on this node (kind-worker)
    assert r.ipsets["KUBE-LOOP-BACK"] == ("10.244.1.5,tcp:6379,10.244.1.5", "10.244.1.6,tcp:8080,10.244.1.6")
    assert r.ipsets["KUBE-NODE-PORT-TCP"] == ("31000",)
    assert set(r.bound_addresses) == {"10.96.0.1", "10.96.0.10", "10.96.140.27", "10.104.22.9"}
    saved = p.ipset_list()
    assert saved.startswith("create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536\n"
                            "add KUBE-LOOP-BACK 10.244.1.5,tcp:6379,10.244.1.5\n")
    assert "create KUBE-NODE-PORT-TCP bitmap:port range 0-65535\nadd KUBE-NODE-PORT-TCP 31000\n" in saved
    assert "create KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536\n" in saved
    assert [ln.split()[1] for ln in saved.splitlines() if ln.startswith("create")] == [n for n, _, _ in ipvsmod.IPSET_INFO]


EXPECTED_IPVS_NAT_SAVE = """\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-LOAD-BALANCER - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ
-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN
-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
COMMIT
"""


def test_running_example_ipvs_iptables():
    services, slices = running_example()
    p = IPVSProxier(KIND_WORKER)
    p.sync(services, slices)
    saved = p.iptables_save(date=None)
    assert EXPECTED_IPVS_NAT_SAVE in saved
    assert saved.startswith("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
    assert ("-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst "
            "-j REJECT --reject-with icmp-port-unreachable\n") in saved
    with_header = p.iptables_save(version="v1.8.10", date="Mon Jun  2 10:00:00 2025")
    assert with_header.startswith("# Generated by iptables-save v1.8.10 on Mon Jun  2 10:00:00 2025\n*filter\n")
    # kube-proxy's restore input: real mark spelling, and loadable by the netfilter model
    restore = p.iptables_restore()
    assert "-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000\n" in restore
    assert ("-A KUBE-SERVICES -m comment --comment \"Kubernetes service cluster ip + port for masquerade purpose\" "
            "-m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ\n") in restore
    nf = Netfilter()
    nf.restore(restore)
    assert nf.rules("nat", "KUBE-MARK-MASQ") == ["-j MARK --or-mark 0x00004000"]


def test_running_example_ipvs_lookup_round_robin_and_counts():
    services, slices = running_example()
    p = IPVSProxier(KIND_WORKER)
    p.sync(services, slices)
    picks = [p.lookup("tcp", "10.96.140.27", 6379, client_ip="10.244.1.9") for _ in range(4)]
    assert [r.destination for r in picks] == ["10.244.2.3:6379", "10.244.1.5:6379"] * 2  # rr, newest first
    assert all(r.evaluations == 1 and r.verdict == "DNAT" for r in picks)
    assert not picks[0].masquerade  # pod source: no SNAT
    remote = p.lookup("tcp", "10.96.140.27", 6379, client_ip="10.244.2.3")
    # client == chosen endpoint, but 10.244.2.3 lives on kind-worker2: not in KUBE-LOOP-BACK
    assert remote.destination == "10.244.2.3:6379" and not remote.masquerade
    hairpin = p.lookup("tcp", "10.96.140.27", 6379, client_ip="10.244.1.5")
    assert hairpin.destination == "10.244.1.5:6379" and hairpin.masquerade  # local endpoint: hairpin SNAT
    np = p.lookup("TCP", "172.18.0.3", 31000)
    assert np.destination in ("10.244.1.6:8080", "10.244.2.4:8080") and np.masquerade
    assert p.lookup("udp", "10.96.0.10", 9153).verdict == "NO_SERVICE"


def test_running_example_ipvs_no_endpoints_and_scale_down():
    services, slices = running_example()
    p = IPVSProxier(KIND_WORKER)
    p.sync(services, slices)
    redis_slice = [s for s in slices if s["metadata"]["name"] == "redis-8vrzq"][0]
    p.lookup("tcp", "10.96.140.27", 6379)  # rr cursor now on 10.244.2.3
    redis_slice["endpoints"] = [e for e in redis_slice["endpoints"] if e["addresses"] == ["10.244.1.5"]]
    p.sync(services, slices)
    assert "TCP  10.96.140.27:6379 rr\n" + RS % "10.244.1.5:6379" + "\nTCP  10.104.22.9" in p.ipvsadm_ln()
    assert p.lookup("tcp", "10.96.140.27", 6379).destination == "10.244.1.5:6379"
    redis_slice["endpoints"] = []
    p.sync(services, slices)
    # the virtual server stays (no REJECT rules in ipvs mode); the kernel answers port-unreachable
    assert "TCP  10.96.140.27:6379 rr\nTCP  10.104.22.9:3000 rr\n" in p.ipvsadm_ln()
    r = p.lookup("tcp", "10.96.140.27", 6379)
    assert not r and r.verdict == "REJECT" and r.evaluations == 1
    # deleting the Service removes the virtual server, the ipset entry and the kube-ipvs0 address
    p.sync([s for s in services if s["metadata"]["name"] != "redis"], slices)
    assert "10.96.140.27" not in p.ipvsadm_ln() and "10.96.140.27" not in p.ipset_list()
    assert "10.96.140.27" not in p.kube_ipvs0_addresses()


def test_running_example_nftables_structure():
    services, slices = running_example()
    p = NFTablesProxier(KIND_WORKER)
    p.sync(services, slices)
    t = p.table
    assert [c for c in t.chains if "/" in c] == [
        "endpoint-KJBNWEXB-default/kubernetes/tcp/https__172.18.0.2/6443",
        "service-2QRHZV4L-default/kubernetes/tcp/https",
        "endpoint-2UIHRMAY-default/redis/tcp/__10.244.1.5/6379",
        "endpoint-Y5AKXWEY-default/redis/tcp/__10.244.2.3/6379",
        "service-7ZS4P2AJ-default/redis/tcp/",
        "endpoint-6RSU3NI6-default/web/tcp/__10.244.1.6/8080",
        "endpoint-IJZYJFLA-default/web/tcp/__10.244.2.4/8080",
        "service-PFISGYVC-default/web/tcp/",
        "external-PFISGYVC-default/web/tcp/",
        "endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53",
        "endpoint-SHKW4FT7-kube-system/kube-dns/udp/dns__10.244.0.3/53",
        "service-FY5PMXPG-kube-system/kube-dns/udp/dns",
        "endpoint-BFW5VCWB-kube-system/kube-dns/tcp/dns-tcp__10.244.0.2/53",
        "endpoint-BAVBYS25-kube-system/kube-dns/tcp/dns-tcp__10.244.0.3/53",
        "service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp",
        "endpoint-SUJXBOPR-kube-system/kube-dns/tcp/metrics__10.244.0.2/9153",
        "endpoint-G34R7BNP-kube-system/kube-dns/tcp/metrics__10.244.0.3/9153",
        "service-AS2KJYAD-kube-system/kube-dns/tcp/metrics",
    ]
    listing = p.list_table()
    # nodePortAddresses defaults to "primary" in nftables mode
    assert "\tset nodeport-ips {\n\t\ttype ipv4_addr\n\t\tcomment \"IPs that accept NodePort traffic\"\n" \
           "\t\telements = { 172.18.0.3 }\n\t}\n" in listing
    assert "\t\telements = { tcp . 31000 : goto external-PFISGYVC-default/web/tcp/ }\n" in listing
    assert "\t\tnumgen random mod 2 vmap { 0 : goto endpoint-2UIHRMAY-default/redis/tcp/__10.244.1.5/6379, " \
           "1 : goto endpoint-Y5AKXWEY-default/redis/tcp/__10.244.2.3/6379 }\n" in listing
    assert "\t\tip daddr 10.96.0.0/16 drop comment \"Drop traffic to unallocated ClusterIPs\"\n" in listing
    assert "\tchain filter-prerouting {\n\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n" in listing
    assert listing.startswith("table ip kube-proxy {\n\tcomment \"rules for kube-proxy\"\n\tset cluster-ips {\n")
    assert listing.endswith("\t}\n}\n")
    rng = random.Random(3)
    seen = {p.lookup("tcp", "172.18.0.3", 31000, rng, src_ip="192.168.1.50").destination for _ in range(20)}
    assert seen == {"10.244.1.6:8080", "10.244.2.4:8080"}
    dns = p.lookup("udp", "10.96.0.10", 53, rng, src_ip="10.244.1.5")
    assert dns.destination in ("10.244.0.2:53", "10.244.0.3:53") and not dns.masquerade


def test_running_example_nftables_no_endpoints_and_stale_chains():
    services, slices = running_example()
    p = NFTablesProxier(KIND_WORKER)
    p.sync(services, slices)
    redis_slice = [s for s in slices if s["metadata"]["name"] == "redis-8vrzq"][0]
    redis_slice["endpoints"] = []
    res = p.sync(services, slices)
    assert set(res.stale_chains) == {"service-7ZS4P2AJ-default/redis/tcp/",
                                     "endpoint-2UIHRMAY-default/redis/tcp/__10.244.1.5/6379",
                                     "endpoint-Y5AKXWEY-default/redis/tcp/__10.244.2.3/6379"}
    listing = p.list_table()
    # stale chains are flushed now (still listed, empty) and deleted on the next sync
    assert "\tchain service-7ZS4P2AJ-default/redis/tcp/ {\n\t}\n" in listing
    assert ('\t\telements = { 10.96.140.27 . tcp . 6379 comment "default/redis" : goto reject-chain }\n'
            in listing)
    assert "10.96.140.27 . tcp . 6379 : goto" not in listing
    assert "10.96.140.27" in listing.split("set cluster-ips {")[1].split("}")[0]  # still an active ClusterIP
    r = p.lookup("tcp", "10.96.140.27", 6379, random.Random(0), src_ip="10.244.1.9")
    assert not r and r.verdict == "REJECT"
    assert r.trace[-1] == "reject-chain: reject"
    # a port the Service does not have is rejected by cluster-ips-check, an unused IP dropped
    assert p.lookup("tcp", "10.96.140.27", 6380, src_ip="10.244.1.9").verdict == "REJECT"
    assert p.lookup("tcp", "10.96.140.99", 6379, src_ip="10.244.1.9").verdict == "DROP"
    p.sync(services, slices)
    assert "redis/tcp/ {" not in p.list_table()
    # endpoints come back: chains are recreated at the end of the (creation-ordered) list
    redis_slice["endpoints"] = [ep("10.244.1.5", "kind-worker", ready=True)]
    p.sync(services, slices)
    assert list(p.table.chains)[-2:] == ["endpoint-2UIHRMAY-default/redis/tcp/__10.244.1.5/6379",
                                         "service-7ZS4P2AJ-default/redis/tcp/"]
    assert p.lookup("tcp", "10.96.140.27", 6379, src_ip="10.244.1.9").destination == "10.244.1.5:6379"


def test_nodeport_no_endpoints_and_terminating_fallback():
    services, slices = running_example()
    web_slice = [s for s in slices if s["metadata"]["name"] == "web-h2x9k"][0]
    web_slice["endpoints"] = [ep("10.244.1.6", "kind-worker", ready=False, serving=True, terminating=True)]
    p = NFTablesProxier(KIND_WORKER)
    p.sync(services, slices)
    # serving+terminating endpoints are used when no endpoint is ready
    assert p.lookup("tcp", "172.18.0.3", 31000, src_ip="192.168.1.50").destination == "10.244.1.6:8080"
    web_slice["endpoints"] = []
    p.sync(services, slices)
    listing = p.list_table()
    assert '\t\telements = { tcp . 31000 comment "default/web" : goto reject-chain }\n' in listing
    assert p.lookup("tcp", "172.18.0.3", 31000, src_ip="192.168.1.50").verdict == "REJECT"
    q = IPVSProxier(KIND_WORKER)
    q.sync(services, slices)
    assert "TCP  172.18.0.3:31000 rr\nTCP  10.96.0.1:443 rr\n" in q.ipvsadm_ln()


def test_session_affinity_persistent_in_ipvsadm():
    services, slices = running_example()
    services[2]["spec"]["sessionAffinity"] = "ClientIP"
    p = IPVSProxier(KIND_WORKER)
    p.sync(services, slices)
    assert "TCP  10.96.140.27:6379 rr persistent 10800\n" in p.ipvsadm_ln()
    first = p.lookup("tcp", "10.96.140.27", 6379, client_ip="10.244.1.7").destination
    assert {p.lookup("tcp", "10.96.140.27", 6379, client_ip="10.244.1.7").destination for _ in range(5)} == {first}
    services[2]["spec"]["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 60}}
    p.sync(services, slices)
    assert "TCP  10.96.140.27:6379 rr persistent 60\n" in p.ipvsadm_ln()


# -------------------------------------------------------------- upstream ipvs tests

UPSTREAM_IPVS_CONFIG = dict(node_name="test-node")  # NewFakeProxier: NoOpLocalDetector


def vs_table(p: IPVSProxier) -> dict:
    return {(vs.protocol, vs.ip, vs.port): sorted(d.key for d in vs.destinations)
            for vs in p.virtual_servers.values()}


def chain_jumps(p: IPVSProxier, chain: str) -> list[tuple[str, str]]:
    """(jump target, match-set) per rule, nat then filter — what upstream's checkIptables sees."""
    out = []
    for r in p.nat_rules + p.filter_rules:
        if r.chain != chain:
            continue
        target = (" " + r.restore).rsplit(" -j ", 1)[1].split()[0]
        ms = r.restore.split("--match-set ")[1].split()[0] if "--match-set" in r.restore else ""
        out.append((target, ms))
    return out


def test_ipvs_node_port_cases():
    """TestNodePortIPv4."""
    np_svc = lambda proto, **kw: svc("ns1", "svc1", type="NodePort", clusterIP="10.20.30.41",
                                     ports=[port("p80", 80, proto, nodePort=3001)], **kw)
    # 1 service with node port, has 2 endpoints (one per family)
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=["100.101.102.103", "2001:db8::1:1"]))
    p.sync([np_svc("TCP")], [eps("ns1", "svc1", 1, [ep("10.180.0.1")], P80),
                             eps("ns1", "svc1", 2, [ep("1002:ab8::2:10")], P80, "IPv6")])
    assert vs_table(p) == {("TCP", "10.20.30.41", 80): ["10.180.0.1:80"],
                           ("TCP", "100.101.102.103", 3001): ["10.180.0.1:80"]}
    # UDP with nodePortAddresses 0.0.0.0/0
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=["100.101.102.103"], node_port_addresses=["0.0.0.0/0"]))
    p.sync([np_svc("UDP")], [eps("ns1", "svc1", 1, [ep("10.180.0.1")], [port("p80", 80, "UDP")])])
    assert vs_table(p) == {("UDP", "10.20.30.41", 80): ["10.180.0.1:80"],
                           ("UDP", "100.101.102.103", 3001): ["10.180.0.1:80"]}
    assert p.ipsets["KUBE-NODE-PORT-UDP"].entries == {"3001"}
    assert chain_jumps(p, "KUBE-NODE-PORT") == [("KUBE-MARK-MASQ", "KUBE-NODE-PORT-UDP"),
                                                ("ACCEPT", "KUBE-HEALTH-CHECK-NODE-PORT")]
    assert [t for t, _ in chain_jumps(p, "KUBE-SERVICES")] == ["RETURN", "KUBE-MARK-MASQ", "KUBE-NODE-PORT", "ACCEPT"]
    assert ("-A KUBE-SERVICES -m comment --comment \"Kubernetes service cluster ip + port for masquerade purpose\" "
            "-m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ") in p.iptables_restore()
    # service has node port but no endpoints
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=["100.101.102.103"]))
    p.sync([np_svc("TCP")], [])
    assert vs_table(p) == {("TCP", "10.20.30.41", 80): [], ("TCP", "100.101.102.103", 3001): []}
    # SCTP on a node with multiple node IPs
    ips = ["100.101.102.103", "100.101.102.104", "100.101.102.105", "2001:db8::1:1", "2001:db8::1:2", "2001:db8::1:3"]
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=ips))
    p.sync([np_svc("SCTP")], [eps("ns1", "svc1", 1, [ep("10.180.0.1")], [port("p80", 80, "SCTP")])])
    assert set(vs_table(p)) == {("SCTP", "10.20.30.41", 80)} | {("SCTP", ip, 3001) for ip in ips[:3]}
    assert p.ipsets["KUBE-NODE-PORT-SCTP-HASH"].entries == {f"{ip},sctp:3001" for ip in ips[:3]}
    # SCTP with externalTrafficPolicy Local
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=["100.101.102.103"]))
    p.sync([np_svc("SCTP", externalTrafficPolicy="Local")],
           [eps("ns1", "svc1", 1, [ep("10.180.0.1", "test-node"), ep("10.180.1.1", "other-node")],
                [port("p80", 80, "SCTP")])])
    assert vs_table(p) == {("SCTP", "10.20.30.41", 80): ["10.180.0.1:80", "10.180.1.1:80"],
                           ("SCTP", "100.101.102.103", 3001): ["10.180.0.1:80"]}
    assert p.ipsets["KUBE-NODE-PORT-LOCAL-SCTP-HASH"].entries == {"100.101.102.103,sctp:3001"}
    assert chain_jumps(p, "KUBE-NODE-PORT") == [("RETURN", "KUBE-NODE-PORT-LOCAL-SCTP-HASH"),
                                                ("KUBE-MARK-MASQ", "KUBE-NODE-PORT-SCTP-HASH"),
                                                ("ACCEPT", "KUBE-HEALTH-CHECK-NODE-PORT")]


def test_ipvs_cluster_ip_ipv6_family_filtering():
    """TestClusterIPv6 cases: an IPv6 proxier ignores IPv4 services and endpoints."""
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, ip_family="IPv6"))
    p.sync([svc("ns1", "svc1", clusterIP="10.20.30.41", ports=[port("p80", 80)]),
            svc("ns2", "svc2", clusterIP="1002:ab8::2:1", ports=[port("p8080", 8080)]),
            svc("ns3", "svc3", clusterIP="2001::1", ports=[port("p80", 80)])],
           [eps("ns1", "svc1", 1, [ep("10.180.0.1")], P80),
            eps("ns2", "svc2", 1, [ep("1009:ab8::5:6")], [port("p8080", 8080)], "IPv6")])
    assert vs_table(p) == {("TCP", "1002:ab8::2:1", 8080): ["[1009:ab8::5:6]:8080"], ("TCP", "2001::1", 80): []}


def test_ipvs_load_balancer_source_ranges():
    """TestLoadBalancerSourceRanges."""
    p = IPVSProxier(UPSTREAM_IPVS_CONFIG)
    p.sync([svc("ns1", "svc1", type="LoadBalancer", clusterIP="10.20.30.41", ports=[port("p80", 80)],
                loadBalancerSourceRanges=["10.0.0.0/8"], status=lb_status("1.2.3.4"))],
           [eps("ns1", "svc1", 1, [ep("10.180.0.1")], P80)])
    assert len(p.virtual_servers) == 2
    assert vs_table(p)[("TCP", "1.2.3.4", 80)] == ["10.180.0.1:80"]
    assert p.ipsets["KUBE-LOAD-BALANCER"].entries == {"1.2.3.4,tcp:80"}
    assert p.ipsets["KUBE-LOAD-BALANCER-FW"].entries == {"1.2.3.4,tcp:80"}
    assert p.ipsets["KUBE-LOAD-BALANCER-SOURCE-CIDR"].entries == {"1.2.3.4,tcp:80,10.0.0.0/8"}
    assert chain_jumps(p, "KUBE-SERVICES") == [
        ("RETURN", ""), ("KUBE-LOAD-BALANCER", "KUBE-LOAD-BALANCER"), ("KUBE-MARK-MASQ", "KUBE-CLUSTER-IP"),
        ("KUBE-NODE-PORT", ""), ("ACCEPT", "KUBE-CLUSTER-IP"), ("ACCEPT", "KUBE-LOAD-BALANCER")]
    assert chain_jumps(p, "KUBE-PROXY-FIREWALL") == [("KUBE-SOURCE-RANGES-FIREWALL", "KUBE-LOAD-BALANCER-FW")]
    assert chain_jumps(p, "KUBE-SOURCE-RANGES-FIREWALL") == [("RETURN", "KUBE-LOAD-BALANCER-SOURCE-CIDR"), ("DROP", "")]
    # the node IP is not in the source ranges, so the node may not use the LB IP
    q = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=["100.101.102.103"]))
    q.sync([svc("ns1", "svc1", type="LoadBalancer", clusterIP="10.20.30.41", ports=[port("p80", 80)],
                loadBalancerSourceRanges=["10.0.0.0/8"], status=lb_status("1.2.3.4"))], [])
    assert ("-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4/32 -m ipvs --vproto 6 --vaddr 1.2.3.4/32 --vport 80 -j DROP\n"
            in q.iptables_save(date=None))


def test_ipvs_accept_ipvs_traffic_and_only_local_load_balancing():
    """TestAcceptIPVSTraffic and TestOnlyLocalLoadBalancing."""
    p = IPVSProxier(UPSTREAM_IPVS_CONFIG)
    p.sync([svc("ns1", "svc1", type="ClusterIP", clusterIP="10.20.30.40", externalIPs=["5.6.7.8"],
                ports=[port("p80", 80)]),
            svc("ns1", "svc2", type="LoadBalancer", clusterIP="10.20.30.41", ports=[port("p80", 80, nodePort=80)],
                status=lb_status("1.2.3.4")),
            svc("ns1", "svc3", type="NodePort", clusterIP="10.20.30.42", ports=[port("p80", 80, nodePort=80)])], [])
    assert chain_jumps(p, "KUBE-SERVICES") == [
        ("RETURN", ""), ("KUBE-LOAD-BALANCER", "KUBE-LOAD-BALANCER"), ("KUBE-MARK-MASQ", "KUBE-CLUSTER-IP"),
        ("KUBE-MARK-MASQ", "KUBE-EXTERNAL-IP"), ("ACCEPT", "KUBE-EXTERNAL-IP"), ("ACCEPT", "KUBE-EXTERNAL-IP"),
        ("KUBE-NODE-PORT", ""), ("ACCEPT", "KUBE-CLUSTER-IP"), ("ACCEPT", "KUBE-LOAD-BALANCER")]
    q = IPVSProxier(UPSTREAM_IPVS_CONFIG)
    q.sync([svc("ns1", "svc1", type="LoadBalancer", clusterIP="10.20.30.41", externalTrafficPolicy="Local",
                ports=[port("p80", 80, nodePort=3001)], status=lb_status("1.2.3.4"))],
           [eps("ns1", "svc1", 1, [ep("10.180.0.1", "test-node"), ep("10.180.1.1", "other-node")], P80)])
    assert vs_table(q)[("TCP", "1.2.3.4", 80)] == ["10.180.0.1:80"]
    assert q.ipsets["KUBE-LOAD-BALANCER-LOCAL"].entries == {"1.2.3.4,tcp:80"}
    assert chain_jumps(q, "KUBE-LOAD-BALANCER") == [("RETURN", "KUBE-LOAD-BALANCER-LOCAL"), ("KUBE-MARK-MASQ", "")]


def test_ipvs_health_check_node_port_and_external_ips():
    """TestHealthCheckNodePort, TestExternalIPs, TestOnlyLocalExternalIPs."""
    base = dict(type="LoadBalancer", clusterIP="10.20.30.41", externalTrafficPolicy="Local",
                ports=[port("p80", 80, nodePort=3000)])
    p = IPVSProxier(dict(UPSTREAM_IPVS_CONFIG, node_ips=["100.101.102.103", "2001:db8::"],
                         node_port_addresses=["100.101.102.0/24"]))
    p.sync([svc("ns1", "valid-svc1", healthCheckNodePort=30000, **base),
            svc("ns1", "valid-svc2", healthCheckNodePort=30001, **base),
            svc("ns1", "invalid-svc3", healthCheckNodePort=30002, **{**base, "externalTrafficPolicy": "Cluster"})], [])
    assert p.ipsets["KUBE-HEALTH-CHECK-NODE-PORT"].entries == {"30000", "30001"}
    assert chain_jumps(p, "KUBE-NODE-PORT") == [("RETURN", "KUBE-NODE-PORT-LOCAL-TCP"),
                                                ("KUBE-MARK-MASQ", "KUBE-NODE-PORT-TCP"),
                                                ("ACCEPT", "KUBE-HEALTH-CHECK-NODE-PORT")]
    ext = ["50.60.70.81", "2012::51", "127.0.0.1"]
    q = IPVSProxier(UPSTREAM_IPVS_CONFIG)
    q.sync([svc("ns1", "svc1", type="NodePort", clusterIP="10.20.30.41", externalIPs=ext,
                externalTrafficPolicy="Local", ports=[port("p80", 80, targetPort=80)])],
           [eps("ns1", "svc1", 1, [ep("10.180.0.1", "test-node"), ep("10.180.1.1", "other-node")], P80)])
    assert len(q.virtual_servers) == 3  # the IPv6 externalIP belongs to the other family
    assert vs_table(q)[("TCP", "50.60.70.81", 80)] == ["10.180.0.1:80"]


def test_ipvs_ipset_names_and_ipvsadm_sort():
    assert ipset_name("KUBE-CLUSTER-IP", True) == "KUBE-6-CLUSTER-IP"
    assert ipset_name("KUBE-LOAD-BALANCER-SOURCE-CIDR", True) == "KUBE-6-LOAD-BALANCER-SOURCE-CID"  # 31 chars
    assert ipset_name("KUBE-NODE-PORT-LOCAL-SCTP-HASH", True) == "KUBE-6-NODE-PORT-LOCAL-SCTP-HAS"
    # A real `ipvsadm -Ln` (v1.20 node; loopback NodePorts were still created then) lists
    # 172.17.0.1 first, then 10.x ascending, then 127.0.0.1: ipvsadm subtracts addresses
    # as 32-bit ints (so 172.17.0.1 < 10.10.110.190), and sorts with glibc's merge sort.
    from engine.proxy.ipvs import VirtualServer
    real = ["172.17.0.1:30023", "10.10.110.190:30023", "10.96.0.1:443", "10.96.0.10:53", "10.96.0.10:9153",
            "10.97.105.36:80", "10.98.47.133:443", "10.110.221.168:8000", "10.244.235.192:30023", "127.0.0.1:30023"]
    vss = [VirtualServer("TCP", a.split(":")[0], int(a.split(":")[1])) for a in real]
    # Without 127.0.0.1 the comparator is a total order: any kernel order gives the real listing.
    consistent = vss[:-1]
    for seed in range(20):
        order = consistent[:]
        random.Random(seed).shuffle(order)
        assert [v.address for v in glibc_msort(order, ipvs_cmp_services)] == real[:-1]
    # With it there is a cycle (10.x < 127.x < 172.x < 10.x), so the result depends on the
    # kernel's (pointer-hashed) listing order; the real listing is what most orders give.
    hits = 0
    for seed in range(200):
        order = vss[:]
        random.Random(seed).shuffle(order)
        hits += [v.address for v in glibc_msort(order, ipvs_cmp_services)] == real
    assert hits > 150


def test_config_from_kube_proxy_configuration_keys():
    cfg = ProxierConfig.from_mapping({"nodeName": "n1", "nodeIPs": "172.18.0.3", "clusterCIDR": "10.244.0.0/16",
                                      "masqueradeAll": True, "ipvs": {"scheduler": "wrr"},
                                      "nodePortAddresses": ["primary"]})
    assert cfg.node_name == "n1" and cfg.node_ips == ("172.18.0.3",) and cfg.masquerade_all
    assert cfg.scheduler == "wrr" and cfg.masquerade_mark == "0x00004000"
    p = IPVSProxier(cfg)
    services, slices = running_example()
    p.sync(services, slices)
    assert "TCP  10.96.0.1:443 wrr\n" in p.ipvsadm_ln()
    assert ("-A KUBE-SERVICES -m comment --comment \"Kubernetes service cluster ip + port for masquerade purpose\" "
            "-m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ\n") in p.iptables_restore()
    n = NFTablesProxier(cfg)
    n.sync(services, slices)
    assert "\t\tip daddr 10.96.0.1 tcp dport 443 jump mark-for-masquerade\n" in n.list_table()
