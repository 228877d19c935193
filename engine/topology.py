"""The shape of the simulated cluster: nodes, CIDRs and kube-proxy settings.

It comes from, in order of precedence: Node objects in the manifests, kind's `Cluster`
config (`kind.x-k8s.io/v1alpha4`), a `KubeProxyConfiguration`, and otherwise the running
example of the spec: a three-node kind cluster.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

KUBERNETES_VERSION = "v1.33.1"  # kindest/node:v1.33.1
DEFAULT_POD_SUBNET = "10.244.0.0/16"
DEFAULT_SERVICE_SUBNET = "10.96.0.0/16"  # kind's default (kubeadm alone uses /12)
NODE_NETWORK = "172.18.0.0/16"  # docker network `kind`
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


@dataclass
class NodeSpec:
    name: str
    role: str  # "control-plane" or "worker"
    ip: str
    pod_cidr: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict] = field(default_factory=list)
    node_object: dict | None = None  # when the user gave a Node manifest


@dataclass
class ProxyConfig:
    """The subset of KubeProxyConfiguration that changes the rules kube-proxy writes."""

    mode: str = "iptables"
    cluster_cidr: str = DEFAULT_POD_SUBNET
    masquerade_all: bool = False
    masquerade_bit: int = 14
    localhost_node_ports: bool = True
    node_port_addresses: list[str] = field(default_factory=list)


@dataclass
class Topology:
    name: str = "kind"
    nodes: list[NodeSpec] = field(default_factory=list)
    pod_subnet: str = DEFAULT_POD_SUBNET
    service_subnet: str = DEFAULT_SERVICE_SUBNET
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    node_port_range: tuple[int, int] = (30000, 32767)
    dns_domain: str = "cluster.local"

    @property
    def dns_ip(self) -> str:
        return str(ipaddress.ip_network(self.service_subnet, strict=False).network_address + 10)

    @property
    def control_plane(self) -> NodeSpec:
        return next((n for n in self.nodes if n.role == "control-plane"), self.nodes[0])


def _node_names(cluster: str, roles: list[str]) -> list[str]:
    """kind names nodes `<cluster>-control-plane`, `-control-plane2`, `-worker`, `-worker2`."""
    names, seen = [], {"control-plane": 0, "worker": 0}
    for r in roles:
        seen[r] += 1
        names.append(f"{cluster}-{r}" + ("" if seen[r] == 1 else str(seen[r])))
    return names


def _pod_cidrs(pod_subnet: str, n: int) -> list[str]:
    net = ipaddress.ip_network(pod_subnet, strict=False)
    prefix = 24 if net.version == 4 and net.prefixlen <= 24 else min(net.prefixlen + 8, 128 if net.version == 6 else 32)
    if net.version == 6:
        prefix = 64 if net.prefixlen <= 64 else net.prefixlen
    subnets = net.subnets(new_prefix=prefix)
    return [str(next(subnets)) for _ in range(n)]


def build_topology(configs: list[dict[str, Any]], node_objects: list[dict]) -> Topology:
    """Derive the topology from the config documents and Node objects found in manifests."""
    topo = Topology()
    roles = ["control-plane", "worker", "worker"]
    for c in configs:
        if c.get("kind") == "Cluster":
            topo.name = c.get("name") or topo.name
            if c.get("nodes"):
                roles = [n.get("role", "control-plane") for n in c["nodes"]]
            net = c.get("networking") or {}
            topo.pod_subnet = net.get("podSubnet") or topo.pod_subnet
            topo.service_subnet = net.get("serviceSubnet") or topo.service_subnet
            topo.proxy.cluster_cidr = topo.pod_subnet
            if net.get("kubeProxyMode"):
                topo.proxy.mode = str(net["kubeProxyMode"])
    for c in configs:
        if c.get("kind") == "KubeProxyConfiguration":
            p = topo.proxy
            p.mode = c.get("mode") or p.mode
            p.cluster_cidr = c.get("clusterCIDR") or p.cluster_cidr
            ipt = c.get("iptables") or {}
            p.masquerade_all = bool(ipt.get("masqueradeAll", p.masquerade_all))
            p.masquerade_bit = int(ipt.get("masqueradeBit", p.masquerade_bit))
            p.localhost_node_ports = bool(ipt.get("localhostNodePorts", p.localhost_node_ports))
            p.node_port_addresses = list(c.get("nodePortAddresses") or [])
    if node_objects:
        cidrs = _pod_cidrs(topo.pod_subnet, len(node_objects))
        ips = ipaddress.ip_network(NODE_NETWORK).hosts()
        next(ips)  # .1 is the docker bridge
        for i, obj in enumerate(node_objects):
            md, spec = obj.get("metadata") or {}, obj.get("spec") or {}
            labels = dict(md.get("labels") or {})
            role = "control-plane" if "node-role.kubernetes.io/control-plane" in labels else "worker"
            addrs = (obj.get("status") or {}).get("addresses") or []
            ip = next((a["address"] for a in addrs if a.get("type") == "InternalIP"), None)
            topo.nodes.append(NodeSpec(
                name=md["name"], role=role, ip=ip or str(next(ips)),
                pod_cidr=spec.get("podCIDR") or cidrs[i], labels=labels,
                taints=list(spec.get("taints") or []), node_object=obj,
            ))
        return topo
    names = _node_names(topo.name, roles)
    cidrs = _pod_cidrs(topo.pod_subnet, len(names))
    ips = ipaddress.ip_network(NODE_NETWORK).hosts()
    next(ips)
    has_workers = "worker" in roles
    for name, role, cidr in zip(names, roles, cidrs):
        labels = {
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
        }
        taints: list[dict] = []
        if role == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            if has_workers:
                taints.append(dict(CONTROL_PLANE_TAINT))
        topo.nodes.append(NodeSpec(name, role, str(next(ips)), cidr, labels, taints))
    return topo
