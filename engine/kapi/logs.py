"""`GET …/pods/{name}/log` (apiserver-spec §5.2): what a container printed, as text/plain,
with the query kube-apiserver takes (`PodLogOptions`): `container`, `follow` (the response
stays open and lines are written as the container prints them, until the pod goes),
`tailLines`, `timestamps` (the kubelet's RFC 3339 prefix with nine fractional digits),
`sinceSeconds` / `sinceTime`, `limitBytes` and `previous`.

The lines come from the container's simulated process (engine.workloads: redis's start-up
banner, the counter app's requests), the same process exec's `curl localhost:3000` reaches;
which of them a request gets, and the kubelet's refusals, are engine.kubelet.logs' (svcflow's
own `kubectl logs` uses the same).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from aiohttp import web

from engine.api.objects import meta
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute, require_namespace
from engine.kapi.pods import pick_container
from engine.kapi.responses import query_bool, query_int
from engine.kapi.status import StatusError, bad_request, not_found
from engine.kubelet.logs import not_started, previous_lines, previous_not_found, render, select

# How often a follow looks for new lines and for its pod's end (wall seconds).
POLL_SECONDS = 0.1


def _invalid(field: str, value: object, why: str) -> StatusError:
    return StatusError("Invalid", f'PodLogOptions "" is invalid: {field}: Invalid value: {value}: {why}',
                       details={"kind": "PodLogOptions",
                                "causes": [{"reason": "FieldValueInvalid", "field": field,
                                            "message": f"Invalid value: {value}: {why}"}]})


def _since(request: web.Request, now: datetime) -> datetime | None:
    """The oldest line asked for (`sinceSeconds` against the cluster's clock, or `sinceTime`)."""
    q = request.query
    secs = query_int(q, "sinceSeconds")
    if secs is not None:
        if secs < 1:
            raise _invalid("sinceSeconds", secs, "must be greater than 0")
        return now - timedelta(seconds=secs)
    raw = q.get("sinceTime")
    if raw:
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f'parsing time "{raw}" as "2006-01-02T15:04:05Z07:00": cannot parse')
    return None


async def handle(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    if request.method != "GET":
        raise StatusError("MethodNotAllowed", "the server does not allow this method on the requested resource")
    q = request.query
    pod = ctx.cluster.store.get("Pod", require_namespace(req), req.name or "")
    if pod is None:
        raise not_found(req.info, req.name or "")
    container = pick_container(pod, q.get("container") or None)
    tail, limit = query_int(q, "tailLines"), query_int(q, "limitBytes")
    if tail is not None and tail < 0:
        raise _invalid("tailLines", tail, "must be greater than or equal to 0")
    if limit is not None and limit < 1:
        raise _invalid("limitBytes", limit, "must be greater than 0")
    since = _since(request, ctx.cluster.now())
    previous = query_bool(q, "previous")
    refused = previous_not_found(pod, container) if previous else not_started(pod, container)
    if refused is not None:
        raise bad_request(refused)
    proc = ctx.pods.process(pod, container)
    logged = previous_lines(pod, container, proc) if previous else list(proc.log) if proc is not None else []
    lines = select(logged, since=since, tail=tail)
    timestamps = query_bool(q, "timestamps")
    body = render(lines, timestamps).encode("utf-8")
    if not query_bool(q, "follow") or previous:  # (a terminated instance's log is whole: a follow ends)
        if limit is not None:
            body = body[:limit]
        return web.Response(body=body, content_type="text/plain", charset="utf-8")
    resp = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    sent = 0
    try:
        sent = await _write(resp, body, sent, limit)
        seen = len(proc.log) if proc is not None else 0
        uid, ns, name = meta(pod).get("uid"), meta(pod).get("namespace", ""), meta(pod).get("name", "")
        while limit is None or sent < limit:
            live = ctx.cluster.store.get("Pod", ns, name)
            if live is None or meta(live).get("uid") != uid or live["metadata"].get("deletionTimestamp"):
                break  # the pod went: the container's log ends, and so does the follow
            if proc is not None and len(proc.log) > seen:
                sent = await _write(resp, render(proc.log[seen:], timestamps).encode("utf-8"), sent, limit)
                seen = len(proc.log)
            await asyncio.sleep(POLL_SECONDS)
        await resp.write_eof()
    except ConnectionResetError:
        pass  # the client stopped following (a cancelled handler is aiohttp's to finish)
    return resp


async def _write(resp: web.StreamResponse, data: bytes, sent: int, limit: int | None) -> int:
    if limit is not None:
        data = data[:max(0, limit - sent)]
    if data:
        await resp.write(data)
    return sent + len(data)


ROUTES = [SubresourceRoute(("Pod",), "log", handle)]
