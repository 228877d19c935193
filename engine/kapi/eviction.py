"""`pods/{name}/eviction` (policy/v1 Eviction): what `kubectl drain` POSTs, as protobuf, for
every pod it moves off a cordoned node. There are no PodDisruptionBudgets in the simulated
cluster, so every eviction is allowed: the pod is deleted gracefully through the API server,
as a `kubectl delete pod` would, and the answer is kube-apiserver's 201 Success Status. A dry
run (`kubectl drain --dry-run=server` sets the Eviction's `deleteOptions.dryRun: [All]`; the
request's `?dryRun=All` too) is checked and answered the same, and the pod stays.
"""
from __future__ import annotations

from aiohttp import web

from engine.api.apiserver import ApiError
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute, require_namespace
from engine.kapi.responses import json_response
from engine.kapi.status import StatusError, bad_request, from_api_error, not_found
from engine.kapi.writes import JSON, YAML, delete_dry_run, read_body


async def handle(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    if request.method != "POST":
        raise StatusError("MethodNotAllowed", "the server does not allow this method on the requested resource")
    body = await read_body(ctx, req, request, (JSON, YAML))
    if not isinstance(body, dict) or body.get("kind") != "Eviction":
        raise bad_request("the kind in the data does not match the expected kind (Eviction)")
    ns = require_namespace(req)
    name = ((body.get("metadata") or {}).get("name")) or ""
    if name != req.name:
        raise bad_request("name in URL does not match name in Eviction object")
    if ctx.cluster.store.get("Pod", ns, name) is None:
        raise not_found(req.info, name)
    options = body.get("deleteOptions") or {}
    if not delete_dry_run(req, options):  # (a dry run is answered the same, the pod kept)
        grace = options.get("gracePeriodSeconds") if isinstance(options, dict) else None
        try:
            ctx.cluster.api.delete_object("Pod", ns, name, grace=grace != 0)
        except ApiError as e:
            raise from_api_error(e.status, req.info)
        ctx.wrote()
    return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
                         status=201)


ROUTES = [SubresourceRoute(("Pod",), "eviction", handle)]
