"""engine.net.networkpolicy.evaluate: kube-network-policies' verdict, rule by rule (policy
selection, policyTypes, ports by number, range and name, peers by pod, namespace, both and
ipBlock with except)."""
from __future__ import annotations

from engine.api.defaults import with_defaults
from engine.net.networkpolicy import PolicyPeer, evaluate


def _pod(name: str, ns: str = "default", labels: dict | None = None, ports: list | None = None,
         host_network: bool = False) -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "uid": name, "labels": labels or {}},
            "spec": {"hostNetwork": host_network, "containers": [{"name": "c", "ports": ports or []}]}}


def _policy(spec: dict, name: str = "p", ns: str = "default") -> dict:
    return with_defaults({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "metadata": {"name": name, "namespace": ns}, "spec": spec})


WEB = _pod("web", labels={"app": "web"}, ports=[{"name": "http", "containerPort": 8080, "protocol": "TCP"}])
CLIENT = _pod("client", labels={"app": "client"})
OTHER_NS_CLIENT = _pod("client", ns="team-a", labels={"app": "client"})


def _peer(pod: dict, ip: str, ns_labels: dict | None = None) -> PolicyPeer:
    ns = pod["metadata"]["namespace"]
    return PolicyPeer(ip, pod, ns_labels if ns_labels is not None else {"kubernetes.io/metadata.name": ns})


def _ok(policies, src, dst=None, port=8080, proto="TCP") -> bool:
    return evaluate(policies, src, dst or _peer(WEB, "10.244.1.5"), port, proto).allowed


SRC = _peer(CLIENT, "10.244.2.7")


def test_no_policy_or_one_that_selects_other_pods_allows_everything():
    assert _ok([], SRC)
    assert _ok([_policy({"podSelector": {"matchLabels": {"app": "db"}}})], SRC)
    assert _ok([_policy({"podSelector": {}}, ns="other")], SRC)


def test_deny_all_ingress_names_the_policy_and_the_pod():
    v = evaluate([_policy({"podSelector": {}}, name="deny-all")], SRC, _peer(WEB, "10.244.1.5"), 8080, "TCP")
    assert not v.allowed and v.direction == "ingress"
    assert v.reason == "dropped by NetworkPolicy default/deny-all (ingress to default/web)"
    # an empty list of rules is no rule at all (the API server stores none)
    assert not _ok([_policy({"podSelector": {}, "ingress": []})], SRC)
    # one empty rule allows every source and port
    assert _ok([_policy({"podSelector": {}, "ingress": [{}]})], SRC)


def test_rules_of_every_policy_add_up():
    deny = _policy({"podSelector": {}}, name="deny")
    allow = _policy({"podSelector": {"matchLabels": {"app": "web"}},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]}, name="allow")
    assert _ok([deny, allow], SRC)
    v = evaluate([deny, allow], _peer(_pod("x", labels={"app": "x"}), "10.244.2.9"), _peer(WEB, "10.244.1.5"),
                 8080, "TCP")
    assert v.reason == "dropped by NetworkPolicies default/deny, default/allow (ingress to default/web)"


def test_ports_by_number_range_protocol_and_name():
    def only(ports: list) -> list:
        return [_policy({"podSelector": {}, "ingress": [{"ports": ports}]})]
    assert _ok(only([{"port": 8080}]), SRC)
    assert not _ok(only([{"port": 8081}]), SRC)
    assert not _ok(only([{"port": 8080, "protocol": "UDP"}]), SRC)
    assert _ok(only([{"protocol": "TCP"}]), SRC)  # no port: every port of the protocol
    assert _ok(only([{"port": 8000, "endPort": 8080}]), SRC)
    assert not _ok(only([{"port": 8000, "endPort": 8079}]), SRC)
    assert _ok(only([{"port": "http"}]), SRC)  # resolved on the pod the policy guards
    assert not _ok(only([{"port": "http"}]), SRC, port=9090)
    assert not _ok(only([{"port": "metrics"}]), SRC)


def test_peers_pod_namespace_both_and_ip_block():
    def src_from(peer: dict) -> list:
        return [_policy({"podSelector": {}, "ingress": [{"from": [peer]}]})]
    team_a = _peer(OTHER_NS_CLIENT, "10.244.3.3", {"kubernetes.io/metadata.name": "team-a", "team": "a"})
    by_pod = src_from({"podSelector": {"matchLabels": {"app": "client"}}})
    assert _ok(by_pod, SRC) and not _ok(by_pod, team_a)  # podSelector alone: the policy's namespace
    by_ns = src_from({"namespaceSelector": {"matchLabels": {"team": "a"}}})
    assert _ok(by_ns, team_a) and not _ok(by_ns, SRC)
    every_ns = src_from({"namespaceSelector": {}})
    assert _ok(every_ns, team_a) and _ok(every_ns, SRC) and not _ok(every_ns, PolicyPeer("203.0.113.10"))
    both = src_from({"namespaceSelector": {"matchLabels": {"team": "a"}},
                     "podSelector": {"matchLabels": {"app": "web"}}})
    assert not _ok(both, team_a)
    block = src_from({"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.2.0/24"]}})
    assert _ok(block, team_a) and not _ok(block, SRC)
    assert _ok(src_from({"ipBlock": {"cidr": "0.0.0.0/0"}}), PolicyPeer("203.0.113.10"))


def test_egress_needs_a_rule_for_the_destination_and_checks_named_ports_on_it():
    egress_only = _policy({"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"]})
    v = evaluate([egress_only], SRC, _peer(WEB, "10.244.1.5"), 8080, "TCP")
    assert v.direction == "egress" and v.reason == "dropped by NetworkPolicy default/p (egress from default/client)"
    to_web = _policy({"podSelector": {"matchLabels": {"app": "client"}},
                      "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": "http"}]}]})
    assert to_web["spec"]["policyTypes"] == ["Ingress", "Egress"]  # (egress rules given: both)
    assert _ok([to_web], SRC)
    assert not _ok([to_web], SRC, port=9090)
    assert not _ok([to_web], SRC, dst=_peer(_pod("db", labels={"app": "db"}), "10.244.1.9"))
    # its implied Ingress type isolates the client for ingress too
    assert not evaluate([to_web], _peer(WEB, "10.244.1.5"), SRC, 80, "TCP").allowed


def test_host_network_pods_are_never_isolated():
    node_agent = _pod("agent", labels={"app": "web"}, host_network=True)
    assert _ok([_policy({"podSelector": {}})], SRC, dst=PolicyPeer("172.18.0.3", node_agent, {}))
