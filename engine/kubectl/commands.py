"""kubectl's read commands over a simulated cluster: get, describe.

This is the shared implementation behind the headless CLI, `svcflow session` and the
dashboard's `:` prompt: argument handling (TYPE/NAME, `all`, `svc,ep`, -n, -A, -o, -l),
what goes to stdout vs stderr, and kubectl's exit codes.
"""
from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Sequence
from datetime import datetime

from engine.api import eventsv1, fields, kinds
from engine.api import labels as label_selectors
from engine.api.apionly import EVENTS_V1
from engine.api.apiserver import DRY_RUN_SUFFIX, ApiError
from engine.api.gostrconv import go_quote, go_quote_rune
from engine.api.kinds import CLUSTER_SCOPED
from engine.api.labels import SelectorError
from engine.api.objects import labels_of, pod_is_ready
from engine.api.validation import messages
from engine.api.validation.messages import aggregate_message
from engine.api.validation.metadata import validate_labels
from engine.api.validation.names import is_valid_label_value
from engine.cluster.cluster import Cluster
from engine.kubectl import create, expose, rollout, rootflags, runpod, shortnames, writeprint
from engine.kubectl.cliflags import (  # noqa: F401 - re-exported (the session and the dashboard use them)
    FLAGS,
    NO_OPT_DEFAULT,
    ONLY_FOR_VERBS,
    Output,
    UsageError,
    dry_run_strategy,
    invalid_argument,
    parse_flags,
    usage_error,
)
from engine.kubectl.printers import custom_columns, encoding, jsonpath, sorting
from engine.kubectl.printers import describe as describe_printer
from engine.kubectl.printers import explain as explain_printer
from engine.kubectl.printers import get as printers
from engine.kubectl.printers.jsonpath import JSONPathError
from engine.kubectl.rootflags import GLOBAL_VALUE_FLAGS, global_flags_after_verb  # noqa: F401 - re-exported

ENDPOINTS_WARNING = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"

_DRY = ("--dry-run=server", "--dry-run=client", "--dry-run=none")
_SELECT = ("--all", "--selector=", "--namespace=")
#: The flags the dashboard's `:` prompt completes after `kubectl VERB`: the ones svcflow's VERB
#: honours, a flag with a few values once with each (`--output=wide`, `--dry-run=server`).
VERB_FLAGS: dict[str, tuple[str, ...]] = {
    "get": ("--namespace=", "--all-namespaces", "--output=wide", "--output=yaml", "--output=json", "--output=name",
            "--output=jsonpath=", "--output=custom-columns=", "--selector=", "--show-labels", "--label-columns=",
            "--sort-by=", "--no-headers", "--field-selector="),
    "describe": ("--namespace=", "--all-namespaces", "--selector="),
    "explain": ("--recursive", "--api-version=", "--output=plaintext", "--output=plaintext-openapiv2"),
    "delete": _SELECT + _DRY,
    "scale": ("--replicas=",) + _SELECT + _DRY,
    "label": ("--overwrite",) + _SELECT + _DRY,
    "rollout": ("--namespace=", "--revision=", "--to-revision=", "--dry-run=client", "--watch=false", "--timeout="),
    "drain": ("--ignore-daemonsets", "--force", "--delete-emptydir-data") + _DRY,
    "cordon": _DRY, "uncordon": _DRY, "create": ("--filename=", "--output=yaml", "--output=name") + _DRY,
    "expose": ("--port=", "--target-port=", "--type=", "--name=", "--protocol=", "--output=yaml") + _DRY,
    "run": ("--image=", "--namespace=", "--restart=Never", "--command", "--image-pull-policy=") + _DRY,
    "apply": ("--filename=", "--recursive") + _DRY,
    "exec": ("--namespace=", "--container=", "--stdin", "--tty"),
    "logs": ("--namespace=", "--container=", "--tail=", "--timestamps", "--previous"),
}



def selector_error(info, selector: str, e: Exception, field_selector: str = "") -> str:
    """The API server refuses the list; kubectl's resource builder names what it asked for."""
    gvr = f"{info.group}/{info.version}, Resource={info.plural}"
    return (f"Error from server (BadRequest): Unable to find {go_quote(gvr)} that match label selector "
            f"{go_quote(selector)}, field selector {go_quote(field_selector)}: {e}")


def _lister(cluster: Cluster):
    def lister(kind: str, namespace: str | None) -> list[dict]:
        return cluster.store.list(kind, None if namespace is None else ("" if kind in CLUSTER_SCOPED else namespace))
    return lister


GET_FORMATS = sorted(["json", "yaml", "name", "go-template", "go-template-file", "template", "templatefile",
                      "jsonpath", "jsonpath-as-json", "jsonpath-file", "custom-columns", "custom-columns-file", "wide"])
PRINTED_FORMATS = ("wide", "yaml", "json", "name")
TEMPLATE_FORMATS = ("jsonpath", "jsonpath-as-json", "custom-columns")  # -o FORMAT=TEMPLATE


def output_format_error(output: str) -> str | None:
    """`-o` checked as get's PrintFlags.ToPrinter checks it (cli-runtime's NoCompatiblePrinterError),
    then as the template printers check their template; a format svcflow does not print is
    refused in words that point at the real kubectl, never silently printed as a table."""
    name, eq, template = output.partition("=")
    if name not in GET_FORMATS:
        return (f"unable to match a printer suitable for the output format {go_quote(output)}, "
                f"allowed formats are: {','.join(GET_FORMATS)}")
    if name in TEMPLATE_FORMATS:
        if not template:
            return ("custom-columns format specified but no custom columns given" if name == "custom-columns"
                    else "template format specified but no template given")
        try:
            if name == "custom-columns":
                custom_columns.parse_spec(template)
            else:
                jsonpath.parse("out", template)
        except JSONPathError as e:
            return str(e) if name == "custom-columns" else f"error parsing jsonpath {template}, {e}\n"
        return None
    if output not in PRINTED_FORMATS:
        return (f"svcflow does not print -o {name} (it prints: {', '.join(PRINTED_FORMATS + TEMPLATE_FORMATS)}); "
                "the real kubectl prints it against `svcflow serve`")
    return None


def template_output(output: str, obj: dict, *, no_headers: bool = False) -> str:
    """`-o jsonpath=`, `-o jsonpath-as-json=`, `-o custom-columns=` over the printed object (the
    object itself, or the List kubectl builds); JSONPathError with kubectl's message.
    `no_headers` (`--no-headers`) drops custom-columns' header line only: kubectl's get hands it
    to CustomColumnsPrintFlags alone, so a jsonpath template prints the same either way."""
    name, _, template = output.partition("=")
    if name == "custom-columns":
        return custom_columns.print_custom_columns(custom_columns.parse_spec(template), obj, no_headers=no_headers)
    return jsonpath.execute(template, obj, encoding.json_compact, encoding.json_indent,
                            as_json=name == "jsonpath-as-json")


GET_NO_TYPE = ('You must specify the type of resource to get. Use "kubectl api-resources" for a complete list '
               'of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain <resource>" '
               "for a detailed description of that resource (e.g. kubectl explain pods).\n"
               "See 'kubectl get -h' for help and examples\n")
DESCRIBE_NO_TYPE = ('error: You must specify the type of resource to describe. Use "kubectl api-resources" for a '
                    "complete list of supported resources.\n")


@shortnames.warns
def get(cluster: Cluster, args: list[str], *, namespace: str | None = None, all_namespaces: bool = False,
        output: str | None = None, selector: str | None = None, show_labels: bool = False,
        label_columns: Sequence[str] = (), sort_by: str | None = None, no_headers: bool = False,
        field_selector: str | None = None) -> Output:
    """`kubectl get`. `field_selector` (`--field-selector`) filters as the API server's list
    does (engine.api.fields: the fields each kind registers). `show_labels` (`--show-labels`), `label_columns` (`-L`, one column per
    label key) and `no_headers` (`--no-headers`) shape the tables only, as kubectl's (which
    ignores `-L` under any other `-o`); `sort_by` (`--sort-by`) sorts each table, or the whole
    list of a `-o yaml|json|name|jsonpath|custom-columns` (engine.kubectl.printers.sorting)."""
    out = Output()
    if not args:
        return Output(stderr=GET_NO_TYPE, code=1)
    if show_labels and output not in (None, "", "wide"):  # (GetOptions.Validate, before any request)
        return Output(stderr=f"error: --show-labels option cannot be used with {output} printer\n", code=1)
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
                    infos += kinds.in_category("all")
                else:
                    infos.append(printers.resolve_resource(t))
            for info in infos:
                requests.append((info, list(names)))
    except printers.ResourceError as e:
        out.stderr = f"{e}\n"
        out.code = 1
        return out
    problem = output_format_error(output) if output is not None else None
    if problem:
        return Output(stderr=f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), code=1)
    multi = len(requests) > 1
    if (selector or field_selector) and any(names for _, names in requests):  # (the resource builder)
        return Output(stderr="error: name cannot be provided when a selector is specified\n", code=1)
    try:
        sel = label_selectors.parse(selector)
        wanted = {info.kind: fields.parse(info.kind, field_selector) for info, _ in requests}
    except (SelectorError, fields.FieldSelectorError) as e:  # the API server refuses each list request
        return Output(stderr="".join(selector_error(info, selector or "", e, field_selector or "") + "\n"
                                     for info, _ in requests), code=1)
    groups: list[tuple[str, list[dict]]] = []
    errors: list[str] = []
    for info, names in requests:
        kind = info.kind
        if ("get" if names else "list") not in info.verbs:  # (a review: the API server has no such route)
            return Output(stderr="Error from server (MethodNotAllowed): the server does not allow this method on the "
                                 "requested resource\n", code=1)
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
                    if sel.matches(labels_of(o)) and fields.matches(wanted[kind], o)]
        groups.append((kind, [eventsv1.from_core(o) for o in objs] if info is EVENTS_V1 and output not in (None, "wide")
                       else objs))
    everything = [o for _, objs in groups for o in objs]
    out.objects = everything
    table_output = output is None or output == "wide"
    single = len(everything) == 1 and not multi and _single_name(requests)
    if sort_by and not table_output and not single:  # (kubectl sorts a List; one object passes through)
        try:
            everything = sorting.sort_objects(everything, sort_by)
        except (sorting.SortError, sorting.UnsortableError) as e:
            return Output(stderr=f"error: {e}\n", code=1)
    if output in ("yaml", "json"):
        # A single named object prints bare; anything else (even nothing) as a List.
        render = encoding.to_yaml if output == "yaml" else encoding.to_json
        out.stdout = render(everything[0] if single else everything)
    elif output == "name":
        out.stdout = printers.print_name(everything)
    elif output is not None and output.partition("=")[0] in TEMPLATE_FORMATS:
        try:
            out.stdout = template_output(output, encoding.as_output_object(everything[0] if single else everything),
                                         no_headers=no_headers)
        except JSONPathError as e:
            text = str(e)
            out.stderr += f"error: {text}" + ("" if text.endswith("\n") else "\n")
            out.code = 1
            return out
    else:
        now = cluster.now()
        show_kind = len({info.kind for info, _ in requests}) > 1
        tables = [(k, objs) for k, objs in groups if objs]
        # kubectl receives one Table per kind listed, one per name asked for (`infos`)
        infos = sum(len(objs) if names else 1 for (_, names), (_, objs) in zip(requests, groups))
        if sort_by and infos > 1:
            try:
                sorting.check_tables_sortable(sort_by)
            except sorting.SortError as e:  # (before anything is printed, as kubectl sorts first)
                return Output(stderr=f"error: {e}\n", code=1)
        try:
            out.stdout = printers.print_get_all(tables, now=now, wide=output == "wide", show_kind=show_kind,
                                                all_namespaces=all_namespaces, show_labels=show_labels,
                                                label_columns=label_columns, sort_by=sort_by,
                                                no_headers=no_headers) if tables else ""
        except sorting.UnsortableError as e:
            return Output(stderr=f"error: {e}\n", code=1)
    if not out.stdout and not errors and table_output:  # (a table --sort-by could not sort prints nothing too)
        out.stderr += printers.no_resources_message(ns, all_namespaces or not any(i.namespaced for i, _ in requests)) + "\n"
    for e in errors:
        out.stderr += e + "\n"
    out.code = 1 if errors else 0
    return out


def _single_name(requests) -> bool:
    return len(requests) == 1 and len(requests[0][1]) == 1


@shortnames.warns
def describe(cluster: Cluster, args: list[str], *, namespace: str | None = None, selector: str | None = None,
             all_namespaces: bool = False, now: datetime | None = None) -> Output:
    """`kubectl describe TYPE [NAME...] | TYPE/NAME [-l SELECTOR] [-A]`: every kind, the ones
    without a describer of their own through kubectl's generic describer. `now`: the clock
    ages are counted from (the cluster's by default; the real kubectl counts from its own
    machine's, which a comparison with it passes here)."""
    out = Output()
    ns = namespace or "default"
    if not args:
        return Output(stderr=DESCRIBE_NO_TYPE, code=1)
    if selector is not None and (len(args) > 1 or "/" in args[0]):
        return Output(stderr="error: name cannot be provided when a selector is specified\n", code=1)
    try:
        if len(args) == 1 and "/" in args[0]:
            t, name = args[0].split("/", 1)
            pairs = [(printers.resolve_resource(t), ns, name)]
        elif len(args) >= 2:
            info = printers.resolve_resource(args[0])
            pairs = [(info, ns, n) for n in args[1:]]
        else:
            info = printers.resolve_resource(args[0])
            scope = "" if not info.namespaced else None if all_namespaces else ns
            try:
                sel = label_selectors.parse(selector)
            except SelectorError as e:  # the API server refuses the list
                return Output(stderr=selector_error(info, selector or "", e) + "\n", code=1)
            objs = [o for o in cluster.store.list(info.kind, scope) if sel.matches(labels_of(o))]
            pairs = [(info, o["metadata"].get("namespace") or "", o["metadata"]["name"]) for o in objs]
            if not pairs:
                out.stderr = printers.no_resources_message(ns, all_namespaces) + "\n"  # (describe.go: its namespace, whatever the scope)
                return out
    except printers.ResourceError as e:
        out.stderr, out.code = f"{e}\n", 1
        return out
    texts = []
    for info, obj_ns, name in pairs:
        if info.kind == "Endpoints" and not out.warnings:
            out.warnings += ENDPOINTS_WARNING
        obj = cluster.store.get(info.kind, obj_ns if info.namespaced else "", name)
        if obj is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        try:
            texts.append(describe_printer.describe(info.kind, obj, lister=_lister(cluster),
                                                     now=now or cluster.now()))
        except ValueError:  # a kind svcflow has no describer for: say so, never fall over
            out.stderr += f"error: svcflow does not describe {info.qualified_plural} yet\n"
            out.code = 1
            continue
        out.objects.append(obj)
    out.stdout = "\n\n".join(texts)  # kubectl's separator between described objects
    return out


@shortnames.warns
def explain(args: list[str], *, recursive: bool = False, api_version: str | None = None,
            output: str | None = None) -> Output:
    """`kubectl explain`: the served kinds' Kubernetes v1.33 schemas, as kubectl prints them
    against `svcflow serve` (the cluster plays no part: the schemas are the API's)."""
    code, out, err = explain_printer.explain(args, recursive=recursive, api_version=api_version, output=output)
    return Output(stdout=out, stderr=err, code=code)


def events(cluster: Cluster, *, include_boot: bool = False) -> Output:
    log = cluster.flow_events
    start = 0 if include_boot else getattr(cluster, "boot_events", 0)
    out = Output(stdout="".join(e.line() + "\n" for e in log.since(start)))
    if log.dropped > start:
        out.stderr = f"svcflow: the {log.dropped - start:,} oldest events are not kept (the log keeps the last {log.keep:,})\n"
    return out


#: kubectl delete's immediate-deletion warning (`--force --grace-period=0`).
FORCE_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
                 "terminated. The resource may continue to run on the cluster indefinitely.\n")


def cascade_strategy(value: str | None) -> tuple[str, str]:
    """delete_flags.go GetCascadingStrategy: (`background`|`foreground`|`orphan`, the
    deprecation warning of a boolean value); ValueError with kubectl's words otherwise."""
    if value is None:
        return "background", ""
    v = value.lower()
    if v in ("background", "foreground", "orphan"):
        return v, ""
    if v in ("true", "false"):
        new = "background" if v == "true" else "orphan"
        return new, f"warning: --cascade={v} is deprecated (boolean value) and can be replaced with --cascade={new}.\n"
    raise ValueError(f'invalid cascade value ({value}). Must be "background", "foreground", or "orphan"')


@shortnames.warns
def delete(cluster: Cluster, args: list[str], *, namespace: str | None = None, dry_run: str = "none",
           force: bool = False, grace_period: int | None = None, cascade: str = "background",
           output: str | None = None) -> Output:
    """`kubectl delete TYPE NAME` / `TYPE/NAME`: kubectl v1.33's line names the namespace.
    A dry run finds the objects (and, server-side, runs the API server's refusals) and
    deletes nothing. `--grace-period=0` alone is 1 (delete.go: no accidental immediate
    deletion); with `--force` it is an immediate deletion: kubectl's warning, "force
    deleted". `cascade="orphan"`: the dependents lose their owner and stay."""
    out = Output()
    ns = namespace or "default"
    if force and grace_period is not None and grace_period > 0:
        return Output(stderr="error: --force and --grace-period greater than 0 cannot be specified together\n", code=1)
    if grace_period == 0 and not force:
        grace_period = 1
    if force and (grace_period is None or grace_period < 0):
        grace_period = 0
    immediate = grace_period == 0
    if immediate:  # (a dry run's too)
        out.warnings += FORCE_WARNING
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
            where = ns if info.namespaced else ""
            if dry_run == "none":
                live = cluster.store.get(info.kind, where, name)
                if live is not None and cascade == "orphan":
                    cluster.api.orphan_dependents(live)
                gone = cluster.api.delete_object(info.kind, where, name, grace=not immediate)
            elif dry_run == "server":  # (the API server's checks, nothing deleted)
                gone = cluster.api.check_delete(info.kind, where, name)
            else:  # a client dry run of named objects does not even read them (kubectl 1.33)
                gone = {"metadata": {"name": name}}
        except ApiError as e:  # a namespace the cluster cannot do without
            out.stderr += e.message + "\n"
            out.code = 1
            continue
        if gone is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        label = f"{info.kind.lower()}.{info.group}" if info.group else info.kind.lower()
        verb = "force deleted" if immediate else "deleted"
        # (delete.go PrintObj: `-o name` is the short form; 1.34 adds "from NS namespace" to the other)
        out.stdout += f"{label}/{name}\n" if output == "name" else f'{label} "{name}" {verb}{DRY_RUN_SUFFIX[dry_run]}\n'
    return out


def _objects_for(cluster: Cluster, verb: str, args: list[str], ns: str, *, select_all: bool,
                 selector: str | None) -> tuple[list[tuple[object, str, dict | None]], Output | None]:
    """The resource builder's ResourceTypeOrNameArgs + LabelSelectorParam: (info, name, obj)
    for `TYPE NAME...`, `TYPE/NAME...`, `TYPE -l SEL` or `TYPE --all`."""
    try:
        if args and all("/" in a for a in args):
            pairs = [(printers.resolve_resource(a.split("/", 1)[0]), a.split("/", 1)[1]) for a in args]
        elif args:
            info = printers.resolve_resource(args[0].split(",")[0])
            pairs = [(info, n) for n in args[1:]]
        else:
            return [], Output(stderr="error: You must provide one or more resources by argument or filename.\n"
                                     "Example resource specifications include:\n   '-f rsrc.yaml'\n   "
                                     "'--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n", code=1)
    except printers.ResourceError as e:
        return [], Output(stderr=f"{e}\n", code=1)
    if pairs and selector:
        return [], Output(stderr="error: name cannot be provided when a selector is specified\n", code=1)
    if not pairs and (selector or select_all):
        try:
            sel = label_selectors.parse(selector)
        except SelectorError as e:
            return [], Output(stderr=selector_error(info, selector or "", e) + "\n", code=1)
        objs = [o for o in cluster.store.list(info.kind, ns if info.namespaced else "") if sel.matches(labels_of(o))]
        return [(info, o["metadata"]["name"], o) for o in objs], None
    if not pairs:
        return [], Output(stderr='error: resource(s) were provided, but no name was specified\n', code=1)
    return [(i, n, cluster.store.get(i.kind, ns if i.namespaced else "", n)) for i, n in pairs], None


@shortnames.warns
def scale(cluster: Cluster, args: list[str], *, namespace: str | None = None, replicas: int | None = None,
          select_all: bool = False, selector: str | None = None, dry_run: str = "none",
          output: str | None = None) -> Output:
    """`kubectl scale deploy/NAME --replicas=N` -> `deployment.apps/NAME scaled`. Whatever
    `-o` prints is the object as the resource builder read it, before the scale (scale.go
    prints info.Object)."""
    ns = namespace or "default"
    if replicas is None:
        return Output(stderr="error: required flag(s) \"replicas\" not set\n", code=1)
    if replicas < 0:  # ScaleOptions.Validate
        return Output(stderr="error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n",
                      code=1)
    targets, err = _objects_for(cluster, "scale", args, ns, select_all=select_all, selector=selector)
    if err is not None:
        return err
    out = Output()
    printed: list[dict] = []
    if not targets:
        return Output(stderr="error: no objects passed to scale\n", code=1)
    for info, name, obj in targets:
        if obj is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        if info.subresource("scale") is None:
            out.stderr += ('Error from server (NotFound): the server could not find the requested resource\n')
            out.code = 1
            continue
        if replicas > 2**31 - 1 and dry_run != "client":  # (a client dry run sends nothing)
            # kubectl's --replicas is a Go int; it sends {"spec":{"replicas":N}} as a merge patch to
            # the scale subresource, and the API server cannot decode N into Scale's int32.
            out.stderr += _scale_patch_refused(cluster, info, obj, replicas)
            out.code = 1
            continue
        if dry_run == "none":
            cluster.store.update({**obj, "spec": {**obj["spec"], "replicas": replicas}})
        printed.append(obj)
    out.stdout = writeprint.printed(printed, output, "scaled", dry_run)
    return out


def _scale_patch_refused(cluster: Cluster, info, obj: dict, replicas: int) -> str:

    md = obj["metadata"]
    sel = ",".join(f"{k}={v}" for k, v in sorted(((obj["spec"].get("selector") or {}).get("matchLabels") or {}).items()))
    scale_obj = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                 "metadata": {k: md[k] for k in ("creationTimestamp", "name", "namespace", "resourceVersion", "uid")
                              if md.get(k) is not None},
                 "spec": {"replicas": replicas},
                 "status": {"replicas": int((obj.get("status") or {}).get("replicas") or 0), "selector": sel}}
    patched = json.dumps(scale_obj, sort_keys=True, separators=(",", ":"))
    return (f"error: The request is invalid: patch: Invalid value: {go_quote(patched)}: json: cannot unmarshal "
            f"number {replicas} into Go struct field ScaleSpec.spec.replicas of type int32\n")


def pod_for(cluster: Cluster, target: str, namespace: str) -> dict | None:
    """The pod `kubectl exec TARGET` (and `dig --from`, `trace`) picks: `NAME`, `pod/NAME`, or
    `deploy|rs|ds|svc/NAME` (the first running pod it selects, as kubectl's
    attachablePodForObject does)."""
    word, _, name = target.rpartition("/")
    try:
        kind = printers.resolve_resource(word).kind if word else "Pod"
    except printers.ResourceError:
        return None
    pods = selected_pods(cluster, kind, namespace, name)
    return next((p for p in pods or () if kind == "Pod" or (p.get("status") or {}).get("phase") == "Running"), None)


def pods_for_logs(cluster: Cluster, target: str, namespace: str) -> list[dict] | None:
    """The pods `kubectl logs TARGET` chooses from, best first (logsforobject.go: a pod
    itself, else every pod the object's selector takes, sorted by podutils.ByLogging); None
    when TARGET does not exist."""
    word, _, name = target.rpartition("/")
    pods = selected_pods(cluster, printers.resolve_resource(word).kind if word else "Pod", namespace, name)
    return None if pods is None else sorted(pods, key=_by_logging)


def selected_pods(cluster: Cluster, kind: str, namespace: str, name: str) -> list[dict] | None:
    """The pods an object stands for: a Pod itself; the pods a Service's, Deployment's,
    ReplicaSet's or DaemonSet's selector takes. None when there is no such object -- but a
    workload that is not in the store while its pods are (an attached cluster's mirror
    reads no Deployments) is found through the pods' controller references: a
    Deployment's pods belong to ReplicaSet NAME-<pod-template-hash>."""
    obj = cluster.store.get(kind, namespace, name)
    if kind == "Pod":
        return None if obj is None else [obj]
    if obj is None:
        if kind not in ("Deployment", "ReplicaSet", "DaemonSet"):
            return None
        owned = [p for p in cluster.store.list("Pod", namespace) if _controlled_by(p, kind, name)]
        return owned or None
    spec = obj.get("spec") or {}
    sel = (spec.get("selector") or {}) if kind == "Service" else ((spec.get("selector") or {}).get("matchLabels") or {})
    return list(cluster.store.select("Pod", namespace, sel)) if sel else []


def _controlled_by(pod: dict, kind: str, name: str) -> bool:
    md = pod["metadata"]
    for ref in md.get("ownerReferences") or []:
        if not isinstance(ref, dict) or not ref.get("controller"):
            continue
        if kind == "Deployment":
            h = (md.get("labels") or {}).get("pod-template-hash")
            if ref.get("kind") == "ReplicaSet" and h and ref.get("name") == f"{name}-{h}":
                return True
        elif ref.get("kind") == kind and ref.get("name") == name:
            return True
    return False


def _by_logging(pod: dict) -> tuple:
    """podutils.ByLogging as a sort key: assigned to a node first, then Running < Unknown <
    Pending (any other phase counts as Running: Go's map gives 0), ready first, ready longest
    first, most restarts first, oldest first (an empty time last)."""
    st = pod.get("status") or {}
    ready = pod_is_ready(pod)
    ready_at = next((c.get("lastTransitionTime") or "" for c in st.get("conditions") or []
                     if c.get("type") == "Ready"), "") if ready else ""
    restarts = max((int(cs.get("restartCount") or 0) for cs in st.get("containerStatuses") or []), default=0)
    created = pod["metadata"].get("creationTimestamp") or ""
    return (not pod["spec"].get("nodeName"), {"Unknown": 1, "Pending": 2}.get(st.get("phase") or "", 0),
            not ready, (ready_at == "", ready_at), -restarts, (created == "", created))


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
    """The dashboard's `s`/`S`: the pod's StatefulSet (or Deployment), one more or less."""
    refs = ((cluster.store.get("Pod", namespace, pod_name) or {}).get("metadata") or {}).get("ownerReferences") or []
    sts = next((cluster.store.get("StatefulSet", namespace, o["name"]) for o in refs
                if o.get("controller") and o.get("kind") == "StatefulSet"), None)
    owner, resource = (sts, "statefulset") if sts else (owner_deployment(cluster, namespace, pod_name), "deployment")
    if owner is None:
        return None
    n = max(0, int(owner["spec"].get("replicas", 1)) + delta)
    return scale(cluster, [f"{resource}/{owner['metadata']['name']}"], namespace=namespace, replicas=n)


def toggle_readiness(cluster: Cluster, namespace: str, pod_name: str) -> Output:
    """Flip a running pod's readiness (its probe starts failing, or recovers)."""
    pod = cluster.store.get("Pod", namespace, pod_name)
    if pod is None:
        return Output(stderr=f'Error from server (NotFound): pods "{pod_name}" not found\n', code=1)

    ready = not pod_is_ready(pod)
    if not cluster.kubelet.set_readiness(namespace, pod_name, ready):
        return Output(stderr=f"pod/{pod_name} is not running\n", code=1)
    if not any(c.get("readinessProbe") for c in pod["spec"].get("containers") or []):
        # (svcflow's stand-in for an app that stops answering: without a probe a kubelet
        # would keep the pod Ready, and records no Unhealthy event)
        return Output(stdout=f"pod/{pod_name} marked {'ready' if ready else 'unready'} (it has no readinessProbe: "
                             "on a cluster the kubelet would keep it Ready whatever its app does)\n")
    return Output(stdout=f"pod/{pod_name} readiness probe {'passing' if ready else 'failing'}\n")


@shortnames.warns
def label(cluster: Cluster, args: list[str], *, namespace: str | None = None, overwrite: bool = False,
          select_all: bool = False, selector: str | None = None, dry_run: str = "none",
          output: str | None = None) -> Output:
    """`kubectl label TYPE NAME k=v k-` -> `pod/NAME labeled`, checked as label.go checks."""

    ns = namespace or "default"
    if select_all and selector:
        return Output(stderr="error: cannot set --all and --selector at the same time\n", code=1)
    resources: list[str] = []
    pairs: list[str] = []
    for a in args:  # cmdutil.GetResourcesAndPairs
        if "=" in a or a.endswith("-"):
            pairs.append(a)
        elif pairs:
            return Output(stderr=f"error: all resources must be specified before label changes: {a}\n", code=1)
        else:
            resources.append(a)
    new_labels: dict[str, str] = {}
    remove: list[str] = []
    for spec in pairs:  # parseLabels
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                return Output(stderr=f"error: invalid label spec: {spec}\n", code=1)
            errs = is_valid_label_value(parts[1])
            if errs:
                return Output(stderr=f"error: invalid label value: {go_quote(spec)}: {';'.join(errs)}\n", code=1)
            new_labels[parts[0]] = parts[1]
        elif spec.endswith("-"):
            remove.append(spec[:-1])
    if any(r in new_labels for r in remove):
        return Output(stderr="error: can not both modify and remove a label in the same command\n", code=1)
    if not resources:
        return Output(stderr="error: one or more resources must be specified as <resource> <name> or "
                             "<resource>/<name>\n", code=1)
    if not new_labels and not remove:
        return Output(stderr="error: at least one label update is required\n", code=1)
    targets, err = _objects_for(cluster, "label", resources, ns, select_all=select_all, selector=selector)
    if err is not None:
        return err
    out = Output()
    for info, name, obj in targets:
        if obj is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            return out
        labels = dict(obj["metadata"].get("labels") or {})
        for r in remove:
            if r not in labels and dry_run != "client":  # (a client dry run's labelFunc says nothing)
                out.stdout += f"label {go_quote(r)} not found.\n"
        if not overwrite:  # validateNoOverwrites: any existing key, even with the same value
            clash = [f"'{k}' already has a value ({labels[k]}), and --overwrite is false"
                     for k in new_labels if k in labels]
            if clash:
                out.stderr += f"error: {aggregate_message(clash)}\n"
                out.code = 1
                return out
        before = dict(labels)
        labels.update(new_labels)
        for r in remove:
            labels.pop(r, None)
        errs = validate_labels(labels, "metadata.labels") if dry_run != "client" else []
        if errs:  # the API server validates the patched object (a client dry run sends nothing)
            out.stderr += messages.ApiError("Invalid", kind=info.kind, group=info.group, name=name,
                                            causes=errs).standalone() + "\n"
            out.code = 1
            return out
        if labels == before:
            msg = "not labeled"
        elif not overwrite and len(json.dumps(labels)) < len(json.dumps(before)):
            msg = "unlabeled"  # updateDataChangeMsg compares the JSON lengths
        else:
            msg = "labeled"
        new = {**obj, "metadata": {**obj["metadata"], "labels": labels}}
        if labels != before and dry_run == "none":  # (stored as Go's omitempty keeps it: no empty map)
            cluster.store.update(new if labels else {**obj, "metadata": {
                k: v for k, v in obj["metadata"].items() if k != "labels"}})
        # (label.go prints info.Object as its labelFunc changed it -- the resourceVersion it was
        # read with -- through a printer made per object: no `---` between them)
        out.stdout += writeprint.printed([new], output, msg, dry_run)
    return out


RESTARTABLE = ("Deployment", "DaemonSet", "StatefulSet")
ROLLOUT_SUBCOMMANDS = ("restart", "history", "undo", "status")



@shortnames.warns
def rollout_restart(cluster: Cluster, args: list[str], *, namespace: str | None = None,
                    dry_run: str = "none") -> Output:
    """`kubectl rollout restart deploy/NAME`: a new template annotation, so a new ReplicaSet."""

    ns = namespace or "default"
    targets, err = _objects_for(cluster, "rollout", args, ns, select_all=True, selector=None)
    if err is not None:
        return err
    out = Output()
    for info, name, obj in targets:
        if obj is None:
            out.stderr += printers.not_found_message(info, name) + "\n"
            out.code = 1
            continue
        resource = info.qualified_plural
        if info.kind not in RESTARTABLE:  # polymorphichelpers.defaultObjectRestarter
            out.stderr += f"error: {resource} {go_quote(name)} restarting is not supported\n"
            out.code = 1
            continue
        if info.kind == "Deployment" and obj["spec"].get("paused"):
            out.stderr += (f"error: {resource} {go_quote(name)} can't restart paused deployment "
                           "(run rollout resume first)\n")
            out.code = 1
            continue
        new = copy.deepcopy(obj)
        tmpl_md = new["spec"].setdefault("template", {}).setdefault("metadata", {})
        tmpl_md.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = cluster.now().strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        if dry_run == "none":
            cluster.store.update(new)
        out.stdout += f"{info.qualified}/{name} restarted{DRY_RUN_SUFFIX[dry_run]}\n"
    return out


def cordon(cluster: Cluster, node: str, desired: bool = True, *, dry_run: str = "none") -> Output:
    """`kubectl cordon|uncordon NODE`: spec.unschedulable (the node lifecycle controller's
    node.kubernetes.io/unschedulable:NoSchedule taint follows it)."""

    n = cluster.store.get("Node", "", node)
    if n is None:
        return Output(stderr=f'Error from server (NotFound): nodes "{node}" not found\n', code=1)
    if bool(n["spec"].get("unschedulable")) == desired:
        return Output(stdout=f"node/{node} already {'cordoned' if desired else 'uncordoned'}{DRY_RUN_SUFFIX[dry_run]}\n")
    new = copy.deepcopy(n)
    taints = [t for t in new["spec"].get("taints") or [] if t.get("key") != "node.kubernetes.io/unschedulable"]
    if desired:
        new["spec"]["unschedulable"] = True
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                       "timeAdded": cluster.now_str()})
    else:
        new["spec"].pop("unschedulable", None)
    if taints:
        new["spec"]["taints"] = taints
    else:
        new["spec"].pop("taints", None)
    if dry_run == "none":
        cluster.store.update(new)
    return Output(stdout=f"node/{node} {'cordoned' if desired else 'uncordoned'}{DRY_RUN_SUFFIX[dry_run]}\n")


def drain(cluster: Cluster, node: str, *, ignore_daemonsets: bool = True, force: bool = False,
          dry_run: str = "none") -> Output:
    """`kubectl drain NODE`: cordon, then evict the node's pods (pkg/drain's filters first).
    A dry run names the pods it would evict and evicts none (drain.go's
    deleteOrEvictPodsSimple; pkg/drain does not wait for a server dry run's pods to go)."""
    out = cordon(cluster, node, True, dry_run=dry_run)
    if out.code:
        return out
    pods = sorted((p for p in cluster.store.list("Pod") if p["spec"].get("nodeName") == node),
                  key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))

    def owners(p: dict) -> list[dict]:
        return [o for o in p["metadata"].get("ownerReferences") or [] if isinstance(o, dict) and o.get("controller", True)]

    def ref(p: dict) -> str:
        return f"{p['metadata']['namespace']}/{p['metadata']['name']}"

    mirror = [p for p in pods if "kubernetes.io/config.mirror" in (p["metadata"].get("annotations") or {})
              or any(o.get("kind") == "Node" for o in owners(p))]
    ds = [p for p in pods if p not in mirror and any(o.get("kind") == "DaemonSet" for o in owners(p))]
    bare = [p for p in pods if p not in mirror and not owners(p)]
    errors, warnings = [], []
    if ds:
        (warnings if ignore_daemonsets else errors).append(
            ("ignoring DaemonSet-managed Pods" if ignore_daemonsets
             else "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)")
            + ": " + ", ".join(ref(p) for p in ds))
    if bare:
        (warnings if force else errors).append(
            ("deleting Pods that declare no controller" if force
             else "cannot delete Pods declare no controller (use --force to override)")
            + ": " + ", ".join(ref(p) for p in bare))
    if errors:
        agg = aggregate_message(errors)
        out.stderr += (f'error: unable to drain node "{node}" due to error: {agg}, continuing command...\n'
                       f"There are pending nodes to be drained:\n {node}\n{agg}\n")
        out.code = 1
        return out
    if warnings:  # (on stderr, before the evictions start: `warnings` is printed first)
        out.warnings += "Warning: " + "; ".join(warnings) + "\n"
    evicted = [p for p in pods if p not in ds and p not in mirror]
    # (kubectl evicts the pods at once, a goroutine each: every "evicting" line comes first)
    for p in evicted:
        out.stdout += f"evicting pod {p['metadata']['namespace']}/{p['metadata']['name']}{DRY_RUN_SUFFIX[dry_run]}\n"
    if dry_run == "none":
        for p in evicted:
            cluster.api.delete_object("Pod", p["metadata"]["namespace"], p["metadata"]["name"])
            out.stdout += f"pod/{p['metadata']['name']} evicted\n"
    out.stdout += f"node/{node} drained{DRY_RUN_SUFFIX[dry_run]}\n"
    return out


#: The flags of `kubectl get` svcflow's `get` prints as kubectl does.
GET_FLAGS = frozenset({"namespace", "all-namespaces", "output", "selector", "show-labels", "label-columns", "sort-by",
                       "no-headers", "field-selector"})
#: `kubectl get` flags svcflow's own `get` does not run: refused, pointing at the real kubectl.
GET_FLAGS_ELSEWHERE = frozenset({"watch", "filename", "recursive", "ignore-not-found",
                                 "resource-version", "labels"})


def get_flag_refusal(opts: dict) -> Output | None:
    """A flag `kubectl get` has but svcflow's `get` does not print is refused, never ignored;
    a flag `kubectl get` does not have at all gets pflag's `unknown flag`."""
    for name in opts:
        if name in GET_FLAGS:
            continue
        if name in GET_FLAGS_ELSEWHERE:
            return Output(stderr=f"error: svcflow's get does not run --{name}; the real kubectl does, against "
                                 "`svcflow serve`\n", code=1)
        return usage_error("get", f"unknown flag: --{name}")
    return None


VERBS = ("get", "describe", "explain", "delete", "scale", "label", "rollout", "drain", "cordon", "uncordon", "create",
         "run", "expose")


#: kubectl 1.33's commands (`kubectl --help`): one svcflow does not run here is said so, not
#: "unknown command" (which says kubectl has none).
KUBECTL_COMMANDS = frozenset({
    "create", "expose", "run", "set", "explain", "get", "edit", "delete", "rollout", "scale", "autoscale",
    "certificate", "cluster-info", "top", "cordon", "uncordon", "drain", "taint", "describe", "logs", "attach",
    "exec", "port-forward", "proxy", "cp", "auth", "debug", "events", "diff", "apply", "patch", "replace", "wait",
    "kustomize", "label", "annotate", "completion", "alpha", "api-resources", "api-versions", "config", "plugin",
    "version", "options"})

#: The verbs (of VERBS) whose kubectl 1.33 command has `--dry-run` (`rollout restart` has not).
DRY_RUN_VERBS = frozenset({"delete", "scale", "label", "drain", "cordon", "uncordon", "create", "run", "rollout undo"})


def run_line(cluster: Cluster, line: str) -> Output:
    """One `kubectl ...` line as typed in a terminal (the dashboard's `:` prompt)."""

    try:
        argv = shlex.split(line)
    except ValueError as e:
        return Output(stderr=f"error: {e}\n", code=1)
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    if (err := rootflags.usage_error(argv)) is not None:
        return Output(stderr=err, code=1)
    if rootflags.no_command(argv):
        return Output()
    argv = global_flags_after_verb(argv)
    verb, rest = argv[0], argv[1:]
    if verb == "top":  # (no metrics-server in a kind cluster: kubectl's own words)
        return Output(stderr="error: Metrics API not available\n", code=1)
    if verb in KUBECTL_COMMANDS and verb not in VERBS:
        return Output(stderr=f"error: svcflow does not run `kubectl {verb}` at this prompt (the real kubectl does, "
                             "against `svcflow serve`)\n", code=1)
    if verb not in VERBS:
        return Output(stderr=f'error: unknown command "{verb}" for "kubectl"\n', code=1)
    if verb == "create":  # (its subcommands have flags of their own: engine.kubectl.create)
        return create.run(cluster, rest)
    if verb == "expose":
        return expose.run(cluster, rest)
    if verb == "run":  # (its flags are its own too: `run -l` is --labels)
        return runpod.command(cluster, rest)
    cmd = verb
    if verb == "rollout":
        if not rest or rest[0].startswith("-"):
            return Output(stderr="error: Required resource not specified.\nSee 'kubectl rollout -h' for help and examples\n",
                          code=1)
        sub, rest = rest[0], rest[1:]
        cmd = f"rollout {sub}"
        if sub not in ROLLOUT_SUBCOMMANDS:
            return Output(stderr=f"error: svcflow does not run `kubectl rollout {sub}` yet (it runs: rollout "
                                 "restart, history, undo, status)\n",
                          code=1)
    if verb == "explain":  # (its own flags have no shorthands: only kubectl's global -n NAMESPACE is one)
        for a in rest:
            if a == "--":
                break
            if a.startswith("-") and a[1:2] not in ("", "-", "n"):
                return usage_error(cmd, f"unknown shorthand flag: {go_quote_rune(a[1])} in {a}")
    try:
        opts, pos = parse_flags(rest, verb)
    except UsageError as e:
        return usage_error(cmd, str(e))
    if (foreign := rollout.foreign_flag(cmd, opts)) is not None:
        return usage_error(cmd, f"unknown flag: --{foreign}")
    dry, warning = "none", ""
    if "dry-run" in opts and verb not in DRY_RUN_VERBS and cmd not in DRY_RUN_VERBS:
        return usage_error(cmd, "unknown flag: --dry-run")
    if "dry-run" in opts:
        try:
            dry, warning = dry_run_strategy(opts.get("dry-run"), cluster.now())
        except ValueError as e:
            return Output(stderr=f"error: {e}\n", code=1)
    out = _run_verb(cluster, verb, cmd, argv, opts, pos, dry)
    if warning:  # (klog writes it before the command runs)
        out.warnings = warning + out.warnings
    return out


def _run_verb(cluster: Cluster, verb: str, cmd: str, argv: list[str], opts: dict, pos: list[str],
              dry: str) -> Output:
    """One verb of `run_line`, its flags parsed; `dry` is the dry-run strategy (the writes
    check and print as they would, with kubectl's suffix, and change nothing)."""
    ns = opts.get("namespace")
    sel = opts.get("selector")
    if verb in ("scale", "label") or cmd == "rollout undo":  # (Complete: PrintFlags.ToPrinter)
        problem = writeprint.output_error(opts.get("output"))
        if problem:
            return Output(stderr=f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), code=1)
    if verb == "get":
        refused = get_flag_refusal(opts)
        if refused is not None:
            return refused
        return get(cluster, pos, namespace=ns, all_namespaces=bool(opts.get("all-namespaces")),
                   output=opts.get("output"), selector=sel, show_labels=bool(opts.get("show-labels")),
                   label_columns=opts.get("label-columns", ()), sort_by=opts.get("sort-by"),
                   no_headers=bool(opts.get("no-headers")), field_selector=opts.get("field-selector"))
    if verb == "describe":
        return describe(cluster, pos, namespace=ns, selector=sel, all_namespaces=bool(opts.get("all-namespaces")))
    if verb == "explain":
        return explain(pos, recursive=bool(opts.get("recursive")), api_version=opts.get("api-version"),
                       output=opts.get("output"))
    if verb == "delete":
        if opts.get("output") not in (None, "name"):  # (Validate)
            return Output(stderr=f"error: unexpected -o output mode: {opts['output']}. We only support '-o name'\n",
                          code=1)
        try:
            cascade, cascade_warning = cascade_strategy(opts.get("cascade"))
        except ValueError as e:
            return Output(stderr=f"error: {e}\n", code=1)
        out = _delete(cluster, opts, pos, ns, sel, dry, cascade)
        out.warnings = cascade_warning + out.warnings
        return out
    if verb == "scale":
        return scale(cluster, pos, namespace=ns, replicas=opts.get("replicas"), select_all=bool(opts.get("all")),
                     selector=sel, dry_run=dry, output=opts.get("output"))
    if verb == "label":
        return label(cluster, pos, namespace=ns, overwrite=bool(opts.get("overwrite")),
                     select_all=bool(opts.get("all")), selector=sel, dry_run=dry, output=opts.get("output"))
    if verb == "rollout":
        if not pos:
            return Output(stderr="error: required resource not specified\n", code=1)
        if cmd == "rollout restart":
            return rollout_restart(cluster, pos, namespace=ns, dry_run=dry)
        # (a type alone is each object of it -- `deploy,ds` each of both -- as the resource
        # builder's ResourceTypeOrNameArgs)
        targets, err = [], None
        for words in ([[t] for t in pos[0].split(",")] if len(pos) == 1 and "/" not in pos[0] else [pos]):
            found, err = _objects_for(cluster, "rollout", words, ns or "default", select_all=True, selector=None)
            if err is not None:
                break
            targets += found
        if err is None and not targets and cmd == "rollout status":
            return Output(stderr=f"No resources found in {ns or 'default'} namespace.\n")
        return err or Output(*rollout.run(cluster, cmd, targets, opts, dry))
    if verb in ("drain", "cordon", "uncordon"):
        if not pos:
            return Output(stderr="error: USAGE: %s NODE [flags]\nSee 'kubectl %s -h' for help and examples\n"
                          % (verb, verb), code=1)
        if verb == "drain":
            return drain(cluster, pos[0], ignore_daemonsets=bool(opts.get("ignore-daemonsets")),
                         force=bool(opts.get("force")), dry_run=dry)
        return cordon(cluster, pos[0], verb == "cordon", dry_run=dry)
    return Output(stderr=f"error: svcflow does not run `kubectl {' '.join(argv[:2])}` yet\n", code=1)


def _delete(cluster: Cluster, opts: dict, pos: list[str], ns: str | None, sel: str | None, dry: str,
            cascade: str) -> Output:
    """`kubectl delete` with its flags parsed: by name, selector or --all."""
    kw = {"force": bool(opts.get("force")), "grace_period": opts.get("grace-period"), "cascade": cascade,
          "output": opts.get("output")}
    if opts.get("all") and sel:
        return Output(stderr="error: cannot set --all and --selector at the same time\n", code=1)
    if len(pos) == 1 and "/" not in pos[0] and (sel or opts.get("all")):
        targets, err = _objects_for(cluster, "delete", pos, ns or "default", select_all=True, selector=sel)
        if err is not None:
            return err
        if not targets:
            return Output(stderr="No resources found\n")
        return delete(cluster, [pos[0]] + [n for _, n, _ in targets], namespace=ns, dry_run=dry, **kw)
    if not pos:
        return Output(stderr="error: You must provide one or more resources by argument or filename.\n"
                             "Example resource specifications include:\n   '-f rsrc.yaml'\n   "
                             "'--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n", code=1)
    if len(pos) == 1 and "/" not in pos[0]:
        return Output(stderr="error: resource(s) were provided, but no name, label selector, or --all flag specified\n",
                      code=1)
    return delete(cluster, pos, namespace=ns, dry_run=dry, **kw)
