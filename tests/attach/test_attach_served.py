"""Attached to `svcflow serve` in another process (issue 18): the mirror shows what the
simulation shows for the same objects, computes the same rules, tells the four steps from
the real watch events, relists after a 410, rides out the server going away -- and sends
nothing but GETs."""
from __future__ import annotations

import asyncio

import aiohttp

from engine.apply.workspace import cluster_from_paths
from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.cluster.events import STEP_COLLECT, STEP_DNS, STEP_ENDPOINTS, STEP_PROXY
from engine.views import panes as views
from engine.views.flowstory import StoryBook
from tests.attach_fixtures import ROOT, attached, detach, eventually


def simulated():
    """The same objects, simulated here (`serve --deterministic` runs the same cluster)."""
    return cluster_from_paths([ROOT / "samples"], deterministic=True)[0]


async def test_the_panes_rows_and_the_computed_rules_equal_the_simulations(proxy, tmp_path):
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        mirror, sim = ws.cluster, simulated()
        sim.clock.advance_to(mirror.now())  # (AGE is read against the same instant)
        namespaces = [n["metadata"]["name"] for n in sim.store.list("Namespace")]
        assert namespaces == [n["metadata"]["name"] for n in mirror.store.list("Namespace")]
        for ns in namespaces + [None]:
            for rows in (views.pod_rows, views.service_rows, views.endpoint_rows, views.dns_rows):
                assert rows(mirror, ns) == rows(sim, ns), (rows.__name__, ns)
        # The objects themselves are the server's: uids and resourceVersions kept.
        for kind in ("Pod", "Service", "EndpointSlice", "Node"):
            assert [(o["metadata"]["uid"], o["metadata"]["resourceVersion"]) for o in mirror.store.list(kind)] == \
                [(o["metadata"]["uid"], o["metadata"]["resourceVersion"]) for o in sim.store.list(kind)]
        assert [n.name for n in mirror.topology.nodes] == [n.name for n in sim.topology.nodes]
        for node in sim.topology.nodes:
            assert mirror.kube_proxy.full_restore(node.name) == sim.kube_proxy.full_restore(node.name)
            for mode in ("ipvs", "nftables"):
                assert mirror.kube_proxy.render(node.name, mode) == sim.kube_proxy.render(node.name, mode)
        # The whole list went in pages of 500 with `continue`, then watches from its version.
        assert any("limit=500" in path for _, path in proxy.requests)
        assert any("watch=true" in path and "allowWatchBookmarks=true" in path and "resourceVersion=" in path
                   for _, path in proxy.requests)
    finally:
        await detach(task)


async def test_pages_decoded_in_another_process_make_the_same_mirror(proxy, tmp_path):
    """A big list's pages are decoded in another process (engine.attach.decoding): here every
    list is "big" (pages of 3), the process is up before the lists start (as after a big
    cluster's Services), and the panes, the objects and the rules are the simulation's."""
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path)), offload_at=0, page_size=3))
    await asyncio.wait_for(ws.session.decoder.start(), 60)
    task = asyncio.create_task(ws.follow(lambda _what: None))
    try:
        await eventually(lambda: ws.built, what="the first lists")
        ws.advance(0)
        mirror, sim = ws.cluster, simulated()
        sim.clock.advance_to(mirror.now())
        for ns in ("default", "kube-system", None):
            for rows in (views.pod_rows, views.service_rows, views.endpoint_rows, views.dns_rows):
                assert rows(mirror, ns) == rows(sim, ns), (rows.__name__, ns)
        for kind in ("Pod", "Service", "EndpointSlice", "Node", "Namespace"):
            got, want = mirror.store.list(kind), sim.store.list(kind)
            assert [(o["metadata"]["uid"], o["metadata"]["resourceVersion"]) for o in got] == \
                [(o["metadata"]["uid"], o["metadata"]["resourceVersion"]) for o in want]
            assert not any("managedFields" in o["metadata"] for o in got)
        for node in sim.topology.nodes:
            assert mirror.kube_proxy.full_restore(node.name) == sim.kube_proxy.full_restore(node.name)
        assert ws.session.decoder.offloaded >= len(sim.store.list("Pod")) // 3  # (every page went there)
    finally:
        await detach(task)


async def test_the_four_steps_come_from_the_watch_in_order_with_the_real_delays(proxy, served, tmp_path):
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        seen = ws.cluster.flow_events.total
        await served.create("/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis-mirror"},
            "spec": {"selector": {"app": "counter", "tier": "db"}, "ports": [{"port": 6379, "targetPort": 6379}]}})
        await eventually(lambda: ws.cluster.store.get("EndpointSlice", "default", "redis-mirror-") is not None or any(
            e.step == STEP_ENDPOINTS and e.name == "redis-mirror" for e in ws.cluster.flow_events.since(seen)),
            what="the EndpointSlice of the new Service")
        await asyncio.sleep(1.2)  # kube-proxy's minSyncPeriod may hold its sync a second
        ws.advance(0)
        events = [e for e in ws.cluster.flow_events.since(seen) if e.name == "redis-mirror" and e.step]
        steps = [e.step for e in events]
        assert steps[:2] == [STEP_COLLECT, STEP_ENDPOINTS], steps
        assert STEP_PROXY in steps and STEP_DNS in steps
        first, written = events[0], events[1]
        assert first.controller == "kube-apiserver" and first.verb == "added"
        assert written.controller == "endpointslice-controller.k8s.io"
        redis_ip = next(p["status"]["podIP"] for p in ws.cluster.store.list("Pod", "default")
                        if p["metadata"]["labels"].get("tier") == "db")
        assert written.data["ready"] == [redis_ip]
        times = [e.time for e in events]
        assert times == sorted(times)  # as they happened, each when svcflow saw it
        assert 0 <= (written.time - first.time).total_seconds() < 5
        computed = [e for e in events if e.step in (STEP_PROXY, STEP_DNS)]
        assert all(e.data.get("computed") and e.detail.endswith("(computed)") for e in computed)
        book = StoryBook().extend(ws.cluster.flow_events.since(seen))
        stories = [s for s in book.stories if getattr(s, "name", "") == "redis-mirror"]
        assert stories, [(e.step, e.controller, e.name, e.detail) for e in ws.cluster.flow_events.since(seen)]
        story = stories[0]
        assert [b.step for b in story.beats()][:2] == [STEP_COLLECT, STEP_ENDPOINTS]
        assert [b.step for b in story.beats()][-1] == STEP_DNS
    finally:
        await detach(task)


async def test_a_410_leads_to_a_relist(proxy, served, tmp_path):
    proxy.expire.add("/api/v1/services")
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        services = next(r for r in ws.session.source.reflectors if r.resource.kind == "Service")
        await eventually(lambda: services.lists >= 2 and not proxy.expire, what="the relist")
        lists = [p for _, p in proxy.requests if p.startswith("/api/v1/services?") and "watch=" not in p]
        assert len(lists) >= 2
        async with aiohttp.ClientSession() as http:  # what the server holds now, asked directly
            async with http.get(served.url + "/api/v1/services") as r:
                live = sorted(o["metadata"]["uid"] for o in (await r.json())["items"])
        assert sorted(o["metadata"]["uid"] for o in ws.cluster.store.list("Service")) == live
    finally:
        await detach(task)


async def test_the_server_going_away_and_coming_back_is_retried(proxy, served, tmp_path):
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        await proxy.stop()
        await eventually(lambda: any("cannot reach the API server" in ln for ln in ws.status_lines()),
                         what="the unreachable server's line")
        assert len([ln for ln in ws.status_lines() if "cannot reach" in ln]) == 1  # one line, not one per kind
        await served.create("/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "while-away"},
            "spec": {"selector": {"app": "redis"}, "ports": [{"port": 6379}]}})
        await proxy.start()  # the same port: the server is back
        await eventually(lambda: ws.cluster.store.get("Service", "default", "while-away") is not None, timeout=40,
                         what="the Service created while the server was away")
        await eventually(lambda: not ws.session.problem_lines(), what="the problem lines to clear")
    finally:
        await detach(task)


async def test_a_forbidden_kind_is_one_line_and_the_rest_carry_on(proxy, tmp_path):
    proxy.forbid.add("/api/v1/endpoints")
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        lines = ws.session.problem_lines()
        assert len(lines) == 1 and lines[0].startswith("forbidden:") and "/api/v1/endpoints" in lines[0]
        assert ws.cluster.store.count("Endpoints") == 0
        assert ws.cluster.store.count("Service") > 0 and ws.cluster.store.count("EndpointSlice") > 0
    finally:
        await detach(task)


async def test_lists_come_in_pages_with_continue(proxy, served, tmp_path):
    ws, task = await attached(proxy.kubeconfig(tmp_path), page_size=3)
    try:
        pods = [p for _, p in proxy.requests if p.startswith("/api/v1/pods?") and "watch=" not in p]
        assert len(pods) >= 3 and all("limit=3" in p for p in pods) and any("continue=" in p for p in pods)
        async with aiohttp.ClientSession() as http:
            async with http.get(served.url + "/api/v1/pods") as r:
                live = [o["metadata"]["uid"] for o in (await r.json())["items"]]
        assert sorted(p["metadata"]["uid"] for p in ws.cluster.store.list("Pod")) == sorted(live)
    finally:
        await detach(task)


async def test_an_object_svcflow_cannot_compute_is_a_line_not_a_traceback(proxy, served, tmp_path, monkeypatch):
    ws, task = await attached(proxy.kubeconfig(tmp_path))
    try:
        def broken(key):
            raise ValueError("an object svcflow does not understand")
        monkeypatch.setattr(ws.cluster.kube_proxy, "reconcile", broken)
        ws.cluster.kube_proxy.enqueue("sync")
        assert ws.advance(0) is True
        problems, _ = ws.status()
        assert problems == ["svcflow could not compute the rules or records (ValueError: an object svcflow does not "
                            "understand); the panes may be behind"]
    finally:
        await detach(task)
