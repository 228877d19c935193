"""The `v` diagram when attached (the tester's finding 3): its boxes said "ready: none",
"no ready pod" and "no ready address" while its own step line listed the EndpointSlice's
addresses. Step 1 observed in a watch is the Service arriving, which says nothing of its pods;
the addresses are the ones the EndpointSlices the real controller wrote hold, and the boxes
show those, as the simulated dashboard's do."""
from __future__ import annotations

from engine.cluster.events import STEP_COLLECT, STEP_DNS, STEP_ENDPOINTS
from tests.attach.test_attach_flow import added, story, written
from tests.attach_fixtures import attached_dashboard, eventually
from tui.widgets.flow_diagram import showing


def test_an_observed_story_has_the_slices_addresses():
    s = story(added(), written(2, 0.4, ["web-a"], ["10.244.1.2"]), written(3, 0.5, ["web-b"], ["10.244.2.2"]),
              written(4, 0.9, ["web-a"], ["10.244.1.2", "10.244.1.3"]))
    assert s.ips() == (["10.244.1.2", "10.244.1.3", "10.244.2.2"], [])
    assert s.ips()[0] == s.observed_ips()[0]
    assert s.beats()[1].caption.endswith(": 10.244.1.2, 10.244.1.3, 10.244.2.2")
    # Before any slice is seen, nothing is known of its pods.
    assert story(added()).ips() == ([], [])


async def test_the_attached_diagram_shows_the_ready_addresses_its_step_line_lists(served, proxy, tmp_path):
    async with attached_dashboard(proxy.kubeconfig(tmp_path)) as (app, ws, pilot):
        pods = [p for p in ws.cluster.store.list("Pod", "default") if p["metadata"]["labels"].get("app") == "counter"
                and p["status"].get("podIP")]
        ips = sorted(p["status"]["podIP"] for p in pods)
        assert ips
        await served.create("/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "drawn"},
            "spec": {"selector": {"app": "counter"}, "ports": [{"port": 80, "targetPort": 3000}]}})
        await eventually(lambda: any(e.step == STEP_ENDPOINTS and e.name == "drawn"
                                     for e in ws.cluster.flow_events.since(0)), what="the slice of the Service")
        await pilot.press("v")
        await pilot.pause()
        d = showing(app).diagram
        for step in (STEP_COLLECT, STEP_ENDPOINTS):
            assert d.seek_story("default/drawn", step)
            await pilot.pause()
            text = d.render().plain
            assert "no ready" not in text and "ready: none" not in text, text
            assert f"ready: {ips[0]}" in text.replace("\n", " ") or ips[0] in text, text
        story_, beat = d.current()
        assert story_.ips()[0] and sorted(story_.ips()[0]) == ips
        assert ", ".join(story_.ips()[0]) in story_.beats()[beat].caption


async def test_a_story_of_a_service_found_at_attach_claims_nothing_of_its_pods(proxy, tmp_path):
    """The stories told while svcflow attaches begin at the computed components (CoreDNS's
    records, step 4; kube-proxy's sync, step 3): they saw no pod collected and no slice
    written, and their boxes said "ready: none", "no ready pod", "no ready address" of
    kube-dns, which had two ready pods (a tester's finding)."""
    async with attached_dashboard(proxy.kubeconfig(tmp_path), size=(100, 30)) as (app, ws, pilot):
        await eventually(lambda: ws.cluster.kube_proxy.first_synced, what="kube-proxy's first sync")
        ws.advance(0)
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        d = showing(app).diagram
        assert d.seek_story("kube-system/kube-dns", STEP_DNS)
        await pilot.pause()
        story_, _ = d.current()
        assert not story_.collected and not story_.written  # (found at attach: no step 1 or 2 seen)
        text = d.render().plain
        assert "kube-dns" in text
        assert "ready: none" not in text and "no ready pod" not in text and "no ready address" not in text, text
