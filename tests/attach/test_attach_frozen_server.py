"""A server that takes connections but answers nothing (SIGSTOPped, or hung): its watches
fall silent, which looks exactly like a cluster where nothing happens, and a watch's read
timeout is minutes. The tester's finding: "a frozen server is invisible". The dashboard
probes it (GET /version) and says, within a probe or two, that it does not answer and that
the panes show what it last sent; once it answers again the line goes and "reconnected"
is said, and what changed meanwhile reaches the mirror."""
from __future__ import annotations

import asyncio

from engine.attach import client, source
from tests.attach_fixtures import RecordingProxy, attached, detach, eventually
from tests.helpers import run_cli

SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "while-frozen", "namespace": "default"},
           "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}}


async def test_a_frozen_server_is_said_and_its_thaw_too(proxy, served, tmp_path, monkeypatch):
    monkeypatch.setattr(source, "HEARTBEAT_SECONDS", 0.3)
    monkeypatch.setattr(source, "ANSWER_TIMEOUT", 0.5)
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        assert ws.status()[0] == []
        proxy.thawed.clear()  # (kill -STOP)
        await eventually(lambda: ws.status()[0], what="the no-answer line", timeout=10)
        line = ws.status()[0][0]
        assert line.startswith(f"cannot reach the API server at {proxy.url}: no answer for ")
        assert line.endswith(" s (the panes show what it last sent) (retrying)")
        await served.create("/api/v1/namespaces/default/services", SERVICE)  # (kubectl, straight to the server)
        assert ws.cluster.store.get("Service", "default", "while-frozen") is None
        proxy.thawed.set()  # (kill -CONT)
        await eventually(lambda: not ws.status()[0], what="the line to go", timeout=10)
        assert ws.status()[1][:1] == [f"reconnected to {proxy.url}"]
        await eventually(lambda: ws.cluster.store.get("Service", "default", "while-frozen") is not None,
                         what="the Service created meanwhile")
    finally:
        await detach(task)


def test_a_headless_command_says_a_frozen_server_does_not_answer(served, tmp_path, monkeypatch):
    """kubectl waits for ever; `svcflow get` says so and exits 1 once a page stays silent."""
    monkeypatch.setattr(client, "PAGE_SILENCE", 0.5)

    async def main():
        proxy = RecordingProxy(served.url)
        await proxy.start()
        proxy.thawed.clear()
        try:
            return proxy.url, await asyncio.wait_for(
                asyncio.to_thread(run_cli, "get", "pods", "--kubeconfig", str(proxy.kubeconfig(tmp_path))), 30)
        finally:
            proxy.thawed.set()
            await proxy.stop()
    url, r = asyncio.run(main())
    assert (r.code, r.stdout) == (1, "")
    assert r.stderr == f"svcflow: cannot reach the API server at {url}: no answer within 0.5 s\n"
