"""GET of a collection or of one object: JSON or a Table, label and field selectors,
`limit`/`continue` chunks, and the watch stream (`?watch=true`) with its resourceVersion rules.
"""
from __future__ import annotations

import asyncio
import base64
import bisect
import itertools
import json
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from engine.api import fields
from engine.api import labels as label_selectors
from engine.api.labels import SelectorError
from engine.api.objects import labels_of
from engine.api.store import ADDED
from engine.kapi import tables
from engine.kapi.context import ApiContext, ResourceRequest, require_namespace
from engine.kapi.responses import (
    dumps,
    encode_json,
    json_response,
    list_response,
    object_response,
    query_bool,
    query_int,
    warning_header,
    warnings_for,
)
from engine.kapi.status import StatusError, continue_expired, expired, not_found, too_large_resource_version
from engine.kapi.watch import Event, Watcher


def _api_key(key: tuple[str, str]) -> bytes:
    """The storage key a LIST is ordered by and a continue token names: `ns/name`, or
    `name` for a cluster-scoped object."""
    ns, name = key
    return (f"{ns}/{name}" if ns else name).encode()


@dataclass(frozen=True)
class KeyOrder:
    """The keys of one kind (in one namespace, or all) in LIST order: `keys` are the
    store's (namespace, name) keys, `api` their storage keys, sorted bytewise, for `continue`
    (a bisect, not a scan). `source` is the store's key list it was made from."""

    source: list[tuple[str, str]]
    keys: list[tuple[str, str]]
    api: list[bytes]


class ListOrder:
    """Objects of a kind in the order a LIST returns them (by storage key `ns/name`,
    bytewise, as `printers.get.api_order`). The order is kept until the store's key list
    changes (a create or delete of that kind), not on every update, so paging through
    100,000 pods while their statuses change does not sort them 200 times; the objects of a
    page are read from the store when it is served, so each page holds their latest state."""

    def __init__(self, ctx: ApiContext) -> None:
        self.store = ctx.cluster.store
        self._cache: dict[tuple[str, str | None], KeyOrder] = {}

    def get(self, kind: str, namespace: str | None) -> KeyOrder:
        source = self.store.keys(kind, namespace)
        if not source:
            return KeyOrder(source, [], [])
        hit = self._cache.get((kind, namespace))
        if hit is not None and hit.source is source:
            return hit
        keys = source
        api = [_api_key(k) for k in keys]
        if namespace is None and any(a >= b for a, b in zip(api, itertools.islice(api, 1, None))):
            # (across namespaces the store's (ns, name) order is not bytewise `ns/name`:
            # '-' and '.' sort before '/')
            pairs = sorted(zip(api, keys))
            api = [a for a, _ in pairs]
            keys = [k for _, k in pairs]
        order = self._cache[(kind, namespace)] = KeyOrder(source, keys, api)
        return order


def selectors(req: ResourceRequest) -> Callable[[dict], bool]:
    try:
        sel = label_selectors.parse(req.query.get("labelSelector") or None)
    except SelectorError as e:
        raise StatusError("BadRequest", str(e))
    try:
        reqs = fields.parse(req.kind, req.query.get("fieldSelector") or None)
    except fields.FieldSelectorError as e:
        raise StatusError("BadRequest", str(e))
    if sel.empty() and not reqs:
        return lambda obj: True

    def accepts(obj: dict) -> bool:
        return sel.matches(labels_of(obj)) and fields.matches(reqs, obj)
    return accepts


def _in_namespace(req: ResourceRequest) -> Callable[[dict], bool]:
    ns = req.namespace
    if not ns:
        return lambda obj: True
    return lambda obj: (obj.get("metadata") or {}).get("namespace") == ns


def _encode_continue(rv: int, start: bytes) -> str:
    """storage.EncodeContinue: where the next page starts (the last key listed + NUL) and
    the list's resourceVersion (-1: an inconsistent token, listing things as they are)."""
    raw = dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start.decode()})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, bytes]:
    """(the list's resourceVersion, where the page starts) of a continue token."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(raw.get("rv") or -1), str(raw["start"]).encode()
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StatusError("BadRequest", "continue key is not valid: illegal base64 data at input byte 0")


def _list_kind(kind: str) -> str:
    return f"{kind}List"


def _accept(request: web.Request) -> str:
    return request.headers.get("Accept", "")


#: How long a list or watch from a resourceVersion the store has not reached waits for it
#: before it is refused as too large (the watch cache's blockTimeout).
FRESH_WAIT_SECONDS = 3.0


async def wait_until_fresh(ctx: ApiContext, resource_version: int) -> StatusError | None:
    """The watch cache's waitUntilFreshAndBlock: wait up to FRESH_WAIT_SECONDS for the store
    to reach `resource_version`; the Too large resource version refusal if it does not."""
    store = ctx.cluster.store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FRESH_WAIT_SECONDS
    while store.resource_version < resource_version:
        if loop.time() >= deadline:
            return too_large_resource_version(resource_version, store.resource_version)
        await asyncio.sleep(0.05)
    return None


async def require_fresh(ctx: ApiContext, req: ResourceRequest) -> None:
    """A list from `resourceVersion=N` (not "0": any version; not a continued page) is
    served at least as fresh as N, or refused as too large after waiting for it."""
    raw = req.query.get("resourceVersion") or ""
    if raw in ("", "0") or req.query.get("continue"):
        return
    try:
        wanted = int(raw)
    except ValueError:
        raise StatusError("BadRequest", f'invalid resource version "{raw}"')
    refused = await wait_until_fresh(ctx, wanted)
    if refused is not None:
        raise refused


def list_objects(ctx: ApiContext, order_of: ListOrder, req: ResourceRequest, request: web.Request) -> web.Response:
    accepts = selectors(req)
    limit = query_int(req.query, "limit") or 0
    token = req.query.get("continue") or ""
    store = ctx.cluster.store
    kind = req.kind
    order = order_of.get(kind, req.namespace or None if req.info.namespaced else None)
    keys = order.keys
    rv = str(store.resource_version)
    start = 0
    if token:
        # A continued page is part of the first page's list: it says that list's
        # resourceVersion, as kube-apiserver's do (a client watches from it, and the changes
        # made while it paged come as events). svcflow keeps no snapshot: the page lists the
        # objects as they are now after the token's key; what changed since that version is
        # in the watch ring, so a watch from it misses nothing. A token older than the ring
        # is expired, as an etcd-compacted one is.
        token_rv, start_key = _decode_continue(token)
        if token_rv > 0 and ctx.hub.too_old(token_rv):
            raise continue_expired(_encode_continue(-1, start_key))
        if token_rv > 0:
            rv = str(token_rv)
        start = bisect.bisect_left(order.api, start_key)
    items: list[dict] = []
    more = ""
    i = start
    n = len(keys)
    while i < n:
        o = store.get(kind, *keys[i])
        i += 1
        if o is not None and accepts(o):
            items.append(o)
            if limit and len(items) >= limit:
                if i < n:  # (the next page may hold nothing the selectors take, as etcd's can)
                    more = _encode_continue(int(rv), order.api[i - 1] + b"\x00")
                break
    # etcd3's store counts what is left only when nothing is filtered (an exact count: a
    # selector's would not be), so clients can show "3,500 of 10,000" while paging
    remaining = n - i if more and not (req.query.get("labelSelector") or req.query.get("fieldSelector")) else None
    warnings = warnings_for(req.kind)
    table_media = tables.wants_table(_accept(request))
    if table_media:
        include = req.query.get("includeObject") or "Metadata"
        body = tables.table(req.kind, items, ctx.cluster.now(), resource_version=rv, continue_token=more,
                            remaining=remaining, include=include, media=table_media)
        return json_response(body, warnings=warnings)
    view = ctx.table.view(req.info)
    if view is not None:
        items = [view(o) for o in items]
    md: dict[str, Any] = {"resourceVersion": rv}
    if more:
        md["continue"] = more
    if remaining is not None:
        md["remainingItemCount"] = remaining
    info = req.info
    return list_response(ctx, req.kind, {"kind": _list_kind(info.kind), "apiVersion": info.api_version,
                                         "metadata": md, "items": items}, warnings=warnings)


def get_object(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.Response:
    ns = require_namespace(req)
    obj = ctx.cluster.store.get(req.kind, ns, req.name or "")
    warnings = warnings_for(req.kind)
    if obj is None:
        raise not_found(req.info, req.name or "")
    table_media = tables.wants_table(_accept(request))
    if table_media:
        include = req.query.get("includeObject") or "Metadata"
        return json_response(tables.table(req.kind, [obj], ctx.cluster.now(), include=include,
                                          resource_version=str(ctx.cluster.store.resource_version),
                                          media=table_media), warnings=warnings)
    view = ctx.table.view(req.info)
    return object_response(ctx, req.kind, obj if view is None else view(obj))


async def watch(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    """A chunked stream of `{"type":..., "object":...}` lines until `timeoutSeconds`, the
    client leaves, or it falls too far behind."""
    store = ctx.cluster.store
    hub = ctx.hub
    selected = selectors(req)
    in_ns = _in_namespace(req)
    if req.name is not None:  # a watch on one object (`/pods/NAME?watch=1`, old clients)
        name = req.name
        base = selected
        selected = lambda o: (o.get("metadata") or {}).get("name") == name and base(o)  # noqa: E731

    def accepts(o: dict) -> bool:
        return in_ns(o) and selected(o)
    timeout = query_int(req.query, "timeoutSeconds")
    bookmarks = query_bool(req.query, "allowWatchBookmarks")
    initial_end = query_bool(req.query, "sendInitialEvents")
    raw_rv = req.query.get("resourceVersion") or ""
    table_media = tables.wants_table(_accept(request))
    include = req.query.get("includeObject") or "Metadata"
    now_rv = store.resource_version
    backlog: list[Event] = []
    error: StatusError | None = None
    if raw_rv in ("", "0") or initial_end:
        for o in store.list(req.kind, req.namespace or None):
            if accepts(o):
                backlog.append(Event(int((o.get("metadata") or {}).get("resourceVersion") or now_rv), ADDED,
                                     req.kind, o))
    else:
        try:
            start_rv = int(raw_rv)
        except ValueError:
            raise StatusError("BadRequest", f'invalid resource version "{raw_rv}"')
        if start_rv > store.resource_version:  # (a version this server has not reached: wait, or refuse)
            error = await wait_until_fresh(ctx, start_rv)
        if error is None and hub.too_old(start_rv):
            error = expired(start_rv, hub.oldest + 1)
        if error is None:
            w_tmp = Watcher(req.kind, accepts, 1 << 30)
            for e in hub.since(req.kind, start_rv):
                w_tmp.offer(e)
            backlog = list(w_tmp.pending)
    watcher = Watcher(req.kind, accepts, ctx.watch_queue_limit)
    if error is None:
        hub.add(watcher)  # (no await since the backlog was read: nothing can slip between)
    resp = web.StreamResponse(status=200)
    resp.headers["Content-Type"] = table_media or "application/json"
    resp.headers["Cache-Control"] = "no-cache, private"
    for w in warnings_for(req.kind):
        resp.headers.add("Warning", warning_header(w))
    resp.enable_chunked_encoding()
    headers_sent = [False]
    view = ctx.table.view(req.info)

    def encode(ev: Event) -> bytes:
        obj = ev.obj if view is None else view(ev.obj)
        if table_media:
            obj = tables.table(req.kind, [obj], ctx.cluster.now(), include=include, headers=not headers_sent[0],
                               media=table_media)
            headers_sent[0] = True
        else:
            obj = ctx.fields.served(obj)
        return encode_json({"type": ev.type, "object": obj})

    def bookmark(initial: bool = False) -> bytes:
        md: dict[str, Any] = {"resourceVersion": str(store.resource_version)}
        if initial:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        info = req.info
        return encode_json({"type": "BOOKMARK", "object": {"kind": info.kind, "apiVersion": info.api_version,
                                                           "metadata": md}})
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    try:
        await resp.prepare(request)
        if error is not None:
            await resp.write(encode_json({"type": "ERROR", "object": error.body()}))
            return resp
        if backlog:
            await resp.write(b"".join(encode(e) for e in backlog))
        if initial_end and bookmarks:
            await resp.write(bookmark(initial=True))
        next_bookmark = loop.time() + ctx.bookmark_seconds
        while not watcher.dropped:
            wait = next_bookmark - loop.time()
            if deadline is not None:
                wait = min(wait, deadline - loop.time())
            if wait > 0 and not watcher.pending:
                try:
                    await asyncio.wait_for(watcher.wake.wait(), timeout=wait)
                except asyncio.TimeoutError:
                    pass
            watcher.wake.clear()
            if watcher.dropped:
                break
            if watcher.pending:
                chunk = b"".join(encode(watcher.pending.popleft()) for _ in range(len(watcher.pending)))
                await resp.write(chunk)
            now = loop.time()
            if deadline is not None and now >= deadline:
                break
            if now >= next_bookmark:
                if bookmarks:
                    await resp.write(bookmark())
                next_bookmark = now + ctx.bookmark_seconds
    except ConnectionResetError:  # the client went away: nothing to answer
        pass
    finally:
        hub.remove(watcher)
    return resp
