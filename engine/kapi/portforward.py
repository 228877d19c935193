"""`pods/portforward`: not simulated. kubectl 1.30+ speaks SPDY/3.1 for it (tunnelled in a
WebSocket, then plain; apiserver-spec §5.3), and no port of a simulated container is a real
socket to forward to. Both attempts get a Status that says so at once, so `kubectl
port-forward` prints it and exits instead of hanging; a NodePort (`curl NODE:31000` in
`svcflow session`) or `kubectl exec POD -- curl` reaches the same process.
"""
from __future__ import annotations

from aiohttp import web

from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute, require_namespace
from engine.kapi.status import StatusError, not_found

MESSAGE = ("port-forward is not simulated by svcflow: a simulated container has no socket to forward to; "
           "reach it with `kubectl exec POD -- curl localhost:PORT`, or through a NodePort Service")


async def handle(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    if ctx.cluster.store.get("Pod", require_namespace(req), req.name or "") is None:
        raise not_found(req.info, req.name or "")
    raise StatusError("BadRequest", MESSAGE)


ROUTES = [SubresourceRoute(("Pod",), "portforward", handle)]
