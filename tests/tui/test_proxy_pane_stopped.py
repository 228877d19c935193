"""The kube-proxy pane says when no kube-proxy runs on the node shown (its DaemonSet deleted):
the rules it shows are the ones left behind, which nothing updates (tester3 #5)."""
from __future__ import annotations

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.panes.dataplane import ProxyPane
from tui.widgets.flow_diagram import FlowDiagram


async def test_the_rules_pane_says_kube_proxy_is_not_running():
    app = SvcflowApp([str(SAMPLES)], watch=False, deterministic=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        pane = app.query_one(ProxyPane)
        assert "not running" not in str(pane.border_title)
        app.run_command("kubectl delete ds kube-proxy -n kube-system")
        await pilot.pause()
        app.refresh_panes()
        await pilot.pause()
        assert str(pane.border_title).endswith(" · kube-proxy not running: its last rules"), pane.border_title
        assert pane.view.lines  # (the rules it left are still shown)
        await pilot.press("v")  # the flow diagram's kube-proxy boxes say it too, before step 3
        await pilot.pause()
        for _ in range(5):
            await pilot.press("[")
        await pilot.pause()
        drawn = app.query_one(FlowDiagram).render().plain
        assert drawn.count("kube-proxy not running") == 3, drawn
