"""Attached where RBAC refuses the Nodes (a namespace-only Role; issue 18): kube-proxy is
computed for the nodes the pods run on -- `spec.nodeName`, with `status.hostIP` as the
InternalIP -- not for kind's three made-up nodes, and the Nodes' one problem line says so;
with no pod either, no node is known and nothing is computed for a made-up one."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.attach.mirror import INFERRED_ANNOTATION
from tests.attach_fixtures import ROOT, attached, attached_dashboard, detach
from tui.panes import ProxyPane

NODES_REFUSED = ('forbidden: nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the '
                 'cluster scope')



@pytest.fixture
def proxy(proxy):
    """The shared proxy (tests/attach/conftest.py), refusing the Nodes' list as RBAC would."""
    proxy.forbid.add("/api/v1/nodes")
    return proxy




async def test_the_nodes_are_inferred_from_the_pods_and_kube_proxy_computed_for_them(proxy, tmp_path):
    sim = cluster_from_paths([ROOT / "samples"], deterministic=True)[0]
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        mirror = ws.cluster
        hosts = sorted({p["spec"]["nodeName"] for p in sim.store.list("Pod") if p["spec"].get("nodeName")})
        assert [n.name for n in mirror.topology.nodes] == hosts  # not kind's defaults by another route
        assert {n.name: n.ip for n in mirror.topology.nodes} == {n.name: n.ip for n in sim.topology.nodes
                                                                  if n.name in hosts}
        nodes = mirror.store.list("Node")
        assert [n["metadata"]["name"] for n in nodes] == hosts
        assert all(INFERRED_ANNOTATION in n["metadata"]["annotations"] for n in nodes)
        lines = ws.session.problem_lines()
        assert len(lines) == 1 and lines[0].startswith(NODES_REFUSED), lines
        assert f"kube-proxy is computed for the {len(hosts)} nodes inferred from the pods' spec.nodeName and " \
               f"status.hostIP: {', '.join(hosts)}" in lines[0]
        # The rules are the ones kube-proxy on those nodes writes (the simulation's, for the same objects).
        for name in hosts:
            assert mirror.kube_proxy.last_sync.get(name) is not None
            assert mirror.kube_proxy.full_restore(name) == sim.kube_proxy.full_restore(name)
    finally:
        await detach(task)


async def test_with_the_pods_refused_too_no_node_is_known(proxy, tmp_path):
    proxy.forbid.add("/api/v1/pods")
    proxy.grant_only["/api/v1/pods"] = set()
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        mirror = ws.cluster
        assert mirror.topology.nodes == [] and mirror.store.count("Node") == 0
        assert mirror.store.count("Service") > 0
        line = next(x for x in ws.session.problem_lines() if x.startswith(NODES_REFUSED))
        assert line.endswith("; no pod names a node either: kube-proxy is computed for no node")
        assert ws.advance(0) and not mirror.kube_proxy.last_sync  # nothing computed for a made-up node
        assert ws.session.mirror.first_view_computed() and ws.progress() == ""  # (and nothing waits for it)
        assert ws.cluster.coredns.record_rows("default")  # CoreDNS does not need the nodes
    finally:
        await detach(task)


async def test_the_rules_pane_says_no_node_rather_than_a_blank(proxy, tmp_path):
    """Its title read `kube-proxy ·  · iptables (0 lines)` (a tester's finding)."""
    proxy.forbid.add("/api/v1/pods")
    proxy.grant_only["/api/v1/pods"] = set()
    async with attached_dashboard(proxy.kubeconfig(tmp_path)) as (app, ws, pilot):
        app.refresh_panes(flash=False)
        await pilot.pause()
        title = str(app.query_one(ProxyPane).border_title)
        assert title.startswith("kube-proxy · no node · iptables (0 lines)"), title
