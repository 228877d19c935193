"""What the dashboard's panes show, computed from the store — so the TUI only renders.

Each pane gets rows keyed by `namespace/name` (stable keys let the widgets update rows in
place). Cell text comes from the same printers as `kubectl get`, and the links between
objects (a Service's pods, slices, chains and DNS names) and the reasons a Service
selects nothing are worked out here, next to the cluster logic they depend on.
"""
from __future__ import annotations

import re
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from engine.api.labels import service_selects
from engine.api.objects import is_terminating, labels_of, meta, pod_is_ready, pod_phase
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.cluster.cluster import Cluster
from engine.controllers.nodelifecycle import ready_status
from engine.controllers.servicepods import resolve_target_port
from engine.kubectl.printers import get as printers
from engine.kubectl.printers.duration import since
from engine.views import dataplane
from engine.views.rows import Row


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
# `kubectl get svc -o wide`'s columns, with EXTERNAL-IP last: on kind it is `<none>` but
# for LoadBalancers, while SELECTOR tells Services apart (redis is app=counter,tier=db,
# counter-np app=counter,tier=app); the last column is the one a pane's edge cuts.
SERVICE_COLUMNS = ("NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "SELECTOR", "EXTERNAL-IP")
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


def _cache(cluster: Cluster, name: str) -> dict:
    """Per-cluster memo of rows already computed, keyed by object."""
    return cluster.view_caches.setdefault(name, {})


def _prune(cache: dict, live: int) -> None:
    if len(cache) > 2 * live + 64:
        cache.clear()


def pod_rows(cluster: Cluster, namespace: str | None = "default") -> list[Row]:
    """The Pods pane. A pod's cells are computed once per version of it (objects in
    the store are immutable, so identity is the version); only AGE follows the clock,
    and it is memoized per creation timestamp -- at 100,000 pods a refresh is a pass
    over the list, not 100,000 printer calls. RESTARTS with `(5m ago)` follows the
    clock too, so those rows are recomputed each time."""
    now = cluster.now()
    cache = _cache(cluster, "pods")
    store = cluster.store
    pods = store.list("Pod", namespace) if namespace is not None else store.list("Pod")
    if len(cache) > 2 * store.count("Pod") + 64:  # drop the old versions, keep the rows of every pod
        for k in [k for k, e in cache.items() if store.get("Pod", *e[6].split("/", 1)) is not e[0]]:
            del cache[k]
    ages: dict[str | None, str] = {}
    all_ns = namespace is None
    rows = []
    for p in pods:
        # Keyed by the object itself (its id, with the object kept so the id stays its
        # own): a pass over 100,000 unchanged pods is a lookup each.
        ent = cache.get(id(p))
        if ent is None or ent[0] is not p or ent[2]:
            ent = _pod_entry(cache, p, now)
        p, cells, _, style, last, created, key = ent
        age = ages.get(created)
        if age is None:
            age = ages[created] = since(created, now)
        if last is not None and last[0] == age and last[1] == all_ns:
            rows.append(last[2])
            continue
        name, ready, status, restarts, _age, ip, node = cells[:7]
        if all_ns:
            name = f"{meta(p).get('namespace')}/{name}"
        row = Row(key, (name, ready, status, restarts, ip, node, age), style)
        row.filter_text  # built with the row (cached), not on the first `/` at 100,000 rows
        ent[4] = (age, all_ns, row)
        rows.append(row)
    return rows


def _pod_entry(cache: dict, p: dict, now) -> list:
    _, (cells,) = printers.table("Pod", [p], now=now, wide=True)
    ent = cache[id(p)] = [p, cells, " ago)" in cells[3], pod_style(p), None, meta(p).get("creationTimestamp"), _key(p)]
    return ent


def warm(cluster: Cluster, budget: float) -> bool:
    """Work out, a little at a time, what the all-namespaces view will need (each pod's
    cells, each namespace's DNS records), so pressing `0` at 100,000 pods shows them at
    once instead of formatting every pod first. The dashboard calls this when it is idle,
    with a few milliseconds each time; True when nothing is left to do."""

    deadline = time.perf_counter() + budget
    store = cluster.store
    state = _cache(cluster, "warm")
    cache = _cache(cluster, "pods")
    version = store.kind_version("Pod")
    if state.get("pods_done") != version:
        todo = state.get("pods_todo")
        if todo is None or state.get("pods_of") != version:
            todo = state["pods_todo"] = store.list("Pod")
            state["pods_of"], state["pods_at"] = version, 0
        now = cluster.now()
        i = state["pods_at"]
        while i < len(todo):
            p = todo[i]
            ent = cache.get(id(p))
            if ent is None or ent[0] is not p:
                _pod_entry(cache, p, now)
            i += 1
            if not i % 64 and time.perf_counter() > deadline:
                state["pods_at"] = i
                return False
        state["pods_done"], state["pods_todo"] = version, None
    dns = getattr(cluster, "coredns", None)
    if dns is not None and hasattr(dns, "record_namespaces"):
        for ns in dns.record_namespaces():
            if dns_version(cluster, ns) == _cache(cluster, "dns").get(ns, {}).get("version"):
                continue  # listed already
            dns_rows(cluster, ns)
            if time.perf_counter() > deadline:
                return False
    return True


def service_rows(cluster: Cluster, namespace: str | None = "default") -> list[Row]:
    now = cluster.now()
    cache = _cache(cluster, "services")
    svcs = cluster.store.list("Service", namespace) if namespace is not None else cluster.store.list("Service")
    _prune(cache, len(svcs))
    rows = []
    for s in svcs:
        key = (_key(s), namespace is None)
        ent = cache.get(key)
        if ent is None or ent[0] is not s:  # no AGE shown: a version's row never changes
            _, (cells,) = printers.table("Service", [s], now=now, wide=True)
            name = cells[0] if namespace is not None else f"{meta(s).get('namespace')}/{cells[0]}"
            row = Row(_key(s), (name, cells[1], cells[2], cells[4], cells[6], cells[3]))
            row.filter_text  # built with the row (cached)
            ent = cache[key] = (s, row)
        rows.append(ent[1])
    return rows


def slices_of(cluster: Cluster, ns: str, name: str) -> list[dict]:
    return cluster.store.by_label("EndpointSlice", ns, SERVICE_NAME_LABEL, name)


def endpoint_rows(cluster: Cluster, namespace: str | None = "default") -> list[Row]:
    cache = _cache(cluster, "endpoints")
    eps = cluster.store.list("Endpoints", namespace) if namespace is not None else cluster.store.list("Endpoints")
    _prune(cache, len(eps))
    rows = []
    for ep in eps:
        ns, name = meta(ep).get("namespace") or "", meta(ep)["name"]
        slices = tuple(meta(s)["name"] for s in slices_of(cluster, ns, name))
        key = (ns, name, namespace is None)
        ent = cache.get(key)
        if ent is None or ent[0] is not ep or ent[1] != slices:
            ready = printers.format_endpoints(ep) or ""
            not_ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses") or []]
            shown = name if namespace is not None else f"{ns}/{name}"
            row = Row(_key(ep), (shown, ready, ",".join(not_ready) or "", ",".join(slices) or "<none>"),
                      "" if ready not in ("", "<none>") else "notready")
            row.filter_text  # built with the row (cached)
            ent = cache[key] = (ep, slices, row)
        rows.append(ent[2])
    rows += _slice_only_rows(cluster, namespace, {_key(ep) for ep in eps})
    return rows


def _slice_only_rows(cluster: Cluster, namespace: str | None, have: set[str]) -> list[Row]:
    """A Service whose EndpointSlices someone wrote by hand, with no Endpoints object (a
    selector-less Service: kube-proxy and CoreDNS read the slices alone): its row from the
    slices, the addresses laid out as `kubectl get endpoints` would lay them out."""
    cache = _cache(cluster, "slice-only")
    version = (namespace, cluster.store.kind_version("EndpointSlice"), cluster.store.kind_version("Endpoints"))
    if cache.get("version") == version:  # (listing every slice per refresh cost an attach seconds)
        return cache["rows"]
    groups: dict[str, list[dict]] = {}
    for sl in cluster.store.list("EndpointSlice", namespace) if namespace is not None else \
            cluster.store.list("EndpointSlice"):
        svc = (meta(sl).get("labels") or {}).get(SERVICE_NAME_LABEL)
        key = f"{meta(sl).get('namespace') or ''}/{svc}"
        if svc and key not in have:
            groups.setdefault(key, []).append(sl)
    rows = []
    for key, slices in sorted(groups.items()):
        subsets = []
        for sl in slices:
            ready, not_ready = [], []
            for e in sl.get("endpoints") or []:
                if (e.get("addresses") or [None])[0] is None:
                    continue
                ok = (e.get("conditions") or {}).get("ready") is not False
                (ready if ok else not_ready).append({"ip": e["addresses"][0]})
            subsets.append({"addresses": ready, "notReadyAddresses": not_ready, "ports": sl.get("ports") or []})
        shown = key.split("/", 1)[1] if namespace is not None else key
        listed = printers.format_endpoints({"subsets": subsets}) or ""
        waiting = ",".join(a["ip"] for ss in subsets for a in ss["notReadyAddresses"])
        rows.append(Row(key, (shown, listed, waiting, ",".join(meta(sl)["name"] for sl in slices)),
                        "" if listed not in ("", "<none>") else "notready"))
    cache["version"], cache["rows"] = version, rows
    return rows


def not_ready_nodes(cluster: Cluster) -> list[str]:
    """The nodes whose Ready condition is not True (`kubectl get nodes`' NotReady): the
    header counts them, so a node down (`docker stop`) is seen before its pods go."""
    return [meta(n)["name"] for n in cluster.store.list("Node") if ready_status(n) != "True"]


def dns_serving(cluster: Cluster):
    """Whether CoreDNS is reachable behind kube-dns (`engine.dns.coredns.Serving`)."""
    dns = getattr(cluster, "coredns", None)
    return dns.serving() if dns is not None and hasattr(dns, "serving") else None


def dns_version(cluster: Cluster, namespace: str | None) -> tuple | None:
    """What changes when `dns_rows(cluster, namespace)` would change."""
    dns = getattr(cluster, "coredns", None)
    return dns.records_version_of(namespace) if dns is not None else None


def dns_line(cells) -> str:
    """A CoreDNS row as one line, `name → value`, for a pane too narrow for the table:
    the name as CoreDNS serves it (FQDN, trailing dot), the type shown only when the
    value is not an address (`→ PTR …`, `→ SRV 0 100 6379 …`), as the record's own
    description (`ZoneRecord.describe`) writes it."""
    name, rtype, value = (list(cells) + ["", "", ""])[:3]
    return f"{name} → {value}" if rtype in ("A", "AAAA") else f"{name} → {rtype} {value}"


def dns_rows(cluster: Cluster, namespace: str | None = None) -> list[Row]:
    """The CoreDNS pane's rows (what `engine.views.dataplane.dns_rows` gives) of one namespace or
    all, recomputed only when that namespace's records changed: at 10,000 Services a change
    in one namespace re-lists its ~2,000 records, not the 230,000 of the cluster."""
    version = dns_version(cluster, namespace)
    cache = _cache(cluster, "dns").setdefault(namespace, {})
    if version is None or cache.get("version") != version:
        dns = getattr(cluster, "coredns", None)
        if namespace is None and dns is not None and hasattr(dns, "record_namespaces"):
            # Every namespace's rows, in namespace order (what `record_rows()` sorts by first):
            # a change re-lists its own namespace and joins the rest as they were.
            rows: list[Row] = []
            for ns in dns.record_namespaces():
                rows.extend(dns_rows(cluster, ns))
            cache["rows"] = rows
        else:
            cache["rows"] = dataplane.dns_rows(cluster, namespace)
        cache["version"] = version
    return cache["rows"]


def proxy_lines(cluster: Cluster, node: str, mode: str) -> list[str]:
    """The kube-proxy pane's lines (what `engine.views.dataplane.proxy_lines` gives), split
    once per version of the node's rules; when only the clock moved, the few
    timestamp lines are patched (at 10,000 Services the text is 470,000 lines)."""
    kp = getattr(cluster, "kube_proxy", None)
    if kp is None:
        return []
    if mode == "iptables" and hasattr(kp, "iptables_save_lines"):
        return kp.iptables_save_lines(node)  # kept per chain and per clock second there
    token = kp.rules_token(node, mode)
    cache = _cache(cluster, "proxy")
    ent = cache.get((node, mode))
    ts = kp.save_timestamp()
    if ent is None or ent[0] != token:
        # `nft list ruleset` indents with TABs; a terminal cell is one character, so the
        # pane gets them expanded to the 8-column stops a terminal would use (the CLI's
        # `proxy-rules --mode nftables` keeps nft's exact bytes).
        lines = [line.expandtabs(8) if "\t" in line else line
                 for line in dataplane.proxy_lines(cluster, node, mode)]
        stamps = [i for i, line in enumerate(lines) if line.startswith(("# Generated by ", "# Completed on "))
                  and line.endswith(ts)]
        cache[(node, mode)] = [token, lines, stamps, ts]
        return lines
    if ent[3] != ts:
        lines = list(ent[1])
        for i in ent[2]:
            lines[i] = lines[i][: len(lines[i]) - len(ent[3])] + ts
        ent[1], ent[3] = lines, ts
    return ent[1]


_REGEX_SYNTAX = frozenset(".^$*+?{}[]\\|()\n")
_UNSAFE_FOR_JOINED = ("\\A", "\\Z", "\\z", "\\n", "\\s", "\\S", "\\W", "\\D", "[^", "(?s", "(?m", "(?x")


class FilterTexts:
    """The texts `filter_rows` searches, per row list (the last few lists filtered): kept by
    whoever shows the rows -- the dashboard -- so a second filter of the same 100,000 rows
    searches at once."""

    def __init__(self, keep: int = 8) -> None:
        self._texts: dict[int, list] = {}
        self.keep = keep

    def of(self, rows: list[Row]) -> list:
        """[rows, their text, where each row starts in it, the text lower-cased or None]."""
        ent = self._texts.get(id(rows))
        if ent is None or ent[0] is not rows:
            parts = [r.filter_text for r in rows]
            starts = [0, *accumulate(map(len, parts))][:-1] if parts else []
            ent = [rows, "".join(parts), starts, None]
            if len(self._texts) >= self.keep:
                self._texts.pop(next(iter(self._texts)))
            self._texts[id(rows)] = ent
        return ent

    def prepare(self, rows: list[Row]) -> None:
        """Build the text for this list now (when a big list is made), so the first `/` at
        100,000 rows costs a search, not the text."""
        ent = self.of(rows)
        if ent[3] is None and ent[1].isascii():
            ent[3] = ent[1].lower()


def filter_rows(rows: list[Row], pattern, texts: FilterTexts | None = None) -> list[Row]:
    """Rows with a cell the compiled regex `pattern` finds something in (the `/` filter).

    Every cell of every row is one line of a text kept per row list (in ``texts``, which
    the dashboard keeps; without it the text is built for this call); the pattern (in
    multiline mode, so `^` and `$` still mean a cell's edges) is searched there from
    row to row, in C, instead of once per cell in Python: at 100,000 rows a selective
    filter costs milliseconds. Patterns that could see past a cell's end (\\A, \\s,
    [^...], DOTALL, ...) are tested cell by cell, the plain way; both give the same rows."""
    if pattern is None:
        return rows

    slow = [r for r in rows if any(pattern.search(c) for c in r.cells)] if any(
        t in pattern.pattern for t in _UNSAFE_FOR_JOINED) else None
    if slow is not None:
        return slow
    try:
        joined = re.compile(pattern.pattern, pattern.flags | re.M)
    except re.error:
        return [r for r in rows if any(pattern.search(c) for c in r.cells)]
    ent = (texts or FilterTexts(keep=1)).of(rows)
    _, text, starts, _lower = ent
    out: list[Row] = []
    literal = pattern.pattern
    if literal and text.isascii() and literal.isascii() and not any(ch in _REGEX_SYNTAX for ch in literal) \
            and not pattern.flags & (re.M | re.S | re.X):
        # A plain word (what `/` mostly gets): str.find, on lower-cased text for re.I.
        if pattern.flags & re.I:
            if ent[3] is None:
                ent[3] = text.lower()
            text, literal = ent[3], literal.lower()
        pos, n = 0, len(rows)
        while True:
            at = text.find(literal, pos)
            if at < 0:
                break
            i = bisect_right(starts, at) - 1
            out.append(rows[i])
            if i + 1 >= n:
                break
            pos = starts[i + 1]
        return rows if len(out) == n else out  # (every row: the very list, which a table remembers)
    search = joined.search
    pos, n = 0, len(rows)
    while True:
        m = search(text, pos)
        if m is None or m.start() >= len(text):  # (an empty match after the last line)
            break
        i = bisect_right(starts, m.start()) - 1
        out.append(rows[i])
        if i + 1 >= n:
            break
        pos = starts[i + 1]
    return rows if len(out) == n else out


# -- linked selection ------------------------------------------------------------------

def links_for_service(cluster: Cluster, ns: str, name: str) -> Links:
    svc = cluster.store.get("Service", ns, name)
    links = Links(services={f"{ns}/{name}"})
    if svc is None:
        return links
    links.endpoints.add(f"{ns}/{name}")
    sel = (svc.get("spec") or {}).get("selector") or {}
    for p in cluster.store.select("Pod", ns, sel):
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
        if sel and service_selects(sel, labels_of(pod)):
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
        return ["no selector: endpoints come from an Endpoints object or EndpointSlice you write yourself"]
    pods = cluster.store.list("Pod", ns)
    matching = [p for p in pods if service_selects(sel, labels_of(p))]
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
