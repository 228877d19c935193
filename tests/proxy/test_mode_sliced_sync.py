"""kube-proxy's first sync in slices in ipvs and nftables modes (issue 18).

An attached dashboard runs the first sync over every Service a slice at a time
(`KubeProxy.sync_in_slices`); with the cluster's kube-proxy ConfigMap saying `mode: ipvs`
or `mode: nftables`, the mode's own sync (`engine.proxy.modes`) and the rules pane's first
text run in those slices too. The sliced run executes the same steps as the one-call run
(`engine.proxy.steps.drain`), so it leaves the same rules, the same pane text and the same
step-3 flow events.
"""
from __future__ import annotations

import ipaddress
import random
import re

import pytest

from benchmarks.proxy_first_sync_bench import mirror  # (a mirror cluster in a mode, as an attach fills it)
from engine.cluster.cluster import Cluster
from engine.cluster.events import STEP_PROXY
from engine.proxy import ipvs as ipvs_module
from engine.proxy import modes as modes_module
from engine.proxy import nftables as nftables_module
from engine.proxy.ipvs import glibc_msort, glibc_msort_steps, ipvs_cmp_services
from engine.proxy.steps import SERVICES_PER_STEP, drain

MODES = ("ipvs", "nftables")


def objects(services: int, nodes: int) -> list[dict]:
    """Nodes and `services` Services with one EndpointSlice each: ClusterIP, NodePort,
    LoadBalancer (some with source ranges), headless ones, Local traffic policies,
    session affinity, a second port, an unready endpoint, no endpoints at all."""
    names = [f"node-{k}" for k in range(nodes)]
    out: list[dict] = [{"apiVersion": "v1", "kind": "Node",
                        "metadata": {"name": n, "labels": {"kubernetes.io/hostname": n}},
                        "status": {"addresses": [{"type": "InternalIP", "address": f"172.18.0.{k + 2}"}]}}
                       for k, n in enumerate(names)]
    pod_ips = ipaddress.ip_network("10.244.0.0/16").hosts()
    for i in range(services):
        ns, name = f"ns-{i // 50}", f"svc-{i:04d}"
        ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]
        if i % 10 == 3:
            ports.append({"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53})
        spec: dict = {"selector": {"app": name}, "ports": ports}
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": ns, "name": name}, "spec": spec}
        if i % 97 == 5:
            spec["clusterIP"] = "None"
        else:
            ip = str(ipaddress.ip_address("10.96.0.0") + 16 + i)
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        if i % 7 == 1 or i % 41 == 2:
            spec["type"] = "NodePort"
            for k, p in enumerate(ports):
                p["nodePort"] = 30000 + i * 2 + k
        if i % 41 == 2:
            spec["type"] = "LoadBalancer"
            svc["status"] = {"loadBalancer": {"ingress": [{"ip": f"172.18.255.{i % 250 + 1}"}]}}
            if i % 3 == 0:
                spec["loadBalancerSourceRanges"] = ["203.0.113.0/24", "172.18.0.0/16"]
        if i % 13 == 4:
            spec["externalTrafficPolicy"] = "Local"
            spec.setdefault("type", "NodePort")
            for k, p in enumerate(ports):
                p.setdefault("nodePort", 30000 + i * 2 + k)
        if i % 17 == 6:
            spec["internalTrafficPolicy"] = "Local"
        if i % 19 == 7:
            spec["sessionAffinity"] = "ClientIP"
        out.append(svc)
        if i % 23 == 8:
            continue  # (no endpoints)
        endpoints = [{"addresses": [str(next(pod_ips))], "nodeName": names[(i + e) % nodes],
                      "conditions": {"ready": e != 2, "serving": e != 2, "terminating": False}}
                     for e in range(1 + i % 4)]
        out.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"namespace": ns, "name": f"{name}-abcde",
                                 "labels": {"kubernetes.io/service-name": name}},
                    "addressType": "IPv4", "endpoints": endpoints,
                    "ports": [{"name": p["name"], "port": p["targetPort"], "protocol": p["protocol"]}
                              for p in ports]})
    return out



def proxy_events(c: Cluster) -> list[dict]:
    return [dict(e.data) for e in c.flow_events if e.step == STEP_PROXY]


def panes(c: Cluster, mode: str) -> dict[str, str]:
    kp = c.kube_proxy
    return {n: kp.render(n, mode) for n in sorted(kp.last_sync)}


def run_sliced(c: Cluster) -> int:
    """The first sync a step per call (a budget of 0), as an attached dashboard runs it; the
    number of calls it took."""
    kp, calls = c.kube_proxy, 1
    mode = kp.mode
    node = sorted(n["metadata"]["name"] for n in c.store.list("Node"))[0]
    nodes = sorted(n["metadata"]["name"] for n in c.store.list("Node"))
    while not kp.sync_in_slices(0):
        calls += 1
        c.run_for(0)  # (the dashboard's other work between slices: kube-proxy waits)
        assert not kp.first_synced
        assert kp.render(node, mode) == ""  # (the pane says nothing until the sync is done)
        for n in nodes:  # (a packet walk between slices: no sync of its own, no freeze)
            kp.modes.lookup(n, mode, "TCP", "10.96.0.16", 80, "10.244.0.1", random.Random(0))
    return calls


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return objects(300, 3)


def step_per_service(monkeypatch) -> None:
    """A step per Service in every mode: many slices even at 300 Services."""
    for module in (ipvs_module, nftables_module, modes_module):
        monkeypatch.setattr(module, "SERVICES_PER_STEP", 1)


def later(docs: list[dict]) -> list[dict]:
    """svc-0299 and its EndpointSlice: the change that comes after (or during) the first sync."""
    return [o for o in docs if o["metadata"].get("name", "").startswith("svc-0299")]


@pytest.mark.parametrize("mode", MODES)
def test_the_sliced_first_sync_leaves_the_one_call_syncs_rules(docs, mode, monkeypatch):
    step_per_service(monkeypatch)
    monkeypatch.setattr(nftables_module, "OPS_PER_STEP", 64)
    one_call, sliced = mirror(mode, docs), mirror(mode, docs)
    one_call.run_until_idle()
    calls = run_sliced(sliced)
    assert calls > 3 * 300  # (each node's sync yields at least once per Service)
    kp, ref = sliced.kube_proxy, one_call.kube_proxy
    assert kp.first_synced and kp.sync_in_slices(0)  # nothing more to do
    assert proxy_events(sliced) == proxy_events(one_call)
    events = proxy_events(sliced)
    assert len(events) == 3 and all(e["mode"] == mode and e["written"] and e["rules"] for e in events)
    # The first node's pane text, laid out in the sync's last slices, is the one-call text.
    first = sorted(kp.last_sync)[0]
    assert any(key[0] == first and key[1] == mode for key in kp._other_modes)
    shown, expected = panes(sliced, mode), panes(one_call, mode)
    assert shown == expected
    assert len(shown[first].splitlines()) > 1000 and "10.96.1.59" in shown[first]
    sliced.run_until_idle()
    assert panes(sliced, mode) == expected and proxy_events(sliced) == events  # (no sync of nothing after it)
    if mode == "ipvs":
        p, q = kp.modes.proxier(first, mode), ref.modes.proxier(first, mode)
        assert (p.ipvsadm_ln(), p.ipset_list(), p.iptables_restore()) == \
            (q.ipvsadm_ln(), q.ipset_list(), q.iptables_restore())
    else:
        p, q = kp.modes.proxier(first, mode), ref.modes.proxier(first, mode)
        assert (p.dump(), p.last_transaction) == (q.dump(), q.last_transaction)


@pytest.mark.parametrize("mode", MODES)
def test_a_slice_at_2000_services_is_a_few_services(mode):
    """The default step sizes: each slice with no budget left covers at most a step's worth
    of Services (32), so at 2,000 Services the dashboard gets control back dozens of times
    in one node's sync (in well under a second each; not timed here)."""
    big = objects(2000, 1)
    one_call, sliced = mirror(mode, big), mirror(mode, big)
    one_call.run_until_idle()
    calls = run_sliced(sliced)
    assert calls > 2 * 2000 // SERVICES_PER_STEP  # (the iptables sync, then the mode's, each in steps)
    assert proxy_events(sliced) == proxy_events(one_call)
    assert panes(sliced, mode) == panes(one_call, mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_change_during_the_sliced_sync_is_synced_after_it(docs, mode, monkeypatch):
    step_per_service(monkeypatch)
    late = later(docs)
    early = [o for o in docs if o not in late]
    sliced, with_it = mirror(mode, early), mirror(mode, docs)
    with_it.run_until_idle()
    assert not sliced.kube_proxy.sync_in_slices(0)
    for o in late:  # (a watch event between two slices)
        sliced.store.put(o)
    sliced.run_for(0)
    while not sliced.kube_proxy.sync_in_slices(0):
        pass
    node = sorted(sliced.kube_proxy.last_sync)[0]
    late_ip = "10.96.1.59"  # (svc-0299's ClusterIP)
    assert late_ip not in drain(sliced.kube_proxy.modes.layout_steps(node, mode))  # the Services as they were
    sliced.run_until_idle()
    assert panes(sliced, mode) == panes(with_it, mode)
    assert late_ip in panes(sliced, mode)[node]


def test_the_ipvsadm_sort_in_steps_is_glibcs_sort():
    """ipvsadm's compare is not transitive (addresses 2^31 apart compare backwards): the
    sort in steps must split and merge exactly as glibc's msort does."""
    rng = random.Random(7)
    servers = [ipvs_module.VirtualServer(rng.choice(("TCP", "UDP")), str(ipaddress.ip_address(rng.getrandbits(32))),
                                         rng.randrange(1, 65536), "rr") for _ in range(5000)]
    assert drain(glibc_msort_steps(servers, ipvs_cmp_services)) == glibc_msort(servers, ipvs_cmp_services)


def test_the_chain_sizes_are_the_listed_bodies(docs):
    """What a sync compares to name the chains it wrote: each chain's body as `nft list`
    prints it, measured without laying the listing out."""
    c = mirror("nftables", docs)
    c.run_until_idle()
    p = c.kube_proxy.modes.proxier("node-0", "nftables")
    text = p.list_table()
    listed = {name: len(body) for name, body in re.findall(r"^\tchain (\S+) \{\n(.*?)^\t\}", text, re.M | re.S)}
    assert len(listed) > 500 and drain(p.chain_sizes_steps()) == listed
