"""A headless command (`svcflow get ... --kubeconfig`) whose server goes away while RBAC's
per-namespace fallback waits for the Namespace list: it ends with one line naming the server
and exit code 1, never waits forever, never prints a traceback."""
from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from tests.attach_fixtures import ROOT, RecordingProxy, eventually


class HoldingProxy(RecordingProxy):
    """The recording proxy, holding the Namespace list's answer until it goes away."""

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        if req.path == "/api/v1/namespaces" and "watch" not in req.query:
            self.requests.append((req.method, req.path_qs))
            await asyncio.Event().wait()  # (cancelled when the proxy stops)
        return await super()._handle(req)


async def test_the_server_going_away_while_the_fallback_waits_for_the_namespaces_is_one_line(served, tmp_path):
    proxy = HoldingProxy(served.url)
    await proxy.start()
    url = proxy.url
    proxy.grant_only["/api/v1/pods"] = {"default"}  # the cluster-wide list refused: listed per namespace
    kc = str(proxy.kubeconfig(tmp_path))
    # (a process of its own: the command runs its own event loop, and a hang is killed, not waited for)
    command = await asyncio.create_subprocess_exec(sys.executable, "-m", "tui.cli", "get", "pods", "-n", "default",
                                                   "--kubeconfig", kc, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        def waiting() -> bool:
            paths = [p.split("?")[0] for _, p in proxy.requests]
            return "/api/v1/namespaces" in paths and "/api/v1/pods" in paths
        await eventually(waiting, timeout=60, what="the pods' fallback waiting for the Namespace list")
        await asyncio.sleep(0.2)
    finally:
        await proxy.stop()  # the server goes away, the Namespace list unanswered
    try:
        stdout, stderr = await asyncio.wait_for(command.communicate(), timeout=60)
    except asyncio.TimeoutError:
        command.kill()
        await command.wait()
        raise AssertionError("svcflow get waited forever for a server that went away") from None
    code, out, err = command.returncode, stdout.decode(), stderr.decode()
    assert code == 1 and out == "", (code, out, err)
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"svcflow: cannot reach the API server at {url}"), lines
    assert {m for m, _ in proxy.requests} == {"GET"}
