"""The engine half of the suite: cold start, full renders, one-change latency, DNS.

Run one size per process (peak RSS is the process's own):

    python -m benchmarks.engine_bench FOLDER --json OUT.json

FOLDER is a manifest folder written by `benchmarks.generate`. Every figure is wall time
on this machine (`time.perf_counter`), with the simulated cluster in deterministic mode
so two runs do the same work.
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from benchmarks.generate import namespace_of, service, service_name

# A ClusterIP Service with E endpoints that every size has (index 2: not NodePort, LB or
# headless), and a NodePort one.
CHANGE_SERVICE = 2
ONE_CHANGE_REPEATS = 5


def rss_mib() -> float:
    """Current resident set size (Linux /proc), MiB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:  # pragma: no cover - not Linux
        return peak_rss_mib()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


# -- 1. cold start ------------------------------------------------------------------

def cold_start(folder: Path) -> tuple[object, dict]:
    from engine.apply.workspace import cluster_from_paths

    gc.collect()
    before = rss_mib()
    secs, (cluster, report) = _timed(lambda: cluster_from_paths([folder], deterministic=True))
    after = rss_mib()
    store = cluster.store
    objects = sum(store.count(k) for k in store.kinds())
    pods = list(store.iter("Pod"))
    running = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")
    steady = check_steady(cluster)
    return cluster, {
        "seconds": secs,
        "apply_errors": len(report.errors),
        "pods": len(pods),
        "pods_running": running,
        "pods_per_second": len(pods) / secs if secs else 0.0,
        "objects": objects,
        "objects_by_kind": {k: store.count(k) for k in store.kinds()},
        "flow_events": cluster.flow_events.total,
        "rss_before_mib": before,
        "rss_after_mib": after,
        "peak_rss_mib": peak_rss_mib(),
        "bytes_per_object": (after - before) * 2**20 / objects if objects else 0.0,
        "steady": steady,
    }


def check_steady(cluster) -> dict:
    """All pods Running and Ready, every selector Service has Endpoints and slices,
    kube-proxy has nothing left to sync, CoreDNS serves every Service."""
    from engine.api.objects import pod_is_ready

    store = cluster.store
    pods = list(store.iter("Pod"))
    not_ready = [p for p in pods if not pod_is_ready(p)]
    services = [s for s in store.iter("Service") if (s.get("spec") or {}).get("selector")]
    missing_ep = [s for s in services if store.get("Endpoints", s["metadata"]["namespace"], s["metadata"]["name"]) is None]
    queues = {c.name: len(c.queue) for c in cluster.controllers if c.queue}
    kp = cluster.kube_proxy
    pending_proxy = bool(getattr(kp, "_changed", None)) or getattr(kp, "_timer", None) is not None
    dns = cluster.coredns.plugin
    domain = cluster.topology.dns_domain
    missing_dns = [s for s in store.iter("Service")
                   if not dns.query(f"{s['metadata']['name']}.{s['metadata']['namespace']}.svc.{domain}.", "A").answer
                   and (s.get("spec") or {}).get("clusterIP") not in (None, "", "None")]
    return {"pods_not_ready": len(not_ready), "services_without_endpoints": len(missing_ep),
            "queued": queues, "proxy_pending": pending_proxy, "services_without_dns": len(missing_dns),
            "ok": not not_ready and not missing_ep and not queues and not pending_proxy and not missing_dns}


# -- 2. full kube-proxy renders ----------------------------------------------------------

def full_renders(cluster, node: str) -> dict:
    from engine.proxy.modes import ModeProxies

    kp = cluster.kube_proxy
    out = {}
    secs, text = _timed(lambda: kp.full_restore(node))
    lines = text.count("\n")
    out["iptables"] = {"seconds": secs, "lines": lines, "lines_per_second": lines / secs if secs else 0.0,
                       "bytes": len(text)}
    del text
    for mode in ("ipvs", "nftables"):
        kp.modes = ModeProxies(cluster.store, cluster.clock, cluster.topology)  # a new kube-proxy of that mode: full sync + render
        kp._other_modes.clear()
        secs, text = _timed(lambda: kp.render(node, mode))
        lines = text.count("\n")
        out[mode] = {"seconds": secs, "lines": lines, "lines_per_second": lines / secs if secs else 0.0,
                     "bytes": len(text)}
        del text
        kp._other_modes.clear()
    kp.modes = ModeProxies(cluster.store, cluster.clock, cluster.topology)
    return out


# -- 3. one change ------------------------------------------------------------------------

def _settle_between(cluster) -> None:
    """Let simulated time pass (untimed) so rate limits refill and nothing is queued."""
    cluster.run_for(5.0)
    cluster.run_until_idle()


def _pods_of(cluster, i: int, per_namespace: int) -> list[dict]:
    ns = namespace_of(i, per_namespace)
    return cluster.store.select("Pod", ns, {"app": service_name(i)})


def _verify_not_ready(cluster, ns: str, svc: str, ip: str) -> dict:
    ep = cluster.store.get("Endpoints", ns, svc)
    moved = any(a["ip"] == ip for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses") or [])
    slices = cluster.store.by_label("EndpointSlice", ns, "kubernetes.io/service-name", svc)
    slice_ok = any(e["addresses"][0] == ip and not e["conditions"]["ready"] for s in slices for e in s.get("endpoints") or [])
    # On every node the Service's chain no longer jumps to the endpoint's KUBE-SEP chain
    # (the unreferenced chain itself may linger until large-cluster mode's cleanup).
    from engine.proxy.iptables.chains import endpoint_chain, service_chain

    spn = f"{ns}/{svc}:http"
    svc_chain, sep = service_chain(spn, "tcp"), endpoint_chain(spn, "tcp", f"{ip}:8080")
    kp = cluster.kube_proxy
    nodes = [n["metadata"]["name"] for n in cluster.store.list("Node")]
    states = {id(kp.proxiers[n]): kp.proxiers[n] for n in nodes}
    rules_ok = all(svc_chain in p.netfilter.tables["nat"].chains
                   and not any(sep in r for r in p.netfilter.tables["nat"].chains[svc_chain])
                   for p in states.values())
    return {"endpoints": moved, "slice": slice_ok, "rules_every_node": rules_ok,
            "rule_states": len(states)}


def one_change(cluster, per_namespace: int) -> dict:
    """The three changes of the issue, each repeated; the median is reported."""
    i = CHANGE_SERVICE
    ns, svc = namespace_of(i, per_namespace), service_name(i)
    out: dict = {}

    # a) a pod turns not ready (its readiness probe starts failing)
    samples, checks, events = [], [], []
    pods = _pods_of(cluster, i, per_namespace)
    for pod in pods[:ONE_CHANGE_REPEATS]:
        _settle_between(cluster)
        name, ip = pod["metadata"]["name"], pod["status"]["podIP"]
        n0 = cluster.flow_events.total
        t = time.perf_counter()
        cluster.kubelet.set_readiness(ns, name, False)
        cluster.run_for(0)
        samples.append(time.perf_counter() - t)
        events.append(cluster.flow_events.total - n0)
        checks.append(_verify_not_ready(cluster, ns, svc, ip))
        cluster.kubelet.set_readiness(ns, name, True)
        cluster.run_until_idle()
    out["pod_not_ready"] = _summary(samples, checks, events)

    # b) the Service gains a port
    samples, checks, events = [], [], []
    for k in range(ONE_CHANGE_REPEATS):
        _settle_between(cluster)
        manifest = service(i, _shape(cluster, per_namespace))
        manifest["spec"]["ports"].append({"name": f"extra{k}", "port": 10000 + k, "protocol": "TCP",
                                          "targetPort": 10000 + k})
        n0 = cluster.flow_events.total
        t = time.perf_counter()
        res = cluster.api.apply(manifest, "bench.yaml")
        cluster.run_for(0)
        samples.append(time.perf_counter() - t)
        events.append(cluster.flow_events.total - n0)
        ep = cluster.store.get("Endpoints", ns, svc)
        has_port = any(p.get("name") == f"extra{k}" for s in ep.get("subsets") or [] for p in s.get("ports") or [])
        spn_chain = _has_chain(cluster, ns, svc, f"extra{k}")
        srv = cluster.coredns.plugin.query(f"_extra{k}._tcp.{svc}.{ns}.svc.{cluster.topology.dns_domain}.", "SRV")
        checks.append({"applied": res.ok, "endpoints": has_port, "rules": spn_chain, "dns_srv": bool(srv.answer)})
        cluster.api.apply(service(i, _shape(cluster, per_namespace)), "bench.yaml")  # back to one port
        cluster.run_until_idle()
    out["service_gains_port"] = _summary(samples, checks, events)

    # c) one Service added (selecting the existing pods of Service 2, as `kubectl expose`)
    samples, checks, events = [], [], []
    for k in range(ONE_CHANGE_REPEATS):
        _settle_between(cluster)
        manifest = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"bench-added-{k}", "namespace": ns},
                    "spec": {"selector": {"app": svc}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
        n0 = cluster.flow_events.total
        t = time.perf_counter()
        res = cluster.api.apply(manifest, "bench.yaml")
        cluster.run_for(0)
        samples.append(time.perf_counter() - t)
        events.append(cluster.flow_events.total - n0)
        ep = cluster.store.get("Endpoints", ns, f"bench-added-{k}")
        a = cluster.coredns.plugin.query(f"bench-added-{k}.{ns}.svc.{cluster.topology.dns_domain}.", "A")
        checks.append({"applied": res.ok, "endpoints": bool(ep and ep.get("subsets")),
                       "rules": _has_chain(cluster, ns, f"bench-added-{k}", "http"), "dns_a": bool(a.answer)})
    out["service_added"] = _summary(samples, checks, events)
    return out


def _shape(cluster, per_namespace: int):
    from benchmarks.generate import Shape

    return Shape(services=CHANGE_SERVICE + 1, per_namespace=per_namespace)


def _has_chain(cluster, ns: str, svc: str, port_name: str) -> bool:
    """The Service port's KUBE-SVC chain exists on every node."""
    from engine.proxy.iptables.chains import service_chain

    chain = service_chain(f"{ns}/{svc}:{port_name}", "tcp")
    kp = cluster.kube_proxy
    return all(chain in kp.proxiers[n["metadata"]["name"]].netfilter.tables["nat"].chains
               for n in cluster.store.list("Node"))


def _summary(samples: list[float], checks: list[dict], events: list[int]) -> dict:
    ok = all(all(v for v in c.values() if isinstance(v, bool)) for c in checks)
    return {"median_seconds": statistics.median(samples), "min_seconds": min(samples),
            "max_seconds": max(samples), "samples": samples, "flow_events": events,
            "verified": ok, "checks": checks}


# -- 4. DNS ------------------------------------------------------------------------------

def dns_lookups(cluster, per_namespace: int, services: int, seconds: float = 2.0) -> dict:
    """getaddrinfo-style lookups (A+AAAA) from a pod through its resolv.conf: names that
    hit on the first search suffix, on the second, fully qualified, and external names
    that walk the whole search list to NXDOMAIN."""
    from engine.dns.resolver import ADDRESS, resolve
    from engine.dns.resolver import ResolvConf
    from engine.kubectl.dns import pod_resolv_conf

    plugin = cluster.coredns.plugin
    domain = cluster.topology.dns_domain
    pod = _pods_of(cluster, CHANGE_SERVICE, per_namespace)[0]
    conf = ResolvConf.parse(pod_resolv_conf(cluster.topology, pod))
    ns0 = namespace_of(0, per_namespace)
    names = []
    for k in range(0, services, max(1, services // 200)):
        ns, svc = namespace_of(k, per_namespace), service_name(k)
        names.append(svc if ns == ns0 else f"{svc}.{ns}")
        names.append(f"{svc}.{ns}.svc.{domain}")
    names += ["example.com", "registry.k8s.io"]
    counts = {"lookups": 0, "queries": 0, "answered": 0}
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for n in names:
            r = resolve(n, ADDRESS, conf, plugin)
            counts["lookups"] += 1
            counts["queries"] += sum(len(a.responses) for a in r.attempts)
            counts["answered"] += bool(r.addresses)
    el = time.perf_counter() - t0
    # The plugin alone: one A question for a Service name (the suggested-goal figure).
    fq = [f"{service_name(k)}.{namespace_of(k, per_namespace)}.svc.{domain}." for k in range(0, services, max(1, services // 200))]
    n_a = 0
    t1 = time.perf_counter()
    while time.perf_counter() - t1 < seconds / 2:
        for q in fq:
            plugin.query(q, "A")
            n_a += 1
    el_a = time.perf_counter() - t1
    return {"lookups_per_second": counts["lookups"] / el, "queries_per_second": counts["queries"] / el,
            "answered_fraction": counts["answered"] / max(1, counts["lookups"]),
            "names": len(names), "a_queries_per_second": n_a / el_a, "a_query_microseconds": el_a / n_a * 1e6}


# -- main ---------------------------------------------------------------------------------

def run(folder: Path, per_namespace: int = 100, services: int | None = None, dns_seconds: float = 2.0) -> dict:
    result: dict = {"folder": str(folder)}
    cluster, result["cold_start"] = cold_start(folder)
    nodes = [n["metadata"]["name"] for n in cluster.store.list("Node")]
    worker = next((n for n in nodes if "worker" in n), nodes[0])
    result["node"] = worker
    result["nodes"] = len(nodes)
    result["proxy_classes"] = len(set(getattr(cluster.kube_proxy, "_class_of", {}).values()))
    result["full_render"] = full_renders(cluster, worker)
    result["one_change"] = one_change(cluster, per_namespace)
    n_services = services if services is not None else sum(1 for s in cluster.store.iter("Service")
                                                           if s["metadata"]["name"].startswith("svc-"))
    result["dns"] = dns_lookups(cluster, per_namespace, n_services, seconds=dns_seconds)
    result["peak_rss_mib"] = peak_rss_mib()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--json", required=True)
    ap.add_argument("--per-namespace", type=int, default=100)
    a = ap.parse_args(argv)
    res = run(Path(a.folder), a.per_namespace)
    Path(a.json).write_text(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
