"""CoreDNS's `kubernetes` plugin, as the kubeadm Corefile configures it, as a pure library.

Why a line-by-line model rather than a table of names: the behaviour people trip over
(NODATA versus NXDOMAIN, SRV weights, ExternalName chasing, PTRs for pod IPs, the SOA
serial) falls out of the *order* in which upstream does things. So this module mirrors
upstream's functions one to one -- `handler.go` ServeDNS -> `_kubernetes`,
`plugin/backend_lookup.go` A/AAAA/SRV/TXT/CNAME/PTR/NS -> `_a`, `_srv`, ..., `kubernetes.go`
Services/Records/findServices/findPods -> `_services`, `_records`, `_find_services`,
`_find_pods`, `parse.go` -> `parse_request`, `reverse.go` -> `_reverse`, `ns.go` -> `_ns_addrs`,
`object/*.go` ToService/EndpointSliceToEndpoints -> `_Svc.from_obj`/`_Eps.from_obj`.

Around the plugin sits the rest of kubeadm's server block, because a pod never talks to
the plugin alone: names outside the plugin's zones, and reverse names it falls through
on, go to `forward` (a caller-supplied upstream function here), and `loadbalance`
regroups/shuffles address records. `cache 30` is not modelled (see `CoreDNSConfig`).

Inputs are Kubernetes objects as plain dicts in API JSON shape, fed through
`on_service` / `on_slice` / `on_namespace` / `on_pod` the way informers deliver them.
Each returns the `RecordChange`s it caused so a caller can narrate "step 4: CoreDNS
serves redis.default.svc.cluster.local -> 10.96.140.27".
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.dns.corefile import CoreDNSConfig
from engine.dns.names import (
    extract_address_from_reverse,
    fqdn,
    is_reverse,
    is_subdomain,
    match_zone,
    parse_ip,
    reverse_name,
    split_labels,
    trim_zone,
)
from engine.dns.records import (
    ADDED,
    DELETED,
    DNS_SCHEMA_VERSION,
    EVENT_TYPES,
    MODIFIED,
    NOERROR,
    NXDOMAIN,
    REFUSED,
    RR,
    SERVFAIL,
    DnsResponse,
    RecordChange,
    Upstream,
    ZoneRecord,
    forwarded_nxdomain,
)

# kubernetes.go: errNoItems, errNsNotExposed, errInvalidRequest. All three are "name
# errors" (IsNameError): NXDOMAIN, or fallthrough to the next plugin.
_ERR_NO_ITEMS = "no items found"
_ERR_NS_NOT_EXPOSED = "namespace is not exposed"
_ERR_INVALID = "invalid query name"
_NAME_ERRORS = (_ERR_NO_ITEMS, _ERR_NS_NOT_EXPOSED, _ERR_INVALID)

# Pods in these phases are filtered out by CoreDNS's pod informer field selector.
_GONE_POD_PHASES = ("Succeeded", "Failed", "Unknown")


# --------------------------------------------------------------------------- objects
# Stripped-down copies of the API objects, holding only what CoreDNS keeps (object/*.go).


@dataclass(frozen=True)
class _Port:
    name: str
    port: int
    protocol: str


@dataclass(frozen=True)
class _Svc:
    """object.Service: ClusterIPs (or [clusterIP]), ports (or a -1 sentinel), externalName."""

    namespace: str
    name: str
    type: str
    cluster_ips: tuple[str, ...]
    ports: tuple[_Port, ...]
    external_name: str

    @property
    def headless(self) -> bool:
        return self.cluster_ips[0] == "None"

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> _Svc:
        md = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        ips = tuple(spec.get("clusterIPs") or ()) or (spec.get("clusterIP") or "",)
        ports = tuple(
            _Port(p.get("name") or "", int(p.get("port", -1)), p.get("protocol") or "TCP")
            for p in spec.get("ports") or ()
        ) or (_Port("", -1, ""),)
        return cls(
            namespace=md.get("namespace") or "default",
            name=md["name"],
            type=spec.get("type") or "ClusterIP",
            cluster_ips=ips,
            ports=ports,
            external_name=spec.get("externalName") or "",
        )


@dataclass(frozen=True)
class _Addr:
    ip: str
    hostname: str
    target_ref_name: str
    node_name: str


@dataclass(frozen=True)
class _Eps:
    """object.Endpoints built from one EndpointSlice: ready addresses only, ports or -1."""

    namespace: str
    name: str
    service: str  # from the kubernetes.io/service-name label (the "Index")
    addresses: tuple[_Addr, ...]
    ports: tuple[_Port, ...]

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> _Eps:
        md = obj.get("metadata") or {}
        labels = md.get("labels") or {}
        raw_ports = obj.get("ports") or ()
        ports = tuple(
            _Port(
                p.get("name") or "",
                -1 if p.get("port") is None else int(p["port"]),
                p.get("protocol") or "",
            )
            for p in raw_ports
        ) or (_Port("", -1, ""),)
        addrs: list[_Addr] = []
        for ep in obj.get("endpoints") or ():
            ready = (ep.get("conditions") or {}).get("ready")
            if ready is False:  # nil counts as ready (endpointsliceReady)
                continue
            ref = (ep.get("targetRef") or {}).get("name") or ""
            for a in ep.get("addresses") or ():
                addrs.append(
                    _Addr(
                        ip=a,
                        hostname=ep.get("hostname") or "",
                        target_ref_name=ref if len(ref) < 64 else "",
                        node_name=ep.get("nodeName") or "",
                    )
                )
        return cls(
            namespace=md.get("namespace") or "default",
            name=md["name"],
            service=labels.get(SERVICE_NAME_LABEL, ""),
            addresses=tuple(addrs),
            ports=ports,
        )


@dataclass(frozen=True)
class _Pod:
    namespace: str
    name: str
    ip: str

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> _Pod | None:
        """None for pods CoreDNS ignores: no IP, terminating, or Succeeded/Failed/Unknown."""
        md = obj.get("metadata") or {}
        status = obj.get("status") or {}
        if md.get("deletionTimestamp") or status.get("phase") in _GONE_POD_PHASES:
            return None
        ip = status.get("podIP") or ""
        if not ip:
            return None
        return cls(md.get("namespace") or "default", md["name"], ip)


# --------------------------------------------------------------------------- lookup plumbing


@dataclass(frozen=True)
class _Item:
    """msg.Service: what Services() hands the record builders.

    `host` is an IP (-> A/AAAA) or a name (-> CNAME target); `owner` is msg.Domain(Key),
    the name the item stands for (SRV target, NS name); `text` makes it a TXT item.
    """

    host: str
    ttl: int
    port: int = 0
    owner: str = ""
    text: str = ""

    def host_type(self) -> tuple[str, str]:
        """msg.Service.HostType: (type, normalised IP or "")."""
        ip = parse_ip(self.host)
        if ip is None:
            return ("TXT" if self.text else "CNAME"), ""
        return ("A" if ip.version == 4 else "AAAA"), str(ip)


@dataclass(frozen=True)
class _State:
    """request.Request: the question, with the zone in the *question's* case."""

    qname: str
    qtype: str
    zone: str

    @property
    def name(self) -> str:
        return self.qname.lower()

    def with_question(self, name: str, qtype: str) -> _State:
        return _State(fqdn(name), qtype, self.zone)


@dataclass(frozen=True)
class RecordRequest:
    """parse.go recordRequest: the labels of a name below the zone, read right to left."""

    port: str = ""
    protocol: str = ""
    endpoint: str = ""
    service: str = ""
    namespace: str = ""
    pod_or_svc: str = ""


def _strip_underscore(s: str) -> str:
    return s[1:] if s.startswith("_") else s


def parse_request(name: str, zone: str) -> tuple[RecordRequest, str | None]:
    """parse.go parseRequest: returns the request and an error (invalid name) or None.

    An empty `pod_or_svc` means an apex-ish name (`zone`, `svc.zone`, `pod.zone`) that
    exists without data.
    """
    base = trim_zone(name, zone)
    if base in ("", "svc", "pod"):
        return RecordRequest(), None
    segs = split_labels(base)
    last = len(segs) - 1
    pod_or_svc = segs[last]
    if pod_or_svc not in ("svc", "pod"):
        return RecordRequest(pod_or_svc=pod_or_svc), _ERR_INVALID
    last -= 1
    if last < 0:
        return RecordRequest(pod_or_svc=pod_or_svc), None
    namespace = segs[last]
    last -= 1
    if last < 0:
        return RecordRequest(namespace=namespace, pod_or_svc=pod_or_svc), None
    service = segs[last]
    last -= 1
    if last < 0:
        return RecordRequest(service=service, namespace=namespace, pod_or_svc=pod_or_svc), None
    if last == 0:
        return (
            RecordRequest(endpoint=segs[0], service=service, namespace=namespace, pod_or_svc=pod_or_svc),
            None,
        )
    if last == 1:
        return (
            RecordRequest(
                port=_strip_underscore(segs[0]),
                protocol=_strip_underscore(segs[1]),
                service=service,
                namespace=namespace,
                pod_or_svc=pod_or_svc,
            ),
            None,
        )
    return RecordRequest(), _ERR_INVALID  # too long


def endpoint_hostname(ip: str, hostname: str = "", target_ref_name: str = "", pod_names: bool = False) -> str:
    """kubernetes.go endpointHostname: hostname, else (endpoint_pod_names) pod name, else dashed IP.

    IPv6 dashes every colon; a trailing dash (address ending in `::`) is completed with
    `0` so the label is valid (`fd00::` -> `fd00--0`).
    """
    if hostname:
        return hostname
    if pod_names and target_ref_name:
        return target_ref_name
    if "." in ip:
        return ip.replace(".", "-")
    if ":" in ip:
        h = ip.replace(":", "-")
        return h + "0" if h.endswith("-") else h
    return ""


def _match(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _match_port_and_protocol(a_port: str, b_port: str, a_proto: str, b_proto: str) -> bool:
    return (a_port == "" or _match(a_port, b_port)) and (a_proto == "" or _match(a_proto, b_proto))


def _name_matches(parent: str, child: str) -> bool:
    """plugin.Name.Matches: child equals or is below parent (the CNAME-loop check)."""
    return is_subdomain(parent, child)


def loadbalance(rrs: tuple[RR, ...], rng: random.Random | None) -> tuple[RR, ...]:
    """loadbalance's roundRobin: CNAMEs first, then the rest, then shuffled A/AAAA, then MX."""
    cname = [r for r in rrs if r.rtype == "CNAME"]
    address = [r for r in rrs if r.rtype in ("A", "AAAA")]
    mx = [r for r in rrs if r.rtype == "MX"]
    rest = [r for r in rrs if r.rtype not in ("CNAME", "A", "AAAA", "MX")]
    if rng is not None:
        for group in (address, mx):
            n = len(group)
            if n == 2:
                if rng.randrange(2) == 0:
                    group.reverse()
            elif n > 2:
                for j in range(n):
                    p = j + rng.randrange(n - j)
                    group[j], group[p] = group[p], group[j]
    return tuple(cname + rest + address + mx)


_KIND_ORDER = {"service": 0, "headless": 1, "externalname": 2, "srv": 3, "endpoint": 4, "ptr": 5, "pod": 6}

_GroupKey = tuple[str, ...]


# --------------------------------------------------------------------------- the plugin


class KubernetesPlugin:
    """The plugin's caches (fed by informer-style events) and the DNS server block around it.

    `query(qname, qtype)` answers like CoreDNS would for a pod asking 10.96.0.10;
    `records()` lists everything it serves, for a dashboard pane.

    `clock` returns the current time (unix seconds, or a datetime); the SOA serial is
    the clock reading at the last change the plugin saw, like dnsControl.modified.
    `upstream(qname, qtype)` stands in for `forward . /etc/resolv.conf`.
    `rng`, when given, drives loadbalance's shuffle; without it record order is stable.
    Set `synced = False` to model CoreDNS before its informers synced (SERVFAIL instead
    of NXDOMAIN).
    """

    def __init__(
        self,
        config: CoreDNSConfig | None = None,
        *,
        clock: Callable[[], float | datetime] = time.time,
        upstream: Upstream | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or CoreDNSConfig()
        self.clock = clock
        self.upstream: Upstream = upstream or forwarded_nxdomain
        self.rng = rng
        self.synced = True
        self._next: Upstream | None = None  # while `serve` runs: the chain's next plugin
        self._zones = self.config.zones
        self._primary = self._zones[0]
        self._ttl = self.config.ttl
        self._fall: list[str] | None = (
            None
            if self.config.fallthrough is None
            else [fqdn(z.lower()) for z in self.config.fallthrough] or ["."]
        )
        # Informer caches and their indexes (controller.go). Dicts double as ordered sets.
        self._namespaces: dict[str, None] = {}
        self._svcs: dict[tuple[str, str], _Svc] = {}
        self._svc_by_ip: dict[str, dict[tuple[str, str], None]] = {}
        self._eps: dict[tuple[str, str], _Eps] = {}
        self._eps_by_svc: dict[tuple[str, str], dict[tuple[str, str], None]] = {}
        self._eps_by_ip: dict[str, dict[tuple[str, str], None]] = {}
        self._pods: dict[tuple[str, str], _Pod] = {}
        self._pods_by_ip: dict[str, dict[tuple[str, str], None]] = {}
        # What records() reports, grouped so one event only recomputes what it touches.
        self._groups: dict[_GroupKey, tuple[ZoneRecord, ...]] = {}
        # For listings of one namespace at 10,000 Services: the groups holding records of a
        # namespace, and a version per namespace bumped when its records change.
        self._groups_by_ns: dict[str, set[_GroupKey]] = {}
        self.ns_versions: dict[str, int] = {}
        # While one Service's records are listed: its addresses by endpoint hostname.
        self._endpoint_index: tuple[tuple[str, str], dict[str, list]] | None = None
        self._modified = self._now()

    # ------------------------------------------------------------------ clock / serial

    def _now(self) -> int:
        t = self.clock()
        return int(t.timestamp() if isinstance(t, datetime) else t)

    @property
    def serial(self) -> int:
        """SOA serial: unix seconds of the last change (uint32, as on the wire)."""
        return self._modified & 0xFFFFFFFF

    def _touch(self) -> None:
        self._modified = self._now()

    # ------------------------------------------------------------------ events

    @staticmethod
    def _check_event(event_type: str) -> None:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"event_type must be one of {EVENT_TYPES}: {event_type!r}")

    def on_namespace(self, event_type: str, obj: Mapping[str, Any]) -> list[RecordChange]:
        """A Namespace appeared or went: names below it start or stop resolving.

        CoreDNS's namespace informer has no change handler, so the SOA serial is not bumped.
        """
        self._check_event(event_type)
        ns = obj["metadata"]["name"]
        existed = ns in self._namespaces
        if event_type == DELETED:
            self._namespaces.pop(ns, None)
        else:
            self._namespaces[ns] = None
        if existed == (ns in self._namespaces):
            return []  # only existence matters to DNS
        affected: set[_GroupKey] = {("svc", ns, n) for (sns, n) in self._svcs if sns == ns}
        affected |= {("pod", ns, n) for (pns, n) in self._pods if pns == ns}
        for svc in self._svcs.values():
            if svc.namespace == ns:
                affected |= {("ptr", ip) for ip in svc.cluster_ips}
        for eps in self._eps.values():
            if eps.namespace == ns:
                affected |= {("ptr", a.ip) for a in eps.addresses}
        return self._refresh(affected)

    def on_service(self, event_type: str, obj: Mapping[str, Any]) -> list[RecordChange]:
        """Service informer event. Bumps the serial on add/delete and DNS-relevant updates."""
        self._check_event(event_type)
        new = _Svc.from_obj(obj)
        key = (new.namespace, new.name)
        old = self._svcs.get(key)
        if old is not None:
            for ip in old.cluster_ips:
                self._svc_by_ip.get(ip, {}).pop(key, None)
            del self._svcs[key]
        if event_type != DELETED:
            self._svcs[key] = new
            for ip in new.cluster_ips:
                self._svc_by_ip.setdefault(ip, {})[key] = None
        affected: set[_GroupKey] = {("svc", *key)}
        for s in (old, new):
            if s is not None:
                affected |= {("ptr", ip) for ip in s.cluster_ips}
        changes = self._refresh(affected)
        # dnsControl: Add/Delete always bump `modified`; Update only when it matters to DNS.
        if (event_type == ADDED) or (event_type == DELETED and old is not None) or (
            event_type == MODIFIED and old != new
        ):
            self._touch()
        return changes

    def on_slice(self, event_type: str, obj: Mapping[str, Any]) -> list[RecordChange]:
        """EndpointSlice informer event (discovery.k8s.io/v1)."""
        self._check_event(event_type)
        new = _Eps.from_obj(obj)
        key = (new.namespace, new.name)
        old = self._eps.get(key)
        if old is not None:
            self._unindex_eps(key, old)
        if event_type != DELETED:
            self._eps[key] = new
            self._eps_by_svc.setdefault((new.namespace, new.service), {})[key] = None
            for a in new.addresses:
                self._eps_by_ip.setdefault(a.ip, {})[key] = None
        affected: set[_GroupKey] = set()
        for e in (old, new):
            if e is not None:
                affected.add(("svc", e.namespace, e.service))
                affected |= {("ptr", a.ip) for a in e.addresses}
        changes = self._refresh(affected)
        if (event_type == ADDED) or (event_type == DELETED and old is not None) or (
            event_type == MODIFIED and (old is None or (old.addresses, old.ports) != (new.addresses, new.ports))
        ):
            self._touch()
        return changes

    def _unindex_eps(self, key: tuple[str, str], eps: _Eps) -> None:
        del self._eps[key]
        self._eps_by_svc.get((eps.namespace, eps.service), {}).pop(key, None)
        for a in eps.addresses:
            self._eps_by_ip.get(a.ip, {}).pop(key, None)

    def on_pod(self, event_type: str, obj: Mapping[str, Any]) -> list[RecordChange]:
        """Pod event. Only `pods verified` watches pods upstream; the cache is kept in every
        mode so records() can list pod names, but only verified bumps the serial."""
        self._check_event(event_type)
        md = obj["metadata"]
        key = (md.get("namespace") or "default", md["name"])
        old = self._pods.pop(key, None)
        if old is not None:
            self._pods_by_ip.get(old.ip, {}).pop(key, None)
        new = None if event_type == DELETED else _Pod.from_obj(obj)
        if new is not None:
            self._pods[key] = new
            self._pods_by_ip.setdefault(new.ip, {})[key] = None
        changes = self._refresh({("pod", *key)})
        if self.config.pods == "verified" and (old != new):
            self._touch()
        return changes

    # ------------------------------------------------------------------ record listing

    def service_record_names(self, namespace: str, name: str) -> set[str]:
        """The names served for one Service (its A/AAAA, SRV and endpoint names)."""
        return {r.name for r in self._groups.get(("svc", namespace, name), ())}

    def record_namespaces(self) -> list[str]:
        """Namespaces holding records, sorted (as `records()` orders them)."""
        return sorted(ns for ns, groups in self._groups_by_ns.items()
                      if any(r.namespace == ns for gk in groups for r in self._groups.get(gk, ())))

    def records(self, namespace: str | None = None) -> list[ZoneRecord]:
        """Every name the plugin would answer right now (services, SRV for named ports,
        endpoint names, PTRs, ExternalName CNAMEs, known pods), grouped per Service; with
        ``namespace``, only the records of that namespace's Services and pods."""
        if namespace is None:
            out = [r for recs in self._groups.values() for r in recs]
        else:
            groups = self._groups
            out = [r for gk in self._groups_by_ns.get(namespace, ()) for r in groups.get(gk, ())
                   if r.namespace == namespace]
        out.sort(key=lambda r: (r.namespace, r.owner, _KIND_ORDER.get(r.kind, 9), r.name, r.rtype, r.rdata))
        return out

    def _refresh(self, affected: Iterable[_GroupKey]) -> list[RecordChange]:
        changes: list[RecordChange] = []
        for gk in sorted(affected):
            new = tuple(self._compute_group(gk))
            old = self._groups.get(gk, ())
            if new:
                self._groups[gk] = new
            else:
                self._groups.pop(gk, None)
            old_set, new_set = set(old), set(new)
            gone = [r for r in old if r not in new_set]
            came = [r for r in new if r not in old_set]
            changes += [RecordChange("removed", r) for r in gone]
            changes += [RecordChange("added", r) for r in came]
            if gone or came:
                by_ns = self._groups_by_ns
                now_in = {r.namespace for r in new}
                for ns in now_in:
                    by_ns.setdefault(ns, set()).add(gk)
                for ns in {r.namespace for r in old} - now_in:
                    by_ns.get(ns, set()).discard(gk)
                for ns in {r.namespace for r in gone} | {r.namespace for r in came}:
                    self.ns_versions[ns] = self.ns_versions.get(ns, 0) + 1
        return changes

    def _answer(self, qname: str, qtype: str) -> tuple[RR, ...]:
        """The plugin's own answer (no forward, no loadbalance), for building listings."""
        zone = match_zone(self._zones, qname)
        if zone is None:
            return ()
        resp = self._kubernetes(qname, qtype, zone)
        if resp is None or resp.rcode != NOERROR:
            return ()
        return resp.answer

    def _compute_group(self, gk: _GroupKey) -> list[ZoneRecord]:
        if gk[0] == "svc":
            return self._svc_group(gk[1], gk[2])
        if gk[0] == "ptr":
            return self._ptr_group(gk[1])
        return self._pod_group(gk[1], gk[2])

    def _svc_group(self, ns: str, name: str) -> list[ZoneRecord]:
        svc = self._svcs.get((ns, name))
        if svc is None:
            return []
        base = f"{name}.{ns}.svc.{self._primary}"
        out: list[ZoneRecord] = []

        def add(qname: str, qtype: str, kind: str) -> None:
            for rr in self._answer(qname, qtype):
                if rr.rtype == qtype:
                    out.append(ZoneRecord(rr.name, rr.rtype, rr.rdata, rr.ttl, kind, ns, name))

        if svc.type == "ExternalName":
            add(base, "CNAME", "externalname")
            return out
        slices = [self._eps[k] for k in self._eps_by_svc.get((ns, name), {})]
        # What A and AAAA can answer here is the Service's ClusterIPs and its endpoints'
        # addresses (ExternalName's CNAME chase returned above): with no IPv6 among them an
        # AAAA answer is empty, so it is not asked (a third of the queries of an IPv4 cluster).
        families = ("A", "AAAA") if any(":" in ip for ip in svc.cluster_ips) or \
            any(":" in a.ip for e in slices for a in e.addresses) else ("A",)
        for t in families:
            add(base, t, "headless" if svc.headless else "service")
        ports = [p for e in slices for p in e.ports] if svc.headless else list(svc.ports)
        seen: set[tuple[str, str]] = set()
        for p in ports:
            pair = (p.name.lower(), p.protocol.lower())
            if p.name and p.protocol and pair not in seen:
                seen.add(pair)
                add(f"_{pair[0]}._{pair[1]}.{base}", "SRV", "srv")
        # Each endpoint name is asked like any query, but through an index of this Service's
        # addresses by hostname, so listing n endpoints costs n, not n * n (500 replicas made
        # every slice change cost seconds).
        by_host: dict[str, list] = {}
        for e in slices:
            for a in e.addresses:
                h = endpoint_hostname(a.ip, a.hostname, a.target_ref_name, self.config.endpoint_pod_names)
                if h:
                    by_host.setdefault(h.lower(), []).append((e, a))
        self._endpoint_index = ((ns, name), by_host)
        try:
            for h in by_host:
                for t in families:
                    add(f"{h}.{base}", t, "endpoint")
        finally:
            self._endpoint_index = None
        return out

    def _ptr_group(self, ip: str) -> list[ZoneRecord]:
        if parse_ip(ip) is None:
            return []
        out: list[ZoneRecord] = []
        for rr in self._answer(reverse_name(ip), "PTR"):
            labels = split_labels(trim_zone(rr.rdata, self._primary))
            ns, owner = (labels[-2], labels[-3]) if len(labels) >= 3 else ("", "")
            out.append(ZoneRecord(rr.name, "PTR", rr.rdata, rr.ttl, "ptr", ns, owner))
        return out

    def _pod_group(self, ns: str, name: str) -> list[ZoneRecord]:
        pod = self._pods.get((ns, name))
        if pod is None or self.config.pods == "disabled":
            return []
        ip = parse_ip(pod.ip)
        if ip is None:
            return []
        dashed = pod.ip.replace(".", "-") if ip.version == 4 else pod.ip.replace(":", "-")
        qname = f"{dashed}.{ns}.pod.{self._primary}"
        out: list[ZoneRecord] = []
        for t in ("A", "AAAA"):
            for rr in self._answer(qname, t):
                if rr.rtype == t:
                    out.append(ZoneRecord(rr.name, rr.rtype, rr.rdata, rr.ttl, "pod", ns, name))
        return out

    # ------------------------------------------------------------------ the server block

    def query(self, qname: str, qtype: str = "A") -> DnsResponse:
        """Answer a question as CoreDNS (kubeadm server block) would.

        Order: kubernetes plugin for its zones (falling through on reverse names it does
        not know), `forward` (the upstream function) for everything else, then
        loadbalance's regrouping of successful answers.
        """
        qtype = qtype.upper()
        resp = self._serve(fqdn(qname), qtype)
        if self.config.loadbalance and resp.rcode == NOERROR and qtype not in ("AXFR", "IXFR"):
            resp = replace(
                resp,
                answer=loadbalance(resp.answer, self.rng),
                authority=loadbalance(resp.authority, self.rng),
                additional=loadbalance(resp.additional, self.rng),
            )
        return resp

    def _serve(self, qname: str, qtype: str) -> DnsResponse:
        """The plugin chain without loadbalance: what upstream.Lookup re-enters."""
        zone = match_zone(self._zones, qname)
        if zone is not None:
            resp = self._kubernetes(qname, qtype, zone)
            if resp is not None:
                return resp
        return self._forward(qname, qtype)

    def serve(self, qname: str, qtype: str, next_plugin: Upstream) -> DnsResponse:
        """The plugin inside a server block's chain (engine.dns.server): its zones answered
        here, every other name (and a fallthrough) handed to `next_plugin` (the block's
        `forward`, or SERVFAIL when there is none); no loadbalance (the chain applies it)."""
        saved, self._next = self._next, next_plugin
        try:
            return self._serve(fqdn(qname), qtype.upper())
        finally:
            self._next = saved

    def _forward(self, qname: str, qtype: str) -> DnsResponse:
        if self._next is not None:
            return self._next(qname, qtype)
        resp = self.upstream(qname, qtype)
        return replace(resp, qname=qname, qtype=qtype, forwarded=True)

    def _falls_through(self, name: str) -> bool:
        return self._fall is not None and match_zone(self._fall, name) is not None

    # ------------------------------------------------------------------ handler.go

    def _kubernetes(self, qname: str, qtype: str, matched_zone: str) -> DnsResponse | None:
        """handler.go ServeDNS. None means "next plugin" (fallthrough)."""
        zone = qname[len(qname) - len(matched_zone):]  # keep the question's case
        state = _State(qname, qtype, zone)
        records: list[RR] = []
        extra: list[RR] = []
        tc = False
        err: str | None = None
        if qtype == "A":
            records, tc, err = self._addr(state, [], "A")
        elif qtype == "AAAA":
            records, tc, err = self._addr(state, [], "AAAA")
        elif qtype == "TXT":
            records, err = self._txt(state)
        elif qtype == "CNAME":
            records, err = self._cname(state)
        elif qtype == "PTR":
            records, err = self._ptr(state)
        elif qtype == "MX":
            _items, err = self._services(state)  # nothing here is ever a mail exchanger
        elif qtype == "SRV":
            records, extra, err = self._srv(state)
        elif qtype == "SOA":
            if qname == zone:
                records = [self._soa(zone)]
        elif qtype in ("AXFR", "IXFR"):
            return DnsResponse(qname, qtype, rcode=REFUSED)
        elif qtype == "NS" and state.name == zone:
            records, extra, err = self._ns(state)
        else:
            # Fake A lookup, to tell NODATA from NXDOMAIN.
            _r, _tc, err = self._addr(state.with_question(qname, "A"), [], "A")

        if err in _NAME_ERRORS:
            if self._falls_through(state.name):
                return None
            rcode = NXDOMAIN if self.synced else SERVFAIL
            return DnsResponse(qname, qtype, rcode=rcode, aa=True, authority=(self._soa(zone),))
        if not records:
            return DnsResponse(qname, qtype, aa=True, authority=(self._soa(zone),))
        return DnsResponse(qname, qtype, aa=True, tc=tc, answer=tuple(records), additional=tuple(extra))

    def _soa(self, zone: str) -> RR:
        """backend_lookup.go SOA: TTL min(ttl, 300), serial = last change, minimum = ttl."""
        rdata = f"ns.dns.{zone} hostmaster.{zone} {self.serial} 7200 1800 86400 {self._ttl}"
        return RR(zone, min(self._ttl, 300), "IN", "SOA", rdata)

    # ------------------------------------------------------------------ backend_lookup.go

    def _addr(self, state: _State, previous: list[RR], family: str) -> tuple[list[RR], bool, str | None]:
        """plugin.A / plugin.AAAA, including ExternalName CNAME chasing."""
        items, err = self._services(state)
        if err is not None:
            return [], False, err
        records: list[RR] = []
        truncated = False
        dup: set[str] = set()
        for item in items:
            what, ip = item.host_type()
            if what == "CNAME":
                target = fqdn(item.host)
                if _name_matches(state.name, target):
                    continue  # x CNAME x (or below x) is a loop
                new = RR(state.qname, item.ttl, "IN", "CNAME", target)
                if len(previous) > 7:
                    continue
                if any(r.rtype == "CNAME" and r.rdata == target for r in previous):
                    continue
                if is_subdomain(state.zone, target):
                    nxt, tc, e = self._addr(state.with_question(item.host, state.qtype), previous + [new], family)
                    if e is None and nxt:
                        records += [new, *nxt]
                    truncated = truncated or tc
                    continue
                m1 = self._serve(target, state.qtype)  # upstream.Lookup re-enters the server
                truncated = truncated or m1.tc
                records += [new, *m1.answer]
                continue
            if what == family and item.host not in dup:
                dup.add(item.host)
                records.append(RR(state.qname, item.ttl, "IN", family, ip))
        return records, truncated, None

    def _srv(self, state: _State) -> tuple[list[RR], list[RR], str | None]:
        """plugin.SRV: weight = floor(100 / candidates), one SRV per (target, port)."""
        items, err = self._services(state)
        if err is not None:
            return [], [], err
        total = 100 * len(items)  # every item has priority 0 and weight 0 -> 100
        records: list[RR] = []
        extra: list[RR] = []
        dup: set[tuple[str, int, str]] = set()
        for item in items:
            if item.port == -1:
                continue  # the "no ports" sentinel
            weight = int(math.floor(100.0 / float(total) * 100)) or 1
            what, ip = item.host_type()
            if what not in ("A", "AAAA"):
                continue
            target = item.owner
            if (target, item.port, "") not in dup:
                dup.add((target, item.port, ""))
                records.append(RR(state.qname, item.ttl, "IN", "SRV", f"0 {weight} {item.port} {target}"))
            if (target, 0, item.host) not in dup:
                dup.add((target, 0, item.host))
                extra.append(RR(target, item.ttl, "IN", what, ip))
        return records, extra, None

    def _txt(self, state: _State) -> tuple[list[RR], str | None]:
        items, err = self._services(state)
        if err is not None:
            return [], err
        seen: set[str] = set()
        out: list[RR] = []
        for item in items:
            if item.text and item.text not in seen:
                seen.add(item.text)
                out.append(RR(state.qname, item.ttl, "IN", "TXT", f'"{item.text}"'))
        return out, None

    def _cname(self, state: _State) -> tuple[list[RR], str | None]:
        items, err = self._services(state)
        if err is not None:
            return [], err
        if items and parse_ip(items[0].host) is None:
            return [RR(state.qname, items[0].ttl, "IN", "CNAME", fqdn(items[0].host))], None
        return [], None

    def _ptr(self, state: _State) -> tuple[list[RR], str | None]:
        items, err = self._reverse(state)
        if err is not None:
            return [], err
        seen: set[str] = set()
        out: list[RR] = []
        for item in items:
            if parse_ip(item.host) is None and item.host not in seen:
                seen.add(item.host)
                out.append(RR(state.qname, item.ttl, "IN", "PTR", fqdn(item.host)))
        return out, None

    def _ns(self, state: _State) -> tuple[list[RR], list[RR], str | None]:
        """plugin.NS at the apex: the CoreDNS Service's name(s), with glue."""
        records: list[RR] = []
        extra: list[RR] = []
        seen: set[str] = set()
        for name, ip in self._ns_addrs(state.zone):
            what = "A" if parse_ip(ip).version == 4 else "AAAA"  # type: ignore[union-attr]
            extra.append(RR(name, self._ttl, "IN", what, str(parse_ip(ip))))
            if name not in seen:
                seen.add(name)
                records.append(RR(state.qname, self._ttl, "IN", "NS", name))
        return records, extra, None

    # ------------------------------------------------------------------ kubernetes.go

    def _services(self, state: _State) -> tuple[list[_Item], str | None]:
        """Kubernetes.Services: TXT/NS special cases, then Records (SRV drops CNAMEs)."""
        if state.qtype == "TXT":
            segs = split_labels(trim_zone(state.name, state.zone))
            if len(segs) == 1 and segs[0] == "dns-version":
                return [_Item(host="", ttl=28800, text=DNS_SCHEMA_VERSION)], None
            return [], None
        if state.name.startswith("ns.dns.") and state.name.find(state.zone) == len("ns.dns."):
            # isDefaultNS: ns.dns.<zone> resolves to the NS addresses.
            return [
                _Item(host=ip, ttl=self._ttl, owner=state.qname)
                for _name, ip in self._ns_addrs(state.zone)
                if (parse_ip(ip).version == 4) == (state.qtype == "A")  # type: ignore[union-attr]
                and state.qtype in ("A", "AAAA")
            ], None
        items, err = self._records(state)
        if state.qtype == "SRV":
            items = [i for i in items if i.host_type()[0] != "CNAME"]  # no SRV for ExternalName
        return items, err

    def _records(self, state: _State) -> tuple[list[_Item], str | None]:
        """Kubernetes.Records."""
        r, err = parse_request(state.name, state.zone)
        if err is not None:
            return [], err
        if r.pod_or_svc == "":
            return [], None
        if is_reverse(state.name):
            return [], _ERR_NO_ITEMS
        if not self._namespace_exposed(r.namespace):
            return [], _ERR_NS_NOT_EXPOSED
        if r.pod_or_svc == "pod":
            return self._find_pods(r, state.zone)
        return self._find_services(r, state.zone)

    def _namespace_exposed(self, ns: str) -> bool:
        """The `namespaces` option allows it and the namespace exists in the cache."""
        if self.config.namespaces and ns not in self.config.namespaces:
            return False
        return ns in self._namespaces

    def _hostname(self, a: _Addr) -> str:
        return endpoint_hostname(a.ip, a.hostname, a.target_ref_name, self.config.endpoint_pod_names)

    def _find_pods(self, r: RecordRequest, zone: str) -> tuple[list[_Item], str | None]:
        """findPods: dashed IP -> IP; insecure answers any valid IP, verified needs a pod."""
        mode = self.config.pods
        if mode == "disabled" or not self._namespace_exposed(r.namespace):
            return [], _ERR_NO_ITEMS
        podname = r.service
        if podname == "":
            return [], None  # <ns>.pod.<zone>: NODATA
        if podname.count("-") == 3 and "--" not in podname:
            ip = podname.replace("-", ".")
        else:
            ip = podname.replace("-", ":")
        owner = f"{podname}.{r.namespace}.pod.{zone}"
        if mode == "insecure":
            if parse_ip(ip) is None:
                return [], _ERR_NO_ITEMS
            return [_Item(host=ip, ttl=self._ttl, owner=owner)], None
        items = [
            _Item(host=ip, ttl=self._ttl, owner=owner)
            for key in self._pods_by_ip.get(ip, {})
            if self._pods[key].ip == ip and _match(r.namespace, self._pods[key].namespace)
        ]
        return items, (None if items else _ERR_NO_ITEMS)

    def _find_services(self, r: RecordRequest, zone: str) -> tuple[list[_Item], str | None]:
        """findServices: ExternalName -> CNAME item; headless or endpoint query -> endpoint
        IPs (x matching ports); otherwise ClusterIPs (x matching ports)."""
        if not self._namespace_exposed(r.namespace):
            return [], _ERR_NO_ITEMS
        if r.service == "":
            return [], None  # <ns>.svc.<zone>: NODATA
        err: str | None = _ERR_NO_ITEMS
        items: list[_Item] = []
        svc = self._svcs.get((r.namespace, r.service))
        if svc is None:
            return [], err
        slices = [self._eps[k] for k in self._eps_by_svc.get((svc.namespace, svc.name), {})]
        if self.config.ignore_empty_service and svc.type != "ExternalName" and not svc.headless:
            if sum(len(e.addresses) for e in slices) == 0:
                return [], err
        base = f"{svc.name}.{svc.namespace}.svc.{zone}"
        if svc.type == "ExternalName":
            if r.endpoint or r.port or r.protocol:
                return [], err  # no subdomains, no SRV below an ExternalName
            item = _Item(host=svc.external_name, ttl=self._ttl, owner=base)
            if item.host_type()[0] == "CNAME":
                return [item], None
            return [], err  # an IP in externalName produces nothing
        if svc.headless or r.endpoint:
            index = self._endpoint_index
            if r.endpoint and index is not None and index[0] == (svc.namespace, svc.name):
                pairs = index[1].get(r.endpoint.lower(), ())  # (the listing's per-Service index)
            else:
                pairs = [(e, a) for e in slices for a in e.addresses]
            for e, a in pairs:
                host = self._hostname(a)
                if r.endpoint and not _match(r.endpoint, host):
                    continue
                for p in e.ports:
                    if not _match_port_and_protocol(r.port, p.name, r.protocol, p.protocol):
                        continue
                    items.append(_Item(host=a.ip, ttl=self._ttl, port=p.port, owner=f"{host}.{base}"))
                    err = None
            return items, err
        for p in svc.ports:
            if not _match_port_and_protocol(r.port, p.name, r.protocol, p.protocol):
                continue
            err = None
            for ip in svc.cluster_ips:
                items.append(_Item(host=ip, ttl=self._ttl, port=p.port, owner=base))
        return items, err

    # ------------------------------------------------------------------ reverse.go / ns.go

    def _reverse(self, state: _State) -> tuple[list[_Item], str | None]:
        ip = extract_address_from_reverse(state.name)
        if ip == "":
            _items, e = self._records(state)
            return [], e
        items = self._service_record_for_ip(ip)
        return items, (None if items else _ERR_NO_ITEMS)

    def _service_record_for_ip(self, ip: str) -> list[_Item]:
        """ClusterIP match first (first service only), else one PTR per endpoint entry."""
        restrict = bool(self.config.namespaces)
        for key in self._svc_by_ip.get(ip, {}):
            svc = self._svcs[key]
            if restrict and not self._namespace_exposed(svc.namespace):
                continue
            return [_Item(host=f"{svc.name}.{svc.namespace}.svc.{self._primary}", ttl=self._ttl)]
        items: list[_Item] = []
        for key in self._eps_by_ip.get(ip, {}):
            e = self._eps[key]
            if restrict and not self._namespace_exposed(e.namespace):
                continue
            for a in e.addresses:
                if a.ip == ip:
                    host = f"{self._hostname(a)}.{e.service}.{e.namespace}.svc.{self._primary}"
                    items.append(_Item(host=host, ttl=self._ttl))
        return items

    def _ns_addrs(self, zone: str) -> list[tuple[str, str]]:
        """ns.go nsAddrs: (name, ip) of the Service(s) whose endpoints are CoreDNS's own IPs."""
        out: list[tuple[str, str]] = []
        found = False
        for local_ip in self.config.local_ips:
            for key in self._eps_by_ip.get(local_ip, {}):
                found = True
                e = self._eps[key]
                svc = self._svcs.get((e.namespace, e.service))
                if svc is None:
                    continue
                name = f"{svc.name}.{svc.namespace}.svc.{zone}"
                if svc.headless:
                    out += [(f"{self._hostname(a)}.{name}", a.ip) for a in e.addresses]
                else:
                    out += [(name, ip) for ip in svc.cluster_ips]
        if not found:
            out = [(f"ns.dns.{zone}", ip) for ip in self.config.local_ips]
        return [(n, ip) for n, ip in out if parse_ip(ip) is not None]


__all__ = ["KubernetesPlugin", "loadbalance", "RecordRequest", "endpoint_hostname", "parse_request"]
