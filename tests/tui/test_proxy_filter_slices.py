"""A `/` filter over a node's many rules (470,000 at 10,000 Services) reads them a slice
at a time: the dashboard stays responsive, the kube-proxy pane shows what was found so far
and says how far it has searched, and ends with exactly what `iptables-save | grep` finds.
A new filter meanwhile replaces the search under way. (Here the samples' ~120 rules stand
for the many: the pane's thresholds are lowered.)"""
from __future__ import annotations

import re

import tui.panes.dataplane as dataplane
from engine.views import panes as views
from tui.app import SvcflowApp
from tui.panes import ProxyPane

SIZE = (160, 48)


def _grep(app: SvcflowApp, pattern: str) -> list[str]:
    v = app.viewpoint()
    return [line for line in views.proxy_lines(app.workspace.cluster, v.node, v.mode) if re.search(pattern, line)]


async def _until(pilot, pred, turns: int = 400) -> bool:
    for _ in range(turns):
        if pred():
            return True
        await pilot.pause(0.005)
    return pred()


async def test_a_filter_over_many_rules_is_searched_in_slices_and_ends_with_every_match(demo, monkeypatch):
    monkeypatch.setattr(dataplane, "GREP_AT_ONCE", 10)
    monkeypatch.setattr(dataplane, "GREP_STEP", 3)
    monkeypatch.setattr(dataplane, "GREP_SLICE_SECONDS", 0.0)  # (one step per slice)
    app = SvcflowApp([str(demo)], deterministic=True, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        proxy = app.query_one(ProxyPane)
        titles: list[str] = []
        app.run_command("/KUBE-SVC")
        want = _grep(app, "KUBE-SVC")
        total = len(views.proxy_lines(app.workspace.cluster, app.viewpoint().node, app.viewpoint().mode))
        assert total > 30 and 0 < len(want) < total

        def done() -> bool:
            titles.append(str(proxy.border_title))
            return list(proxy.view.lines) == want and "searching" not in titles[-1]
        assert await _until(pilot, done), titles[-3:]
        assert any("searching" in t for t in titles)  # (said while it searched)
        assert f"({len(want)}/{total} lines)" in titles[-1]

        app.run_command("/KUBE-SEP")  # a new filter while... and then another one at once
        app.run_command("/KUBE-MARK-MASQ")
        want = _grep(app, "KUBE-MARK-MASQ")
        assert await _until(pilot, lambda: list(proxy.view.lines) == want
                            and "searching" not in str(proxy.border_title))
        await pilot.pause(0.05)
        assert list(proxy.view.lines) == want  # (the replaced search did not come back over it)

        app.run_command("/")
        await pilot.pause()
        assert len(proxy.view.lines) == total and f"({total} lines)" in str(proxy.border_title)
