"""What the dashboard's panes show, computed from the store — so the TUI only renders.

Each pane gets rows keyed by `namespace/name` (stable keys let the widgets update rows in
place). Cell text comes from the same printers as `kubectl get`, and the links between
objects (a Service's pods, slices, chains and DNS names) and the reasons a Service
selects nothing are worked out here, next to the cluster logic they depend on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.cluster import Cluster
from engine.controllers.endpoints import resolve_target_port
from engine.objects import is_terminating, labels_of, meta, pod_is_ready, pod_phase, selector_matches
from engine.printers import get as printers

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True)
class Row:
    key: str  # namespace/name
    cells: tuple[str, ...]
    style: str = ""  # a hint: running | pending | failed | terminating | notready


@dataclass
class Links:
    """Everything that belongs to a selected object, for linked highlighting."""

    pods: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)
    chains: set[str] = field(default_factory=set)
    dns_names: set[str] = field(default_factory=set)
    explanation: list[str] = field(default_factory=list)


def _key(obj: dict) -> str:
    return f"{meta(obj).get('namespace') or ''}/{meta(obj)['name']}"


def _in_scope(obj: dict, namespace: str | None) -> bool:
    return namespace is None or (meta(obj).get("namespace") or "") == namespace


POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "IP", "NODE", "AGE")
SERVICE_COLUMNS = ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "SELECTOR")
ENDPOINT_COLUMNS = ("NAME", "ENDPOINTS", "NOT READY", "SLICES")


def pod_style(pod: dict) -> str:
    if is_terminating(pod):
        return "terminating"
    phase = pod_phase(pod)
    if phase == "Running":
        return "running" if pod_is_ready(pod) else "notready"
    if phase in ("Failed", "Unknown"):
        return "failed"
    if phase == "Succeeded":
        return "succeeded"
    return "pending"


def pod_rows(cluster: Cluster, namespace: str | None = "default") -> list[Row]:
    now = cluster.now()
    rows = []
    for p in cluster.store.list("Pod"):
        if not _in_scope(p, namespace):
            continue
        _, (cells,) = printers.table("Pod", [p], now=now, wide=True)
        name, ready, status, restarts, age, ip, node = cells[:7]
        if namespace is None:
            name = f"{meta(p).get('namespace')}/{name}"
        rows.append(Row(_key(p), (name, ready, status, restarts, ip, node, age), pod_style(p)))
    return rows


def service_rows(cluster: Cluster, namespace: str | None = "default") -> list[Row]:
    now = cluster.now()
    rows = []
    for s in cluster.store.list("Service"):
        if not _in_scope(s, namespace):
            continue
        _, (cells,) = printers.table("Service", [s], now=now, wide=True)
        name = cells[0] if namespace is not None else f"{meta(s).get('namespace')}/{cells[0]}"
        rows.append(Row(_key(s), (name, cells[1], cells[2], cells[3], cells[4], cells[6])))
    return rows


def slices_of(cluster: Cluster, ns: str, name: str) -> list[dict]:
    return [s for s in cluster.store.list("EndpointSlice", ns) if labels_of(s).get(SERVICE_NAME_LABEL) == name]


def endpoint_rows(cluster: Cluster, namespace: str | None = "default") -> list[Row]:
    rows = []
    slice_names: dict[tuple[str, str], list[str]] = {}
    for s in cluster.store.list("EndpointSlice", namespace):
        svc = labels_of(s).get(SERVICE_NAME_LABEL)
        if svc:
            slice_names.setdefault((meta(s).get("namespace") or "", svc), []).append(meta(s)["name"])
    for ep in cluster.store.list("Endpoints"):
        if not _in_scope(ep, namespace):
            continue
        ns, name = meta(ep).get("namespace") or "", meta(ep)["name"]
        ready = printers.format_endpoints(ep) or ""
        not_ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses") or []]
        slices = ",".join(slice_names.get((ns, name), [])) or "<none>"
        shown = name if namespace is not None else f"{ns}/{name}"
        rows.append(Row(_key(ep), (shown, ready, ",".join(not_ready) or "", slices),
                        "" if ready not in ("", "<none>") else "notready"))
    return rows


# -- linked selection ------------------------------------------------------------------

def links_for_service(cluster: Cluster, ns: str, name: str) -> Links:
    svc = cluster.store.get("Service", ns, name)
    links = Links(services={f"{ns}/{name}"})
    if svc is None:
        return links
    links.endpoints.add(f"{ns}/{name}")
    sel = (svc.get("spec") or {}).get("selector") or {}
    for p in cluster.store.list("Pod", ns):
        if selector_matches(sel, labels_of(p)):
            links.pods.add(_key(p))
    domain = cluster.topology.dns_domain
    links.dns_names.add(f"{name}.{ns}.svc.{domain}")
    proxy = getattr(cluster, "proxy_chains_for_service", None)
    if proxy is not None:
        links.chains |= set(proxy(ns, name))
    links.explanation = explain_selection(cluster, svc)
    return links


def links_for_pod(cluster: Cluster, ns: str, name: str) -> Links:
    pod = cluster.store.get("Pod", ns, name)
    links = Links(pods={f"{ns}/{name}"})
    if pod is None:
        return links
    for s in cluster.store.list("Service", ns):
        sel = (s.get("spec") or {}).get("selector")
        if sel and selector_matches(sel, labels_of(pod)):
            links.services.add(_key(s))
            links.endpoints.add(_key(s))
    proxy = getattr(cluster, "proxy_chains_for_pod", None)
    if proxy is not None:
        links.chains |= set(proxy(ns, name))
    return links


def explain_selection(cluster: Cluster, svc: dict) -> list[str]:
    """Why a Service has no ready endpoints, label by label, in a learner's words."""
    spec = svc.get("spec") or {}
    ns = meta(svc).get("namespace") or ""
    if spec.get("type") == "ExternalName":
        return [f"ExternalName: DNS answers with a CNAME to {spec.get('externalName')}; no endpoints"]
    sel = spec.get("selector") or {}
    if not sel:
        return ["no selector: endpoints come from an Endpoints object you write yourself"]
    pods = cluster.store.list("Pod", ns)
    matching = [p for p in pods if selector_matches(sel, labels_of(p))]
    out: list[str] = []
    if not matching:
        for k, v in sel.items():
            with_label = [p for p in pods if labels_of(p).get(k) == v]
            if not with_label:
                others = sorted({labels_of(p)[k] for p in pods if k in labels_of(p)})
                hint = f" (pods have {k}={', '.join(others)})" if others else ""
                out.append(f"no pod in namespace {ns} has {k}={v}{hint}")
        if not out:
            out.append(f"no pod in namespace {ns} has all of " + ",".join(f"{k}={v}" for k, v in sel.items()))
        return out
    ready = [p for p in matching if pod_is_ready(p) and not is_terminating(p)]
    if len(ready) < len(matching):
        n = len(matching) - len(ready)
        out.append(f"{len(matching)} pod{'s' if len(matching) != 1 else ''} match, "
                   f"{n} {'is' if n == 1 else 'are'} not ready")
    for port in spec.get("ports") or []:
        tp = port.get("targetPort", port.get("port"))
        if isinstance(tp, str) and not tp.isdigit():
            missing = [p for p in matching if resolve_target_port(port, p) is None]
            if missing and len(missing) == len(matching):
                out.append(f"targetPort {tp} names no container port")
            elif missing:
                out.append(f"targetPort {tp} names no container port in {len(missing)} of {len(matching)} pods")
    return out
