"""The `kubernetes` Service heals as kube-apiserver heals it (tester5 #6): deleted, it is back
at the API server's next 10-second turn with 10.96.0.1, its Endpoints and EndpointSlice
rewritten; until then it is gone, as on kind."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session


def test_a_deleted_kubernetes_service_comes_back_within_ten_seconds():
    c = Cluster(deterministic=True)
    s = Session(c, settle=True)
    assert s.feed("kubectl delete svc kubernetes") == 'service "kubernetes" deleted\n'
    # the endpoints controller deletes a gone Service's Endpoints; the slice (no owner, not
    # the slice controller's) stays behind
    assert "NotFound" in s.feed("kubectl get svc kubernetes") and "NotFound" in s.feed("kubectl get ep kubernetes")
    assert c.store.get("EndpointSlice", "default", "kubernetes") is not None
    c.run_for(10)
    out = s.feed("kubectl get svc kubernetes")
    assert out.splitlines()[1].split()[:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"], out
    ep = s.feed("kubectl get ep kubernetes").splitlines()  # (after kubectl's deprecation warning)
    assert ep[-1].split() == ["kubernetes", "172.18.0.2:6443", "0s"]
    # kube-proxy programs it again
    rules = c.kube_proxy.iptables_save("kind-worker")
    assert '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP"' in rules


def test_an_edited_kubernetes_endpoint_slice_is_written_again():
    c = Cluster(deterministic=True)
    live = c.store.get("EndpointSlice", "default", "kubernetes")
    c.store.update({**live, "endpoints": [{"addresses": ["10.9.9.9"], "conditions": {"ready": True}}]})
    c.run_until_idle()
    assert c.store.get("EndpointSlice", "default", "kubernetes")["endpoints"][0]["addresses"] == ["10.9.9.9"]
    c.run_for(10)
    assert c.store.get("EndpointSlice", "default", "kubernetes")["endpoints"][0]["addresses"] == ["172.18.0.2"]
