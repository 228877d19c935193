"""`svcflow serve` in another process, behind a recording proxy, for the attach tests.

`ServedProcess` runs `python -m tui.cli serve samples/ --deterministic` and reads the URL
it prints. `RecordingProxy` sits between the mirror and that server, in the test's loop: it
records every request (method and path), forwards GETs (watch streams included) and lets a
test break things as a real network and API server do: stop and start again on the same
port, answer the next watch of a kind with `ERROR 410 Expired`, and play RBAC: refuse a kind
(`forbid`), or grant a namespaced kind in some namespaces only (`grant_only`), with
kube-apiserver's own 403 Status (`forbidden_status`). Writes the tests make themselves
(`ServedProcess.create`) go to the server directly, so the proxy sees only what svcflow sent.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.kapi import kubeconfig
from tui.app import SvcflowApp

ROOT = Path(__file__).resolve().parent.parent


class ServedProcess:
    def __init__(self, folder: Path, paths: list[str] | None = None) -> None:
        self.folder = folder
        cmd = [sys.executable, "-m", "tui.cli", "serve", *(paths or [str(ROOT / "samples")]), "--deterministic",
               "--port", "0", "--kubeconfig", str(folder / "served-kubeconfig")]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 60
        self.url = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            m = re.search(r" at (http://\S+) ", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            self.close()
            raise RuntimeError(f"svcflow serve did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")

    async def create(self, path: str, obj: dict) -> dict:
        async with aiohttp.ClientSession() as s:
            async with s.post(self.url + path, json=obj) as r:
                body = await r.json()
                assert r.status == 201, body
                return body

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def api_path(path: str) -> tuple[str, str, str, str, str] | None:
    """(group, version, namespace, resource, name) of an API path, as the API server's
    RequestInfoFactory reads it: `/api/v1/namespaces/shop/pods` -> ("", "v1", "shop",
    "pods", ""); `/api/v1/namespaces/shop` is the Namespace `shop`; None for other paths."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    return group, version, namespace, rest[0], rest[1] if len(rest) > 1 else ""


def forbidden_status(user: str, verb: str, resource: str, group: str = "", namespace: str = "",
                     name: str = "") -> dict:
    """kube-apiserver's 403 body (responsewriters.forbiddenMessage wrapped by apierrors.NewForbidden):
    `pods is forbidden: User "x" cannot list resource "pods" in API group "" at the cluster scope`."""
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = f'User "{user}" cannot {verb} resource "{resource}" in API group "{group}" {scope}'
    qualified = f"{resource}.{group}" if group else resource
    message = f'{qualified} "{name}" is forbidden: {reason}' if name else f"{qualified} is forbidden: {reason}"
    details = {k: v for k, v in (("name", name), ("group", group), ("kind", resource)) if v}
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": "Forbidden", "details": details, "code": 403}


class RecordingProxy:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.requests: list[tuple[str, str]] = []
        self.port = 0
        self.expire: set[str] = set()  # paths whose next watch is answered ERROR 410 Expired
        # RBAC, as a user's Roles make it. `forbid`: paths refused -- a cluster-wide collection
        # (`/api/v1/endpoints`) is refused in every namespace too. `grant_only`: a namespaced
        # kind's cluster-wide collection -> the namespaces where a Role grants it (refused
        # cluster-wide and everywhere else).
        self.forbid: set[str] = set()
        self.grant_only: dict[str, set[str]] = {}
        self.user = "jane"
        # A server stopped (SIGSTOP) or hung: connections are taken, nothing is answered or
        # sent until `thawed` is set again.
        self.thawed = asyncio.Event()
        self.thawed.set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kubeconfig(self, folder: Path) -> Path:
        return kubeconfig.write(folder / "kubeconfig", self.url)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None),
                                              connector=aiohttp.TCPConnector(limit=0))  # (a watch per connection)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """The server goes away: open watches are cut, new connections are refused."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _refusal(self, path: str, watching: bool) -> dict | None:
        """The 403 Status RBAC answers `path` with, or None when it is allowed."""
        parsed = api_path(path)
        if parsed is None:
            return None
        group, version, namespace, resource, name = parsed
        collection = f"/apis/{group}/{version}/{resource}" if group else f"/api/{version}/{resource}"
        refused = path in self.forbid or collection in self.forbid
        if collection in self.grant_only and namespace not in self.grant_only[collection]:
            refused = True
        if not refused:
            return None
        verb = "watch" if watching else ("get" if name else "list")
        return forbidden_status(self.user, verb, resource, group, namespace, name)

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        self.requests.append((req.method, req.path_qs))
        await self.thawed.wait()
        watching = req.query.get("watch") in ("true", "True", "1")
        refusal = self._refusal(req.path, watching)
        if refusal is not None:
            return web.json_response(refusal, status=403)
        if watching and req.path in self.expire:
            self.expire.discard(req.path)
            resp = web.StreamResponse(status=200)
            resp.content_type = "application/json"
            await resp.prepare(req)
            await resp.write((json.dumps({"type": "ERROR", "object": {
                "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
                "message": "too old resource version: 1 (2)"}}) + "\n").encode())
            return resp
        assert self._session is not None
        async with self._session.request(req.method, self.backend + req.path_qs, headers={
                k: v for k, v in req.headers.items() if k.lower() in ("accept", "authorization", "content-type")},
                data=await req.read() if req.can_read_body else None) as up:
            resp = web.StreamResponse(status=up.status)
            resp.content_type = up.content_type
            await resp.prepare(req)
            try:
                async for chunk in up.content.iter_any():
                    await self.thawed.wait()
                    await resp.write(chunk)
            except (ConnectionResetError, aiohttp.ClientError):
                pass
            return resp


async def eventually(check, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


#: The kinds `KindStub` serves: the collection's resource -> (its dump in the fixture folder, the List kind).
STUB_LISTS = {
    "namespaces": ("namespaces.json", "NamespaceList"),
    "nodes": ("nodes.json", "NodeList"),
    "pods": ("pods.json", "PodList"),
    "services": ("services.json", "ServiceList"),
    "endpoints": ("endpoints.json", "EndpointsList"),
    "endpointslices": ("endpointslices.json", "EndpointSliceList"),
    "configmaps": ("configmaps-kube-system.json", "ConfigMapList"),
}


class KindStub:
    """A cluster's lists replayed from `kubectl get ... -o json` dumps (tests/attach/kind/):
    what kube-apiserver answers a reflector, for the kinds the mirror reads and nothing else.
    A list (cluster-wide or in one namespace; `fieldSelector` on metadata.name/namespace;
    `limit` and `continue`) is the dump's items in the List kind the API server names, with
    the cluster's resourceVersion (the newest object's); a watch sends one BOOKMARK at that
    version and then nothing until its `timeoutSeconds` (the cluster stands still). Every
    request is recorded; anything but GET is refused as a read-only server would."""

    def __init__(self, folder: Path) -> None:
        self.requests: list[tuple[str, str]] = []
        self.items: dict[str, list[dict]] = {}
        self.kinds: dict[str, str] = {}
        newest = 0
        for resource, (name, list_kind) in STUB_LISTS.items():
            doc = json.loads((folder / name).read_text(encoding="utf-8"))
            items = []
            for o in doc["items"]:
                o = {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}  # (a List's items carry neither)
                items.append(o)
                newest = max(newest, int(o["metadata"]["resourceVersion"]))
            self.items[resource] = items
            self.kinds[resource] = list_kind
        self.resource_version = str(newest)
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kubeconfig(self, folder: Path) -> Path:
        return kubeconfig.write(folder / "kubeconfig", self.url)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _status(self, code: int, reason: str, message: str) -> web.Response:
        return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": message, "reason": reason, "code": code}, status=code)

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        self.requests.append((req.method, req.path_qs))
        parsed = api_path(req.path)
        if req.method != "GET":
            return self._status(405, "MethodNotAllowed", f"the stub of a kind cluster is read-only: {req.method}")
        if parsed is None or parsed[3] not in self.items or parsed[4]:
            return self._status(404, "NotFound", "the page could not be found")
        _group, version, namespace, resource, _name = parsed
        items = [o for o in self.items[resource] if not namespace or o["metadata"].get("namespace") == namespace]
        for term in filter(None, req.query.get("fieldSelector", "").split(",")):
            field_, _, value = term.partition("=")
            key = {"metadata.name": "name", "metadata.namespace": "namespace"}.get(field_)
            if key is None:
                return self._status(400, "BadRequest", f'"{field_}" is not a known field selector')
            items = [o for o in items if o["metadata"].get(key, "") == value]
        if req.query.get("watch") in ("true", "True", "1"):
            return await self._watch(req, resource, version)
        start = int(req.query.get("continue") or 0)
        limit = int(req.query.get("limit") or 0)
        page = items[start:start + limit] if limit else items[start:]
        md: dict = {"resourceVersion": self.resource_version}
        if limit and start + limit < len(items):
            md["continue"] = str(start + limit)
            md["remainingItemCount"] = len(items) - start - limit
        group_version = parsed[0] + "/" + version if parsed[0] else version
        return web.json_response({"kind": self.kinds[resource], "apiVersion": group_version, "metadata": md,
                                  "items": page})

    async def _watch(self, req: web.Request, resource: str, version: str) -> web.StreamResponse:
        resp = web.StreamResponse(status=200)
        resp.content_type = "application/json"
        await resp.prepare(req)
        kind = self.kinds[resource].removesuffix("List")
        bookmark = {"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": version,
                                                   "metadata": {"resourceVersion": self.resource_version}}}
        await resp.write((json.dumps(bookmark) + "\n").encode())
        await asyncio.sleep(float(req.query.get("timeoutSeconds") or 300))
        return resp


class StubInThread:
    """A `KindStub` served from its own thread and event loop, for the headless commands
    (`tests.helpers.run_cli` runs its own `asyncio.run`)."""

    def __init__(self, stub: KindStub) -> None:
        self.stub = stub
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kind-stub", daemon=True)

    def __enter__(self) -> KindStub:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.stub.start(), self._loop).result(10)
        return self.stub

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.stub.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def attached(kubeconfig_path, **opts) -> tuple[AttachWorkspace, asyncio.Task]:
    """A headless attach through `kubeconfig_path` (AttachOptions `opts`), once its first
    lists are in and the mirror has caught up: the workspace and the task that follows."""
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kubeconfig_path), **opts))
    task = asyncio.create_task(ws.follow(lambda _what: None))
    await eventually(lambda: ws.built, what="the first lists")
    ws.advance(0)
    return ws, task


@asynccontextmanager
async def attached_dashboard(kubeconfig_path, size: tuple[int, int] = (160, 48)):
    """The dashboard attached through `kubeconfig_path` (a headless `run_test` of this size),
    once its first lists are in and the mirror has caught up: (app, workspace, pilot)."""
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kubeconfig_path)))
    app = SvcflowApp([], watch=False, animate_flow=False, workspace=ws)
    async with app.run_test(size=size) as pilot:
        await eventually(lambda: ws.built, what="the first lists")
        ws.advance(0)
        await pilot.pause()
        yield app, ws, pilot


async def detach(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
