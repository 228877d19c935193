"""kubectl's read commands over a simulated cluster: get, describe.

This is the shared implementation behind the headless CLI, `svcflow session` and the
dashboard's `:` prompt: argument handling (TYPE/NAME, `all`, `svc,ep`, -n, -A, -o, -l),
what goes to stdout vs stderr, and kubectl's exit codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.apiserver import ApiError
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
        try:
            texts.append(describe_printer.describe(info.kind, obj, lister=_lister(cluster), now=cluster.now()))
        except ValueError:  # a kind svcflow has no describer for: say so, never fall over
            out.stderr += f"error: svcflow does not describe {info.qualified_plural} yet\n"
            out.code = 1
            continue
        out.objects.append(obj)
    out.stdout = "\n\n".join(texts)  # kubectl's separator between described objects
    return out


def events(cluster: Cluster, *, include_boot: bool = False) -> Output:
    log = cluster.flow_events
    start = 0 if include_boot else getattr(cluster, "boot_events", 0)
    out = Output(stdout="".join(e.line() + "\n" for e in log.since(start)))
    if log.dropped > start:
        out.stderr = f"svcflow: the {log.dropped - start:,} oldest events are not kept (the log keeps the last {log.keep:,})\n"
    return out


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
        try:
            gone = cluster.api.delete_object(info.kind, ns if info.namespaced else "", name)
        except ApiError as e:  # a namespace the cluster cannot do without
            out.stderr += e.message + "\n"
            out.code = 1
            continue
        if gone is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        label = f"{info.kind.lower()}.{info.group}" if info.group else info.kind.lower()
        tail = f" from {ns} namespace" if info.namespaced else ""
        out.stdout += f'{label} "{name}" deleted{tail}\n'
    return out


def scale(cluster: Cluster, args: list[str], *, namespace: str | None = None, replicas: int | None = None) -> Output:
    """`kubectl scale deploy/NAME --replicas=N` -> `deployment.apps/NAME scaled`."""
    out = Output()
    ns = namespace or "default"
    if replicas is None:
        out.stderr, out.code = "error: required flag(s) \"replicas\" not set\n", 1
        return out
    targets = [a.split("/", 1) for a in args] if all("/" in a for a in args) else [[args[0], n] for n in args[1:]]
    for t, name in targets:
        try:
            info = printers.resolve_resource(t)
        except printers.ResourceError as e:
            out.stderr, out.code = f"{e}\n", 1
            return out
        obj = cluster.store.get(info.kind, ns, name)
        if obj is None or info.kind not in ("Deployment", "ReplicaSet"):
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        new = {**obj, "spec": {**obj["spec"], "replicas": replicas}}
        cluster.store.update(new)
        out.stdout += f"{info.qualified}/{name} scaled\n"
    return out


def pod_for(cluster: Cluster, target: str, namespace: str) -> dict | None:
    """The pod `kubectl exec TARGET` picks: `NAME`, `pod/NAME`, or `deploy/NAME` (its first
    running pod, as kubectl's attachablePodForObject does)."""
    if "/" in target:
        kind, name = target.split("/", 1)
        if kind in ("deploy", "deployment", "deployments", "deployment.apps", "deployments.apps"):
            d = cluster.store.get("Deployment", namespace, name)
            if d is None:
                return None
            sel = d["spec"]["selector"].get("matchLabels") or {}
            return next((p for p in cluster.store.select("Pod", namespace, sel)
                         if (p.get("status") or {}).get("phase") == "Running"), None)
        if kind in ("pod", "pods", "po"):
            target = name
    return cluster.store.get("Pod", namespace, target)


def owner_deployment(cluster: Cluster, namespace: str, pod_name: str) -> dict | None:
    pod = cluster.store.get("Pod", namespace, pod_name)
    for o in (pod or {}).get("metadata", {}).get("ownerReferences") or []:
        if o.get("kind") == "ReplicaSet":
            rs = cluster.store.get("ReplicaSet", namespace, o["name"])
            for d in (rs or {}).get("metadata", {}).get("ownerReferences") or []:
                if d.get("kind") == "Deployment":
                    return cluster.store.get("Deployment", namespace, d["name"])
    return None


def scale_owner_of_pod(cluster: Cluster, namespace: str, pod_name: str, delta: int) -> Output | None:
    d = owner_deployment(cluster, namespace, pod_name)
    if d is None:
        return None
    n = max(0, int(d["spec"].get("replicas", 1)) + delta)
    return scale(cluster, [f"deployment/{d['metadata']['name']}"], namespace=namespace, replicas=n)


def toggle_readiness(cluster: Cluster, namespace: str, pod_name: str) -> Output:
    """Flip a running pod's readiness (its probe starts failing, or recovers)."""
    pod = cluster.store.get("Pod", namespace, pod_name)
    if pod is None:
        return Output(stderr=f'Error from server (NotFound): pods "{pod_name}" not found\n', code=1)
    from engine.objects import pod_is_ready

    ready = not pod_is_ready(pod)
    if not cluster.kubelet.set_readiness(namespace, pod_name, ready):
        return Output(stderr=f"pod/{pod_name} is not running\n", code=1)
    return Output(stdout=f"pod/{pod_name} readiness probe {'passing' if ready else 'failing'}\n")


def label(cluster: Cluster, args: list[str], *, namespace: str | None = None, overwrite: bool = False) -> Output:
    """`kubectl label TYPE NAME k=v k-` -> `pod/NAME labeled`."""
    out = Output()
    ns = namespace or "default"
    if "/" in args[0]:
        t, name = args[0].split("/", 1)
        changes = args[1:]
    else:
        t, name, changes = args[0], args[1], args[2:]
    try:
        info = printers.resolve_resource(t)
    except printers.ResourceError as e:
        return Output(stderr=f"{e}\n", code=1)
    obj = cluster.store.get(info.kind, ns if info.namespaced else "", name)
    if obj is None:
        return Output(stderr=printers.not_found_message(info, name) + "\n", code=1)
    labels = dict(obj["metadata"].get("labels") or {})
    for ch in changes:
        if ch.endswith("-"):
            labels.pop(ch[:-1], None)
        elif "=" in ch:
            k, v = ch.split("=", 1)
            if k in labels and labels[k] != v and not overwrite:
                return Output(stderr=f"error: '{k}' already has a value ({labels[k]}), and --overwrite is false\n", code=1)
            labels[k] = v
    new = {**obj, "metadata": {**obj["metadata"], "labels": labels}}
    cluster.store.update(new)
    out.stdout = f"{info.kind.lower()}/{name} labeled\n" if not info.group else f"{info.qualified}/{name} labeled\n"
    return out


def rollout_restart(cluster: Cluster, args: list[str], *, namespace: str | None = None) -> Output:
    """`kubectl rollout restart deploy/NAME`: a new template annotation, so a new ReplicaSet."""
    ns = namespace or "default"
    t, name = args[0].split("/", 1) if "/" in args[0] else (args[0], args[1])
    info = printers.resolve_resource(t)
    obj = cluster.store.get(info.kind, ns, name)
    if obj is None:
        return Output(stderr=printers.not_found_message(info, name) + "\n", code=1)
    import copy

    new = copy.deepcopy(obj)
    tmpl_md = new["spec"]["template"].setdefault("metadata", {})
    tmpl_md.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = cluster.now().strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    cluster.store.update(new)
    return Output(stdout=f"{info.qualified}/{name} restarted\n")


def drain(cluster: Cluster, node: str) -> Output:
    """`kubectl drain NODE --ignore-daemonsets`: cordon, then evict the node's pods."""
    n = cluster.store.get("Node", "", node)
    if n is None:
        return Output(stderr=f'Error from server (NotFound): nodes "{node}" not found\n', code=1)
    import copy

    new = copy.deepcopy(n)
    new["spec"]["unschedulable"] = True
    taints = new["spec"].setdefault("taints", [])
    if not any(t.get("key") == "node.kubernetes.io/unschedulable" for t in taints):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                       "timeAdded": cluster.now_str()})
    cluster.store.update(new)
    out = Output(stdout=f"node/{node} cordoned\n")
    pods = [p for p in cluster.store.list("Pod") if p["spec"].get("nodeName") == node]
    ds = [p for p in pods if any(o.get("kind") == "DaemonSet" for o in p["metadata"].get("ownerReferences") or [])]
    static = [p for p in pods if any(o.get("kind") == "Node" for o in p["metadata"].get("ownerReferences") or [])]
    if ds:
        out.stderr += ("Warning: ignoring DaemonSet-managed Pods: "
                       + ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in ds) + "\n")
    for p in pods:
        if p in ds or p in static:
            continue
        ns, name = p["metadata"]["namespace"], p["metadata"]["name"]
        out.stdout += f"evicting pod {ns}/{name}\n"
        cluster.api.delete_object("Pod", ns, name)
        out.stdout += f"pod/{name} evicted\n"
    out.stdout += f"node/{node} drained\n"
    return out


def run_line(cluster: Cluster, line: str) -> Output:
    """One `kubectl ...` line as typed in a terminal (the dashboard's `:` prompt)."""
    import shlex

    try:
        argv = shlex.split(line)
    except ValueError as e:
        return Output(stderr=f"error: {e}\n", code=1)
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    if not argv:
        return Output()
    verb, rest = argv[0], argv[1:]
    opts: dict[str, str | bool] = {}
    pos: list[str] = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in ("-n", "--namespace", "-o", "--output", "-l", "--selector") and i + 1 < len(rest):
            opts[a.lstrip("-")[0] if a in ("-n", "-o", "-l") else {"namespace": "n", "output": "o", "selector": "l"}[a[2:]]] = rest[i + 1]
            i += 2
            continue
        if a.startswith("--replicas="):
            opts["replicas"] = a.split("=", 1)[1]
        elif a.startswith(("-o=", "--output=")):
            opts["o"] = a.split("=", 1)[1]
        elif a.startswith("--namespace="):
            opts["n"] = a.split("=", 1)[1]
        elif a in ("-A", "--all-namespaces"):
            opts["A"] = True
        elif a.startswith("--image="):
            opts["image"] = a.split("=", 1)[1]
        elif a == "--overwrite":
            opts["overwrite"] = True
        elif a.startswith("-o") and len(a) > 2:
            opts["o"] = a[2:]
        elif a.startswith("--"):
            pass  # flags svcflow accepts and ignores (--ignore-daemonsets, ...)
        else:
            pos.append(a)
        i += 1
    ns = opts.get("n")  # type: ignore[assignment]
    if verb == "get" and pos:
        return get(cluster, pos, namespace=ns, all_namespaces=bool(opts.get("A")),  # type: ignore[arg-type]
                   output=opts.get("o"), selector=opts.get("l"))  # type: ignore[arg-type]
    if verb == "describe" and pos:
        return describe(cluster, pos, namespace=ns)  # type: ignore[arg-type]
    if verb == "delete" and len(pos) == 1 and opts.get("l"):
        info = printers.resolve_resource(pos[0])
        objs = [o for o in cluster.store.list(info.kind, ns or "default") if _selected(o, _parse_selector(str(opts["l"])))]
        if not objs:
            return Output(stderr="No resources found\n")
        return delete(cluster, [pos[0]] + [o["metadata"]["name"] for o in objs], namespace=ns)  # type: ignore[arg-type]
    if verb == "delete" and pos:
        return delete(cluster, pos, namespace=ns)  # type: ignore[arg-type]
    if verb == "scale" and pos:
        reps = opts.get("replicas")
        return scale(cluster, pos, namespace=ns, replicas=int(reps) if reps is not None else None)  # type: ignore[arg-type]
    if verb == "label" and len(pos) >= 2:
        return label(cluster, pos, namespace=ns, overwrite=bool(opts.get("overwrite")))  # type: ignore[arg-type]
    if verb == "rollout" and pos[:1] == ["restart"] and len(pos) >= 2:
        return rollout_restart(cluster, pos[1:], namespace=ns)  # type: ignore[arg-type]
    if verb == "drain" and pos:
        return drain(cluster, pos[0])
    if verb == "create" and len(pos) == 2 and pos[0] in ("namespace", "ns"):
        return create_namespace(cluster, pos[1])
    if verb == "run" and pos and opts.get("image"):
        return run_pod(cluster, pos[0], str(opts["image"]), namespace=ns)  # type: ignore[arg-type]
    return Output(stderr=f'error: unknown command "{verb}" for "kubectl"\n', code=1)


def create_namespace(cluster: Cluster, name: str) -> Output:
    """`kubectl create namespace NAME`."""
    from engine.apiserver import ApiError

    try:
        cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    except ApiError as e:
        return Output(stderr=e.message + "\n", code=1)
    return Output(stdout=f"namespace/{name} created\n")


def run_pod(cluster: Cluster, name: str, image: str, *, namespace: str | None = None) -> Output:
    """`kubectl run NAME --image=IMAGE`: a bare pod labelled run=NAME."""
    from engine.apiserver import ApiError

    ns = namespace or "default"
    try:
        cluster.api.create({"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": name, "namespace": ns, "labels": {"run": name}},
                            "spec": {"containers": [{"name": name, "image": image}]}})
    except ApiError as e:
        return Output(stderr=e.message + "\n", code=1)
    return Output(stdout=f"pod/{name} created\n")
