"""Server-side apply (`PATCH` with `application/apply-patch+yaml`, `kubectl apply
--server-side`; apiserver-spec §3.5): field managers, `metadata.managedFields`, conflicts.

Each manager owns the set of fields it applied, recorded as kube-apiserver records them
(`FieldsV1`: `f:<field>`, `k:{"name":"counter"}` for an item of a list merged by key, `.`
for an item itself; structured-merge-diff `typed/tofieldset.go`). An apply:
1. refuses (409 Conflict, apiserver `fieldmanager/internal/conflict.go` wording) to change a
   value another manager owns, unless `force=true`, which takes the field over;
2. removes the fields this manager applied last time, no longer applies, and nobody else owns;
3. merges the applied configuration (maps by key, lists of the Go types' merge keys by key,
   other lists and scalars replaced) and stores the result through the same defaulting and
   validation as every write (`writes.update_object`), or creates the object when absent.

Simplifications (svcflow's, stated): only `Apply` managers are tracked (writes that are not
applies do not record `Update` managers, so they never conflict and never own fields); a
list is merged by key only where the strategic merge patch merges it by key (engine.kapi.patch),
every other list is atomic; metadata.name/namespace and status are never owned.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from aiohttp import web

from engine.api.apiserver import ApiError
from engine.api.store import json_copy
from engine.kapi import patch as patches
from engine.kapi.context import ApiContext, ResourceRequest, require_namespace
from engine.kapi.responses import json_response, warnings_for
from engine.kapi.status import StatusError, bad_request, from_api_error
from engine.kapi.writes import decode_body as decode  # (the strict field validation every write gets)
from engine.kapi.writes import dry_run as dry_run_of
from engine.kapi.writes import read_body, update_object

APPLY = patches.APPLY
Path = tuple[str, ...]  # elements: "f:name", 'k:{"name":"x"}'; a field set is a set of Paths
# Never owned (apiserver `fieldmanager` StripMeta, and status through the main resource).
_STRIPPED = {("f:apiVersion",), ("f:kind",), ("f:status",)}
_META_STRIPPED = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink",
                  "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds"}
# Maps whose keys are data (each key is owned), not fields of a Go struct.
_FREE_MAPS = {("metadata", "labels"), ("metadata", "annotations"), ("data",), ("binaryData",), ("stringData",),
              ("spec", "template", "metadata", "labels"), ("spec", "template", "metadata", "annotations"),
              ("limits",), ("requests",)}
# Fields owned as a whole (`+structType=atomic` / `+mapType=atomic` in k8s.io/api): a workload's
# LabelSelector and a Service's selector map alike.
_ATOMIC = {("spec", "selector"), ("nodeSelector",), ("matchLabels",)}
# Defaults of key fields the apiserver fills before it builds a key (`k:{"containerPort":80,"protocol":"TCP"}`).
_KEY_DEFAULTS = {"protocol": "TCP"}
_KEY_FIELDS = {"ports": ("containerPort", "protocol"), "env": ("name",), "containers": ("name",),
               "initContainers": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",)}


def _is_free_map(path: tuple[str, ...]) -> bool:
    return any(path[-len(p):] == p for p in _FREE_MAPS if len(path) >= len(p))


def _is_atomic(path: tuple[str, ...]) -> bool:
    return any(path[-len(p):] == p for p in _ATOMIC if len(path) >= len(p))


def _key_fields(kind: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The keys of an associative list (the fields its items are told apart by), or None."""
    key = patches.merge_key(kind, path)
    if key is None:
        return None
    if path[-1] == "ports":
        return ("port", "protocol") if kind == "Service" and path == ("spec", "ports") else ("containerPort", "protocol")
    return _KEY_FIELDS.get(path[-1], (key,))


def _item_key(item: dict, keys: tuple[str, ...]) -> str:
    vals = {k: item.get(k, _KEY_DEFAULTS.get(k)) for k in keys}
    return "k:" + json.dumps({k: v for k, v in vals.items() if v is not None}, separators=(",", ":"))


def field_set(obj: dict, kind: str) -> set[Path]:
    """The fields an applied configuration sets (structured-merge-diff's ToFieldSet)."""
    out: set[Path] = set()

    def walk_map(value: dict, path: Path, shape: tuple[str, ...]) -> None:
        free = _is_free_map(shape)
        for k, v in value.items():
            if not path and k in ("apiVersion", "kind", "status"):
                continue
            if shape == ("metadata",) and k in _META_STRIPPED:
                continue
            p, s = path + (f"f:{k}",), shape + (k,)
            walk(v, p, s)
            if v is None or v == {} or free:
                out.add(p)

    def walk(value: Any, path: Path, shape: tuple[str, ...]) -> None:
        if _is_atomic(shape):
            out.add(path)
        elif isinstance(value, dict):
            walk_map(value, path, shape)
        elif isinstance(value, list):
            keys = _key_fields(kind, shape)
            if keys is None or not all(isinstance(i, dict) for i in value):
                out.add(path)  # an atomic list
                return
            for item in value:
                p = path + (_item_key(item, keys),)
                walk_map(item, p, shape)
                out.add(p)
        else:
            out.add(path)

    walk_map(obj, (), ())
    return out


def to_fields_v1(fields: Iterable[Path]) -> dict:
    """A field set as `fieldsV1` (a member that also has children is `.` among them)."""
    tree: dict = {}
    members = set(fields)
    for path in sorted(members):
        node = tree
        for el in path:
            node = node.setdefault(el, {})
    def mark(node: dict, prefix: Path) -> None:
        for k, child in node.items():
            if k == ".":
                continue
            p = prefix + (k,)
            if child and p in members:
                child["."] = {}
            mark(child, p)
    mark(tree, ())
    return tree


def from_fields_v1(tree: dict, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, child in (tree or {}).items():
        if k == ".":
            out.add(prefix)
            continue
        p = prefix + (k,)
        if not child:
            out.add(p)
        else:
            out |= from_fields_v1(child, p)
    return out


def path_string(path: Path) -> str:
    """fieldpath.Path.String(): `.spec.template.spec.containers[name="counter"].image`."""
    out = ""
    for el in path:
        kind, _, rest = el.partition(":")
        if kind == "f":
            out += "." + rest
        elif kind == "k":
            key = json.loads(rest)
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in key.items()) + "]"
        else:
            out += f"[={rest}]"
    return out


def _get(obj: Any, path: Path) -> tuple[bool, Any]:
    """The value at a field path, and whether it is there."""
    for el in path:
        kind, _, rest = el.partition(":")
        if kind == "f" and isinstance(obj, dict) and rest in obj:
            obj = obj[rest]
        elif kind == "k" and isinstance(obj, list):
            key = json.loads(rest)
            obj = next((i for i in obj if isinstance(i, dict) and
                        all(i.get(k, _KEY_DEFAULTS.get(k)) == v for k, v in key.items())), _MISSING)
            if obj is _MISSING:
                return False, None
        else:
            return False, None
    return True, obj


_MISSING = object()


def _remove(obj: Any, path: Path) -> None:
    parent_found, parent = _get(obj, path[:-1])
    if not parent_found:
        return
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind == "k" and isinstance(parent, list):
        key = json.loads(rest)
        parent[:] = [i for i in parent if not (isinstance(i, dict) and
                                              all(i.get(k, _KEY_DEFAULTS.get(k)) == v for k, v in key.items()))]
    if not parent and len(path) > 1:
        _remove(obj, path[:-1])  # a list or map left empty goes too (structured-merge-diff's RemoveItems)


def merge(live: Any, config: Any, kind: str, shape: tuple[str, ...] = ()) -> Any:
    """The applied configuration over the live object: maps merge by key, lists merged by
    key item by item, anything else (and atomic fields) is replaced."""
    if isinstance(config, dict) and isinstance(live, dict) and not _is_atomic(shape):
        out = dict(live)
        for k, v in config.items():
            out[k] = merge(live.get(k), v, kind, shape + (k,))
        return out
    if isinstance(config, list) and isinstance(live, list):
        keys = _key_fields(kind, shape)
        if keys is not None and all(isinstance(i, dict) for i in config + live):
            out_list = [json_copy(i) for i in live]
            for item in config:
                k = _item_key(item, keys)
                at = next((n for n, i in enumerate(out_list) if _item_key(i, keys) == k), None)
                if at is None:
                    out_list.append(json_copy(item))
                else:
                    out_list[at] = merge(out_list[at], item, kind, shape)
            return out_list
    return json_copy(config)


def _manager(entry: Any) -> str:
    return entry.get("manager", "") if isinstance(entry, dict) else ""


def conflicts(live: dict, config: dict, applied: set[Path], managers: list[dict], manager: str
              ) -> list[tuple[str, str, Path]]:
    """(manager, apiVersion, path) of each value the apply changes that another manager owns."""
    out = []
    for entry in managers:
        if _manager(entry) == manager or entry.get("operation") != "Apply":
            continue
        theirs = from_fields_v1(entry.get("fieldsV1") or {})
        for path in sorted(applied & theirs):
            has_live, live_value = _get(live, path)
            _, new_value = _get(config, path)
            if has_live and live_value != new_value and not isinstance(new_value, dict):
                out.append((_manager(entry), entry.get("apiVersion", ""), path))
    return out


def conflict_error(found: list[tuple[str, str, Path]]) -> StatusError:
    causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using {v}',
               "field": path_string(p)} for m, v, p in found]
    if len(found) == 1:
        m, v, p = found[0]
        message = f'Apply failed with 1 conflict: conflict with "{m}" using {v}: {path_string(p)}'
    else:
        lines = []
        for m in sorted({m for m, _, _ in found}):
            v = next(v for mm, v, _ in found if mm == m)
            lines.append(f'conflicts with "{m}" using {v}:')
            lines += [f"- {path_string(p)}" for mm, _, p in found if mm == m]
        message = f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
    return StatusError("Conflict", message, details={"causes": causes})


def _entry(ctx: ApiContext, manager: str, api_version: str, fields: set[Path]) -> dict:
    return {"manager": manager, "operation": "Apply", "apiVersion": api_version, "time": ctx.cluster.now_str(),
            "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(fields)}


async def apply(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.Response:
    info = req.info
    manager = req.query.get("fieldManager") or ""
    if not manager:  # (PatchOptions are validated before anything else: apiserver ValidatePatchOptions)
        raise StatusError("Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                          "required for apply patch",
                          details={"group": "meta.k8s.io", "kind": "PatchOptions",
                                   "causes": [{"reason": "FieldValueRequired", "field": "fieldManager",
                                               "message": "Required value: is required for apply patch"}]})
    config = await read_body(ctx, req, request, (patches.APPLY,))
    dry = dry_run_of(req)  # (`--dry-run=server`: everything below runs, nothing is kept)
    if not isinstance(config, dict):
        raise bad_request("error decoding YAML: the applied configuration is not an object")
    if config.get("kind") != info.kind or config.get("apiVersion") != info.api_version:
        raise bad_request(f"the kind and apiVersion in the applied configuration ({config.get('apiVersion')}, "
                          f"{config.get('kind')}) do not match the request ({info.api_version}, {info.kind})")
    md = config.setdefault("metadata", {})
    if not isinstance(md, dict) or md.get("name") not in (None, req.name):
        raise bad_request(f"the name of the object ({(md or {}).get('name')}) does not match the name on the URL "
                          f"({req.name})")
    ns = require_namespace(req)
    md["name"] = req.name
    if info.namespaced:
        md["namespace"] = ns
    config, warnings = decode(req, config, "patching")
    applied = field_set(config, info.kind) - _STRIPPED
    force = (req.query.get("force") or "").lower() == "true"
    live = ctx.cluster.store.get(info.kind, ns, req.name or "")
    if live is None:
        return _create(ctx, req, config, manager, applied, warnings, dry)
    managers = [json_copy(e) for e in live["metadata"].get("managedFields") or [] if isinstance(e, dict)]
    found = conflicts(live, config, applied, managers, manager)
    if found and not force:
        raise conflict_error(found)
    taken = {p for _, _, p in found}
    mine = next((e for e in managers if _manager(e) == manager and e.get("operation") == "Apply"), None)
    before = from_fields_v1(mine.get("fieldsV1") or {}) if mine else set()
    others: set[Path] = set()
    kept: list[dict] = []
    for e in managers:
        if e is mine:
            continue
        theirs = from_fields_v1(e.get("fieldsV1") or {}) - taken
        if theirs or e.get("operation") != "Apply":
            e["fieldsV1"] = to_fields_v1(theirs)
            kept.append(e)
            others |= theirs
    new = json_copy(live)
    dropped = before - applied - others
    for path in sorted(dropped, key=len, reverse=True):
        if not any(path[:n] in dropped for n in range(1, len(path))):  # (an item goes whole, by its key)
            _remove(new, path)
    new = merge(new, {k: v for k, v in config.items() if k != "status"}, info.kind)
    if _without_owners(new) == _without_owners(live) and mine is not None and before == applied and not taken:
        return json_response(live, warnings=warnings_for(info.kind) + warnings)  # nothing changes: no write
    entries = kept + [_entry(ctx, manager, info.api_version, applied)]
    out = update_object(ctx, req, live, new, managed_fields=entries, dry_run=dry)
    return json_response(out, warnings=warnings_for(info.kind) + warnings)


def _without_owners(obj: dict) -> dict:
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}


def _create(ctx: ApiContext, req: ResourceRequest, config: dict, manager: str, applied: set[Path],
            warnings: list[str], dry_run: bool = False) -> web.Response:
    """Apply to a name that does not exist creates it; the creation and its managedFields
    are two writes here (svcflow's API server sets no managedFields on create). A dry run
    answers the object the creation would make, managedFields and all, and keeps nothing."""
    info = req.info
    try:
        out = ctx.cluster.api.create(json_copy(config), dry_run=dry_run)
    except ApiError as e:
        raise from_api_error(e.status, info)
    with_fields = json_copy(out)
    with_fields["metadata"]["managedFields"] = [_entry(ctx, manager, info.api_version, applied)]
    if dry_run:
        return json_response(with_fields, status=201, warnings=warnings_for(info.kind) + warnings)
    out = ctx.cluster.store.update(with_fields, owned=True)
    ctx.wrote()
    return json_response(out, status=201, warnings=warnings_for(info.kind) + warnings)
