"""Synthetic clusters for the benchmarks: S Services x E endpoints over N nodes.

Every Service fronts a Deployment of E replicas (labels `app: <name>`, a named
container port `http` the Service targets by name). The mix follows what real
clusters carry:

- 1 in 20 Services is a NodePort (a nodePort allocated from 30000-32767),
- 1 in 250 is a LoadBalancer (the kind pool holds 51 addresses: at 10,000 Services
  that is 40 of them),
- 1 in 100 is headless (`clusterIP: None`),
- 1 in 10 has a second port (`grpc`, 9090), the rest are plain ClusterIP.

Services are spread over namespaces of `per_namespace` (default 100; the scalability
thresholds allow 5,000 Services and 3,000 pods per namespace): the first block lives in
`default`, so the dashboard's default view shows a realistic page, and the others in
`bench-001`, `bench-002`, ...

The topology is a kind `Cluster` config with N nodes (one control plane, N-1 workers)
plus one Node object per node that carries its podCIDR: kind hands every node a /24
(254 pod IPs) and 10,000 x 10 pods over 99 workers is ~1,010 pods a node, so the
benchmark nodes get a /21 each out of a 10.128.0.0/12 pod subnet. A kubelet admits 110
pods by default (`maxPods`), which would need ~910 workers for 100,000 pods; the
benchmark's Node objects say openly that their kubelets run with `maxPods: 2000`
(`status.capacity.pods`), as a KubeletConfiguration would set it.

`generate()` returns the documents in memory; `write()` lays them out as a manifest
folder (`cluster.yaml`, `nodes.yaml`, one `ns-XXX.yaml` per namespace) that
`svcflow PATH` and `cluster_from_paths` load like any user folder.

    python -m benchmarks.generate OUT_DIR --services 1000 [--endpoints 10] [--nodes 100]
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

CLUSTER_NAME = "bench"
POD_SUBNET = "10.128.0.0/12"
NODE_CIDR_PREFIX = 21
MAX_PODS = 2000  # each node's kubelet maxPods (default 110), stated in its Node object
IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.53"


@dataclass(frozen=True)
class Shape:
    services: int
    endpoints: int = 10
    nodes: int = 100
    per_namespace: int = 100

    @property
    def pods(self) -> int:
        return self.services * self.endpoints


def namespace_of(i: int, per_namespace: int = 100) -> str:
    block = i // per_namespace
    return "default" if block == 0 else f"bench-{block:03d}"


def service_name(i: int) -> str:
    return f"svc-{i:05d}"


def service_type(i: int) -> str:
    if i % 250 == 3:
        return "LoadBalancer"
    if i % 20 == 1:
        return "NodePort"
    return "ClusterIP"


def is_headless(i: int) -> bool:
    return i % 100 == 7


def has_second_port(i: int) -> bool:
    return i % 10 == 0


def node_names(n: int) -> list[str]:
    """kind's naming: `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`, ..."""
    names = [f"{CLUSTER_NAME}-control-plane"]
    names += [f"{CLUSTER_NAME}-worker" + ("" if k == 1 else str(k)) for k in range(1, n)]
    return names


def cluster_config(shape: Shape) -> dict:
    return {
        "kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", "name": CLUSTER_NAME,
        "networking": {"podSubnet": POD_SUBNET},
        "nodes": [{"role": "control-plane"}] + [{"role": "worker"} for _ in range(shape.nodes - 1)],
    }


def node_objects(shape: Shape) -> list[dict]:
    cidrs = ipaddress.ip_network(POD_SUBNET).subnets(new_prefix=NODE_CIDR_PREFIX)
    out = []
    for k, name in enumerate(node_names(shape.nodes)):
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
        spec: dict = {"podCIDR": str(next(cidrs)), "providerID": f"kind://docker/{CLUSTER_NAME}/{name}"}
        if k == 0:
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            if shape.nodes > 1:
                spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        out.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}, "spec": spec,
                    "status": {"capacity": {"pods": str(MAX_PODS)}}})
    return out


def deployment(i: int, shape: Shape) -> dict:
    name = service_name(i)
    ports = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    if has_second_port(i):
        ports.append({"name": "grpc", "containerPort": 9090, "protocol": "TCP"})
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace_of(i, shape.per_namespace), "labels": {"app": name}},
        "spec": {
            "replicas": shape.endpoints,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name, "tier": "bench"}},
                "spec": {"containers": [{"name": "app", "image": IMAGE, "args": ["netexec", "--http-port=8080"],
                                         "ports": ports}]},
            },
        },
    }


def service(i: int, shape: Shape) -> dict:
    name = service_name(i)
    ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}]
    if has_second_port(i):
        ports.append({"name": "grpc", "port": 9090, "protocol": "TCP", "targetPort": "grpc"})
    spec: dict = {"selector": {"app": name}, "ports": ports}
    if is_headless(i):
        spec["clusterIP"] = "None"
    else:
        spec["type"] = service_type(i)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace_of(i, shape.per_namespace)}, "spec": spec}


def namespaces(shape: Shape) -> list[str]:
    seen: dict[str, None] = {}
    for i in range(0, shape.services, shape.per_namespace):
        seen[namespace_of(i, shape.per_namespace)] = None
    return list(seen)


def workload_documents(shape: Shape) -> dict[str, list[dict]]:
    """Namespace -> its documents (Namespace object first, then Deployment + Service pairs)."""
    out: dict[str, list[dict]] = {}
    for ns in namespaces(shape):
        out[ns] = [] if ns == "default" else [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}]
    for i in range(shape.services):
        ns = namespace_of(i, shape.per_namespace)
        out[ns] += [deployment(i, shape), service(i, shape)]
    return out


def generate(shape: Shape) -> list[dict]:
    """Every document, config first: what `write()` puts on disk, in memory."""
    docs = [cluster_config(shape)] + node_objects(shape)
    for ns_docs in workload_documents(shape).values():
        docs += ns_docs
    return docs


def _dump(docs: list[dict]) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all(docs, Dumper=dumper, sort_keys=False, default_flow_style=False)


def write(folder: str | Path, shape: Shape) -> Path:
    """Write the manifest folder; returns it. Existing `*.yaml` files there are replaced."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    (folder / "cluster.yaml").write_text(_dump([cluster_config(shape)]))
    (folder / "nodes.yaml").write_text(_dump(node_objects(shape)))
    for k, (ns, docs) in enumerate(workload_documents(shape).items()):
        (folder / f"ns-{k:03d}.yaml").write_text(_dump(docs))
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--services", "-s", type=int, default=100)
    ap.add_argument("--endpoints", "-e", type=int, default=10)
    ap.add_argument("--nodes", "-n", type=int, default=100)
    ap.add_argument("--per-namespace", type=int, default=100)
    a = ap.parse_args(argv)
    shape = Shape(a.services, a.endpoints, a.nodes, a.per_namespace)
    write(a.out, shape)
    print(f"wrote {a.out}: {shape.services} Services x {shape.endpoints} endpoints over {shape.nodes} nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
