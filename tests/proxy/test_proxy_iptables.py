"""kube-proxy iptables-mode renderer (engine.proxy) against upstream's own expectations.

* every case of shared/docs/kube-proxy-iptables-vectors.json, byte for byte (the
  vectors restate pkg/proxy/iptables/proxier_test.go, about v1.33), plus the upstream
  packet-flow assertions that come with them, traced through the resulting tables the
  way proxier_test.go's tracer does;
* upstream dumps the vectors hold back (TestOverallIPTablesRules, TestBadIPs, all nine
  steps of TestSyncProxyRulesRepeated including the failed partial restore), restated
  here from proxier_test.go;
* chain-name hashes, partial syncs, large-cluster mode, and what ``iptables-save``
  prints (checked against the real iptables 1.8.9 binaries when they can be run in a
  private network namespace).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.proxy.config import LocalDetector, ProxierConfig
from engine.proxy.ipnet import parse_cidr_sloppy, parse_ip_sloppy
from engine.proxy.iptables import chains as C
from engine.proxy.iptables.chains import endpoint_chain, external_chain, firewall_chain, local_chain, service_chain
from engine.proxy.iptables.netfilter import rule_target
from engine.proxy.iptables.normalize import split_args
from engine.proxy.iptables.proxier import IPTablesProxier

REPO = Path(__file__).resolve().parents[2]


def _find_vectors() -> Path | None:
    candidates = [
        os.environ.get("SVCFLOW_SHARED_DOCS", ""),
        str(REPO.parent / "shared" / "docs"),
        str(REPO / "shared" / "docs"),
        "/work/shared/docs",
    ]
    for c in candidates:
        if c and (Path(c) / "kube-proxy-iptables-vectors.json").is_file():
            return Path(c) / "kube-proxy-iptables-vectors.json"
    return None


VECTORS_PATH = _find_vectors()
VECTORS = json.loads(VECTORS_PATH.read_text()) if VECTORS_PATH else {"cases": []}
CASES = {c["name"]: c for c in VECTORS["cases"]}
needs_vectors = pytest.mark.skipif(VECTORS_PATH is None, reason="shared/docs vectors not found")


# --------------------------------------------------------------------- vector adapter
# The vectors describe inputs in a flattened form; these build API-shaped dicts.


def service_dict(v: dict) -> dict:
    spec: dict = {"type": v.get("type") or "ClusterIP", "clusterIP": v.get("clusterIP"), "ports": []}
    for p in v.get("ports") or []:
        d = {"name": p.get("name") or "", "port": p["port"], "protocol": p.get("protocol") or "TCP"}
        if p.get("nodePort"):
            d["nodePort"] = p["nodePort"]
        if p.get("targetPort") is not None:
            d["targetPort"] = p["targetPort"]
        spec["ports"].append(d)
    for k in ("externalTrafficPolicy", "internalTrafficPolicy", "healthCheckNodePort",
              "clusterIPs", "ipFamilies", "ipFamilyPolicy", "trafficDistribution"):
        if v.get(k) is not None:
            spec[k] = v[k]
    spec["sessionAffinity"] = v.get("sessionAffinity") or "None"
    if spec["sessionAffinity"] == "ClientIP":
        spec["sessionAffinityConfig"] = {
            "clientIP": {"timeoutSeconds": v.get("sessionAffinityTimeoutSeconds") or 10800}}
    if v.get("externalIPs"):
        spec["externalIPs"] = list(v["externalIPs"])
    if v.get("loadBalancerSourceRanges"):
        spec["loadBalancerSourceRanges"] = list(v["loadBalancerSourceRanges"])
    md = {"namespace": v["namespace"], "name": v["name"]}
    if v.get("annotations"):
        md["annotations"] = dict(v["annotations"])
    ingress = [dict(i) for i in v.get("loadBalancerIngress") or []]
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec,
            "status": {"loadBalancer": {"ingress": ingress}}}


def slice_dict(v: dict) -> dict:
    eps = []
    for e in v.get("endpoints") or []:
        cond = {k: e[k] for k in ("ready", "serving", "terminating") if e.get(k) is not None}
        d: dict = {"addresses": list(e.get("addresses") or []), "conditions": cond}
        for k in ("nodeName", "zone", "hints"):
            if e.get(k) is not None:
                d[k] = e[k]
        zones = e.get("zoneHints") or e.get("zone_hints") or e.get("forZones")
        nodes = e.get("nodeHints") or e.get("node_hints") or e.get("forNodes")
        if zones or nodes:
            d["hints"] = {"forZones": [{"name": z if isinstance(z, str) else z["name"]} for z in zones or []],
                          "forNodes": [{"name": n if isinstance(n, str) else n["name"]} for n in nodes or []]}
        eps.append(d)
    ports = [{"name": p.get("name"), "port": p.get("port"), "protocol": p.get("protocol") or "TCP"}
             for p in v.get("ports") or []]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"namespace": v["namespace"], "name": v["name"],
                         "labels": {"kubernetes.io/service-name": v["service"]}},
            "addressType": v.get("addressType") or "IPv4", "endpoints": eps, "ports": ports}


def config_of(case: dict) -> ProxierConfig:
    """The proxier configuration a vector describes (the upstream test fake's flags)."""
    pc, node = case["proxier_config"], case["node"]
    det = pc.get("local_traffic_detector") or {}
    detector = None
    if det.get("mode") in ("ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix"):
        value = det.get("cidr") or det.get("interface") or det.get("prefix") or det.get("value")
        detector = LocalDetector(det["mode"], value)
    addrs = [a for al in (node.get("interface_addresses") or {}).values() for a in al]
    nf = pc.get("nfacct_counters_available") or {}
    gates = dict(pc.get("feature_gates") or {})
    for k, v in pc.items():  # flattened gate flags, e.g. "load_balancer_ip_mode_enabled"
        if isinstance(v, bool) and "ip_mode" in k:
            gates.setdefault("LoadBalancerIPMode", v)
    labels = dict(node.get("labels") or {})
    if node.get("zone"):
        labels.setdefault("topology.kubernetes.io/zone", node["zone"])
    extra = {}
    if pc.get("sync_period_seconds") is not None:
        extra["sync_period"] = float(pc["sync_period_seconds"])
    if not pc.get("masquerade_mark") and pc.get("masquerade_bit") is not None:
        extra["masquerade_bit"] = int(pc["masquerade_bit"])
    return ProxierConfig(
        node_name=node.get("name", ""),
        node_ips=addrs,
        node_ip=node.get("ip"),
        ip_family=pc.get("ip_family", "IPv4"),
        local_detector=detector,
        masquerade_all=bool(pc.get("masquerade_all")),
        masquerade_mark_literal=pc.get("masquerade_mark"),
        localhost_node_ports=bool(pc.get("localhost_nodeports")),
        node_port_addresses=pc.get("nodeport_addresses"),
        random_fully=bool(pc.get("iptables_has_random_fully")),
        nfacct_ct_state_invalid=bool(nf.get("ct_state_invalid_dropped_pkts")),
        nfacct_localhost_node_ports=bool(nf.get("localhost_nps_accepted_pkts")),
        conntrack_tcp_be_liberal=bool(pc.get("conntrack_tcp_be_liberal")),
        node_labels=labels,
        load_balancer_ip_mode=bool(gates.get("LoadBalancerIPMode", True)),
        prefer_same_traffic_distribution=bool(gates.get("PreferSameTrafficDistribution", True)),
        **extra,
    )


def key_of(obj: dict) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def seed_nat_service_chains(p: IPTablesProxier, names: list[str]) -> None:
    """Make the node's nat table hold exactly ``names`` as service chains (empty),
    as the ``existing_service_chains_in_nat_before_sync`` of a vector says."""
    t = p.netfilter.table("nat")
    for c in [c for c in t.chains if C.is_service_chain_name(c)]:
        del t.chains[c]
    for c in names:
        t.chains[c] = []
    refs: dict[str, int] = {}
    for rules in t.chains.values():
        for r in rules:
            tg = rule_target(r)
            if tg:
                refs[tg] = refs.get(tg, 0) + 1
    t.refs = refs


def run_case(case: dict):
    """Set up the proxier state a case starts from, run its sync, return both."""
    p = IPTablesProxier(config_of(case))
    svcs = [service_dict(s) for s in case["services"]]
    slices = [slice_dict(s) for s in case["endpoint_slices"]]
    seq = case.get("sequence") or {}
    existing = seq.get("existing_service_chains_in_nat_before_sync")
    if case.get("sync") == "partial":
        changed = seq.get("changed_services_since_previous_sync") or []
        changed = set(changed) if isinstance(changed, list) else set()
        # The previous sync knew every service except the changed ones (new, modified or
        # deleted since): those must be rewritten, whatever they were before.
        p.sync([s for s in svcs if key_of(s) not in changed], slices, now=0.0)
        seed_nat_service_chains(p, existing or [])
        # Upstream's syncs follow each other within milliseconds (which matters only for
        # large-cluster mode's cleanup interval) unless the case says otherwise.
        age = next((float(v) for k, v in seq.items() if "cleanup" in k and isinstance(v, (int, float))
                    and not isinstance(v, bool)), 0.001)
        return p, p.sync(svcs, slices, changed=changed, now=age)
    if existing:
        p.sync([], [], now=0.0)
        seed_nat_service_chains(p, existing)
        p.force_full_sync()
    return p, p.sync(svcs, slices, now=1.0)


def chain_rules(restore: str, table: str, chain: str) -> str:
    """assertIPTablesChainEqual's view: the chain's rules, one per line ('' if absent)."""
    out, cur = [], None
    for line in restore.splitlines():
        if line.startswith("*"):
            cur = line[1:]
        elif cur == table and line.startswith(f"-A {chain} "):
            out.append(line + "\n")
    return "".join(out)


# ---------------------------------------------------------- sortIPTablesRules (text)


def _comment_of(line: str) -> str | None:
    args = split_args(line)
    for i, a in enumerate(args):
        if a == "--comment" and i + 1 < len(args):
            return args[i + 1]
    return None


def sort_iptables_rules(text: str) -> str:
    """A text-only restatement of proxier_test.go's sortIPTablesRules + dump.String()."""
    tables = []
    cur = None
    for line in text.splitlines():
        if line.startswith("*"):
            cur = {"name": line[1:], "chains": [], "rules": {}, "deleted": []}
            tables.append(cur)
        elif line.startswith(":"):
            cur["chains"].append(line[1:].split(" ", 1)[0])
        elif line.startswith("-A "):
            chain = line.split(" ", 2)[1]
            cur["rules"].setdefault(chain, []).append(line)
        elif line.startswith("-X "):
            cur["deleted"].append(line[3:])

    def chain_key(c: str):
        if c == "KUBE-NODEPORTS":
            return (0, "")
        if c == "KUBE-SERVICES":
            return (1, "")
        return (2 if c.startswith("KUBE-") else 3, c)

    def svc_name(line: str) -> str:
        c = _comment_of(line) or ""
        for j, ch in enumerate(c):
            if ch in " :":
                return c[:j]
        return c

    out = []
    for t in sorted(tables, key=lambda t: t["name"]):
        t["chains"].sort(key=chain_key)
        for c in ("KUBE-NODEPORTS", "KUBE-SERVICES"):
            rules = t["rules"].get(c)
            if rules:
                last = t["name"] == "nat" and c == "KUBE-SERVICES"
                t["rules"][c] = sorted(rules, key=lambda l: (
                    1 if last and "must be the last rule" in (_comment_of(l) or "") else 0, svc_name(l)))
        out.append(f"*{t['name']}")
        out += [f":{c} - [0:0]" for c in t["chains"]]
        for c in t["chains"]:
            out += t["rules"].get(c, [])
        out += [f"-X {c}" for c in t["chains"] if c in t["deleted"]]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------ packet-flow tracer
# proxier_test.go's iptablesTracer, over the rules now in the node's tables.


class _TRule:
    def __init__(self, spec: str):
        self.opts: dict[str, tuple[str, bool]] = {}
        args = split_args(spec)
        neg = False
        i = 0
        while i < len(args):
            a = args[i]
            if a == "!":
                neg = True
                i += 1
                continue
            if a.startswith("-") and i + 1 < len(args) and not args[i + 1].startswith("-"):
                self.opts.setdefault(a, (args[i + 1], neg))
                i += 2
            else:
                self.opts.setdefault(a, ("", neg))
                i += 1
            neg = False

    def get(self, *names: str) -> tuple[str, bool] | None:
        for n in names:
            if n in self.opts:
                return self.opts[n]
        return None


def _addr_matches(value: tuple[str, bool], ip_s: str) -> bool:
    ip = parse_ip_sloppy(ip_s)
    assert ip is not None, f"bad IP in trace: {ip_s}"
    if "/" in value[0]:
        net = parse_cidr_sloppy(value[0])
        m = net is not None and net.version == ip.version and ip in net
    else:
        m = parse_ip_sloppy(value[0]) == ip
    return m != value[1]


class Tracer:
    def __init__(self, p: IPTablesProxier, local_ips: list[str]):
        self.nf = p.netfilter
        self.local = set(local_ips) | {"127.0.0.1", "::1"}
        self.outputs: list[str] = []
        self.masq = False

    def matches(self, r: _TRule, src: str, proto: str, dst: str, dport: str) -> bool:
        v = r.get("-s", "--source")
        if v and not _addr_matches(v, src):
            return False
        v = r.get("--src-type")
        if v and ((v[0] == ("LOCAL" if src in self.local else "not-matched")) == v[1]):
            return False
        v = r.get("-p", "--protocol")
        if v and ((v[0].lower() == proto) == v[1]):
            return False
        v = r.get("-d", "--destination")
        if v and not _addr_matches(v, dst):
            return False
        v = r.get("--dst-type")
        if v and ((v[0] == ("LOCAL" if dst in self.local else "not-matched")) == v[1]):
            return False
        v = r.get("--dport")
        if v and ((v[0] == dport) == v[1]):
            return False
        if r.get("--rcheck") or r.get("--mark") or r.get("--ctstate"):
            return False
        return True

    def run(self, table: str, chain: str, src: str, proto: str, dst: str, dport: str) -> bool:
        for spec in self.nf.rules(table, chain):
            r = _TRule(spec)
            jump = r.get("-j")
            if jump is None or not self.matches(r, src, proto, dst, dport):
                continue
            j = jump[0]
            if j == "KUBE-MARK-MASQ":
                self.masq = True
            elif j in ("ACCEPT", "REJECT", "DROP"):
                self.outputs.append(j)
                return True
            elif j == "DNAT":
                self.outputs.append(r.get("--to-destination")[0])
                return True
            else:
                if self.run(table, j, src, proto, dst, dport) and r.get("--probability") is None:
                    return True
        return False

    def trace(self, src: str, proto: str, dst: str, dport: int) -> tuple[str, bool]:
        dport_s = str(dport)
        self.run("nat", "PREROUTING", src, proto, dst, dport_s)
        if self.outputs:
            dst = self.outputs[0].split(":")[0]
        for chain in ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"):
            self.run("filter", chain, src, proto, dst, dport_s)
        return ", ".join(self.outputs), self.masq


# ------------------------------------------------------------------ vector tests


def _check_vector(case: dict, res) -> None:
    scope = case["assertion_scope"]
    expected = case["expected_iptables_save"]
    if scope == "full":
        assert res.restore == expected
    elif isinstance(scope, dict) and "chain" in scope:
        assert chain_rules(res.restore, scope["table"], scope["chain"]) == expected
    elif isinstance(scope, dict) and "table" in scope:
        start = res.restore.index(f"*{scope['table']}\n")
        assert res.restore[start:res.restore.index("COMMIT\n", start) + 7] == expected
    else:  # a line-level assertion: each expected line is in the restore input
        lines = set(res.restore.splitlines())
        missing = [l for l in expected.splitlines() if l and l not in lines]
        assert not missing, f"lines not found: {missing}"
    extra = case.get("upstream_chain_assertion")
    if extra:
        assert chain_rules(res.restore, extra["table"], extra["chain"]) == extra["expected_rules"]


@needs_vectors
@pytest.mark.parametrize("name", sorted(CASES) or ["<no vectors>"])
def test_vector(name: str) -> None:
    case = CASES[name]
    p, res = run_case(case)
    assert res.ok, res.error
    assert res.full == (case.get("sync") != "partial")
    _check_vector(case, res)
    # The canonical form is exactly the upstream test's sort of the raw emission.
    assert sort_iptables_rules(res.raw_restore) == res.restore
    if "kube_proxy_restore_input_example" in case:
        assert res.raw_restore == case["kube_proxy_restore_input_example"]
    if "iptables_save_roundtrip" in case:
        rt = case["iptables_save_roundtrip"]
        if "legacy" in rt:
            assert p.save(timestamp="<DATE>") == rt["legacy"]
        if "nft" in rt:
            assert p.save(timestamp="<DATE>", backend="nft") == rt["nft"]


FLOW_CASES = sorted(n for n, c in CASES.items() if c.get("upstream_packet_flow_assertions"))


@needs_vectors
@pytest.mark.parametrize("name", FLOW_CASES or ["<no vectors>"])
def test_vector_packet_flows(name: str) -> None:
    case = CASES[name]
    p, res = run_case(case)
    local = case["node"].get("local_ips_for_packet_tracing") or []
    failures = []
    for flow in case["upstream_packet_flow_assertions"]:
        proto = (flow.get("protocol") or "TCP").lower()
        out, masq = Tracer(p, local).trace(flow["sourceIP"], proto, flow["destIP"], flow["destPort"])
        if out != flow["output"] or masq != flow["masq"]:
            failures.append(f"{flow['name']}: got ({out!r}, {masq}) want ({flow['output']!r}, {flow['masq']})")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ chain names

SPEC_CHAIN_NAMES = [
    ("ns1/svc1:p80", "tcp", None, "XPGD46QRK7WJZT7O"),
    ("ns1/svc1:p80", "tcp", "10.180.0.1:80", "KUBE-SEP-SXIVWICOYRO3J4NJ"),
    ("ns2/svc2:p80", "tcp", None, "GNZBNJ2PO5MGZ6GT"),
    ("ns2/svc2:p80", "tcp", "10.180.0.2:80", "KUBE-SEP-RS4RBKLTHTF2IUXJ"),
    ("ns3/svc3:p80", "tcp", None, "X27LE4BHSL4DOUIK"),
    ("ns4/svc4:p80", "tcp", None, "4SW47YFZTEDKD3PK"),
    ("ns4/svc4:p80", "tcp", "10.180.0.4:80", "KUBE-SEP-UKSFD7AGPMPPLUHC"),
    ("ns4/svc4:p80", "tcp", "10.180.0.5:80", "KUBE-SEP-C6EBXVWJJZMIWKLZ"),
    ("ns5/svc5:p80", "tcp", None, "NUKIZ6OKUXPJNT4C"),
    ("ns5/svc5:p80", "tcp", "10.180.0.3:80", "KUBE-SEP-I77PXRDZVX7PMWMN"),
    ("ns3/svc3:p80", "tcp", "10.180.0.3:80", "KUBE-SEP-OYPFS5VJICHGATKP"),
    ("ns2/svc2:p8080", "tcp", None, "2VJB64SDSIJUP5T6"),
    ("ns2/svc2:p8080", "tcp", "10.0.2.1:8080", "KUBE-SEP-UHEGFW77JX3KXTOV"),
    ("ns1/svc1:p80", "tcp", "10.0.1.1:80", "KUBE-SEP-SNQ3ZNILQDEJNDQO"),
    ("ns3/svc3:p80", "tcp", "10.0.3.1:80", "KUBE-SEP-BSWRHOQ77KEXZLNL"),
    ("ns3/svc3:p80", "tcp", "10.0.3.2:80", "KUBE-SEP-DKCFIS26GWF2WLWC"),
    ("ns3/svc3:p80", "tcp", "10.0.3.3:80", "KUBE-SEP-JVVZVJ7BSEPPRNBS"),
    ("ns4/svc4:p80", "tcp", "10.0.4.1:80", "KUBE-SEP-AYCN5HPXMIRJNJXU"),
    ("ns1/svc1:p80", "tcp", "10.0.0.0:80", "KUBE-SEP-DKGQUZGBKLTPAR56"),
    ("ns3/svc3:p8081", "tcp", "203.0.113.4:8081", "KUBE-SEP-RUVVH7YV3PHQBDOS"),
    ("ns4/svc4:p8082", "tcp", None, "EBDQOQU5SJFXRIL3"),
    ("ns4/svc4:p8082", "tcp", "10.4.0.1:8082", "KUBE-SEP-SU5STNODRYEWJAUF"),
]


@pytest.mark.parametrize("spn,proto,ep,want", SPEC_CHAIN_NAMES)
def test_chain_names(spn: str, proto: str, ep: str | None, want: str) -> None:
    if ep is None:
        assert service_chain(spn, proto) == "KUBE-SVC-" + want
        assert local_chain(spn, proto) == "KUBE-SVL-" + want
        assert external_chain(spn, proto) == "KUBE-EXT-" + want
        assert firewall_chain(spn, proto) == "KUBE-FW-" + want
    else:
        assert endpoint_chain(spn, proto, ep) == want
        assert len(want) <= 28


def test_chain_name_prefixes() -> None:
    assert C.is_service_chain_name("KUBE-SVL-AQI2S6QIMU7PVVRP")
    assert not C.is_service_chain_name("KUBE-SERVICES")
    assert not C.is_service_chain_name("KUBE-MARK-MASQ")


# ------------------------------------------------------- upstream fixtures (restated)


def svc(ns, name, cip, ports, **spec):
    """A Service dict; ``ports`` are (name, port, protocol[, nodePort])."""
    plist = []
    for p in ports:
        d = {"name": p[0], "port": p[1], "protocol": p[2]}
        if len(p) > 3 and p[3]:
            d["nodePort"] = p[3]
        plist.append(d)
    ingress = spec.pop("ingress", [])
    s = {"type": spec.pop("type", "ClusterIP"), "clusterIP": cip, "ports": plist, **spec}
    return {"metadata": {"namespace": ns, "name": name}, "spec": s,
            "status": {"loadBalancer": {"ingress": [{"ip": i} for i in ingress]}}}


def eps(ns, svc_name, addrs, ports, name=None):
    """An EndpointSlice; ``addrs`` are IPs or (IP, nodeName); ``ports`` (name, port, proto)."""
    endpoints = []
    for a in addrs:
        ip, node = (a, None) if isinstance(a, str) else a
        e: dict = {"addresses": [ip], "conditions": {}}
        if node:
            e["nodeName"] = node
        endpoints.append(e)
    return {"metadata": {"namespace": ns, "name": name or f"{svc_name}-1",
                         "labels": {"kubernetes.io/service-name": svc_name}},
            "addressType": "IPv6" if ":" in (endpoints[0]["addresses"][0] if endpoints else "") else "IPv4",
            "endpoints": endpoints,
            "ports": [{"name": n, "port": p, "protocol": pr} for n, p, pr in ports]}


def fake() -> IPTablesProxier:
    return IPTablesProxier(ProxierConfig.upstream_test_fake())


FILTER_BASE = """\
*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
{services}-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
"""
NAT_FIXED = """\
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
"""
CATCH_ALL = ('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be '
             'the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n')
SVC1 = '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O\n'
SVC3 = '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK\n'
SVC4 = '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK\n'


def dump(nat_chains: list[str], nat_services: str, nat_rules: str, deleted: str = "",
         filter_services: str = "") -> str:
    """An upstream-style expected dump from its variable parts."""
    head = ":KUBE-NODEPORTS - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-POSTROUTING - [0:0]\n"
    rest = sorted(nat_chains)
    return (FILTER_BASE.format(services=filter_services) + "*nat\n" + head
            + "".join(f":{c} - [0:0]\n" for c in rest)
            + nat_services + CATCH_ALL + NAT_FIXED + nat_rules + deleted + "COMMIT\n")


def test_upstream_overall_iptables_rules() -> None:
    """TestOverallIPTablesRules, whose dump the vectors hold back."""
    p = fake()
    services = [
        {"metadata": {"namespace": "ns1", "name": "svc1"},
         "spec": {"clusterIP": "172.30.0.41", "ports": [{"name": "p80", "port": 80, "protocol": "TCP"}]}},
        svc("ns2", "svc2", "172.30.0.42", [("p80", 80, "TCP", 3001)], type="LoadBalancer",
            externalTrafficPolicy="Local", externalIPs=["192.168.99.22"], healthCheckNodePort=30000,
            ingress=["1.2.3.4"]),
        svc("ns3", "svc3", "172.30.0.43", [("p80", 80, "TCP", 3003)], type="NodePort"),
        svc("ns4", "svc4", "172.30.0.44", [("p80", 80, "TCP")], type="NodePort", externalIPs=["192.168.99.33"]),
        svc("ns5", "svc5", "172.30.0.45", [("p80", 80, "TCP", 3002)], type="LoadBalancer",
            externalTrafficPolicy="Cluster", healthCheckNodePort=30000,
            loadBalancerSourceRanges=[" 203.0.113.0/25"], sessionAffinity="ClientIP",
            sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}}, ingress=["5.6.7.8"]),
        svc("ns6", "svc6", "172.30.0.46", [("p80", 80, "TCP")]),
    ]
    p80 = [("p80", 80, "TCP")]
    slices = [
        eps("ns1", "svc1", ["10.180.0.1"], p80),
        eps("ns2", "svc2", ["10.180.0.2"], p80),
        eps("ns3", "svc3", ["10.180.0.3"], p80),
        eps("ns4", "svc4", ["10.180.0.4", ("10.180.0.5", "test-node")], p80),
        eps("ns5", "svc5", ["10.180.0.3"], p80),
    ]
    res = p.sync(services, slices)
    expected = textwrap.dedent("""\
        *filter
        :KUBE-NODEPORTS - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-EXTERNAL-SERVICES - [0:0]
        :KUBE-FIREWALL - [0:0]
        :KUBE-FORWARD - [0:0]
        :KUBE-PROXY-FIREWALL - [0:0]
        -A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
        -A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
        -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
        -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
        -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
        -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
        -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
        -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
        -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
        COMMIT
        *nat
        :KUBE-NODEPORTS - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
        :KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
        :KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
        :KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
        :KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
        :KUBE-MARK-MASQ - [0:0]
        :KUBE-POSTROUTING - [0:0]
        :KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
        :KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
        :KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
        :KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
        :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
        :KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
        :KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
        :KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
        :KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
        :KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
        :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
        -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
        -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
        -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
        -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
        -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
        -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
        -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
        -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
        -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
        -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
        -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
        -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
        -A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
        -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
        -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
        -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
        -A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
        -A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
        -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
        -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
        -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
        -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
        -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
        -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
        -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
        -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
        -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
        -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
        -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
        -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
        -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
        -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
        -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
        -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
        -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
        -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
        -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
        -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
        -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
        -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
        -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
        COMMIT
        """)
    assert res.restore == expected
    # upstream also checks the nat rule metric against the dump
    assert res.nat_rule_count == sum(1 for l in res.restore.split("*nat", 1)[1].splitlines() if l.startswith("-A "))


def test_upstream_bad_ips() -> None:
    """TestBadIPs: sloppy IPs and CIDRs come out canonical."""
    p = fake()
    s = svc("ns1", "svc1", "172.30.0.041", [("p80", 80, "TCP", 3001)], type="LoadBalancer",
            externalIPs=["192.168.099.022"], loadBalancerSourceRanges=["203.0.113.000/025"],
            ingress=["1.2.3.004"])
    res = p.sync([s], [eps("ns1", "svc1", ["10.180.00.001"], [("p80", 80, "TCP")])])
    expected = FILTER_BASE.format(services="").replace(
        "COMMIT\n",
        '-A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP\nCOMMIT\n')
    expected += textwrap.dedent("""\
        *nat
        :KUBE-NODEPORTS - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
        :KUBE-FW-XPGD46QRK7WJZT7O - [0:0]
        :KUBE-MARK-MASQ - [0:0]
        :KUBE-POSTROUTING - [0:0]
        :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
        :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
        -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-XPGD46QRK7WJZT7O
        -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
        -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
        -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
        -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-FW-XPGD46QRK7WJZT7O
        -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
        -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
        -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-XPGD46QRK7WJZT7O
        -A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"
        """) + NAT_FIXED + textwrap.dedent("""\
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
        -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
        COMMIT
        """)
    assert res.restore == expected


def test_upstream_sync_proxy_rules_repeated_all_steps() -> None:
    """TestSyncProxyRulesRepeated replayed on one proxier, all nine asserted dumps,
    including the failed partial restore and the full resync that recovers from it."""
    p = fake()
    p80, p8080 = [("p80", 80, "TCP")], [("p8080", 8080, "TCP")]
    s1 = svc("ns1", "svc1", "172.30.0.41", [("p80", 80, "TCP")])
    s2 = svc("ns2", "svc2", "172.30.0.42", [("p8080", 8080, "TCP")])
    s3 = svc("ns3", "svc3", "172.30.0.43", [("p80", 80, "TCP")])
    s4 = svc("ns4", "svc4", "172.30.0.44", [("p80", 80, "TCP")])
    e1 = eps("ns1", "svc1", ["10.0.1.1"], p80)
    e2 = eps("ns2", "svc2", ["10.0.2.1"], p8080)
    e3 = eps("ns3", "svc3", ["10.0.3.1"], p80)
    e4 = eps("ns4", "svc4", ["10.0.4.1"], p80)
    sep_svc = lambda sep, spn, ip, port: (  # noqa: E731
        f"-A {sep} -m comment --comment {spn} -s {ip} -j KUBE-MARK-MASQ\n"
        f"-A {sep} -m comment --comment {spn} -m tcp -p tcp -j DNAT --to-destination {ip}:{port}\n")
    masq = lambda chain, spn, cip, port: (  # noqa: E731
        f'-A {chain} -m comment --comment "{spn} cluster IP" -m tcp -p tcp -d {cip} --dport {port} ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\n')

    # step 1: full sync (asserted by the vectors; replayed for the state)
    r = p.sync([s1, s2], [e1, e2], now=1)
    assert r.full
    if CASES:
        assert r.restore == CASES["sync_proxy_rules_repeated_step1"]["expected_iptables_save"]
    # step 2: add svc3
    r = p.sync([s1, s2, s3], [e1, e2, e3], changed={"ns3/svc3"}, now=2)
    assert not r.full and r.chains_written[-2:] == ["KUBE-SEP-BSWRHOQ77KEXZLNL", "KUBE-SVC-X27LE4BHSL4DOUIK"]
    # step 3: delete svc2 (its slice stays)
    r = p.sync([s1, s3], [e1, e2, e3], changed={"ns2/svc2"}, now=3)
    assert r.chains_deleted == ["KUBE-SEP-UHEGFW77JX3KXTOV", "KUBE-SVC-2VJB64SDSIJUP5T6"]
    # step 4: add svc4 without endpoints
    r = p.sync([s1, s3, s4], [e1, e2, e3], changed={"ns4/svc4"}, now=4)
    assert r.restore == dump([], SVC1 + SVC3, "", filter_services=(
        '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j REJECT\n'))
    rules_before = r.nat_rule_count
    # step 5: svc4 gets an endpoint
    r = p.sync([s1, s3, s4], [e1, e2, e3, e4], changed={"ns4/svc4"}, now=5)
    assert r.restore == dump(
        ["KUBE-SEP-AYCN5HPXMIRJNJXU", "KUBE-SVC-4SW47YFZTEDKD3PK"], SVC1 + SVC3 + SVC4,
        sep_svc("KUBE-SEP-AYCN5HPXMIRJNJXU", "ns4/svc4:p80", "10.0.4.1", 80)
        + masq("KUBE-SVC-4SW47YFZTEDKD3PK", "ns4/svc4:p80", "172.30.0.44", 80)
        + '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.0.4.1:80" -j KUBE-SEP-AYCN5HPXMIRJNJXU\n')
    assert r.nat_rule_count == rules_before + 5  # 1 KUBE-SERVICES, 2 SVC, 2 SEP rules
    # step 6: svc3's endpoint changes address
    e3b = eps("ns3", "svc3", ["10.0.3.2"], p80)
    r = p.sync([s1, s3, s4], [e1, e2, e3b, e4], changed={"ns3/svc3"}, now=6)
    assert r.restore == dump(
        ["KUBE-SEP-BSWRHOQ77KEXZLNL", "KUBE-SEP-DKCFIS26GWF2WLWC", "KUBE-SVC-X27LE4BHSL4DOUIK"],
        SVC1 + SVC3 + SVC4,
        sep_svc("KUBE-SEP-DKCFIS26GWF2WLWC", "ns3/svc3:p80", "10.0.3.2", 80)
        + masq("KUBE-SVC-X27LE4BHSL4DOUIK", "ns3/svc3:p80", "172.30.0.43", 80)
        + '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -j KUBE-SEP-DKCFIS26GWF2WLWC\n',
        deleted="-X KUBE-SEP-BSWRHOQ77KEXZLNL\n")
    # step 7: svc3 gains a second endpoint
    e3c = eps("ns3", "svc3", ["10.0.3.2", "10.0.3.3"], p80)
    r = p.sync([s1, s3, s4], [e1, e2, e3c, e4], changed={"ns3/svc3"}, now=7)
    assert r.restore == dump(
        ["KUBE-SEP-DKCFIS26GWF2WLWC", "KUBE-SEP-JVVZVJ7BSEPPRNBS", "KUBE-SVC-X27LE4BHSL4DOUIK"],
        SVC1 + SVC3 + SVC4,
        sep_svc("KUBE-SEP-DKCFIS26GWF2WLWC", "ns3/svc3:p80", "10.0.3.2", 80)
        + sep_svc("KUBE-SEP-JVVZVJ7BSEPPRNBS", "ns3/svc3:p80", "10.0.3.3", 80)
        + masq("KUBE-SVC-X27LE4BHSL4DOUIK", "ns3/svc3:p80", "172.30.0.43", 80)
        + '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-DKCFIS26GWF2WLWC\n'
        + '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.3:80" -j KUBE-SEP-JVVZVJ7BSEPPRNBS\n')
    # step 8: no changes: no service chain is rewritten
    slices = [e1, e2, e3c, e4]
    r = p.sync([s1, s3, s4], slices, changed=set(), now=8)
    assert r.restore == dump([], SVC1 + SVC3 + SVC4, "")
    assert not p.needs_full_sync
    # A rule outside kube-proxy's control jumps from svc3's chain to svc4's endpoint;
    # deleting svc4 in a partial sync then fails (its SEP chain is still referenced).
    p.netfilter.ensure_rule("nat", "KUBE-SVC-X27LE4BHSL4DOUIK", "-j KUBE-SEP-AYCN5HPXMIRJNJXU")
    r = p.sync([s1, s3], slices, changed={"ns4/svc4"}, now=9)
    assert not r.ok and "KUBE-SEP-AYCN5HPXMIRJNJXU" in r.error
    assert p.netfilter.chain_exists("nat", "KUBE-SEP-AYCN5HPXMIRJNJXU")
    assert p.needs_full_sync
    # step 9: the retry is a full sync, which rewrites svc3's chain and so can delete svc4
    r = p.sync([s1, s3], slices, changed=set(), now=10)
    assert r.ok and r.full
    assert r.restore == dump(
        ["KUBE-SEP-AYCN5HPXMIRJNJXU", "KUBE-SEP-DKCFIS26GWF2WLWC", "KUBE-SEP-JVVZVJ7BSEPPRNBS",
         "KUBE-SEP-SNQ3ZNILQDEJNDQO", "KUBE-SVC-4SW47YFZTEDKD3PK", "KUBE-SVC-X27LE4BHSL4DOUIK",
         "KUBE-SVC-XPGD46QRK7WJZT7O"],
        SVC1 + SVC3,
        sep_svc("KUBE-SEP-DKCFIS26GWF2WLWC", "ns3/svc3:p80", "10.0.3.2", 80)
        + sep_svc("KUBE-SEP-JVVZVJ7BSEPPRNBS", "ns3/svc3:p80", "10.0.3.3", 80)
        + sep_svc("KUBE-SEP-SNQ3ZNILQDEJNDQO", "ns1/svc1:p80", "10.0.1.1", 80)
        + masq("KUBE-SVC-X27LE4BHSL4DOUIK", "ns3/svc3:p80", "172.30.0.43", 80)
        + '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-DKCFIS26GWF2WLWC\n'
        + '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.3:80" -j KUBE-SEP-JVVZVJ7BSEPPRNBS\n'
        + masq("KUBE-SVC-XPGD46QRK7WJZT7O", "ns1/svc1:p80", "172.30.0.41", 80)
        + '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.0.1.1:80" -j KUBE-SEP-SNQ3ZNILQDEJNDQO\n',
        deleted="-X KUBE-SEP-AYCN5HPXMIRJNJXU\n-X KUBE-SVC-4SW47YFZTEDKD3PK\n")
    assert not p.netfilter.chain_exists("nat", "KUBE-SEP-AYCN5HPXMIRJNJXU")


# ------------------------------------------------------------------- partial syncs


def _cluster(n: int):
    services = [svc(f"ns{i}", f"svc{i}", f"172.30.0.{i + 10}", [("http", 80, "TCP")]) for i in range(n)]
    slices = [eps(f"ns{i}", f"svc{i}", [f"10.0.{i}.1", f"10.0.{i}.2"], [("http", 8080, "TCP")]) for i in range(n)]
    return services, slices


def test_partial_sync_rewrites_only_touched_service() -> None:
    p = fake()
    services, slices = _cluster(5)
    full = p.sync(services, slices, now=1)
    assert full.full and full.ok
    before = {c: p.netfilter.rules("nat", c) for c in p.netfilter.tables["nat"].chains}

    slices[2] = eps("ns2", "svc2", ["10.0.2.1", "10.0.2.9"], [("http", 8080, "TCP")])
    r = p.sync(services, slices, changed={"ns2/svc2"}, now=2)
    assert r.ok and not r.full
    spn = "ns2/svc2:http"
    new_sep = endpoint_chain(spn, "tcp", "10.0.2.9:8080")
    old_sep = endpoint_chain(spn, "tcp", "10.0.2.2:8080")
    per_service = [c for c in r.chains_written if C.is_service_chain_name(c)]
    assert sorted(per_service) == sorted([service_chain(spn, "tcp"), endpoint_chain(spn, "tcp", "10.0.2.1:8080"), new_sep])
    assert r.chains_deleted == [old_sep]
    # Entry rules of every service are still written; other services' chains are not.
    assert r.restore.count("cluster IP\" -m tcp") == 5 + 1  # 5 KUBE-SERVICES + svc2's masquerade rule
    for c, rules in before.items():
        if C.is_service_chain_name(c) and c not in (service_chain(spn, "tcp"), old_sep):
            assert p.netfilter.rules("nat", c) == rules, c
    assert not p.netfilter.chain_exists("nat", old_sep)

    # Deleting a service deletes its chains (it need not be listed as changed).
    r = p.sync(services[:4], slices, changed=set(), now=3)
    gone = [service_chain("ns4/svc4:http", "tcp")] + [
        endpoint_chain("ns4/svc4:http", "tcp", f"10.0.4.{j}:8080") for j in (1, 2)]
    assert sorted(r.chains_deleted) == sorted(gone)
    assert all(not p.netfilter.chain_exists("nat", c) for c in gone)
    assert "ns4/svc4" not in r.restore

    # A touched service whose proxy-relevant data did not change is not rewritten.
    r = p.sync(services[:4], slices, changed={"ns1/svc1"}, now=4)
    assert [c for c in r.chains_written if C.is_service_chain_name(c)] == []
    # The result of the partial syncs equals what a full sync would leave behind.
    q = fake()
    q.sync(services[:4], slices, now=1)
    assert q.save() == p.save()


def test_partial_sync_after_external_flush_goes_full() -> None:
    """The canary chain vanishing (an admin's iptables -F/-X) forces a full sync."""
    p = fake()
    services, slices = _cluster(2)
    p.sync(services, slices, now=1)
    for t in ("mangle", "nat", "filter"):
        p.netfilter.flush_table(t)
    r = p.sync(services, slices, changed=set(), now=2)
    assert r.full and r.ok
    assert p.netfilter.chain_exists("mangle", "KUBE-PROXY-CANARY")
    assert p.netfilter.rules("nat", "PREROUTING") == ['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']


def test_large_cluster_mode() -> None:
    """TestSyncProxyRulesLargeClusterMode."""
    p = IPTablesProxier(ProxierConfig.upstream_test_fake(masquerade_all=True, sync_period=30.0))
    half = 1000 // 2 - 1
    services = [svc("ns1", "svc1", "172.30.0.41", [("p80", 80, "TCP")]),
                svc("ns2", "svc2", "172.30.0.42", [("p8080", 8080, "TCP")]),
                svc("ns3", "svc3", "172.30.0.43", [("p8081", 8081, "TCP")])]
    slices = [eps("ns1", "svc1", [f"10.0.{i % 256}.{i // 256}" for i in range(half)], [("p80", 80, "TCP")]),
              eps("ns2", "svc2", [f"10.1.{i % 256}.{i // 256}" for i in range(half)], [("p8080", 8080, "TCP")])]

    def count(res, match):
        dnat = [l for l in res.restore.splitlines() if l.startswith("-A KUBE-SEP-") and "-j DNAT" in l]
        return next((l for l in dnat if match in l), ""), len(dnat), sum("--comment" in l for l in dnat)

    r = p.sync(services, slices, now=100)
    first, n, comments = count(r, "10.0.0.0:")
    assert first == "-A KUBE-SEP-DKGQUZGBKLTPAR56 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80"
    assert n == comments == 2 * half and not r.large_cluster_mode

    slices.append(eps("ns3", "svc3", ["203.0.113.4", "203.0.113.8", "203.0.113.12"], [("p8081", 8081, "TCP")]))
    r = p.sync(services, slices, changed={"ns3/svc3"}, now=101)
    first, n, comments = count(r, "203.0.113.4:")
    assert first == "-A KUBE-SEP-RUVVH7YV3PHQBDOS -m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081"
    assert (n, comments) == (3, 0) and r.large_cluster_mode  # no automatic full resync

    p.force_full_sync()
    r = p.sync(services, slices, changed=set(), now=102)
    first, n, comments = count(r, "10.0.0.0:")
    assert first == "-A KUBE-SEP-DKGQUZGBKLTPAR56 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80"
    assert (n, comments) == (2 * half + 3, 0)

    svc4 = svc("ns4", "svc4", "172.30.0.44", [("p8082", 8082, "TCP")])
    slices.append(eps("ns4", "svc4", ["10.4.0.1"], [("p8082", 8082, "TCP")]))
    r = p.sync(services + [svc4], slices, changed={"ns4/svc4"}, now=103)
    first, n, _ = count(r, "10.4.0.1:")
    assert first == "-A KUBE-SEP-SU5STNODRYEWJAUF -m tcp -p tcp -j DNAT --to-destination 10.4.0.1:8082"
    assert n == 1

    # In large-cluster mode stale chains are cleaned up at most once per syncPeriod.
    r = p.sync(services, slices, changed={"ns4/svc4"}, now=104)
    assert count(r, "10.4.0.1:")[1] == 0 and "-X " not in r.restore and r.chains_deleted == []
    r = p.sync(services, slices, changed=set(), now=103 + 30.5)
    assert "-X KUBE-SVC-EBDQOQU5SJFXRIL3" in r.restore and "-X KUBE-SEP-SU5STNODRYEWJAUF" in r.restore


# ----------------------------------------------------------------- iptables-save


SAVE_DATE = "Tue Nov 25 20:13:00 2025"


def test_save_layout() -> None:
    p = IPTablesProxier(ProxierConfig(node_name="n1", node_ips=["192.168.0.2/24"], cluster_cidr="10.0.0.0/8"))
    s = svc("default", "web", "10.96.0.10", [("http", 80, "TCP", 30080)], type="NodePort")
    p.sync([s], [eps("default", "web", [("10.0.1.5", "n1")], [("http", 8080, "TCP")])])
    out = p.save(timestamp=SAVE_DATE)
    lines = out.splitlines()
    # one block per table: header, *table, built-ins, user chains sorted, rules, COMMIT, footer
    assert [l for l in lines if l.startswith("*")] == ["*filter", "*nat", "*mangle"]
    assert lines[0] == f"# Generated by iptables-save v1.8.9 on {SAVE_DATE}"
    assert lines.count(f"# Completed on {SAVE_DATE}") == 3
    nat = lines[lines.index("*nat"):lines.index("COMMIT", lines.index("*nat"))]
    assert nat[1:5] == [":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]"]
    users = [l.split()[0][1:] for l in nat if l.startswith(":") and l.endswith("- [0:0]")]
    assert users == sorted(users) and "KUBE-PROXY-CANARY" in users
    assert users.index("KUBE-SEP-" + endpoint_chain("default/web:http", "tcp", "10.0.1.5:8080")[9:]) < users.index("KUBE-SERVICES")
    # real kube-proxy writes the bit-14 mark as %#08x; iptables-save prints it short
    assert "--or-mark 0x00004000" in p.last_result.restore
    assert "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000" in lines
    assert "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0" in lines
    assert '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully' in lines
    assert ('-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 '
            '-m nfacct --nfacct-name  localhost_nps_accepted_pkts -j ' + external_chain("default/web:http", "tcp")) in lines
    assert ('-A ' + service_chain("default/web:http", "tcp") + ' ! -s 10.0.0.0/8 -d 10.96.0.10/32 -p tcp -m comment '
            '--comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ') in lines
    assert "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES" in lines
    filt = lines[:lines.index("COMMIT")]
    assert filt[2:5] == [":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    assert [l for l in filt if l.startswith("-A INPUT")] == [
        "-A INPUT -j KUBE-FIREWALL",
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]
    # jump rules are ensured, not duplicated, by later full syncs
    p.sync([s], [eps("default", "web", [("10.0.1.5", "n1")], [("http", 8080, "TCP")])])
    assert p.save(timestamp=SAVE_DATE) == out
    # nft backend: header and default table order differ, table contents do not
    nft = p.save(timestamp=SAVE_DATE, backend="nft")
    assert nft.splitlines()[0] == f"# Generated by iptables-nft-save v1.8.9 (nf_tables) on {SAVE_DATE}"
    assert [l for l in nft.splitlines() if l.startswith("*")] == ["*mangle", "*filter", "*nat"]
    assert sorted(l for l in nft.splitlines() if not l.startswith("#")) == sorted(
        l for l in lines if not l.startswith("#"))


def test_save_ipv6() -> None:
    p = IPTablesProxier(ProxierConfig.upstream_test_fake(ipv6=True))
    s = svc("ns1", "svc1", "fd00:172:30::41", [("p80", 80, "TCP")], sessionAffinity="ClientIP")
    e = {"metadata": {"namespace": "ns1", "name": "svc1-1", "labels": {"kubernetes.io/service-name": "svc1"}},
         "addressType": "IPv6", "endpoints": [{"addresses": ["fd00:10:180::1"]}],
         "ports": [{"name": "p80", "port": 80, "protocol": "TCP"}]}
    s_none = svc("ns2", "svc2", "fd00:172:30::42", [("p80", 80, "TCP")])
    p.sync([s, s_none], [e])
    out = p.save(timestamp=SAVE_DATE)
    assert out.startswith(f"# Generated by ip6tables-save v1.8.9 on {SAVE_DATE}\n*filter\n")
    assert ('-A KUBE-SERVICES -d fd00:172:30::42/128 -p tcp -m comment --comment "ns2/svc2:p80 has no endpoints" '
            "-m tcp --dport 80 -j REJECT --reject-with icmp6-port-unreachable") in out
    assert "--mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource" in out
    assert "-j DNAT --to-destination [fd00:10:180::1]:80" in out
    assert ('-A KUBE-SERVICES ! -d ::1/128 -m comment --comment "kubernetes service nodeports; NOTE: this must '
            'be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS') in out


def _real_iptables_available() -> bool:
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    if not all(shutil.which(t) for t in ("unshare", "iptables-legacy-restore", "iptables-legacy-save")):
        return False
    try:
        r = subprocess.run(["unshare", "-n", "iptables-legacy", "-t", "nat", "-N", "PROBE"],
                           capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


_REAL_SCRIPT = r'''
import json, subprocess, sys, shlex
cases = json.load(sys.stdin)
out = []
for c in cases:
    v6 = c["v6"]; base = "ip6tables" if v6 else "iptables"
    tool = lambda suffix="": f"{base}-{c['backend']}" + (f"-{suffix}" if suffix else "")
    run = lambda args, inp=None: subprocess.run(args, input=inp, capture_output=True, text=True, check=True)
    for t in ("mangle", "nat", "filter"):
        run([tool(), "-t", t, "-F"]); run([tool(), "-t", t, "-X"])
    for t in ("mangle", "nat", "filter"):
        run([tool(), "-t", t, "-N", "KUBE-PROXY-CANARY"])
    for n in ("ct_state_invalid_dropped_pkts", "localhost_nps_accepted_pkts"):
        subprocess.run(["nfacct", "add", n], capture_output=True)
    for table, dst, src, spec in c["jumps"]:
        subprocess.run([tool(), "-t", table, "-N", dst], capture_output=True)
        if subprocess.run([tool(), "-t", table, "-C", src] + shlex.split(spec), capture_output=True).returncode:
            run([tool(), "-t", table, "-I", src] + shlex.split(spec))
    for text in c["restores"]:
        run([tool("restore"), "--noflush", "--counters"], text)
    out.append(run([tool("save")]).stdout)
json.dump(out, sys.stdout)
'''


def _extra_save_scenarios():
    """Rules the vectors do not exercise: IPv6 REJECT/affinity/FW, UDP and SCTP,
    interface-based local-traffic detectors, allow-from-node source ranges."""
    p = IPTablesProxier(ProxierConfig.upstream_test_fake(ipv6=True, node_ip="2001:db8::1"))
    a = svc("ns1", "a", "fd00:172:30::41", [("p80", 80, "TCP", 3001)], type="LoadBalancer",
            sessionAffinity="ClientIP", externalTrafficPolicy="Local", healthCheckNodePort=30001,
            externalIPs=["2001:db8:99::1"], ingress=["2001:db8:77::1"], loadBalancerSourceRanges=["2001:db8::/32"])
    b = svc("ns2", "b", "fd00:172:30::42", [("p53", 53, "UDP"), ("s", 99, "SCTP")])
    yield "ipv6 extras", p, [a, b], [eps("ns1", "a", ["fd00:10:180::1", "fd00:10:180::2"], [("p80", 80, "TCP")])]
    for det in (LocalDetector("InterfaceNamePrefix", "veth"), LocalDetector("BridgeInterface", "cbr0")):
        p = IPTablesProxier(ProxierConfig(node_name="n1", node_ips=["127.0.0.1/8", "192.168.0.2/24"], local_detector=det))
        a = svc("ns1", "a", "10.96.0.1", [("p80", 80, "TCP", 30080)], type="LoadBalancer",
                externalTrafficPolicy="Local", healthCheckNodePort=31000, ingress=["1.2.3.4"],
                loadBalancerSourceRanges=["192.168.0.0/16", "10.0.0.0/8"], sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}})
        b = svc("ns2", "b", "10.96.0.2", [("x", 81, "TCP", 30081)], type="NodePort", externalIPs=["5.5.5.5"])
        c = svc("ns3", "c", "10.96.0.3", [("x", 82, "TCP")], internalTrafficPolicy="Local")
        yield f"{det.mode} extras", p, [a, b, c], [
            eps("ns1", "a", [("10.1.0.1", "n1"), "10.1.0.2", "10.1.0.3"], [("p80", 8080, "TCP")]),
            eps("ns3", "c", ["10.3.0.1"], [("x", 82, "TCP")])]


@pytest.mark.skipif(not _real_iptables_available(), reason="needs root, unshare and iptables-legacy")
@needs_vectors
def test_save_matches_real_iptables() -> None:
    """Load each vector's restore input into the real iptables (in a private network
    namespace) and compare the real iptables-save output with save()."""
    import re

    from engine.proxy.iptables.proxier import JUMP_CHAINS, jump_spec

    jumps = [(t, d, s, jump_spec(x, cm, d)) for t, d, s, cm, x in JUMP_CHAINS]
    backends = ["legacy"] + (["nft"] if shutil.which("iptables-nft-restore") else [])
    if not shutil.which("nfacct"):
        pytest.skip("nfacct tool not installed (needed for -m nfacct rules)")
    jobs, mine = [], []
    names = [n for n in sorted(CASES) if CASES[n].get("sync") != "partial"]
    for backend in backends:
        for n in names:
            p, res = run_case(CASES[n])
            jobs.append({"v6": p.config.is_ipv6, "backend": backend, "jumps": jumps, "restores": [res.raw_restore]})
            mine.append((n, backend, p))
        # a sequence of partial syncs, replayed for real
        steps = sorted((c for c in CASES.values() if c.get("sequence")), key=lambda c: c["sequence"]["step"])
        if steps:
            p = IPTablesProxier(config_of(steps[0]))
            restores = []
            for i, c in enumerate(steps):
                ch = c["sequence"]["changed_services_since_previous_sync"]
                r = p.sync([service_dict(s) for s in c["services"]], [slice_dict(s) for s in c["endpoint_slices"]],
                           changed=None if c["sync"] == "full" else set(ch), now=float(i))
                assert r.ok and r.restore == c["expected_iptables_save"]
                restores.append(r.raw_restore)
            jobs.append({"v6": False, "backend": backend, "jumps": jumps, "restores": restores})
            mine.append(("sync_proxy_rules_repeated (replayed)", backend, p))
        for n, p, services, slices in _extra_save_scenarios():
            r = p.sync(services, slices)
            assert r.ok, r.error
            jobs.append({"v6": p.config.is_ipv6, "backend": backend, "jumps": jumps, "restores": [r.raw_restore]})
            mine.append((n, backend, p))
    proc = subprocess.run(["unshare", "-n", sys.executable, "-c", _REAL_SCRIPT], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for real, (n, backend, p) in zip(json.loads(proc.stdout), mine):
        real = "".join(l for l in real.splitlines(True) if not l.startswith("# Warning"))
        real = re.sub(r"^(# (?:Generated by .*|Completed)) on .*$", r"\1 on <DATE>", real, flags=re.M)
        order = re.findall(r"^\*(\w+)$", real, re.M)
        assert p.save(timestamp="<DATE>", backend=backend, tables=order) == real, f"{n} ({backend})"


# ------------------------------------------------------------------ model details


def test_endpoint_order_and_dedup() -> None:
    """Endpoints sort by their ip:port string; a terminating duplicate never wins."""
    from engine.proxy.model import endpoints_by_port

    sl = eps("ns", "s", ["10.1.1.1", "10.1.1.11", "10.1.1.2"], [("p", 11, "TCP")])
    dup = eps("ns", "s", ["10.1.1.2"], [("p", 11, "TCP")], name="s-2")
    dup["endpoints"][0]["conditions"] = {"ready": False, "terminating": True}
    got = endpoints_by_port([sl, dup], "IPv4", "n")[("p", "TCP")]
    assert [e.key for e in got] == ["10.1.1.11:11", "10.1.1.1:11", "10.1.1.2:11"]
    assert all(e.ready for e in got)


def test_service_skips_and_filters() -> None:
    from engine.proxy.model import service_ports

    assert service_ports(svc("a", "h", "None", [("p", 80, "TCP")])) == []
    assert service_ports({"metadata": {"namespace": "a", "name": "x"},
                          "spec": {"type": "ExternalName", "clusterIP": "10.0.0.1", "ports": []}}) == []
    ds = svc("a", "ds", "10.96.0.5", [("p", 80, "TCP")], ipFamilies=["IPv4", "IPv6"],
             clusterIPs=["10.96.0.5", "fd00::5"], externalIPs=["1.2.3.4", "2001:db8::9"],
             loadBalancerSourceRanges=["10.0.0.0/8", "fd00::/64"], ingress=["5.6.7.8", "2001:db8::7"])
    v4, = service_ports(ds, "IPv4")
    v6, = service_ports(ds, "IPv6")
    assert (v4.cluster_ip, v4.external_ips, v4.load_balancer_vips) == ("10.96.0.5", ("1.2.3.4",), ("5.6.7.8",))
    assert (v6.cluster_ip, v6.external_ips, v6.load_balancer_vips) == ("fd00::5", ("2001:db8::9",), ("2001:db8::7",))
    assert v6.source_range_strings == ("fd00::/64",)
    proxy_mode = svc("a", "lb", "10.96.0.6", [("p", 80, "TCP")], type="LoadBalancer")
    proxy_mode["status"]["loadBalancer"]["ingress"] = [{"ip": "9.9.9.9", "ipMode": "Proxy"}, {"hostname": "x"}]
    assert service_ports(proxy_mode)[0].load_balancer_vips == ()
    assert service_ports(proxy_mode, lb_ip_mode=False)[0].load_balancer_vips == ("9.9.9.9",)


def test_topology_hints() -> None:
    """Zone hints restrict Cluster endpoints when every ready endpoint has one."""
    cfg = ProxierConfig.upstream_test_fake(node_labels={"topology.kubernetes.io/zone": "zone-a"})
    p = IPTablesProxier(cfg)
    sl = eps("ns1", "svc1", ["10.0.1.1", "10.0.1.2"], [("p80", 80, "TCP")])
    sl["endpoints"][0]["hints"] = {"forZones": [{"name": "zone-a"}]}
    sl["endpoints"][1]["hints"] = {"forZones": [{"name": "zone-b"}]}
    r = p.sync([svc("ns1", "svc1", "172.30.0.41", [("p80", 80, "TCP")])], [sl])
    svc_rules = chain_rules(r.restore, "nat", "KUBE-SVC-XPGD46QRK7WJZT7O")
    assert "10.0.1.1:80" in svc_rules and "10.0.1.2:80" not in svc_rules


def test_nodeport_addresses_and_localhost() -> None:
    """--nodeport-addresses without loopback turns localhost NodePorts off (NewProxier)."""
    cfg = ProxierConfig.upstream_test_fake(node_port_addresses=["192.168.0.0/24", "127.0.0.1/32"])
    p = IPTablesProxier(cfg)
    assert p.localhost_node_ports
    r = p.sync([svc("ns1", "svc1", "172.30.0.41", [("p80", 80, "TCP", 3001)], type="NodePort")],
               [eps("ns1", "svc1", ["10.180.0.1"], [("p80", 80, "TCP")])])
    catch = [l for l in r.restore.splitlines() if "must be the last rule" in l]
    assert [l.split(" -d ")[1].split()[0] for l in catch] == ["127.0.0.1", "192.168.0.2"]
    q = IPTablesProxier(ProxierConfig.upstream_test_fake(node_port_addresses=["192.168.0.0/24"]))
    assert not q.localhost_node_ports
