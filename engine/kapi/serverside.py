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

Every other write records an `Update` manager (engine.kapi.fieldmanager); an apply conflicts
with those as with other appliers, and `kubectl`'s first apply of an object it applied
client-side takes over the fields its last-applied configuration still holds (apimachinery
`lastAppliedManager`). Simplifications (svcflow's, stated): a list is merged by key only where
the strategic merge patch merges it by key (engine.kapi.patch), every other list is atomic;
metadata.name/namespace and status are never owned.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from engine.api.apiserver import ApiError
from engine.api.store import json_copy
from engine.api.wellknown import LAST_APPLIED
from engine.kapi import fieldmanager
from engine.kapi import patch as patches
from engine.kapi.context import ApiContext, ResourceRequest, require_namespace
from engine.kapi.fieldpaths import (  # noqa: F401 (field_set, to/from_fields_v1, path_string: its API)
    STRIPPED,
    Path,
    field_set,
    from_fields_v1,
    is_atomic,
    item_key,
    key_fields,
    path_string,
    remove_field,
    to_fields_v1,
    value_at,
)
from engine.kapi.responses import object_response
from engine.kapi.status import StatusError, bad_request, from_api_error
from engine.kapi.writes import decode_body as decode  # (the strict field validation every write gets)
from engine.kapi.writes import dry_run as dry_run_of
from engine.kapi.writes import read_body, update_object, writer

APPLY = patches.APPLY
def merge(live: Any, config: Any, kind: str, shape: tuple[str, ...] = ()) -> Any:
    """The applied configuration over the live object: maps merge by key, lists merged by
    key item by item, anything else (and atomic fields) is replaced."""
    if isinstance(config, dict) and isinstance(live, dict) and not is_atomic(shape):
        out = dict(live)
        for k, v in config.items():
            out[k] = merge(live.get(k), v, kind, shape + (k,))
        return out
    if isinstance(config, list) and isinstance(live, list):
        keys = key_fields(kind, shape)
        if keys is not None and all(isinstance(i, dict) for i in config + live):
            out_list = [json_copy(i) for i in live]
            for item in config:
                k = item_key(item, keys)
                at = next((n for n, i in enumerate(out_list) if item_key(i, keys) == k), None)
                if at is None:
                    out_list.append(json_copy(item))
                else:
                    out_list[at] = merge(out_list[at], item, kind, shape)
            return out_list
    return json_copy(config)


def _manager(entry: Any) -> str:
    return entry.get("manager", "") if isinstance(entry, dict) else ""


def _manager_json(entry: dict) -> str:
    """BuildManagerIdentifier: the entry without its fields and time (and, for an applier,
    its apiVersion) as Go marshals it; conflicts are grouped and sorted by it."""
    ident = {"manager": entry.get("manager", ""), "operation": entry.get("operation", "")}
    if entry.get("operation") != "Apply" and entry.get("apiVersion"):
        ident["apiVersion"] = entry["apiVersion"]
    if entry.get("subresource"):
        ident["subresource"] = entry["subresource"]
    return json.dumps(ident, separators=(",", ":"))


def print_manager(entry: dict) -> str:
    """internal/conflict.go printManager: `"kubectl"` for an applier, `"kubectl-create" using
    apps/v1` for an updater, `with subresource "scale"` when it wrote one."""
    out = json.dumps(entry.get("manager", ""))
    if entry.get("subresource"):
        out += f' with subresource {json.dumps(entry["subresource"])}'
    if entry.get("operation") == "Update":
        out += f' using {entry.get("apiVersion", "")}'
    return out


Conflict = tuple[str, str, Path]  # (manager identifier, printed manager, path)


def conflicts(live: dict, config: dict, applied: set[Path], managers: list[dict], manager: str
              ) -> list[Conflict]:
    """Each value the apply changes that another manager (an applier or an updater) owns."""
    out = []
    for entry in managers:
        if _manager(entry) == manager and entry.get("operation") == "Apply" and not entry.get("subresource"):
            continue
        theirs = from_fields_v1(entry.get("fieldsV1") or {})
        for path in sorted(applied & theirs):
            has_live, live_value = value_at(live, path)
            _, new_value = value_at(config, path)
            if has_live and live_value != new_value and not isinstance(new_value, dict):
                out.append((_manager_json(entry), print_manager(entry), path))
    return out


def conflict_error(found: list[Conflict]) -> StatusError:
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {m}", "field": path_string(p)}
              for _, m, p in found]
    if len(found) == 1:
        _, m, p = found[0]
        message = f"Apply failed with 1 conflict: conflict with {m}: {path_string(p)}"
    else:
        lines = []
        for ident in sorted({i for i, _, _ in found}):
            m = next(m for i, m, _ in found if i == ident)
            lines.append(f"conflicts with {m}:")
            lines += [f"- {path_string(p)}" for i, _, p in found if i == ident]
        message = f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
    return StatusError("Conflict", message, details={"causes": causes})


def allowed_from_last_applied(live: dict, kind: str, api_version: str) -> set[Path]:
    """lastAppliedManager.allowedConflictsFromLastApplied: the fields of the live object's
    client-side last-applied configuration that still hold the values it applied (kubectl's
    first server-side apply of an object it applied client-side takes those over)."""
    raw = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        last = json.loads(raw) if raw else None
    except ValueError:
        return set()
    if not isinstance(last, dict) or last.get("apiVersion") != api_version:
        return set()
    fields = field_set(last, kind)
    return {p for p in fields if value_at(last, p) == value_at(live, p)}


def _entry(ctx: ApiContext, manager: str, api_version: str, fields: set[Path]) -> dict:
    """The applier's entry: an Apply (of no subresource) of the fields it applied, now."""
    return fieldmanager.entry(manager, "Apply", api_version, ctx.cluster.now_str(), fields)


async def apply(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.Response:
    info = req.info
    manager = req.query.get("fieldManager") or ""
    if not manager:  # (PatchOptions are validated before anything else: apiserver ValidatePatchOptions)
        raise StatusError("Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                          "required for apply patch",
                          details={"group": "meta.k8s.io", "kind": "PatchOptions",
                                   "causes": [{"reason": "FieldValueRequired", "field": "fieldManager",
                                               "message": "Required value: is required for apply patch"}]})
    manager = writer(req, request)  # (and its length and characters)
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
    applied = field_set(config, info.kind) - STRIPPED
    force = (req.query.get("force") or "").lower() == "true"
    live = ctx.cluster.store.get(info.kind, ns, req.name or "")
    if live is None:
        return _create(ctx, req, config, manager, applied, warnings, dry)
    managers = [json_copy(e) for e in live["metadata"].get("managedFields") or [] if isinstance(e, dict)]
    found = conflicts(live, config, applied, managers, manager)
    if found and not force and manager == "kubectl":  # (lastAppliedManager: client-side to server-side apply)
        allowed = allowed_from_last_applied(live, info.kind, info.api_version)
        if any(p not in allowed for _, _, p in found):
            raise conflict_error([c for c in found if c[2] not in allowed])
    elif found and not force:
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
        if theirs:  # (an entry left without fields goes)
            e["fieldsV1"] = to_fields_v1(theirs)
            kept.append(e)
            others |= theirs
    new = json_copy(live)
    dropped = before - applied - others
    for path in sorted(dropped, key=len, reverse=True):
        if not any(path[:n] in dropped for n in range(1, len(path))):  # (an item goes whole, by its key)
            remove_field(new, path)
    new = merge(new, {k: v for k, v in config.items() if k != "status"}, info.kind)
    if _without_owners(new) == _without_owners(live) and mine is not None and before == applied and not taken:
        return object_response(ctx, info.kind, live, warnings=warnings)  # nothing changes: no write
    entries = fieldmanager.sort_entries(kept + [_entry(ctx, manager, info.api_version, applied)])
    out = update_object(ctx, req, live, new, managed_fields=entries, dry_run=dry)
    return object_response(ctx, info.kind, out, warnings=warnings)


def _without_owners(obj: dict) -> dict:
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}


def _create(ctx: ApiContext, req: ResourceRequest, config: dict, manager: str, applied: set[Path],
            warnings: list[str], dry_run: bool = False) -> web.Response:
    """Apply to a name that does not exist creates it, its managedFields the applier's entry.
    A dry run answers the object the creation would make, managedFields and all, and keeps
    nothing."""
    info = req.info
    try:
        out = ctx.cluster.api.create(json_copy(config), dry_run=dry_run,
                                     managed_fields=[_entry(ctx, manager, info.api_version, applied)])
    except ApiError as e:
        raise from_api_error(e.status, info)
    if not dry_run:
        ctx.wrote()
    return object_response(ctx, info.kind, out, status=201, warnings=warnings)
