"""The first sync's shortcuts give what the long way gives, and follow changes.

kube-proxy's iptables-mode sync reads each endpoint's address as a canonical string,
cached per address (`engine.proxy.ipnet.canonical_ip`), names chains from a base32 table
(`engine.proxy.iptables.chains._hash16`), keeps endpoints in a slotted class compared by
value (`engine.proxy.model.Endpoint`) and lays out its restore texts when first read.
These check each against the plain computation it replaced, and that a changed address
(written sloppily, or in the other family) or Service still changes the rules.
"""
from __future__ import annotations

import base64
import hashlib
import random

import pytest

from engine.proxy.config import ProxierConfig
from engine.proxy.ipnet import canonical_ip, ip_string, is_ipv6_string, parse_ip_sloppy
from engine.proxy.iptables.chains import _hash16, endpoint_chain
from engine.proxy.iptables.proxier import IPTablesProxier
from engine.proxy.model import Endpoint, endpoints_by_port

ADDRESSES = [
    "10.1.2.3", "0.0.0.0", "255.255.255.255", "256.1.1.1", "010.1.2.3", "10.01.2.3", "10.1.2.003",
    "00.0.0.0", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "", " 10.1.2.3", "10.1.2.3\n", "10.1.2.3 ",
    "\uff11.2.3.4", "1.2.3.\u0664", "::1", "::", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "::ffff:10.1.2.3",
    "::ffff:010.1.2.3", "::ffff:a01:203", "fe80::1%eth0", "2001:db8::1.2.3.4", "[::1]", "1.2.3.4/32",
]


def _long_way(s):
    ip = parse_ip_sloppy(s)
    return None if ip is None else ip_string(ip)


@pytest.mark.parametrize("s", ADDRESSES + [None, 7])
def test_canonical_ip_is_the_parse_printed(s) -> None:
    assert canonical_ip(s) == _long_way(s)
    assert canonical_ip(s) == _long_way(s)  # (and so when cached)
    ip = parse_ip_sloppy(s)
    assert is_ipv6_string(s) == (ip is not None and ip.version == 6)


def test_canonical_ip_on_random_dotted_quads() -> None:
    rng = random.Random(18)
    octets = ["0", "00", "1", "09", "9", "10", "99", "100", "199", "200", "249", "250", "255", "256", "010", ""]
    for _ in range(5000):
        s = ".".join(rng.choice(octets) for _ in range(rng.choice((3, 4, 4, 5))))
        assert canonical_ip(s) == _long_way(s), s


def test_chain_hash_is_base32_of_sha256() -> None:
    rng = random.Random(18)
    for _ in range(2000):
        text = "".join(rng.choice("ab/:-09.[]\u00e9") for _ in range(rng.randint(0, 40)))
        assert _hash16(text) == base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def test_endpoints_compare_by_value_without_their_key() -> None:
    a = Endpoint("10.0.0.1", 80, is_local=True)
    assert a == Endpoint("10.0.0.1", 80, True) and hash(a) == hash(Endpoint("10.0.0.1", 80, True))
    assert a.key == "10.0.0.1:80" and Endpoint("fd00::1", 80).key == "[fd00::1]:80"
    for other in (Endpoint("10.0.0.2", 80, True), Endpoint("10.0.0.1", 81, True), Endpoint("10.0.0.1", 80),
                  Endpoint("10.0.0.1", 80, True, ready=False), Endpoint("10.0.0.1", 80, True, serving=False),
                  Endpoint("10.0.0.1", 80, True, terminating=True),
                  Endpoint("10.0.0.1", 80, True, zone_hints=frozenset({"z"})),
                  Endpoint("10.0.0.1", 80, True, node_hints=frozenset({"n"}))):
        assert a != other
    assert a != ("10.0.0.1", 80)
    assert "10.0.0.1" in repr(a)


def test_a_slices_endpoints_are_the_same_for_each_of_its_ports() -> None:
    sl = {"metadata": {"name": "s-1"}, "addressType": "IPv4",
          "endpoints": [{"addresses": ["10.0.0.02"], "nodeName": "n1", "conditions": {"ready": True}},
                        {"addresses": ["fd00::1"]}, {"addresses": ["bad"]}, {"addresses": []},
                        {"addresses": ["10.0.0.1"], "conditions": {"ready": False, "serving": True,
                                                                   "terminating": True}}],
          "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}]}
    got = endpoints_by_port([sl], "IPv4", "n1")
    assert got == {
        ("http", "TCP"): [Endpoint("10.0.0.1", 80, False, False, True, True), Endpoint("10.0.0.2", 80, True)],
        ("dns", "UDP"): [Endpoint("10.0.0.1", 53, False, False, True, True), Endpoint("10.0.0.2", 53, True)],
    }
    assert endpoints_by_port([sl], "IPv6", "n1") == {("http", "TCP"): [Endpoint("fd00::1", 80)],
                                                      ("dns", "UDP"): [Endpoint("fd00::1", 53)]}


def _service(cip: str) -> dict:
    return {"metadata": {"namespace": "ns", "name": "web"},
            "spec": {"type": "ClusterIP", "clusterIP": cip, "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def _slice(*addrs: str) -> dict:
    return {"metadata": {"namespace": "ns", "name": "web-1", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "endpoints": [{"addresses": [a], "conditions": {}} for a in addrs],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}


def test_a_changed_address_or_service_changes_the_rules() -> None:
    p = IPTablesProxier(ProxierConfig.upstream_test_fake())
    svc, sl = _service("172.30.0.41"), _slice("10.0.0.1", "10.0.0.2")
    first = p.sync([svc], [sl], now=1)
    assert "--to-destination 10.0.0.2:8080" in first.restore
    sep = endpoint_chain("ns/web:http", "tcp", "10.0.0.2:8080")

    # The same address written sloppily is the same endpoint: nothing to rewrite.
    r = p.sync([svc], [_slice("10.0.0.1", "010.0.0.02")], changed={"ns/web"}, now=2)
    assert [c for c in r.chains_written if c.startswith("KUBE-SEP-")] == []
    # Another address: its chain replaces the old one.
    r = p.sync([svc], [_slice("10.0.0.1", "10.0.0.03")], changed={"ns/web"}, now=3)
    new_sep = endpoint_chain("ns/web:http", "tcp", "10.0.0.3:8080")
    assert new_sep in r.chains_written and r.chains_deleted == [sep]
    assert "--to-destination 10.0.0.3:8080" in r.restore and "10.0.0.2" not in r.restore
    assert p.netfilter.chain_exists("nat", new_sep) and not p.netfilter.chain_exists("nat", sep)
    # An IPv4-mapped IPv6 address is that IPv4 address (to Go); an IPv6 one is no
    # endpoint of an IPv4 proxier.
    r = p.sync([svc], [_slice("10.0.0.1", "::ffff:10.0.0.3", "fd00::3")], changed={"ns/web"}, now=4)
    assert [c for c in r.chains_written if c.startswith("KUBE-SEP-")] == [] and r.chains_deleted == []
    r = p.sync([svc], [_slice("10.0.0.1", "fd00::3")], changed={"ns/web"}, now=5)
    assert r.chains_deleted == [new_sep]
    # A new cluster IP rewrites the Service's rules.
    r = p.sync([_service("172.30.0.042")], [_slice("10.0.0.1")], changed={"ns/web"}, now=6)
    assert "-d 172.30.0.42 --dport 80" in r.restore and "172.30.0.41" not in r.restore

    # After all that, the same tables and texts as one full sync of the last objects.
    q = IPTablesProxier(ProxierConfig.upstream_test_fake())
    full = q.sync([_service("172.30.0.42")], [_slice("10.0.0.1")], now=6)
    assert q.save() == p.save()
    again = p.sync([_service("172.30.0.42")], [_slice("10.0.0.1")], now=7)
    assert again.restore == full.restore and again.raw_restore == full.raw_restore
