"""The API server restarted -- or another cluster answering at the same address (the tester's
finding 2): svcflow's reflectors resume their watches from the old resourceVersions, which the
new server has not reached; kube-apiserver answers those with 504 `Too large resource
version` (cause `ResourceVersionTooLarge`), and client-go's reflector lists again from
scratch. The mirror must then hold exactly the new server's objects -- not the old cluster's,
not a mix -- and the error bar says the server came back, in one line."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from aiohttp import web

from engine.attach import source
from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from tests.attach_fixtures import RecordingProxy, ServedProcess, eventually

FRESH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: fresh
spec:
  replicas: 2
  selector:
    matchLabels: {app: fresh}
  template:
    metadata:
      labels: {app: fresh}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: fresh
spec:
  selector: {app: fresh}
  ports: [{port: 80}]
"""

#: What the mirror lists, by the path the server is asked (cluster-wide).
LISTS = {"Pod": "/api/v1/pods", "Service": "/api/v1/services", "Endpoints": "/api/v1/endpoints",
         "EndpointSlice": "/apis/discovery.k8s.io/v1/endpointslices", "Namespace": "/api/v1/namespaces",
         "Node": "/api/v1/nodes"}


class RestartedProxy(RecordingProxy):
    """A recording proxy that answers a watch from a resourceVersion the server behind it has
    not reached as kube-apiserver does (the watch cache's `ResourceVersionTooLarge`): what
    `svcflow serve` answers itself once it does; until then the proxy says it for it."""

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        rv = req.query.get("resourceVersion") or ""
        if req.query.get("watch") in ("true", "1") and rv.isdigit():
            current = await current_version(self.backend, req.path)
            if current is not None and int(rv) > current:
                self.requests.append((req.method, req.path_qs))
                return web.json_response({
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": f"Too large resource version: {rv}, current: {current}", "reason": "Timeout",
                    "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                                            "message": "Too large resource version"}], "retryAfterSeconds": 1},
                    "code": 504}, status=504)
        return await super()._handle(req)


async def current_version(url: str, path: str) -> int | None:
    async with aiohttp.ClientSession() as http:
        async with http.get(url + path, params={"limit": "1"}) as r:
            if r.status != 200:
                return None
            return int((await r.json())["metadata"]["resourceVersion"])


async def listed(url: str) -> dict[str, set[tuple[str, str, str]]]:
    """(namespace, name, uid) of every object the server holds, by kind: asked directly."""
    out = {}
    async with aiohttp.ClientSession() as http:
        for kind, path in LISTS.items():
            async with http.get(url + path) as r:
                items = (await r.json())["items"]
            out[kind] = {(o["metadata"].get("namespace") or "", o["metadata"]["name"], o["metadata"]["uid"])
                         for o in items}
    return out


def mirrored(ws: AttachWorkspace) -> dict[str, set[tuple[str, str, str]]]:
    return {kind: {(o["metadata"].get("namespace") or "", o["metadata"]["name"], o["metadata"]["uid"])
                   for o in ws.cluster.store.list(kind)} for kind in LISTS}


async def test_a_restarted_server_is_listed_again_and_replaces_the_old_cluster(served, tmp_path: Path, monkeypatch):
    # the reconnected line stays RECONNECTED_SECONDS (10 s on screen); 2 s here, so that the
    # test does not idle for 10 s to see it go
    monkeypatch.setattr(source, "RECONNECTED_SECONDS", 2.0)
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "fresh.yml").write_text(FRESH, encoding="utf-8")
    proxy = RestartedProxy(served.url)
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    task = asyncio.create_task(ws.follow(lambda what: None))
    other = None
    try:
        await eventually(lambda: ws.built, what="the first lists")
        before = mirrored(ws)
        assert ("default", "counter-np") in {(ns, n) for ns, n, _ in before["Service"]}
        old_version = await current_version(served.url, "/api/v1/services")

        await proxy.stop()  # the server goes away ...
        await eventually(lambda: any("cannot reach the API server" in ln for ln in ws.status_lines()),
                         what="the unreachable server's line")
        other = ServedProcess(tmp_path / "other", [str(folder)])
        new_version = await current_version(other.url, "/api/v1/services")
        assert new_version is not None and old_version is not None and new_version < old_version
        proxy.backend = other.url
        await proxy.start()  # ... and a different one answers at the same address

        # One line says the server is back (once every reflector reached it again) ...
        await eventually(lambda: f"reconnected to {proxy.url}" in ws.status()[1], timeout=40,
                         what="the reconnected line")
        want = await listed(other.url)
        await eventually(lambda: mirrored(ws) == want, timeout=20, what="exactly the new server's objects")
        # No object of the old cluster is left: not its Services, not its pods.
        assert not {(ns, n) for ns, n, _ in mirrored(ws)["Service"]} & {("default", "counter-np"), ("default", "redis")}
        assert any(p.startswith("/api/v1/services?") and "watch=" not in p for _, p in proxy.requests[-200:])
        # The panes follow: the Services' rows are the new cluster's.
        assert sorted(o["metadata"]["name"] for o in ws.cluster.store.list("Service", "default")) == \
            ["fresh", "kubernetes"]
        # ... and the unreachable line is gone; the reconnected one goes after a while.
        assert not [ln for ln in ws.status()[0] if "cannot reach" in ln], ws.session.mirror.problems
        await eventually(lambda: not any("reconnected" in ln for ln in ws.status()[1]),
                         timeout=source.RECONNECTED_SECONDS + 5, what="the reconnected line to go")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
        if other is not None:
            other.close()
    assert {m for m, _ in proxy.requests} == {"GET"}


async def test_a_too_large_resource_version_in_the_watch_stream_lists_again(served, tmp_path: Path):
    """The same answer as an ERROR event of an open watch (how a watch cache that gave up
    waiting for the version may say it): a relist too."""

    class ErrorEventProxy(RecordingProxy):
        sent = False

        async def _handle(self, req: web.Request) -> web.StreamResponse:
            if req.path == "/api/v1/services" and req.query.get("watch") == "true" and not self.sent:
                self.sent = True
                self.requests.append((req.method, req.path_qs))
                resp = web.StreamResponse(status=200)
                resp.content_type = "application/json"
                await resp.prepare(req)
                await resp.write((json.dumps({"type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Timeout", "code": 504,
                    "message": "Too large resource version: 99999, current: 1200",
                    "details": {"causes": [{"reason": "ResourceVersionTooLarge"}]}}}) + "\n").encode())
                return resp
            return await super()._handle(req)

    proxy = ErrorEventProxy(served.url)
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    task = asyncio.create_task(ws.follow(lambda what: None))
    try:
        await eventually(lambda: ws.built, what="the first lists")
        services = next(r for r in ws.session.source.reflectors if r.resource.kind == "Service")
        await eventually(lambda: services.lists >= 2, what="the relist")
        assert not [ln for ln in ws.status_lines() if "watch error" in ln]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
    assert {m for m, _ in proxy.requests} == {"GET"}


async def test_a_server_that_comes_up_after_the_attach_began_is_connected_not_reconnected(served, tmp_path: Path):
    proxy = RecordingProxy(served.url)
    await proxy.start()
    kc = str(proxy.kubeconfig(tmp_path))
    await proxy.stop()  # (its port kept: the server is not up yet)
    ws = AttachWorkspace(AttachOptions(kubeconfig=kc))
    task = asyncio.create_task(ws.follow(lambda what: None))
    try:
        await eventually(lambda: any("cannot reach the API server" in ln for ln in ws.status()[0]),
                         what="the unreachable line")
        await proxy.start()
        await eventually(lambda: ws.built, timeout=40, what="the first lists")
        await eventually(lambda: f"connected to {proxy.url}" in ws.status()[1], what="the connected line")
        assert not [ln for ln in ws.status()[0] if "cannot reach" in ln]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
