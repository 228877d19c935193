"""kube-proxy's first full sync in slices, per mode (issue 18): the longest slice and the total.

An attached dashboard runs kube-proxy's first sync over every Service a slice at a time
(`KubeProxy.sync_in_slices`), repainting between slices; what a user feels as a freeze is
the longest slice, and the rules pane's first paint after it. This builds a mirror of S
Services (the mix of `benchmarks.generate`: NodePorts, LoadBalancers, headless ones, second
ports) with E ready endpoints each over N nodes, in the mode asked, and measures:

- `one_call_s`: the first sync in one call (what the simulation and the CLI do);
- `sliced_total_s`, `slices`, `longest_slice_s`: the same sync through `sync_in_slices`
  with the given budget;
- `first_paint_s`: the rules pane's first lines for the first node after the sliced sync
  (`engine.views.panes.proxy_lines`, what the dashboard's pane asks).

    python -m benchmarks.proxy_first_sync_bench --services 10000 --nodes 3 --modes ipvs,nftables

Run by hand; CI never times anything.
"""
from __future__ import annotations

import argparse
import gc
import ipaddress
import json
import subprocess
import sys
import time

from benchmarks.generate import Shape, has_second_port, is_headless, node_objects, service, service_type
from engine.cluster.cluster import Cluster
from engine.cluster.topology import Topology
from engine.heap import no_cyclic_gc
from engine.views.panes import proxy_lines


def objects(shape: Shape) -> list[dict]:
    """Nodes, Services (with the ClusterIPs, NodePorts and LoadBalancer addresses an API
    server and a cloud would give them) and one EndpointSlice per Service."""
    out = node_objects(shape)
    nodes = [n["metadata"]["name"] for n in out]
    pod_ips = ipaddress.ip_network("10.128.0.0/12").hosts()
    base = int(ipaddress.ip_address("10.96.0.0"))
    for i in range(shape.services):
        svc = service(i, shape)
        spec, name, ns = svc["spec"], svc["metadata"]["name"], svc["metadata"]["namespace"]
        if not is_headless(i):
            ip = str(ipaddress.ip_address(base + 16 + i))
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        if service_type(i) in ("NodePort", "LoadBalancer"):
            for k, p in enumerate(spec["ports"]):
                p["nodePort"] = 30000 + (i * 2 + k) % 2768
        if service_type(i) == "LoadBalancer":
            svc["status"] = {"loadBalancer": {"ingress": [{"ip": f"172.18.255.{(i // 250) % 250 + 1}"}]}}
        ports = [{"name": "http", "port": 8080, "protocol": "TCP"}]
        if has_second_port(i):
            ports.append({"name": "grpc", "port": 9090, "protocol": "TCP"})
        endpoints = [{"addresses": [str(next(pod_ips))], "nodeName": nodes[(i + e) % len(nodes)],
                      "conditions": {"ready": True, "serving": True, "terminating": False}}
                     for e in range(shape.endpoints)]
        out.append(svc)
        out.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": {"namespace": ns, "name": f"{name}-abcde",
                                 "labels": {"kubernetes.io/service-name": name}},
                    "addressType": "IPv4", "endpoints": endpoints, "ports": ports})
    return out


def mirror(mode: str, docs: list[dict]) -> Cluster:
    topo = Topology()
    topo.proxy.mode = mode
    c = Cluster(topo, mirror=True, deterministic=True)
    for o in docs:
        c.store.put(o)
    return c


def first_paint(c: Cluster, mode: str) -> float:
    kp = c.kube_proxy
    node = sorted(kp.last_sync)[0]
    t = time.perf_counter()
    with no_cyclic_gc(freeze=lambda: True):
        proxy_lines(c, node, mode)
    return time.perf_counter() - t


def one_call(mode: str, shape: Shape) -> dict:
    c = mirror(mode, objects(shape))
    gc.collect()
    t = time.perf_counter()
    with no_cyclic_gc(freeze=lambda: True):  # (as `Cluster.run_for` runs kube-proxy)
        c.kube_proxy.reconcile("sync")
    return {"one_call_s": round(time.perf_counter() - t, 3)}


def sliced(mode: str, shape: Shape, budget: float) -> dict:
    c = mirror(mode, objects(shape))
    gc.collect()
    kp = c.kube_proxy
    longest, slices = 0.0, 0
    t0 = time.perf_counter()
    while True:
        t = time.perf_counter()
        done = kp.sync_in_slices(budget)
        longest = max(longest, time.perf_counter() - t)
        slices += 1
        if done:
            break
    return {"sliced_total_s": round(time.perf_counter() - t0, 3), "slices": slices,
            "longest_slice_s": round(longest, 3), "first_paint_s": round(first_paint(c, mode), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--services", type=int, default=10000)
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--modes", default="iptables,ipvs,nftables")
    ap.add_argument("--budget", type=float, default=0.02, help="seconds a slice may take (the dashboard's)")
    ap.add_argument("--part", choices=("one-call", "sliced"), help="(one measurement, in this process)")
    args = ap.parse_args(argv)
    shape = Shape(services=args.services, endpoints=args.endpoints, nodes=args.nodes)
    if args.part:
        mode = args.modes
        res = one_call(mode, shape) if args.part == "one-call" else sliced(mode, shape, args.budget)
        print(json.dumps(res), flush=True)
        return 0
    for mode in args.modes.split(","):
        res: dict = {"mode": mode, "services": shape.services, "nodes": shape.nodes, "budget_s": args.budget}
        for part in ("one-call", "sliced"):  # (each in a fresh process: no cache warmed by the other)
            out = subprocess.run([sys.executable, "-m", "benchmarks.proxy_first_sync_bench", "--part", part,
                                  "--modes", mode, "--services", str(args.services), "--endpoints",
                                  str(args.endpoints), "--nodes", str(args.nodes), "--budget", str(args.budget)],
                                 capture_output=True, text=True, check=True)
            res.update(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
