"""`kubectl create` (kubectl v1.33, pkg/cmd/create): `-f FILENAME` and the generators
`deployment`, `service clusterip|nodeport|loadbalancer|externalname`, `namespace`,
`configmap --from-literal` and `serviceaccount`.

A generator builds its object client-side as create_*.go does; a client dry run prints that
object and sends nothing, anything else sends it through the cluster's API server (which
defaults, validates and allocates, and keeps nothing for a server dry run) and prints its
answer. The typed clients of the generators decode that answer into its Go type, so what is
printed is engine.kubectl.writeprint's `go_typed` view of it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.api import labels as label_selectors
from engine.api.apiserver import ApiError
from engine.api.gostrconv import NumError, go_parse_uint, go_quote
from engine.api.kinds import CLUSTER_SCOPED, KINDS
from engine.api.labels import SelectorError
from engine.api.objects import labels_of
from engine.api.validation.messages import ClientError, kubectl_error_output
from engine.api.validation.names import is_config_map_key, is_dns1123_subdomain, is_valid_port_name, is_valid_port_num
from engine.cluster.cluster import Cluster
from engine.kubectl import writeprint
from engine.kubectl.cliflags import NO_OPT_DEFAULT, Output, UsageError, dry_run_strategy, parse_flags, usage_error
from engine.manifests.loader import load_paths

#: The flags every generator of `kubectl create` has (PrintFlags, dry run, the apply
#: annotation, validation, the field manager) and kubectl's global -n.
_COMMON: dict[str, tuple[str, str]] = {
    "namespace": ("n", "str"), "output": ("o", "str"), "dry-run": ("", "str"), "save-config": ("", "bool"),
    "validate": ("", "str"), "field-manager": ("", "str"), "show-managed-fields": ("", "bool"),
    "allow-missing-template-keys": ("", "bool"), "template": ("", "str"),
}
_TCP = {"tcp": ("", "strings")}
FLAGS: dict[str, dict[str, tuple[str, str]]] = {
    "create": {**_COMMON, "filename": ("f", "strings"), "recursive": ("R", "bool"), "selector": ("l", "str")},
    "create deployment": {**_COMMON, "image": ("", "strings"), "port": ("", "int32"), "replicas": ("r", "int32")},
    "create service clusterip": {**_COMMON, **_TCP, "clusterip": ("", "str")},
    "create service nodeport": {**_COMMON, **_TCP, "node-port": ("", "int")},
    "create service loadbalancer": {**_COMMON, **_TCP},
    "create service externalname": {**_COMMON, **_TCP, "external-name": ("", "str")},
    "create namespace": dict(_COMMON),
    "create configmap": {**_COMMON, "from-literal": ("", "array"), "from-file": ("", "strings"),
                         "from-env-file": ("", "strings"), "append-hash": ("", "bool")},
    "create serviceaccount": dict(_COMMON),
}
#: cobra's subcommands of `create` and their aliases.
SUBCOMMANDS = {"deployment": "deployment", "deploy": "deployment", "service": "service", "svc": "service",
               "namespace": "namespace", "ns": "namespace", "configmap": "configmap", "cm": "configmap",
               "serviceaccount": "serviceaccount", "sa": "serviceaccount"}
SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "externalname": "ExternalName"}
#: What `kubectl create service` alone writes (cobra's help of a command with subcommands only).
SERVICE_HELP = """Create a service using a specified subcommand.

Aliases:
service, svc

Available Commands:
  clusterip      Create a ClusterIP service
  externalname   Create an ExternalName service
  loadbalancer   Create a LoadBalancer service
  nodeport       Create a NodePort service

Usage:
  kubectl create service [flags] [options]

Use "kubectl create service <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""
#: --validate's values (any case) and the fieldValidation each asks the server for.
VALIDATION = {"strict": "Strict", "true": "Strict", "warn": "Warn", "ignore": "Ignore", "false": "Ignore"}
#: The flags cobra requires (MarkFlagRequired).
REQUIRED = {"create deployment": "image", "create service externalname": "external-name"}
#: The other generators kubectl 1.33 has: said so, not taken for a file-less `create`.
ELSEWHERE = ("clusterrole", "clusterrolebinding", "cronjob", "ingress", "job", "poddisruptionbudget", "pdb",
             "priorityclass", "pc", "quota", "resourcequota", "role", "rolebinding", "secret", "token")


@dataclass
class Request:
    """One parsed `kubectl create ...` line: the command's name (`create service nodeport`),
    its flags, its arguments, and where its objects go."""

    cmd: str
    opts: dict
    args: list[str]
    dry_run: str
    namespace: str  # -n, else the context's (default)
    enforce_namespace: bool  # -n given: a client dry run's object names it
    field_validation: str = "Strict"  # --validate: the request's fieldValidation

    @property
    def output(self) -> str | None:
        return self.opts.get("output")


def run(cluster: Cluster, argv: list[str], *, cwd: Path | None = None) -> Output:
    """`kubectl create ARGS...` (what follows `create`); `cwd`: where `-f`'s relative paths
    are (the session's folder)."""
    at = _first_word(argv, FLAGS["create"])
    sub = SUBCOMMANDS.get(argv[at]) if at is not None else None
    if at is not None and argv[at] in ELSEWHERE:
        return Output(stderr=f"error: svcflow does not run `kubectl create {argv[at]}` at this prompt (the real "
                             "kubectl does, against `svcflow serve`)\n", code=1)
    cmd, rest = "create", argv
    if sub is not None and at is not None:
        cmd, rest = f"create {sub}", argv[:at] + argv[at + 1:]
    if sub == "service":
        at = _first_word(rest, {"namespace": ("n", "str")})
        kind = rest[at] if at is not None else ""
        if kind not in SERVICE_TYPES:  # (DefaultSubCommandRun: its help, or RequireNoArguments' refusal)
            try:  # (its own flags are kubectl's global ones)
                _, words = parse_flags(rest, "create service", {"namespace": ("n", "str")})
            except UsageError as e:
                return usage_error("create service", str(e))
            if words:
                return Output(stderr=f"error: unknown command {go_quote(' '.join(words))}\n"
                                     "See 'kubectl create service -h' for help and examples\n", code=1)
            return Output(stderr=SERVICE_HELP)
        cmd, rest = f"create service {kind}", rest[:at] + rest[at + 1:]  # (at: kind was found)
    dash = rest.index("--") if "--" in rest else -1
    try:
        opts, args = parse_flags(rest if dash < 0 else rest[:dash], cmd, FLAGS[cmd])
    except UsageError as e:
        return usage_error(cmd, str(e))
    args_at_dash = len(args)  # (cobra's ArgsLenAtDash: NAME is what comes before `--`)
    if dash >= 0:
        args += rest[dash + 1:]
    # (--save-config's annotation is the object as Go encodes it; the prompt's writes keep no managedFields)
    refused = next((f for f in ("save-config", "show-managed-fields") if opts.get(f)), None)
    if refused:
        return Output(stderr=f"error: svcflow's {cmd} does not take --{refused}; the real kubectl does, against "
                             "`svcflow serve`\n", code=1)
    problem = writeprint.output_error(opts.get("output"), opts.get("template"))
    validation = VALIDATION.get(str(opts.get("validate", "strict")).lower())
    required = REQUIRED.get(cmd)
    if required and required not in opts:  # (cobra, before the command runs)
        return Output(stderr=f"error: required flag(s) {go_quote(required)} not set\n", code=1)
    if cmd != "create" and args_at_dash != 1:  # NameFromCommandArgs
        return Output(stderr=f"error: exactly one NAME is required, got {args_at_dash}\n"
                             f"See 'kubectl {cmd} -h' for help and examples\n", code=1)
    try:
        dry, warning = dry_run_strategy(opts.get("dry-run"), cluster.now())
    except ValueError as e:
        return Output(stderr=f"error: {e}\n", code=1)
    if validation is None:  # (GetValidationDirective)
        return Output(stderr=f"error: invalid - validate option {go_quote(opts['validate'])}; must be one of: "
                             "strict (or true), warn, ignore (or false)\n", code=1, warnings=warning)
    req = Request(cmd, opts, args, dry, opts.get("namespace") or "default", bool(opts.get("namespace")),
                  validation)
    if cmd == "create":
        out = _from_files(cluster, req, problem, cwd)
    elif problem:
        out = Output(stderr=f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), code=1)
    else:
        out = GENERATORS[cmd](cluster, req)
    out.warnings = warning + out.warnings
    return out


def _first_word(argv: list[str], table: dict[str, tuple[str, str]]) -> int | None:
    """Where cobra finds a subcommand's name (its stripFlags, over the flags of the command
    it is in): the first argument that is no flag and no flag's value. A flag without `=`
    takes the next argument as its value unless it is one of `table`'s that needs none (a
    bool, `--dry-run`); an unknown one takes it too (`create -n x deployment web`:
    `deployment`)."""
    shorts = {short: name for name, (short, _) in table.items() if short}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return None
        if not a.startswith("-") or a == "-":
            return i
        if "=" not in a and (a.startswith("--") or len(a) == 2):
            name = a[2:] if a.startswith("--") else shorts.get(a[1], "")
            if not (name in table and (table[name][1] == "bool" or name in NO_OPT_DEFAULT)):
                i += 1
        i += 1
    return None


# ---------------------------------------------------------------------------------------------
# Sending a generated object
# ---------------------------------------------------------------------------------------------

def send(cluster: Cluster, obj: dict, req: Request, *, failed: str = "") -> tuple[dict | None, str]:
    """The generator's object created in `req.namespace` (a client dry run sends nothing):
    (the object to print, or None; kubectl's error). `failed`: the words the generator puts
    before the server's refusal (`failed to create deployment`); without them the refusal
    is printed as kubectl prints the API's own errors."""
    if req.dry_run == "client":
        shown = writeprint.go_typed(obj)
        if req.enforce_namespace and obj["kind"] not in CLUSTER_SCOPED:
            shown["metadata"]["namespace"] = req.namespace
        return shown, ""
    sent = writeprint.go_typed(obj)
    if obj["kind"] not in CLUSTER_SCOPED:
        sent["metadata"]["namespace"] = req.namespace
    try:
        made = cluster.api.create(sent, dry_run=req.dry_run == "server")
    except ApiError as e:
        return None, (f"error: {failed}: {e.status.status_message()}\n" if failed else e.message + "\n")
    return made, ""


def printed(objs: list[dict], req: Request, operation: str = "created", *, typed: bool = False) -> Output:
    return Output(stdout=writeprint.printed(objs, req.output, operation, req.dry_run, typed=typed))


def _sent(cluster: Cluster, obj: dict, req: Request, failed: str = "", typed: bool = True) -> Output:
    made, err = send(cluster, obj, req, failed=failed)
    if made is None:
        return Output(stderr=err, code=1)
    return printed([writeprint.go_typed(made) if typed else made], req, typed=typed)


# ---------------------------------------------------------------------------------------------
# The generators
# ---------------------------------------------------------------------------------------------

def _container_name(image: str) -> str:
    """buildPodSpec: the image's last path element without its tag or digest."""
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    if "_" in name or "." in name:  # (sanitizeAndUniquify adds a random suffix: say so, never guess)
        raise ValueError(f"svcflow does not name a container after the image {go_quote(image)} (kubectl adds a "
                         "random suffix to it); use an image whose name has no '.' or '_', or the real kubectl "
                         "against `svcflow serve`")
    return name


def deployment(cluster: Cluster, req: Request) -> Output:
    """create_deployment.go: labels and selector app=NAME, one container per image, named
    after it; the arguments after NAME (after `--`) are the containers' command."""
    name, command = req.args[0], req.args[1:]
    images = req.opts["image"]
    if len(images) > 1 and command:
        return Output(stderr="error: cannot specify multiple --image options and command\n", code=1)
    labels = {"app": name}
    try:
        containers = [{"image": image, "name": _container_name(image), **({"command": command} if command else {})}
                      for image in images]
    except ValueError as e:
        return Output(stderr=f"error: {e}\n", code=1)
    port = req.opts.get("port", -1)
    if port >= 0 and containers:
        containers[0]["ports"] = [{"containerPort": port}]
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": dict(labels)},
           "spec": {"replicas": req.opts.get("replicas", 1), "selector": {"matchLabels": dict(labels)},
                    "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}}}
    return _sent(cluster, obj, req, "failed to create deployment")


def _parse_ports(spec: str) -> tuple[int, int | str]:
    """parsePorts: `PORT[:TARGET]`; ValueError with its words."""
    parts = spec.split(":")
    try:
        port = go_parse_uint(parts[0], 10, 16)
    except NumError as e:
        raise ValueError(str(e)) from None
    if len(parts) == 1:
        return port, port
    target = parts[1]
    try:
        number = int(target, 10) if target.lstrip("+-").isdigit() else None
    except ValueError:
        number = None
    if number is None:
        errs = is_valid_port_name(target)
        if errs:
            raise ValueError(",".join(errs))
        return port, target
    errs = is_valid_port_num(number)
    if errs:
        raise ValueError(",".join(errs))
    return port, number


def service(cluster: Cluster, req: Request) -> Output:
    """create_service.go: label and selector app=NAME, a port per `--tcp` named after it
    (`80:8080` -> `80-8080`), protocol TCP, and the type of the subcommand."""
    name = req.args[0]
    svc_type = SERVICE_TYPES[req.cmd.rsplit(" ", 1)[1]]
    tcp = req.opts.get("tcp") or []
    cluster_ip = req.opts.get("clusterip") or ""
    external = req.opts.get("external-name")
    if cluster_ip == "None" and svc_type != "ClusterIP":  # (Validate, in its order)
        return Output(stderr="error: ClusterIP=None can only be used with ClusterIP service type\n", code=1)
    if cluster_ip != "None" and not tcp and svc_type != "ExternalName":
        return Output(stderr="error: at least one tcp port specifier must be provided\n", code=1)
    if svc_type == "ExternalName" and is_dns1123_subdomain(external or ""):
        return Output(stderr=f"error: invalid service external name {external}\n", code=1)
    ports = []
    for spec in tcp:
        try:
            port, target = _parse_ports(spec)
        except ValueError as e:
            return Output(stderr=f"error: {e}\n", code=1)
        p: dict = {"name": spec.replace(":", "-"), "port": port, "protocol": "TCP", "targetPort": target}
        if req.opts.get("node-port"):
            p["nodePort"] = req.opts["node-port"]
        ports.append(p)
    spec_: dict = {"type": svc_type, "selector": {"app": name}}
    if ports:
        spec_["ports"] = ports
    if external:
        spec_["externalName"] = external
    if cluster_ip:
        spec_["clusterIP"] = cluster_ip
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}}, "spec": spec_}
    return _sent(cluster, obj, req, f"failed to create {svc_type} service")


def namespace(cluster: Cluster, req: Request) -> Output:
    """create_namespace.go."""
    if not req.args[0]:  # (Validate)
        return Output(stderr="error: name must be specified\n", code=1)
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": req.args[0]}}
    return _sent(cluster, obj, req)


def serviceaccount(cluster: Cluster, req: Request) -> Output:
    """create_serviceaccount.go."""
    if not req.args[0]:  # (Validate)
        return Output(stderr="error: name must be specified\n", code=1)
    obj = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": req.args[0]}}
    return _sent(cluster, obj, req, "failed to create serviceaccount")


def configmap(cluster: Cluster, req: Request) -> Output:
    """create_configmap.go with `--from-literal=KEY=VALUE` (the file sources are the real
    kubectl's: this prompt reads no files of the learner's machine)."""
    if req.opts.get("from-file") or req.opts.get("from-env-file") or req.opts.get("append-hash"):
        return Output(stderr="error: svcflow's create configmap takes --from-literal only; the real kubectl takes "
                             "the others, against `svcflow serve`\n", code=1)
    name = req.args[0]
    if not name:  # (Validate)
        return Output(stderr="error: name must be specified\n", code=1)
    data: dict[str, str] = {}
    for literal in req.opts.get("from-literal") or []:
        key, eq, value = literal.partition("=")
        if not eq or not key:  # parseLiteralSource
            return Output(stderr=f"error: invalid literal source {literal}, expected key=value\n", code=1)
        errs = is_config_map_key(key)
        if errs:
            return Output(stderr=f"error: {go_quote(key)} is not a valid key name for a ConfigMap: "
                                 f"{';'.join(errs)}\n", code=1)
        if key in data:
            return Output(stderr=f"error: cannot add key {go_quote(key)}, another key by that name already exists "
                                 f"in Data for ConfigMap {go_quote(name)}\n", code=1)
        data[key] = value
    obj: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    if data:
        obj["data"] = data
    return _sent(cluster, obj, req, "failed to create configmap")


GENERATORS: dict[str, Callable[[Cluster, Request], Output]] = {
    "create deployment": deployment, **{f"create service {t}": service for t in SERVICE_TYPES},
    "create namespace": namespace, "create serviceaccount": serviceaccount, "create configmap": configmap,
}


# ---------------------------------------------------------------------------------------------
# create -f
# ---------------------------------------------------------------------------------------------

def _from_files(cluster: Cluster, req: Request, problem: str | None, cwd: Path | None = None) -> Output:
    """create.go RunCreate: each object of the files created (the API's refusals named by
    their file, as AddSourceToErr does), printed as it is created."""
    paths = req.opts.get("filename") or []
    if not paths:
        return Output(stderr="error: must specify one of -f and -k\n", code=1)
    if problem:
        return Output(stderr=f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), code=1)
    if req.args:
        return Output(stderr=f"error: Unexpected args: {req.args}\nSee 'kubectl create -h' for help and examples\n",
                      code=1)
    base = cwd or Path.cwd()
    resolved = [p if Path(p).is_absolute() else str(base / p) for p in paths]
    missing = [p for p, r in zip(paths, resolved) if not Path(r).exists()]
    if missing:
        return Output(stderr=f'error: the path "{missing[0]}" does not exist\n', code=1)
    try:
        selector = label_selectors.parse(req.opts.get("selector"))
    except SelectorError as e:
        return Output(stderr=f"error: the provided selector {go_quote(req.opts['selector'])} is not valid: {e}\n",
                      code=1)
    loaded = load_paths(resolved, recursive=bool(req.opts.get("recursive")))
    made: list[dict] = []
    load_errors = [e.detail for e in loaded.errors]
    warnings = ""
    visited = 0
    api_errors = []
    for doc in loaded.kubectl_documents:
        obj = doc.obj
        if req.opts.get("selector") and not selector.matches(labels_of(obj)):  # (the builder's -l)
            continue
        visited += 1
        display = str(Path(doc.display).relative_to(base)) if Path(doc.display).is_relative_to(base) else doc.display
        info = KINDS.get(obj.get("kind") or "")
        if info is None or info.api_version != obj.get("apiVersion"):
            api_errors.append(ClientError(f'resource mapping not found for name: {go_quote(_name(obj))} namespace: '
                                          f'{go_quote(_namespace(obj, req))} from {go_quote(display)}: no matches '
                                          f'for kind {go_quote(str(obj.get("kind")))} in version '
                                          f'{go_quote(str(obj.get("apiVersion")))}'))
            continue
        own = _namespace(obj, req)
        if info.namespaced and req.enforce_namespace and own != req.namespace:  # (the builder's visitor)
            api_errors.append(ClientError(f"the namespace from the provided object {go_quote(own)} does not match "
                                          f"the namespace {go_quote(req.namespace)}. You must pass "
                                          f"'--namespace={own}' to perform this operation."))
            continue
        sent = dict(obj)
        if info.namespaced:
            sent["metadata"] = {**(obj.get("metadata") or {}), "namespace": _namespace(obj, req)}
        if req.dry_run == "client":
            made.append(sent)
            continue
        try:
            sent, warned = cluster.api.decode_check(sent, display, "creating", req.field_validation)
            made.append(cluster.api.create(sent, display, dry_run=req.dry_run == "server"))
            warnings += "".join(f"Warning: {w}\n" for w in warned)
        except ApiError as e:
            api_errors.append(e.status)
    if not visited and not load_errors:  # (RunCreate counts the objects it was given)
        return Output(stderr="error: no objects passed to create\n", code=1)
    text = kubectl_error_output(load_errors, api_errors)
    out = printed(made, req)
    out.warnings = warnings
    if text:
        out.stderr, out.code = text + "\n", 1
    return out


def _name(obj: dict) -> str:
    md = obj.get("metadata")
    return str(md.get("name") or "") if isinstance(md, dict) else ""


def _namespace(obj: dict, req: Request) -> str:
    md = obj.get("metadata")
    ns = md.get("namespace") if isinstance(md, dict) else None
    return ns if isinstance(ns, str) and ns else req.namespace
