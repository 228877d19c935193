"""A container's environment as the kubelet builds it: the pod spec's `env`, plus the
Docker-links-style variables for every Service of the namespace (enableServiceLinks),
which is how old apps found `REDIS_SERVICE_HOST` before cluster DNS."""
from __future__ import annotations

from engine.api.store import Store
from engine.cluster.topology import Topology
from engine.dns.resolver import resolv_conf


def _svc_vars(svc: dict) -> list[tuple[str, str]]:
    spec = svc.get("spec") or {}
    ip = spec.get("clusterIP")
    if not ip or ip == "None" or not spec.get("ports"):
        return []
    name = svc["metadata"]["name"].upper().replace("-", "_")
    ports = spec["ports"]
    first = ports[0]
    out = [(f"{name}_SERVICE_HOST", ip), (f"{name}_SERVICE_PORT", str(first["port"]))]
    for p in ports:
        if p.get("name"):
            out.append((f"{name}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}", str(p["port"])))
    out.append((f"{name}_PORT", f"{first.get('protocol', 'TCP').lower()}://{ip}:{first['port']}"))
    for p in ports:
        proto = p.get("protocol", "TCP")
        prefix = f"{name}_PORT_{p['port']}_{proto}"
        out += [(prefix, f"{proto.lower()}://{ip}:{p['port']}"), (f"{prefix}_PROTO", proto.lower()),
                (f"{prefix}_PORT", str(p["port"])), (f"{prefix}_ADDR", ip)]
    return out


def container_env(store: Store, pod: dict, container: int = 0) -> list[tuple[str, str]]:
    c = pod["spec"]["containers"][container]
    env = [("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
           ("HOSTNAME", pod["metadata"]["name"])]
    env += [(e["name"], str(e.get("value", ""))) for e in c.get("env") or [] if "name" in e]
    if pod["spec"].get("enableServiceLinks", True):
        # makeEnvironmentVariables: a service variable is added only when the container does
        # not set that name itself (the tutorial's REDIS_PORT=6379 stays the only REDIS_PORT)
        ns = pod["metadata"].get("namespace") or "default"
        own = {name for name, _ in env}
        for svc in store.list("Service", ns):
            env += [(k, v) for k, v in _svc_vars(svc) if k not in own]
    env.append(("HOME", "/root"))
    return env


def pod_resolv_conf(topology: Topology, pod: dict) -> str:
    """What the kubelet writes into the pod's /etc/resolv.conf (its clusterDNS and
    clusterDomain are the topology's)."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy", "ClusterFirst")
    if policy == "Default" or (spec.get("hostNetwork") and policy != "ClusterFirstWithHostNet"):
        return "search .\nnameserver 172.18.0.1\noptions edns0 trust-ad ndots:0\n"  # the kind node's own
    ns = pod["metadata"].get("namespace") or "default"
    return resolv_conf(ns, topology.dns_ip, topology.dns_domain)
