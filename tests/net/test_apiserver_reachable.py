"""Pods reach the API server through the `kubernetes` Service (tester5 #7): 10.96.0.1:443 is
DNATed to the control-plane node's 6443, where kube-apiserver (a static pod on the node's
own network) listens; a node where nothing listens on a port refuses it."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import SAMPLES


def test_a_pod_reaches_kube_apiserver_through_the_kubernetes_service():
    s = Session(Cluster(deterministic=True), cwd=SAMPLES, settle=True)
    s.feed("kubectl apply -f .")
    s.feed("kubectl exec -it deploy/counter -- sh")
    assert s.feed("nc -zv kubernetes.default 443") == "kubernetes.default (10.96.0.1:443) open\n"
    # TLS is not simulated: plain HTTP gets the answer Go's TLS server gives
    assert s.feed("wget -qO- -T 2 http://kubernetes.default:443/version") == \
        "wget: server returned error: HTTP/1.1 400 Bad Request\n"
    assert s.feed("nc -z 172.18.0.3 6443; echo $?") == "1\n"  # (a worker: nothing listens there)
    s.feed("exit")
    out = s.feed("trace deploy/counter kubernetes:443")
    assert "DNAT -> 172.18.0.2:6443" in out
    assert "reached pod kube-system/kube-apiserver-kind-control-plane on kind-control-plane (host network)" in out
    assert out.rstrip().endswith("result: connected")
