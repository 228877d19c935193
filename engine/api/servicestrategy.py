"""The Service registry's update strategy (pkg/registry/core/service/strategy.go
`dropTypeDependentFields`): when an update changes a Service's type, the fields only the old
type needed are cleared -- if the caller left them as they were. So `kubectl patch svc web -p
'{"spec":{"type":"ClusterIP"}}'` on a NodePort Service is accepted (its nodePorts,
externalTrafficPolicy and, from a LoadBalancer, allocateLoadBalancerNodePorts go, and the
node ports return to the pool) instead of failing validation on the fields the patch kept;
a caller who changed them meant them, and validation says so.

Before that, the REST storage's beginUpdate (pkg/registry/core/service/storage/storage.go)
fixes up the allocated values a client left out (`carry_cluster_ips`, patchAllocatedValues'
ClusterIP part) and keeps `clusterIP` and `clusterIPs` in step (`normalize_cluster_ips`), so
`clusterIP: None` on a Service that has an address is refused as kube-apiserver refuses it:
`spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set`."""
from __future__ import annotations


def _spec(svc: dict) -> dict:
    spec = svc.get("spec")
    return spec if isinstance(spec, dict) else {}


def _type(svc: dict) -> str:
    return _spec(svc).get("type") or "ClusterIP"


def _node_ports(svc: dict) -> set[int]:
    return {p["nodePort"] for p in _spec(svc).get("ports") or [] if isinstance(p, dict) and p.get("nodePort")}


def _externally_accessible(svc: dict) -> bool:
    """serviceutil.ExternallyAccessible."""
    typ = _type(svc)
    return typ in ("LoadBalancer", "NodePort") or (typ == "ClusterIP" and bool(_spec(svc).get("externalIPs")))


def needs_cluster_ip(svc: dict) -> bool:
    """needsClusterIP: every type but ExternalName."""
    return _type(svc) != "ExternalName"


def carry_cluster_ips(new: dict, old: dict) -> None:
    """patchAllocatedValues, for the ClusterIPs: an update that leaves them out keeps the
    allocated ones, when both the old and the new type need one (an ExternalName Service
    has none to keep: moving from it allocates afresh)."""
    ns, os_ = _spec(new), _spec(old)
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        if not ns.get("clusterIP") and os_.get("clusterIP"):
            ns["clusterIP"] = os_["clusterIP"]
        if not ns.get("clusterIPs") and os_.get("clusterIPs"):
            ns["clusterIPs"] = list(os_["clusterIPs"])


def normalize_cluster_ips(new: dict, old: dict) -> None:
    """normalizeClusterIPs on an update: divine what a client that wrote only the singular
    field meant (the plural follows it; clearing it clears both)."""
    ns, os_ = _spec(new), _spec(old)
    if not isinstance(new.get("spec"), dict):
        return
    old_ip, new_ip = os_.get("clusterIP") or "", ns.get("clusterIP") or ""
    old_ips, new_ips = os_.get("clusterIPs") or [], ns.get("clusterIPs") or []
    if old_ips and not new_ips and old_ip == new_ip:
        ns["clusterIPs"] = new_ips = list(old_ips)
    if old_ip != new_ip:
        if old_ip and not new_ip:
            ns.pop("clusterIPs", None)
            return
        if not new_ips or (old_ips and new_ips[0] == old_ips[0]):
            ns["clusterIPs"] = [new_ip]


def drop_type_dependent_fields(new: dict, old: dict) -> None:
    """dropTypeDependentFields, on `new` in place (the merged object an update stores)."""
    ns, os_ = _spec(new), _spec(old)
    if not isinstance(new.get("spec"), dict):
        return
    if _type(old) != "ExternalName" and _type(new) == "ExternalName":
        if (ns.get("clusterIPs") or [ns.get("clusterIP")]) == (os_.get("clusterIPs") or [os_.get("clusterIP")]):
            ns.pop("clusterIP", None)
            ns.pop("clusterIPs", None)
        if ns.get("ipFamilies") == os_.get("ipFamilies"):
            ns.pop("ipFamilies", None)
        if ns.get("ipFamilyPolicy") == os_.get("ipFamilyPolicy"):
            ns.pop("ipFamilyPolicy", None)
    needs_node_port = ("NodePort", "LoadBalancer")
    if _type(old) in needs_node_port and _type(new) not in needs_node_port and _node_ports(old) == _node_ports(new):
        for p in ns.get("ports") or []:
            if isinstance(p, dict):
                p.pop("nodePort", None)
    old_hc = _type(old) == "LoadBalancer" and os_.get("externalTrafficPolicy") == "Local"
    new_hc = _type(new) == "LoadBalancer" and ns.get("externalTrafficPolicy") == "Local"
    if old_hc and not new_hc and ns.get("healthCheckNodePort") == os_.get("healthCheckNodePort"):
        ns.pop("healthCheckNodePort", None)
    if _type(old) == "LoadBalancer" and _type(new) != "LoadBalancer":
        if ns.get("allocateLoadBalancerNodePorts") is not None and \
                ns.get("allocateLoadBalancerNodePorts") == os_.get("allocateLoadBalancerNodePorts"):
            ns.pop("allocateLoadBalancerNodePorts", None)
        if ns.get("loadBalancerClass") == os_.get("loadBalancerClass"):
            ns.pop("loadBalancerClass", None)
    if _externally_accessible(old) and not _externally_accessible(new) and \
            ns.get("externalTrafficPolicy") == os_.get("externalTrafficPolicy"):
        ns.pop("externalTrafficPolicy", None)
    if _type(new) != "LoadBalancer" and isinstance(new.get("status"), dict):
        new["status"] = {**new["status"], "loadBalancer": {}}
