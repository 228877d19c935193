"""What the dashboard says about the attach itself (the tester's findings 7 and 11): before
anything is read there is no made-up kind cluster (no nodes, no name) and the workspace says
"not connected yet" ("not connected" once a kubeconfig it cannot use ended the attach); the
"computing kube-proxy's rules" line goes once kube-proxy synced again after a mode change,
even when that happened within one turn; the Corefile's warning goes when the Corefile is
restored. The dashboard shows the progress line only when told (and at most every so often
when told "progress"): `Screen` keeps what it would show."""
from __future__ import annotations

import asyncio
import socket

import aiohttp

from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.kapi import kubeconfig
from tests.attach_fixtures import RecordingProxy, eventually

KUBE_PROXY_CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
                 "data": {"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
                                         "mode: ipvs\n"}}


class Screen:
    """The status line as tui.app shows it: forced on every change but "progress" (which it
    may skip: it repaints at most every PROGRESS_SECONDS), here always skipped."""

    def __init__(self, ws: AttachWorkspace) -> None:
        self.ws = ws
        self.line = ""
        self.errors: tuple[list[str], list[str]] = ([], [])

    def changed(self, what: str) -> None:
        if what != "progress":
            self.line = self.ws.progress()
            self.errors = self.ws.status()


async def test_before_the_first_list_nothing_is_made_up(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kubeconfig.write(tmp_path / "kc", f"http://127.0.0.1:{port}"))))
    assert ws.cluster.topology.nodes == [] and ws.cluster.topology.name == ""
    assert not ws.connected and ws.connection_line() == "not connected yet"
    task = asyncio.create_task(ws.follow(lambda what: None))
    try:
        await eventually(lambda: ws.status()[0], what="the unreachable line")
        ws.advance(0)
        assert ws.cluster.topology.nodes == [] and not ws.connected
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    broken = tmp_path / "broken"
    broken.write_text("garbage: [\n")
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(broken)))
    screen = Screen(ws)
    await asyncio.wait_for(ws.follow(screen.changed), 10)
    assert ws.connection_line() == "not connected" and screen.line == "not connected"


async def test_a_mode_change_and_a_restored_corefile_leave_no_stale_line(served, tmp_path):
    proxy = RecordingProxy(served.url)
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    screen = Screen(ws)
    task = asyncio.create_task(ws.follow(screen.changed))
    created = False
    try:
        await eventually(lambda: ws.built, what="the first lists")
        for _ in range(20):
            ws.advance(0, budget=0.05)
        assert ws.connected and ws.connection_line() == ""
        # kube-proxy's mode: ipvs (the real one restarts; svcflow's starts over and syncs again)
        await served.create("/api/v1/namespaces/kube-system/configmaps", KUBE_PROXY_CM)
        created = True
        await eventually(lambda: ws.cluster.topology.proxy.mode == "ipvs", what="the new mode")
        for _ in range(20):
            ws.advance(0, budget=0.05)
            await asyncio.sleep(0.01)
        assert ws.cluster.kube_proxy.first_synced
        assert "computing kube-proxy" not in screen.line and screen.line == "", screen.line

        # A Corefile CoreDNS cannot use, then the original again.
        async with aiohttp.ClientSession() as http:
            url = served.url + "/api/v1/namespaces/kube-system/configmaps/coredns"
            async with http.get(url) as r:
                original = await r.json()
            bad = {**original, "data": {"Corefile": ".:5353 {\n    forward . /etc/resolv.conf\n}\n"}}
            bad["metadata"] = {k: v for k, v in original["metadata"].items() if k != "resourceVersion"}
            async with http.put(url, json=bad) as r:
                assert r.status == 200, await r.text()
            await eventually(lambda: any("kube-system/coredns" in n for n in screen.errors[1]),
                             what="the Corefile's warning")
            async with http.get(url) as r:
                current = await r.json()
            restored = {**original, "metadata": {**original["metadata"],
                                                 "resourceVersion": current["metadata"]["resourceVersion"]}}
            async with http.put(url, json=restored) as r:
                assert r.status == 200, await r.text()
        await eventually(lambda: not any("kube-system/coredns" in n for n in screen.errors[1]),
                         what="the Corefile's warning to go")
        assert not any("kube-system/coredns" in n for n in ws.status()[1])
    finally:
        if created:
            async with aiohttp.ClientSession() as http:
                await http.delete(served.url + "/api/v1/namespaces/kube-system/configmaps/kube-proxy")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()


async def test_the_dashboard_before_the_first_list_shows_no_cluster(tmp_path):
    """On screen: the header says `not connected yet · attached read-only · URL` (not kind's
    subnets and proxy mode) and the CoreDNS pane claims nothing (it said NOT SERVING, the
    kube-dns Service is gone, of a cluster never reached)."""
    from tui.app import SvcflowApp

    with socket.socket() as s:  # a port nobody answers on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kubeconfig.write(tmp_path / "kc", url))))
    app = SvcflowApp([], watch=False, animate_flow=False, workspace=ws)
    async with app.run_test(size=(100, 30)) as pilot:
        await eventually(lambda: ws.status()[0], what="the cannot-reach line")
        app.refresh_panes(flash=False)
        await pilot.pause()
        header = str(app.query_one("#cluster-header").render())
        assert header.startswith(f"not connected yet · attached read-only · {url}"), header
        assert "10.96.0.0/16" not in header and "iptables" not in header
        assert "NOT SERVING" not in str(app.query_one("#dns").border_title)
        assert not app.query_one("#dns").border_subtitle
