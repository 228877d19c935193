"""The `status` subresource of every kind discovery lists it for (`pods/status`,
`deployments/status`, `nodes/status`, ...), and `namespaces/finalize`: discovery lists them,
so they answer instead of 404.

GET is the object (or its Table: `kubectl get deploy redis --subresource=status`). PATCH and
PUT go through the one write path (`writes.update_object`, `ApiServer.update`) with the
subresource's strategy: a status write keeps the spec and what else the kind's status
strategy keeps (a Deployment's labels, a pod's ownerReferences: apiserver.status_strategy_keeps),
and is validated as the kind's ValidateXStatusUpdate validates it (`status.replicas: Invalid
value: -1: must be greater than or equal to 0`). A PUT to `namespaces/NAME/finalize` keeps only the status (the one way
`spec.finalizers` change: the namespace strategy keeps them on an ordinary update); when it
leaves a terminating Namespace without finalizers, the Namespace is deleted at once
(ShouldDeleteNamespaceDuringUpdate), its content left behind -- the stuck-namespace
`kubectl replace --raw /api/v1/namespaces/X/finalize -f -`. svcflow's controllers keep
writing the statuses they own, as the real ones do, so a status written from outside lasts
until the next reconcile of that object. Each write is recorded in managedFields as an
Update of its subresource (`subresource: status`), the fields it changed the writer's.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.api import kinds
from engine.kapi import tables
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute
from engine.kapi.responses import json_response, object_response
from engine.kapi.status import method_not_allowed
from engine.kapi.writes import _check_kind, _live, decode_body, dry_run, patched_or_put, update_object, writer


async def _wanted(ctx: ApiContext, req: ResourceRequest, request: web.Request, live: dict[str, Any]) -> dict:
    """The object the PATCH or PUT asks for, decoded as the main resource's writes are."""
    wanted = await patched_or_put(ctx, req, request, live)
    wanted = _check_kind(req, wanted)  # (a stale resourceVersion is update_object's Conflict)
    wanted, _ = decode_body(req, wanted, "patching" if request.method == "PATCH" else "updating")
    return wanted


def _write(ctx: ApiContext, req: ResourceRequest, request: web.Request, live: dict[str, Any],
           wanted: dict[str, Any], manager: str) -> web.Response:
    """The write, through the update path every write takes, with the subresource's strategy."""
    verb = "patching" if request.method == "PATCH" else "updating"
    out = update_object(ctx, req, live, wanted, verb, dry_run=dry_run(req), manager=manager,
                        subresource=req.subresource or "")
    return object_response(ctx, req.kind, out)


async def status(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    live = _live(ctx, req)
    if request.method == "GET":
        table_media = tables.wants_table(request.headers.get("Accept", ""))
        if table_media:
            return json_response(tables.table(req.kind, [live], ctx.cluster.now(), media=table_media,
                                              resource_version=str(ctx.cluster.store.resource_version)))
        return object_response(ctx, req.kind, live)
    manager = writer(req, request)
    return _write(ctx, req, request, live, await _wanted(ctx, req, request, live), manager)


async def finalize(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    if request.method != "PUT":
        raise method_not_allowed()
    live = _live(ctx, req)
    manager = writer(req, request)
    return _write(ctx, req, request, live, await _wanted(ctx, req, request, live), manager)


ROUTES = [SubresourceRoute(tuple(i.kind for i in kinds.KINDS.values() if i.subresource("status")), "status", status),
          SubresourceRoute(("Namespace",), "finalize", finalize)]
