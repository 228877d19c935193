"""The `scale` subresource of Deployments, ReplicaSets and StatefulSets (autoscaling/v1 `Scale`):
`kubectl scale deploy/redis --replicas=3` PATCHes it with a JSON merge patch."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.api.labels import label_selector_string
from engine.api.store import json_copy
from engine.api.validation.decoding import decode_error
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute, require_namespace
from engine.kapi.responses import json_response
from engine.kapi.status import StatusError, bad_request, not_found
from engine.kapi.writes import dry_run, patched_or_put, update_object, writer


def scale_of(obj: dict) -> dict[str, Any]:
    md = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in md},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": status.get("replicas", 0),
                       "selector": label_selector_string(spec.get("selector"))}}


async def handle(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    live = ctx.cluster.store.get(req.kind, require_namespace(req), req.name or "")
    if live is None:
        raise not_found(req.info, req.name or "")
    current = scale_of(live)
    if request.method == "GET":
        return json_response(current)
    wanted = await patched_or_put(ctx, req, request, current)
    if not isinstance(wanted, dict):
        raise bad_request("Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal "
                          f"{'array' if isinstance(wanted, list) else 'value'} into Go value of type v1.Scale")
    # decoded into autoscaling/v1 Scale as kube-apiserver does: int32 replicas, so a typo of
    # 99999999999 is refused before anything is stored (it once made 270,000 pods)
    bad = decode_error({**wanted, "apiVersion": "autoscaling/v1", "kind": "Scale"})
    if bad is not None:
        raise bad_request(f'Scale in version "v1" cannot be handled as a Scale: {bad.message}')
    replicas = int((wanted.get("spec") or {}).get("replicas") or 0)
    if replicas < 0:
        raise StatusError("Invalid", f'Scale.autoscaling "{req.name}" is invalid: spec.replicas: Invalid value: '
                          f'{replicas}: must be greater than or equal to 0',
                          details={"name": req.name, "group": "autoscaling", "kind": "Scale",
                                   "causes": [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                                               "message": f"Invalid value: {replicas}: must be greater than or "
                                                          "equal to 0"}]})
    new = json_copy(live)
    new.setdefault("spec", {})["replicas"] = replicas
    out = update_object(ctx, req, live, new, dry_run=dry_run(req), manager=writer(req, request), subresource="scale")
    return json_response(scale_of(out))


ROUTES = [SubresourceRoute(("Deployment", "ReplicaSet", "StatefulSet"), "scale", handle)]
