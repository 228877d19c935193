"""`kubectl describe` for the kinds svcflow simulates, byte for byte.

This is a port of the layout code in kubectl's `pkg/describe/describe.go` (v1.31+): the
same PrefixWriter levels (two spaces each), the same `text/tabwriter` settings (min width
0, padding 2, pad with spaces), the same line order and the same `<none>` / `<unset>`
placeholders. Alignment quirks that users know from real clusters (`IPs:` breaking the
column block so `  IP:` lines up with `Controlled By:`, the Events table being flushed
and aligned on its own) fall out of porting the tabwriter faithfully instead of
hand-padding, so this module carries its own small tabwriter rather than formatting
columns by hand.

Objects are API-shaped dicts as the store holds them, defaulted once by the API server
(engine.api.defaults: port protocol `TCP`, `targetPort` = `port`, probe timings, session
affinity): describe prints what it finds, and a missing field reads as Go's zero value,
as it would in kubectl. Fields that are only defaulted in some contexts (traffic
policies, IP family policy) are printed only when present, exactly as kubectl does.

Public entry point: :func:`describe`.
"""
from __future__ import annotations

import base64
import copy
import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from typing import Callable, Iterable

from engine.api.gostrconv import go_quote
from engine.api.kinds import KINDS
from engine.api.labels import format_label_selector, label_selector_matches, label_selector_string
from engine.api.podresources import ResourceList, add_resource_list, pod_limits, pod_requests
from engine.api.qos import pod_qos_class
from engine.api.quantity import ZERO, Quantity, parse_quantity
from engine.api.wellknown import LAST_APPLIED, MIRROR_POD_ANNOTATION, NODE_ROLE_LABEL, SERVICE_NAME_LABEL
from engine.kubectl.printers.duration import human_duration
from engine.kubectl.printers.get import format_labels
from engine.kubectl.printers.jsonpath import go_sprint  # fmt's %v of decoded JSON
from engine.kubectl.printers.tabwriter import render_text

Lister = Callable[[str, str | None], list[dict]]

POD_TEMPLATE_HASH = "pod-template-hash"
NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
MAX_ANNOTATION_LEN = 140  # describe.go maxAnnotationLen
# kubectl >= 1.35 (kubernetes#133627) prefixes an event's message with its
# involvedObject.fieldPath (`spec.containers{redis}: Pulling image ...`); 1.31-1.34 do not.
SHOW_EVENT_FIELD_PATH = True

LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3, LEVEL_4 = range(5)


# --------------------------------------------------------------------------------------
# tabwriter + PrefixWriter
# --------------------------------------------------------------------------------------

def _tabwrite(text: str, padding: int = 2) -> str:
    """Go's text/tabwriter as describe uses it: min width 0, the given padding."""
    return render_text(text, minwidth=0, padding=padding)


class _PrefixWriter:
    """kubectl's prefixWriter over a tabwriter: indent by level, escape, flush on demand.

    `flush()` mirrors tabwriter.Flush: everything written so far is aligned on its own,
    so later lines never widen earlier columns (DescribeEvents relies on this).
    """

    def __init__(self) -> None:
        self._done: list[str] = []
        self._pending: list[str] = []

    def write(self, level: int, text: str) -> None:
        """Write `text` (already formatted) indented by `level` * 2 spaces."""
        self._pending.append(_escape_terminal("  " * level + text))

    def write_line(self, text: str = "") -> None:
        """fmt.Sprintln of one string: the text and a newline, no indentation."""
        self._pending.append(_escape_terminal(text + "\n"))

    def flush(self) -> None:
        if self._pending:
            self._done.append(_tabwrite("".join(self._pending)))
            self._pending = []

    def getvalue(self) -> str:
        self.flush()
        return "".join(self._done)


def _escape_terminal(s: str) -> str:
    """printers.WriteEscaped: neutralise ESC and CR so object data cannot drive the terminal."""
    return s.replace("\x1b", "^[").replace("\r", "\\r")


# --------------------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GO_ZERO_TIME = "Mon, 01 Jan 0001 00:00:00 +0000"


def _parse_time(value: object) -> datetime | None:
    """RFC3339 (with or without fraction / offset) -> aware datetime; None if absent."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value or not isinstance(value, str):
        return None
    s = value.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", s)
    if m:  # fromisoformat wants at most 6 fractional digits
        s = f"{m.group(1)}.{m.group(2)[:6].ljust(6, '0')}{m.group(3)}"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _rfc1123z(value: object, tz: tzinfo | None) -> str:
    """Go's time.RFC1123Z. kubectl shows local time; our "local" zone is `now`'s zone.

    A missing timestamp prints as Go's zero time, as kubectl does for unset metav1.Time.
    """
    t = _parse_time(value)
    if t is None:
        return _GO_ZERO_TIME
    t = t.astimezone(tz or timezone.utc)
    off = t.utcoffset() or timedelta(0)
    mins = int(off.total_seconds()) // 60
    sign = "-" if mins < 0 else "+"
    mins = abs(mins)
    return (f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} {sign}{mins // 60:02d}{mins % 60:02d}")


def _go_time_string(value: object, tz: tzinfo | None) -> str:
    """Go's time.Time.String() of a metav1.Time in kubectl's local zone (`now`'s):
    `2026-12-06 22:58:00 +0000 UTC` (describe netpol's `Created on`)."""
    t = _parse_time(value)
    if t is None:
        return "0001-01-01 00:00:00 +0000 UTC"
    t = t.astimezone(tz or timezone.utc)
    off = int((t.utcoffset() or timedelta(0)).total_seconds()) // 60
    sign = "-" if off < 0 else "+"
    frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
    zone = t.tzname() or f"{sign}{abs(off) // 60:02d}{abs(off) % 60:02d}"
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}{frac} "
            f"{sign}{abs(off) // 60:02d}{abs(off) % 60:02d} {zone}")


def _human_duration(d: timedelta) -> str:
    """apimachinery duration.HumanDuration (the AGE format)."""
    return human_duration(d)


def _since(value: object, now: datetime) -> str:
    """translateTimestampSince: `<unknown>` for an unset time, else HumanDuration."""
    t = _parse_time(value)
    if t is None:
        return "<unknown>"
    return _human_duration(now - t)


def _q(raw: object) -> Quantity:
    """A stored quantity (the API server refused any other at decoding): zero if not one."""
    return parse_quantity(raw) or ZERO


# --------------------------------------------------------------------------------------
# small accessors and formatters shared by the describers
# --------------------------------------------------------------------------------------

def _md(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _spec(obj: dict) -> dict:
    return obj.get("spec") or {}


def _status(obj: dict) -> dict:
    return obj.get("status") or {}


def _go_bool(value: object) -> str:
    """Go's %v of a bool."""
    return "true" if value else "false"


def _print_bool(value: object) -> str:
    """describe.go printBool: the capitalised form used for Ready."""
    return "True" if value else "False"


def _format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: sorted `k=v` joined by commas, `<none>` when empty."""
    return format_labels(labels)


def _controller_ref(obj: dict) -> dict | None:
    for ref in _md(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def _controlled_by(obj: dict, owner: dict) -> bool:
    """metav1.IsControlledBy; falls back to kind+name when either uid is missing."""
    ref = _controller_ref(obj)
    if ref is None:
        return False
    owner_uid = _md(owner).get("uid")
    if ref.get("uid") and owner_uid:
        return ref["uid"] == owner_uid
    return ref.get("kind") == owner.get("kind") and ref.get("name") == _md(owner).get("name")


def _print_controller(obj: dict) -> str:
    ref = _controller_ref(obj)
    return f"{ref.get('kind', '')}/{ref.get('name', '')}" if ref else ""


def _intstr(value: object) -> str:
    """intstr.IntOrString.String()."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _safe_list(lister: Lister, kind: str, namespace: str | None) -> list[dict]:
    """The lister, tolerating kinds the engine does not store (kubectl ignores list errors)."""
    try:
        return list(lister(kind, namespace) or [])
    except (KeyError, LookupError, ValueError):
        return []


# --------------------------------------------------------------------------------------
# labels / annotations / taints / tolerations blocks
# --------------------------------------------------------------------------------------

def _print_labels_multiline(w: _PrefixWriter, title: str, labels: dict | None,
                            initial_indent: str = "", inner_indent: str = "\t") -> None:
    """printLabelsMultilineWithIndent: first label after the title, the rest under it."""
    w.write(LEVEL_0, f"{initial_indent}{title}:{inner_indent}")
    if not labels:
        w.write_line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(LEVEL_0, initial_indent)
            w.write(LEVEL_0, inner_indent)
        w.write(LEVEL_0, f"{key}={labels[key]}\n")


def _shorten(s: str, max_len: int) -> str:
    raw = s.encode()
    if len(raw) > max_len:
        return raw[:max_len].decode(errors="ignore") + "..."
    return s


def _print_annotations_multiline(w: _PrefixWriter, title: str, annotations: dict | None) -> None:
    """printAnnotationsMultiline: last-applied-configuration hidden, long values wrapped."""
    w.write(LEVEL_0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.write_line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(LEVEL_0, "\t")
        value = str(annotations[key])
        if value.endswith("\n"):
            value = value[:-1]
        if len(value.encode()) + len(key.encode()) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(LEVEL_0, f"{key}:\n")
            for line in value.split("\n"):
                w.write(LEVEL_0, f"\t  {_shorten(line, MAX_ANNOTATION_LEN - 2)}\n")
        else:
            w.write(LEVEL_0, f"{key}: {value}\n")


def _taint_string(t: dict) -> str:
    key, value, effect = t.get("key", ""), t.get("value", ""), t.get("effect", "")
    return f"{key}:{effect}" if not value else f"{key}={value}:{effect}"


def _print_taints_multiline(w: _PrefixWriter, title: str, taints: list | None) -> None:
    w.write(LEVEL_0, f"{title}:\t")
    if not taints:
        w.write_line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(LEVEL_0, "\t")
        w.write(LEVEL_0, _taint_string(taint) + "\n")


def _toleration_string(t: dict) -> str:
    key, value, effect = t.get("key", ""), t.get("value", ""), t.get("effect", "")
    text = key + (f"={value}" if value else "") + (f":{effect}" if effect else "")
    if t.get("operator") == "Exists" and not value:
        text += " op=Exists" if (key or effect) else "op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return text


def _print_tolerations_multiline(w: _PrefixWriter, title: str, tolerations: list | None) -> None:
    w.write(LEVEL_0, f"{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    for i, tol in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(LEVEL_0, "\t")
        w.write(LEVEL_0, _toleration_string(tol) + "\n")


def _write_header(w: _PrefixWriter, obj: dict, *, namespaced: bool = True) -> None:
    """Name / Namespace / Labels / Annotations: the opening of most describers."""
    md = _md(obj)
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    if namespaced:
        w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))


# --------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------

def _event_matches(ev: dict, name: str, namespace: str, kind: str, uids: set[str]) -> bool:
    """The field selector searchEvents builds: name, namespace, and kind/uid when known."""
    io = ev.get("involvedObject") or {}
    if io.get("name", "") != name or (io.get("namespace") or "") != (namespace or ""):
        return False
    if kind and io.get("kind") and io["kind"] != kind:
        return False
    if uids and io.get("uid") and io["uid"] not in uids:
        return False
    return True


def _search_events(lister: Lister, obj: dict, *, kind: str, extra_uids: Iterable[str] = (),
                   all_namespaces: bool = False) -> list[dict]:
    """Events about `obj`, in API list order (the sort below is then stable)."""
    md = _md(obj)
    namespace = md.get("namespace") or ""
    uids = {u for u in [md.get("uid"), *extra_uids] if u}
    source_ns = None if all_namespaces or not namespace else namespace
    return [ev for ev in _safe_list(lister, "Event", source_ns)
            if _event_matches(ev, md.get("name", ""), namespace, kind, uids)]


def _event_sort_time(ev: dict) -> datetime:
    """event.SortableEvents: series.lastObservedTime, else lastTimestamp, else eventTime."""
    series = ev.get("series") or {}
    t = (_parse_time(series.get("lastObservedTime")) if series else None) \
        or _parse_time(ev.get("lastTimestamp")) or _parse_time(ev.get("eventTime"))
    return t or datetime.min.replace(tzinfo=timezone.utc)


def _event_age(ev: dict, now: datetime) -> str:
    """The Age column: `12s`, or `2m (x3 over 5m)` for a repeated event."""
    if _parse_time(ev.get("eventTime")):
        first = _since(ev.get("eventTime"), now)
    else:
        first = _since(ev.get("firstTimestamp"), now)
    series = ev.get("series")
    if series:
        return f"{_since(series.get('lastObservedTime'), now)} (x{series.get('count', 0)} over {first})"
    count = ev.get("count") or 0
    if count > 1:
        return f"{_since(ev.get('lastTimestamp'), now)} (x{count} over {first})"
    return first


def _describe_events(w: _PrefixWriter, events: list[dict], now: datetime) -> None:
    """DescribeEvents: `Events: <none>` in the current block, else a table flushed apart."""
    if not events:
        w.write(LEVEL_0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(LEVEL_1, "----\t------\t----\t----\t-------\n")
    for ev in sorted(events, key=_event_sort_time):
        source = (ev.get("source") or {}).get("component") or ev.get("reportingComponent", "")
        message = str(ev.get("message", "")).strip()
        field_path = (ev.get("involvedObject") or {}).get("fieldPath")
        if field_path and SHOW_EVENT_FIELD_PATH:
            message = f"{field_path}: {message}"
        w.write(LEVEL_1, f"{ev.get('type', '')}\t{ev.get('reason', '')}\t"
                         f"{_event_age(ev, now)}\t{source}\t{message}\n")


# --------------------------------------------------------------------------------------
# Service
# --------------------------------------------------------------------------------------

def _port_name(port: dict) -> str:
    return port.get("name") or ""


def _slice_endpoint_ready(ep: dict) -> bool:
    """A nil `ready` means unknown, which consumers must treat as ready."""
    ready = (ep.get("conditions") or {}).get("ready")
    return ready is None or bool(ready)


def _format_endpoint_slices(slices: list[dict], port_name: str | None) -> str:
    """formatEndpointSlices: ready `ip:port` for one port name, capped at 3 + `N more`.

    Ported with its quirk intact: `more` flips as soon as three addresses are listed,
    before the readiness check, so a trailing not-ready endpoint yields `+ 0 more...`.
    """
    if not slices:
        return "<none>"
    listed: list[str] = []
    cap, more, count = 3, False, 0
    for sl in slices:
        endpoints = sl.get("endpoints") or []
        if not sl.get("ports"):
            for ep in endpoints:
                if len(listed) == cap:
                    more = True
                if not _slice_endpoint_ready(ep) or not ep.get("addresses"):
                    continue
                if not more:
                    listed.append(ep["addresses"][0])
                count += 1
            continue
        for port in sl["ports"]:
            if port_name is not None and (port.get("name") or "") != port_name:
                continue
            for ep in endpoints:
                if len(listed) == cap:
                    more = True
                if not _slice_endpoint_ready(ep) or not ep.get("addresses"):
                    continue
                if not more:
                    listed.append(_join_host_port(ep["addresses"][0], port.get("port")))
                count += 1
    text = ",".join(listed)
    return f"{text} + {count - cap} more..." if more else text


def _join_host_port(host: str, port: object) -> str:
    """net.JoinHostPort: IPv6 literals get brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _lb_ingress_string(ingress: list[dict]) -> str:
    parts = []
    for ing in ingress:
        if ing.get("ip"):
            mode = f" ({ing['ipMode']})" if ing.get("ipMode") else ""
            parts.append(ing["ip"] + mode)
        else:
            parts.append(ing.get("hostname", ""))
    return ", ".join(parts)


def _service_slices(lister: Lister, svc: dict) -> list[dict]:
    md = _md(svc)
    return [s for s in _safe_list(lister, "EndpointSlice", md.get("namespace") or "")
            if (_md(s).get("labels") or {}).get(SERVICE_NAME_LABEL) == md.get("name")]


def _describe_service_ports(w: _PrefixWriter, spec: dict, slices: list[dict]) -> None:
    for sp in spec.get("ports") or []:
        name = _port_name(sp) or "<unset>"
        proto = sp.get("protocol") or ""
        target = sp.get("targetPort", 0)
        w.write(LEVEL_0, f"Port:\t{name}\t{sp.get('port', 0)}/{proto}\n")
        w.write(LEVEL_0, f"TargetPort:\t{target}/{proto}\n")
        if sp.get("appProtocol") is not None:
            w.write(LEVEL_0, f"AppProtocol:\t{sp['appProtocol']}\n")
        if sp.get("nodePort"):
            w.write(LEVEL_0, f"NodePort:\t{name}\t{sp['nodePort']}/{proto}\n")
        w.write(LEVEL_0, f"Endpoints:\t{_format_endpoint_slices(slices, _port_name(sp))}\n")


def _describe_service(svc: dict, lister: Lister, now: datetime) -> str:
    spec, status = _spec(svc), _status(svc)
    slices = _service_slices(lister, svc)
    w = _PrefixWriter()
    _write_header(w, svc)
    w.write(LEVEL_0, f"Selector:\t{_format_labels(spec.get('selector'))}\n")
    w.write(LEVEL_0, f"Type:\t{spec.get('type') or 'ClusterIP'}\n")
    if spec.get("ipFamilyPolicy") is not None:
        w.write(LEVEL_0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(LEVEL_0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(LEVEL_0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(LEVEL_0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(LEVEL_0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(LEVEL_0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(LEVEL_0, f"External Name:\t{spec['externalName']}\n")
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        w.write(LEVEL_0, f"LoadBalancer Ingress:\t{_lb_ingress_string(ingress)}\n")
    _describe_service_ports(w, spec, slices)
    _describe_service_policies(w, spec)
    _describe_events(w, _search_events(lister, svc, kind="Service"), now)
    return w.getvalue()


def _describe_service_policies(w: _PrefixWriter, spec: dict) -> None:
    w.write(LEVEL_0, f"Session Affinity:\t{spec.get('sessionAffinity') or ''}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(LEVEL_0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy") is not None:
        w.write(LEVEL_0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(LEVEL_0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(LEVEL_0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution") is not None:
        w.write(LEVEL_0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")


# --------------------------------------------------------------------------------------
# Endpoints / EndpointSlice
# --------------------------------------------------------------------------------------

def _ip_list(addresses: list | None) -> str:
    return ",".join(a.get("ip", "") for a in addresses or []) or "<none>"


def _describe_endpoints(ep: dict, lister: Lister, now: datetime) -> str:
    w = _PrefixWriter()
    _write_header(w, ep)
    w.write(LEVEL_0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        w.write(LEVEL_1, f"Addresses:\t{_ip_list(subset.get('addresses'))}\n")
        w.write(LEVEL_1, f"NotReadyAddresses:\t{_ip_list(subset.get('notReadyAddresses'))}\n")
        ports = subset.get("ports") or []
        if ports:
            w.write(LEVEL_1, "Ports:\n")
            w.write(LEVEL_2, "Name\tPort\tProtocol\n")
            w.write(LEVEL_2, "----\t----\t--------\n")
            for port in ports:
                w.write(LEVEL_2, f"{port.get('name') or '<unset>'}\t{port.get('port', 0)}\t"
                                 f"{port.get('protocol') or ''}\n")
        w.write(LEVEL_0, "\n")
    _describe_events(w, _search_events(lister, ep, kind="Endpoints"), now)
    return w.getvalue()


def _describe_slice_ports(w: _PrefixWriter, ports: list[dict]) -> None:
    if not ports:
        w.write(LEVEL_0, "Ports: <unset>\n")
        return
    w.write(LEVEL_0, "Ports:\n")
    w.write(LEVEL_1, "Name\tPort\tProtocol\n")
    w.write(LEVEL_1, "----\t----\t--------\n")
    for port in ports:
        name = port.get("name") or "<unset>"
        num = "<unset>" if port.get("port") is None else str(port["port"])
        w.write(LEVEL_1, f"{name}\t{num}\t{port.get('protocol') or 'TCP'}\n")


def _describe_slice_endpoint(w: _PrefixWriter, ep: dict) -> None:
    w.write(LEVEL_1, f"- Addresses:\t{', '.join(ep.get('addresses') or []) or '<none>'}\n")
    w.write(LEVEL_2, "Conditions:\n")
    ready = (ep.get("conditions") or {}).get("ready")
    w.write(LEVEL_3, f"Ready:\t{'<unset>' if ready is None else _go_bool(ready)}\n")
    hostname = ep.get("hostname")
    w.write(LEVEL_2, f"Hostname:\t{'<unset>' if hostname is None else hostname}\n")
    ref = ep.get("targetRef")
    if ref:
        w.write(LEVEL_2, f"TargetRef:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    node = ep.get("nodeName")
    w.write(LEVEL_2, f"NodeName:\t{'<unset>' if node is None else node}\n")
    zone = ep.get("zone")
    w.write(LEVEL_2, f"Zone:\t{'<unset>' if zone is None else zone}\n")


def _describe_endpoint_slice(eps: dict, lister: Lister, now: datetime) -> str:
    w = _PrefixWriter()
    _write_header(w, eps)
    w.write(LEVEL_0, f"AddressType:\t{eps.get('addressType', '')}\n")
    _describe_slice_ports(w, eps.get("ports") or [])
    endpoints = eps.get("endpoints") or []
    if not endpoints:
        w.write(LEVEL_0, "Endpoints: <none>\n")
    else:
        w.write(LEVEL_0, "Endpoints:\n")
        for ep in endpoints:
            _describe_slice_endpoint(w, ep)
    _describe_events(w, _search_events(lister, eps, kind="EndpointSlice"), now)
    return w.getvalue()


# --------------------------------------------------------------------------------------
# containers, volumes, pod templates (shared by Pod, ReplicaSet, Deployment)
# --------------------------------------------------------------------------------------

def _container_ports(ports: list[dict], host: bool) -> str:
    """describeContainerPorts / describeContainerHostPorts: `53/UDP, 53/TCP` (the port names
    appear only from kubectl 1.34 on)."""
    return ", ".join(f"{(p.get('hostPort') if host else p.get('containerPort')) or 0}/{p.get('protocol') or ''}"
                     for p in ports)


def _describe_container_basic(w: _PrefixWriter, c: dict, status: dict | None, space: str) -> None:
    name_indent = " " if space else ""
    w.write(LEVEL_1, f"{name_indent}{c.get('name', '')}:\n")
    if status is not None:
        w.write(LEVEL_2, f"Container ID:\t{status.get('containerID', '')}\n")
    w.write(LEVEL_2, f"Image:\t{c.get('image', '')}\n")
    if status is not None:
        w.write(LEVEL_2, f"Image ID:\t{status.get('imageID', '')}\n")
    ports = _container_ports(c.get("ports") or [], host=False)
    if "," in ports:
        w.write(LEVEL_2, f"Ports:\t{ports}\n")
    else:
        w.write(LEVEL_2, f"Port:\t{ports or '<none>'}\n")
    host_ports = _container_ports(c.get("ports") or [], host=True)
    if "," in host_ports:
        w.write(LEVEL_2, f"Host Ports:\t{host_ports}\n")
    else:
        w.write(LEVEL_2, f"Host Port:\t{host_ports or '<none>'}\n")
    seccomp = (c.get("securityContext") or {}).get("seccompProfile")
    if seccomp:
        w.write(LEVEL_2, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(LEVEL_3, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")


def _describe_container_command(w: _PrefixWriter, c: dict) -> None:
    for title, items in (("Command", c.get("command")), ("Args", c.get("args"))):
        if items:
            w.write(LEVEL_2, f"{title}:\n")
            for item in items:
                for line in str(item).split("\n"):
                    w.write(LEVEL_3, f"{line}\n")


def _describe_state(w: _PrefixWriter, title: str, state: dict, tz: tzinfo | None) -> None:
    """describeStatus: running / waiting / terminated; an empty state reads as Waiting."""
    if state.get("running") is not None:
        w.write(LEVEL_2, f"{title}:\tRunning\n")
        w.write(LEVEL_3, f"Started:\t{_rfc1123z(state['running'].get('startedAt'), tz)}\n")
    elif state.get("waiting") is not None:
        w.write(LEVEL_2, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(LEVEL_3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        _describe_terminated(w, title, state["terminated"], tz)
    else:
        w.write(LEVEL_2, f"{title}:\tWaiting\n")


def _describe_terminated(w: _PrefixWriter, title: str, t: dict, tz: tzinfo | None) -> None:
    w.write(LEVEL_2, f"{title}:\tTerminated\n")
    if t.get("reason"):
        w.write(LEVEL_3, f"Reason:\t{t['reason']}\n")
    if t.get("message"):
        w.write(LEVEL_3, f"Message:\t{t['message']}\n")
    w.write(LEVEL_3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
    if (t.get("signal") or 0) > 0:
        w.write(LEVEL_3, f"Signal:\t{t['signal']}\n")
    w.write(LEVEL_3, f"Started:\t{_rfc1123z(t.get('startedAt'), tz)}\n")
    w.write(LEVEL_3, f"Finished:\t{_rfc1123z(t.get('finishedAt'), tz)}\n")


def _describe_container_state(w: _PrefixWriter, status: dict, tz: tzinfo | None) -> None:
    _describe_state(w, "State", status.get("state") or {}, tz)
    last = status.get("lastState") or {}
    if last.get("terminated") is not None:
        _describe_state(w, "Last State", last, tz)
    w.write(LEVEL_2, f"Ready:\t{_print_bool(status.get('ready'))}\n")
    w.write(LEVEL_2, f"Restart Count:\t{status.get('restartCount', 0)}\n")


def _describe_resources(w: _PrefixWriter, resources: dict | None, level: int) -> None:
    if not resources:
        return
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{_q(values[name])}\n")


def _describe_probe(probe: dict) -> str:
    """DescribeProbe: the stored timings (the API server defaulted them)."""
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s "
             f"timeout={probe.get('timeoutSeconds', 0)}s "
             f"period={probe.get('periodSeconds', 0)}s "
             f"#success={probe.get('successThreshold', 0)} "
             f"#failure={probe.get('failureThreshold', 0)}")
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        return f"http-get {_probe_url(probe['httpGet'])} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = probe["tcpSocket"]
        return f"tcp-socket {tcp.get('host', '')}:{_intstr(tcp.get('port'))} {attrs}"
    if probe.get("grpc") is not None:
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port', 0)} {grpc.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _probe_url(http: dict) -> str:
    """Go's url.URL{Scheme, Host, Path}.String() as DescribeProbe builds it."""
    scheme = str(http.get("scheme") or "").lower()
    host = http.get("host", "")
    port = _intstr(http.get("port")) if http.get("port") is not None else ""
    hostport = _join_host_port(host, port) if port else host
    path = http.get("path", "")
    if path and not path.startswith("/") and hostport:
        path = "/" + path
    prefix = f"{scheme}:" if scheme else ""
    if scheme or hostport:
        prefix += "//"
    return f"{prefix}{hostport}{path}"


def _describe_container_probes(w: _PrefixWriter, c: dict) -> None:
    for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                       ("Startup", "startupProbe")):
        if c.get(key) is not None:
            w.write(LEVEL_2, f"{title}:\t{_describe_probe(c[key])}\n")


def _describe_env_from(w: _PrefixWriter, c: dict) -> None:
    w.write(LEVEL_2, "Environment Variables from:\n")
    for e in c.get("envFrom") or []:
        if e.get("configMapRef") is not None:
            src, ref = "ConfigMap", e["configMapRef"]
        elif e.get("secretRef") is not None:
            src, ref = "Secret", e["secretRef"]
        else:
            src, ref = "", {}
        optional = _go_bool(ref.get("optional"))
        source = f"{src} with prefix '{e['prefix']}'" if e.get("prefix") else src
        w.write(LEVEL_3, f"{ref.get('name', '')}\t{source}\tOptional: {optional}\n")


def _describe_env(w: _PrefixWriter, c: dict, pod: dict | None) -> None:
    env = c.get("env") or []
    w.write(LEVEL_2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        name, value_from = e.get("name", ""), e.get("valueFrom")
        if value_from is None:
            for i, line in enumerate(str(e.get("value", "")).split("\n")):
                w.write(LEVEL_3, f"{name}:\t{line}\n" if i == 0 else f"\t{line}\n")
            continue
        _describe_env_value_from(w, name, value_from, c, pod)


def _describe_env_value_from(w: _PrefixWriter, name: str, vf: dict, c: dict,
                             pod: dict | None) -> None:
    if vf.get("fieldRef") is not None:
        ref = vf["fieldRef"]
        value = _resolve_field_path(pod, ref.get("fieldPath", "")) if pod is not None else ""
        w.write(LEVEL_3, f"{name}:\t{value} ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
    elif vf.get("resourceFieldRef") is not None:
        ref = vf["resourceFieldRef"]
        resource = ref.get("resource", "")
        value = _container_resource_value(c, ref)
        if value == "0" and resource in ("limits.cpu", "limits.memory"):
            value = "node allocatable"
        w.write(LEVEL_3, f"{name}:\t{value} ({resource})\n")
    elif vf.get("secretKeyRef") is not None:
        ref = vf["secretKeyRef"]
        w.write(LEVEL_3, f"{name}:\t<set to the key '{ref.get('key', '')}' in secret "
                         f"'{ref.get('name', '')}'>\tOptional: {_go_bool(ref.get('optional'))}\n")
    elif vf.get("configMapKeyRef") is not None:
        ref = vf["configMapKeyRef"]
        w.write(LEVEL_3, f"{name}:\t<set to the key '{ref.get('key', '')}' of config map "
                         f"'{ref.get('name', '')}'>\tOptional: {_go_bool(ref.get('optional'))}\n")


def _resolve_field_path(pod: dict, path: str) -> str:
    """fieldpath.ExtractFieldPathAsString for the downward-API paths pods may use."""
    md, spec, status = _md(pod), _spec(pod), _status(pod)
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
    if m:
        return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": md.get("name"), "metadata.namespace": md.get("namespace"),
        "metadata.uid": md.get("uid"), "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": status.get("hostIP"), "status.podIP": status.get("podIP"),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
    }
    if path in ("metadata.labels", "metadata.annotations"):
        items = md.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{items[k]}"' for k in sorted(items))
    return str(simple.get(path) or "")


def _container_resource_value(c: dict, ref: dict) -> str:
    """ExtractContainerResourceValue: the limit/request divided by the divisor, rounded up."""
    kind, _, res = str(ref.get("resource", "")).partition(".")
    raw = ((c.get("resources") or {}).get(kind) or {}).get(res)
    value = _q(raw).value if raw is not None else Fraction(0)
    divisor = _q(ref.get("divisor") or "1").value or Fraction(1)
    return str(math.ceil(value / divisor))


def _describe_container_volumes(w: _PrefixWriter, c: dict) -> None:
    mounts = c.get("volumeMounts") or []
    none = "" if mounts else "\t<none>"
    w.write(LEVEL_2, f"Mounts:{none}\n")
    for m in sorted(mounts, key=lambda m: m.get("mountPath", "")):
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f"path={go_quote(m['subPath'])}")
        w.write(LEVEL_3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
    devices = c.get("volumeDevices") or []
    if devices:
        w.write(LEVEL_2, f"Devices:{none}\n")
        for d in sorted(devices, key=lambda d: d.get("devicePath", "")):
            w.write(LEVEL_3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def _describe_containers(w: _PrefixWriter, label: str, containers: list[dict],
                         statuses: list[dict] | None, pod: dict | None, space: str,
                         tz: tzinfo | None) -> None:
    """describeContainers: pod templates pass no statuses, so no IDs or state lines."""
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(LEVEL_0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        status = by_name.get(c.get("name")) if statuses is not None else None
        _describe_container_basic(w, c, status, space)
        _describe_container_command(w, c)
        if status is not None:
            _describe_container_state(w, status, tz)
        _describe_resources(w, c.get("resources"), LEVEL_2)
        _describe_container_probes(w, c)
        if c.get("envFrom"):
            _describe_env_from(w, c)
        _describe_env(w, c, pod)
        _describe_container_volumes(w, c)


def _volume_source_text(v: dict) -> str | None:
    """The `Type:` paragraph for the volume sources a simulated pod can carry."""
    if v.get("hostPath") is not None:
        hp = v["hostPath"]
        return ("Type:\tHostPath (bare host directory volume)\n"
                f"    Path:\t{hp.get('path', '')}\n"
                f"    HostPathType:\t{hp['type'] if 'type' in hp else '<none>'}\n")
    if v.get("emptyDir") is not None:
        ed = v["emptyDir"]
        limit = ed.get("sizeLimit")
        limit_text = str(_q(limit)) if limit and _q(limit).value > 0 else "<unset>"
        return ("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                f"    Medium:\t{ed.get('medium', '')}\n"
                f"    SizeLimit:\t{limit_text}\n")
    if v.get("secret") is not None:
        s = v["secret"]
        return ("Type:\tSecret (a volume populated by a Secret)\n"
                f"    SecretName:\t{s.get('secretName', '')}\n"
                f"    Optional:\t{_go_bool(s.get('optional'))}\n")
    if v.get("configMap") is not None:
        cm = v["configMap"]
        return ("Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                f"    Name:\t{cm.get('name', '')}\n"
                f"    Optional:\t{_go_bool(cm.get('optional'))}\n")
    if v.get("persistentVolumeClaim") is not None:
        pvc = v["persistentVolumeClaim"]
        return ("Type:\tPersistentVolumeClaim"
                " (a reference to a PersistentVolumeClaim in the same namespace)\n"
                f"    ClaimName:\t{pvc.get('claimName', '')}\n"
                f"    ReadOnly:\t{_go_bool(pvc.get('readOnly'))}\n")
    return None


def _describe_projected(w: _PrefixWriter, projected: dict) -> None:
    w.write(LEVEL_2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for src in projected.get("sources") or []:
        if src.get("secret") is not None:
            w.write(LEVEL_2, f"SecretName:\t{src['secret'].get('name', '')}\n"
                             f"    Optional:\t{_go_bool(src['secret'].get('optional'))}\n")
        elif src.get("downwardAPI") is not None:
            w.write(LEVEL_2, "DownwardAPI:\ttrue\n")
        elif src.get("configMap") is not None:
            w.write(LEVEL_2, f"ConfigMapName:\t{src['configMap'].get('name', '')}\n"
                             f"    Optional:\t{_go_bool(src['configMap'].get('optional'))}\n")
        elif src.get("serviceAccountToken") is not None:
            seconds = src["serviceAccountToken"].get("expirationSeconds", 3600)
            w.write(LEVEL_2, f"TokenExpirationSeconds:\t{seconds}\n")


def _describe_downward_api(w: _PrefixWriter, dapi: dict) -> None:
    w.write(LEVEL_2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
    for item in dapi.get("items") or []:
        if item.get("fieldRef") is not None:
            w.write(LEVEL_3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
        if item.get("resourceFieldRef") is not None:
            w.write(LEVEL_3, f"{item['resourceFieldRef'].get('resource', '')} -> {item.get('path', '')}\n")


def _describe_volumes(w: _PrefixWriter, volumes: list[dict] | None, space: str) -> None:
    if not volumes:
        w.write(LEVEL_0, f"{space}Volumes:\t<none>\n")
        return
    w.write(LEVEL_0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(LEVEL_1, f"{' ' if space else ''}{v.get('name', '')}:\n")
        text = _volume_source_text(v)
        if text is not None:
            w.write(LEVEL_2, text)
        elif v.get("projected") is not None:
            _describe_projected(w, v["projected"])
        elif v.get("downwardAPI") is not None:
            _describe_downward_api(w, v["downwardAPI"])
        else:
            w.write(LEVEL_1, "<unknown>\n")


def _describe_topology_spread(w: _PrefixWriter, tscs: list[dict] | None, space: str) -> None:
    if not tscs:
        return
    w.write(LEVEL_0, f"{space}Topology Spread Constraints:\t")
    for i, tsc in enumerate(sorted(tscs, key=lambda t: t.get("topologyKey", ""))):
        if i:
            w.write(LEVEL_0, space)
            w.write(LEVEL_0, "\t")
        text = (f"{tsc.get('topologyKey', '')}:{tsc.get('whenUnsatisfiable', '')}"
                f" when max skew {tsc.get('maxSkew', 0)} is exceeded")
        if tsc.get("labelSelector") is not None:
            text += f" for selector {format_label_selector(tsc['labelSelector'])}"
        w.write(LEVEL_0, text + "\n")


def _describe_pod_template(w: _PrefixWriter, template: dict | None, tz: tzinfo | None) -> None:
    """DescribePodTemplate: the `Pod Template:` section of Deployment and ReplicaSet."""
    w.write(LEVEL_0, "Pod Template:\n")
    template = template or {}
    md, spec = _md(template), _spec(template)
    _print_labels_multiline(w, "  Labels", md.get("labels"))
    if md.get("annotations"):
        _print_annotations_multiline(w, "  Annotations", md["annotations"])
    if spec.get("serviceAccountName"):
        w.write(LEVEL_1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ", tz)
    _describe_containers(w, "Containers", spec.get("containers") or [], None, None, "  ", tz)
    _describe_volumes(w, spec.get("volumes"), "  ")
    _describe_topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(LEVEL_1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _print_labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    _print_tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


# --------------------------------------------------------------------------------------
# Pod
# --------------------------------------------------------------------------------------

def _pod_qos(pod: dict) -> str:
    """qos.GetPodQOS: status.qosClass, else computed (engine.api.qos, as the API server does)."""
    return _status(pod).get("qosClass") or pod_qos_class(pod)


def _describe_pod_identity(w: _PrefixWriter, pod: dict, tz: tzinfo | None, now: datetime) -> None:
    """Everything from Name down to Controlled By, in describePod's order."""
    md, spec, status = _md(pod), _spec(pod), _status(pod)
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(LEVEL_0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(LEVEL_0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(LEVEL_0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(LEVEL_0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if not spec.get("nodeName"):
        w.write(LEVEL_0, "Node:\t<none>\n")
    else:
        w.write(LEVEL_0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    if status.get("startTime"):
        w.write(LEVEL_0, f"Start Time:\t{_rfc1123z(status['startTime'], tz)}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    _describe_pod_status(w, pod, now)
    w.write(LEVEL_0, f"IP:\t{status.get('podIP', '')}\n")
    pod_ips = status.get("podIPs") or []
    if not pod_ips:
        w.write(LEVEL_0, "IPs:\t<none>\n")
    else:
        w.write(LEVEL_0, "IPs:\n")
        for ip in pod_ips:
            w.write(LEVEL_1, f"IP:\t{ip.get('ip', '')}\n")
    controlled_by = _print_controller(pod)
    if controlled_by:
        w.write(LEVEL_0, f"Controlled By:\t{controlled_by}\n")
    if status.get("nominatedNodeName"):
        w.write(LEVEL_0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")


def _describe_pod_status(w: _PrefixWriter, pod: dict, now: datetime) -> None:
    md, spec, status = _md(pod), _spec(pod), _status(pod)
    phase = status.get("phase", "")
    if md.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(LEVEL_0, f"Status:\tTerminating (lasts {_since(md['deletionTimestamp'], now)})\n")
        grace = md.get("deletionGracePeriodSeconds", spec.get("terminationGracePeriodSeconds", 30))
        w.write(LEVEL_0, f"Termination Grace Period:\t{grace}s\n")
    else:
        w.write(LEVEL_0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(LEVEL_0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(LEVEL_0, f"Message:\t{status['message']}\n")
    seccomp = (spec.get("securityContext") or {}).get("seccompProfile")
    if seccomp:
        w.write(LEVEL_0, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(LEVEL_0, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")


def _describe_pod_conditions(w: _PrefixWriter, pod: dict) -> None:
    spec, status = _spec(pod), _status(pod)
    conditions = status.get("conditions") or []
    gates = spec.get("readinessGates") or []
    if gates:
        w.write(LEVEL_0, "Readiness Gates:\n  Type\tStatus\n")
        for g in gates:
            found = next((c.get("status", "") for c in conditions
                          if c.get("type") == g.get("conditionType")), "<none>")
            w.write(LEVEL_1, f"{g.get('conditionType', '')} \t{found} \n")
    if conditions:
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\n")
        for c in conditions:
            w.write(LEVEL_1, f"{c.get('type', '')} \t{c.get('status', '')} \n")


def _describe_pod(pod: dict, lister: Lister, now: datetime) -> str:
    spec, status = _spec(pod), _status(pod)
    tz = now.tzinfo
    w = _PrefixWriter()
    _describe_pod_identity(w, pod, tz, now)
    if spec.get("resources"):
        w.write(LEVEL_0, "Resources:\n")
        _describe_resources(w, spec["resources"], LEVEL_1)
    if spec.get("initContainers"):
        _describe_containers(w, "Init Containers", spec["initContainers"],
                             status.get("initContainerStatuses") or [], pod, "", tz)
    _describe_containers(w, "Containers", spec.get("containers") or [],
                         status.get("containerStatuses") or [], pod, "", tz)
    if spec.get("ephemeralContainers"):
        _describe_containers(w, "Ephemeral Containers", spec["ephemeralContainers"],
                             status.get("ephemeralContainerStatuses") or [], pod, "", tz)
    _describe_pod_conditions(w, pod)
    _describe_volumes(w, spec.get("volumes"), "")
    w.write(LEVEL_0, f"QoS Class:\t{_pod_qos(pod)}\n")
    _print_labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _print_tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    _describe_topology_spread(w, spec.get("topologySpreadConstraints"), "")
    # Pod events are searched without a kind (describe.go clears ref.Kind); a static
    # pod's events carry the uid from its mirror annotation.
    mirror_uid = (_md(pod).get("annotations") or {}).get(MIRROR_POD_ANNOTATION)
    target = pod if not mirror_uid else {"metadata": {**_md(pod), "uid": mirror_uid}}
    _describe_events(w, _search_events(lister, target, kind=""), now)
    return w.getvalue()


# --------------------------------------------------------------------------------------
# ReplicaSet / Deployment
# --------------------------------------------------------------------------------------

def _pod_phase_counts(lister: Lister, rs: dict) -> tuple[int, int, int, int]:
    """getPodStatusForController: pods matching the selector and controlled by `rs`."""
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    selector = _spec(rs).get("selector")
    for pod in _safe_list(lister, "Pod", _md(rs).get("namespace") or ""):
        if not label_selector_matches(selector, _md(pod).get("labels")) or not _controlled_by(pod, rs):
            continue
        phase = _status(pod).get("phase")
        if phase in counts:
            counts[phase] += 1
    return counts["Running"], counts["Pending"], counts["Succeeded"], counts["Failed"]


def _describe_controller_conditions(w: _PrefixWriter, conditions: list[dict] | None) -> None:
    """The `Type Status Reason` table Deployment and ReplicaSet share."""
    if not conditions:
        return
    w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n")
    w.write(LEVEL_1, "----\t------\t------\n")
    for c in conditions:
        w.write(LEVEL_1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def _pod_controller_opening(obj: dict) -> _PrefixWriter:
    """Name / Namespace / Selector: how ReplicaSet and DaemonSet describers begin."""
    md = _md(obj)
    w = _PrefixWriter()
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(LEVEL_0, f"Selector:\t{format_label_selector(_spec(obj).get('selector'))}\n")
    return w


def _describe_replica_set(rs: dict, lister: Lister, now: datetime) -> str:
    md, spec, status = _md(rs), _spec(rs), _status(rs)
    running, waiting, succeeded, failed = _pod_phase_counts(lister, rs)
    w = _pod_controller_opening(rs)
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    controlled_by = _print_controller(rs)
    if controlled_by:
        w.write(LEVEL_0, f"Controlled By:\t{controlled_by}\n")
    w.write(LEVEL_0, f"Replicas:\t{status.get('replicas', 0)} current / "
                     f"{spec.get('replicas', 1)} desired\n")
    w.write(LEVEL_0, "Pods Status:\t")
    w.write(LEVEL_0, f"{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    _describe_pod_template(w, spec.get("template"), now.tzinfo)
    _describe_controller_conditions(w, status.get("conditions"))
    _describe_events(w, _search_events(lister, rs, kind="ReplicaSet"), now)
    return w.getvalue()


def _describe_daemon_set(ds: dict, lister: Lister, now: datetime) -> str:
    """describeDaemonSet (kubectl v1.33): the scheduling counts, then the pod template."""
    md, spec, status = _md(ds), _spec(ds), _status(ds)
    running, waiting, succeeded, failed = _pod_phase_counts(lister, ds)
    w = _pod_controller_opening(ds)
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    formatted = ",".join(f"{k}={node_selector[k]}" for k in sorted(node_selector)) or "<none>"
    w.write(LEVEL_0, f"Node-Selector:\t{formatted}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(LEVEL_0, f"Desired Number of Nodes Scheduled: {status.get('desiredNumberScheduled', 0)}\n")
    w.write(LEVEL_0, f"Current Number of Nodes Scheduled: {status.get('currentNumberScheduled', 0)}\n")
    w.write(LEVEL_0, f"Number of Nodes Scheduled with Up-to-date Pods: {status.get('updatedNumberScheduled', 0)}\n")
    w.write(LEVEL_0, f"Number of Nodes Scheduled with Available Pods: {status.get('numberAvailable', 0)}\n")
    w.write(LEVEL_0, f"Number of Nodes Misscheduled: {status.get('numberMisscheduled', 0)}\n")
    w.write(LEVEL_0, f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    _describe_pod_template(w, spec.get("template"), now.tzinfo)
    _describe_events(w, _search_events(lister, ds, kind="DaemonSet"), now)
    return w.getvalue()


def _describe_stateful_set(sts: dict, lister: Lister, now: datetime) -> str:
    """describeStatefulSet (kubectl v1.33): replicas, the update strategy, the pods' phases
    (of the pods it controls), the pod template and the volume claim templates."""
    md, spec, status = _md(sts), _spec(sts), _status(sts)
    running, waiting, succeeded, failed = _pod_phase_counts(lister, sts)
    w = _PrefixWriter()
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(LEVEL_0, f"CreationTimestamp:\t{_rfc1123z(md.get('creationTimestamp'), now.tzinfo)}\n")
    w.write(LEVEL_0, f"Selector:\t{label_selector_string(spec.get('selector'))}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(LEVEL_0, f"Replicas:\t{spec.get('replicas', 1)} desired | {status.get('replicas', 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(LEVEL_0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    ru = strategy.get("rollingUpdate")
    if isinstance(ru, dict) and ru.get("partition") is not None:
        w.write(LEVEL_1, f"Partition:\t{ru['partition']}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(LEVEL_1, f"MaxUnavailable:\t{_intstr(ru['maxUnavailable'])}\n")
    w.write(LEVEL_0, f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    _describe_pod_template(w, spec.get("template"), now.tzinfo)
    _describe_volume_claim_templates(w, spec.get("volumeClaimTemplates") or [])
    _describe_events(w, _search_events(lister, sts, kind="StatefulSet"), now)
    return w.getvalue()


def _describe_volume_claim_templates(w: _PrefixWriter, claims: list[dict]) -> None:
    """describeVolumeClaimTemplates."""
    if not claims:
        w.write(LEVEL_0, "Volume Claims:\t<none>\n")
        return
    w.write(LEVEL_0, "Volume Claims:\n")
    for claim in claims:
        cmd, cspec = claim.get("metadata") or {}, claim.get("spec") or {}
        w.write(LEVEL_1, f"Name:\t{cmd.get('name', '')}\n")
        storage_class = cspec.get("storageClassName")
        if storage_class is None:
            storage_class = (cmd.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class", "")
        w.write(LEVEL_1, f"StorageClass:\t{storage_class}\n")
        _print_labels_multiline(w, "Labels", cmd.get("labels"), initial_indent="  ")
        _print_labels_multiline(w, "Annotations", cmd.get("annotations"), initial_indent="  ")
        capacity = ((cspec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(LEVEL_1, f"Capacity:\t{_q(capacity) if capacity is not None else '<default>'}\n")
        w.write(LEVEL_1, f"Access Modes:\t[{' '.join(cspec.get('accessModes') or [])}]\n")


def _template_equal_ignore_hash(a: dict | None, b: dict | None) -> bool:
    """deploymentutil.EqualIgnoreHash: templates equal once pod-template-hash is dropped."""
    a, b = copy.deepcopy(a or {}), copy.deepcopy(b or {})
    for t in (a, b):
        labels = (t.get("metadata") or {}).get("labels")
        if labels:
            labels.pop(POD_TEMPLATE_HASH, None)
    return a == b


def _deployment_replica_sets(lister: Lister, dep: dict) -> tuple[list[dict], list[dict]]:
    """GetAllReplicaSets: (all old RSs, [new RS]) among those the deployment controls."""
    selector = _spec(dep).get("selector")
    owned = [rs for rs in _safe_list(lister, "ReplicaSet", _md(dep).get("namespace") or "")
             if label_selector_matches(selector, _md(rs).get("labels")) and _controlled_by(rs, dep)]
    by_age = sorted(owned, key=lambda rs: (_parse_time(_md(rs).get("creationTimestamp"))
                                           or datetime.min.replace(tzinfo=timezone.utc),
                                           _md(rs).get("name", "")))
    template = _spec(dep).get("template")
    new = next((rs for rs in by_age
                if _template_equal_ignore_hash(_spec(rs).get("template"), template)), None)
    old = [rs for rs in owned if rs is not new]
    return old, ([new] if new is not None else [])


def _replica_sets_text(replica_sets: list[dict]) -> str:
    parts = [f"{_md(rs).get('name', '')} ({_status(rs).get('replicas', 0)}/"
             f"{_spec(rs).get('replicas', 1)} replicas created)" for rs in replica_sets]
    return ", ".join(parts) or "<none>"


def _describe_deployment(dep: dict, lister: Lister, now: datetime) -> str:
    md, spec, status = _md(dep), _spec(dep), _status(dep)
    old, new = _deployment_replica_sets(lister, dep)
    strategy = spec.get("strategy") or {}
    w = _PrefixWriter()
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(LEVEL_0, f"CreationTimestamp:\t{_rfc1123z(md.get('creationTimestamp'), now.tzinfo)}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(LEVEL_0, f"Selector:\t{label_selector_string(spec.get('selector'))}\n")
    w.write(LEVEL_0, f"Replicas:\t{spec.get('replicas', 1)} desired | "
                     f"{status.get('updatedReplicas', 0)} updated | {status.get('replicas', 0)} total | "
                     f"{status.get('availableReplicas', 0)} available | "
                     f"{status.get('unavailableReplicas', 0)} unavailable\n")
    w.write(LEVEL_0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(LEVEL_0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        w.write(LEVEL_0, f"RollingUpdateStrategy:\t{_intstr(ru.get('maxUnavailable'))} max unavailable, "
                         f"{_intstr(ru.get('maxSurge'))} max surge\n")
    _describe_pod_template(w, spec.get("template"), now.tzinfo)
    _describe_controller_conditions(w, status.get("conditions"))
    if old or new:
        w.write(LEVEL_0, f"OldReplicaSets:\t{_replica_sets_text(old)}\n")
        w.write(LEVEL_0, f"NewReplicaSet:\t{_replica_sets_text(new)}\n")
    _describe_events(w, _search_events(lister, dep, kind="Deployment"), now)
    return w.getvalue()


# --------------------------------------------------------------------------------------
# Node
# --------------------------------------------------------------------------------------

def _node_roles(node: dict) -> list[str]:
    roles = set()
    for k, v in (_md(node).get("labels") or {}).items():
        if k.startswith(NODE_ROLE_PREFIX) and k[len(NODE_ROLE_PREFIX):]:
            roles.add(k[len(NODE_ROLE_PREFIX):])
        elif k == NODE_ROLE_LABEL and v:
            roles.add(v)
    return sorted(roles)


def _describe_node_lease(w: _PrefixWriter, node: dict, lister: Lister, now: datetime) -> None:
    """The kubelet's Lease in kube-node-lease (describe.go reads it with a Get; without it,
    the Get's error is the whole block)."""
    name = _md(node).get("name", "")
    lease = next((l for l in _safe_list(lister, "Lease", "kube-node-lease")
                  if _md(l).get("name") == name), None)
    if lease is None:
        w.write(LEVEL_0, f'Lease:\tFailed to get lease: leases.coordination.k8s.io "{name}" not found\n')
        return
    tz = now.tzinfo
    spec = _spec(lease)
    holder = spec.get("holderIdentity") if isinstance(spec.get("holderIdentity"), str) else "<unset>"
    acquire = _rfc1123z(spec["acquireTime"], tz) if spec.get("acquireTime") else "<unset>"
    renew = _rfc1123z(spec["renewTime"], tz) if spec.get("renewTime") else "<unset>"
    w.write(LEVEL_0, "Lease:\n")
    w.write(LEVEL_1, f"HolderIdentity:\t{holder}\n")
    w.write(LEVEL_1, f"AcquireTime:\t{acquire}\n")
    w.write(LEVEL_1, f"RenewTime:\t{renew}\n")


def _describe_node_conditions(w: _PrefixWriter, node: dict, tz: tzinfo | None) -> None:
    conditions = _status(node).get("conditions") or []
    if not conditions:
        return
    w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
    w.write(LEVEL_1, "----\t------\t-----------------\t------------------\t------\t-------\n")
    for c in conditions:
        w.write(LEVEL_1, f"{c.get('type', '')} \t{c.get('status', '')} \t"
                         f"{_rfc1123z(c.get('lastHeartbeatTime'), tz)} \t"
                         f"{_rfc1123z(c.get('lastTransitionTime'), tz)} \t"
                         f"{c.get('reason', '')} \t{c.get('message', '')}\n")


def _describe_node_resources_lists(w: _PrefixWriter, node: dict) -> None:
    status = _status(node)
    w.write(LEVEL_0, "Addresses:\n")
    for a in status.get("addresses") or []:
        w.write(LEVEL_1, f"{a.get('type', '')}:\t{a.get('address', '')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        values = status.get(key) or {}
        if values:
            w.write(LEVEL_0, f"{title}:\n")
            for name in sorted(values):
                w.write(LEVEL_0, f"  {name}:\t{_q(values[name])}\n")


def _describe_node_system(w: _PrefixWriter, node: dict) -> None:
    info, spec = _status(node).get("nodeInfo") or {}, _spec(node)
    w.write(LEVEL_0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"),
                       ("Boot ID", "bootID"), ("Kernel Version", "kernelVersion"),
                       ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
                       ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"),
                       ("Kube-Proxy Version", "kubeProxyVersion")):  # deprecated, empty, still printed
        w.write(LEVEL_0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(LEVEL_0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(LEVEL_0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(LEVEL_0, f"ProviderID:\t{spec['providerID']}\n")


def _pod_requests_limits(pod: dict) -> tuple[ResourceList, ResourceList]:
    """resourcehelper.PodRequestsAndLimits: pod-level resources win where set."""
    return pod_requests(pod, pod_level=True), pod_limits(pod, pod_level=True)


def _pct(part: int, whole: int) -> int:
    """int64(float64(part) / float64(whole) * 100), with 0 for an empty whole."""
    return int(float(part) / float(whole) * 100) if whole else 0


def _node_allocatable(node: dict) -> ResourceList:
    status = _status(node)
    raw = status.get("allocatable") or status.get("capacity") or {}
    return {k: _q(v) for k, v in raw.items()}


def _describe_node_pods(w: _PrefixWriter, node: dict, pods: list[dict], now: datetime) -> None:
    alloc = _node_allocatable(node)
    cpu_alloc = alloc.get("cpu", ZERO).milli_value()
    mem_alloc = alloc.get("memory", ZERO).int_value()
    w.write(LEVEL_0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(LEVEL_1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(LEVEL_1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    for pod in pods:
        req, lim = _pod_requests_limits(pod)
        cpu_r, cpu_l = req.get("cpu", ZERO), lim.get("cpu", ZERO)
        mem_r, mem_l = req.get("memory", ZERO), lim.get("memory", ZERO)
        w.write(LEVEL_1, f"{_md(pod).get('namespace', '')}\t{_md(pod).get('name', '')}\t\t"
                         f"{cpu_r} ({_pct(cpu_r.milli_value(), cpu_alloc)}%)\t"
                         f"{cpu_l} ({_pct(cpu_l.milli_value(), cpu_alloc)}%)\t"
                         f"{mem_r} ({_pct(mem_r.int_value(), mem_alloc)}%)\t"
                         f"{mem_l} ({_pct(mem_l.int_value(), mem_alloc)}%)\t"
                         f"{_since(_md(pod).get('creationTimestamp'), now)}\n")


def _describe_allocated(w: _PrefixWriter, node: dict, pods: list[dict]) -> None:
    alloc = _node_allocatable(node)
    reqs: ResourceList = {}
    lims: ResourceList = {}
    for pod in pods:
        r, l = _pod_requests_limits(pod)
        add_resource_list(reqs, r)
        add_resource_list(lims, l)
    w.write(LEVEL_0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(LEVEL_1, "Resource\tRequests\tLimits\n")
    w.write(LEVEL_1, "--------\t--------\t------\n")
    zero = ZERO
    for name, milli in (("cpu", True), ("memory", False), ("ephemeral-storage", False)):
        r, l, a = reqs.get(name, zero), lims.get(name, zero), alloc.get(name, zero)
        value = (lambda q: q.milli_value()) if milli else (lambda q: q.int_value())
        w.write(LEVEL_1, f"{name}\t{r} ({_pct(value(r), value(a))}%)\t{l} ({_pct(value(l), value(a))}%)\n")
    standard = {"cpu", "memory", "ephemeral-storage", "pods"}
    for name in sorted(n for n in alloc if n.startswith("hugepages-")):
        r, l, a = reqs.get(name, zero), lims.get(name, zero), alloc[name]
        w.write(LEVEL_1, f"{name}\t{r} ({_pct(r.int_value(), a.int_value())}%)\t"
                         f"{l} ({_pct(l.int_value(), a.int_value())}%)\n")
    for name in sorted(n for n in alloc if n not in standard and not n.startswith("hugepages-")):
        w.write(LEVEL_1, f"{name}\t{reqs.get(name, zero)}\t{lims.get(name, zero)}\n")


def _node_pods(lister: Lister, node: dict) -> list[dict]:
    """Non-terminated pods bound to the node, in API (namespace, name) order."""
    name = _md(node).get("name")
    pods = [p for p in _safe_list(lister, "Pod", None)
            if _spec(p).get("nodeName") == name
            and _status(p).get("phase") not in ("Succeeded", "Failed")]
    return sorted(pods, key=lambda p: (_md(p).get("namespace", ""), _md(p).get("name", "")))


def _describe_node(node: dict, lister: Lister, now: datetime) -> str:
    md, spec = _md(node), _spec(node)
    tz = now.tzinfo
    pods = _node_pods(lister, node)
    w = _PrefixWriter()
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Roles:\t{','.join(_node_roles(node)) or '<none>'}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(LEVEL_0, f"CreationTimestamp:\t{_rfc1123z(md.get('creationTimestamp'), tz)}\n")
    _print_taints_multiline(w, "Taints", spec.get("taints"))
    w.write(LEVEL_0, f"Unschedulable:\t{_go_bool(spec.get('unschedulable'))}\n")
    _describe_node_lease(w, node, lister, now)
    _describe_node_conditions(w, node, tz)
    _describe_node_resources_lists(w, node)
    _describe_node_system(w, node)
    _describe_node_pods(w, node, pods, now)
    _describe_allocated(w, node, pods)
    # Controllers record node events under the node's uid, the kubelet under its name.
    events = _search_events(lister, node, kind="Node", extra_uids=[md.get("name", "")],
                            all_namespaces=True)
    _describe_events(w, events, now)
    return w.getvalue()


def _describe_config_map(cm: dict, lister: Lister, now: datetime) -> str:
    """describeConfigMap: each key, a rule, its value; binary keys by size (keys sorted:
    kubectl walks a Go map, whose order is random)."""
    w = _PrefixWriter()
    _write_header(w, cm)
    w.write(LEVEL_0, "\nData\n====\n")
    data = cm.get("data") or {}
    for key in sorted(data):
        w.write(LEVEL_0, f"{key}:\n----\n")
        w.write(LEVEL_0, f"{data[key]}\n")
        w.write(LEVEL_0, "\n")  # kubectl >= 1.31: a blank line after each value
    w.write(LEVEL_0, "\nBinaryData\n====\n")
    binary = cm.get("binaryData") or {}
    for key in sorted(binary):
        size = len(base64.b64decode(binary[key])) if isinstance(binary[key], str) else 0
        w.write(LEVEL_0, f"{key}: {size} bytes\n")
    w.write(LEVEL_0, "\n")
    _describe_events(w, _search_events(lister, cm, kind="ConfigMap"), now)
    return w.getvalue()


def _describe_service_account(sa: dict, lister: Lister, now: datetime) -> str:
    """describeServiceAccount: the three lists in their headers' sorted order, `<none>` when
    empty. svcflow keeps no token Secrets, so Tokens is always `<none>` (as on any cluster
    since 1.24), and a listed Secret that does not exist is marked `(not found)`."""
    w = _PrefixWriter()
    md = _md(sa)
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    ns = md.get("namespace") or ""
    existing = {_md(s).get("name") for s in lister("Secret", ns)}
    refs = lambda key: [r.get("name", "") for r in sa.get(key) or [] if isinstance(r, dict)]  # noqa: E731
    pull, mount = refs("imagePullSecrets"), refs("secrets")
    missing = {n for n in pull + mount if n not in existing}
    for header, names in (("Image pull secrets:", pull), ("Mountable secrets: ", mount),
                          ("Tokens:            ", [])):
        if not names:
            w.write(LEVEL_0, f"{header}\t<none>\n")
            continue
        prefix = header
        for name in names:
            w.write(LEVEL_0, f"{prefix}\t{name}{' (not found)' if name in missing else ''}\n")
            prefix = " " * 19
    _describe_events(w, _search_events(lister, sa, kind="ServiceAccount"), now)
    return w.getvalue()


def _describe_namespace(ns: dict, lister: Lister, now: datetime) -> str:
    """describeNamespace: no ResourceQuota or LimitRange objects exist in svcflow, so both
    sections say so, as kubectl does for a namespace without them."""
    w = _PrefixWriter()
    md = _md(ns)
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    status = ns.get("status") or {}
    w.write(LEVEL_0, f"Status:\t{status.get('phase', '')}\n")
    conditions = status.get("conditions") or []
    if conditions:
        w.write(LEVEL_0, "Conditions:\n")
        w.write(LEVEL_1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(LEVEL_1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(LEVEL_1, f"{c.get('type', '')}\t{c.get('status', '')}\t"
                             f"{_rfc1123z(c.get('lastTransitionTime'), now.tzinfo)}\t"
                             f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    w.write(LEVEL_0, "\n")
    w.write(LEVEL_0, "No resource quota.\n")
    w.write(LEVEL_0, "\n")
    w.write(LEVEL_0, "No LimitRange resource.\n")
    return w.getvalue()


# --------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------
# genericDescriber: every kind without a describer of its own (Event, Lease, ...)
# --------------------------------------------------------------------------------------

_ACRONYMS = ("API", "URL", "UID", "OSB", "GUID")


def _camelcase_split(text: str) -> list[str]:
    """github.com/fatih/camelcase.Split: runs of one character class (lower, upper, digit,
    other), with an upper-case run's last letter moved to a lower-case run that follows."""
    def cls(ch: str) -> int:
        return 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
    runs: list[list[str]] = []
    last = 0
    for ch in text:
        c = cls(ch)
        if c == last:
            runs[-1].append(ch)
        else:
            runs.append([ch])
        last = c
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def smart_label_for(field: str) -> str:
    """smartLabelFor: `creationTimestamp` -> `Creation Timestamp`, `apiVersion` -> `API Version`."""
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    parts = []
    for part in _camelcase_split(field):
        if part == "_":
            continue
        parts.append(part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:])
    return " ".join(parts)


def _print_unstructured(w: _PrefixWriter, level: int, content: dict, skip_prefix: str, skip: tuple[str, ...]) -> None:
    """printUnstructuredContent: fields sorted, maps and lists nested one level deeper."""
    for field in sorted(content):
        value = content[field]
        expr = f"{skip_prefix}.{field}"
        if expr in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label_for(field)}:\n")
            _print_unstructured(w, level + 1, value, expr, skip)
        elif isinstance(value, list):
            w.write(level, f"{smart_label_for(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _print_unstructured(w, level + 1, child, expr, skip)
                else:
                    w.write(level + 1, f"{go_sprint(child)}\n")
        else:
            w.write(level, f"{smart_label_for(field)}:\t{go_sprint(value)}\n")


def _describe_generic(obj: dict, lister: Lister, now: datetime) -> str:
    """genericDescriber: the header, then every field of the object as it is stored."""
    w = _PrefixWriter()
    md = _md(obj)
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    _print_unstructured(w, LEVEL_0, obj, "", (".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                                               ".metadata.labels", ".metadata.annotations"))
    _describe_events(w, _search_events(lister, obj, kind=obj.get("kind", "")), now)
    return w.getvalue()


def _intstr_string(value: object) -> str:
    """`%s` of a *intstr.IntOrString: `<nil>` when unset."""
    if value is None:
        return "<nil>"
    return str(value)


def _describe_network_policy_rules(w: _PrefixWriter, rules: list, peers_key: str, indent: str) -> None:
    """printNetworkPolicySpecIngressFrom / EgressTo (one function: they differ only in words)."""
    ingress = peers_key == "from"
    if not rules:
        what = "ingress" if ingress else "egress"
        w.write(LEVEL_0, f"{indent}<none> (Selected pods are isolated for {what} connectivity)\n")
        return
    peer_word = "From" if ingress else "To"
    for i, rule in enumerate(rules):
        rule = rule if isinstance(rule, dict) else {}
        ports = [p for p in rule.get("ports") or [] if isinstance(p, dict)]
        if not ports:
            w.write(LEVEL_0, f"{indent}To Port: <any> (traffic allowed to all ports)\n")
        for port in ports:
            proto = port.get("protocol") or "TCP"
            if port.get("endPort") is None:
                w.write(LEVEL_0, f"{indent}To Port: {_intstr_string(port.get('port'))}/{proto}\n")
            else:
                w.write(LEVEL_0, f"{indent}To Port Range: {_intstr_string(port.get('port'))}-{port['endPort']}/{proto}\n")
        peers = [p for p in rule.get(peers_key) or [] if isinstance(p, dict)]
        if not peers:
            restricted = "source" if ingress else "destination"
            w.write(LEVEL_0, f"{indent}{peer_word}: <any> (traffic not restricted by {restricted})\n")
        for peer in peers:
            w.write(LEVEL_0, f"{indent}{peer_word}:\n")
            pod_sel, ns_sel, block = peer.get("podSelector"), peer.get("namespaceSelector"), peer.get("ipBlock")
            if ns_sel is not None:
                w.write(LEVEL_1, f"{indent}NamespaceSelector: {format_label_selector(ns_sel)}\n")
            if pod_sel is not None:
                w.write(LEVEL_1, f"{indent}PodSelector: {format_label_selector(pod_sel)}\n")
            if pod_sel is None and ns_sel is None and isinstance(block, dict):
                w.write(LEVEL_1, f"{indent}IPBlock:\n")
                w.write(LEVEL_2, f"{indent}CIDR: {block.get('cidr', '')}\n")
                w.write(LEVEL_2, f"{indent}Except: {', '.join(str(e) for e in block.get('except') or [])}\n")
        if i != len(rules) - 1:
            w.write(LEVEL_0, f"{indent}----------\n")


def _describe_network_policy(np: dict, lister: Lister, now: datetime) -> str:
    """describeNetworkPolicy: kubectl's layout, the spec in words (no events section).
    `Created on` is Go's time.Time String() in kubectl's local zone."""
    w = _PrefixWriter()
    md = _md(np)
    spec = _spec(np)
    w.write(LEVEL_0, f"Name:\t{md.get('name', '')}\n")
    w.write(LEVEL_0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(LEVEL_0, f"Created on:\t{_go_time_string(md.get('creationTimestamp'), now.tzinfo)}\n")
    _print_labels_multiline(w, "Labels", md.get("labels"))
    _print_annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(LEVEL_0, "Spec:\n")
    w.write(LEVEL_1, "PodSelector: ")
    sel = spec.get("podSelector") if isinstance(spec.get("podSelector"), dict) else {}
    if not sel.get("matchLabels") and not sel.get("matchExpressions"):
        w.write(LEVEL_2, "<none> (Allowing the specific traffic to all pods in this namespace)\n")
    else:
        w.write(LEVEL_2, f"{format_label_selector(sel)}\n")
    types = [t for t in spec.get("policyTypes") or [] if isinstance(t, str)]
    for policy_type, key, peers_key in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
        if policy_type in types:
            w.write(LEVEL_1, f"Allowing {key} traffic:\n")
            _describe_network_policy_rules(w, spec.get(key) or [], peers_key, "    ")
        else:
            w.write(LEVEL_1, f"Not affecting {key} traffic\n")
    w.write(LEVEL_1, f"Policy Types: {', '.join(types) or '<none>'}\n")
    return w.getvalue()


_DESCRIBERS: dict[str, Callable[[dict, Lister, datetime], str]] = {
    "Service": _describe_service,
    "Endpoints": _describe_endpoints,
    "EndpointSlice": _describe_endpoint_slice,
    "Pod": _describe_pod,
    "Deployment": _describe_deployment,
    "ReplicaSet": _describe_replica_set,
    "Node": _describe_node,
    "Namespace": _describe_namespace,
    "DaemonSet": _describe_daemon_set,
    "StatefulSet": _describe_stateful_set,
    "ConfigMap": _describe_config_map,
    "ServiceAccount": _describe_service_account,
    "NetworkPolicy": _describe_network_policy,
}

# What users type for a describable kind (plural, singular, short names), from the one registry.
_ALIASES = {word: kind for kind in _DESCRIBERS
            for word in (KINDS[kind].resource, KINDS[kind].singular, *KINDS[kind].short_names)}


def describable_kinds() -> list[str]:
    """The kinds :func:`describe` accepts (canonical names)."""
    return list(_DESCRIBERS)


def describe(kind: str, obj: dict, *, lister: Lister, now: datetime) -> str:
    """Render `kubectl describe <kind> <name>` for `obj`, ending with a newline.

    `kind` is a Kind (`Service`) or a kubectl resource name/alias (`svc`, `ep`, `rs`).
    `lister(kind, namespace)` returns every stored object of that kind in `namespace`
    (None = all namespaces); it supplies the related objects kubectl fetches itself:
    EndpointSlices for a Service's `Endpoints:` lines, ReplicaSets for a Deployment,
    Pods for ReplicaSet and Node, Events for every kind. `now` fixes every AGE and is
    also the time zone timestamps are shown in (kubectl shows local time); a naive
    `now` is taken as UTC.
    """
    canonical = kind if kind in _DESCRIBERS else _ALIASES.get(kind.lower())
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    if canonical is None:  # kubectl's genericDescriber, for a kind without a describer of its own
        return _describe_generic(obj, lister, now)
    return _DESCRIBERS[canonical](obj, lister, now)


def pod_template(template: dict | None) -> str:
    """DescribePodTemplate on its own: what `kubectl rollout history --revision=N` and
    `rollout undo --dry-run=client` print of a revision's template. Those write it through a
    prefix writer over a plain buffer, not a tabwriter: the tabs stay tabs."""
    w = _PrefixWriter()
    _describe_pod_template(w, template, None)
    return "".join(w._done + w._pending)
