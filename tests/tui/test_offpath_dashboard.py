"""The dashboard off the tutorial's path (issue 13's tmux proof, automated): a 1,000-replica
save, CoreDNS deleted from the prompt, an EndpointSlice deleted from under its controller.
The app survives each and its panes show what the cluster did."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.widgets.resource_table import ResourceTable

SIZE = (100, 30)  # a talk's big font

BIG = """apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec:
  replicas: 1000
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def title(widget) -> str:
    """A pane's border title as the screen shows it (the title is kept as markup)."""
    from rich.text import Text

    return Text.from_markup(str(widget.border_title)).plain


def status_line(app: SvcflowApp) -> str:
    return str(app.query_one("#status-line").render())


async def test_a_thousand_replicas_coredns_deleted_and_a_slice_deleted(demo):
    app = SvcflowApp([str(demo)], deterministic=True, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        (demo / "big.yaml").write_text(BIG)
        app.reload_manifests()
        app.workspace.settle()
        await pilot.pause()
        c = app.workspace.cluster
        big = [p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("big-")]
        assert len(big) == 1000
        pending = [p for p in big if not p["spec"].get("nodeName")]
        assert len(pending) == 1000 - 214  # 2 workers x 110, less kindnet and kube-proxy, less counter and redis
        pods = app.query_one("#pods-table", ResourceTable)
        assert pods._rows[f"default/{pending[0]['metadata']['name']}"].cells[2] == "Pending"

        dns = app.query_one("#dns")
        assert title(dns) == "CoreDNS · 2 ready" and not dns.has_class("-down")
        app.run_command("kubectl delete deploy coredns -n kube-system")
        await pilot.pause()
        app.workspace.settle()
        await pilot.pause()
        assert 'deployment.apps "coredns" deleted' in status_line(app)
        assert title(dns) == "CoreDNS · NOT SERVING" and dns.has_class("-down")
        assert "kube-dns has no ready endpoints" in str(dns.border_subtitle)
        app.run_command("kubectl exec deploy/counter -- nslookup redis")
        await pilot.pause()
        assert ";; connection timed out; no servers could be reached" in status_line(app)

        before = {s["metadata"]["name"] for s in c.store.by_label(
            "EndpointSlice", "default", "kubernetes.io/service-name", "redis")}
        app.run_command("kubectl delete endpointslice -l kubernetes.io/service-name=redis")
        await pilot.pause()
        app.workspace.settle()
        await pilot.pause()
        after = {s["metadata"]["name"] for s in c.store.by_label(
            "EndpointSlice", "default", "kubernetes.io/service-name", "redis")}
        assert len(after) == 1 and after != before
        eps = app.query_one("#endpoints-table", ResourceTable)
        assert eps._rows["default/redis"].cells[1].endswith(":6379")
        assert app.is_running
