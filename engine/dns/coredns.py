"""CoreDNS (step 4 of the Service flow): watches Services, EndpointSlices, Namespaces
(and Pods for `pods verified`) and serves the cluster zone.

Both CoreDNS replicas run the same informers and answer alike, so one plugin instance
stands for the Deployment. The ClusterIP record appears as soon as the Service does (no
endpoints needed); headless and endpoint names follow the EndpointSlices. Each change
of what is served is a step-4 flow event naming the records.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.api.objects import labels_of, meta
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.cluster.events import STEP_DNS
from engine.controllers.base import Controller
from engine.controllers.context import ControllerContext
from engine.dns.corefile import CoreDNSConfig
from engine.dns.records import RecordChange
from engine.dns.zone import KubernetesPlugin

WATCHED = ("Namespace", "Service", "EndpointSlice", "Pod")
DNS_SERVICE = ("kube-system", "kube-dns")


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
                 mirrored: bool = False) -> None:
        super().__init__(ctx)
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
        for kind in WATCHED:
            self.store.watch(kind, self._on_event)

    def reconfigure(self, config: CoreDNSConfig) -> None:
        """Serve a new Corefile, as CoreDNS's `reload` plugin does when its ConfigMap
        changes: a new kubernetes plugin, which learns every object again from the store
        (the informers' caches). Used by a mirror (engine.attach)."""
        self.config = config
        clock, old = self.clock, self.plugin
        self.plugin = KubernetesPlugin(config, clock=lambda: int(clock.now().timestamp()))
        # (the DNS pane redraws a namespace when its version moves: on from the old ones)
        self.plugin.ns_versions = {ns: v + 1 for ns, v in old.ns_versions.items()}
        self._seen.clear()
        self._digest.clear()
        self.records_version += 1
        for kind in WATCHED:
            if kind == "Pod" and config.pods != "verified":
                continue
            for obj in self.store.iter(kind):
                md = meta(obj)
                self.enqueue(f"{kind}|{md.get('namespace') or ''}|{md['name']}")

    def _on_event(self, ev) -> None:
        kind = ev.obj["kind"]
        if kind == "Pod" and self.config.pods != "verified":
            # Only `pods verified` runs a pod informer upstream: `pods insecure` answers any
            # dashed IP without looking, so pod churn costs CoreDNS nothing.
            return
        md = meta(ev.obj)
        self.enqueue(f"{kind}|{md.get('namespace') or ''}|{md['name']}")

    def reconcile(self, key: str) -> None:
        kind, ns, name = key.split("|")
        obj = self.store.get(kind, ns, name)
        prev = self._seen.get((kind, ns, name))
        handler = {"Namespace": self.plugin.on_namespace, "Service": self.plugin.on_service,
                   "EndpointSlice": self.plugin.on_slice, "Pod": self.plugin.on_pod}[kind]
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
        else:
            self._seen[(kind, ns, name)] = obj
            changes = handler("MODIFIED" if prev is not None else "ADDED", obj)
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
