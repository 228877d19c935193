"""CoreDNS kubernetes-plugin model: spec A.9 vectors, A.10 search expansion, dig/nslookup text.

The forward vectors use CoreDNS's own fixture (handler_test.go) at the plugin's default
TTL of 5; kubeadm's TTL 30 is checked separately. Answers are compared as sorted sets of
RR text, as CoreDNS's test.SortAndCheck does, except where order is the point.
"""
from __future__ import annotations

import random

import pytest

from engine.dns.resolver import ADDRESS, resolv_conf, resolve
from engine.dns.corefile import CoreDNSConfig
from engine.dns.records import DnsResponse, StaticUpstream
from engine.dns.zone import KubernetesPlugin
from engine.dns.dig import nslookup, render_dig
from engine.dns.dig import format_question, format_rr, nslookup_queries
from engine.dns.resolver import ResolvConf
from engine.dns.records import RR
from engine.dns.zone import endpoint_hostname, parse_request

T0 = 1_700_000_000


# --------------------------------------------------------------------------- fixtures


def ns(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def svc(name: str, namespace: str, ips: list[str] | None, ports=(), *, external: str | None = None) -> dict:
    spec: dict = {"ports": [dict(p) for p in ports]}
    if external is not None:
        spec.update(type="ExternalName", externalName=external)
    else:
        spec.update(type="ClusterIP", clusterIP=ips[0], clusterIPs=list(ips))
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def port(name: str, number: int, protocol: str = "TCP") -> dict:
    return {"name": name, "port": number, "protocol": protocol, "targetPort": number}


def eps(
    name: str, namespace: str, service: str, endpoints: list[tuple], ports=(), address_type: str = "IPv4"
) -> dict:
    """endpoints: (ip, hostname or None[, ready])."""
    items = []
    for e in endpoints:
        ip, hostname = e[0], e[1]
        ready = e[2] if len(e) > 2 else True
        item: dict = {"addresses": [ip], "conditions": {"ready": ready}, "nodeName": "kind-worker"}
        if hostname:
            item["hostname"] = hostname
        items.append(item)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": namespace, "labels": {"kubernetes.io/service-name": service}},
        "addressType": address_type,
        "endpoints": items,
        "ports": [{"name": p["name"], "port": p["port"], "protocol": p["protocol"]} for p in ports],
    }


HTTP = port("http", 80)


def load_handler_fixture(p: KubernetesPlugin) -> KubernetesPlugin:
    """handler_test.go's APIConnServeTest, as API objects."""
    for n in ("testns", "kube-system", "podns"):
        p.on_namespace("ADDED", ns(n))
    p.on_service("ADDED", svc("svc1", "testns", ["10.0.0.1"], [HTTP]))
    p.on_slice("ADDED", eps("svc1-abcde", "testns", "svc1", [("172.0.0.1", "ep1a")], [HTTP]))
    p.on_service("ADDED", svc("svcempty", "testns", ["10.0.0.1"], [HTTP]))
    p.on_slice("ADDED", eps("svcempty-abcde", "testns", "svcempty", [], [HTTP]))
    p.on_service("ADDED", svc("svc6", "testns", ["1234:abcd::1"], [HTTP]))
    p.on_service("ADDED", svc("svc-dual-stack", "testns", ["10.0.0.3", "10::3"], [HTTP]))
    p.on_service("ADDED", svc("hdls1", "testns", ["None"]))
    p.on_slice(
        "ADDED",
        eps(
            "hdls1-v4",
            "testns",
            "hdls1",
            [("172.0.0.2", None), ("172.0.0.3", None), ("172.0.0.4", "dup-name"), ("172.0.0.5", "dup-name")],
            [HTTP],
        ),
    )
    p.on_slice(
        "ADDED",
        eps("hdls1-v6", "testns", "hdls1", [("5678:abcd::1", None), ("5678:abcd::2", None)], [HTTP], "IPv6"),
    )
    p.on_service("ADDED", svc("hdlsprtls", "testns", ["None"]))
    p.on_slice("ADDED", eps("hdlsprtls-abcde", "testns", "hdlsprtls", [("172.0.0.20", None)]))
    p.on_service("ADDED", svc("external", "testns", None, [HTTP], external="ext.interwebs.test"))
    p.on_service(
        "ADDED", svc("external-to-service", "testns", None, [HTTP], external="svc1.testns.svc.cluster.local.")
    )
    p.on_service("ADDED", svc("kubedns", "kube-system", ["10.0.0.10"], [port("dns", 53, "UDP")]))
    p.on_slice("ADDED", eps("kubedns-abcde", "kube-system", "kubedns", [("172.0.0.100", None)], [port("dns", 53, "UDP")]))
    p.on_pod(
        "ADDED",
        {"metadata": {"name": "foo", "namespace": "podns"}, "status": {"phase": "Running", "podIP": "10.240.0.1"}},
    )
    return p


UPSTREAM = StaticUpstream({"ext.interwebs.test": {"A": ["1.2.3.4"]}}, ttl=5)


def handler_plugin(**overrides) -> KubernetesPlugin:
    config = CoreDNSConfig.plugin_defaults(**overrides)
    return load_handler_fixture(KubernetesPlugin(config, clock=lambda: T0, upstream=UPSTREAM))


def texts(rrs) -> list[str]:
    return sorted(" ".join(rr.to_text().split("\t")) for rr in rrs)


SOA5 = f"cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. {T0} 7200 1800 86400 5"
Z = ".cluster.local."


# --------------------------------------------------------------------------- A.9 forward vectors


FORWARD = [
    # (#, name, type, rcode, answer, additional)
    (1, "svc1.testns.svc", "A", "NOERROR", ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"], []),
    (2, "svcempty.testns.svc", "A", "NOERROR", ["svcempty.testns.svc.cluster.local. 5 IN A 10.0.0.1"], []),
    (
        3,
        "svc1.testns.svc",
        "SRV",
        "NOERROR",
        ["svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
        ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
    ),
    (
        4,
        "_http._tcp.svc1.testns.svc",
        "SRV",
        "NOERROR",
        ["_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local."],
        ["svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"],
    ),
    (
        5,
        "svc6.testns.svc",
        "SRV",
        "NOERROR",
        ["svc6.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc6.testns.svc.cluster.local."],
        ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"],
    ),
    (6, "svc6.testns.svc", "AAAA", "NOERROR", ["svc6.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"], []),
    (7, "svc1.testns.svc", "AAAA", "NOERROR", [], []),
    (8, "svc0.testns.svc", "A", "NXDOMAIN", [], []),
    (8, "svc0.testns.svc", "AAAA", "NXDOMAIN", [], []),
    (9, "svc0.svc-nons.svc", "A", "NXDOMAIN", [], []),
    (
        10,
        "hdls1.testns.svc",
        "A",
        "NOERROR",
        [f"hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.{i}" for i in (2, 3, 4, 5)],
        [],
    ),
    (
        11,
        "hdls1.testns.svc",
        "AAAA",
        "NOERROR",
        [f"hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::{i}" for i in (1, 2)],
        [],
    ),
    (
        12,
        "_http._tcp.hdls1.testns.svc",
        "SRV",
        "NOERROR",
        [
            f"_http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 16 80 {t}.hdls1.testns.svc.cluster.local."
            for t in ("172-0-0-2", "172-0-0-3", "5678-abcd--1", "5678-abcd--2", "dup-name")
        ],
        [
            "172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2",
            "172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3",
            "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1",
            "5678-abcd--2.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::2",
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4",
            "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5",
        ],
    ),
    (13, "172-0-0-2.hdls1.testns.svc", "A", "NOERROR", ["172-0-0-2.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"], []),
    (
        14,
        "dup-name.hdls1.testns.svc",
        "A",
        "NOERROR",
        ["dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.4", "dup-name.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.5"],
        [],
    ),
    (
        15,
        "5678-abcd--1.hdls1.testns.svc",
        "AAAA",
        "NOERROR",
        ["5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"],
        [],
    ),
    (16, "bogusendpoint.hdls1.testns.svc", "A", "NXDOMAIN", [], []),
    (17, "bogusendpoint.svc0.testns.svc", "A", "NXDOMAIN", [], []),
    (18, "hdlsprtls.testns.svc", "A", "NOERROR", ["hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"], []),
    (
        19,
        "172-0-0-20.hdlsprtls.testns.svc",
        "A",
        "NOERROR",
        ["172-0-0-20.hdlsprtls.testns.svc.cluster.local. 5 IN A 172.0.0.20"],
        [],
    ),
    (20, "svc-dual-stack.testns.svc", "A", "NOERROR", ["svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3"], []),
    (20, "svc-dual-stack.testns.svc", "AAAA", "NOERROR", ["svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3"], []),
    (
        21,
        "svc-dual-stack.testns.svc",
        "SRV",
        "NOERROR",
        ["svc-dual-stack.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local."],
        [
            "svc-dual-stack.testns.svc.cluster.local. 5 IN A 10.0.0.3",
            "svc-dual-stack.testns.svc.cluster.local. 5 IN AAAA 10::3",
        ],
    ),
    (22, "external.testns.svc", "CNAME", "NOERROR", ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."], []),
    (
        23,
        "external.testns.svc",
        "A",
        "NOERROR",
        ["external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.", "ext.interwebs.test. 5 IN A 1.2.3.4"],
        [],
    ),
    (
        24,
        "external-to-service.testns.svc",
        "A",
        "NOERROR",
        [
            "external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.",
            "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1",
        ],
        [],
    ),
    (25, "endpoint.external.testns.svc", "CNAME", "NXDOMAIN", [], []),
    (26, "svc1.testns.svc", "TXT", "NOERROR", [], []),
    (27, "dns-version", "TXT", "NOERROR", ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'], []),
    (28, "svc", "A", "NOERROR", [], []),
    (28, "pod", "A", "NOERROR", [], []),
    (28, "testns.svc", "A", "NOERROR", [], []),
    (28, "svc", "NS", "NOERROR", [], []),
    (28, "testns.svc", "NS", "NOERROR", [], []),
    (29, "foo", "NS", "NXDOMAIN", [], []),
    (29, "foo.svc", "NS", "NXDOMAIN", [], []),
    (30, "svc1.testns.svc", "SOA", "NOERROR", [], []),
]


@pytest.mark.parametrize("num,name,qtype,rcode,answer,extra", FORWARD, ids=lambda v: str(v))
def test_forward_vectors(num, name, qtype, rcode, answer, extra):
    p = handler_plugin()
    resp = p.query(name + Z, qtype)
    assert resp.rcode == rcode
    assert resp.aa
    assert texts(resp.answer) == sorted(answer)
    assert texts(resp.additional) == sorted(extra)
    if not answer:  # NXDOMAIN and NODATA both carry the zone's SOA
        assert texts(resp.authority) == [SOA5]
    else:
        assert resp.authority == ()


def test_cname_precedes_its_target():
    p = handler_plugin()
    for name in ("external.testns.svc", "external-to-service.testns.svc"):
        types = [rr.rtype for rr in p.query(name + Z, "A").answer]
        assert types == ["CNAME", "A"]


def test_externalname_quirks():
    p = handler_plugin()
    # No SRV below or for an ExternalName.
    assert p.query("_http._tcp.external.testns.svc.cluster.local.", "SRV").rcode == "NXDOMAIN"
    assert p.query("external.testns.svc.cluster.local.", "SRV").nodata
    # Target outside the cluster that upstream does not know: the CNAME alone, NOERROR.
    p.upstream = StaticUpstream({})
    resp = p.query("external.testns.svc.cluster.local.", "A")
    assert resp.rcode == "NOERROR" and texts(resp.answer) == [
        "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."
    ]
    # In-cluster target with no record of the asked type: the CNAME is dropped, NODATA.
    assert p.query("external-to-service.testns.svc.cluster.local.", "AAAA").nodata
    # An IP in externalName produces nothing at all.
    p.on_service("ADDED", svc("ipname", "testns", None, [HTTP], external="1.2.3.4"))
    assert p.query("ipname.testns.svc.cluster.local.", "A").rcode == "NXDOMAIN"


def test_case_is_preserved():
    """handler_case_test.go: answers echo the question; zone case flows into targets."""
    p = handler_plugin()
    r = p.query("SvC1.TeStNs.SvC.cLuStEr.LoCaL.", "A")
    assert texts(r.answer) == ["SvC1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN A 10.0.0.1"]
    r = p.query("_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.", "SRV")
    assert texts(r.answer) == ["_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL. 5 IN SRV 0 100 80 svc1.testns.svc.cLuStEr.LoCaL."]
    assert texts(r.additional) == ["svc1.testns.svc.cLuStEr.LoCaL. 5 IN A 10.0.0.1"]
    r = p.query("not-a-service.testns.svc.ClUsTeR.lOcAl.", "A")
    assert r.rcode == "NXDOMAIN"
    assert texts(r.authority)[0].startswith("ClUsTeR.lOcAl. 5 IN SOA ns.dns.ClUsTeR.lOcAl. hostmaster.ClUsTeR.lOcAl.")
    r = p.query("Cluster.local.", "SOA")
    assert texts(r.answer) == [f"Cluster.local. 5 IN SOA ns.dns.Cluster.local. hostmaster.Cluster.local. {T0} 7200 1800 86400 5"]


def test_misc_response_codes():
    p = handler_plugin()
    assert p.query("cluster.local.", "AXFR").rcode == "REFUSED"
    assert not p.query("cluster.local.", "AXFR").aa
    assert p.query("svc1.testns.svc.cluster.local.", "HINFO").nodata  # "other" qtypes: fake A
    assert p.query("a.b.c.svc1.testns.svc.cluster.local.", "A").rcode == "NXDOMAIN"  # too long
    assert p.query("_http._udp.svc1.testns.svc.cluster.local.", "SRV").rcode == "NXDOMAIN"
    assert p.query("ep1a.svc1.testns.svc.cluster.local.", "A").addresses == ["172.0.0.1"]  # non-headless too
    p.synced = False
    r = p.query("svc0.testns.svc.cluster.local.", "A")
    assert r.rcode == "SERVFAIL" and texts(r.authority) == [SOA5]


def test_upstream_quirks_beyond_the_spec():
    """Behaviour that follows from upstream's code paths but that A.6 does not spell out."""
    p = handler_plugin(pods="insecure")
    # SOA below the apex is NODATA without looking the name up -- even for a missing name.
    assert p.query("svc0.testns.svc.cluster.local.", "SOA").nodata
    # TXT never yields NXDOMAIN: Services() answers nil for every TXT name but dns-version.
    assert p.query("svc0.testns.svc.cluster.local.", "TXT").nodata
    # Apex NS/SOA have data (NS here falls back to ns.dns.<zone> -> CoreDNS's own IPs).
    assert p.query("cluster.local.", "SOA").answer[0].rtype == "SOA"
    # A headless service without ports: SRV is NODATA, _port._proto is NXDOMAIN.
    assert p.query("hdlsprtls.testns.svc.cluster.local.", "SRV").nodata
    assert p.query("_http._tcp.hdlsprtls.testns.svc.cluster.local.", "SRV").rcode == "NXDOMAIN"
    # Pod names ignore any extra labels on the left.
    assert p.query("x.10-240-0-1.podns.pod.cluster.local.", "A").addresses == ["10.240.0.1"]
    # Bare SRV: ports sharing a number collapse to one SRV, but weights count them all.
    p.on_service("ADDED", svc("dns2", "testns", ["10.0.0.53"], [port("dns", 53, "UDP"), port("dns-tcp", 53), port("m", 9153)]))
    srv = sorted(rr.rdata for rr in p.query("dns2.testns.svc.cluster.local.", "SRV").answer)
    assert srv == ["0 33 53 dns2.testns.svc.cluster.local.", "0 33 9153 dns2.testns.svc.cluster.local."]


def test_parse_request():
    r, err = parse_request("_http._tcp.svc1.testns.svc.cluster.local.", "cluster.local.")
    assert err is None and (r.port, r.protocol, r.service, r.namespace, r.pod_or_svc) == ("http", "tcp", "svc1", "testns", "svc")
    assert parse_request("x.testns.foo.cluster.local.", "cluster.local.")[1] is not None


@pytest.mark.parametrize(
    "ip,host,expected",
    [("172.0.0.2", "", "172-0-0-2"), ("5678:abcd::1", "", "5678-abcd--1"), ("fd00::", "", "fd00--0"), ("10.0.0.1", "web-0", "web-0")],
)
def test_endpoint_hostname(ip, host, expected):
    assert endpoint_hostname(ip, host) == expected


# --------------------------------------------------------------------------- pods


POD_VECTORS = [
    ("insecure", "10-240-0-1.podns.pod", "A", "NOERROR", ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"]),
    ("insecure", "172-0-0-2.podns.pod", "A", "NOERROR", ["172-0-0-2.podns.pod.cluster.local. 5 IN A 172.0.0.2"]),
    ("insecure", "blah.podns.pod", "A", "NXDOMAIN", []),
    ("insecure", "blah.podns.pod", "AAAA", "NXDOMAIN", []),
    ("insecure", "blah.podns.pod", "HINFO", "NXDOMAIN", []),
    ("insecure", "blah.pod-nons.pod", "A", "NXDOMAIN", []),
    ("insecure", "podns.pod", "A", "NOERROR", []),
    ("verified", "podns.pod", "A", "NOERROR", []),
    ("verified", "10-240-0-1.podns.pod", "A", "NOERROR", ["10-240-0-1.podns.pod.cluster.local. 5 IN A 10.240.0.1"]),
    ("verified", "172-0-0-2.podns.pod", "A", "NXDOMAIN", []),
    ("verified", "pod-nons.pod", "A", "NXDOMAIN", []),
    ("disabled", "10-240-0-1.podns.pod", "A", "NXDOMAIN", []),
    ("disabled", "podns.pod", "A", "NXDOMAIN", []),
    ("disabled", "pod", "A", "NOERROR", []),  # pod.<zone> itself is apex-ish, whatever the mode
]


@pytest.mark.parametrize("mode,name,qtype,rcode,answer", POD_VECTORS)
def test_pod_vectors(mode, name, qtype, rcode, answer):
    p = handler_plugin(pods=mode)
    resp = p.query(name + Z, qtype)
    assert resp.rcode == rcode
    assert texts(resp.answer) == answer


def test_pod_ipv6_insecure():
    p = handler_plugin(pods="insecure")
    assert p.query("fd00--1.podns.pod.cluster.local.", "AAAA").addresses == ["fd00::1"]
    assert p.query("fd00--1.podns.pod.cluster.local.", "A").nodata


# --------------------------------------------------------------------------- reverse


def reverse_plugin(**overrides) -> KubernetesPlugin:
    config = CoreDNSConfig.plugin_defaults(reverse_zones=("0.10.in-addr.arpa", "168.192.in-addr.arpa"), **overrides)
    p = KubernetesPlugin(config, clock=lambda: T0)
    p.on_namespace("ADDED", ns("testns"))
    p.on_service("ADDED", svc("svc1", "testns", ["192.168.1.100"], [HTTP]))
    p.on_slice("ADDED", eps("svc1-a", "testns", "svc1", [("10.0.0.100", "ep1a"), ("10.0.0.99", "double-ep")], [HTTP]))
    p.on_service("ADDED", svc("svc2", "testns", ["192.168.1.101"], [HTTP]))
    p.on_slice("ADDED", eps("svc2-a", "testns", "svc2", [("10.0.0.99", "double-ep")], [HTTP]))
    return p


@pytest.mark.parametrize(
    "qname,rcode,answer",
    [
        ("100.1.168.192.in-addr.arpa.", "NOERROR", ["svc1.testns.svc.cluster.local."]),
        ("100.0.0.10.in-addr.arpa.", "NOERROR", ["ep1a.svc1.testns.svc.cluster.local."]),
        (
            "99.0.0.10.in-addr.arpa.",
            "NOERROR",
            ["double-ep.svc1.testns.svc.cluster.local.", "double-ep.svc2.testns.svc.cluster.local."],
        ),
        ("101.0.0.10.in-addr.arpa.", "NXDOMAIN", []),
        ("svc1.testns.svc.cluster.local.", "NOERROR", []),
    ],
)
def test_reverse_vectors(qname, rcode, answer):
    resp = reverse_plugin().query(qname, "PTR")
    assert resp.rcode == rcode
    assert sorted(rr.rdata for rr in resp.answer) == answer
    assert all(rr.ttl == 5 and rr.name == qname for rr in resp.answer)


def test_reverse_nxdomain_soa_is_the_reverse_zone():
    resp = reverse_plugin().query("101.0.0.10.in-addr.arpa.", "PTR")
    assert texts(resp.authority) == [
        f"0.10.in-addr.arpa. 5 IN SOA ns.dns.0.10.in-addr.arpa. hostmaster.0.10.in-addr.arpa. {T0} 7200 1800 86400 5"
    ]


def test_kubeadm_reverse_fallthrough_goes_upstream():
    p = KubernetesPlugin(clock=lambda: T0)  # kubeadm: fallthrough in-addr.arpa ip6.arpa
    p.on_namespace("ADDED", ns("default"))
    p.on_service("ADDED", svc("redis", "default", ["10.96.140.27"], [port("redis", 6379)]))
    assert p.query("27.140.96.10.in-addr.arpa.", "PTR").answer[0].rdata == "redis.default.svc.cluster.local."
    unknown = p.query("5.1.244.10.in-addr.arpa.", "PTR")  # a pod IP that backs no service
    assert unknown.forwarded and unknown.rcode == "NXDOMAIN" and not unknown.aa


# --------------------------------------------------------------------------- options, TTL, SOA


def test_ignore_empty_service():
    p = handler_plugin(ignore_empty_service=True)
    assert p.query("svcempty.testns.svc.cluster.local.", "A").rcode == "NXDOMAIN"
    assert p.query("svc1.testns.svc.cluster.local.", "A").addresses == ["10.0.0.1"]
    assert p.query("external.testns.svc.cluster.local.", "CNAME").rcode == "NOERROR"


def test_ttl_30_in_kubeadm_config_and_5_by_default():
    kubeadm = load_handler_fixture(KubernetesPlugin(CoreDNSConfig(), clock=lambda: T0))
    r = kubeadm.query("svc1.testns.svc.cluster.local.", "A")
    assert [rr.ttl for rr in r.answer] == [30]
    nx = kubeadm.query("svc0.testns.svc.cluster.local.", "A")
    assert texts(nx.authority) == [f"cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. {T0} 7200 1800 86400 30"]
    assert [rr.ttl for rr in handler_plugin().query("svc1.testns.svc.cluster.local.", "A").answer] == [5]
    big = load_handler_fixture(KubernetesPlugin(CoreDNSConfig(ttl=600), clock=lambda: T0))
    soa = big.query("svc0.testns.svc.cluster.local.", "A").authority[0]
    assert soa.ttl == 300 and soa.rdata.endswith(" 600")  # SOA TTL capped at 300, minimum = ttl
    with pytest.raises(ValueError):
        CoreDNSConfig(ttl=3601)


def test_nodata_versus_nxdomain():
    p = handler_plugin()
    nodata = p.query("svc1.testns.svc.cluster.local.", "AAAA")
    nx = p.query("svc0.testns.svc.cluster.local.", "AAAA")
    assert (nodata.rcode, nodata.answer, nodata.nodata) == ("NOERROR", (), True)
    assert (nx.rcode, nx.nodata) == ("NXDOMAIN", False)
    assert nodata.authority[0].rtype == nx.authority[0].rtype == "SOA"
    # A headless service with no ready endpoints has no records at all: NXDOMAIN.
    p.on_service("ADDED", svc("lonely", "testns", ["None"], [HTTP]))
    p.on_slice("ADDED", eps("lonely-a", "testns", "lonely", [("172.0.0.50", None, False)], [HTTP]))
    assert p.query("lonely.testns.svc.cluster.local.", "A").rcode == "NXDOMAIN"


def test_ns_at_apex_uses_coredns_service():
    config = CoreDNSConfig(local_ips=("10.244.0.2",))
    p = KubernetesPlugin(config, clock=lambda: T0)
    p.on_namespace("ADDED", ns("kube-system"))
    p.on_service("ADDED", svc("kube-dns", "kube-system", ["10.96.0.10"], [port("dns", 53, "UDP")]))
    p.on_slice("ADDED", eps("kube-dns-x", "kube-system", "kube-dns", [("10.244.0.2", None)], [port("dns", 53, "UDP")]))
    r = p.query("cluster.local.", "NS")
    assert texts(r.answer) == ["cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local."]
    assert texts(r.additional) == ["kube-dns.kube-system.svc.cluster.local. 30 IN A 10.96.0.10"]
    assert p.query("ns.dns.cluster.local.", "A").addresses == ["10.96.0.10"]


def test_corefile_matches_kubeadm():
    assert CoreDNSConfig().corefile() == (
        ".:53 {\n"
        "    errors\n"
        "    health {\n"
        "       lameduck 5s\n"
        "    }\n"
        "    ready\n"
        "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n"
        "       pods insecure\n"
        "       fallthrough in-addr.arpa ip6.arpa\n"
        "       ttl 30\n"
        "    }\n"
        "    prometheus :9153\n"
        "    forward . /etc/resolv.conf {\n"
        "       max_concurrent 1000\n"
        "    }\n"
        "    cache 30\n"
        "    loop\n"
        "    reload\n"
        "    loadbalance\n"
        "}\n"
    )


def test_loadbalance_shuffles_with_rng_and_is_stable_without():
    stable = handler_plugin(loadbalance=True)
    a = stable.query("hdls1.testns.svc.cluster.local.", "A").addresses
    assert a == stable.query("hdls1.testns.svc.cluster.local.", "A").addresses
    shuffled = handler_plugin(loadbalance=True)
    shuffled.rng = random.Random(7)
    orders = {tuple(shuffled.query("hdls1.testns.svc.cluster.local.", "A").addresses) for _ in range(20)}
    assert len(orders) > 1 and all(sorted(o) == sorted(a) for o in orders)


# --------------------------------------------------------------------------- incremental updates


def test_service_added_then_deleted():
    now = [T0]
    p = KubernetesPlugin(clock=lambda: now[0])
    assert p.on_namespace("ADDED", ns("default")) == []
    redis = svc("redis", "default", ["10.96.140.27"], [port("redis", 6379)])
    assert p.query("redis.default.svc.cluster.local.", "A").rcode == "NXDOMAIN"

    now[0] = T0 + 10
    changes = p.on_service("ADDED", redis)
    lines = [c.line() for c in changes]
    assert "CoreDNS serves redis.default.svc.cluster.local -> 10.96.140.27" in lines
    assert "CoreDNS serves _redis._tcp.redis.default.svc.cluster.local -> redis.default.svc.cluster.local:6379 (SRV)" in lines
    assert "CoreDNS serves 27.140.96.10.in-addr.arpa -> redis.default.svc.cluster.local (PTR)" in lines
    assert p.query("redis.default.svc.cluster.local.", "A").addresses == ["10.96.140.27"]
    assert p.serial == T0 + 10

    # Endpoints of a ClusterIP service: endpoint names and PTRs appear, the A record does not change.
    now[0] = T0 + 20
    changes = p.on_slice("ADDED", eps("redis-x7k2p", "default", "redis", [("10.244.1.5", None)], [port("redis", 6379)]))
    assert {c.record.kind for c in changes} == {"endpoint", "ptr"}
    assert p.query("5.1.244.10.in-addr.arpa.", "PTR").answer[0].rdata == "10-244-1-5.redis.default.svc.cluster.local."

    now[0] = T0 + 30
    changes = p.on_service("DELETED", redis)
    assert all(c.action == "removed" for c in changes)
    assert "CoreDNS no longer serves redis.default.svc.cluster.local -> 10.96.140.27" in [c.line() for c in changes]
    resp = p.query("redis.default.svc.cluster.local.", "A")
    assert resp.rcode == "NXDOMAIN" and resp.authority[0].rdata.split()[2] == str(T0 + 30)
    # Unchanged MODIFIED events do not move the serial.
    now[0] = T0 + 40
    p.on_slice("MODIFIED", eps("redis-x7k2p", "default", "redis", [("10.244.1.5", None)], [port("redis", 6379)]))
    assert p.serial == T0 + 30


def test_headless_readiness_and_namespace_lifecycle():
    p = KubernetesPlugin(clock=lambda: T0)
    web = svc("web", "apps", ["None"], [HTTP])
    p.on_service("ADDED", web)
    slice_ = eps("web-a", "apps", "web", [("10.244.1.7", "web-0", False)], [HTTP])
    p.on_slice("ADDED", slice_)
    assert p.records() == []  # namespace not seen yet: nothing is served
    p.on_namespace("ADDED", ns("apps"))
    assert p.query("web.apps.svc.cluster.local.", "A").rcode == "NXDOMAIN"  # not ready yet
    slice_["endpoints"][0]["conditions"]["ready"] = True
    changes = p.on_slice("MODIFIED", slice_)
    described = sorted(c.record.describe() for c in changes if c.action == "added")
    assert described == [
        "7.1.244.10.in-addr.arpa -> web-0.web.apps.svc.cluster.local (PTR)",
        "_http._tcp.web.apps.svc.cluster.local -> web-0.web.apps.svc.cluster.local:80 (SRV)",
        "web-0.web.apps.svc.cluster.local -> 10.244.1.7",
        "web.apps.svc.cluster.local -> 10.244.1.7",
    ]
    kinds = [r.kind for r in p.records()]
    assert kinds == ["headless", "srv", "endpoint", "ptr"]
    removed = p.on_namespace("DELETED", ns("apps"))
    assert {c.action for c in removed} == {"removed"}
    assert p.query("web.apps.svc.cluster.local.", "A").rcode == "NXDOMAIN"


def test_records_listing_for_dashboard():
    p = handler_plugin(pods="insecure", reverse_zones=("in-addr.arpa", "ip6.arpa"))
    recs = {(r.kind, r.name, r.rtype, r.rdata) for r in p.records()}
    assert ("service", "svc1.testns.svc.cluster.local.", "A", "10.0.0.1") in recs
    assert ("srv", "_http._tcp.svc1.testns.svc.cluster.local.", "SRV", "0 100 80 svc1.testns.svc.cluster.local.") in recs
    assert ("headless", "hdls1.testns.svc.cluster.local.", "AAAA", "5678:abcd::2") in recs
    assert ("endpoint", "dup-name.hdls1.testns.svc.cluster.local.", "A", "172.0.0.5") in recs
    assert ("externalname", "external.testns.svc.cluster.local.", "CNAME", "ext.interwebs.test.") in recs
    assert ("ptr", "1.0.0.10.in-addr.arpa.", "PTR", "svc1.testns.svc.cluster.local.") in recs
    assert ("pod", "10-240-0-1.podns.pod.cluster.local.", "A", "10.240.0.1") in recs
    # Every listed record is really served.
    for r in p.records():
        assert r.to_rr() in p.query(r.name, r.rtype).answer


def test_pod_events_and_verified_mode():
    p = handler_plugin(pods="verified")
    assert p.query("10-240-0-1.podns.pod.cluster.local.", "A").addresses == ["10.240.0.1"]
    done = {"metadata": {"name": "foo", "namespace": "podns"}, "status": {"phase": "Succeeded", "podIP": "10.240.0.1"}}
    changes = p.on_pod("MODIFIED", done)
    assert [c.action for c in changes] == ["removed"]
    assert p.query("10-240-0-1.podns.pod.cluster.local.", "A").rcode == "NXDOMAIN"


def test_bad_event_type():
    with pytest.raises(ValueError):
        KubernetesPlugin().on_namespace("BOOKMARK", ns("x"))


# --------------------------------------------------------------------------- A.10 resolv.conf and search


@pytest.fixture
def kind_cluster() -> KubernetesPlugin:
    p = KubernetesPlugin(clock=lambda: T0, upstream=StaticUpstream({"google.com": {"A": ["142.250.185.78"]}}))
    for n in ("default", "kube-system", "other"):
        p.on_namespace("ADDED", ns(n))
    p.on_service("ADDED", svc("kubernetes", "default", ["10.96.0.1"], [port("https", 443)]))
    p.on_service("ADDED", svc("redis", "default", ["10.96.140.27"], [port("redis", 6379)]))
    p.on_service(
        "ADDED",
        svc("kube-dns", "kube-system", ["10.96.0.10"], [port("dns", 53, "UDP"), port("dns-tcp", 53), port("metrics", 9153)]),
    )
    return p


def test_resolv_conf_text():
    assert resolv_conf("default", "10.96.0.10", "cluster.local") == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\n"
        "options ndots:5\n"
    )
    with_node = resolv_conf("other", "10.96.0.10", "cluster.local", node_search=("cluster.local", "corp.example.", "."))
    assert with_node.splitlines()[0] == "search other.svc.cluster.local svc.cluster.local cluster.local corp.example"
    conf = ResolvConf.parse(with_node)
    assert conf.ndots == 5 and conf.nameservers == ("10.96.0.10",)


D = ".default.svc.cluster.local"
SEARCH_TABLE = [
    # typed, [(candidate, outcome)], hit index, addresses
    ("redis", [("redis" + D, "hit")], 1, ["10.96.140.27"]),
    ("redis.default", [("redis.default" + D, "NXDOMAIN"), ("redis.default.svc.cluster.local", "hit")], 2, ["10.96.140.27"]),
    (
        "redis.default.svc",
        [
            ("redis.default.svc" + D, "NXDOMAIN"),
            ("redis.default.svc.svc.cluster.local", "NXDOMAIN"),
            ("redis.default.svc.cluster.local", "hit"),
        ],
        3,
        ["10.96.140.27"],
    ),
    (
        "kube-dns.kube-system",
        [("kube-dns.kube-system" + D, "NXDOMAIN"), ("kube-dns.kube-system.svc.cluster.local", "hit")],
        2,
        ["10.96.0.10"],
    ),
    (
        "google.com",
        [
            ("google.com" + D, "NXDOMAIN"),
            ("google.com.svc.cluster.local", "NXDOMAIN"),
            ("google.com.cluster.local", "NXDOMAIN"),
            ("google.com", "hit"),
        ],
        4,
        ["142.250.185.78"],
    ),
    ("redis.default.svc.cluster.local.", [("redis.default.svc.cluster.local.", "hit")], 1, ["10.96.140.27"]),
]


@pytest.mark.parametrize("typed,tries,hit_index,addresses", SEARCH_TABLE, ids=[t[0] for t in SEARCH_TABLE])
def test_search_expansion_table(kind_cluster, typed, tries, hit_index, addresses):
    result = resolve(typed, ADDRESS, resolv_conf("default"), kind_cluster)
    got = [(a.name, "hit" if a.hit else a.rcode) for a in result.attempts]
    assert got == tries
    assert result.hit_index == hit_index
    assert result.addresses == addresses
    assert result.hit.responses[0].forwarded == (typed == "google.com")


def test_search_from_other_namespace_and_errors(kind_cluster):
    r = resolve("redis", ADDRESS, resolv_conf("other"), kind_cluster)
    assert not r.found and r.error == "HOST_NOT_FOUND"
    assert r.tried == ["redis.other.svc.cluster.local", "redis.svc.cluster.local", "redis.cluster.local", "redis"]
    # Six dots: as-is first, then the search list.
    long = resolve("a.b.c.d.e.example", "A", resolv_conf("default"), kind_cluster)
    assert long.tried[0] == "a.b.c.d.e.example" and len(long.tried) == 4


def test_glibc_moves_on_after_nodata_musl_stops(kind_cluster):
    conf = resolv_conf("default")
    glibc = resolve("kube-system", ADDRESS, conf, kind_cluster)
    assert [(a.name, a.nodata) for a in glibc.attempts][:2] == [
        ("kube-system.default.svc.cluster.local", False),
        ("kube-system.svc.cluster.local", True),  # the namespace "exists": NODATA
    ]
    assert len(glibc.attempts) == 4 and glibc.error == "NO_DATA"
    musl = resolve("kube-system", ADDRESS, conf, kind_cluster, libc="musl")
    assert musl.tried == ["kube-system.default.svc.cluster.local", "kube-system.svc.cluster.local"]
    assert musl.error == "EAI_NODATA"
    # musl: a trailing dot (or >= ndots dots) means as-is only; 4 dots still walk the list.
    musl_abs = resolve("redis.default.svc.cluster.local.", ADDRESS, conf, kind_cluster, libc="musl")
    assert musl_abs.tried == ["redis.default.svc.cluster.local."] and musl_abs.found
    musl_4 = resolve("redis.default.svc.cluster.local", ADDRESS, conf, kind_cluster, libc="musl")
    assert len(musl_4.tried) == 4 and musl_4.hit_index == 4


# --------------------------------------------------------------------------- dig / nslookup


def test_dig_a_record_exact(kind_cluster):
    out = render_dig(kind_cluster.query("redis.default.svc.cluster.local", "A"), msg_id=41528, when=T0)
    assert out == (
        "\n"
        "; <<>> DiG 9.18.30 <<>> redis.default.svc.cluster.local\n"
        ";; global options: +cmd\n"
        ";; Got answer:\n"
        ";; WARNING: .local is reserved for Multicast DNS\n"
        ";; You are currently testing what happens when an mDNS query is leaked to DNS\n"
        ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 41528\n"
        ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n"
        ";; WARNING: recursion requested but not available\n"
        "\n"
        ";; OPT PSEUDOSECTION:\n"
        "; EDNS: version: 0, flags:; udp: 1232\n"
        "; COOKIE: 5b1c6bd4ce2b2ac2 (echoed)\n"
        ";; QUESTION SECTION:\n"
        ";redis.default.svc.cluster.local. IN\tA\n"
        "\n"
        ";; ANSWER SECTION:\n"
        "redis.default.svc.cluster.local. 30 IN\tA\t10.96.140.27\n"
        "\n"
        ";; Query time: 0 msec\n"
        ";; SERVER: 10.96.0.10#53(10.96.0.10) (UDP)\n"
        ";; WHEN: Tue Nov 14 22:13:20 UTC 2023\n"
        ";; MSG SIZE  rcvd: 119\n"
        "\n"
    )


def test_dig_kubernetes_default_size_matches_real_dig(kind_cluster):
    # A real kind cluster answers `dig kubernetes.default.svc.cluster.local` with 129 bytes.
    out = render_dig(kind_cluster.query("kubernetes.default.svc.cluster.local"), msg_id=1, when=T0)
    assert ";; MSG SIZE  rcvd: 129\n" in out
    assert "kubernetes.default.svc.cluster.local. 30 IN A\t10.96.0.1\n" in out


def test_dig_nxdomain_and_srv(kind_cluster):
    nx = render_dig(kind_cluster.query("nope.default.svc.cluster.local"), msg_id=7, when=T0, cookie=None)
    assert ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 7\n" in nx
    assert ";; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n" in nx
    assert ";nope.default.svc.cluster.local.\tIN\tA\n" in nx
    assert (
        ";; AUTHORITY SECTION:\n"
        f"cluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. {T0} 7200 1800 86400 30\n\n"
    ) in nx
    assert "COOKIE" not in nx and ";; MSG SIZE  rcvd: 152\n" in nx
    srv = render_dig(kind_cluster.query("_dns._udp.kube-dns.kube-system.svc.cluster.local", "SRV"), msg_id=8, when=T0)
    assert "<<>> _dns._udp.kube-dns.kube-system.svc.cluster.local SRV\n" in srv
    assert ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 2\n" in srv
    assert (
        "_dns._udp.kube-dns.kube-system.svc.cluster.local. 30 IN\tSRV 0 100 53 kube-dns.kube-system.svc.cluster.local.\n"
    ) in srv
    assert ";; ADDITIONAL SECTION:\nkube-dns.kube-system.svc.cluster.local.\t30 IN A\t10.96.0.10\n" in srv


def test_dig_forwarded_and_columns(kind_cluster):
    out = render_dig(kind_cluster.query("google.com"), msg_id=9, when=T0)
    assert ";; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n\n" in out
    assert "WARNING" not in out  # neither the RA warning nor the .local one
    assert ";google.com.\t\t\tIN\tA\n" in out
    assert "google.com.\t\t30\tIN\tA\t142.250.185.78\n" in out
    assert format_rr(RR("a.b.", 5, "IN", "TXT", '"x"')) == 'a.b.\t\t\t5\tIN\tTXT\t"x"'
    assert format_question("a.b.", "AAAA") == ";a.b.\t\t\t\tIN\tAAAA"


def test_dig_retries_over_tcp_when_truncated():
    p = KubernetesPlugin(clock=lambda: T0)
    p.on_namespace("ADDED", ns("default"))
    p.on_service("ADDED", svc("big", "default", ["None"], [HTTP]))
    p.on_slice("ADDED", eps("big-a", "default", "big", [(f"10.244.{i // 250}.{i % 250 + 1}", None) for i in range(120)], [HTTP]))
    resp = p.query("big.default.svc.cluster.local", "A")
    out = render_dig(resp, msg_id=3, when=T0)
    assert out.startswith(";; Truncated, retrying in TCP mode.\n\n; <<>> DiG 9.18.30 <<>> big.default.svc.cluster.local\n")
    assert "ANSWER: 120," in out and "(TCP)\n" in out and " tc" not in out
    # Compressed, it would fit in 1232 bytes: then no TC and no retry at all.
    small = DnsResponse(resp.qname, "A", aa=True, answer=resp.answer[:40])
    assert "(UDP)" in render_dig(small, msg_id=3, when=T0)


def test_nslookup_busybox_output(kind_cluster):
    conf = resolv_conf("default")
    out = nslookup("redis", conf, kind_cluster)
    assert out.exit_code == 1  # some search candidates were NXDOMAIN
    assert out.stdout == (
        "Server:\t\t10.96.0.10\n"
        "Address:\t10.96.0.10:53\n"
        "\n"
        "Name:\tredis.default.svc.cluster.local\n"
        "Address: 10.96.140.27\n"
        "\n"
        "** server can't find redis.svc.cluster.local: NXDOMAIN\n"
        "\n"
        "** server can't find redis.cluster.local: NXDOMAIN\n"
        "\n"
        "*** Can't find redis.default.svc.cluster.local: No answer\n"
        "\n"
        "** server can't find redis.svc.cluster.local: NXDOMAIN\n"
        "\n"
        "** server can't find redis.cluster.local: NXDOMAIN\n"
        "\n"
    )
    # A dotted name gets no search domains in busybox: the classic kubernetes.default failure.
    assert nslookup_queries("kubernetes.default", conf) == [("kubernetes.default", "A"), ("kubernetes.default", "AAAA")]
    fail = nslookup("kubernetes.default", conf, kind_cluster)
    assert "** server can't find kubernetes.default: NXDOMAIN\n" in fail.stdout
    fqdn_out = nslookup("kubernetes.default.svc.cluster.local", conf, kind_cluster).stdout
    assert "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n" in fqdn_out
    ptr = nslookup("10.96.0.10", conf, kind_cluster).stdout
    assert "10.0.96.10.in-addr.arpa\tname = kube-dns.kube-system.svc.cluster.local\n" in ptr
    ext = nslookup("google.com", conf, kind_cluster).stdout
    assert "Non-authoritative answer:\nName:\tgoogle.com\nAddress: 142.250.185.78\n" in ext
