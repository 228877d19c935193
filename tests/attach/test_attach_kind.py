"""Attached to a kind cluster's objects (issue 18), replayed from `kubectl get -o json` dumps
(tests/attach/kind/, hand-assembled in the shape of a kind v0.29 / Kubernetes v1.33.1 cluster:
see its README) through a small served stub: the panes show them, kube-proxy's rules are
computed in the mode the cluster's kube-proxy ConfigMap names and equal what the simulation
computes for the same objects, CoreDNS answers for kube-dns and the user's Service as the
cluster's Corefile configures it -- and nothing but GET is ever sent."""
from __future__ import annotations

import asyncio
import json

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import dns as dnstools
from engine.views import panes as views
from tests.attach_fixtures import ROOT, KindStub, StubInThread, attached, eventually
from tests.helpers import run_cli

KIND = ROOT / "tests" / "attach" / "kind"
NODES = ("kind-control-plane", "kind-worker", "kind-worker2")


@pytest.fixture
async def stub():
    s = KindStub(KIND)
    await s.start()
    yield s
    await s.stop()
    assert s.requests and {m for m, _ in s.requests} == {"GET"}, [r for r in s.requests if r[0] != "GET"]


@pytest.fixture(scope="module")
def simulated():
    """The simulation of the same cluster: kind's three nodes, and the user's web.yaml applied."""
    return cluster_from_paths([KIND / "web.yaml"], deterministic=True)[0]


def dumped(name: str) -> list[dict]:
    return json.loads((KIND / name).read_text())["items"]


def without_age(rows) -> list[tuple]:
    """The rows, less the AGE cell of the pods pane: the dumps' timestamps are their own."""
    return [(r.key, r.cells[:-1] if r.cells[-1].endswith(("s", "m", "h", "d")) else r.cells, r.style) for r in rows]


def answer(out: str) -> list[str]:
    lines = out.splitlines()
    at = lines.index(";; ANSWER SECTION:")
    return lines[at + 1:lines.index("", at)]



async def test_the_panes_show_the_kind_clusters_objects(stub, simulated, tmp_path):
    ws, task = await attached(stub.kubeconfig(tmp_path))
    try:
        mirror = ws.cluster
        assert ws.session.problem_lines() == [] and ws.session.mirror.notes() == []
        for kind, name in (("Pod", "pods.json"), ("Service", "services.json"), ("Endpoints", "endpoints.json"),
                           ("EndpointSlice", "endpointslices.json"), ("Node", "nodes.json"),
                           ("Namespace", "namespaces.json")):
            assert sorted(o["metadata"]["uid"] for o in mirror.store.list(kind)) == \
                sorted(o["metadata"]["uid"] for o in dumped(name)), kind
        for ns in ("default", "kube-system", "local-path-storage", None):
            for rows in (views.pod_rows, views.service_rows, views.endpoint_rows, views.dns_rows):
                assert without_age(rows(mirror, ns)) == without_age(rows(simulated, ns)), (rows.__name__, ns)
        # The shape came from the lists: kind's nodes and podCIDRs, the ConfigMap's mode and clusterCIDR.
        assert [(n.name, n.ip, n.pod_cidr) for n in mirror.topology.nodes] == [
            ("kind-control-plane", "172.18.0.2", "10.244.0.0/24"), ("kind-worker", "172.18.0.3", "10.244.1.0/24"),
            ("kind-worker2", "172.18.0.4", "10.244.2.0/24")]
        assert (mirror.topology.proxy.mode, mirror.topology.pod_subnet) == ("iptables", "10.244.0.0/16")
        # Lists, then watches from the list's resourceVersion, with bookmarks.
        assert any(p.startswith("/api/v1/pods?") and "limit=500" in p for _, p in stub.requests)
        await eventually(lambda: any(p.startswith("/api/v1/pods?") and "watch=true" in p and "allowWatchBookmarks=true"
                                     in p and f"resourceVersion={stub.resource_version}" in p for _, p in stub.requests),
                         what="the pods' watch")  # (it starts once the list is in: under load, a moment later)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_computed_rules_and_records_equal_the_simulations(stub, simulated, tmp_path):
    ws, task = await attached(stub.kubeconfig(tmp_path))
    try:
        mirror = ws.cluster
        for node in NODES:
            rules = mirror.kube_proxy.full_restore(node)
            assert rules == simulated.kube_proxy.full_restore(node), node
            assert "-A KUBE-SVC-LOLE4ISW44XBNF3G" in rules and "-A KUBE-SVC-TCOU7JCQXEZGVUNU" in rules  # web, kube-dns:dns
        for name in ("kube-dns.kube-system.svc.cluster.local", "web.default.svc.cluster.local",
                     "kubernetes.default.svc.cluster.local"):
            live = dnstools.dig(mirror, name, "A")
            assert live.code == 0 and answer(live.stdout) == answer(dnstools.dig(simulated, name, "A").stdout), name
        assert answer(dnstools.dig(mirror, "web.default.svc.cluster.local", "A").stdout) == [
            "web.default.svc.cluster.local. 30 IN\tA\t10.96.35.62"]
        assert answer(dnstools.dig(mirror, "kube-dns.kube-system.svc.cluster.local", "A").stdout) == [
            "kube-dns.kube-system.svc.cluster.local.\t30 IN A\t10.96.0.10"]  # (dig's tab stops)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_the_headless_commands_read_the_stub_with_the_flags_anywhere(tmp_path):
    stub = KindStub(KIND)
    with StubInThread(stub):
        kc = str(stub.kubeconfig(tmp_path))
        for node in NODES:
            live = run_cli("proxy-rules", "--node", node, "--format", "restore", "--kubeconfig", kc)
            assert live.code == 0, live.stderr
            assert live.stdout == run_cli("proxy-rules", "--node", node, "--format", "restore", "-f",
                                          str(KIND / "web.yaml"), "--deterministic").stdout
            live = run_cli("proxy-rules", "--node", node, "--kubeconfig", kc)  # iptables-save's form
            assert '-A KUBE-SERVICES -d 10.96.35.62/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp ' \
                   '--dport 80 -j KUBE-SVC-LOLE4ISW44XBNF3G' in live.stdout
        r = run_cli("--kubeconfig", kc, "dig", "web.default.svc.cluster.local")
        assert r.code == 0 and answer(r.stdout) == ["web.default.svc.cluster.local. 30 IN\tA\t10.96.35.62"]
        r = run_cli("get", "pods", "-A", "-o", "name", "--kubeconfig", kc, "--context", "svcflow")
        assert r.code == 0, r.stderr
        assert r.stdout.split() == [f"pod/{p['metadata']['name']}" for p in dumped("pods.json")]
        r = run_cli("--context", "svcflow", "proxy-rules", "--node", "kind-worker", "--kubeconfig", kc)
        assert r.code == 0 and "KUBE-SVC-" in r.stdout
    assert {m for m, _ in stub.requests} == {"GET"}
