"""`kubectl expose (TYPE NAME | TYPE/NAME) [--port=P] ...` (kubectl v1.33, pkg/cmd/expose and
the polymorphichelpers it asks): a new Service for a Pod, Service, ReplicaSet, Deployment or
ReplicationController.

What the exposed object does not say is taken from it: the selector (a Deployment's or
ReplicaSet's matchLabels, a Service's selector, a Pod's labels), the ports (its containers'
ports, each once; one port is the Service's `port`, several are named port-1, port-2, ...)
and their protocols, and the Service's labels (the object's own). The target port is the
port unless `--target-port` says otherwise. The Service then goes through the cluster's API
server as `kubectl create` sends it (engine.kubectl.create.send).
"""
from __future__ import annotations

from engine.api.gostrconv import go_quote
from engine.cluster.cluster import Cluster
from engine.kubectl import writeprint
from engine.kubectl.cliflags import Output, UsageError, dry_run_strategy, parse_flags, usage_error
from engine.kubectl.create import Request, send
from engine.kubectl.printers.get import ResourceError, not_found_message, resolve_resource

FLAGS: dict[str, tuple[str, str]] = {
    "namespace": ("n", "str"), "output": ("o", "str"), "dry-run": ("", "str"), "save-config": ("", "bool"),
    "field-manager": ("", "str"), "filename": ("f", "strings"), "recursive": ("R", "bool"),
    "protocol": ("", "str"), "port": ("", "str"), "type": ("", "str"), "load-balancer-ip": ("", "str"),
    "selector": ("", "str"), "labels": ("l", "str"), "target-port": ("", "str"), "external-ip": ("", "str"),
    "name": ("", "str"), "session-affinity": ("", "str"), "cluster-ip": ("", "str"), "record": ("", "bool"),
    "overrides": ("", "str"), "show-managed-fields": ("", "bool"), "template": ("", "str"),
    "allow-missing-template-keys": ("", "bool"),
}
#: CanBeExposed: the group/kinds expose takes.
EXPOSABLE = frozenset({("", "ReplicationController"), ("", "Service"), ("", "Pod"), ("apps", "Deployment"),
                       ("apps", "ReplicaSet")})
#: validation.DNS1035LabelMaxLength: a longer object's name is cut to it.
NAME_MAX = 63

_NO_RESOURCE = ("error: You must provide one or more resources by argument or filename.\n"
                "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                "   '<resource> <name>'\n   '<resource>'\n")


def run(cluster: Cluster, argv: list[str]) -> Output:
    """`kubectl expose ARGS...` (what follows `expose`)."""
    try:
        opts, args = parse_flags(argv, "expose", FLAGS)
    except UsageError as e:
        return usage_error("expose", str(e))
    for unsupported in ("filename", "overrides", "save-config", "record", "show-managed-fields"):
        if opts.get(unsupported):
            return Output(stderr=f"error: svcflow's expose does not take --{unsupported}; the real kubectl does, "
                                 "against `svcflow serve`\n", code=1)
    try:
        dry, warning = dry_run_strategy(opts.get("dry-run"), cluster.now())
    except ValueError as e:
        return Output(stderr=f"error: {e}\n", code=1)
    problem = writeprint.output_error(opts.get("output"), opts.get("template"))
    if problem:
        return Output(stderr=f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), code=1, warnings=warning)
    req = Request("expose", opts, args, dry, opts.get("namespace") or "default", bool(opts.get("namespace")))
    out = _expose(cluster, req)
    out.warnings = warning + out.warnings
    return out


def _targets(args: list[str]) -> list[tuple[object, str]] | str:
    """The resource builder's ResourceTypeOrNameArgs: (info, name) pairs, or its error."""
    if not args:
        return _NO_RESOURCE
    try:
        if all("/" in a for a in args):
            return [(resolve_resource(a.split("/", 1)[0]), a.split("/", 1)[1]) for a in args]
        if any("/" in a for a in args):
            return ("error: there is no need to specify a resource type as a separate argument when passing "
                    "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
                    "'kubectl get resource resource/<resource_name>'\n")
        info = resolve_resource(args[0].split(",")[0])
    except ResourceError as e:
        return f"{e}\n"
    if len(args) == 1:
        return "error: resource(s) were provided, but no name was specified\n"
    return [(info, n) for n in args[1:]]


def _expose(cluster: Cluster, req: Request) -> Output:
    targets = _targets(req.args)
    if isinstance(targets, str):
        return Output(stderr=targets, code=1)
    out = Output()
    made_objs: list[dict] = []
    for info, name in targets:
        obj = cluster.store.get(info.kind, req.namespace if info.namespaced else "", name)  # type: ignore[attr-defined]
        if obj is None:
            out.stderr += not_found_message(info, name) + "\n"  # type: ignore[arg-type]
            out.code = 1
            continue
        made, err = _expose_one(cluster, req, info, obj)
        if made is None:
            out.stderr += err
            out.code = 1
            break  # (RunExpose's visitor stops at its first error)
        made_objs.append(made)
    # (ClientForMapping decodes the answer into a corev1.Service: printed as Go marshals it)
    out.stdout = writeprint.printed([writeprint.go_typed(o) for o in made_objs], req.output, "exposed", req.dry_run,
                                    typed=True)
    return out


def _expose_one(cluster: Cluster, req: Request, info, obj: dict) -> tuple[dict | None, str]:
    if (info.group, info.kind) not in EXPOSABLE:
        group_kind = f"{info.kind}.{info.group}" if info.group else info.kind
        return None, f"error: cannot expose a {group_kind}\n"
    opts = req.opts
    selector = opts.get("selector") or ""
    if not selector:
        try:
            selector = _selector_of(info.kind, obj)
        except ValueError as e:
            return None, f"error: couldn't retrieve selectors via --selector flag or introspection: {e}\n"
    headless = opts.get("cluster-ip") == "None"
    port, ports = opts.get("port") or "", ""
    if not port:
        found = _ports_of(info.kind, obj)
        if not found and not headless:
            return None, "error: couldn't find port via --port flag or introspection\n"
        if len(found) == 1:
            port = found[0]
        elif found:
            ports = ",".join(found)
    protocols = _protocols_of(info.kind, obj)
    labels = opts.get("labels") or ",".join(f"{k}={v}" for k, v in (obj["metadata"].get("labels") or {}).items())
    try:
        svc = service_for(opts, obj["metadata"]["name"][:NAME_MAX], selector, labels, port, ports, protocols)
    except ValueError as e:
        return None, f"error: {e}\n"
    return send(cluster, svc, req)


def _selector_of(kind: str, obj: dict) -> str:
    """mapBasedSelectorForObject, as `k=v,...`; ValueError with its words."""
    spec = obj.get("spec") or {}
    if kind == "Pod":
        labels = obj["metadata"].get("labels") or {}
        if not labels:
            raise ValueError("the pod has no labels and cannot be exposed")
        return joined(labels)
    if kind in ("Service", "ReplicationController"):
        if kind == "Service" and spec.get("selector") is None:
            raise ValueError("the service has no pod selector set")
        return joined(spec.get("selector") or {})
    selector = spec.get("selector") or {}
    what = "deployment" if kind == "Deployment" else "replicaset"
    if not selector.get("matchLabels"):
        raise ValueError(f"invalid {what}: no selectors, therefore cannot be exposed")
    if selector.get("matchExpressions"):
        exprs = " ".join("{Key:%s Operator:%s Values:[%s]}" % (e.get("key"), e.get("operator"),
                                                               " ".join(e.get("values") or []))
                         for e in selector["matchExpressions"])
        raise ValueError(f'couldn\'t convert expressions - "[{exprs}]" to map-based selector format')
    return joined(selector["matchLabels"])


def joined(labels: dict) -> str:
    """polymorphichelpers.MakeLabels: `k=v,...`."""
    return ",".join(f"{k}={v}" for k, v in labels.items())


def _pod_spec(kind: str, obj: dict) -> dict:
    spec = obj.get("spec") or {}
    return spec if kind == "Pod" else ((spec.get("template") or {}).get("spec") or {})


def _ports_of(kind: str, obj: dict) -> list[str]:
    """portsForObject: each port once, in order."""
    if kind == "Service":
        numbers = [str(p.get("port")) for p in (obj.get("spec") or {}).get("ports") or []]
    else:
        numbers = [str(p.get("containerPort")) for c in _pod_spec(kind, obj).get("containers") or []
                   for p in c.get("ports") or []]
    return list(dict.fromkeys(numbers))


def _protocols_of(kind: str, obj: dict) -> dict[str, list[str]]:
    """multiProtocolsForObject: port -> its protocols (TCP where none is set)."""
    out: dict[str, list[str]] = {}
    if kind == "Service":
        pairs = [(p.get("port"), p.get("protocol")) for p in (obj.get("spec") or {}).get("ports") or []]
    else:
        pairs = [(p.get("containerPort"), p.get("protocol")) for c in _pod_spec(kind, obj).get("containers") or []
                 for p in c.get("ports") or []]
    for number, protocol in pairs:
        out.setdefault(str(number), []).append(protocol or "TCP")
    return out


def parse_labels(spec: str) -> dict[str, str]:
    """expose.go parseLabels (generate.ParseLabels, which run's --labels uses, alike);
    ValueError with its words."""
    if not spec:
        raise ValueError("no label spec passed")
    out = {}
    for item in spec.split(","):
        kv = item.split("=")
        if len(kv) != 2:
            raise ValueError(f"unexpected label spec: {item}")
        if not kv[0]:
            raise ValueError("unexpected empty label key")
        out[kv[0]] = kv[1]
    return out


def _atoi(text: str) -> int:
    """strconv.Atoi; ValueError with its words."""
    body = text[1:] if text[:1] in "+-" else text
    if not body.isdigit() or not body.isascii():
        raise ValueError(f"strconv.Atoi: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError(f"strconv.Atoi: parsing {go_quote(text)}: value out of range")
    return value


def service_for(opts: dict, default_name: str, selector: str, labels: str, port: str, ports: str,
                protocols: dict[str, list[str]]) -> dict:
    """ExposeServiceOptions.createService: the Service as kubectl builds it; ValueError
    with its words."""
    if not selector:
        raise ValueError("selector must be specified")
    sel = parse_labels(selector)
    svc_labels = parse_labels(labels) if labels else None
    name = opts.get("name") or default_name
    if not name:
        raise ValueError("name must be specified")
    port_string = ports or port
    protocol_flag = opts.get("protocol") or ""
    service_ports: list[dict] = []
    if port_string:
        words = port_string.split(",")
        for i, word in enumerate(words):
            number = _atoi(word)
            port_name = f"port-{i + 1}" if len(words) > 1 else ""
            protocol = protocol_flag
            if not protocol:
                protocol = "TCP"
                found = protocols.get(word)
                if found and len(found) > 1:
                    for p in found:
                        service_ports.append({"name": f"port-{i + 1}-{p.lower()}", "port": number, "protocol": p})
                    continue
                if found:
                    protocol = found[0]
            entry: dict = {"port": number, "protocol": protocol}
            if port_name:
                entry["name"] = port_name
            service_ports.append(entry)
    target = opts.get("target-port") or ""
    for p in service_ports:
        if target:
            p["targetPort"] = int(target) if _is_int32(target) else target  # (intstr.Parse)
        else:
            p["targetPort"] = p["port"]
    spec: dict = {"selector": sel}
    if service_ports:
        spec["ports"] = service_ports
    if opts.get("external-ip"):
        spec["externalIPs"] = [opts["external-ip"]]
    if opts.get("type"):
        spec["type"] = opts["type"]
    if spec.get("type") == "LoadBalancer" and opts.get("load-balancer-ip"):
        spec["loadBalancerIP"] = opts["load-balancer-ip"]
    affinity = opts.get("session-affinity") or ""
    if affinity:
        if affinity not in ("None", "ClientIP"):
            raise ValueError(f"unknown session affinity: {affinity}")
        spec["sessionAffinity"] = affinity
    if opts.get("cluster-ip"):
        spec["clusterIP"] = opts["cluster-ip"]
    md: dict = {"name": name}
    if svc_labels:
        md["labels"] = svc_labels
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}


def _is_int32(text: str) -> bool:
    """intstr.Parse: strconv.Atoi succeeds (and fits an int32, as FromInt32 takes it)."""
    try:
        return -(1 << 31) <= _atoi(text) < (1 << 31)
    except ValueError:
        return False
