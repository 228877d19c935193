"""The `status` subresource of every kind discovery lists it for (`pods/status`,
`deployments/status`, `nodes/status`, ...), and `namespaces/finalize`: discovery lists them,
so they answer instead of 404.

GET is the object (or its Table: `kubectl get deploy redis --subresource=status`). PATCH and
PUT write only the status, as each kind's status strategy does (PrepareForUpdate keeps the
spec, and `ResetObjectMetaForStatus` the metadata): what else the body changes is dropped.
A PUT to `namespaces/NAME/finalize` sets only `spec.finalizers`, the one way they change
(the namespace strategy keeps them on an ordinary update). svcflow's controllers keep
writing the statuses they own, as the real ones do, so a status written from outside lasts
until the next reconcile of that object. Each write is recorded in managedFields as an
Update of its subresource (`subresource: status`), the fields it changed the writer's.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.api import kinds
from engine.api.store import json_copy
from engine.kapi import fieldmanager, tables
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute
from engine.kapi.responses import json_response, warnings_for
from engine.kapi.status import conflict, method_not_allowed
from engine.kapi.writes import _check_kind, _live, decode_body, dry_run, patched_or_put, writer


async def _wanted(ctx: ApiContext, req: ResourceRequest, request: web.Request, live: dict[str, Any]) -> dict:
    """The object the PATCH or PUT asks for, decoded as the main resource's writes are."""
    wanted = await patched_or_put(ctx, req, request, live)
    wanted = _check_kind(req, wanted)
    rv = (wanted.get("metadata") or {}).get("resourceVersion")
    if request.method == "PUT" and rv and rv != live["metadata"].get("resourceVersion"):
        raise conflict(req.info, live["metadata"]["name"], "the object has been modified; please apply your changes "
                                                           "to the latest version and try again")
    wanted, _ = decode_body(req, wanted, "patching" if request.method == "PATCH" else "updating")
    return wanted


def _store(ctx: ApiContext, req: ResourceRequest, live: dict[str, Any], new: dict[str, Any], wanted: dict[str, Any],
           manager: str) -> web.Response:
    """Keep `new`, its write recorded in managedFields as an Update of the subresource
    (engine.kapi.fieldmanager: only what the subresource may change is the writer's)."""
    live_md = live["metadata"]
    owners = fieldmanager.updated(fieldmanager.from_request(wanted.get("metadata") or {}, live_md), live, new,
                                  req.kind, req.info.api_version, manager, ctx.cluster.now_str(), req.subresource or "")
    new["metadata"].pop("managedFields", None)
    if owners:
        new["metadata"]["managedFields"] = owners
    if new == live or dry_run(req):
        return json_response(ctx.fields.served(new), warnings=warnings_for(req.kind))
    stored = ctx.cluster.store.update(new)
    ctx.wrote()
    return json_response(ctx.fields.served(stored), warnings=warnings_for(req.kind))


async def status(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    live = _live(ctx, req)
    if request.method == "GET":
        table_media = tables.wants_table(request.headers.get("Accept", ""))
        if table_media:
            return json_response(tables.table(req.kind, [live], ctx.cluster.now(), media=table_media,
                                              resource_version=str(ctx.cluster.store.resource_version)))
        return json_response(ctx.fields.served(live), warnings=warnings_for(req.kind))
    manager = writer(req, request)
    wanted = await _wanted(ctx, req, request, live)
    new = json_copy(live)
    if isinstance(wanted.get("status"), dict):
        new["status"] = wanted["status"]
    else:
        new.pop("status", None)
    return _store(ctx, req, live, new, wanted, manager)


async def finalize(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    if request.method != "PUT":
        raise method_not_allowed()
    live = _live(ctx, req)
    manager = writer(req, request)
    wanted = await _wanted(ctx, req, request, live)
    new = json_copy(live)
    finalizers = (wanted.get("spec") or {}).get("finalizers") if isinstance(wanted.get("spec"), dict) else None
    spec = new.setdefault("spec", {})
    if finalizers:
        spec["finalizers"] = list(finalizers)
    else:
        spec.pop("finalizers", None)
    return _store(ctx, req, live, new, wanted, manager)


ROUTES = [SubresourceRoute(tuple(i.kind for i in kinds.KINDS.values() if i.subresource("status")), "status", status),
          SubresourceRoute(("Namespace",), "finalize", finalize)]
