"""The served API as an aiohttp application, and helpers to start and stop it inside an
event loop that is already running (a test's, `svcflow serve`'s, the dashboard's).

Each concern contributes its own route table: discovery and version here, `openapi.routes`,
the resource paths (`reads`, `writes`) behind one dispatcher, and subresources
(`scale.ROUTES`; streams, logs, ... later) through `ApiContext.subresource_routes`.
Errors of any kind become kube-apiserver's Status answers; nothing a client sends reaches
the cluster except through its API server, and no traceback leaves the server.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from aiohttp import web

from engine.kapi import (
    authz,
    discovery,
    eviction,
    logs,
    openapi,
    openapiv2,
    portforward,
    protobuf,
    reads,
    scale,
    serverside,
    statussub,
    streams,
    writes,
)
from engine.kapi.context import MAX_BODY, ApiContext, BodyDecoder, SubresourceHandler, SubresourceRoute, resolve
from engine.kapi.responses import json_response, marshal_indent_json, query_bool, status_response, warnings_for
from engine.kapi.status import StatusError, method_not_allowed, unknown_path
from engine.kapi.version import version_info

if TYPE_CHECKING:
    from engine.cluster.cluster import Cluster
    from engine.net.network import Network

log = logging.getLogger("svcflow.kapi")

#: The subresources served, each by its own module.
SUBRESOURCES: tuple[SubresourceRoute, ...] = (*scale.ROUTES, *streams.ROUTES, *logs.ROUTES, *portforward.ROUTES,
                                              *eviction.ROUTES, *statussub.ROUTES)
#: Request bodies other than JSON/YAML, and PATCH media types with a handler of their own.
BODY_DECODERS: dict[str, BodyDecoder] = {protobuf.MEDIA_TYPE: protobuf.decode_body}
PATCH_HANDLERS: dict[str, SubresourceHandler] = {serverside.APPLY: serverside.apply}


@web.middleware
async def _statuses(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except StatusError as e:
        return status_response(e)
    except web.HTTPRequestEntityTooLarge:
        return status_response(StatusError("RequestEntityTooLarge",
                                           f"the request body is too large: limit is {MAX_BODY} bytes"))
    except web.HTTPNotFound:
        return status_response(unknown_path())
    except web.HTTPMethodNotAllowed:
        return status_response(method_not_allowed())
    except web.HTTPException:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad request must never take the cluster down
        log.error("svcflow serve: %s %s failed: %s: %s", request.method, request.path, type(exc).__name__, exc)
        return status_response(StatusError("InternalError", f"Internal error occurred: {type(exc).__name__}: {exc}"))


class _Handlers:
    """Discovery, version and the resource dispatcher over one ApiContext."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.order = reads.ListOrder(ctx)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(version_info(), encode=marshal_indent_json)  # (WriteRawJSON)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    async def api_root(self, request: web.Request) -> web.Response:
        return self._root(request, legacy_core=True)

    async def apis_root(self, request: web.Request) -> web.Response:
        return self._root(request, legacy_core=False)

    def _root(self, request: web.Request, legacy_core: bool) -> web.Response:
        media = discovery.wants_aggregated(request.headers.get("Accept", ""))
        if media:
            return json_response(discovery.aggregated(self.ctx.table, legacy_core, media), content_type=media)
        if legacy_core:
            return json_response(discovery.api_versions(self.ctx.server_address))
        return json_response(discovery.api_group_list(self.ctx.table))

    async def api_path(self, request: web.Request) -> web.StreamResponse:
        segs = [s for s in request.path.split("/") if s]
        if segs[0] == "api" and len(segs) == 2:
            doc = discovery.api_resource_list(self.ctx.table, "", segs[1])
        elif segs[0] == "apis" and len(segs) == 2:
            doc = discovery.api_group(self.ctx.table, segs[1])
        elif segs[0] == "apis" and len(segs) == 3:
            doc = discovery.api_resource_list(self.ctx.table, segs[1], segs[2])
        else:
            return await self.resource(request)
        if doc is None:
            raise unknown_path()
        return json_response(doc)

    async def resource(self, request: web.Request) -> web.StreamResponse:
        ctx = self.ctx
        req = resolve(ctx.table, request.path, request.query)
        try:
            if req.subresource is not None:
                handler = ctx.subresource_handler(req.kind, req.subresource)
                if handler is None:
                    raise unknown_path()
                return await handler(ctx, req, request)
            method = request.method
            if _verb(method, req.name is not None, query_bool(req.query, "watch")) not in req.info.verbs:
                raise method_not_allowed()  # (the routes a kind without the verb has not)
            if method == "DELETE" and req.name is None:  # deletecollection: its own verb, the LIST's selectors
                return await writes.delete_collection(ctx, req, request, reads.selectors(req))
            if method != "GET" and "create" not in req.info.verbs:  # served read-only (kinds.py _READ_ONLY)
                raise method_not_allowed()
            if method == "GET":
                if query_bool(req.query, "watch"):
                    return await reads.watch(ctx, req, request)
                if req.name is None:
                    await reads.require_fresh(ctx, req)
                    return reads.list_objects(ctx, self.order, req, request)
                return reads.get_object(ctx, req, request)
            if method == "POST" and req.name is None:
                return await writes.create(ctx, req, request)
            if method == "PUT" and req.name is not None:
                return await writes.replace(ctx, req, request)
            if method == "PATCH" and req.name is not None:
                return await writes.patch(ctx, req, request)
            if method == "DELETE" and req.name is not None:
                return await writes.delete(ctx, req, request)
            raise method_not_allowed()
        except StatusError as e:  # (with the kind's warnings, as the real server's filters add them)
            return status_response(e, warnings_for(req.kind))


_VERBS = {("GET", True): "get", ("GET", False): "list", ("POST", False): "create", ("PUT", True): "update",
          ("PATCH", True): "patch", ("DELETE", True): "delete", ("DELETE", False): "deletecollection"}


def _verb(method: str, named: bool, watch: bool) -> str:
    """The API verb a request on a resource is (kube-apiserver's RequestInfo)."""
    if method == "GET" and watch:
        return "watch"
    return _VERBS.get((method, named), method.lower())


def build_app(ctx: ApiContext) -> web.Application:
    app = web.Application(middlewares=[_statuses], client_max_size=MAX_BODY)
    h = _Handlers(ctx)
    app.router.add_routes([
        web.get("/version", h.version), web.get("/version/", h.version),
        web.get("/healthz", h.healthz), web.get("/livez", h.healthz), web.get("/readyz", h.healthz),
        web.get("/api", h.api_root), web.get("/api/", h.api_root),
        web.get("/apis", h.apis_root), web.get("/apis/", h.apis_root),
        *openapi.routes(ctx.table),
        *openapiv2.routes(ctx.table),
        *authz.routes(ctx),
        web.route("*", "/api/{tail:.+}", h.api_path),
        web.route("*", "/apis/{tail:.+}", h.api_path),
    ])
    return app


@dataclass
class Served:
    """A running server: its address, and how to stop it."""

    ctx: ApiContext
    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(cluster: "Cluster", host: str = "127.0.0.1", port: int = 0, *,
                after_write: Callable[[], None] | None = None,
                subresources: Iterable[SubresourceRoute] = SUBRESOURCES,
                bookmark_seconds: float = 60.0, watch_queue_limit: int = 4096,
                body_decoders: dict[str, BodyDecoder] | None = None,
                patch_handlers: dict[str, SubresourceHandler] | None = None,
                net: "Network | None" = None) -> Served:
    """Serve `cluster` on host:port (0: any free port) in the running event loop.
    `bookmark_seconds`: how often an idle watch that asked for bookmarks gets one (about a
    minute, as kube-apiserver's cacher); `watch_queue_limit`: events a watch may fall behind
    before it is closed. `body_decoders`, `patch_handlers`: BODY_DECODERS, PATCH_HANDLERS when
    None. `net`: the pods' processes exec, attach and logs reach (the dashboard's session's, so
    both see the same shells and counters); a new one if None."""
    ctx = ApiContext(cluster, subresource_routes=list(subresources), after_write=after_write,
                     bookmark_seconds=bookmark_seconds, watch_queue_limit=watch_queue_limit,
                     body_decoders=dict(BODY_DECODERS if body_decoders is None else body_decoders),
                     patch_handlers=dict(PATCH_HANDLERS if patch_handlers is None else patch_handlers), net=net)
    runner = web.AppRunner(build_app(ctx), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port
    ctx.server_address = f"{host}:{bound}"
    return Served(ctx, runner, host, bound)
