"""kube-proxy stops and starts as the real one does (tester3's finding 5: deleting the
kube-proxy DaemonSet changed nothing; new Services were still programmed and reachable).
With no kube-proxy on a node, the rules it wrote stay (old Services keep working) and
nothing programs a new Service there: its ClusterIP has no DNAT and a connection to it
times out. The DaemonSet created again runs a kube-proxy that syncs in full."""
from __future__ import annotations

from engine.api.objects import clone
from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session, trace
from tests.helpers import SAMPLES

LATE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "late", "namespace": "default"},
        "spec": {"selector": {"tier": "app"}, "ports": [{"port": 8080, "targetPort": 3000}]}}


def _cluster():
    c = cluster_from_paths([SAMPLES], deterministic=True)
    c = c[0] if isinstance(c, tuple) else c
    c.run_until_idle()
    return c


def _bare(obj: dict) -> dict:
    """What `kubectl get -o yaml` would let a user apply again."""
    new = clone(obj)
    new.pop("status", None)
    for k in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
        new["metadata"].pop(k, None)
    return new


def test_without_kube_proxy_a_new_service_is_not_programmed_and_heals_when_it_is_back():
    c = _cluster()
    ds = c.store.get("DaemonSet", "kube-system", "kube-proxy")
    nodes = [n["metadata"]["name"] for n in c.store.list("Node")]
    c.api.delete_object("DaemonSet", "kube-system", "kube-proxy")
    c.run_until_idle()
    assert not [p for p in c.store.list("Pod", "kube-system") if p["metadata"]["name"].startswith("kube-proxy-")]
    assert c.kube_proxy.stopped == set(nodes)
    stopped = [e.line() for e in c.flow_events if e.controller == "kube-proxy" and e.verb == "stopped"]
    assert len(stopped) == len(nodes) and "kube-proxy is not running: the rules it wrote stay" in stopped[0]
    # old Services keep working: their rules are still in every node's kernel
    assert "result: connected" in trace(c, "deploy/counter", "redis:6379").stdout
    c.api.create(clone(LATE))
    c.run_until_idle()
    ip = c.store.get("Service", "default", "late")["spec"]["clusterIP"]
    for node in nodes:
        assert f"-d {ip}/32" not in c.kube_proxy.iptables_save(node), node
    out = trace(c, "deploy/counter", f"{ip}:8080").stdout
    assert "result: connected" not in out and "timeout" in out, out
    # what the user's wget prints: busybox's strerror of a connect nothing answers
    assert Session(c).feed("kubectl exec deploy/counter -- wget -qO- late:8080") == (
        f"wget: can't connect to remote host ({ip}): Connection timed out\ncommand terminated with exit code 1\n")
    # the DaemonSet again: a kube-proxy runs on each node and syncs every Service
    c.api.create(_bare(ds))
    c.run_until_idle()
    assert c.kube_proxy.stopped == set()
    for node in nodes:
        assert f"-d {ip}/32" in c.kube_proxy.iptables_save(node), node
    assert "result: connected" in trace(c, "deploy/counter", f"{ip}:8080").stdout
