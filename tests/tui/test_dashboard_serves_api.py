"""The dashboard serves its cluster's Kubernetes API: the real kubectl, pointed at the
kubeconfig it writes, reads what the panes show and writes what they then show."""
from __future__ import annotations

import asyncio
import os

from tests.helpers import WEB_SERVICE, terminal_text
from tests.served import require_kubectl
from tui.app import SvcflowApp
from tui.widgets.chrome import ClusterHeader
from tui.widgets.resource_table import ResourceTable


async def _kubectl(app: SvcflowApp, cache, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        require_kubectl(), "--kubeconfig", str(app.api.kubeconfig), "--cache-dir", str(cache), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def _served(app: SvcflowApp, pilot) -> None:
    for _ in range(200):
        if app.api is not None:
            return
        await pilot.pause(0.05)
    raise AssertionError("the dashboard did not start serving its API")


async def test_real_kubectl_reads_and_writes_the_dashboards_cluster(demo, tmp_path):
    app = SvcflowApp([str(demo)], deterministic=True, serve=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await _served(app, pilot)
        assert app.api.kubeconfig.is_file() and app.api.url.startswith("http://127.0.0.1:")
        header = str(app.query_one(ClusterHeader).render())
        assert f"KUBECONFIG={app.api.kubeconfig}" in header
        code, out, err = await _kubectl(app, tmp_path / "cache", "get", "deploy", "redis")
        assert code == 0 and out.split("\n")[1].split()[:2] == ["redis", "1/1"], (out, err)
        code, out, err = await _kubectl(app, tmp_path / "cache", "scale", "deploy/redis", "--replicas=3")
        assert (code, out) == (0, "deployment.apps/redis scaled\n"), err
        await pilot.pause(0.2)
        redis = [p for p in app.workspace.cluster.store.list("Pod", "default")
                 if p["metadata"]["name"].startswith("redis-")]
        assert len(redis) == 3
        table = app.query_one("#pods-table", ResourceTable)  # the Pods pane shows them
        assert len(table.keys_where(lambda cells: str(cells[0]).startswith("redis-"))) == 3


async def test_at_100_columns_the_header_still_names_the_api_port(demo):
    """A projector's 100 columns cut the one-line header's end: the port comes right after
    the cluster's name, so the speaker's audience can see where kubectl connects."""
    app = SvcflowApp([str(demo)], deterministic=True, serve=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await _served(app, pilot)
        app.show_header()
        await pilot.pause()
        port = app.api.url.rpartition(":")[2]
        header = app.query_one(ClusterHeader)
        line = str(header.render())
        assert f" · api :{port} · " in line and line.index("api :") < 30, line
        assert header.size.height == 1




async def test_in_korean_the_terminal_says_where_the_api_is_served_in_korean(demo):
    """tester3 #14: svcflow's own lines followed --lang ko too."""
    app = SvcflowApp([str(demo)], deterministic=True, serve=True, lang="ko")
    async with app.run_test(size=(100, 30)) as pilot:
        await _served(app, pilot)
        await pilot.pause()
        text = terminal_text(app)
        assert f"svcflow: Kubernetes API를 {app.api.url} 에서 제공한다; kubectl로 쓰려면:" in text, text
        assert app.api.export_line.replace(" ", "") in "".join(text.split())  # (wrapped at 100 columns)


async def test_a_service_applied_by_kubectl_plays_its_four_steps_on_the_dashboard(demo, tmp_path):
    app = SvcflowApp([str(demo)], deterministic=True, serve=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await _served(app, pilot)
        first = app.workspace.cluster.flow_events.total
        manifest = tmp_path / "web.yaml"
        manifest.write_text(WEB_SERVICE)
        code, out, err = await _kubectl(app, tmp_path / "cache", "apply", "-f", str(manifest))
        assert (code, out) == (0, "service/web created\n"), err
        await pilot.pause(0.3)
        services = app.query_one("#services-table", ResourceTable)
        assert services.keys_where(lambda cells: str(cells[0]) == "web")
        steps = {ev.step for ev in app.workspace.cluster.flow_events.since(first)
                 if ev.step and (ev.name == "web" or "web" in ev.detail)}
        assert steps == {1, 2, 3, 4}, steps
        assert any(ev.step == 4 and "web.default.svc.cluster.local" in ev.detail
                   for ev in app.workspace.cluster.flow_events.since(first))


async def test_deterministic_runs_do_not_serve_unless_asked(demo):
    app = SvcflowApp([str(demo)], deterministic=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        assert app.api is None and not (demo.parent / ".svcflow").exists()


async def test_the_dashboard_serves_on_the_port_asked_for(demo):
    """`svcflow --port N`: one kubeconfig across runs (tester5 #22)."""
    import socket

    with socket.socket() as s:  # a port free right now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = SvcflowApp([str(demo)], deterministic=True, serve=True, api_port=port)
    async with app.run_test(size=(100, 30)) as pilot:
        await _served(app, pilot)
        assert app.api.url.endswith(f"127.0.0.1:{port}")
