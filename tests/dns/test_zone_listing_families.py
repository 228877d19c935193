"""The DNS pane's records are CoreDNS's own answers: for every name the listing holds, A and
AAAA asked of the plugin answer exactly the listing's records of that name and type -- the
IPv6 and dual-stack Services and endpoints included, though the listing no longer asks AAAA
of a Service whose addresses are all IPv4 (an empty answer it cannot list)."""
from __future__ import annotations

from tests.dns.test_dns import handler_plugin


def test_every_listed_name_answers_a_and_aaaa_exactly_as_listed():
    p = handler_plugin()
    listed = [r for r in p.records("testns") if r.kind in ("service", "headless", "endpoint")]
    names = {r.name for r in listed}
    assert names
    for name in names:
        for t in ("A", "AAAA"):
            asked = sorted(rr.rdata for rr in p.query(name, t).answer if rr.rtype == t)
            assert asked == sorted(r.rdata for r in listed if r.name == name and r.rtype == t), (name, t)


def test_ipv6_and_dual_stack_records_are_listed_and_an_ipv4_services_are_not_aaaa():
    p = handler_plugin()
    aaaa = {(r.name, r.rdata) for r in p.records("testns") if r.rtype == "AAAA"}
    assert ("svc6.testns.svc.cluster.local.", "1234:abcd::1") in aaaa
    assert ("svc-dual-stack.testns.svc.cluster.local.", "10::3") in aaaa
    assert ("5678-abcd--1.hdls1.testns.svc.cluster.local.", "5678:abcd::1") in aaaa
    assert not [n for n, _ in aaaa if n.startswith("svc1.")]
    assert p.query("svc1.testns.svc.cluster.local.", "AAAA").answer == ()
