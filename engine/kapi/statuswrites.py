"""The `status` subresource: GET, PUT and PATCH of an object's status (`kubectl get
--subresource=status`, `kubectl patch --subresource=status`), recorded in managedFields as an
Update of subresource `status`.

What a status write may change is what the status strategies let through: the status and
the annotations; everything else stays as stored. Simplifications (svcflow's, stated): the
status is not validated, and svcflow's controllers rewrite the status they own at their
next sync without taking the fields back from the writer's entry (a real controller's
status update does).
"""
from __future__ import annotations

from aiohttp import web

from engine.api.kinds import KINDS
from engine.api.store import json_copy
from engine.kapi import fieldmanager, reads
from engine.kapi import patch as patches
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute, require_namespace
from engine.kapi.responses import json_response
from engine.kapi.status import bad_request, conflict, method_not_allowed, not_found
from engine.kapi.writes import JSON, PATCH_TYPES, YAML, dry_run, read_body, writer


async def handle(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    info = req.info
    live = ctx.cluster.store.get(req.kind, require_namespace(req), req.name or "")
    if live is None:
        raise not_found(info, req.name or "")
    if request.method == "GET":  # (the status REST's ConvertToTable is its store's: the same Table)
        return reads.get_object(ctx, req, request)
    if request.method == "PATCH":
        body = await read_body(ctx, req, request, PATCH_TYPES)
        wanted = patches.apply_patch(request.content_type, json_copy(live), body)
    elif request.method == "PUT":
        wanted = await read_body(ctx, req, request, (JSON, YAML))
    else:
        raise method_not_allowed()
    dry = dry_run(req)
    if not isinstance(wanted, dict) or not isinstance(wanted.get("metadata", {}), dict):
        raise bad_request(f"{info.kind} in version \"{info.version}\" cannot be handled as a {info.kind}: json: "
                          f"cannot unmarshal into Go value of type {info.kind}")
    live_md, md = live["metadata"], wanted.get("metadata") or {}
    rv = md.get("resourceVersion")
    if rv and rv != live_md.get("resourceVersion"):
        raise conflict(info, live_md["name"], "the object has been modified; please apply your changes to the "
                                              "latest version and try again")
    new = json_copy(live)
    if isinstance(wanted.get("status"), dict):
        new["status"] = wanted["status"]
    else:
        new.pop("status", None)
    if isinstance(md.get("annotations"), dict) and md["annotations"]:
        new["metadata"]["annotations"] = md["annotations"]
    else:
        new["metadata"].pop("annotations", None)
    owners = fieldmanager.updated(fieldmanager.from_request(md, live_md), live, new, req.kind, info.api_version,
                                  writer(req, request), ctx.cluster.now_str(), "status")
    new["metadata"].pop("managedFields", None)
    if owners:
        new["metadata"]["managedFields"] = owners
    if new == live or dry:
        return json_response(ctx.fields.served(new))
    out = ctx.cluster.store.update(new)
    ctx.wrote()
    return json_response(ctx.fields.served(out))


ROUTES = [SubresourceRoute(tuple(k.kind for k in KINDS.values() if k.subresource("status") is not None), "status",
                           handle)]
