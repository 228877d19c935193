"""busybox ping in the pods (tester5 #9): a ClusterIP does not answer ICMP in iptables and
nftables modes ("you cannot ping a Service"), ipvs binds it to kube-ipvs0 so the node answers;
pods and nodes answer with the TTL their hops leave; a NetworkPolicy isolating a pod drops
echo requests; an unknown name is busybox's bad address."""
from __future__ import annotations

import shutil

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES

DENY_ALL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""


def _session(tmp_path, mode: str | None = None) -> Session:
    d = tmp_path / "m"
    shutil.copytree(SAMPLES, d)
    if mode:
        (d / "kp.yaml").write_text(f"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
                                   f"mode: {mode}\n")
    c, report = cluster_from_paths([d], deterministic=True)
    assert report.ok
    s = Session(c, cwd=d, settle=True)
    s.feed("kubectl exec -it deploy/counter -- sh")
    return s


@pytest.mark.parametrize("mode", ["iptables", "nftables"])
def test_a_cluster_ip_does_not_answer_ping(tmp_path, mode):
    s = _session(tmp_path, mode)
    ip = s.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert s.feed("ping -c 2 redis; echo rc=$?") == (
        f"PING redis ({ip}): 56 data bytes\n\n--- redis ping statistics ---\n"
        "2 packets transmitted, 0 packets received, 100% packet loss\nrc=1\n")


def test_in_ipvs_mode_the_clients_node_answers_for_the_cluster_ip(tmp_path):
    s = _session(tmp_path, "ipvs")
    out = s.feed("ping -c 1 redis")
    assert " ttl=64 " in out and "1 packets transmitted, 1 packets received, 0% packet loss" in out


def test_pods_and_nodes_answer_with_the_ttl_their_hops_leave(tmp_path):
    s = _session(tmp_path)
    counter = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter"))
    redis = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("redis"))
    other_node = counter["spec"]["nodeName"] != redis["spec"]["nodeName"]
    out = s.feed(f"ping -c 2 {redis['status']['podIP']}")
    assert f"64 bytes from {redis['status']['podIP']}: seq=1 ttl={62 if other_node else 63} time=" in out
    assert out.endswith(" ms\n") and "round-trip min/avg/max = " in out
    assert "ttl=64" in s.feed("ping -c 1 127.0.0.1")
    assert s.feed("ping -c 1 nosuch; echo $?") == "ping: bad address 'nosuch'\n1\n"
    assert s.feed("ping -c abc redis; echo $?") == "ping: invalid number 'abc'\n1\n"
    assert s.feed("ping -s x -c 1 redis; echo $?") == "ping: invalid number 'x'\n1\n"


def test_a_network_policy_drops_echo_requests(tmp_path):
    s = _session(tmp_path)
    redis = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("redis"))
    s.feed("exit")
    (s.cwd / "deny.yaml").write_text(DENY_ALL)
    assert s.feed("kubectl apply -f deny.yaml") == "networkpolicy.networking.k8s.io/deny-all created\n"
    s.feed("kubectl exec -it deploy/counter -- sh")
    assert "1 packets transmitted, 0 packets received, 100% packet loss" in s.feed(f"ping -c 1 {redis['status']['podIP']}")
