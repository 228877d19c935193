"""The simulated control plane converges like Kubernetes: each controller's observable
behaviour, on the tutorial's own manifests where possible."""
from __future__ import annotations

import ipaddress

import pytest

from engine.cluster.cluster import Cluster
from engine.api.naming import SAFE_ALPHABET, pod_template_hash, safe_encode
from engine.api.objects import labels_of, pod_is_ready
from tests.helpers import apply_yaml, sample


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(deterministic=True)


def pods_of(c: Cluster, prefix: str, ns: str = "default") -> list[dict]:
    return [p for p in c.store.list("Pod", ns) if p["metadata"]["name"].startswith(prefix)]


def test_boot_is_a_kind_cluster(cluster):
    assert [n["metadata"]["name"] for n in cluster.store.list("Node")] == \
        ["kind-control-plane", "kind-worker", "kind-worker2"]
    assert cluster.get("Service", "default", "kubernetes")["spec"]["clusterIP"] == "10.96.0.1"
    assert cluster.get("Service", "kube-system", "kube-dns")["spec"]["clusterIP"] == "10.96.0.10"
    coredns = pods_of(cluster, "coredns-", "kube-system")
    assert len(coredns) == 2 and all(pod_is_ready(p) for p in coredns)
    assert {p["spec"]["nodeName"] for p in coredns} == {"kind-control-plane"}
    assert sorted(p["status"]["podIP"] for p in coredns) == ["10.244.0.2", "10.244.0.3"]
    proxies = pods_of(cluster, "kube-proxy-", "kube-system")
    assert sorted(p["status"]["podIP"] for p in proxies) == ["172.18.0.2", "172.18.0.3", "172.18.0.4"]


def test_bare_cluster_has_no_system_objects():
    c = Cluster(deterministic=True, bare=True)
    assert c.store.list("Service") == [] and c.store.list("Pod") == []
    assert len(c.store.list("Node")) == 3


def test_safe_encode_vectors():
    assert safe_encode("0123456789") == "456789bcdf"
    assert safe_encode("2166136261") == "65bb57b6b5"
    assert safe_encode("4294967295") == "86f8fbc6f9"


def test_tutorial_redis_deployment_to_endpoints(cluster):
    results = apply_yaml(cluster, sample("counter-redis-svc.yml"))
    assert [r.line for r in results] == ["deployment.apps/redis created", "service/redis created"]
    (rs,) = cluster.store.list("ReplicaSet", "default")
    h = labels_of(rs)["pod-template-hash"]
    assert rs["metadata"]["name"] == f"redis-{h}" and set(h) <= set("456789bcdf")
    assert h == pod_template_hash(cluster.get("Deployment", "default", "redis")["spec"]["template"])
    (pod,) = pods_of(cluster, "redis-")
    suffix = pod["metadata"]["name"].rsplit("-", 1)[1]
    assert len(suffix) == 5 and set(suffix) <= set(SAFE_ALPHABET)
    assert pod["spec"]["nodeName"] in ("kind-worker", "kind-worker2")  # tainted control plane
    assert pod["status"]["phase"] == "Running" and pod_is_ready(pod)
    ip = pod["status"]["podIP"]
    node_cidr = cluster.get("Node", "", pod["spec"]["nodeName"])["spec"]["podCIDR"]
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(node_cidr)
    svc = cluster.get("Service", "default", "redis")
    assert ipaddress.ip_address(svc["spec"]["clusterIP"]) >= ipaddress.ip_address("10.96.1.1")  # upper band
    assert svc["spec"]["ports"][0]["targetPort"] == 6379
    ep = cluster.get("Endpoints", "default", "redis")
    assert ep["subsets"] == [{
        "addresses": [{"ip": ip, "nodeName": pod["spec"]["nodeName"],
                       "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "namespace": "default",
                                     "uid": pod["metadata"]["uid"]}}],
        "ports": [{"port": 6379, "protocol": "TCP"}]}]
    (sl,) = [s for s in cluster.store.list("EndpointSlice", "default")
             if labels_of(s).get("kubernetes.io/service-name") == "redis"]
    assert sl["metadata"]["name"].startswith("redis-") and len(sl["metadata"]["name"]) == len("redis-") + 5
    assert [e["addresses"] for e in sl["endpoints"]] == [[ip]]
    assert sl["ports"] == [{"name": "", "port": 6379, "protocol": "TCP"}]
    steps = [e.step for e in cluster.flow_events if e.name == "redis" and e.step]
    assert 1 in steps and 2 in steps


def test_flow_step_one_carries_pod_ips(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    ip = pods_of(cluster, "redis-")[0]["status"]["podIP"]
    step1 = [e for e in cluster.flow_events if e.step == 1 and e.name == "redis" and e.controller == "endpoint-controller"]
    assert step1[-1].data["ready"] == [ip]
    step2 = [e for e in cluster.flow_events if e.step == 2 and e.kind == "Endpoints" and e.name == "redis"]
    assert step2 and step2[-1].data["ready"] == [ip]


def test_scaling_spreads_pods_and_updates_endpoints(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    d = dict(cluster.get("Deployment", "default", "redis"))
    d["spec"] = {**d["spec"], "replicas": 3}
    cluster.store.update(d)
    cluster.run_until_idle()
    pods = pods_of(cluster, "redis-")
    assert len(pods) == 3 and all(pod_is_ready(p) for p in pods)
    assert {p["spec"]["nodeName"] for p in pods} == {"kind-worker", "kind-worker2"}
    ips = sorted(p["status"]["podIP"] for p in pods)
    ep = cluster.get("Endpoints", "default", "redis")
    assert [a["ip"] for a in ep["subsets"][0]["addresses"]] == ips
    dep = cluster.get("Deployment", "default", "redis")
    assert dep["status"]["readyReplicas"] == 3 and dep["status"]["availableReplicas"] == 3


def test_deleting_a_pod_gets_a_replacement_and_endpoints_follow(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    (old,) = pods_of(cluster, "redis-")
    cluster.api.delete_object("Pod", "default", old["metadata"]["name"])
    # Right after the delete: the pod is Terminating and already out of Endpoints.
    cluster.run_for(0)
    ep = cluster.get("Endpoints", "default", "redis")
    assert old["status"]["podIP"] not in [a["ip"] for s in ep.get("subsets", []) for a in s.get("addresses", [])]
    cluster.run_until_idle()
    (new,) = pods_of(cluster, "redis-")
    assert new["metadata"]["name"] != old["metadata"]["name"] and pod_is_ready(new)
    ep = cluster.get("Endpoints", "default", "redis")
    assert [a["ip"] for a in ep["subsets"][0]["addresses"]] == [new["status"]["podIP"]]
    assert new["status"]["podIP"] != old["status"]["podIP"]  # host-local does not reuse at once


def test_terminating_pod_stays_in_slice_as_terminating(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    (old,) = pods_of(cluster, "redis-")
    cluster.api.delete_object("Pod", "default", old["metadata"]["name"])
    cluster.run_for(0)
    (sl,) = [s for s in cluster.store.list("EndpointSlice", "default")
             if labels_of(s).get("kubernetes.io/service-name") == "redis"]
    e = next(e for e in sl["endpoints"] if e["addresses"] == [old["status"]["podIP"]])
    assert e["conditions"] == {"ready": False, "serving": True, "terminating": True}


def test_nodeport_service_gets_its_port_and_a_collision_is_refused(cluster):
    apply_yaml(cluster, sample("counter-app.yml"))
    (r,) = apply_yaml(cluster, sample("counter-nodeport.yml"))
    assert r.line == "service/counter-np created"
    svc = cluster.get("Service", "default", "counter-np")
    assert svc["spec"]["ports"][0]["nodePort"] == 31000
    assert svc["spec"]["externalTrafficPolicy"] == "Cluster"
    clash = sample("counter-nodeport.yml").replace("name: counter-np", "name: web2")
    (r,) = apply_yaml(cluster, clash)
    assert r.error == ('The Service "web2" is invalid: spec.ports[0].nodePort: Invalid value: 31000: '
                       "provided port is already allocated")
    assert cluster.get("Service", "default", "web2") is None


def test_reapply_is_unchanged_and_edit_is_configured(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    again = apply_yaml(cluster, sample("counter-redis-svc.yml"))
    assert [r.line for r in again] == ["deployment.apps/redis unchanged", "service/redis unchanged"]
    ip = cluster.get("Service", "default", "redis")["spec"]["clusterIP"]
    edited = sample("counter-redis-svc.yml").replace("- port: 6379", "- port: 6380")
    res = apply_yaml(cluster, edited)
    assert [r.line for r in res] == ["deployment.apps/redis unchanged", "service/redis configured"]
    svc = cluster.get("Service", "default", "redis")
    assert svc["spec"]["clusterIP"] == ip  # allocated fields survive apply
    assert svc["spec"]["ports"][0]["port"] == 6380 and svc["spec"]["ports"][0]["targetPort"] == 6380


def test_rolling_update_creates_a_new_replicaset(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    (old_rs,) = cluster.store.list("ReplicaSet", "default")
    apply_yaml(cluster, sample("counter-redis-svc.yml").replace("image: redis", "image: redis:7"))
    rss = cluster.store.list("ReplicaSet", "default")
    assert len(rss) == 2
    new_rs = next(r for r in rss if r["metadata"]["name"] != old_rs["metadata"]["name"])
    assert new_rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert cluster.get("ReplicaSet", "default", old_rs["metadata"]["name"])["spec"]["replicas"] == 0
    (pod,) = pods_of(cluster, "redis-")
    assert pod["metadata"]["labels"]["pod-template-hash"] == new_rs["metadata"]["labels"]["pod-template-hash"]


def test_not_ready_pods_go_to_not_ready_addresses(cluster):
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80, name: http}]
        readinessProbe: {exec: {command: ["false"]}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
"""
    apply_yaml(cluster, text)
    ep = cluster.get("Endpoints", "default", "web")
    (subset,) = ep["subsets"]
    assert "addresses" not in subset and len(subset["notReadyAddresses"]) == 2
    assert subset["ports"] == [{"port": 80, "protocol": "TCP"}]  # named targetPort resolved


def test_named_target_port_missing_leaves_pod_out(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml").replace("protocol: TCP\n  selector", "protocol: TCP\n      targetPort: redis\n  selector"))
    ep = cluster.get("Endpoints", "default", "redis")
    assert ep.get("subsets") is None


def test_deleting_service_and_deployment_cascades(cluster):
    apply_yaml(cluster, sample("counter-redis-svc.yml"))
    cluster.api.delete_object("Service", "default", "redis")
    cluster.api.delete_object("Deployment", "default", "redis")
    cluster.run_until_idle()
    assert cluster.get("Endpoints", "default", "redis") is None
    assert not [s for s in cluster.store.list("EndpointSlice", "default") if s["metadata"]["name"].startswith("redis")]
    assert cluster.store.list("ReplicaSet", "default") == [] and pods_of(cluster, "redis-") == []


def test_two_deterministic_runs_are_identical():
    def snapshot() -> list:
        c = Cluster(deterministic=True)
        apply_yaml(c, sample("counter-redis-svc.yml") + "\n---\n" + sample("counter-app.yml"))
        return [(k, o) for k in c.store.kinds() for o in c.store.list(k)]
    assert snapshot() == snapshot()


def test_unschedulable_pod_stays_pending(cluster):
    text = """
apiVersion: v1
kind: Pod
metadata: {name: picky}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: c, image: busybox}]
"""
    apply_yaml(cluster, text)
    pod = cluster.get("Pod", "default", "picky")
    assert not pod["spec"].get("nodeName") and pod["status"]["phase"] == "Pending"
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"].startswith("0/3 nodes are available: ")


def test_the_flow_log_keeps_the_newest_events_and_says_what_it_dropped(monkeypatch):
    import engine.cluster.events
    from engine.kubectl import commands as kubectl

    monkeypatch.setattr(engine.cluster.events, "FLOW_LOG_KEEP", 20)
    c = Cluster(deterministic=True)
    for name in ("counter-redis-svc.yml", "counter-app.yml", "counter-nodeport.yml"):
        apply_yaml(c, sample(name))
    log = c.flow_events
    assert log.total > 20 and len(log) == 20  # memory stays flat however long the session
    kept = list(log)
    assert [e.seq for e in kept] == list(range(log.total - 20, log.total))  # the newest, oldest first
    assert kept[-1].name and kept[-1].seq == log.total - 1
    assert log.since(log.total - 3) == kept[-3:]
    out = kubectl.events(c)
    assert out.stdout.splitlines() == [e.line() for e in kept if e.seq >= c.boot_events]
    assert log.dropped > c.boot_events  # (so some of what followed the boot went)
    assert out.stderr == (f"svcflow: the {log.dropped - c.boot_events:,} oldest events are not kept "
                          "(the log keeps the last 20)\n")
