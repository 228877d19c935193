"""CoreDNS (step 4 of the Service flow): watches Services, EndpointSlices, Namespaces
(and Pods for `pods verified`) and serves the cluster zone.

Both CoreDNS replicas run the same informers and answer alike, so one plugin instance
stands for the Deployment. The ClusterIP record appears as soon as the Service does (no
endpoints needed); headless and endpoint names follow the EndpointSlices. Each change
of what is served is a step-4 flow event naming the records.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from engine.api.objects import labels_of, meta
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.cluster.events import STEP_DNS
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext
from engine.dns.corefile import CoreDNSConfig, Corefile, load_corefile
from engine.dns.process import VOLUME_SYNC_SECONDS, CoreDNSProcess
from engine.dns.records import SERVFAIL, DnsResponse, RecordChange
from engine.dns.server import Client, Server
from engine.dns.zone import KubernetesPlugin
from engine.workloads.apps import image_name
from engine.workloads.base import LogLine, rotate

WATCHED = ("Namespace", "Service", "EndpointSlice", "Pod")
DNS_SERVICE = ("kube-system", "kube-dns")
#: the ConfigMap kubeadm's CoreDNS Deployment mounts at /etc/coredns
COREDNS_CONFIGMAP = ("kube-system", "coredns")


def is_coredns_pod(pod: dict) -> bool:
    """A pod running CoreDNS (it answers DNS on 53; other pods drop the datagram)."""
    return any(image_name(str(c.get("image", ""))).rsplit("/", 1)[-1] == "coredns"
               for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict))


def _running_since(pod: dict) -> tuple[str, datetime] | None:
    """(container name, start) of the pod's CoreDNS container while it runs."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return None
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        running = (cs.get("state") or {}).get("running")
        if isinstance(running, dict) and image_name(str(cs.get("image", ""))).rsplit("/", 1)[-1] == "coredns":
            try:
                started = datetime.fromisoformat(str(running.get("startedAt", "")).replace("Z", "+00:00"))
            except ValueError:
                return None
            return str(cs.get("name", "")), started
    return None


#: How the kubelet learns a container's main process ended: (namespace, pod, container,
#: exit code) -> whether such a container ran (engine.kubelet's Kubelet.main_exited).
MainExited = Callable[[str, str, str, int], bool]
#: CoreDNS's exit code when its Corefile is refused at start-up (log.Fatal: os.Exit(1)).
FATAL_EXIT = 1


@dataclass
class Answerer:
    """One CoreDNS process answering one client's lookup (engine.dns.resolver's Answerer):
    each query after the first carries a new message id, from the same source port."""

    server: Server | None
    client: Client | None
    rng: random.Random
    _asked: int = 0

    def query(self, qname: str, qtype: str = "A") -> DnsResponse:
        if self.server is None:  # (the process did not start)
            return DnsResponse(qname, qtype, rcode=SERVFAIL)
        client = self.client
        if client is not None and self._asked:
            client = replace(client, msg_id=self.rng.randrange(1, 65536))
        self._asked += 1
        return self.server.query(qname, qtype, client)


@dataclass(frozen=True)
class Serving:
    """Whether pods' lookups reach a CoreDNS server: their resolv.conf names the kube-dns
    ClusterIP, and kube-proxy sends the query to one of kube-dns's ready endpoints. The
    records below are what CoreDNS would answer; with nobody serving, lookups fail."""

    ok: bool
    ready: int  # ready CoreDNS endpoints behind kube-dns
    nameserver: str  # what every ClusterFirst pod's resolv.conf names
    reason: str  # one line for the DNS pane and the flow
    #: how a lookup fails when nobody serves: kube-proxy REJECTs a Service with no ready
    #: endpoints (ICMP port unreachable: dig's "connection refused", at once) in every mode;
    #: an address no Service has leads nowhere and the lookup times out
    refused: bool = False

    @property
    def failure(self) -> str:
        return "lookups are refused" if self.refused else "lookups time out"

    def line(self) -> str:
        if self.ok:
            return f"serving on {self.nameserver}:53 ({self.ready} ready pod{'s' if self.ready != 1 else ''} behind kube-dns)"
        return f"NOT SERVING: {self.reason}; lookups to {self.nameserver}:53 {'are refused' if self.refused else 'time out'}"


class CoreDNS(Controller):
    """The CoreDNS Deployment serving `config` (its Corefile); `nameserver` is the address
    every ClusterFirst pod's resolv.conf names (the kube-dns ClusterIP the kubelet is
    configured with)."""

    name = "coredns"

    def __init__(self, ctx: ControllerContext, config: CoreDNSConfig, nameserver: str, *,
                 mirrored: bool = False, exited: MainExited | None = None) -> None:
        """`exited`: told when a CoreDNS process refuses its Corefile at start-up and exits
        (the kubelet then terminates the container with Error and restarts it with its
        back-off: CrashLoopBackOff, Ready false, out of kube-dns's EndpointSlice)."""
        super().__init__(ctx)
        self.exited = exited
        self.flow = ctx.flow
        self.nameserver = nameserver
        self.config = config
        self.clock = clock = ctx.clock
        self.plugin = KubernetesPlugin(self.config, clock=lambda: int(clock.now().timestamp()))
        self._seen: dict[tuple[str, str, str], dict] = {}
        # What CoreDNS's caches keep of each pod (object.ToPod) and slice (object.
        # EndpointSliceToEndpoints): only a change of that is passed on, so the status
        # writes of a starting pod, or a slice change that only touches not-ready
        # endpoints, cost no cache update.
        self._digest: dict[tuple[str, str, str], tuple] = {}
        # Bumped whenever the served records change (the dashboard re-lists only then).
        self.records_version = 0
        self._serving: Serving | None = None  # last seen, for the flow's "unreachable" event
        self.mirrored = mirrored  # computed for an attached cluster's objects (what RBAC let svcflow read)
        self.query_log: list[str] = []
        self._log_taken = 0
        # The kubernetes plugins of the Corefiles some process runs, by their options: each
        # learns the objects like an informer (one per distinct configuration; normally one).
        self._plugins: dict[CoreDNSConfig, KubernetesPlugin] = {config: self.plugin}
        # The CoreDNS pods' processes (by pod uid), and their logs (a restart starts a new one).
        self.procs: dict[str, CoreDNSProcess] = {}
        self._logs: dict[str, list[LogLine]] = {}
        self._previous: dict[str, list[LogLine]] = {}  # uid -> its previous instance's log
        self._rng = ctx.rng("coredns")
        self._served_text = ""  # the Corefile text the newest process serves
        self.default_server = self._default_server()
        for kind in WATCHED:
            self.store.watch(kind, self._on_event)
        if not mirrored:
            self.store.watch("ConfigMap", self._on_config_map)

    def reconfigure(self, config: CoreDNSConfig) -> None:
        """Serve a new Corefile, as CoreDNS's `reload` plugin does when its ConfigMap
        changes: a new kubernetes plugin, which learns every object again from the store
        (the informers' caches). Used by a mirror (engine.attach)."""
        self._show(config, fresh=True)

    def _show(self, config: CoreDNSConfig, *, fresh: bool = False) -> None:
        """The configuration the DNS pane and the flow follow (the newest a process serves)."""
        old = self.plugin
        if fresh:
            self._plugins.pop(config, None)
        self.config = config
        self.plugin = self._plugin_for(config)
        if self.plugin is old:
            return
        # (the DNS pane redraws a namespace when its version moves: on from the old ones)
        self.plugin.ns_versions = {ns: max(v + 1, self.plugin.ns_versions.get(ns, 0) + 1)
                                   for ns, v in old.ns_versions.items()}
        self.records_version += 1
        self.default_server = self._default_server()
        self._forget_plugins()

    def _plugin_for(self, config: CoreDNSConfig) -> KubernetesPlugin:
        """The kubernetes plugin for a stanza's options; a new one lists every object it
        watches (its informers' first list)."""
        plugin = self._plugins.get(config)
        if plugin is not None:
            return plugin
        clock = self.clock
        plugin = self._plugins[config] = KubernetesPlugin(config, clock=lambda: int(clock.now().timestamp()))
        for kind in WATCHED:
            if kind == "Pod" and config.pods != "verified":
                continue
            handler = _handler(plugin, kind)
            for (k, _ns, _name), obj in list(self._seen.items()):
                if k == kind:
                    handler("ADDED", obj)
            if kind == "Pod" and not any(k == "Pod" for k, _, _ in self._seen):
                for obj in self.store.iter("Pod"):
                    md = meta(obj)
                    self.enqueue(f"Pod|{md.get('namespace') or ''}|{md['name']}")
        return plugin

    def _forget_plugins(self) -> None:
        """Drop the plugins no process serves by any more."""
        used = {id(self.plugin)} | {id(p) for proc in self.procs.values() if proc.server is not None
                                    for p in proc.server.plugins.values()}
        used |= {id(p) for p in self.default_server.plugins.values()}
        for config in [c for c, p in self._plugins.items() if id(p) not in used]:
            del self._plugins[config]

    def _verified(self) -> bool:
        return any(c.pods == "verified" for c in self._plugins)

    def _on_event(self, ev) -> None:
        kind = ev.obj["kind"]
        md = meta(ev.obj)
        if kind == "Pod" and not self.mirrored and is_coredns_pod(ev.obj):
            self.enqueue(f"Proc|{md.get('namespace') or ''}|{md['name']}")
        if kind == "Pod" and not self._verified():
            # Only `pods verified` runs a pod informer upstream: `pods insecure` answers any
            # dashed IP without looking, so pod churn costs CoreDNS nothing.
            return
        self.enqueue(f"{kind}|{md.get('namespace') or ''}|{md['name']}")

    # -- the CoreDNS pods' processes ------------------------------------------------------
    def _corefile_text(self) -> str | None:
        cm = self.store.get("ConfigMap", *COREDNS_CONFIGMAP)
        if cm is None:
            return None
        return str((cm.get("data") or {}).get("Corefile", ""))

    def _default_server(self) -> Server:
        """What answers for a CoreDNS pod svcflow has not seen start (and for an attached
        cluster): kubeadm's server block around the plugin the DNS pane shows."""
        return Server(load_corefile(self.config.corefile()), lambda _c: self.plugin, self.plugin.upstream,
                      lambda _line: None, self._rng)

    def _builder(self, proc: CoreDNSProcess) -> Callable[[Corefile], Server]:
        """How `proc` sets up a Corefile: its log, its pod's address."""
        return lambda corefile: Server(corefile, self._plugin_for, self.plugin.upstream, proc.print, self._rng,
                                       proc.ip)

    def log_of(self, pod: dict) -> list[LogLine]:
        """The CoreDNS container's log (what its process printed), shared with the
        container's simulated process so `kubectl logs` reads it."""
        return self._logs.setdefault(str(meta(pod).get("uid", "")), [])

    def previous_of(self, pod: dict) -> list[LogLine]:
        """The log of the CoreDNS container's previous instance (`kubectl logs --previous`)."""
        return self._previous.setdefault(str(meta(pod).get("uid", "")), [])

    def _sync_process(self, ns: str, name: str) -> None:
        pod = self.store.get("Pod", ns, name)
        uid = str(meta(pod).get("uid", "")) if pod is not None else ""
        for gone in [u for u, p in self.procs.items() if p.name == f"{ns}/{name}" and u != uid]:
            del self.procs[gone]
            self._logs.pop(gone, None)
            self._previous.pop(gone, None)
        if pod is None:
            self._forget_plugins()
            return
        run = _running_since(pod)
        proc = self.procs.get(uid)
        if run is None:
            return
        container, started = run
        if proc is not None and proc.started == started:
            return
        text = self._corefile_text()
        if text is None:
            return  # (the kubelet could not mount the volume: the container does not start)
        log = self.log_of(pod)
        rotate(log, self.previous_of(pod))  # (a restarted container's log is its own; the last run's is kept)
        proc = CoreDNSProcess(uid, f"{ns}/{name}", started, self.clock.now, log,
                              ip=str((pod.get("status") or {}).get("podIP") or ""))
        self.procs[uid] = proc
        if proc.start(text, self._builder(proc)):
            self._served_by(proc)
        elif self.exited is not None:  # (log.Fatal: the process ends, the container with it)
            # told once the kubelet's write of the start is done (its sync of this pod is
            # over), as its PLEG sees the exit on its next relist
            exited = self.exited
            self.clock.call_later(0.0, lambda: exited(ns, name, container, FATAL_EXIT))

    @property
    def corefile(self) -> str:
        """The Corefile the DNS pane follows: the one a CoreDNS process last started or
        reloaded with (kubeadm's form of `config` before any has, and when attached)."""
        return self._served_text or self.config.corefile()

    def _served_by(self, proc: CoreDNSProcess) -> None:
        """A process now serves its Corefile: the DNS pane follows the newest."""
        self._served_text = proc.running.text if proc.running is not None else ""
        server = proc.server
        if server is not None:
            k = server.kubernetes
            if k is not None and k is not self.plugin:
                self._show(k.config)
            elif k is None:
                self._show(_EMPTY)
        self._forget_plugins()

    def _on_config_map(self, ev) -> None:
        md = meta(ev.obj)
        if (md.get("namespace"), md.get("name")) != COREDNS_CONFIGMAP:
            return
        for proc in list(self.procs.values()):
            self._schedule_volume_sync(proc)

    def _next_tick(self, origin: datetime, every: float) -> float:
        """Seconds from now to the next `origin + k * every` (k >= 1) not before now."""
        elapsed = (self.clock.now() - origin).total_seconds()
        k = int(elapsed // every) + 1
        return max(0.0, k * every - elapsed)

    def _schedule_volume_sync(self, proc: CoreDNSProcess) -> None:
        if proc.sync_due:
            return
        proc.sync_due = True

        def sync() -> None:
            proc.sync_due = False
            if self.procs.get(proc.uid) is not proc:
                return
            text = self._corefile_text()
            if text is None or text == proc.mounted:
                return  # (a deleted ConfigMap: the kubelet keeps the files it wrote)
            proc.mounted = text
            self._schedule_reload(proc)
        # (the pod's sync moments: every minute, at a phase of its own taken from its uid)
        phase = int.from_bytes(hashlib.sha256(proc.uid.encode()).digest()[:4], "big") % int(VOLUME_SYNC_SECONDS)
        origin = proc.started + timedelta(seconds=phase)
        self.clock.call_later(self._next_tick(origin, VOLUME_SYNC_SECONDS), sync, background=True)

    def _schedule_reload(self, proc: CoreDNSProcess) -> None:
        if not proc.reloads or proc.reload_due or proc.instance_started is None:
            return
        proc.reload_due = True
        interval = proc.ticker

        def check() -> None:
            proc.reload_due = False
            if self.procs.get(proc.uid) is not proc:
                return
            outcome = proc.reload_check(self._builder(proc))
            if outcome == "reloaded":
                self._served_by(proc)
            elif outcome == "unparsable":
                self._schedule_reload(proc)  # (warned again at the next tick, until the file changes)
        self.clock.call_later(self._next_tick(proc.instance_started, float(interval or 30.0)), check, background=True)

    def answerer(self, pod: dict | None, client: Client | None = None) -> Answerer:
        """How the CoreDNS process in `pod` (the one kube-proxy sent the query to) answers
        `client`; a pod svcflow has not seen start answers by the cluster's configuration."""
        proc = self.procs.get(str(meta(pod).get("uid", ""))) if pod is not None else None
        if proc is None:
            return Answerer(self.default_server, client, self._rng)
        return Answerer(proc.server, client, self._rng)  # (None: it did not start)

    def reconcile(self, key: str) -> None:
        kind, ns, name = key.split("|")
        if kind == "Proc":
            self._sync_process(ns, name)
            return
        obj = self.store.get(kind, ns, name)
        prev = self._seen.get((kind, ns, name))
        handler = _handler(self.plugin, kind)
        others = [_handler(p, kind) for p in self._plugins.values() if p is not self.plugin]
        if kind in ("Pod", "EndpointSlice"):
            digest = _pod_digest(obj) if kind == "Pod" else (_slice_digest(obj) if obj is not None else None)
            if prev is not None and obj is not None and self._digest.get((kind, ns, name)) == digest:
                self._seen[(kind, ns, name)] = obj
                return  # nothing CoreDNS's cache keeps of the object changed
            if obj is None:
                self._digest.pop((kind, ns, name), None)
            else:
                self._digest[(kind, ns, name)] = digest
        if obj is None:
            if prev is None:
                return
            del self._seen[(kind, ns, name)]
            changes = handler("DELETED", prev)
            for h in others:
                h("DELETED", prev)
        else:
            self._seen[(kind, ns, name)] = obj
            changes = handler("MODIFIED" if prev is not None else "ADDED", obj)
            for h in others:
                h("MODIFIED" if prev is not None else "ADDED", obj)
        if changes:
            self.records_version += 1
            self._report(kind, obj or prev, changes)
        if ns == DNS_SERVICE[0] and kind in ("Service", "EndpointSlice"):
            self._check_serving(obj or prev)

    def serving(self) -> Serving:
        """Read off kube-dns as kube-proxy programs it (see engine.net.network.dns_server
        for the packet's own walk through the rules)."""
        nameserver = self.nameserver
        svc = self.store.get("Service", *DNS_SERVICE)
        if svc is None:
            # (attached, svcflow knows only what it could read: RBAC may hide a Service that is there)
            return Serving(False, 0, nameserver, "the kube-system/kube-dns Service is not among the Services read"
                           if self.mirrored else "the kube-system/kube-dns Service is gone")
        ip = (svc.get("spec") or {}).get("clusterIP")
        if ip != nameserver:
            return Serving(False, 0, nameserver, f"kube-dns's ClusterIP is {ip}, pods ask {nameserver}")
        ready = 0
        for sl in self.store.by_label("EndpointSlice", DNS_SERVICE[0], SERVICE_NAME_LABEL, DNS_SERVICE[1]):
            for ep in sl.get("endpoints") or ():
                if (ep.get("conditions") or {}).get("ready") is not False:
                    ready += 1
        if not ready:
            return Serving(False, 0, nameserver, "kube-dns has no ready endpoints (no CoreDNS pod is ready)",
                           refused=True)
        return Serving(True, ready, nameserver, "")

    def _check_serving(self, obj: dict) -> None:
        """A step-4 event when lookups start or stop reaching CoreDNS."""
        now = self.serving()
        before = self._serving
        self._serving = now
        if before is None or before.ok == now.ok:
            return
        svc = self.store.get("Service", *DNS_SERVICE) or {
            "kind": "Service", "metadata": {"namespace": DNS_SERVICE[0], "name": DNS_SERVICE[1]}}
        self.flow(self.name, svc, "serving" if now.ok else "unreachable", now.line(), step=STEP_DNS,
                  data={"records": [f"CoreDNS {now.line()}"]})

    def _report(self, kind: str, obj: dict, changes: list[RecordChange]) -> None:
        """One step-4 event per Service whose served records changed."""
        by_owner: dict[tuple[str, str], list[RecordChange]] = {}
        for ch in changes:
            if ch.record.kind == "pod":
                continue  # `pods insecure` names answer any IP; they are not part of the flow
            by_owner.setdefault((ch.record.namespace, ch.record.owner), []).append(ch)
        for (ns, owner), chs in by_owner.items():
            svc = self.store.get("Service", ns, owner) or {
                "kind": "Service", "metadata": {"namespace": ns, "name": owner}}
            main = [c for c in chs if c.record.kind in ("service", "headless", "externalname")] or chs
            detail = "; ".join(c.line().removeprefix("CoreDNS ") for c in main[:3])
            if len(main) > 3:
                detail += f" (+{len(main) - 3} more)"
            self.flow(self.name, svc, "served" if chs[0].action == "added" else "removed", detail,
                      step=STEP_DNS, data={"records": [c.line() for c in chs],
                                           "via": kind, "slice": labels_of(obj).get(SERVICE_NAME_LABEL)})

    # -- views ------------------------------------------------------------------
    def records_version_of(self, namespace: str | None) -> tuple:
        """What changes when the records `record_rows(namespace)` lists change."""
        if namespace is None:
            return (None, self.records_version)
        return (namespace, self.plugin.ns_versions.get(namespace, 0))

    def record_namespaces(self) -> list[str]:
        """The namespaces that have records, in the order `record_rows()` lists them."""
        return self.plugin.record_namespaces()

    def record_rows(self, namespace: str | None = None) -> list[tuple[str, str, str]]:
        """The Service records (pod names under `pods insecure` answer any IP, so they are
        not listed), grouped by namespace and Service; of one namespace, or of all."""
        rows, seen = [], set()
        order = {"service": 0, "headless": 0, "externalname": 0, "endpoint": 1, "srv": 2, "ptr": 3}
        for r in sorted(self.plugin.records(namespace),
                        key=lambda r: (r.namespace, r.owner, order.get(r.kind, 4), r.name)):
            row = (r.name, r.rtype, r.rdata)
            if r.kind != "pod" and row not in seen:
                seen.add(row)
                rows.append(row)
        return rows

    def log_query(self, line: str) -> None:
        self.query_log.append(line)

    def take_query_log(self) -> list[str]:
        out = self.query_log[self._log_taken:]
        self._log_taken = len(self.query_log)
        return out


def _handler(plugin: KubernetesPlugin, kind: str):
    return {"Namespace": plugin.on_namespace, "Service": plugin.on_service,
            "EndpointSlice": plugin.on_slice, "Pod": plugin.on_pod}[kind]


#: what the DNS pane lists when the Corefile has no `kubernetes` stanza: nothing is served
_EMPTY = CoreDNSConfig(zone="invalid", reverse_zones=(), namespaces=("\x00",))


def _pod_digest(pod: dict | None) -> tuple:
    """The fields of a pod the kubernetes plugin's pod cache reads (see zone._Pod)."""
    if pod is None:
        return ("deleted",)
    md = pod.get("metadata") or {}
    status = pod.get("status") or {}
    return (bool(md.get("deletionTimestamp")), status.get("phase"), status.get("podIP") or "")


def _slice_digest(sl: dict) -> tuple:
    """The fields of an EndpointSlice the plugin's endpoints cache reads (see zone._Eps):
    the service-name label, the ports, and the ready (or unconditioned) endpoints."""
    md = sl.get("metadata") or {}
    ports = tuple((p.get("name"), p.get("port"), p.get("protocol")) for p in sl.get("ports") or ())
    eps = tuple((tuple(e.get("addresses") or ()), e.get("hostname"), (e.get("targetRef") or {}).get("name"),
                 e.get("nodeName"))
                for e in sl.get("endpoints") or () if (e.get("conditions") or {}).get("ready") is not False)
    return ((md.get("labels") or {}).get(SERVICE_NAME_LABEL), md.get("namespace"), ports, eps)
