"""A container's environment as the kubelet builds it: the pod spec's `env`, plus the
Docker-links-style variables for every Service of the namespace (enableServiceLinks),
which is how old apps found `REDIS_SERVICE_HOST` before cluster DNS.

The kubelet builds it once, when it creates the container: a Service made later is not in
a running container's environment and a deleted one stays in it (the Service docs: "you
must create the Service before the client Pods come into existence"). `ServiceHistory`
keeps what that needs -- when each Service came and went, in store resource versions -- so
the environment of a container started at version N is the one of the Services of N."""
from __future__ import annotations

from engine.api.objects import meta
from engine.api.store import DELETED, Store
from engine.cluster.topology import Topology
from engine.dns.resolver import resolv_conf

#: The Service every pod's environment names, whatever its namespace (the API server's own).
MASTER_SERVICE = ("default", "kubernetes")


class ServiceHistory:
    """The kubelet's Service informer, for environments: each Service's creation version,
    and the Services deleted since (with the versions they lived between)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._born: dict[str, int] = {}  # uid -> the store's version when it was created
        self._gone: dict[str, list[tuple[int, int, dict]]] = {}  # namespace -> (born, deleted, Service)
        store.watch("Service", self._on_service)

    def _on_service(self, ev) -> None:
        md = meta(ev.obj)
        uid = md.get("uid", "")
        if ev.type == DELETED:
            born = self._born.pop(uid, 0)
            self._gone.setdefault(md.get("namespace") or "", []).append((born, self.store.resource_version, ev.obj))
        else:
            self._born.setdefault(uid, self.store.resource_version)

    def services_at(self, namespace: str, version: int) -> list[dict]:
        """The namespace's Services as they were listed at `version` (by name)."""
        live = [s for s in self.store.list("Service", namespace) if self._born.get(meta(s).get("uid", ""), 0) <= version]
        gone = [s for born, died, s in self._gone.get(namespace, ()) if born <= version < died]
        return sorted(live + gone, key=lambda s: meta(s)["name"])


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


def container_env(store: Store, pod: dict, container: int = 0, *, history: ServiceHistory | None = None,
                  started: int | None = None) -> list[tuple[str, str]]:
    """The environment of `pod`'s container (by index); with `history` and the store version
    the container `started` at, the Services of that moment (else of now)."""
    c = pod["spec"]["containers"][container]
    env = [("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
           ("HOSTNAME", pod["spec"].get("hostname") or pod["metadata"]["name"])]
    env += [(e["name"], str(e.get("value", ""))) for e in c.get("env") or [] if "name" in e]
    if pod["spec"].get("enableServiceLinks", True):
        # makeEnvironmentVariables: a service variable is added only when the container does
        # not set that name itself (the tutorial's REDIS_PORT=6379 stays the only REDIS_PORT)
        ns = pod["metadata"].get("namespace") or "default"
        own = {name for name, _ in env}

        def listed(namespace: str) -> list[dict]:
            if history is not None and started is not None:
                return history.services_at(namespace, started)
            return store.list("Service", namespace)

        services = listed(ns)
        if ns != MASTER_SERVICE[0]:  # (getServiceEnvVarMap: the API server's Service, from any namespace)
            services = services + [s for s in listed(MASTER_SERVICE[0]) if meta(s)["name"] == MASTER_SERVICE[1]]
        for svc in services:
            env += [(k, v) for k, v in _svc_vars(svc) if k not in own]
    env.append(("HOME", "/root"))
    return env


#: What the kubelet writes before a pod's own line in its /etc/hosts (managedHostsFileContent).
HOSTS_HEADER = ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")


def pod_hostname(topology: Topology, pod: dict) -> tuple[str, str]:
    """GeneratePodHostNameAndDomain: the pod's hostname (spec.hostname, else its name cut
    to 63 characters) and, with spec.subdomain, its domain
    (`SUBDOMAIN.NAMESPACE.svc.cluster.local`; "" without one)."""
    spec, md = pod.get("spec") or {}, pod.get("metadata") or {}
    host = spec.get("hostname") or md.get("name", "")[:63].rstrip("-.")
    sub = spec.get("subdomain")
    domain = f"{sub}.{md.get('namespace') or 'default'}.svc.{topology.dns_domain}" if sub else ""
    return host, domain


def kernel_hostname(topology: Topology, pod: dict) -> str:
    """What `hostname` prints in the pod: the FQDN with setHostnameAsFQDN, else the hostname."""
    host, domain = pod_hostname(topology, pod)
    return f"{host}.{domain}" if domain and (pod.get("spec") or {}).get("setHostnameAsFQDN") else host


def pod_hosts_file(topology: Topology, pod: dict) -> str:
    """The pod's /etc/hosts: the header, then its address with its FQDN and hostname when it
    has a subdomain (a StatefulSet's pods behind a headless Service), else with its hostname."""
    host, domain = pod_hostname(topology, pod)
    ip = (pod.get("status") or {}).get("podIP", "")
    own = f"{ip}\t{host}.{domain}\t{host}" if domain else f"{ip}\t{host}"
    return HOSTS_HEADER + own + "\n"


def pod_resolv_conf(topology: Topology, pod: dict) -> str:
    """What the kubelet writes into the pod's /etc/resolv.conf (its clusterDNS and
    clusterDomain are the topology's)."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy", "ClusterFirst")
    if policy == "Default" or (spec.get("hostNetwork") and policy != "ClusterFirstWithHostNet"):
        return "search .\nnameserver 172.18.0.1\noptions edns0 trust-ad ndots:0\n"  # the kind node's own
    ns = pod["metadata"].get("namespace") or "default"
    return resolv_conf(ns, topology.dns_ip, topology.dns_domain)
