"""Snapshots of the flow diagram at the sizes a talk uses: 100x30 (big fonts) and 160x48.

Deterministic app, `watch=False`, the diagram seeked to an explicit beat (no timers), as
tests/tui/test_tui.py does for the strip."""
from __future__ import annotations

import pytest

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.widgets.flow_diagram import show

SIZES = {"100x30": (100, 30), "160x48": (160, 48)}


def make_app() -> SvcflowApp:
    return SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_snapshot_diagram_redis_steps(snap_compare, step, size):
    """The redis Service's last change (its pod ready) at each step; step 3 on its last node."""
    async def seek(pilot):
        view = show(pilot.app)
        await pilot.pause()
        assert view.diagram.seek_story("default/redis", step)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=seek)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("leg", ["dns", "dnat"])
def test_snapshot_diagram_curl_traced(snap_compare, leg, size):
    """`curl redis:6379` from the counter pod: the DNS answer, then the DNAT kube-proxy chose."""
    async def curl(pilot):
        app = pilot.app
        for cmd in ("kubectl exec -it deploy/counter -- sh", "apk add curl", "curl redis:6379", "exit"):
            app.run_command(cmd)
        await pilot.pause()
        await pilot.press("escape")
        view = show(app)
        await pilot.pause()
        d = view.diagram
        d.seek(len(d.timeline) - (4 if leg == "dns" else 2))  # the answer / the DNAT beat
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=curl)
