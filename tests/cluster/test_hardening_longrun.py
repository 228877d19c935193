"""Hardening: long sessions.  A thousand saves in quick succession end in exactly the state the
final files describe, every intermediate error cleared, with memory flat; a burst of saves
through the real watcher does the same."""
from __future__ import annotations

import gc
import os
import shutil
import time
from pathlib import Path

from engine.cluster.cluster import Cluster
from engine.apply.live import LiveWorkspace
from engine.apply.workspace import cluster_from_paths
from tests.helpers import SAMPLES


def rss_mib() -> float:
    """Resident set size from /proc/self/statm (no psutil needed)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def comparable(cluster: Cluster) -> dict:
    """What the manifests decide, without what the cluster allocated or timed: Services' spec
    minus clusterIP(s) and nodePorts, Deployments' spec, and the ports and ready/not-ready counts of the
    Endpoints of each Service with a selector (a Service without one keeps whatever Endpoints it
    had: the controller leaves them alone, in Kubernetes too)."""
    out: dict = {}
    selected = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in cluster.store.list("Service")
                if s["spec"].get("selector")}
    for s in cluster.store.list("Service"):
        spec = {k: v for k, v in s["spec"].items() if k not in ("clusterIP", "clusterIPs", "healthCheckNodePort")}
        spec["ports"] = [{k: v for k, v in p.items() if k != "nodePort"} for p in spec.get("ports") or []]
        out[("Service", s["metadata"]["namespace"], s["metadata"]["name"])] = spec
    for d in cluster.store.list("Deployment"):
        out[("Deployment", d["metadata"]["namespace"], d["metadata"]["name"])] = d["spec"]
    for e in cluster.store.list("Endpoints"):
        if (e["metadata"]["namespace"], e["metadata"]["name"]) not in selected:
            continue
        subsets = e.get("subsets") or []
        out[("Endpoints", e["metadata"]["namespace"], e["metadata"]["name"])] = (
            sorted((p.get("name", ""), p["port"], p.get("protocol")) for ss in subsets for p in ss.get("ports") or []),
            sum(len(ss.get("addresses") or []) for ss in subsets),
            sum(len(ss.get("notReadyAddresses") or []) for ss in subsets),
        )
    return out


def test_a_thousand_saves_end_in_the_final_files_state_with_errors_cleared_and_memory_flat(tmp_path):
    d = tmp_path / "m"
    shutil.copytree(SAMPLES, d)
    ws = LiveWorkspace([d], deterministic=True)
    ws.reload()
    ws.settle()
    np_file, app_file, redis_file = d / "counter-nodeport.yml", d / "counter-app.yml", d / "counter-redis-svc.yml"
    np_text, app_text, redis_text = np_file.read_text(), app_file.read_text(), redis_file.read_text()
    start = None
    t0 = time.perf_counter()
    for i in range(1000):
        np_file.write_text(np_text.replace("31000", str(31000 + i % 40)).replace("port: 3000", f"port: {3000 + i % 7}"))
        if i % 10 == 0:
            app_file.write_text(app_text.replace("spec:\n  selector", f"spec:\n  replicas: {1 + i % 3}\n  selector", 1))
        if i % 13 == 0:
            redis_file.write_text(redis_text.replace("  ports:", "  ports\n"))  # a broken save...
        elif i % 13 == 1:
            redis_file.write_text(redis_text)  # ...fixed by the next one
        if i % 17 == 0:
            (d / f"tmp-{i % 3}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n")
        if i % 17 == 5:
            for f in d.glob("tmp-*.yaml"):
                f.unlink()
        res = ws.reload()
        assert res.pending == {}
        ws.advance(0.5)
        if i == 199:
            gc.collect()
            start = rss_mib()
    ws.settle()
    gc.collect()
    growth = rss_mib() - start
    elapsed = time.perf_counter() - t0

    final = ws.reload()
    assert final.report.errors == [] and final.report.warnings == []
    assert final.lines and all(line.endswith(" unchanged") for line in final.lines)
    ws.settle()
    fresh, report = cluster_from_paths([d], deterministic=True)
    assert report.errors == []
    assert comparable(ws.cluster) == comparable(fresh)
    assert ws.cluster.get("Service", "default", "counter-np")["spec"]["ports"][0]["nodePort"] == 31000 + 999 % 40
    assert sorted(ws.applied) == sorted(k for k in comparable(fresh) if k[0] != "Endpoints" and k[2] != "kubernetes"
                                        and k[1] == "default")
    assert growth < 40, f"RSS grew {growth:.1f} MiB over 800 saves"
    assert elapsed < 60


def quiet(app) -> None:
    """Stop the dashboard's timers from drawing while the test harness tears it down (the tick
    can otherwise fire after the widgets are gone: a NoMatches from `_tick`, not from this test)."""
    app.refresh_panes = lambda *a, **k: None
    app.player.advance = lambda *a, **k: None


async def test_a_burst_of_saves_through_the_watcher_ends_in_the_final_state(tmp_path, monkeypatch):
    from tui.app import SvcflowApp

    d = tmp_path / "demo"
    shutil.copytree(SAMPLES, d)
    for f in d.iterdir():
        os.utime(f, (time.time() - 5, time.time() - 5))
    monkeypatch.chdir(tmp_path)
    f = d / "counter-nodeport.yml"
    text = f.read_text()
    app = SvcflowApp([str(d)], watch=True)
    async with app.run_test(size=(160, 48)) as pilot:
        try:
            await pilot.pause(0.3)
            for i in range(40):
                body = text.replace("31000", str(31100 + i))
                if i % 9 == 4:
                    body = "apiVersion: v1\nkind: Service\nmetadata: [\n"  # a broken save in the middle
                tmp = d / f".counter-nodeport.yml.{i}.tmp"
                tmp.write_text(body)
                os.replace(tmp, f)
                await pilot.pause(0.02)
            store = app.workspace.cluster.store
            end = time.monotonic() + 8
            while time.monotonic() < end:
                last = app.workspace.last
                if (store.get("Service", "default", "counter-np")["spec"]["ports"][0]["nodePort"] == 31139
                        and last is not None and not last.report.errors and not last.pending):
                    break
                await pilot.pause(0.05)
            assert store.get("Service", "default", "counter-np")["spec"]["ports"][0]["nodePort"] == 31139
            assert app.workspace.last.report.errors == []
            assert not app.query_one("#errors").has_class("-visible")
            assert {s["metadata"]["name"] for s in store.list("Service", "default")} == {"kubernetes", "counter-np", "redis"}
        finally:
            quiet(app)
