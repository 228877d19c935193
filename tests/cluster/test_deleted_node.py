"""`kubectl delete node` while the node's pods run: what a cluster does, in time order.

The Node object goes; the machine and its kubelet do not, so its pods stay Running and
nothing writes their status. The v1 Endpoints controller never looks at Nodes: the pods
stay in Endpoints until they are gone. The EndpointSlice controller leaves a pod whose
Node is missing out of the slices at the Service's next sync (a Node's deletion queues no
Service), with a FailedToUpdateEndpointSlices warning. PodGC's loop (every 20 s) finds the
orphans, quarantines the node name for 40 s, then marks each pod Failed (DeletionByPodGC)
and force-deletes it: 40-60 s after the node went. The ReplicaSets make new pods, which the
scheduler puts on the nodes that remain, and both endpoint objects follow.
"""
from __future__ import annotations

from datetime import timedelta

from engine.api.objects import pod_is_ready
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from tests.helpers import apply_yaml, sample

GONE = "kind-worker"


def _cluster() -> Cluster:
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    apply_yaml(c, sample("counter-app.yml").replace("spec:\n  selector:", "spec:\n  replicas: 4\n  selector:", 1))
    apply_yaml(c, sample("counter-nodeport.yml"))
    return c


def _pods(c: Cluster, prefix: str) -> list[dict]:
    return [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith(prefix)]


def _endpoints_ips(c: Cluster, svc: str) -> set[str]:
    ep = c.get("Endpoints", "default", svc)
    return {a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or []}


def _slice_ips(c: Cluster, svc: str) -> set[str]:
    return {e["addresses"][0] for s in c.store.by_label("EndpointSlice", "default", "kubernetes.io/service-name", svc)
            for e in s.get("endpoints") or []}


def test_the_pods_of_a_deleted_node_run_on_until_podgc_deletes_them_and_are_replaced_elsewhere():
    c = _cluster()
    counters = _pods(c, "counter-")
    lost = [p for p in counters if p["spec"]["nodeName"] == GONE]
    kept = [p for p in counters if p["spec"]["nodeName"] != GONE]
    assert lost and kept  # (four replicas over two workers: some on each)
    lost_ips = {p["status"]["podIP"] for p in lost}
    slice_names = {svc: {s["metadata"]["name"] for s in c.store.by_label(
        "EndpointSlice", "default", "kubernetes.io/service-name", svc)} for svc in ("counter-np", "redis")}
    redis_before = _pods(c, "redis-")
    deleted_at: dict[str, object] = {}
    c.store.watch("Pod", lambda ev: deleted_at.setdefault(ev.obj["metadata"]["name"], c.now())
                  if ev.type == "DELETED" else None)

    assert kubectl.run_line(c, f"kubectl delete node {GONE}").stdout == f'node "{GONE}" deleted\n'
    t0 = c.now()
    c.run_for(0)
    # The kubelet there still runs them; no one writes their status; both endpoint objects
    # keep them (nothing has synced the Service since).
    for p in lost:
        line = kubectl.run_line(c, f"kubectl get po {p['metadata']['name']}").stdout.splitlines()[1].split()
        assert line[1:3] == ["1/1", "Running"]
    assert lost_ips <= _endpoints_ips(c, "counter-np") and lost_ips <= _slice_ips(c, "counter-np")

    # Any sync of the Service now leaves them out of the slices (not out of Endpoints), and says why.
    c.kubelet.set_readiness("default", kept[0]["metadata"]["name"], False)
    c.run_for(1)
    assert not lost_ips & _slice_ips(c, "counter-np")
    assert lost_ips <= _endpoints_ips(c, "counter-np")
    warnings = [e for e in c.store.list("Event", "default") if e["reason"] == "FailedToUpdateEndpointSlices"]
    assert len(warnings) == 1 and warnings[0]["type"] == "Warning"
    assert warnings[0]["source"] == {"component": "endpoint-slice-controller"}
    assert warnings[0]["involvedObject"]["kind"] == "Service" and warnings[0]["involvedObject"]["name"] == "counter-np"
    first = sorted(lost, key=lambda p: p["metadata"]["name"])[0]["metadata"]["name"]
    msg = warnings[0]["message"]
    assert msg.startswith("Error updating Endpoint Slices for Service default/counter-np: ")
    assert f"skipping Pod {first} for Service default/counter-np: Node {GONE} Not Found" in msg
    c.kubelet.set_readiness("default", kept[0]["metadata"]["name"], True)

    c.run_for(38)  # 39 s after: PodGC has seen the orphans, the node name is still in quarantine
    assert all(c.get("Pod", "default", p["metadata"]["name"]) is not None for p in lost)

    c.run_for(22)  # 61 s after: gone
    for p in lost:
        name = p["metadata"]["name"]
        assert c.get("Pod", "default", name) is None
        assert timedelta(seconds=40) <= deleted_at[name] - t0 <= timedelta(seconds=60)
    c.run_until_idle()
    now = _pods(c, "counter-")
    assert len(now) == 4 and {p["spec"]["nodeName"] for p in now} == {"kind-worker2"}
    assert all(pod_is_ready(p) for p in now)
    ips = {p["status"]["podIP"] for p in now}
    assert _endpoints_ips(c, "counter-np") == ips == _slice_ips(c, "counter-np")
    # The kubelet there killed the containers of the pods PodGC deleted at once.
    for p in lost:
        [killing] = [e for e in c.store.list("Event", "default") if e["reason"] == "Killing"
                     and e["involvedObject"]["name"] == p["metadata"]["name"]]
        assert killing["message"] == "Stopping container counter"
        assert killing["source"] == {"component": "kubelet", "host": GONE}
    # redis's one replica was there too: the Service had no endpoint until its new pod ran
    assert [p["spec"]["nodeName"] for p in redis_before] == [GONE]
    redis = _pods(c, "redis-")
    assert len(redis) == 1 and redis[0]["spec"]["nodeName"] == "kind-worker2"
    assert _endpoints_ips(c, "redis") == {redis[0]["status"]["podIP"]} == _slice_ips(c, "redis")
    # Each slice was written in place all along: upstream's finalize turns a delete and a
    # create into an update (redis's went through the placeholder, under the same name).
    assert {svc: {s["metadata"]["name"] for s in c.store.by_label(
        "EndpointSlice", "default", "kubernetes.io/service-name", svc)} for svc in ("counter-np", "redis")} == slice_names
