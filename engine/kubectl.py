"""kubectl's read commands over a simulated cluster: get, describe.

This is the shared implementation behind the headless CLI, `svcflow session` and the
dashboard's `:` prompt: argument handling (TYPE/NAME, `all`, `svc,ep`, -n, -A, -o, -l),
what goes to stdout vs stderr, and kubectl's exit codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from engine.cluster import Cluster
from engine.objects import labels_of
from engine.printers import describe as describe_printer
from engine.printers import get as printers
from engine.store import CLUSTER_SCOPED

ALL_KINDS = ["Pod", "ReplicationController", "Service", "DaemonSet", "Deployment", "ReplicaSet",
             "StatefulSet", "HorizontalPodAutoscaler", "CronJob", "Job"]
ENDPOINTS_WARNING = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"


@dataclass
class Output:
    """What a kubectl command wrote, and its exit code."""

    stdout: str = ""
    stderr: str = ""
    code: int = 0
    warnings: str = ""  # printed before stdout, as the API response's Warning headers are
    objects: list[dict] = field(default_factory=list)


def _parse_selector(sel: str | None) -> list[tuple[str, str, str]]:
    """Equality selectors `a=b,c!=d,e` (the forms people type)."""
    out = []
    for part in (sel or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "==" in part or "=" in part:
            k, v = part.replace("==", "=").split("=", 1)
            out.append((k.strip(), "=", v.strip()))
        elif part.startswith("!"):
            out.append((part[1:], "!", ""))
        else:
            out.append((part, "exists", ""))
    return out


def _selected(obj: dict, sel: list[tuple[str, str, str]]) -> bool:
    labels = labels_of(obj)
    for k, op, v in sel:
        if op == "=" and labels.get(k) != v:
            return False
        if op == "!=" and labels.get(k) == v:
            return False
        if op == "exists" and k not in labels:
            return False
        if op == "!" and k in labels:
            return False
    return True


def _lister(cluster: Cluster):
    def lister(kind: str, namespace: str | None) -> list[dict]:
        return cluster.store.list(kind, None if namespace is None else ("" if kind in CLUSTER_SCOPED else namespace))
    return lister


def get(cluster: Cluster, args: list[str], *, namespace: str | None = None, all_namespaces: bool = False,
        output: str | None = None, selector: str | None = None) -> Output:
    out = Output()
    ns = namespace or "default"
    # TYPE/NAME forms, or TYPE[,TYPE] NAME...
    requests: list[tuple[object, list[str]]] = []
    try:
        if all("/" in a for a in args):
            for a in args:
                t, name = a.split("/", 1)
                info = printers.resolve_resource(t)
                if requests and requests[-1][0] == info:
                    requests[-1][1].append(name)
                else:
                    requests.append((info, [name]))
        elif any("/" in a for a in args):
            out.stderr = "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'\n"
            out.code = 1
            return out
        else:
            types = args[0].split(",")
            names = args[1:]
            infos = []
            for t in types:
                if t == "all":
                    infos += [printers.resolve_resource(k.lower()) for k in ALL_KINDS if _served(k)]
                else:
                    infos.append(printers.resolve_resource(t))
            for info in infos:
                requests.append((info, list(names)))
    except printers.ResourceError as e:
        out.stderr = f"{e}\n"
        out.code = 1
        return out
    multi = len(requests) > 1
    sel = _parse_selector(selector)
    groups: list[tuple[str, list[dict]]] = []
    errors: list[str] = []
    for info, names in requests:
        kind = info.kind
        if kind == "Endpoints" and not out.warnings:
            out.warnings += ENDPOINTS_WARNING
        scope = None if (all_namespaces or not info.namespaced) else ns
        if names:
            objs = []
            for n in names:
                o = cluster.store.get(kind, "" if not info.namespaced else ns, n)
                if o is None:
                    errors.append(printers.not_found_message(info, n))
                else:
                    objs.append(o)
        else:
            objs = [o for o in cluster.store.list(kind, "" if not info.namespaced and scope is not None else scope)
                    if _selected(o, sel)]
        groups.append((kind, objs))
    everything = [o for _, objs in groups for o in objs]
    out.objects = everything
    if output in ("yaml", "json"):
        # A single named object prints bare; anything else (even nothing) as a List.
        render = printers.to_yaml if output == "yaml" else printers.to_json
        single = len(everything) == 1 and not multi and _single_name(requests)
        out.stdout = render(everything[0] if single else everything)
    elif output == "name":
        out.stdout = printers.print_name(everything)
    else:
        now = cluster.now()
        show_kind = len({info.kind for info, _ in requests}) > 1
        tables = [(k, objs) for k, objs in groups if objs]
        out.stdout = printers.print_get_all(tables, now=now, wide=output == "wide", show_kind=show_kind,
                                            all_namespaces=all_namespaces) if tables else ""
    if not everything and not errors and output not in ("yaml", "json", "name"):
        out.stderr += printers.no_resources_message(ns, all_namespaces or not any(i.namespaced for i, _ in requests)) + "\n"
    for e in errors:
        out.stderr += e + "\n"
    out.code = 1 if errors else 0
    return out


def _single_name(requests) -> bool:
    return len(requests) == 1 and len(requests[0][1]) == 1


def _served(kind: str) -> bool:
    try:
        printers.resolve_resource(kind.lower())
        return True
    except printers.ResourceError:
        return False


def describe(cluster: Cluster, args: list[str], *, namespace: str | None = None) -> Output:
    out = Output()
    ns = namespace or "default"
    try:
        if len(args) == 1 and "/" in args[0]:
            t, name = args[0].split("/", 1)
            pairs = [(printers.resolve_resource(t), name)]
        elif len(args) >= 2:
            info = printers.resolve_resource(args[0])
            pairs = [(info, n) for n in args[1:]]
        else:
            info = printers.resolve_resource(args[0])
            objs = cluster.store.list(info.kind, ns if info.namespaced else "")
            pairs = [(info, o["metadata"]["name"]) for o in objs]
            if not pairs:
                out.stderr = printers.no_resources_message(ns, not info.namespaced) + "\n"
                return out
    except printers.ResourceError as e:
        out.stderr, out.code = f"{e}\n", 1
        return out
    texts = []
    for info, name in pairs:
        if info.kind == "Endpoints" and not out.warnings:
            out.warnings += ENDPOINTS_WARNING
        obj = cluster.store.get(info.kind, ns if info.namespaced else "", name)
        if obj is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        texts.append(describe_printer.describe(info.kind, obj, lister=_lister(cluster), now=cluster.now()))
        out.objects.append(obj)
    out.stdout = "\n\n".join(texts)  # kubectl's separator between described objects
    return out


def events(cluster: Cluster, *, include_boot: bool = False) -> Output:
    start = 0 if include_boot else getattr(cluster, "boot_events", 0)
    return Output(stdout="".join(e.line() + "\n" for e in cluster.flow_events[start:]))


def delete(cluster: Cluster, args: list[str], *, namespace: str | None = None) -> Output:
    """`kubectl delete TYPE NAME` / `TYPE/NAME`: kubectl v1.33's line names the namespace."""
    out = Output()
    ns = namespace or "default"
    try:
        if all("/" in a for a in args):
            pairs = [(printers.resolve_resource(a.split("/", 1)[0]), a.split("/", 1)[1]) for a in args]
        else:
            info = printers.resolve_resource(args[0])
            pairs = [(info, n) for n in args[1:]]
    except printers.ResourceError as e:
        out.stderr, out.code = f"{e}\n", 1
        return out
    for info, name in pairs:
        gone = cluster.api.delete_object(info.kind, ns if info.namespaced else "", name)
        if gone is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        label = f"{info.kind.lower()}.{info.group}" if info.group else info.kind.lower()
        tail = f" from {ns} namespace" if info.namespaced else ""
        out.stdout += f'{label} "{name}" deleted{tail}\n'
    return out
