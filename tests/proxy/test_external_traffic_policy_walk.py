"""externalTrafficPolicy: Local, walked as packets (tester4's finding 1): a request from outside
the cluster is not `--src-type LOCAL`, so on a node without a local endpoint kube-proxy's
iptables rules DROP it (`has no local endpoints`) and on the node with one it reaches the
local pod un-masqueraded (the client's address kept: the whole point of Local); a process on
the node itself (`--src-type LOCAL`) still reaches the Service. ipvs keeps cluster endpoints
on a node with none, but without SNAT the pod's reply never comes back through that node;
nftables drops it as iptables does."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.net.network import Network
from tests.helpers import SAMPLES, apply_yaml

ETP_LOCAL = """
apiVersion: v1
kind: Service
metadata: {name: np-local}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: counter, tier: app}
  ports: [{port: 3000, nodePort: 32000}]
"""


@pytest.fixture(scope="module")
def cluster():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, ETP_LOCAL)
    return c


def node_ips(c) -> tuple[str, str]:
    """(the address of the node running the counter pod, the other worker's)."""
    (pod,) = [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-")]
    ips = {n.name: n.ip for n in c.topology.nodes}
    other = "kind-worker2" if pod["spec"]["nodeName"] == "kind-worker" else "kind-worker"
    return ips[pod["spec"]["nodeName"]], ips[other]


@pytest.mark.parametrize("mode", ["iptables", "ipvs", "nftables"])
def test_outside_traffic_reaches_only_a_node_with_a_local_endpoint(cluster, mode):
    with_pod, without = node_ips(cluster)
    net = Network(cluster)
    far = net.connect(None, without, 32000, mode=mode)
    assert far.trace.outcome == "timeout", far.trace.lines()
    near = net.connect(None, with_pod, 32000, mode=mode)
    assert near.trace.outcome == "connected", near.trace.lines()


def test_iptables_keeps_the_clients_address_on_the_local_node(cluster):
    with_pod, without = node_ips(cluster)
    near = Network(cluster).connect(None, with_pod, 32000, mode="iptables")
    rules = [e.rule for e in near.trace.rules if e.matched]
    assert not any("-j KUBE-MARK-MASQ" in r for r in rules), rules
    assert any("-j KUBE-SVL-" in r for r in rules), rules
    far = Network(cluster).connect(None, without, 32000, mode="iptables")
    assert any('has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 32000 -j DROP' in e.rule
               for e in far.trace.rules if e.matched)


def test_a_process_on_the_node_still_reaches_the_service(cluster):
    _, without = node_ips(cluster)
    node = next(n.name for n in cluster.topology.nodes if n.ip == without)
    conn = Network(cluster).connect(None, without, 32000, via_node=node, mode="iptables")
    assert conn.trace.outcome == "connected", conn.trace.lines()
