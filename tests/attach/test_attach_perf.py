"""Attaching at scale (issue 18): the mirror fills page by page and says how far it got,
kube-proxy and CoreDNS compute once their inputs are listed (CoreDNS the first namespace
first), and the benchmark that measures it all keeps working (at a tiny size here; no
timing is asserted)."""
from __future__ import annotations

import asyncio
import re

from benchmarks import attach_bench, run
from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from tests.attach_fixtures import RecordingProxy, eventually
from tui.app import SvcflowApp
from tui.widgets.chrome import StatusLine


async def test_the_mirror_fills_page_by_page_and_says_how_far_it_got(served, tmp_path):
    proxy = RecordingProxy(served.url)
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path)), page_size=2))
    seen: list[tuple[int, bool, str, bool]] = []  # (pods in the store, pods listed, progress, computing)

    def changed(what: str) -> None:
        if what == "progress" and ws.session.mirror.cluster is not None:
            pods = next(r for r in ws.session.source.reflectors if r.resource.kind == "Pod")
            seen.append((ws.cluster.store.count("Pod"), pods.listed.is_set(), ws.progress(),
                         ws.session.mirror.computing))
    task = asyncio.create_task(ws.follow(changed))
    try:
        await eventually(lambda: ws.built, what="the lists")
        total = ws.cluster.store.count("Pod")
        assert total > 4
        # Pods were in the store (and on the way to the panes) before their list was complete.
        partial = [s for s in seen if 0 < s[0] < total and not s[1]]
        assert partial, seen
        # with the total, as the server's remainingItemCount says it (kube-apiserver's etcd3 store does too)
        assert any(f"{s[0]:,}/{total:,} pods" in s[2] for s in partial), [s[2] for s in partial]
        assert ws.progress().startswith("computing") or ws.progress() == ""
        # kube-proxy and CoreDNS waited for the kinds they read, not for the pods.
        assert any(s[3] and not s[1] for s in seen), seen
        ws.advance(0)
        assert ws.progress() == "" and ws.session.mirror.first_view_computed()
        assert ws.cluster.coredns.record_rows("default") and ws.cluster.kube_proxy.last_sync
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await proxy.stop()
    assert {m for m, _ in proxy.requests} == {"GET"}


async def test_the_dashboards_status_line_says_how_far_the_attach_got_then_clears(served, tmp_path):
    proxy = RecordingProxy(served.url)
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path)), page_size=1))
    app = SvcflowApp([], watch=False, animate_flow=False, workspace=ws)
    said: list[str] = []
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            status = app.query_one(StatusLine)

            def shown() -> bool:
                line = str(status.render())
                if line and (not said or said[-1] != line):
                    said.append(line)
                return ws.built and bool(ws.cluster.kube_proxy.last_sync) and not line
            await eventually(shown, timeout=40, what="the attach to finish and the status line to clear")
            await pilot.pause()
            proxy_pane = app.query_one("#proxy")
            assert "iptables (" in str(proxy_pane.border_title) and "(0 lines)" not in str(proxy_pane.border_title)
            assert app.query_one("#pods-table").row_count > 0
    finally:
        await proxy.stop()
    # How far the lists got (the pods counted as their pages came), then kube-proxy's sync.
    assert any(line.startswith(f"attaching to {proxy.url}: ") and re.search(r" \d+/\d+ pods ", line)
               and line.endswith(" …") for line in said), said
    assert any("computing kube-proxy's rules for" in line for line in said), said


def test_the_attach_benchmark_runs_and_renders(monkeypatch):
    res = attach_bench.run(4)
    assert "error" not in res and "error" not in res["attach"], res
    a = res["attach"]
    for moment in ("mirror_built", "all_listed", "first_full_paint", "all_computed"):
        assert a[moment]["wall_s"] >= 0 and a[moment]["client_cpu_s"] >= 0, moment
    # (the quiet kinds, which no pane reads, are listed after the panes' kinds: every kind may
    # be listed after the first full paint)
    assert a["mirror_built"]["wall_s"] <= a["first_full_paint"]["wall_s"] <= a["all_computed"]["wall_s"]
    assert a["mirror_built"]["wall_s"] <= a["all_listed"]["wall_s"] <= a["all_computed"]["wall_s"]
    assert a["objects"]["Service"] >= 4 and a["objects"]["Pod"] >= 40 and a["proxy_lines"] > 50
    assert res["server_pages"]["pages"] >= 8
    table = attach_bench.markdown({4: res})
    assert "| first full paint |" in table and "S = 4" in table
    # benchmarks/run.py writes it into RESULTS.md with the rest.
    results = {"machine": run.machine(), "sizes": {"4": {"attach": res}}, "started": "s", "finished": "f"}
    assert "### Attaching to a served cluster" in run.render(results, "python -m benchmarks.run", targets=False)
