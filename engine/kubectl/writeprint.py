"""What kubectl's write commands print: cli-runtime's PrintFlags for a write.

Every write command (apply, create, run, expose, scale, label, rollout undo) prints each
object it wrote through one printer picked by `-o`: none is the NamePrinter with the
command's operation (`deployment.apps/web created`, plus ` (dry run)` or ` (server dry
run)`: PrintFlagsWithDryRunStrategy); `-o name` the NamePrinter's short form
(`deployment.apps/web`); `-o yaml|json` the object itself, without managedFields. One
printer prints every object of a command, so the YAML printer separates the second and later
ones with `---`.

Commands whose client decodes the answer into a Go type (the generators of `kubectl create`,
`kubectl run`) print that type marshalled: Go writes a struct-valued field even when empty
(`creationTimestamp: null`, `resources: {}`, `status: {}`); `go_typed` adds those to an
object as the API server or a generator left it.
"""
from __future__ import annotations

from collections.abc import Sequence

from engine.api.apiserver import DRY_RUN_SUFFIX
from engine.api.gostrconv import go_quote
from engine.api.store import json_copy
from engine.kubectl.printers import encoding, gostructs, jsonpath
from engine.kubectl.printers.get import qualified_kind
from engine.kubectl.printers.jsonpath import JSONPathError

#: PrintFlags.AllowedFormats of a write command (JSONYaml, Name and Template print flags), sorted.
WRITE_FORMATS = sorted(["json", "yaml", "name", "go-template", "go-template-file", "template", "templatefile",
                        "jsonpath", "jsonpath-as-json", "jsonpath-file"])
PRINTED = ("yaml", "json", "name")
_JSONPATH = ("jsonpath", "jsonpath-as-json")


def output_error(output: str | None, template: str | None = None) -> str | None:
    """`-o` as PrintFlags.ToPrinter checks it (before any request): kubectl's
    NoCompatiblePrinterError for a format no write prints; a format svcflow does not print
    is refused in words that point at the real kubectl. `template` (`--template` without
    `-o`) is a go-template's, which kubectl prints with it."""
    if not output and template:
        output = "go-template"
    if not output:
        return None
    if output in PRINTED:
        return None
    name, _, template = output.partition("=")
    if name not in WRITE_FORMATS or name in PRINTED:
        return (f"unable to match a printer suitable for the output format {go_quote(output)}, "
                f"allowed formats are: {','.join(WRITE_FORMATS)}")
    if name in _JSONPATH:
        if not template:
            return "template format specified but no template given"
        try:
            jsonpath.parse("out", template)
        except JSONPathError as e:
            return f"error parsing jsonpath {template}, {e}\n"
        return None
    return (f"svcflow does not print -o {name} after a write (it prints: {', '.join(PRINTED + _JSONPATH)}); "
                "the real kubectl prints it against `svcflow serve`")
    return None


def printed(objs: Sequence[dict], output: str | None, operation: str, dry_run: str, *, typed: bool = False) -> str:
    """The objects a command wrote, as its one printer prints them in turn. `typed`: they
    are Go structs to the command (`-o json` writes their fields in Go's order)."""
    name, _, template = (output or "").partition("=")
    if not output:
        suffix = DRY_RUN_SUFFIX[dry_run]
        return "".join(f"{qualified_kind(o)}/{_name(o)} {operation}{suffix}\n" for o in objs)
    if output == "name":
        return "".join(f"{qualified_kind(o)}/{_name(o)}\n" for o in objs)
    out = []
    for i, o in enumerate(objs):
        if output == "yaml":
            out.append(("---\n" if i else "") + encoding.to_yaml(o))
        elif output == "json":
            out.append(encoding.json_indent(gostructs.ordered(encoding.as_output_object(o))) + "\n" if typed
                       else encoding.to_json(o))
        else:
            out.append(jsonpath.execute(template, encoding.as_output_object(o), encoding.json_compact,
                                        encoding.json_indent, as_json=name == "jsonpath-as-json"))
    return "".join(out)


def _name(obj: dict) -> str:
    """The NamePrinter's name of an object: `<unknown>` when it has none."""
    return str((obj.get("metadata") or {}).get("name") or "<unknown>")


#: The kinds' `status` as Go writes an empty one (ServiceStatus holds a LoadBalancerStatus struct).
_EMPTY_STATUS = {"Service": {"loadBalancer": {}}, "ConfigMap": None, "ServiceAccount": None, "Secret": None}


def go_typed(obj: dict) -> dict:
    """`obj` as kubectl prints it once decoded into its Go type: the struct-valued fields Go
    never omits, where the object has none (a new copy; `obj` is not changed)."""
    out = json_copy(obj)
    md = out.setdefault("metadata", {})
    md.setdefault("creationTimestamp", None)
    spec = out.get("spec")
    if out.get("kind") in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet") and isinstance(spec, dict):
        if out["kind"] == "Deployment":
            spec.setdefault("strategy", {})
        template = spec.get("template")
        if isinstance(template, dict):
            template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
            _typed_pod_spec(template.get("spec"))
    if out.get("kind") == "Pod":
        _typed_pod_spec(spec)
    if out.get("kind") == "Namespace":
        out.setdefault("spec", {})
    empty = _EMPTY_STATUS.get(out.get("kind") or "", {})
    if empty is not None:
        out.setdefault("status", empty)
    return out


def _typed_pod_spec(spec: object) -> None:
    if isinstance(spec, dict):
        for c in spec.get("containers") or ():
            if isinstance(c, dict):
                c.setdefault("resources", {})
