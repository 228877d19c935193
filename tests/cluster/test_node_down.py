"""A worker node goes down (`docker stop kind-worker`) and comes back: what kind v1.33 does.

Nothing changes in the API at once; the pods on the node stop answering. 50 s after the
kubelet's last Lease renewal the node controller marks the Node `NotReady` (conditions
`Unknown`, `Kubelet stopped posting node status.`), taints it `unreachable` (NoSchedule and
NoExecute), and marks its pods not Ready: the EndpointSlice controller moves them to
not-ready and kube-proxy sends traffic only to the pods that are left. 300 s later (the
DefaultTolerationSeconds every pod got) the taint eviction controller deletes them; with no
kubelet to finish, they stay `Terminating` while their ReplicaSet runs new pods elsewhere.
`docker start` brings the kubelet back: Ready, untainted, and the terminating pods go."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session
from engine.net.network import Network
from tests.helpers import SAMPLES, samples_with_counters

NODE = "kind-worker"


@pytest.fixture
def cluster() -> Cluster:
    return samples_with_counters(4)


def counters(c: Cluster, node: str | None = None) -> list[dict]:
    return [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-")
            and (node is None or p["spec"].get("nodeName") == node)]


def ready(pod: dict) -> str:
    return next(x["status"] for x in pod["status"]["conditions"] if x["type"] == "Ready")


def events(c: Cluster, reason: str) -> list[tuple[str, str, str]]:
    return [(e["involvedObject"]["kind"], e["involvedObject"]["name"], e["message"])
            for e in c.store.list("Event") if e["reason"] == reason]


def slice_ready(c: Cluster) -> dict[str, bool]:
    (s,) = [s for s in c.store.list("EndpointSlice", "default")
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == "counter-np"]
    return {e["addresses"][0]: e["conditions"]["ready"] for e in s["endpoints"]}


def test_a_stopped_node_answers_nothing_at_once_and_goes_not_ready_after_the_grace_period(cluster):
    c = cluster
    on_node = counters(c, NODE)
    assert on_node, "the scale put counter pods on kind-worker"
    ip = on_node[0]["status"]["podIP"]
    s = Session(c)
    assert s.feed(f"docker stop {NODE}") == f"{NODE}\n"
    conn = Network(c).connect(None, ip, 3000, via_node="kind-worker2")
    assert conn.trace.outcome == "timeout" and f"node {NODE} is down" in conn.trace.error
    c.run_for(35)  # the last renewal was at most 10 s ago: not yet 50 s
    node = c.store.get("Node", "", NODE)
    assert next(x for x in node["status"]["conditions"] if x["type"] == "Ready")["status"] == "True"
    assert all(ready(p) == "True" for p in counters(c, NODE))
    c.run_for(25)
    node = c.store.get("Node", "", NODE)
    conds = {x["type"]: x for x in node["status"]["conditions"]}
    assert {t: (x["status"], x["reason"], x["message"]) for t, x in conds.items()} == {
        t: ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        for t in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")}
    assert [(t["key"], t["effect"]) for t in node["spec"]["taints"]] == [
        ("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")]
    assert all(t.get("timeAdded") for t in node["spec"]["taints"])
    out = kubectl.run_line(c, "kubectl get nodes").stdout
    assert f"\n{NODE}          NotReady   <none>" in out, out
    # its pods: not Ready for the Service, still 1/1 Running for `kubectl get pods` (the
    # containers' statuses are the kubelet's, which is down)
    assert all(ready(p) == "False" for p in counters(c, NODE))
    assert all(f"{p['status']['podIP']}" in slice_ready(c) and not slice_ready(c)[p["status"]["podIP"]]
               for p in counters(c, NODE))
    assert all(slice_ready(c)[p["status"]["podIP"]] for p in counters(c, "kind-worker2"))
    assert "1/1     Running" in kubectl.run_line(c, f"kubectl get pod {on_node[0]['metadata']['name']}").stdout
    assert ("Node", NODE, f"Node {NODE} status is now: NodeNotReady") in events(c, "NodeNotReady")
    assert {n for k, n, m in events(c, "NodeNotReady") if k == "Pod" and m == "Node is not ready"} == \
        {p["metadata"]["name"] for p in c.store.list("Pod") if p["spec"].get("nodeName") == NODE
         and any(x["type"] == "Ready" for x in p["status"].get("conditions") or [])}
    # kube-proxy on the live node now sends the NodePort's traffic to the pods that are left
    rules = c.kube_proxy.iptables_save("kind-worker2")
    assert all(f"-j DNAT --to-destination {p['status']['podIP']}:3000" not in rules for p in counters(c, NODE))
    for _ in range(8):
        conn = Network(c).connect(None, "172.18.0.4", 31000)
        assert conn.trace.outcome == "connected" and conn.pod["spec"]["nodeName"] == "kind-worker2"


def test_after_the_toleration_the_pods_are_evicted_and_replaced_on_a_live_node(cluster):
    c = cluster
    victims = {p["metadata"]["name"] for p in counters(c, NODE)}
    Session(c).feed(f"docker stop {NODE}")
    c.run_for(330)  # NotReady 40-50 s after the stop (the last renewal), eviction 300 s after that
    assert all(not p["metadata"].get("deletionTimestamp") for p in counters(c, NODE))
    c.run_for(30)
    gone = {p["metadata"]["name"] for p in counters(c, NODE)}
    assert gone == victims and all(p["metadata"].get("deletionTimestamp") for p in counters(c, NODE))
    assert {n for _, n, m in events(c, "TaintManagerEviction")} >= victims
    assert all(m == f"Marking for deletion Pod default/{n}" for _, n, m in events(c, "TaintManagerEviction"))
    live = [p for p in counters(c) if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 4 and all(p["spec"]["nodeName"] == "kind-worker2" and p["status"]["phase"] == "Running"
                                  for p in live)
    out = kubectl.run_line(c, "kubectl get pods").stdout
    assert out.count("Terminating") == len(victims)
    # the DaemonSets' pods tolerate `unreachable` for ever: they stay
    assert [p for p in c.store.list("Pod", "kube-system") if p["spec"].get("nodeName") == NODE
            and p["metadata"]["name"].startswith("kube-proxy-") and not p["metadata"].get("deletionTimestamp")]
    # the node comes back: Ready, untainted, and its kubelet finishes the deletions
    assert Session(c).feed(f"docker start {NODE}") == f"{NODE}\n"
    c.run_for(15)
    node = c.store.get("Node", "", NODE)
    assert next(x for x in node["status"]["conditions"] if x["type"] == "Ready")["status"] == "True"
    assert not node["spec"].get("taints")
    assert ("Node", NODE, f"Node {NODE} status is now: NodeReady") in events(c, "NodeReady")
    assert counters(c, NODE) == []


def test_a_node_back_before_the_eviction_keeps_its_pods(cluster):
    c = cluster
    mine = {p["metadata"]["name"] for p in counters(c, NODE)}
    s = Session(c)
    s.feed(f"docker stop {NODE}")
    c.run_for(120)
    assert all(ready(p) == "False" for p in counters(c, NODE))
    s.feed(f"docker start {NODE}")
    c.run_for(5)
    assert {p["metadata"]["name"] for p in counters(c, NODE)} == mine
    assert all(ready(p) == "True" and not p["metadata"].get("deletionTimestamp") for p in counters(c, NODE))
    assert all(slice_ready(c)[p["status"]["podIP"]] for p in counters(c))
    assert {n for _, n, m in events(c, "TaintManagerEviction")} == mine
    assert all(m == f"Cancelling deletion of Pod default/{n}" for _, n, m in events(c, "TaintManagerEviction"))
    c.run_for(400)
    assert {p["metadata"]["name"] for p in counters(c, NODE)} == mine


def test_docker_answers_as_docker_does():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(c)
    assert s.feed("docker stop nosuch") == "Error response from daemon: No such container: nosuch\n"
    assert "runs the API server" in s.feed("docker stop kind-control-plane")
    assert s.feed("docker stop kind-worker kind-worker") == "kind-worker\nkind-worker\n"
    assert s.feed("docker restart kind-worker") == "kind-worker\n" and "kind-worker" not in c.machines.stopped
    assert s.feed("docker stop").startswith('"docker stop" requires at least 1 argument.')
