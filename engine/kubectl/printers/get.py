"""`kubectl get`: resource names, table printers, `-o name|yaml|json`, and its messages.

Everything is restated from upstream so the output is byte-identical to kubectl:

* table cells: kubernetes `pkg/printers/internalversion/printers.go` (printPod,
  printService, formatEndpoints, printEndpointSlice, printDeployment, ...);
* table layout: cli-runtime's table printer (upper-cased headers, `NAMESPACE` column,
  `kind.group/` name prefix, cells cut at the first line break) fed through Go's
  tabwriter (see `tabwriter.py`);
* multi-kind output, "No resources found": kubectl `pkg/cmd/get/get.go`;
* `-o yaml`: sigs.k8s.io/yaml, i.e. JSON -> go-yaml v2 (`_GoYaml` below), `-o json`:
  Go's encoding/json with 4-space indent, both over unstructured maps (sorted keys).

Objects are API-shaped dicts; missing fields are treated the way the API server would
have defaulted them (phase Pending, type ClusterIP, replicas 1, ...), never as errors.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Union

from engine.api.labels import format_label_selector, label_selector_string  # (re-exported for the printers)
from engine.api.kinds import KINDS, KindInfo, in_category, match_resource
from engine.kubectl.printers.duration import parse_timestamp, since
from engine.kubectl.printers.tabwriter import render_table

# ---------------------------------------------------------------------------------------
# Resource names: what users type after `kubectl get`
# ---------------------------------------------------------------------------------------


# One entry per served resource, from the one registry (engine/api/kinds.py): plural,
# singular, short names and the "all" category are what discovery advertises.
ResourceInfo = KindInfo
RESOURCES: dict[str, ResourceInfo] = KINDS

# `kubectl get all` = the "all" category in discovery order (upstream lists pods,
# replicationcontrollers, services, daemonsets, deployments, replicasets, statefulsets,
# horizontalpodautoscalers, cronjobs, jobs; svcflow serves only some of them).
ALL_CATEGORY: tuple[str, ...] = tuple(i.kind for i in in_category("all"))


class ResourceTypeNotFound(LookupError):
    """kubectl's message for a word that names no resource; str() is the whole line."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word

    def __str__(self) -> str:
        return f'error: the server doesn\'t have a resource type "{self.word}"'


ResourceError = ResourceTypeNotFound  # the name engine/kubectl.py catches


def _parse_resource_arg(arg: str) -> tuple[tuple[str, str, str] | None, tuple[str, str]]:
    """schema.ParseResourceArg: `res.version.group` (if 2+ dots) and `res.group`."""
    gvr = None
    if arg.count(".") >= 2:
        res, version, group = arg.split(".", 2)
        gvr = (res, version, group)
    res, _, group = arg.partition(".")
    return gvr, (res, group)


def resolve_resource(word: str) -> ResourceInfo:
    """What `kubectl get WORD` resolves WORD to: `po`, `pods`, `Pod`, `deploy.apps`,
    `deployments.v1.apps`, `endpointslices.discovery.k8s.io` ...

    Raises ResourceTypeNotFound naming the part before the first dot, as the resource
    builder does.
    """
    gvr, (res, group) = _parse_resource_arg(word)
    if gvr is not None:
        found = match_resource(gvr[0], gvr[2], gvr[1])
        if found:
            return found
    found = match_resource(res, group if group else None, None)
    if found:
        return found
    raise ResourceTypeNotFound(res)


def expand_resource_args(arg: str) -> list[ResourceInfo]:
    """`svc,ep` or `all` -> resources in print order (duplicates dropped, as
    SplitResourceArgument does)."""
    out: list[ResourceInfo] = []
    for word in dict.fromkeys(arg.split(",")):
        infos = [RESOURCES[k] for k in ALL_CATEGORY] if word == "all" else [resolve_resource(word)]
        out.extend(i for i in infos if i not in out)
    return out


def multiple_types_requested(args: Sequence[str]) -> bool:
    """resource.MultipleTypesRequested: `all`, `svc,ep`, or `pod/a svc/b` print names
    with a `kind/` prefix even if only one kind has objects."""
    kinds: set[str] = set()
    for arg in args:
        if arg == "all":
            return True
        if "/" in arg:
            kinds.add(arg.split("/", 1)[0])
        elif "," in arg and len(dict.fromkeys(arg.split(","))) > 1:
            return True
    return len(kinds) > 1


def _info_for(kind: str | ResourceInfo) -> ResourceInfo:
    """Accept a ResourceInfo, a Kind (`Pod`) or anything a user may type (`po`)."""
    if isinstance(kind, ResourceInfo):
        return kind
    return RESOURCES.get(kind) or resolve_resource(kind)


# ---------------------------------------------------------------------------------------
# Small accessors and upstream formatting helpers
# ---------------------------------------------------------------------------------------


def _d(obj: Any, *path: str) -> dict:
    """Nested dict lookup that treats missing or null as {}."""
    for key in path:
        obj = (obj or {}).get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


def _l(obj: dict, key: str) -> list:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _name(obj: dict) -> str:
    return _d(obj, "metadata").get("name") or ""


def _namespace(obj: dict) -> str:
    return _d(obj, "metadata").get("namespace") or ""


def format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: `k=v` sorted by key, comma-joined, `<none>` if empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _join_host_port(host: str, port: Any) -> str:
    """net.JoinHostPort: IPv6 literals get brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _more(items: list[str], count: int, limit: int = 3) -> str:
    """`a,b,c + N more...` once more than `limit` entries were counted."""
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if count > limit else text


def _containers_cells(pod_spec: dict) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma-joined (wide columns)."""
    containers = _l(pod_spec, "containers")
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


def _int(value: Any) -> str:
    """An int32 status counter: unset means 0."""
    return str(value or 0)


# ---------------------------------------------------------------------------------------
# Pods (printPod)
# ---------------------------------------------------------------------------------------


def _later(current: datetime | None, state: dict) -> datetime | None:
    """Keep the most recent lastState.terminated.finishedAt seen so far."""
    finished = _d(state, "terminated").get("finishedAt")
    if not finished:
        return current
    when = parse_timestamp(finished)
    return when if current is None or current < when else current


def _terminated_reason(term: dict, prefix: str = "") -> str:
    """A terminated container's reason, else `Signal:N` / `ExitCode:N`."""
    if term.get("reason"):
        return prefix + term["reason"]
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode') or 0}"


def _condition_true(status: dict, ctype: str) -> bool:
    """First condition of that type decides (isPodInitializedConditionTrue)."""
    for cond in _l(status, "conditions"):
        if cond.get("type") == ctype:
            return cond.get("status") == "True"
    return False


@dataclass
class _PodTally:
    """What printPod accumulates while walking container statuses."""

    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: datetime | None = None
    sidecar_restarts: int = 0
    last_sidecar_restart: datetime | None = None


def _walk_init_containers(pod: dict, tally: _PodTally) -> bool:
    """Init containers: the first one not done sets `Init:...`; returns initializing."""
    spec, status = _d(pod, "spec"), _d(pod, "status")
    init_specs = {c.get("name"): c for c in _l(spec, "initContainers")}
    n_init = len(_l(spec, "initContainers"))
    for i, cs in enumerate(_l(status, "initContainerStatuses")):
        restartable = _d(init_specs, cs.get("name") or "").get("restartPolicy") == "Always"
        count = int(cs.get("restartCount") or 0)
        tally.restarts += count
        tally.last_restart = _later(tally.last_restart, _d(cs, "lastState"))
        if restartable:
            tally.sidecar_restarts += count
            tally.last_sidecar_restart = _later(tally.last_sidecar_restart, _d(cs, "lastState"))
        state = _d(cs, "state")
        term = state.get("terminated")
        waiting = state.get("waiting")
        if term is not None and not (term or {}).get("exitCode"):
            continue
        if restartable and cs.get("started"):
            tally.ready += 1 if cs.get("ready") else 0
            continue
        if term is not None:
            tally.reason = _terminated_reason(term or {}, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            tally.reason = "Init:" + waiting["reason"]
        else:
            tally.reason = f"Init:{i}/{n_init}"
        return True
    return False


def _walk_containers(pod: dict, tally: _PodTally) -> None:
    """App containers, last to first, so the first container's reason wins."""
    status = _d(pod, "status")
    tally.restarts = tally.sidecar_restarts
    tally.last_restart = tally.last_sidecar_restart
    has_running = False
    for cs in reversed(_l(status, "containerStatuses")):
        tally.restarts += int(cs.get("restartCount") or 0)
        tally.last_restart = _later(tally.last_restart, _d(cs, "lastState"))
        state = _d(cs, "state")
        waiting, term = state.get("waiting"), state.get("terminated")
        if waiting is not None and (waiting or {}).get("reason"):
            tally.reason = waiting["reason"]
        elif term is not None:
            tally.reason = _terminated_reason(term or {})
        elif cs.get("ready") and state.get("running") is not None:
            has_running = True
            tally.ready += 1
    if tally.reason == "Completed" and has_running:
        tally.reason = "Running" if _condition_true(status, "Ready") else "NotReady"


def pod_status_cells(pod: dict, now: datetime) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS exactly as printPod computes them."""
    spec, status = _d(pod, "spec"), _d(pod, "status")
    phase = status.get("phase") or "Pending"
    tally = _PodTally(reason=status.get("reason") or phase)
    for cond in _l(status, "conditions"):
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            tally.reason = "SchedulingGated"
    containers = _l(spec, "containers") or _l(status, "containerStatuses")
    total = len(containers) + sum(
        1 for c in _l(spec, "initContainers") if c.get("restartPolicy") == "Always")
    initializing = _walk_init_containers(pod, tally)
    if not initializing or _condition_true(status, "Initialized"):
        _walk_containers(pod, tally)
    deleting = bool(_d(pod, "metadata").get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        tally.reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        tally.reason = "Terminating"
    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts = f"{tally.restarts} ({since(tally.last_restart.isoformat(), now)} ago)"
    return f"{tally.ready}/{total}", tally.reason, restarts


def _readiness_gates(pod: dict) -> str:
    gates = _l(_d(pod, "spec"), "readinessGates")
    if not gates:
        return "<none>"
    conds = _l(_d(pod, "status"), "conditions")
    true = 0
    for gate in gates:
        for cond in conds:
            if cond.get("type") == gate.get("conditionType"):
                true += cond.get("status") == "True"
                break
    return f"{true}/{len(gates)}"


def _pod_row(pod: dict, now: datetime, wide: bool) -> list[str]:
    ready, reason, restarts = pod_status_cells(pod, now)
    row = [_name(pod), ready, reason, restarts, since(_d(pod, "metadata").get("creationTimestamp"), now)]
    if wide:
        status = _d(pod, "status")
        ips = _l(status, "podIPs")
        ip = (ips[0].get("ip") if ips else status.get("podIP")) or "<none>"
        row += [ip, _d(pod, "spec").get("nodeName") or "<none>",
                status.get("nominatedNodeName") or "<none>", _readiness_gates(pod)]
    return row


# ---------------------------------------------------------------------------------------
# Services (printService)
# ---------------------------------------------------------------------------------------

_LOAD_BALANCER_WIDTH = 16


def _load_balancer_ips(svc: dict, wide: bool) -> str:
    """loadBalancerStatusStringer: ingress IPs (else hostnames), deduped and sorted,
    clipped to 16 bytes as `first13...` unless wide."""
    found = set()
    for ing in _l(_d(svc, "status", "loadBalancer"), "ingress"):
        if ing.get("ip"):
            found.add(ing["ip"])
        elif ing.get("hostname"):
            found.add(ing["hostname"])
    text = ",".join(sorted(found))
    if not wide and len(text) > _LOAD_BALANCER_WIDTH:
        text = text[:_LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def service_external_ip(svc: dict, wide: bool = False) -> str:
    """getServiceExternalIP. Note the LB clipping applies to the ingress part only;
    externalIPs are appended after it, unclipped."""
    spec = _d(svc, "spec")
    svc_type = spec.get("type") or "ClusterIP"
    external = [ip for ip in _l(spec, "externalIPs")]
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if svc_type == "LoadBalancer":
        lb = _load_balancer_ips(svc, wide)
        if external:
            return ",".join((lb.split(",") if lb else []) + external)
        return lb or "<pending>"
    if svc_type == "ExternalName":
        return spec.get("externalName") or ""
    return "<unknown>"


def service_ports(svc: dict) -> str:
    """makePortString: `port/PROTO` or `port:nodePort/PROTO`, comma-joined, `<none>`."""
    pieces = []
    for p in _l(_d(svc, "spec"), "ports"):
        proto = p.get("protocol") or "TCP"
        node_port = p.get("nodePort") or 0
        pieces.append(f"{p.get('port', 0)}:{node_port}/{proto}" if node_port > 0
                      else f"{p.get('port', 0)}/{proto}")
    return ",".join(pieces) or "<none>"


def _service_row(svc: dict, now: datetime, wide: bool) -> list[str]:
    spec = _d(svc, "spec")
    ips = _l(spec, "clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    row = [_name(svc), spec.get("type") or "ClusterIP", ips[0] if ips else "<none>",
           service_external_ip(svc, wide), service_ports(svc),
           since(_d(svc, "metadata").get("creationTimestamp"), now)]
    if wide:
        row.append(format_labels(spec.get("selector")))
    return row


# ---------------------------------------------------------------------------------------
# Endpoints and EndpointSlices
# ---------------------------------------------------------------------------------------


def format_endpoints(endpoints: dict, port_names: set[str] | None = None) -> str:
    """formatEndpoints: ready addresses only, per port then per address, in stored order
    (the controller stores addresses string-sorted); first 3 then ` + N more...`;
    `<none>` without subsets, "" when subsets hold no ready address."""
    subsets = _l(endpoints, "subsets")
    if not subsets:
        return "<none>"
    entries: list[str] = []
    count = 0
    for ss in subsets:
        addrs = [a.get("ip", "") for a in _l(ss, "addresses")]
        ports = _l(ss, "ports")
        if not ports:
            count += len(addrs)
            entries += addrs[:max(0, 3 - len(entries))]
            continue
        for port in ports:
            if port_names is not None and (port.get("name") or "") not in port_names:
                continue
            count += len(addrs)
            for ip in addrs[:max(0, 3 - len(entries))]:
                entries.append(_join_host_port(ip, port.get("port", 0)))
    return _more(entries, count)


def _endpoints_row(ep: dict, now: datetime, wide: bool) -> list[str]:
    return [_name(ep), format_endpoints(ep), since(_d(ep, "metadata").get("creationTimestamp"), now)]


def _list_with_more(items: list[str], count: int) -> str:
    """listWithMoreString: like _more, but an empty list reads `<unset>`."""
    return _more(items, count) or "<unset>"


def format_slice_ports(ports: list[dict]) -> str:
    """formatDiscoveryPorts: the number, else the name, else `*`."""
    shown = []
    for p in ports[:3]:
        if p.get("port") is not None:
            shown.append(str(p["port"]))
        elif p.get("name") is not None:
            shown.append(p["name"])
        else:
            shown.append("*")
    return _list_with_more(shown, len(ports))


def format_slice_endpoints(endpoints: list[dict]) -> str:
    """formatDiscoveryEndpoints: every address of every endpoint, whatever its
    readiness, in slice order."""
    addresses = [a for ep in endpoints for a in (ep.get("addresses") or [])]
    return _list_with_more(addresses[:3], len(addresses))


def _endpointslice_row(es: dict, now: datetime, wide: bool) -> list[str]:
    return [_name(es), es.get("addressType") or "", format_slice_ports(_l(es, "ports")),
            format_slice_endpoints(_l(es, "endpoints")),
            since(_d(es, "metadata").get("creationTimestamp"), now)]


# ---------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------


def _replicas(spec: dict) -> int:
    """spec.replicas, which the API server defaults to 1."""
    value = spec.get("replicas")
    return 1 if value is None else int(value)


def _deployment_row(dep: dict, now: datetime, wide: bool) -> list[str]:
    spec, status = _d(dep, "spec"), _d(dep, "status")
    row = [_name(dep), f"{status.get('readyReplicas') or 0}/{_replicas(spec)}",
           _int(status.get("updatedReplicas")), _int(status.get("availableReplicas")),
           since(_d(dep, "metadata").get("creationTimestamp"), now)]
    if wide:
        # printDeployment uses selector.String() directly: empty, not <none>.
        row += [*_containers_cells(_d(spec, "template", "spec")),
                label_selector_string(spec.get("selector"))]
    return row


def _replicaset_row(rs: dict, now: datetime, wide: bool) -> list[str]:
    spec, status = _d(rs, "spec"), _d(rs, "status")
    row = [_name(rs), str(_replicas(spec)), _int(status.get("replicas")),
           _int(status.get("readyReplicas")), since(_d(rs, "metadata").get("creationTimestamp"), now)]
    if wide:
        row += [*_containers_cells(_d(spec, "template", "spec")),
                format_label_selector(spec.get("selector"))]
    return row


def _daemonset_row(ds: dict, now: datetime, wide: bool) -> list[str]:
    spec, status = _d(ds, "spec"), _d(ds, "status")
    row = [_name(ds), _int(status.get("desiredNumberScheduled")),
           _int(status.get("currentNumberScheduled")), _int(status.get("numberReady")),
           _int(status.get("updatedNumberScheduled")), _int(status.get("numberAvailable")),
           format_labels(_d(spec, "template", "spec").get("nodeSelector")),
           since(_d(ds, "metadata").get("creationTimestamp"), now)]
    if wide:
        row += [*_containers_cells(_d(spec, "template", "spec")),
                format_label_selector(spec.get("selector"))]
    return row


# ---------------------------------------------------------------------------------------
# Cluster-scoped: nodes and namespaces
# ---------------------------------------------------------------------------------------

_ROLE_PREFIX = "node-role.kubernetes.io/"


def node_roles(node: dict) -> str:
    """findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role`
    values, sorted and deduped; `<none>`."""
    roles = set()
    for key, value in (_d(node, "metadata").get("labels") or {}).items():
        if key.startswith(_ROLE_PREFIX) and key[len(_ROLE_PREFIX):]:
            roles.add(key[len(_ROLE_PREFIX):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def node_status(node: dict) -> str:
    """Ready / NotReady / Unknown from the Ready condition, plus SchedulingDisabled."""
    ready = None
    for cond in _l(_d(node, "status"), "conditions"):
        if cond.get("type") == "Ready":
            ready = cond  # the last one wins, as upstream's condition map does
    status = ["Unknown"] if ready is None else (["Ready"] if ready.get("status") == "True" else ["NotReady"])
    if _d(node, "spec").get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node_address(node: dict, kind: str) -> str:
    for addr in _l(_d(node, "status"), "addresses"):
        if addr.get("type") == kind:
            return addr.get("address", "")
    return "<none>"


def _node_row(node: dict, now: datetime, wide: bool) -> list[str]:
    info = _d(node, "status", "nodeInfo")
    row = [_name(node), node_status(node), node_roles(node),
           since(_d(node, "metadata").get("creationTimestamp"), now), info.get("kubeletVersion") or ""]
    if wide:
        row += [_node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
                info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
                info.get("containerRuntimeVersion") or "<unknown>"]
    return row


def _namespace_row(ns: dict, now: datetime, wide: bool) -> list[str]:
    # The API server sets phase Active on create; a missing phase means that.
    return [_name(ns), _d(ns, "status").get("phase") or "Active",
            since(_d(ns, "metadata").get("creationTimestamp"), now)]


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------

RowFn = Callable[[dict, datetime, bool], list[str]]


@dataclass(frozen=True)
class _TableDef:
    columns: tuple[str, ...]
    wide_columns: tuple[str, ...]
    row: RowFn
    wide_layout: tuple[str, ...] | None = None  # when -o wide interleaves (events), the whole header


def _configmap_row(cm: dict, now: datetime, wide: bool) -> list[str]:
    """printConfigMap: DATA counts data and binaryData keys."""
    n = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [_name(cm), str(n), since(_d(cm, "metadata").get("creationTimestamp"), now)]


def _event_source(ev: dict) -> str:
    """formatEventSource: component (or reportingController), then host (or instance)."""
    src = ev.get("source") or {}
    component = src.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    host = src.get("host") or ev.get("reportingInstance") or ""
    if not component:
        return "<unknown>"
    return f"{component}, {host}" if host else component


def _event_row(ev: dict, now: datetime, wide: bool) -> list[str]:
    """printEvent: LAST SEEN falls back to the first time (or the eventTime of the new
    API); a series carries its own last time and count; OBJECT is `kind/name`."""
    first = since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
    last = since(ev["lastTimestamp"], now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 1
    series = ev.get("series")
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or count
    io = ev.get("involvedObject") or {}
    kind = str(io.get("kind") or "").lower()
    target = f"{kind}/{io['name']}" if io.get("name") else kind
    message = str(ev.get("message") or "").strip()
    if wide:
        return [last, ev.get("type") or "", ev.get("reason") or "", target, io.get("fieldPath") or "",
                _event_source(ev), message, first, str(count), _name(ev)]
    return [last, ev.get("type") or "", ev.get("reason") or "", target, message]


_CONTAINERS_WIDE = ("Containers", "Images", "Selector")

TABLES: dict[str, _TableDef] = {
    "Pod": _TableDef(("Name", "Ready", "Status", "Restarts", "Age"),
                     ("IP", "Node", "Nominated Node", "Readiness Gates"), _pod_row),
    "Service": _TableDef(("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"),
                         ("Selector",), _service_row),
    "Endpoints": _TableDef(("Name", "Endpoints", "Age"), (), _endpoints_row),
    "EndpointSlice": _TableDef(("Name", "AddressType", "Ports", "Endpoints", "Age"), (),
                               _endpointslice_row),
    "Deployment": _TableDef(("Name", "Ready", "Up-to-date", "Available", "Age"),
                            _CONTAINERS_WIDE, _deployment_row),
    "ReplicaSet": _TableDef(("Name", "Desired", "Current", "Ready", "Age"),
                            _CONTAINERS_WIDE, _replicaset_row),
    "DaemonSet": _TableDef(("Name", "Desired", "Current", "Ready", "Up-to-date", "Available",
                            "Node Selector", "Age"), _CONTAINERS_WIDE, _daemonset_row),
    "Node": _TableDef(("Name", "Status", "Roles", "Age", "Version"),
                      ("Internal-IP", "External-IP", "OS-Image", "Kernel-Version",
                       "Container-Runtime"), _node_row),
    "Namespace": _TableDef(("Name", "Status", "Age"), (), _namespace_row),
    "ConfigMap": _TableDef(("Name", "Data", "Age"), (), _configmap_row),
    "Event": _TableDef(("Last Seen", "Type", "Reason", "Object", "Message"), (), _event_row,
                       wide_layout=("Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message",
                                    "First Seen", "Count", "Name")),
}


def api_order(objs: Iterable[dict]) -> list[dict]:
    """The order a LIST returns: by storage key `namespace/name`, compared bytewise
    (so namespace `a-b` sorts before `a`, since '-' < '/')."""
    return sorted(objs, key=lambda o: (f"{_namespace(o)}/{_name(o)}" if _namespace(o)
                                       else _name(o)).encode())


_TERMINAL_ESCAPES = str.maketrans({"\x1b": "^[", "\r": "\\r"})


_CELL_SPECIAL = re.compile("[\f\n\r\x1b]")


def _cell_text(cell: str) -> str:
    """printTable's cell hygiene: cut at the first line break (adding `...`) and make
    terminal escapes visible."""
    if _CELL_SPECIAL.search(cell) is None:  # nearly every cell: nothing to do
        return cell
    cut = min((i for i in (cell.find(c) for c in "\f\n\r") if i >= 0), default=-1)
    if cut >= 0:
        cell = cell[:cut] + "..."
    return cell.translate(_TERMINAL_ESCAPES)


def table(kind: str | ResourceInfo, objs: Iterable[dict], *, now: datetime, wide: bool = False,
          show_kind: bool = False, all_namespaces: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and cell rows of a `kubectl get` table, before alignment (for widgets
    that lay cells out themselves)."""
    info = _info_for(kind)
    tdef = TABLES[info.kind]
    columns = list(tdef.wide_layout) if wide and tdef.wide_layout else \
        list(tdef.columns) + (list(tdef.wide_columns) if wide else [])
    with_ns = all_namespaces and info.namespaced
    header = (["NAMESPACE"] if with_ns else []) + [c.upper() for c in columns]
    rows = []
    for obj in api_order(objs):
        cells = [_cell_text(c) for c in tdef.row(obj, now, wide)]
        if show_kind and columns[0] == "Name":  # (an event row has no NAME to prefix)
            cells[0] = f"{info.qualified}/{cells[0]}"
        rows.append(([_namespace(obj)] if with_ns else []) + cells)
    return header, rows


def print_table(kind: str | ResourceInfo, objs: Iterable[dict], *, now: datetime, wide: bool = False,
                show_kind: bool = False, all_namespaces: bool = False) -> str:
    """One kind's `kubectl get` table, aligned; "" when there are no objects (kubectl
    prints no header for an empty table; see no_resources_message)."""
    header, rows = table(kind, objs, now=now, wide=wide, show_kind=show_kind,
                         all_namespaces=all_namespaces)
    return render_table([header, *rows]) if rows else ""


KindObjs = tuple[Union[str, ResourceInfo], Sequence[dict]]


def print_get_all(groups: Sequence[KindObjs], *, now: datetime, wide: bool = False,
                  show_kind: bool = True, all_namespaces: bool = False) -> str:
    """Several kinds (`get all`, `get svc,ep`): one table per kind, each with its own
    header and widths, one blank line between non-empty tables, empty kinds omitted.
    Names carry `kind[.group]/` whenever several types were asked for (see
    multiple_types_requested), even if only one kind has objects."""
    tables = [print_table(kind, objs, now=now, wide=wide, show_kind=show_kind,
                          all_namespaces=all_namespaces) for kind, objs in groups]
    return "\n".join(t for t in tables if t)


# ---------------------------------------------------------------------------------------
# -o name and messages
# ---------------------------------------------------------------------------------------


def qualified_kind(obj: dict) -> str:
    """`pod`, `deployment.apps`, from the object's own apiVersion and kind."""
    group = (obj.get("apiVersion") or "").rpartition("/")[0]
    kind = (obj.get("kind") or "").lower()
    return f"{kind}.{group}" if group else kind


def print_name(objs: Iterable[dict]) -> str:
    """`-o name`: one `kind[.group]/name` line per object."""
    return "".join(f"{qualified_kind(o)}/{_name(o)}\n" for o in objs)


def no_resources_message(namespace: str, all_namespaces: bool, namespaced: bool = True) -> str:
    """kubectl's stderr line when nothing was printed (without the newline). Cluster-
    scoped kinds, like -A, get the short form."""
    if all_namespaces or not namespaced:
        return "No resources found"
    return f"No resources found in {namespace} namespace."


def not_found_message(resource: str | ResourceInfo, name: str) -> str:
    """`Error from server (NotFound): deployments.apps "redis" not found`."""
    return f'Error from server (NotFound): {_info_for(resource).qualified_plural} "{name}" not found'


# ---------------------------------------------------------------------------------------
# -o json / -o yaml
# ---------------------------------------------------------------------------------------


def _strip_managed_fields(obj: dict) -> dict:
    """kubectl hides metadata.managedFields unless --show-managed-fields."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def as_output_object(obj_or_objs: dict | Sequence[dict]) -> dict:
    """What `-o yaml|json` serializes: the object itself, or for a list (a LIST call,
    several names or kinds) the `kind: List` wrapper printGeneric builds."""
    if isinstance(obj_or_objs, dict):
        return _strip_managed_fields(obj_or_objs)
    return {"apiVersion": "v1", "items": [_strip_managed_fields(o) for o in obj_or_objs],
            "kind": "List", "metadata": {"resourceVersion": ""}}


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _json_number(value: int | float) -> str:
    """A number as kubectl's JSON carries it: int64s exactly, anything else as Go
    encodes a float64 (so 2.0 is `2` and 2**64 is `18446744073709552000`)."""
    if isinstance(value, int) and _INT64_MIN <= value <= _INT64_MAX:
        return str(value)
    return _go_float(float(value), json_style=True)


def _digits_exp(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |value| and the exponent of the first
    digit (d.ddd x 10^exp), as strconv's shortest formatting finds them."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, len(text) - 1 + int(exponent)


def _go_float(value: float, *, json_style: bool) -> str:
    """strconv.FormatFloat(f, fmt, -1, 64): encoding/json picks 'f' unless
    |f| < 1e-6 or >= 1e21 (then 'e', with `e-07` shortened to `e-7`); go-yaml uses 'g',
    which switches to 'e' when the exponent is < -4 or >= 6 (shortest mode)."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if repr(value).startswith("-") else "0"
    digits, exp = _digits_exp(value)
    sign = "-" if value < 0 else ""
    use_exp = (abs(value) < 1e-6 or abs(value) >= 1e21) if json_style else (exp < -4 or exp >= 6)
    if use_exp:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp_text = f"{'-' if exp < 0 else '+'}{abs(exp):02d}"
        if json_style and exp_text.startswith("-0"):
            exp_text = "-" + exp_text[2:]
        return f"{sign}{mant}e{exp_text}"
    if exp >= 0:
        whole, frac = digits[:exp + 1].ljust(exp + 1, "0"), digits[exp + 1:]
    else:
        whole, frac = "0", "0" * (-exp - 1) + digits
    return f"{sign}{whole}{'.' + frac if frac else ''}"


_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
               "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_string(text: str) -> str:
    """encoding/json string escaping, HTML-safe as json.Marshal is by default."""
    out = []
    for ch in text:
        if ch in _JSON_SHORT:
            out.append(_JSON_SHORT[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _json_value(value: Any, level: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = "    " * (level + 1)
        body = ",\n".join(f"{pad}{_json_string(str(k))}: {_json_value(value[k], level + 1)}"
                          for k in sorted(value, key=lambda k: str(k).encode()))
        return "{\n" + body + "\n" + "    " * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        pad = "    " * (level + 1)
        body = ",\n".join(pad + _json_value(v, level + 1) for v in value)
        return "[\n" + body + "\n" + "    " * level + "]"
    if isinstance(value, str):
        return _json_string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _json_number(value)
    return str(value)


def to_json(obj_or_objs: dict | Sequence[dict]) -> str:
    """`-o json`: sorted keys, 4-space indent, HTML-escaped strings, trailing newline;
    a list of objects is wrapped in `kind: List`."""
    return _json_value(as_output_object(obj_or_objs), 0) + "\n"


def to_yaml(obj_or_objs: dict | Sequence[dict]) -> str:
    """`-o yaml` as sigs.k8s.io/yaml writes it (go-yaml v2 over the JSON form): keys
    sorted go-yaml's way, 2-space indent, sequences not indented under their key,
    ambiguous strings double-quoted, long scalars folded at column 80, multi-line
    strings as `|` blocks. A list of objects is wrapped in `kind: List`."""
    return _GoYaml().document(_as_yaml_input(as_output_object(obj_or_objs)))


_NEL_RUN = re.compile(" *(\x85(?: *\x85)*) *")


def _fold_nel(text: str) -> str:
    """go-yaml re-reads the JSON text, where a raw NEL (U+0085, which encoding/json does
    not escape) is a YAML line break inside a double-quoted scalar: folded to a space,
    or n breaks to n-1 newlines, eating the spaces around them."""
    if "\x85" not in text:
        return text
    return _NEL_RUN.sub(lambda m: " " if m.group(1).count("\x85") == 1
                        else "\n" * (m.group(1).count("\x85") - 1), text)


def _as_yaml_input(value: Any) -> Any:
    """The value go-yaml sees after reading kubectl's JSON: numbers typed as its resolver
    types JSON number text (int when the text is integral, else float), NEL folded."""
    if isinstance(value, dict):
        return {_fold_nel(str(k)): _as_yaml_input(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_yaml_input(v) for v in value]
    if isinstance(value, str):
        return _fold_nel(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _json_number(value)
        if re.fullmatch(r"-?[0-9]+", text) and _INT64_MIN <= int(text) < (1 << 64):
            return int(text)  # ParseInt or ParseUint accepts it
        return float(text)  # otherwise the float rule wins before big ints are tried
    return value


# --- go-yaml v2 scalar resolution (resolve.go) -----------------------------------------

_RESOLVE_MAP = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
                     "n", "N", "no", "No", "NO", "false", "False", "FALSE",
                     "off", "Off", "OFF"), "bool"),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), "null"),
    **dict.fromkeys((".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                     "-.inf", "-.Inf", "-.INF"), "float"),
    "<<": "merge",
}
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(?:Z|[+-]\d{2}:\d{2})"
    r"|[ ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?)?$")
_ALNUM = re.compile(r"[0-9A-Za-z]+")


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt with base 0 (sign, then 0x, 0o, 0b or leading-0 octal), or None.
    Out-of-range values count too: go-yaml then tries ParseUint and big.Int."""
    neg = False
    if text[:1] in ("+", "-"):
        neg, text = text[0] == "-", text[1:]
    base = 10
    if len(text) > 1 and text[0] == "0":
        prefix = text[1].lower()
        base, text = {"x": (16, text[2:]), "o": (8, text[2:]), "b": (2, text[2:])}.get(
            prefix, (8, text[1:]))
    if not _ALNUM.fullmatch(text):
        return None
    try:
        value = int(text, base)
    except ValueError:
        return None
    return -value if neg else value


def _is_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp over its four allowed layouts, with time.Parse's range
    checks."""
    m = _TIMESTAMP.match(text)
    if not m:
        return False
    year, month, day = (int(g) for g in m.group(1, 2, 3))
    try:
        datetime(year or 2000, month, day)  # Go allows year 0 (a leap year)
    except ValueError:
        return False
    clock = m.group(4, 5, 6) if m.group(4) else m.group(7, 8, 9)
    if clock[0] is None:
        return True
    hour, minute, second = (int(g) for g in clock)
    return hour < 24 and minute < 60 and second < 60


def _resolves_to_non_string(text: str) -> bool:
    """resolve("", s) != !!str: the string would read back as bool/null/number/time."""
    hint = text[:1]
    if text == "":
        return True
    if hint not in "+-0123456789.yYnNtTfFoO~":
        return False
    if text in _RESOLVE_MAP:
        return True
    if hint == ".":
        return bool(_YAML_FLOAT.match(text))  # strconv.ParseFloat, for a leading dot
    if hint in "yYnNtTfFoO~":
        return False
    if _is_timestamp(text):
        return True
    plain = text.replace("_", "")
    return _go_parse_int(plain) is not None or bool(_YAML_FLOAT.match(plain))


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml's keyList.Less: letters compare as runes, a non-letter sorts before a
    letter, and runs of digits compare as numbers (`a2` < `a10`)."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        al, bl = _is_letter(a[i]), _is_letter(b[i])
        if al and bl:
            return a[i] < b[i]
        if al or bl:
            return bl
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and _is_digit(a[j]):
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and _is_digit(a[ai]):
            an = an * 10 + (ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and _is_digit(b[bi]):
            bn = bn * 10 + (ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


_go_key_sort = functools.cmp_to_key(
    lambda a, b: -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0))


# --- go-yaml v2 emitter (emitterc.go), restricted to what JSON data needs ----------------

_BREAKS = "\r\n\x85\u2028\u2029"
_PLAIN, _SINGLE, _DOUBLE, _LITERAL = "plain", "single", "double", "literal"
_BEST_WIDTH = 80
_DOUBLE_ESCAPES = {0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f",
                   0x0D: "r", 0x1B: "e", 0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_",
                   0x2028: "L", 0x2029: "P"}


def _printable(ch: str) -> bool:
    """is_printable as go-yaml tests UTF-8 bytes: no tabs, no C1, nothing astral."""
    c = ord(ch)
    return (c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF
            or (0xE000 <= c <= 0xFFFD and c != 0xFEFF))


@dataclass
class _ScalarAnalysis:
    multiline: bool = False
    block_plain: bool = True
    single_quoted: bool = True
    block: bool = True


def _analyze(value: str) -> _ScalarAnalysis:
    """yaml_emitter_analyze_scalar (v2): which styles can carry this text."""
    if not value:
        return _ScalarAnalysis(block_plain=True, single_quoted=True, block=False)
    block_ind = value.startswith("---") or value.startswith("...")
    line_breaks = special = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_by_ws = True
    n = len(value)
    for i, ch in enumerate(value):
        followed_by_ws = i + 1 >= n or value[i + 1] in " \t"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                block_ind = True
            elif ch in "?:" and followed_by_ws:
                block_ind = True
            elif ch == "-" and followed_by_ws:
                block_ind = True
        elif (ch == ":" and followed_by_ws) or (ch == "#" and preceded_by_ws):
            block_ind = True
        if not _printable(ch):
            special = True
        if ch == " ":
            leading_space |= i == 0
            trailing_space |= i == n - 1
            break_space |= previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            leading_break |= i == 0
            trailing_break |= i == n - 1
            space_break |= previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = ch in " \t" + _BREAKS
    a = _ScalarAnalysis(multiline=line_breaks)
    if leading_space or leading_break or trailing_space or trailing_break:
        a.block_plain = False
    if trailing_space:
        a.block = False
    if break_space:
        a.block_plain = a.single_quoted = False
    if space_break or special:
        a.block_plain = a.single_quoted = a.block = False
    if line_breaks or block_ind:
        a.block_plain = False
    return a


class _GoYaml:
    """A block-style emitter that writes what go-yaml v2 writes for JSON-shaped data.

    It keeps the emitter's own cursor state (column, `whitespace`, `indention`) because
    that state decides where long scalars fold and where line breaks go.
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True

    # low-level writes ---------------------------------------------------------------
    def put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0

    def write_indent(self, indent: int) -> None:
        indent = max(indent, 0)
        if not self.indention or self.column > indent or (
                self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = self.indention = True

    def indicator(self, text: str, need_ws: bool, is_ws: bool, is_indention: bool) -> None:
        if need_ws and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention

    # nodes --------------------------------------------------------------------------
    def document(self, value: Any) -> str:
        self.node(value, -1, mapping_context=False, simple_key=False)
        self.write_indent(-1)  # document end
        return "".join(self.out)

    def node(self, value: Any, indent: int, *, mapping_context: bool, simple_key: bool) -> None:
        if isinstance(value, dict):
            self.mapping(value, indent) if value else self.flow_empty("{}")
        elif isinstance(value, (list, tuple)):
            self.sequence(value, indent, mapping_context) if value else self.flow_empty("[]")
        else:
            self.scalar(value, indent, simple_key)

    def flow_empty(self, pair: str) -> None:
        self.indicator(pair[0], True, True, False)
        self.indicator(pair[1], False, False, False)

    def mapping(self, value: dict, indent: int) -> None:
        inner = 0 if indent < 0 else indent + 2
        items = {str(k): v for k, v in value.items()}
        for key in sorted(items, key=_go_key_sort):
            item = items[key]
            self.write_indent(inner)
            if len(key.encode()) > 128 or _analyze(key).multiline:
                self.indicator("?", True, False, True)
                self.scalar(key, inner, simple_key=False)
                self.write_indent(inner)
                self.indicator(":", True, False, True)
            else:
                self.scalar(key, inner, simple_key=True)
                self.indicator(":", False, False, False)
            self.node(item, inner, mapping_context=True, simple_key=False)

    def sequence(self, value: Sequence, indent: int, mapping_context: bool) -> None:
        indentless = mapping_context and not self.indention
        inner = 0 if indent < 0 else (indent if indentless else indent + 2)
        for item in value:
            self.write_indent(inner)
            self.indicator("-", True, False, True)
            self.node(item, inner, mapping_context=False, simple_key=False)

    def scalar(self, value: Any, indent: int, simple_key: bool) -> None:
        inner = 2 if indent < 0 else indent + 2
        text, style = self.scalar_text(value)
        style = self.select_style(text, style, simple_key)
        allow_breaks = not simple_key
        if style == _PLAIN:
            self.write_plain(text, inner, allow_breaks)
        elif style == _SINGLE:
            self.write_single(text, inner, allow_breaks)
        elif style == _DOUBLE:
            self.write_double(text, inner, allow_breaks)
        else:
            self.write_literal(text, inner)

    @staticmethod
    def scalar_text(value: Any) -> tuple[str, str]:
        """encoder.stringv/intv/floatv/boolv/nilv: the text and the requested style."""
        if value is None:
            return "null", _PLAIN
        if isinstance(value, bool):
            return ("true" if value else "false"), _PLAIN
        if isinstance(value, float):
            return _go_float(value, json_style=False), _PLAIN
        if isinstance(value, int):
            return str(value), _PLAIN
        text = str(value)
        can_plain = not _resolves_to_non_string(text) and not (
            text[:1] in "+-0123456789" and ":" in text and _BASE60.match(text))
        if "\n" in text:
            return text, _LITERAL
        return text, (_PLAIN if can_plain else _DOUBLE)

    @staticmethod
    def select_style(text: str, style: str, simple_key: bool) -> str:
        """yaml_emitter_select_scalar_style, block context only."""
        a = _analyze(text)
        if simple_key and a.multiline:
            style = _DOUBLE
        if style == _PLAIN and (not a.block_plain or (not text and simple_key)):
            style = _SINGLE
        if style == _SINGLE and not a.single_quoted:
            style = _DOUBLE
        if style == _LITERAL and (not a.block or simple_key):
            style = _DOUBLE
        return style

    def write_plain(self, text: str, indent: int, allow_breaks: bool) -> None:
        if not self.whitespace:
            self.put(" ")
        spaces = False
        for i, ch in enumerate(text):
            if ch == " ":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if allow_breaks and not spaces and self.column > _BEST_WIDTH and nxt != " ":
                    self.write_indent(indent)
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                self.indention = False
                spaces = False
        self.whitespace = self.indention = False

    def write_single(self, text: str, indent: int, allow_breaks: bool) -> None:
        self.indicator("'", True, False, False)
        spaces = breaks = False
        for i, ch in enumerate(text):
            if ch == " ":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if (allow_breaks and not spaces and self.column > _BEST_WIDTH and 0 < i < len(text) - 1
                        and nxt != " "):
                    self.write_indent(indent)
                else:
                    self.put(ch)
                spaces = True
            elif ch in _BREAKS:
                if not breaks and ch == "\n":
                    self.put_break()
                self.write_break(ch)
                self.indention = breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put("''" if ch == "'" else ch)
                self.indention = spaces = breaks = False
        self.indicator("'", False, False, False)
        self.whitespace = self.indention = False

    def write_double(self, text: str, indent: int, allow_breaks: bool) -> None:
        self.indicator('"', True, False, False)
        spaces = False
        for i, ch in enumerate(text):
            c = ord(ch)
            if not _printable(ch) or c == 0xFEFF or ch in _BREAKS or ch in '"\\':
                if c in _DOUBLE_ESCAPES:
                    self.put("\\" + _DOUBLE_ESCAPES[c])
                elif c <= 0xFF:
                    self.put(f"\\x{c:02X}")
                elif c <= 0xFFFF:
                    self.put(f"\\u{c:04X}")
                else:
                    self.put(f"\\U{c:08X}")
                spaces = False
            elif ch == " ":
                if allow_breaks and not spaces and self.column > _BEST_WIDTH and 0 < i < len(text) - 1:
                    self.write_indent(indent)
                    if i + 1 < len(text) and text[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False
        self.indicator('"', False, False, False)
        self.whitespace = self.indention = False

    def write_break(self, ch: str) -> None:
        if ch == "\n":
            self.put_break()
        else:
            self.out.append(ch)
            self.column = 0

    def write_literal(self, text: str, indent: int) -> None:
        self.indicator("|", True, False, False)
        if text and (text[0] == " " or text[0] in _BREAKS):
            self.indicator("2", False, False, False)
        if not text or text[-1] not in _BREAKS:
            self.indicator("-", False, False, False)
        elif len(text) == 1 or text[-2] in _BREAKS:
            self.indicator("+", False, False, False)
        self.put_break()
        self.indention = self.whitespace = True
        breaks = True
        for ch in text:
            if ch in _BREAKS:
                self.write_break(ch)
                self.indention = breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put(ch)
                self.indention = breaks = False
