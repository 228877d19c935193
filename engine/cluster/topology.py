"""The shape of the simulated cluster: nodes, CIDRs and kube-proxy settings.

It comes from, in order of precedence: Node objects in the manifests, kind's `Cluster`
config (`kind.x-k8s.io/v1alpha4`), a `KubeProxyConfiguration`, and otherwise the running
example of the spec: a three-node kind cluster.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from engine.api.gostrconv import go_quote
from engine.api.validation.messages import aggregate_message
from engine.api.validation.node import node_pod_cidrs, parse_cidr_sloppy

KUBERNETES_VERSION = "v1.33.1"  # kindest/node:v1.33.1
KERNEL_VERSION = "6.8.0-60-generic"  # the kind nodes' kernel: the host's (Node nodeInfo, nginx's OS line)
DEFAULT_POD_SUBNET = "10.244.0.0/16"
DEFAULT_SERVICE_SUBNET = "10.96.0.0/16"  # kind's default (kubeadm alone uses /12)
NODE_NETWORK = "172.18.0.0/16"  # docker network `kind`
DEFAULT_MAX_PODS = 110  # the kubelet's default maxPods
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
    max_pods: int = 110  # the kubelet's maxPods (KubeletConfiguration), its Node's allocatable pods


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


class Machines:
    """The machines behind node names, as the kubelet and CNI know them.

    A Node object can name anything (`no-such-node`); only a name that is one of the
    topology's machines has a kubelet, an address and a podCIDR behind it."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._by_name: dict[str, NodeSpec] = {}
        # `docker stop <node>`: the node's container is down -- its kubelet, kube-proxy and
        # every pod on it with it; the API still holds them until the control plane notices
        self._stopped: set[str] = set()

    def stop(self, name: str) -> None:
        self._stopped.add(name)

    def start(self, name: str) -> None:
        self._stopped.discard(name)

    def running(self, name: str) -> bool:
        """Whether the machine called `name` exists and is up."""
        return name not in self._stopped and self.get(name) is not None

    @property
    def stopped(self) -> frozenset[str]:
        return frozenset(self._stopped)

    def get(self, name: str) -> NodeSpec | None:
        """The machine called `name`, or None: no kubelet runs for a name that is not one
        of the cluster's machines (a pod bound to `no-such-node` stays Pending until the
        pod garbage collector removes it)."""
        spec = self._by_name.get(name)
        if spec is None:  # first use, or a node the topology gained since
            self._by_name = {n.name: n for n in self._topology.nodes}
            spec = self._by_name.get(name)
        return spec


def _node_names(cluster: str, roles: list[str]) -> list[str]:
    """kind names nodes `<cluster>-control-plane`, `-control-plane2`, `-worker`, `-worker2`."""
    names, seen = [], {"control-plane": 0, "worker": 0}
    for r in roles:
        seen[r] += 1
        names.append(f"{cluster}-{r}" + ("" if seen[r] == 1 else str(seen[r])))
    return names


NODE_MASK = {4: 24, 6: 64}  # kube-controller-manager's --node-cidr-mask-size-ipv4/-ipv6 defaults
MIN_SERVICE_ADDRESSES = 10  # kubeadm: the DNS Service is always the tenth ClusterIP
MIN_POD_ADDRESSES = 14  # kubeadm MinimumAddressesInPodSubnet
MAX_SERVICE_BITS = 20  # kubeadm / kube-apiserver MaximumBitsForServiceSubnet
POD_NODE_MASK_MAX_DIFF = 16  # kubeadm PodSubnetNodeMaskMaxDiff
KUBEADM_INIT = ("docker exec --privileged {node} kubeadm init --config=/kind/kubeadm.conf "
                "--skip-token-print --v=6")


class ClusterConfigError(ValueError):
    """A kind `Cluster` config that `kind create cluster` refuses. ``message`` is what kind
    prints (``ERROR: failed to create cluster: ...``); ``field`` the config field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _go_parse_cidr(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """Go's net.ParseCIDR (what kind's validateSubnets uses): ``addr/prefix``, the address as
    netip parses it (no leading zeros), the prefix in range; host bits are masked off."""
    if not isinstance(value, str) or "/" not in value:
        return None
    addr, _, mask = value.partition("/")
    if not mask.isascii() or not mask.isdigit():
        return None
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None
    if int(mask) > ip.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{ip}/{int(mask)}", strict=False)


def _kubeadm_field_error(field: str, value: str, detail: str) -> str:
    return f'{field}: Invalid value: "{value}": {detail}'


def validate_kind_networking(cluster_name: str, pod_subnet: Any, service_subnet: Any) -> None:
    """What `kind create cluster` says of the subnets: kind's own Validate (a CIDR that does
    not parse), then kubeadm's ValidateNetworking run by `kubeadm init` on the control plane
    (a service subnet with fewer than 10 addresses or over 20 host bits; a pod subnet with
    fewer than 14 addresses or smaller than the /24 each node gets)."""
    kind_errs: list[tuple[str, str]] = []
    for what, fld, value in (("pod", "podSubnet", pod_subnet), ("service", "serviceSubnet", service_subnet)):
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        if _go_parse_cidr(text) is None:
            kind_errs.append((f"networking.{fld}", f"invalid {what} subnet failed to parse cidr value:"
                              f'"{text}" with error: invalid CIDR address: {text}'))
    if kind_errs:
        body = _aggregate([m for _, m in kind_errs])
        raise ClusterConfigError(f"ERROR: failed to create cluster: {body}", kind_errs[0][0])
    errs: list[tuple[str, str]] = []
    if service_subnet is not None:
        net = _go_parse_cidr(service_subnet)
        assert net is not None
        f = "networking.serviceSubnet"
        if net.num_addresses < MIN_SERVICE_ADDRESSES:
            errs.append((f, _kubeadm_field_error(f, str(net), f"subnet with {net.num_addresses} address(es) is too small, "
                                                            f"the minimum is {MIN_SERVICE_ADDRESSES}")))
        if net.max_prefixlen - net.prefixlen > MAX_SERVICE_BITS:
            errs.append((f, _kubeadm_field_error(
                f, str(net), f"specified service subnet is too large; for {net.max_prefixlen}-bit addresses, "
                             f"the mask must be >= {net.max_prefixlen - MAX_SERVICE_BITS}")))
    if pod_subnet is not None:
        net = _go_parse_cidr(pod_subnet)
        assert net is not None
        f = "networking.podSubnet"
        if net.num_addresses < MIN_POD_ADDRESSES:
            errs.append((f, _kubeadm_field_error(f, str(net), f"subnet with {net.num_addresses} address(es) is too small, "
                                                            f"the minimum is {MIN_POD_ADDRESSES}")))
        node_mask = NODE_MASK[net.version]
        if net.prefixlen > node_mask:
            errs.append((f, _kubeadm_field_error(f, str(net), f"the size of pod subnet with mask {net.prefixlen} is smaller "
                                                            f"than the size of node subnet with mask {node_mask}")))
        elif node_mask - net.prefixlen > POD_NODE_MASK_MAX_DIFF:
            errs.append((f, _kubeadm_field_error(f, str(net), f"pod subnet mask ({net.prefixlen}) and node-mask ({node_mask}) "
                                                            f"difference is greater than {POD_NODE_MASK_MAX_DIFF}")))
    if errs:
        out = _aggregate([m for _, m in errs])
        cmd = KUBEADM_INIT.format(node=f"{cluster_name}-control-plane")
        raise ClusterConfigError(
            f'ERROR: failed to create cluster: failed to init node with kubeadm: command "{cmd}" failed with error: '
            f"exit status 1\n\nCommand Output: {out}", errs[0][0])


def _pod_cidrs(pod_subnet: str, n: int) -> list[str]:
    """The first ``n`` node CIDRs kube-controller-manager's range allocator hands out."""
    net = ipaddress.ip_network(pod_subnet, strict=False)
    prefix = max(NODE_MASK[net.version], net.prefixlen)
    out = []
    for sub in net.subnets(new_prefix=prefix):
        if len(out) == n:
            break
        out.append(str(sub))
    if len(out) < n:
        raise ClusterConfigError(
            f"svcflow: the pod subnet {net} holds {len(out)} node CIDR(s) of /{prefix} for {n} nodes; "
            "kube-controller-manager would leave the others without a podCIDR (CIDRNotAvailable)",
            "networking.podSubnet")
    return out


def _node_pod_cidr(spec: dict) -> str | None:
    """A Node manifest's pod CIDR as its node uses it: podCIDRs[0] (or podCIDR), host bits
    masked off as the CNI's parse does (the API server keeps the text as written)."""
    cidrs = node_pod_cidrs(spec)
    net = parse_cidr_sloppy(cidrs[0]) if cidrs else None
    return str(net) if net is not None else None


def validate_kind_roles(roles: list[Any]) -> None:
    """kind's Cluster.Validate for the nodes: each role is `control-plane` or `worker`, and
    there is at least one control-plane node."""
    errs = [(f"nodes[{i}].role", f"invalid configuration for node {i}: {_go_q(r)} is not a valid node role")
            for i, r in enumerate(roles) if r not in ("control-plane", "worker")]
    if "control-plane" not in roles:
        errs.append(("nodes", "must have at least one control plane node"))
    if errs:
        body = _aggregate([e for _, e in errs])
        raise ClusterConfigError(f"ERROR: failed to create cluster: {body}", errs[0][0])


def _go_q(v: Any) -> str:
    return go_quote(str(v))


def _aggregate(messages: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(), as kind and kubeadm print several errors."""
    return aggregate_message(messages)


def build_topology(configs: list[dict[str, Any]], node_objects: list[dict]) -> Topology:
    """Derive the topology from the config documents and Node objects found in manifests."""
    topo = Topology()
    roles = ["control-plane", "worker", "worker"]
    for c in configs:
        if c.get("kind") == "Cluster":
            topo.name = c.get("name") or topo.name
            if c.get("nodes"):
                # (a null node decodes to the zero Node, whose empty role kind defaults to control-plane)
                roles = [(n or {}).get("role") or "control-plane" for n in c["nodes"]]
                validate_kind_roles(roles)
            net = c.get("networking") if isinstance(c.get("networking"), dict) else {}
            validate_kind_networking(topo.name, net.get("podSubnet") or None, net.get("serviceSubnet") or None)
            if net.get("podSubnet"):
                topo.pod_subnet = str(_go_parse_cidr(net["podSubnet"]))
            if net.get("serviceSubnet"):
                topo.service_subnet = str(_go_parse_cidr(net["serviceSubnet"]))
            topo.proxy.cluster_cidr = topo.pod_subnet
            if net.get("kubeProxyMode"):
                topo.proxy.mode = str(net["kubeProxyMode"])
    max_pods = DEFAULT_MAX_PODS
    for c in configs:
        if c.get("kind") == "KubeletConfiguration" and isinstance(c.get("maxPods"), int) and c["maxPods"] > 0:
            max_pods = c["maxPods"]  # every node's kubelet runs with it (kind patches them all alike)
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
        # The same Node twice: `kubectl apply` updates it with the later document (last wins).
        by_name: dict[str, dict] = {}
        for obj in node_objects:
            by_name.pop(obj["metadata"]["name"], None)
            by_name[obj["metadata"]["name"]] = obj
        node_objects = list(by_name.values())
        given = [_node_pod_cidr(o.get("spec") or {}) for o in node_objects]
        cidrs = iter(_pod_cidrs(topo.pod_subnet, sum(1 for g in given if g is None)))
        ips = ipaddress.ip_network(NODE_NETWORK).hosts()
        next(ips)  # .1 is the docker bridge
        for i, obj in enumerate(node_objects):
            md, spec = obj.get("metadata") or {}, obj.get("spec") or {}
            labels = dict(md.get("labels") or {})
            role = "control-plane" if "node-role.kubernetes.io/control-plane" in labels else "worker"
            status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
            addrs = status.get("addresses") if isinstance(status.get("addresses"), list) else []
            ip = next((a["address"] for a in addrs if isinstance(a, dict) and a.get("type") == "InternalIP"
                       and isinstance(a.get("address"), str)), None)
            topo.nodes.append(NodeSpec(
                name=md["name"], role=role, ip=ip or str(next(ips)),
                pod_cidr=given[i] or next(cidrs), labels=labels,
                taints=list(spec.get("taints") or []), node_object=obj, max_pods=max_pods,
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
        topo.nodes.append(NodeSpec(name, role, str(next(ips)), cidr, labels, taints, max_pods=max_pods))
    return topo
