"""The mirror: a real cluster's objects in a simulated `Cluster`'s store, as they are.

The reflectors' objects go into the store as the server sent them (real names, uids,
resourceVersions, timestamps: `Store.put`; only `managedFields` is dropped), with every controller that writes switched off (`Cluster(mirror=
True)`). kube-proxy, in the mode the cluster's `kube-system/kube-proxy` ConfigMap names, and
CoreDNS, as its Corefile configures it, run over that store exactly as in the simulation, so
the rules and records shown are computed by the one implementation of each.

The cluster is built once every kind has been listed (`build`): its shape (nodes, the
cluster CIDR, the mode, the DNS zone and nameserver) comes from those lists. Before that the
reflectors' lists and events are kept.

The first two steps of the Service flow come from the watch itself, at the moment each event
arrives: ① a Service ADDED, ② an EndpointSlice written by `endpointslice-controller.k8s.io`
for it. Steps ③ and ④ are the computed kube-proxy's and CoreDNS's, when they next run. The
delays between steps are the real ones, as svcflow saw them (the objects' own timestamps,
second-precision, are in the events' data).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import yaml

from engine.api.objects import labels_of, meta
from engine.api.store import shared
from engine.api.wellknown import MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from engine.attach.reflector import Resource
from engine.attach.source import COREDNS_CONFIGMAP, KUBE_PROXY_CONFIGMAP, RESOURCES
from engine.cluster.cluster import Cluster
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS
from engine.cluster.topology import ClusterConfigError, Topology, build_topology
from engine.dns.corefile import CoreDNSConfig, CorefileError, read_corefile

ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io"
WATCH = "kube-apiserver"  # who the first step's event is attributed to: the watch told svcflow


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Shape:
    """What the lists say about the cluster's shape, and what svcflow had to assume."""

    topology: Topology
    coredns: CoreDNSConfig
    nameserver: str | None
    notes: list[str] = field(default_factory=list)


def shape_of(lists: dict[Resource, list[dict]]) -> Shape:
    """The topology (nodes, kube-proxy's configuration), CoreDNS's configuration and the
    nameserver pods ask, from the listed objects."""
    notes: list[str] = []
    by_kind: dict[str, list[dict]] = {}
    for r, objs in lists.items():
        by_kind.setdefault(r.kind, []).extend(objs)
    cms = {meta(o).get("name"): o for o in by_kind.get("ConfigMap", ())}
    configs: list[dict] = []
    kp = cms.get(KUBE_PROXY_CONFIGMAP)
    text = ((kp or {}).get("data") or {}).get("config.conf")
    if text:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            doc = None
        if isinstance(doc, dict):
            doc = _without_nulls(doc)
            doc["kind"] = "KubeProxyConfiguration"
            configs.append(doc)
        else:
            notes.append("kube-system/kube-proxy: config.conf is not a KubeProxyConfiguration; assuming iptables mode")
    else:
        notes.append("no kube-system/kube-proxy ConfigMap with config.conf: kube-proxy computed in iptables mode "
                     "with kind's defaults")
    try:
        topo = build_topology(configs, by_kind.get("Node", []))
    except (ClusterConfigError, ValueError, TypeError) as e:
        notes.append(f"kube-system/kube-proxy: {e}; using kind's defaults")
        topo = build_topology([], by_kind.get("Node", []))
    if configs and configs[0].get("clusterCIDR"):
        topo.pod_subnet = str(configs[0]["clusterCIDR"]).split(",")[0]
    if not (configs[0].get("mode") if configs else ""):
        topo.proxy.mode = "iptables"  # (empty: the platform's default, iptables on Linux)
    services = {(meta(o).get("namespace"), meta(o).get("name")): o for o in by_kind.get("Service", ())}
    api_ip = ((services.get(("default", "kubernetes")) or {}).get("spec") or {}).get("clusterIP")
    if api_ip and api_ip != "None":
        try:
            if ipaddress.ip_address(api_ip) not in ipaddress.ip_network(topo.service_subnet):
                topo.service_subnet = str(ipaddress.ip_network(f"{api_ip}/16", strict=False))
                notes.append(f"Service CIDR taken as {topo.service_subnet} (around the kubernetes Service's {api_ip})")
        except ValueError:
            pass
    corefile = ((cms.get(COREDNS_CONFIGMAP) or {}).get("data") or {}).get("Corefile")
    coredns = CoreDNSConfig()
    if corefile:
        try:
            reading = read_corefile(corefile)
            coredns = reading.config
            if reading.ignored:
                notes.append("Corefile plugins not computed: " + ", ".join(reading.ignored))
        except CorefileError as e:
            notes.append(f"kube-system/coredns: {e}; CoreDNS computed as kubeadm configures it")
    else:
        notes.append("no kube-system/coredns ConfigMap: CoreDNS computed as kubeadm configures it")
    topo.dns_domain = coredns.zone
    dns = ((services.get(("kube-system", "kube-dns")) or {}).get("spec") or {}).get("clusterIP")
    return Shape(topo, coredns, dns if dns and dns != "None" else None, notes)


#: Parts of a pod that repeat across the pods of one template (or one second), kept once.
_SHARED_POD_SPEC = ("containers", "tolerations", "affinity", "nodeSelector")
_SHARED_POD_STATUS = ("conditions",)


def _without_nulls(d: dict) -> dict:
    """A KubeProxyConfiguration as kubeadm writes it says `masqueradeBit: null`,
    `localhostNodePorts: null`...: null is "the default", as if the field were absent."""
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}


def _slim(obj: dict) -> dict:
    """The object as the mirror keeps it: as the server sent it, less `managedFields`, which
    no pane or computation reads and which is most of a pod's bytes at 100,000 pods
    (`kubectl get -o yaml` leaves them out too). A pod's parts that equal another pod's
    (its template's containers and labels, conditions reached in the same second) are
    one instance (`shared`: stored objects are never mutated), as the simulation's are."""
    md = obj.get("metadata")
    if isinstance(md, dict):
        md.pop("managedFields", None)
        if obj.get("kind") == "Pod":
            for f in ("labels", "ownerReferences"):
                if md.get(f):
                    md[f] = shared(md[f])
            for part, fields in (("spec", _SHARED_POD_SPEC), ("status", _SHARED_POD_STATUS)):
                d = obj.get(part)
                if isinstance(d, dict):
                    for f in fields:
                        if d.get(f):
                            d[f] = shared(d[f])
    return obj


def _selects(resource: Resource, obj: dict) -> bool:
    """Whether `obj` is one the resource's list returns (the ConfigMaps are selected by name;
    a kind listed per namespace, RBAC's fallback, returns that namespace's)."""
    if resource.namespace and meta(obj).get("namespace") != resource.namespace:
        return False
    sel = resource.field_selector
    if not sel:
        return True
    field_, _, value = sel.partition("=")
    md = meta(obj)
    return field_ == "metadata.name" and md.get("name") == value and md.get("namespace") == "kube-system"


class Mirror:
    """The reflectors' sink (`ReflectorSink`): keeps the lists until `build`, then mirrors
    every list and event into the cluster's store."""

    def __init__(self, now: Callable[[], datetime] = wall_now) -> None:
        self.now = now
        self.cluster: Cluster | None = None
        self.shape: Shape | None = None
        self._lists: dict[Resource, list[dict]] = {}
        self._early: list[tuple[Resource, str, dict]] = []
        self.problems: dict[str, str] = {}  # resource name -> its one line
        self.on_problems: Callable[[], None] | None = None
        self.events_seen = 0

    # -- ReflectorSink -----------------------------------------------------------------
    def replace(self, resource: Resource, objects: list[dict]) -> None:
        if self.cluster is None:
            self._lists[resource] = objects
            self._early = [e for e in self._early if e[0] != resource]
            return
        self._tick()
        store = self.cluster.store
        keep = {(meta(o).get("namespace") or "", meta(o)["name"]) for o in objects}
        for old in list(store.list(resource.kind)):
            md = meta(old)
            if _selects(resource, old) and (md.get("namespace") or "", md["name"]) not in keep:
                store.delete(resource.kind, md.get("namespace") or "", md["name"])
        for o in objects:
            store.put(_slim(o))

    def event(self, resource: Resource, type_: str, obj: dict) -> None:
        self.events_seen += 1
        if self.cluster is None:
            self._early.append((resource, type_, obj))
            return
        self._tick()
        self._apply(type_, obj)

    def problem(self, resource: Resource, line: str | None) -> None:
        self.problem_line(resource.name, line)

    def problem_line(self, key: str, line: str | None) -> None:
        """Set (or clear, with None) the one line about `key` (a resource, or "compute")."""
        if line is None:
            self.problems.pop(key, None)
        else:
            self.problems[key] = line
        if self.on_problems is not None:
            self.on_problems()

    # -- building ----------------------------------------------------------------------
    def build(self, name: str = "") -> Cluster:
        """The mirror cluster, from the lists kept so far (and the events since); `name`
        (the kubeconfig context) is what the header calls it."""
        self.shape = shape = shape_of(self._lists)
        if name:
            shape.topology.name = name
        c = Cluster(shape.topology, mirror=True, coredns=shape.coredns, nameserver=shape.nameserver)
        c.clock.advance_to(self.now())
        store = c.store
        for r in RESOURCES:
            for o in self._lists.get(r, ()):
                store.put(_slim(o))
        for r, objs in self._lists.items():
            if r not in RESOURCES:
                for o in objs:
                    store.put(_slim(o))
        self.cluster = c
        early, self._early, self._lists = self._early, [], {}
        for _r, type_, obj in early:
            self._apply(type_, obj)
        return c

    def notes(self) -> list[str]:
        return list(self.shape.notes) if self.shape is not None else []

    # -- events --------------------------------------------------------------------------
    def _tick(self) -> None:
        assert self.cluster is not None
        self.cluster.clock.advance_to(self.now())

    def _apply(self, type_: str, obj: dict) -> None:
        c = self.cluster
        assert c is not None
        md = meta(obj)
        kind, ns, name = obj["kind"], md.get("namespace") or "", md.get("name") or ""
        if type_ == "DELETED":
            if c.store.get(kind, ns, name) is not None:
                c.store.delete(kind, ns, name)
            return
        known = c.store.get(kind, ns, name) is not None
        written = _written_at(obj) if kind == "EndpointSlice" else None
        stored = c.store.put(_slim(obj))
        if kind == "Service" and not known:
            c.flow(WATCH, stored, "added", f"Service added (created {md.get('creationTimestamp', '?')})",
                   step=STEP_COLLECT, data={"ready": [], "created": md.get("creationTimestamp")})
        elif kind == "EndpointSlice" and labels_of(obj).get(MANAGED_BY_LABEL) == ENDPOINTSLICE_CONTROLLER:
            svc_name = labels_of(obj).get(SERVICE_NAME_LABEL)
            if not svc_name:
                return
            ready = [a for e in obj.get("endpoints") or () if (e.get("conditions") or {}).get("ready") is not False
                     for a in (e.get("addresses") or ())[:1]]
            svc = c.store.get("Service", ns, svc_name) or {"kind": "Service",
                                                          "metadata": {"namespace": ns, "name": svc_name}}
            c.flow(ENDPOINTSLICE_CONTROLLER, svc, "wrote", f"EndpointSlice {name}: {', '.join(ready) or '<none>'}",
                   step=STEP_ENDPOINTS, data={"slices": [name], "ready": ready, "written": written})


def _written_at(obj: dict) -> str | None:
    """When the endpointslice controller last wrote the slice, as the server recorded it."""
    times = [m.get("time") for m in meta(obj).get("managedFields") or ()
             if isinstance(m, dict) and m.get("manager") in ("kube-controller-manager", ENDPOINTSLICE_CONTROLLER)]
    times = [t for t in times if isinstance(t, str)]
    return max(times) if times else None
