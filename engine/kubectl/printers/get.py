"""`kubectl get`: resource names, table printers, `-o name`, and its messages (`-o json|yaml`: encoding.py).

Everything is restated from upstream so the output is byte-identical to kubectl:

* table cells: kubernetes `pkg/printers/internalversion/printers.go` (printPod,
  printService, formatEndpoints, printEndpointSlice, printDeployment, ...);
* table layout: cli-runtime's table printer (upper-cased headers, `NAMESPACE` column,
  `kind.group/` name prefix, cells cut at the first line break) fed through Go's
  tabwriter (see `tabwriter.py`);
* multi-kind output, "No resources found": kubectl `pkg/cmd/get/get.go`;

Objects are API-shaped dicts; missing fields are treated the way the API server would
have defaulted them (phase Pending, type ClusterIP, replicas 1, ...), never as errors.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

from engine.api import apionly
from engine.api.kinds import KINDS, KindInfo, in_category, match_resource
from engine.api.labels import format_label_selector, label_selector_string  # (re-exported for the printers)
from engine.kubectl.printers.duration import parse_timestamp, since
from engine.kubectl.printers.sorting import SortError, sort_objects
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
        found = match_resource(gvr[0], gvr[2], gvr[1]) or apionly.by_resource(gvr[2], gvr[1], gvr[0])
        if found:
            return found
    found = match_resource(res, group if group else None, None)
    if found:
        return found
    # what the served API answers beyond the registry (engine.api.apionly: `crd`, `events.events.k8s.io`)
    found = apionly.match(res)
    if found and (not group or group == found.group):
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
    term = state.get("terminated") if state else None
    finished = term.get("finishedAt") if isinstance(term, dict) else None
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


def _walk_init_containers(spec: dict, status: dict, tally: _PodTally) -> bool:
    """Init containers: the first one not done sets `Init:...`; returns initializing."""
    statuses = _l(status, "initContainerStatuses")
    if not statuses:  # (nearly every pod: nothing to walk)
        return False
    init_specs = {c.get("name"): c for c in _l(spec, "initContainers")}
    n_init = len(_l(spec, "initContainers"))
    for i, cs in enumerate(statuses):
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


def _walk_containers(status: dict, tally: _PodTally) -> None:
    """App containers, last to first, so the first container's reason wins."""
    tally.restarts = tally.sidecar_restarts
    tally.last_restart = tally.last_sidecar_restart
    has_running = False
    for cs in reversed(_l(status, "containerStatuses")):
        tally.restarts += int(cs.get("restartCount") or 0)
        last_state = cs.get("lastState")
        if last_state and isinstance(last_state, dict):  # (an empty lastState changes nothing)
            tally.last_restart = _later(tally.last_restart, last_state)
        state = cs.get("state")
        if not isinstance(state, dict):
            state = {}
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
    init_containers = _l(spec, "initContainers")
    total = len(containers) + (sum(1 for c in init_containers if c.get("restartPolicy") == "Always")
                               if init_containers else 0)
    initializing = _walk_init_containers(spec, status, tally)
    if not initializing or _condition_true(status, "Initialized"):
        _walk_containers(status, tally)
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
    md = _d(pod, "metadata")
    row = [md.get("name") or "", ready, reason, restarts, since(md.get("creationTimestamp"), now)]
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


def _statefulset_row(sts: dict, now: datetime, wide: bool) -> list[str]:
    """printStatefulSet: READY is status.readyReplicas / spec.replicas; -o wide adds the
    template's containers and images (no selector column, unlike the other workloads)."""
    spec, status = _d(sts, "spec"), _d(sts, "status")
    row = [_name(sts), f"{status.get('readyReplicas') or 0}/{_replicas(spec)}",
           since(_d(sts, "metadata").get("creationTimestamp"), now)]
    if wide:
        row += _containers_cells(_d(spec, "template", "spec"))
    return row


def _controller_revision_row(rev: dict, now: datetime, wide: bool) -> list[str]:
    """printControllerRevision: CONTROLLER is the controller reference as `kind.group/name`
    (formatResourceName with its kind), `<none>` without one; REVISION the number."""
    ref = next((o for o in _d(rev, "metadata").get("ownerReferences") or []
                if isinstance(o, dict) and o.get("controller")), None)
    controller = "<none>"
    if ref is not None:
        api_version = str(ref.get("apiVersion") or "")
        group = api_version.split("/", 1)[0] if "/" in api_version else ""
        kind = str(ref.get("kind") or "").lower()
        controller = f"{kind}.{group}/{ref.get('name', '')}" if group else f"{kind}/{ref.get('name', '')}"
    return [_name(rev), controller, str(rev.get("revision") or 0),
            since(_d(rev, "metadata").get("creationTimestamp"), now)]


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


def _service_account_row(sa: dict, now: datetime, wide: bool) -> list[str]:
    """printServiceAccount: SECRETS counts the `secrets` it lists (0 since 1.24: tokens are
    projected into pods, not kept in Secrets)."""
    secrets = sa.get("secrets")
    return [_name(sa), str(len(secrets) if isinstance(secrets, list) else 0),
            since(_d(sa, "metadata").get("creationTimestamp"), now)]


def _network_policy_row(np: dict, now: datetime, wide: bool) -> list[str]:
    """printNetworkPolicy: POD-SELECTOR is the selector's string, `<none>` for `{}` (every
    pod of the namespace)."""
    return [_name(np), format_label_selector(_d(np, "spec").get("podSelector")),
            since(_d(np, "metadata").get("creationTimestamp"), now)]


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


def _lease_row(lease: dict, now: datetime, wide: bool) -> list[str]:
    """printLease: HOLDER is spec.holderIdentity (empty when unset)."""
    return [_name(lease), _d(lease, "spec").get("holderIdentity") or "",
            since(_d(lease, "metadata").get("creationTimestamp"), now)]


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
    "StatefulSet": _TableDef(("Name", "Ready", "Age"), ("Containers", "Images"), _statefulset_row),
    "ControllerRevision": _TableDef(("Name", "Controller", "Revision", "Age"), (), _controller_revision_row),
    "Node": _TableDef(("Name", "Status", "Roles", "Age", "Version"),
                      ("Internal-IP", "External-IP", "OS-Image", "Kernel-Version",
                       "Container-Runtime"), _node_row),
    "Namespace": _TableDef(("Name", "Status", "Age"), (), _namespace_row),
    "ConfigMap": _TableDef(("Name", "Data", "Age"), (), _configmap_row),
    "ServiceAccount": _TableDef(("Name", "Secrets", "Age"), (), _service_account_row),
    "Lease": _TableDef(("Name", "Holder", "Age"), (), _lease_row),
    "NetworkPolicy": _TableDef(("Name", "Pod-Selector", "Age"), (), _network_policy_row),
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
          show_kind: bool = False, all_namespaces: bool = False, show_labels: bool = False,
          label_columns: Sequence[str] = (),
          sort_by: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and cell rows of a `kubectl get` table, before alignment (for widgets
    that lay cells out themselves). `label_columns` (`-L`) and `show_labels`: the columns
    kubectl's table printer appends after the server's (wide ones included), in that order
    (cli-runtime's decorateTable); `sort_by`: the rows in kubectl's `--sort-by` order
    (engine.kubectl.printers.sorting), or no rows at all when none has the field (kubectl
    prints nothing of that table)."""
    info = _info_for(kind)
    tdef = TABLES[info.kind]
    columns = list(tdef.wide_layout) if wide and tdef.wide_layout else \
        list(tdef.columns) + (list(tdef.wide_columns) if wide else [])
    with_ns = all_namespaces and info.namespaced
    header = ((["NAMESPACE"] if with_ns else []) + [c.upper() for c in columns]
              + label_column_headers(label_columns) + (["LABELS"] if show_labels else []))
    ordered = api_order(objs)
    if sort_by and len(ordered) > 1:  # (SortingPrinter sorts tables of two rows or more)
        try:
            ordered = sort_objects(ordered, sort_by)
        except SortError:  # kubectl's get ignores the table printer's error: the table is not printed
            return header, []
    rows = []
    for obj in ordered:
        cells = [_cell_text(c) for c in tdef.row(obj, now, wide)]
        if show_kind and columns[0] == "Name":  # (an event row has no NAME to prefix)
            cells[0] = f"{info.qualified}/{cells[0]}"
        if label_columns or show_labels:
            labels = _d(obj, "metadata").get("labels") or {}
            cells += [_cell_text(str(labels.get(key, ""))) for key in label_columns]
            if show_labels:
                cells.append(_cell_text(format_labels(labels)))
        rows.append(([_namespace(obj)] if with_ns else []) + cells)
    return header, rows


def label_column_headers(label_columns: Sequence[str]) -> list[str]:
    """formatLabelHeaders: a `-L` column is headed by its key's last `/`-separated segment,
    upper-cased (`-L app.kubernetes.io/name` -> NAME)."""
    return [key.rpartition("/")[2].upper() for key in label_columns]


def print_table(kind: str | ResourceInfo, objs: Iterable[dict], *, now: datetime, wide: bool = False,
                show_kind: bool = False, all_namespaces: bool = False, show_labels: bool = False,
                label_columns: Sequence[str] = (), sort_by: str | None = None, no_headers: bool = False) -> str:
    """One kind's `kubectl get` table, aligned; "" when there are no objects (kubectl
    prints no header for an empty table; see no_resources_message)."""
    header, rows = table(kind, objs, now=now, wide=wide, show_kind=show_kind, all_namespaces=all_namespaces,
                         show_labels=show_labels, label_columns=label_columns, sort_by=sort_by)
    if not rows:
        return ""
    return render_table(rows if no_headers else [header, *rows])


KindObjs = tuple[Union[str, ResourceInfo], Sequence[dict]]


def print_get_all(groups: Sequence[KindObjs], *, now: datetime, wide: bool = False,
                  show_kind: bool = True, all_namespaces: bool = False, show_labels: bool = False,
                  label_columns: Sequence[str] = (), sort_by: str | None = None, no_headers: bool = False) -> str:
    """Several kinds (`get all`, `get svc,ep`): one table per kind, each with its own
    header and widths, one blank line between non-empty tables, empty kinds omitted.
    Names carry `kind[.group]/` whenever several types were asked for (see
    multiple_types_requested), even if only one kind has objects. `--sort-by` sorts
    each kind's rows on their own, as kubectl sorts each Table the server sends."""
    tables = [print_table(kind, objs, now=now, wide=wide, show_kind=show_kind, all_namespaces=all_namespaces,
                          show_labels=show_labels, label_columns=label_columns, sort_by=sort_by,
                          no_headers=no_headers)
              for kind, objs in groups]
    # (no blank line between the tables without headers, as get.go's linebreak rule says)
    return ("" if no_headers else "\n").join(t for t in tables if t)


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
