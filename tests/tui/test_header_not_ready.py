"""A node down shows in the header (`3 nodes (1 NotReady)`) before its pods go: the pods
pane still says 1/1 Running, as `kubectl get pods` does, so the room needs one place that
says a node is gone."""
from __future__ import annotations

from tests.helpers import SAMPLES
from tui.app import SvcflowApp


async def test_the_header_counts_the_not_ready_nodes():
    app = SvcflowApp([SAMPLES], watch=False, animate_flow=False, deterministic=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        header = lambda: str(app.query_one("#cluster-header").render())  # noqa: E731
        assert "NotReady" not in header()
        app.run_command("docker stop kind-worker")
        await pilot.pause()
        app.workspace.cluster.run_for(60)
        app.refresh_panes(flash=False)
        await pilot.pause()
        assert "3 nodes (1 NotReady)" in header()
        app.run_command("docker start kind-worker")
        await pilot.pause()
        app.workspace.cluster.run_for(5)
        app.refresh_panes(flash=False)
        await pilot.pause()
        assert "NotReady" not in header()
