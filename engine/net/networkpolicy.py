"""NetworkPolicy enforcement, as kind's kindnetd enforces it (kube-network-policies).

kind v0.24+ runs kindnetd with kube-network-policies: a packet of a new connection whose
source or destination is a pod some policy selects is queued to the policy engine after
kube-proxy's DNAT picked the endpoint (netfilter POSTROUTING, before SNAT), and dropped unless
allowed: the client sees no answer at all, so curl, wget and nc time out, and a DNS query to
a CoreDNS pod the policy does not allow times out as well. One function decides: `evaluate`.

What it follows (pkg/networkpolicy/networkpolicy.go):

* a pod is isolated in a direction when a policy of its namespace selects it (its
  podSelector, `{}` = every pod) and lists that direction in policyTypes; hostNetwork pods
  are never selected (their traffic is the node's);
* an isolated pod's connection is allowed when a rule of one of those policies matches
  (rules of all policies add up); no rules (`ingress` absent or empty) allows nothing;
* a rule matches when one of its ports matches (none: every port) and one of its peers
  does (none: every peer); a port matches by protocol and number, a range up to endPort,
  or a name resolved on the destination pod's container ports (the pod the policy guards
  for ingress, the pod connected to for egress);
* a peer's podSelector alone selects pods of the policy's namespace, with a
  namespaceSelector pods of the namespaces it selects (`{}` = all); an ipBlock matches the
  peer's address (the pod IP after DNAT for egress, the packet's source for ingress) minus
  its `except`s. Traffic from outside or from a node matches ipBlocks only;
* egress of the client and ingress of the server are both checked; traffic a root process
  of a node sends (the kubelet's probes, `docker exec NODE curl`) is never queued
  (`meta skuid 0 accept`), nor is traffic that never leaves a pod (localhost).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable, Mapping

from engine.api.labels import SelectorError, from_label_selector, label_selector_matches
from engine.api.objects import meta


@dataclass(frozen=True)
class PolicyPeer:
    """One end of a connection as the policy engine sees it: the address, and the pod (not
    hostNetwork) behind it with its namespace's labels; no pod for outside or a node."""

    ip: str
    pod: dict | None = None
    namespace_labels: Mapping[str, str] | None = None

    @property
    def namespace(self) -> str:
        return meta(self.pod).get("namespace", "") if self.pod is not None else ""


@dataclass(frozen=True)
class Verdict:
    """Whether a connection passes; when it does not, which side's policies dropped it."""

    allowed: bool
    direction: str = ""  # "ingress" | "egress": the isolated side that allows nothing of it
    pod: str = ""  # namespace/name of that pod
    policies: tuple[str, ...] = ()  # namespace/name of the policies isolating it

    @property
    def reason(self) -> str:
        """The trace's words: `dropped by NetworkPolicy default/deny-all (ingress to default/redis-...)`."""
        if self.allowed:
            return ""
        word = "NetworkPolicy" if len(self.policies) == 1 else "NetworkPolicies"
        where = "ingress to" if self.direction == "ingress" else "egress from"
        return f"dropped by {word} {', '.join(self.policies)} ({where} {self.pod})"


ALLOWED = Verdict(True)


def _spec(policy: dict) -> dict:
    spec = policy.get("spec")
    return spec if isinstance(spec, dict) else {}


def _selects(policy: dict, pod: dict) -> bool:
    """The policy guards the pod: same namespace and its podSelector matches (one that
    does not convert selects nothing, as the engine skips it)."""
    if meta(policy).get("namespace") != meta(pod).get("namespace"):
        return False
    try:
        return from_label_selector(_spec(policy).get("podSelector") or {}).matches(meta(pod).get("labels") or {})
    except SelectorError:
        return False


def isolating(policies: Iterable[dict], pod: dict | None, policy_type: str) -> list[dict]:
    """The policies that isolate `pod` in `policy_type` ("Ingress" or "Egress"), in order."""
    if pod is None or (pod.get("spec") or {}).get("hostNetwork"):
        return []
    return [p for p in policies if policy_type in (_spec(p).get("policyTypes") or []) and _selects(p, pod)]


def _port_matches(ports: list, port: int, proto: str, target: dict | None) -> bool:
    """evaluatePorts: no ports = every port; else protocol, then number, range or name."""
    if not ports:
        return True
    for p in ports:
        if not isinstance(p, dict) or (p.get("protocol") or "TCP") != proto:
            continue
        value = p.get("port")
        if value is None:
            return True
        if isinstance(value, int) and not isinstance(value, bool):
            if port == value:
                return True
            end = p.get("endPort")
            if isinstance(end, int) and value < port <= end:
                return True
        elif isinstance(value, str) and target is not None:
            for c in (target.get("spec") or {}).get("containers") or []:
                for cp in (c.get("ports") or []) if isinstance(c, dict) else []:
                    if (isinstance(cp, dict) and cp.get("name") == value and cp.get("containerPort") == port
                            and (cp.get("protocol") or "TCP") == proto):
                        return True
    return False


def _in_block(block: dict, ip: str) -> bool:
    """evaluateIPBlocks: inside `cidr` and outside every `except`."""
    try:
        addr = ipaddress.ip_address(ip)
        if addr not in ipaddress.ip_network(str(block.get("cidr", "")), strict=False):
            return False
        return not any(addr in ipaddress.ip_network(str(e), strict=False) for e in block.get("except") or [])
    except ValueError:
        return False


def _peer_matches(peer: dict, other: PolicyPeer, policy_namespace: str) -> bool:
    """One `from`/`to` entry against the connection's other end."""
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        return _in_block(block, other.ip)
    if other.pod is None:  # outside and node addresses match ipBlocks only
        return False
    pod_sel, ns_sel = peer.get("podSelector"), peer.get("namespaceSelector")
    if pod_sel is not None:
        if not label_selector_matches(pod_sel, meta(other.pod).get("labels") or {}):
            return False
        if ns_sel is None:
            return other.namespace == policy_namespace
    if ns_sel is not None:
        return label_selector_matches(ns_sel, other.namespace_labels or {})
    return pod_sel is not None


def _allows(policies: list[dict], direction: str, other: PolicyPeer, port: int, proto: str,
            target: dict | None) -> bool:
    """Some rule of some isolating policy lets the connection through."""
    peers_key = "from" if direction == "ingress" else "to"
    for policy in policies:
        ns = meta(policy).get("namespace", "")
        for rule in _spec(policy).get(direction) or []:
            rule = rule if isinstance(rule, dict) else {}
            if not _port_matches(rule.get("ports") or [], port, proto, target):
                continue
            peers = [p for p in rule.get(peers_key) or [] if isinstance(p, dict)]
            if not peers or any(_peer_matches(p, other, ns) for p in peers):
                return True
    return False


def _name(obj: dict) -> str:
    return f"{meta(obj).get('namespace', '')}/{meta(obj).get('name', '')}"


def evaluate(policies: Iterable[dict], src: PolicyPeer, dst: PolicyPeer, port: int, proto: str) -> Verdict:
    """Whether a new connection from `src` to `dst` (the endpoint kube-proxy chose) on
    `port`/`proto` passes the NetworkPolicies: the client's egress first, then the server's
    ingress. A pod no policy isolates is not restricted in that direction."""
    policies = list(policies)
    if not policies:
        return ALLOWED
    proto = proto.upper()
    egress = isolating(policies, src.pod, "Egress")
    if egress and not _allows(egress, "egress", dst, port, proto, dst.pod):
        return Verdict(False, "egress", _name(src.pod or {}), tuple(_name(p) for p in egress))
    ingress = isolating(policies, dst.pod, "Ingress")
    if ingress and not _allows(ingress, "ingress", src, port, proto, dst.pod):
        return Verdict(False, "ingress", _name(dst.pod or {}), tuple(_name(p) for p in ingress))
    return ALLOWED
