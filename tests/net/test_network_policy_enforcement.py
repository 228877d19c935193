"""NetworkPolicy in the packet path, as a learner on kind meets it (kindnetd enforces policies
since kind v0.24): what curl, nc, wget, nslookup and `trace` print from the tutorial's pods
once a policy isolates them, and what brings the traffic back."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from engine.views.flowstory import StoryBook
from tests.helpers import SAMPLES

DENY_ALL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: {ns}
spec:
  podSelector: {{}}
"""

# The tutorial labels redis's pods app=counter too, so a policy for them selects app=counter.
ALLOW_FROM_COUNTER = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: from-counter
spec:
  podSelector:
    matchLabels: {app: counter}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: counter}
    ports:
    - port: 6379
"""

NO_EGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: no-egress
spec:
  podSelector:
    matchLabels: {app: counter}
  policyTypes: [Egress]
"""

DNS_EGRESS = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns-only
spec:
  podSelector:
    matchLabels: {app: counter}
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels: {k8s-app: kube-dns}
    ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
"""

NC = "kubectl exec deploy/counter -- sh -c 'nc -zv -w 2 redis 6379'"


@pytest.fixture
def session(here):
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]
    return Session(cluster)


def _apply(s: Session, text: str, name: str) -> str:
    Path(name).write_text(text)  # (in the test's own folder: the `here` fixture)
    return s.feed(f"kubectl apply -f {name}")


def _redis_ip(s: Session) -> str:
    return s.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]


def test_deny_all_ingress_makes_redis_time_out_and_an_allow_rule_brings_it_back(session):
    s, ip = session, _redis_ip(session)
    assert s.feed(NC) == f"redis ({ip}:6379) open\n"
    assert _apply(s, DENY_ALL.format(ns="default"), "deny.yaml") == \
        "networkpolicy.networking.k8s.io/deny-all created\n"
    assert s.feed(NC) == f"nc: redis ({ip}:6379): Connection timed out\ncommand terminated with exit code 1\n"
    s.feed("kubectl exec deploy/counter -- apk add curl")
    assert s.feed("kubectl exec deploy/counter -- curl redis:6379") == (
        "curl: (28) Failed to connect to redis port 6379 after 134167 ms: Could not connect to server\n"
        "command terminated with exit code 28\n")
    # curl's own limit ends the wait first, in curl's words (the smaller of -m and --connect-timeout)
    assert s.feed("kubectl exec deploy/counter -- curl -m 3 redis:6379") == (
        "curl: (28) Failed to connect to redis port 6379 after 3001 ms: Timeout was reached\n"
        "command terminated with exit code 28\n")
    assert s.feed("curl --connect-timeout 2 -m 5 172.18.0.3:31000") == (
        "curl: (28) Failed to connect to 172.18.0.3 port 31000 after 2001 ms: Timeout was reached\n")
    assert s.feed("kubectl exec deploy/counter -- wget -qO- -T 2 redis:6379") == (
        "wget: download timed out\ncommand terminated with exit code 1\n")
    # the counter's own page asks redis too: from outside, the NodePort times out as well
    assert s.feed("curl 172.18.0.3:31000").startswith("curl: (28) Failed to connect to 172.18.0.3 port 31000")
    # the trace says which policy dropped the packet, after kube-proxy's DNAT chose the pod
    trace = s.feed("trace deploy/counter redis:6379")
    assert "  DNAT -> 10.244." in trace
    assert "  dropped before pod default/redis-" in trace
    assert "  result: timeout: dropped by NetworkPolicy default/deny-all (ingress to default/redis-" in trace
    # the flow's traffic story tells it in its last beat (the dashboard's flow view and terminal)
    story = StoryBook().extend(s.cluster.flow_events.since(0)).stories[-1]
    assert str(story.beats()[-1].text).startswith("⇢ timeout: dropped by NetworkPolicy default/deny-all (ingress to ")

    assert _apply(s, ALLOW_FROM_COUNTER, "allow.yaml") == \
        "networkpolicy.networking.k8s.io/from-counter created\n"
    assert s.feed(NC) == f"redis ({ip}:6379) open\n"
    # only 6379 is allowed: the counter's own port 3000 stays closed to it
    assert s.feed("kubectl exec deploy/counter -- sh -c 'nc -zv -w 2 counter-np 3000'") == (
        "nc: counter-np ({}:3000): Connection timed out\ncommand terminated with exit code 1\n".format(
            s.cluster.store.get("Service", "default", "counter-np")["spec"]["clusterIP"]))
    assert s.feed("kubectl delete netpol deny-all from-counter") == (
        'networkpolicy.networking.k8s.io "deny-all" deleted\n'
        'networkpolicy.networking.k8s.io "from-counter" deleted\n')
    assert s.feed(NC) == f"redis ({ip}:6379) open\n"


def test_an_egress_policy_without_a_dns_rule_makes_lookups_time_out(session):
    s, ip = session, _redis_ip(session)
    _apply(s, NO_EGRESS, "egress.yaml")
    assert s.feed("kubectl exec deploy/counter -- nslookup redis") == (
        ";; connection timed out; no servers could be reached\n\ncommand terminated with exit code 1\n")
    assert s.feed(NC) == "nc: bad address 'redis'\ncommand terminated with exit code 1\n"
    # the address itself is refused just the same: egress allows nothing
    assert s.feed(f"kubectl exec deploy/counter -- sh -c 'nc -zv -w 2 {ip} 6379'") == (
        f"nc: {ip} ({ip}:6379): Connection timed out\ncommand terminated with exit code 1\n")
    # the DNS pane's account of the query says why
    assert any("dropped by NetworkPolicy default/no-egress (egress from default/counter-" in q
               for q in s.cluster.coredns.query_log)
    # a policy that allows DNS to kube-dns brings the lookups back, and nothing else
    s.feed("kubectl delete netpol no-egress")
    _apply(s, DNS_EGRESS, "dns.yaml")
    assert s.feed("kubectl exec deploy/counter -- nslookup redis").startswith("Server:")
    assert s.feed(NC) == f"nc: redis ({ip}:6379): Connection timed out\ncommand terminated with exit code 1\n"


def test_a_policy_in_another_namespace_changes_nothing(session):
    s, ip = session, _redis_ip(session)
    assert s.feed("kubectl create namespace other") == "namespace/other created\n"
    _apply(s, DENY_ALL.format(ns="other"), "deny.yaml")
    assert s.feed("kubectl get netpol -A") == ("NAMESPACE   NAME       POD-SELECTOR   AGE\n"
                                               "other       deny-all   <none>         0s\n")
    assert s.feed("kubectl get netpol") == "No resources found in default namespace.\n"
    assert s.feed(NC) == f"redis ({ip}:6379) open\n"


def test_a_node_reaches_isolated_pods_and_outside_needs_an_ip_block(session):
    """kube-network-policies never queues what a node's root processes send (the kubelet's
    probes keep working); traffic from outside matches ipBlocks only, and reaches a pod on
    another node masqueraded to the node it entered."""
    s = session
    _apply(s, DENY_ALL.format(ns="default"), "deny.yaml")
    pods = [p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-")]
    pod_ip, node = pods[0]["status"]["podIP"], pods[0]["spec"]["nodeName"]
    conn = s.net.connect(None, pod_ip, 3000, via_node=node)
    assert conn.ok and conn.trace.policy == ""
    assert s.feed("curl 172.18.0.3:31000").startswith("curl: (28)")
    _apply(s, """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-outside}
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.244.0.0/16]}
    ports: [{port: 3000}]
""", "outside.yaml")
    # the counter's page answers now, but its own call to redis (pod to pod) is still dropped
    assert s.feed("curl 172.18.0.3:31000") == "Internal Server Error\n"
    _apply(s, """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-namespace}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}]}]
""", "same.yaml")
    assert s.feed("curl 172.18.0.3:31000") == "1\n"



def test_outside_traffic_to_a_pod_on_another_node_comes_from_the_node_it_entered(session):
    """An ipBlock of the client's own address admits it to the pods on the node it dialled;
    kube-proxy sends the rest on masqueraded to that node's address, which the block leaves out."""
    s = session
    _apply(s, """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-the-client}
spec:
  podSelector: {matchLabels: {app: counter}}
  ingress:
  - from: [{ipBlock: {cidr: 203.0.113.10/32}}]
""", "client.yaml")
    local = s.net.connect(None, "172.18.0.3", 31000)  # the counter pod runs on kind-worker
    assert (local.trace.outcome, local.trace.policy) == ("connected", "")
    remote = s.net.connect(None, "172.18.0.4", 31000)  # in at kind-worker2, SNATed on to kind-worker
    assert remote.trace.outcome == "timeout"
    assert remote.trace.policy.startswith("dropped by NetworkPolicy default/only-the-client (ingress to default/counter-")
    assert s.feed("curl 172.18.0.4:31000").startswith("curl: (28) Failed to connect to 172.18.0.4 port 31000")


def test_a_host_network_pod_is_the_node_and_is_never_isolated(session):
    """kube-network-policies manages no hostNetwork pod (their IP is the node's), and what a
    root process on the node sends is never queued: a hostNetwork pod reaches isolated pods,
    and a deny-all leaves it reachable."""
    s = session
    _apply(s, """\
apiVersion: v1
kind: Pod
metadata: {name: hostnet, labels: {app: counter}}
spec:
  hostNetwork: true
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
""", "hostnet.yaml")
    s.cluster.run_until_idle()
    _apply(s, DENY_ALL.format(ns="default"), "deny.yaml")
    redis = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("redis-"))
    ip = redis["status"]["podIP"]
    assert s.feed(f"kubectl exec hostnet -- nc -zv -w 2 {ip} 6379") == f"{ip} ({ip}:6379) open\n"
    assert s.feed(NC).endswith("Connection timed out\ncommand terminated with exit code 1\n")


@pytest.mark.parametrize("mode", ["iptables", "ipvs", "nftables"])
def test_every_kube_proxy_mode_hands_the_packet_to_the_policy_after_dnat(session, mode):
    s = session
    _apply(s, DENY_ALL.format(ns="default"), "deny.yaml")
    client = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-"))
    conn = s.net.connect(client, "redis", 6379, mode=mode)
    assert conn.trace.dnat and conn.trace.dnat.endswith(":6379")
    assert (conn.trace.outcome, conn.trace.error) == (
        "timeout", f"dropped by NetworkPolicy default/deny-all (ingress to {conn.trace.pod.split(' on ')[0]})")


@pytest.mark.parametrize("mode", ["iptables", "ipvs"])
def test_egress_isolation_covers_a_nodes_address_too(session, mode):
    """Nothing listens on a node's port 5000: refused, until an egress policy drops the SYN
    first (kube-network-policies checks a pod's traffic to a node, its own included)."""
    s = session
    client = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-"))
    assert s.net.connect(client, "172.18.0.4", 5000, mode=mode).trace.outcome == "refused"
    _apply(s, NO_EGRESS, "egress.yaml")
    conn = s.net.connect(client, "172.18.0.4", 5000, mode=mode)
    assert conn.trace.outcome == "timeout"
    assert conn.trace.error.startswith("dropped by NetworkPolicy default/no-egress (egress from default/counter-")
    _apply(s, NO_EGRESS.replace("policyTypes: [Egress]", "egress: [{to: [{ipBlock: {cidr: 172.18.0.0/16}}]}]"),
           "egress.yaml")
    assert s.net.connect(client, "172.18.0.4", 5000, mode=mode).trace.outcome == "refused"
