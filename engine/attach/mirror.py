"""The mirror: a real cluster's objects in a simulated `Cluster`'s store, as they are.

The reflectors' objects go into the store as the server sent them (real names, uids,
resourceVersions, timestamps: `Store.put`; only `managedFields` is dropped), with every controller that writes switched off (`Cluster(mirror=
True)`). kube-proxy, in the mode the cluster's `kube-system/kube-proxy` ConfigMap names, and
CoreDNS, as its Corefile configures it, run over that store exactly as in the simulation, so
the rules and records shown are computed by the one implementation of each.

The cluster is built as soon as what gives it its shape is listed (`build`: the Nodes and
the two ConfigMaps, a few objects that come first); the big lists then go into its store page
by page as they arrive (`page`), so the panes fill while 100,000 pods are still coming, and
`progress` says how far each kind got. Before the build the reflectors' pages, lists and
events are kept. kube-proxy and CoreDNS compute nothing until the kinds they read are all
listed (`compute`): then once, over everything, instead of once per page -- CoreDNS starting
with the namespace the dashboard shows first.

When the cluster's `kube-system/kube-proxy` or `kube-system/coredns` ConfigMap changes, the
computed kube-proxy and CoreDNS follow (`_reconfigure`): kube-proxy starts over in the new
mode with the new options, as the real one restarts when its configuration file changes, and
CoreDNS serves the new Corefile, as its `reload` plugin has it do.

When RBAC refuses the Nodes (a namespace-only Role), kube-proxy is computed for the nodes
the pods run on: each `spec.nodeName` becomes a Node in the mirror with the pod's
`status.hostIP` as its InternalIP, annotated as inferred (`_infer_nodes`), and the Nodes'
one problem line says so (or that no pod names a node either); kube-proxy then waits for the
pods' list as well (`compute_kinds`), so that its first sync sees every node.

The first two steps of the Service flow come from the watch itself, at the moment each event
arrives: ① a Service ADDED, ② an EndpointSlice written by `endpointslice-controller.k8s.io`
for it. Steps ③ and ④ are the computed kube-proxy's and CoreDNS's, when they next run. The
delays between steps are the real ones, as svcflow saw them (the objects' own timestamps,
second-precision, are in the events' data).
"""
from __future__ import annotations

import gc
import ipaddress
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import yaml

from engine.api.objects import labels_of, meta
from engine.api.store import key_of
from engine.api.wellknown import MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from engine.attach.reflector import Resource
from engine.attach.sharing import parts_of, slim
from engine.attach.source import COREDNS_CONFIGMAP, KUBE_PROXY_CONFIGMAP, RESOURCES
from engine.cluster.cluster import Cluster
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS
from engine.cluster.topology import ClusterConfigError, NodeSpec, ProxyConfig, Topology, build_topology
from engine.dns.corefile import CoreDNSConfig, CorefileError, read_corefile
from engine.heap import no_cyclic_gc

ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io"
#: How long an EndpointSlice's step 2 waits for its Service's watch event (which travels on
#: another connection) before it is told anyway.
HOLD_SECONDS = 2.0
#: The annotation of a Node the mirror inferred from the pods (listing Nodes is forbidden).
INFERRED_ANNOTATION = "svcflow.io/inferred-from"
INFERRED_FROM = "pods' spec.nodeName and status.hostIP (listing nodes is forbidden)"
#: The modes kube-proxy on Linux accepts (pkg/proxy/apis/config/validation, validateProxyModeLinux;
#: nftables since 1.31), in its message's (sorted) order.
PROXY_MODES = ("iptables", "ipvs", "nftables")
WATCH = "kube-apiserver"  # who the first step's event is attributed to: the watch told svcflow


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Shape:
    """What the lists say about the cluster's shape, and what svcflow had to assume: about
    kube-proxy and CoreDNS (their ConfigMaps), and about the Service CIDR (its Services)."""

    topology: Topology
    coredns: CoreDNSConfig
    nameserver: str | None
    config_notes: list[str] = field(default_factory=list)
    service_notes: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return self.config_notes + self.service_notes


def shape_of(lists: dict[Resource, list[dict]]) -> Shape:
    """The topology (nodes, kube-proxy's configuration), CoreDNS's configuration and the
    nameserver pods ask, from the listed objects."""
    by_kind: dict[str, list[dict]] = {}
    for r, objs in lists.items():
        by_kind.setdefault(r.kind, []).extend(objs)
    cms = {meta(o).get("name"): o for o in by_kind.get("ConfigMap", ())}
    config_notes: list[str] = []
    topo = topology_of(cms.get(KUBE_PROXY_CONFIGMAP), by_kind.get("Node", []), config_notes)
    coredns = coredns_of(cms.get(COREDNS_CONFIGMAP), config_notes)
    topo.dns_domain = coredns.zone
    services = {(meta(o).get("namespace"), meta(o).get("name")): o for o in by_kind.get("Service", ())}
    service_notes: list[str] = []
    nameserver = services_shape(topo, services.get(("default", "kubernetes")), services.get(("kube-system", "kube-dns")),
                                service_notes)
    return Shape(topo, coredns, nameserver, config_notes, service_notes)


def topology_of(kube_proxy_cm: dict | None, nodes: list[dict], notes: list[str],
                previous: ProxyConfig | None = None) -> Topology:
    """The nodes and kube-proxy's configuration (its ConfigMap's `config.conf`); what had to
    be assumed goes to `notes`. A mode kube-proxy refuses (its validation's words) keeps
    `previous`, the configuration it ran with: the real one exits on the change and its
    next start fails, so the rules it programmed stay as they were (iptables' defaults
    when there was none before)."""
    configs: list[dict] = []
    refused = False
    text = ((kube_proxy_cm or {}).get("data") or {}).get("config.conf")
    if text:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            doc = None
        if isinstance(doc, dict):
            doc = _without_nulls(doc)
            doc["kind"] = "KubeProxyConfiguration"
            mode = doc.get("mode")
            if mode and mode not in PROXY_MODES:
                refused = True
                before = previous.mode if previous is not None else "iptables"
                notes.append(f'kube-system/kube-proxy: KubeProxyConfiguration.Mode.ProxyMode: Invalid value: "{mode}": '
                             f'must be {", ".join(PROXY_MODES)} or blank (blank means the best-available proxy '
                             f"[currently iptables]); kube-proxy does not start with it: rules computed as before "
                             f"({before})")
                doc.pop("mode")
            configs.append(doc)
        else:
            notes.append("kube-system/kube-proxy: config.conf is not a KubeProxyConfiguration; assuming iptables mode")
    else:
        notes.append("no kube-system/kube-proxy ConfigMap with config.conf: kube-proxy computed in iptables mode "
                     "with kind's defaults")
    try:
        topo = build_topology(configs, nodes)
    except (ClusterConfigError, ValueError, TypeError) as e:
        notes.append(f"kube-system/kube-proxy: {e}; using kind's defaults")
        topo = build_topology([], nodes)
    if configs and configs[0].get("clusterCIDR"):
        topo.pod_subnet = str(configs[0]["clusterCIDR"]).split(",")[0]
    if not (configs[0].get("mode") if configs else ""):
        topo.proxy.mode = "iptables"  # (empty: the platform's default, iptables on Linux)
    if refused and previous is not None:
        topo.proxy = previous
    return topo


def coredns_of(coredns_cm: dict | None, notes: list[str]) -> CoreDNSConfig:
    """CoreDNS's configuration, as its ConfigMap's Corefile sets it."""
    corefile = ((coredns_cm or {}).get("data") or {}).get("Corefile")
    if not corefile:
        notes.append("no kube-system/coredns ConfigMap: CoreDNS computed as kubeadm configures it")
        return CoreDNSConfig()
    try:
        reading = read_corefile(corefile)
    except CorefileError as e:
        notes.append(f"kube-system/coredns: {e}; CoreDNS computed as kubeadm configures it")
        return CoreDNSConfig()
    if reading.ignored:
        notes.append("Corefile plugins not computed: " + ", ".join(reading.ignored))
    return reading.config


def services_shape(topo: Topology, kubernetes: dict | None, kube_dns: dict | None, notes: list[str]) -> str | None:
    """The Service CIDR (around the `kubernetes` Service's ClusterIP, when the default one
    does not hold it), set in `topo`; and the nameserver pods ask (kube-dns's ClusterIP)."""
    api_ip = ((kubernetes or {}).get("spec") or {}).get("clusterIP")
    if api_ip and api_ip != "None":
        try:
            if ipaddress.ip_address(api_ip) not in ipaddress.ip_network(topo.service_subnet):
                topo.service_subnet = str(ipaddress.ip_network(f"{api_ip}/16", strict=False))
                notes.append(f"Service CIDR taken as {topo.service_subnet} (around the kubernetes Service's {api_ip})")
        except ValueError:
            pass
    dns = ((kube_dns or {}).get("spec") or {}).get("clusterIP")
    return dns if dns and dns != "None" else None


#: The kinds that give the cluster its shape: listed, the mirror is built.
SHAPE_KINDS = frozenset({"ConfigMap", "Node"})
#: The kinds the computed kube-proxy and CoreDNS read: listed, they compute (CoreDNS reads
#: pods only under `pods verified`, and then follows them as they come).
COMPUTE_KINDS = SHAPE_KINDS | {"Namespace", "Service", "EndpointSlice"}
#: The kinds the progress line counts, in its order.
PROGRESS_KINDS = (("Service", "services"), ("EndpointSlice", "endpointslices"), ("Endpoints", "endpoints"),
                  ("Pod", "pods"), ("Node", "nodes"))


def _without_nulls(d: dict) -> dict:
    """A KubeProxyConfiguration as kubeadm writes it says `masqueradeBit: null`,
    `localhostNodePorts: null`...: null is "the default", as if the field were absent."""
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}


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


def _is_config(obj: dict) -> bool:
    """kube-proxy's or CoreDNS's ConfigMap (what `_reconfigure` follows)."""
    md = meta(obj)
    return obj.get("kind") == "ConfigMap" and md.get("namespace") == "kube-system" and \
        md.get("name") in (KUBE_PROXY_CONFIGMAP, COREDNS_CONFIGMAP)


@dataclass
class Listing:
    """How far one list got: objects received, and how many the server said remain
    (`metadata.remainingItemCount`, when it says)."""

    kind: str
    seen: int = 0
    total: int | None = None
    done: bool = False
    # The list's first page found no object of its kind in the store, and its pages went in as
    # they came (`stored` of them): when the list is whole, the store holds exactly its objects.
    fresh: bool = False
    stored: int = 0


class Mirror:
    """The reflectors' sink (`ReflectorSink`) and the pages' (`page`): keeps what comes
    before `build`, then mirrors every page, list and event into the cluster's store."""

    def __init__(self, now: Callable[[], datetime] = wall_now) -> None:
        self.now = now
        self.cluster: Cluster | None = None
        self.shape: Shape | None = None
        self._lists: dict[Resource, list[dict]] = {}
        self._pages: list[dict] = []  # objects of pages that came before the build
        self._early: list[tuple[Resource, str, dict]] = []
        self.problems: dict[str, str] = {}  # resource name -> its one line
        self.on_problems: Callable[[], None] | None = None
        self.on_progress: Callable[[], None] | None = None
        self.on_config: Callable[[], None] | None = None
        self.listing: dict[tuple[str, str], Listing] = {}  # (path, field selector) -> how far
        self.computing = False  # kube-proxy and CoreDNS run (their inputs are listed)
        self._listed_all = False
        self._deferred: list[str] = []  # CoreDNS's keys held back while lists still come
        self._first_keys: list[str] = []  # CoreDNS's keys of the first view (`first_view_computed`)
        self.events_seen = 0
        self._nodes_refused: str | None = None  # RBAC's line refusing the Nodes' list
        self._inferred: dict[str, str] = {}  # node name -> its IP ("": unknown), from the pods
        self._nodes_key = "nodes"  # (the Nodes' resource name: its problem line's key)
        # EndpointSlices whose Service's watch event has not come yet: (namespace, Service) ->
        # (when seen, the step-2 event's arguments); see `_slice_written`
        self._held: dict[tuple[str, str], list[tuple[float, tuple]]] = {}

    @property
    def nodes_inferred(self) -> bool:
        """Listing Nodes is forbidden: the nodes are the ones the pods name."""
        return self._nodes_refused is not None

    def compute_kinds(self) -> frozenset[str]:
        """What kube-proxy and CoreDNS wait for: `COMPUTE_KINDS`, and the pods when the
        nodes are inferred from them (kube-proxy's first sync then sees every node)."""
        return COMPUTE_KINDS | {"Pod"} if self.nodes_inferred else COMPUTE_KINDS

    # -- pages (every list page, as the reflectors receive it) --------------------------------
    def page(self, resource: Resource, page: dict, first: bool) -> None:
        """One page of a list, as it arrives: its objects go into the store at once (kept
        until the build, before it), and the progress counts them. `first`: the list's first
        page (a list that starts over counts again); the list is `resource`'s (its path and
        field selector: a kind may be listed per namespace)."""
        kind = resource.kind
        items = [o for o in page.get("items") or () if isinstance(o, dict) and isinstance(o.get("metadata"), dict)]
        lst = self.listing.setdefault((resource.path, resource.field_selector), Listing(kind))
        if first:
            lst.seen = lst.stored = 0
            lst.fresh = self.cluster is not None and self.cluster.store.count(kind) == 0
        lst.seen += len(items)
        md = page.get("metadata") or {}
        remaining = md.get("remainingItemCount")
        if isinstance(remaining, int):
            lst.total = lst.seen + remaining
        elif not md.get("continue"):
            lst.total = lst.seen  # (the last page)
        elif first:
            lst.total = None
        # What is stored lives on: out of the cyclic collector's reach once stored (frozen),
        # so decoding the next page does not rescan every object before it (at 100,000 pods
        # the collections took three quarters of the list's time), and no collection
        # meanwhile (storing makes no cycle).
        with no_cyclic_gc(freeze=lambda: True):
            # (the items come with their kind, slimmed: engine.attach.decoding.kept)
            if self.cluster is None:
                self._pages.extend(items)
            else:
                self._tick()
                self.cluster.store.put_many(items)
                lst.stored += len(items)
                if kind == "ConfigMap" and any(_is_config(o) for o in items):
                    self._reconfigure()
                if kind == "Pod" and self.nodes_inferred:
                    self._infer_nodes(items)
        if self.on_progress is not None:
            self.on_progress()

    def progress_line(self) -> str:
        """How far the lists got: "3,500/10,000 services · 35,000 pods …" (the total when
        the server says how many remain, as kube-apiserver does)."""
        parts = []
        for kind, label in PROGRESS_KINDS:
            lists = [lst for lst in self.listing.values() if lst.kind == kind]
            if not lists:
                continue
            seen = sum(lst.seen for lst in lists)
            totals = [lst.seen if lst.done else lst.total for lst in lists]
            if all(lst.done for lst in lists):
                parts.append(f"{seen:,} {label}")
            elif None not in totals:
                parts.append(f"{seen:,}/{sum(t for t in totals if t is not None):,} {label}")
            else:
                parts.append(f"{seen:,} {label} …")
        return " · ".join(parts)

    # -- ReflectorSink -----------------------------------------------------------------
    def replace(self, resource: Resource, objects: list[dict]) -> None:
        lst = self.listing.setdefault((resource.path, resource.field_selector), Listing(resource.kind))
        lst.done, lst.seen, lst.total = True, len(objects), len(objects)
        if self.cluster is None:
            self._lists[resource] = objects
            self._early = [e for e in self._early if e[0] != resource]
            return
        self._tick()
        if not (lst.fresh and lst.stored == len(objects) == self.cluster.store.count(resource.kind)):
            self._replace(resource, objects)  # (a fresh list's pages are the store's objects already)
        if resource.kind == "Node" and not self.nodes_inferred:
            self._nodes_changed()  # (a relist: Nodes gone or come while the watch was down)
        if resource.kind == "ConfigMap":
            self._reconfigure()
        if resource.kind == "Pod" and self.nodes_inferred:
            self._infer_nodes(objects)

    def _replace(self, resource: Resource, objects: list[dict]) -> None:
        """The store holds exactly the list's objects of `resource` (a relist, or a list whose
        pages went in as they came: then only the objects gone meanwhile are deleted)."""
        store = self.cluster.store  # type: ignore[union-attr]
        kind = resource.kind
        keep = {(meta(o).get("namespace") or "", meta(o)["name"]) for o in objects}
        gone = [key_of(old) for old in store.iter(kind) if _selects(resource, old) and key_of(old) not in keep]
        for ns, name in gone:
            store.delete(kind, ns, name)
        get, put = store.get, store.put
        for o in objects:
            md = meta(o)
            held = get(kind, md.get("namespace") or "", md["name"])
            # (stored as its page came: the same version is the same object)
            if held is None or held["metadata"].get("resourceVersion") != md.get("resourceVersion") \
                    or held["metadata"].get("uid") != md.get("uid"):  # (another cluster's, at the same version)
                put(slim(o, parts_of(held)) if held is not None else o)

    def event(self, resource: Resource, type_: str, obj: dict) -> None:
        self.events_seen += 1
        if self.cluster is None:
            self._early.append((resource, type_, obj))
            return
        self._tick()
        self._apply(type_, obj)
        self._release_held(older_than=HOLD_SECONDS)
        if _is_config(obj):
            self._reconfigure()

    def problem(self, resource: Resource, line: str | None) -> None:
        if resource.kind == "Node":
            # (forbidden: the nodes are inferred from the pods, and its line says so)
            self._nodes_refused = line if line is not None and line.startswith("forbidden") else None
            self._nodes_key = resource.name
            if self._nodes_refused is not None:
                line = self._nodes_line()
        self.problem_line(resource.name, line)

    def _nodes_line(self) -> str:
        """The Nodes' forbidden line, and what kube-proxy was computed for instead."""
        names = sorted(self._inferred)
        if not names:
            return f"{self._nodes_refused}; no pod names a node either: kube-proxy is computed for no node"
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5:,} more" if len(names) > 5 else "")
        return (f"{self._nodes_refused}; kube-proxy is computed for the {len(names):,} node"
                f"{'s' if len(names) != 1 else ''} inferred from the pods' spec.nodeName and status.hostIP: {shown}")

    def _infer_nodes(self, pods) -> None:
        """The nodes these pods run on, as Nodes in the mirror (Nodes are forbidden): the
        name from `spec.nodeName`, the InternalIP from `status.hostIP` (a pod not started
        yet has none; a later one tells it). kube-proxy computes for them as for listed ones."""
        c = self.cluster
        if c is None:
            return
        learned: list[str] = []
        for pod in pods:
            name = (pod.get("spec") or {}).get("nodeName")
            if not name or not isinstance(name, str):
                continue
            ip = (pod.get("status") or {}).get("hostIP") or ""
            known = self._inferred.get(name)
            if known is None or (ip and not known):
                self._inferred[name] = ip
                learned.append(name)
        if not learned:
            return
        store = c.store
        for name in learned:
            if store.get("Node", "", name) is not None:
                store.delete("Node", "", name)  # (its IP learned: the Node as it is now)
            store.put(_inferred_node(name, self._inferred[name]))
        c.topology.nodes = [_node_spec(n, c.topology) for n in store.list("Node")]
        self.problem_line(self._nodes_key, self._nodes_line())

    def _nodes_changed(self) -> None:
        """A Node came or went: the cluster's nodes (the header's count, the diagram's
        kube-proxy boxes) are the listed ones again (kube-proxy reads the Nodes itself)."""
        c = self.cluster
        if c is not None:
            c.topology.nodes = [_node_spec(n, c.topology) for n in c.store.list("Node")]

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
        """The mirror cluster, from what was listed so far (at least the kinds that shape
        it, `SHAPE_KINDS`) and the events since; `name` (the kubeconfig context) is what the
        header calls it. Its kube-proxy and CoreDNS wait for `compute`."""
        self.shape = shape = shape_of(self._lists)
        if name:
            shape.topology.name = name
        c = Cluster(shape.topology, mirror=True, coredns=shape.coredns, nameserver=shape.nameserver)
        c.clock.advance_to(self.now())
        self.cluster = c
        store = c.store
        pages, self._pages = self._pages, []
        for o in pages:
            store.put(o)
        for r in sorted(self._lists, key=lambda r: RESOURCES.index(r) if r in RESOURCES else len(RESOURCES)):
            self._replace(r, self._lists[r])
        early, self._early, self._lists = self._early, [], {}
        for _r, type_, obj in early:
            self._apply(type_, obj)
        if self.nodes_inferred:
            # (not kind's three made-up nodes: the ones the pods name, none if none do)
            c.topology.nodes = []
            self._infer_nodes(store.iter("Pod"))
        gc.freeze()
        return c

    def compute(self, first_namespace: str | None = "default") -> None:
        """The kinds kube-proxy and CoreDNS read are listed: let them compute, once over
        everything. The Service CIDR and the nameserver are read off the listed Services;
        CoreDNS takes the Namespaces first (each one it learns of late rechecks every
        Service), then `first_namespace` and kube-system (the DNS pane's first view, and
        whether anyone serves), then -- once every list is in (`listed_all`) -- the rest."""
        c = self.cluster
        assert c is not None and self.shape is not None
        store = c.store
        self.shape.service_notes = []
        nameserver = services_shape(c.topology, store.get("Service", "default", "kubernetes"),
                                    store.get("Service", "kube-system", "kube-dns"), self.shape.service_notes)
        if nameserver:
            c.coredns.nameserver = nameserver
        queue = c.coredns.queue
        keys = []
        while queue:
            keys.append(queue.get())

        def rank(key: str) -> int:
            kind, ns, _ = key.split("|", 2)
            return 0 if kind == "Namespace" else 1 if ns in (first_namespace, "kube-system") else 2
        for key in sorted(keys, key=rank):  # (stable: the lists' order within a rank)
            if rank(key) < 2 or self._listed_all:
                queue.add(key)
                if rank(key) < 2:
                    self._first_keys.append(key)
            else:
                self._deferred.append(key)
        self.computing = True

    def listed_all(self) -> None:
        """Every kind the panes read is listed (the quiet ones, Deployments and the like, may
        still be coming): CoreDNS takes in the other namespaces' objects, which waited so
        that the lists still coming (the pods) had the time first."""
        self._listed_all = True
        queue = self.cluster.coredns.queue if self.cluster is not None else None
        deferred, self._deferred = self._deferred, []
        for key in deferred:
            if queue is not None:
                queue.add(key)

    def first_view_computed(self) -> bool:
        """Every list the panes read in, kube-proxy synced, CoreDNS's records of the first namespace made:
        the dashboard's first view is complete (the other namespaces' records may still be
        coming)."""
        c = self.cluster
        if c is None or not self.computing or not self._listed_all or not c.kube_proxy.first_synced:
            return False
        queue = c.coredns.queue
        if self._first_keys and not any(k in queue for k in self._first_keys):
            self._first_keys = []
        return not self._first_keys

    def compute_left(self) -> int:
        """Objects CoreDNS has yet to take in (the progress line while it computes)."""
        c = self.cluster
        return len(c.coredns.queue) + len(self._deferred) if c is not None and self.computing else 0

    def notes(self) -> list[str]:
        return list(self.shape.notes) if self.shape is not None else []

    # -- the cluster's own configuration ----------------------------------------------------
    def _reconfigure(self) -> None:
        """kube-proxy's or CoreDNS's ConfigMap changed (or was listed again): when what
        they say changed, the computed components follow. kube-proxy starts over (the real
        one exits when its configuration file changes and its DaemonSet starts it again);
        CoreDNS serves the new Corefile (its `reload` plugin). Both happen at once here:
        the real ones wait for the kubelet to update the mounted file (up to a minute)."""
        c, shape = self.cluster, self.shape
        if c is None or shape is None:
            return
        store = c.store
        notes: list[str] = []
        topo = topology_of(store.get("ConfigMap", "kube-system", KUBE_PROXY_CONFIGMAP), store.list("Node"), notes,
                           previous=c.topology.proxy)
        coredns = coredns_of(store.get("ConfigMap", "kube-system", COREDNS_CONFIGMAP), notes)
        changed = False
        if topo.proxy != c.topology.proxy or topo.pod_subnet != c.topology.pod_subnet:
            c.topology.proxy, c.topology.pod_subnet = topo.proxy, topo.pod_subnet
            c.kube_proxy.restart()
            changed = True
        if coredns != c.coredns.config:
            c.topology.dns_domain = coredns.zone
            c.coredns.reconfigure(coredns)
            changed = True
        # (what was assumed may change alone: a broken Corefile restored computes as the fallback did)
        said, shape.config_notes = shape.config_notes, notes
        if not changed and said == notes:
            return
        if self.on_config is not None:
            self.on_config()

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
                if kind == "Node":
                    self._nodes_changed()
            return
        held = c.store.get(kind, ns, name)
        known = held is not None
        written = _written_at(obj) if kind == "EndpointSlice" else None
        stored = c.store.put(slim(obj, parts_of(held)))
        if kind == "Pod" and self.nodes_inferred:
            self._infer_nodes((stored,))
        if kind == "Node" and not known:
            self._nodes_changed()
        if kind == "Service" and not known:
            c.flow(WATCH, stored, "added", f"Service added (created {md.get('creationTimestamp', '?')})",
                   step=STEP_COLLECT, data={"ready": [], "created": md.get("creationTimestamp")})
            self._release_held(key=(ns, name))
        elif kind == "EndpointSlice" and labels_of(obj).get(MANAGED_BY_LABEL) == ENDPOINTSLICE_CONTROLLER:
            svc_name = labels_of(obj).get(SERVICE_NAME_LABEL)
            if not svc_name:
                return
            ready = [a for e in obj.get("endpoints") or () if (e.get("conditions") or {}).get("ready") is not False
                     for a in (e.get("addresses") or ())[:1]]
            not_ready = [a for e in obj.get("endpoints") or () if (e.get("conditions") or {}).get("ready") is False
                         for a in (e.get("addresses") or ())[:1]]
            args = (ns, svc_name, name, ready, not_ready, written)
            if c.store.get("Service", ns, svc_name) is None:
                # Its Service's event travels on another watch and may come a moment later:
                # step 2 waits for step 1 (at most HOLD_SECONDS: the Services may be forbidden)
                self._held.setdefault((ns, svc_name), []).append((time.monotonic(), args))
                return
            self._slice_written(*args)

    def _slice_written(self, ns: str, svc_name: str, name: str, ready: list, not_ready: list, written) -> None:
        """Step 2 of the Service's flow: the EndpointSlice controller wrote `name`."""
        c = self.cluster
        assert c is not None
        svc = c.store.get("Service", ns, svc_name) or {"kind": "Service", "metadata": {"namespace": ns, "name": svc_name}}
        c.flow(ENDPOINTSLICE_CONTROLLER, svc, "wrote", f"EndpointSlice {name}: {', '.join(ready) or '<none>'}",
               step=STEP_ENDPOINTS, data={"slices": [name], "ready": ready, "notReady": not_ready, "written": written})

    def _release_held(self, *, key: tuple[str, str] | None = None, older_than: float | None = None) -> None:
        """Tell the held EndpointSlices of the Service `key` (its event came), or those held
        longer than `older_than` seconds (it may never come)."""
        if not self._held:
            return
        now = time.monotonic()
        for k in [key] if key is not None else list(self._held):
            held = self._held.get(k)
            if not held or (older_than is not None and now - held[0][0] < older_than):
                continue
            del self._held[k]
            for _, args in held:
                self._slice_written(*args)


def _inferred_node(name: str, ip: str) -> dict:
    """A Node the mirror infers from the pods that run on it (listing Nodes is forbidden)."""
    node: dict = {"apiVersion": "v1", "kind": "Node",
                  "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name},
                               "annotations": {INFERRED_ANNOTATION: INFERRED_FROM}},
                  "status": {"addresses": [{"type": "Hostname", "address": name}]}}
    if ip:
        node["status"]["addresses"].insert(0, {"type": "InternalIP", "address": ip})
    return node


def _node_spec(node: dict, topo: Topology) -> NodeSpec:
    """The topology's node for a mirrored Node (inferred or not): its name and IP."""
    ips = [a.get("address") for a in (node.get("status") or {}).get("addresses") or ()
           if a.get("type") == "InternalIP"]
    return NodeSpec(name=meta(node)["name"], role="worker", ip=ips[0] if ips else "",
                    pod_cidr=(node.get("spec") or {}).get("podCIDR") or "?", labels=dict(labels_of(node)))


def _written_at(obj: dict) -> str | None:
    """When the endpointslice controller last wrote the slice, as the server recorded it."""
    times = [m.get("time") for m in meta(obj).get("managedFields") or ()
             if isinstance(m, dict) and m.get("manager") in ("kube-controller-manager", ENDPOINTSLICE_CONTROLLER)]
    times = [t for t in times if isinstance(t, str)]
    return max(times) if times else None
