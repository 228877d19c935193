"""The flow's captions when attached (issue 18): step 2 tells what was observed in the
watch -- which EndpointSlice the real endpointslice controller wrote, and how long after the
Service was added svcflow saw it -- not the simulation's words. The simulation's captions
are unchanged (the snapshot tests hold them)."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.cluster.events import STEP_COLLECT, STEP_ENDPOINTS, FlowEvent
from engine.views.flowstory import ServiceStory, StoryBook, group_stories
from tests.attach_fixtures import RecordingProxy, ServedProcess, eventually
from tui.i18n import translator
from tui.widgets.flow import caption_for

WHEN = datetime(2026, 12, 1, 9, 3, tzinfo=timezone.utc)


def added(seq: int = 1) -> FlowEvent:
    """The mirror's step 1 (engine/attach/mirror.py): the Service ADDED in the watch."""
    return FlowEvent(seq=seq, time=WHEN, controller="kube-apiserver", kind="Service", namespace="default", name="web",
                     verb="added", detail="Service added (created 2026-12-01T09:03:00Z)", step=STEP_COLLECT,
                     data={"ready": [], "created": "2026-12-01T09:03:00Z"})


def written(seq: int, after: float, slices: list[str], ready: list[str]) -> FlowEvent:
    """The mirror's step 2: an EndpointSlice written by the real controller, as the watch told it."""
    svc = {"kind": "Service", "namespace": "default", "name": "web"}
    return FlowEvent(seq=seq, time=WHEN + timedelta(seconds=after), controller="endpointslice-controller.k8s.io",
                     kind=svc["kind"], namespace=svc["namespace"], name=svc["name"], verb="wrote",
                     detail=f"EndpointSlice {slices[0]}: {', '.join(ready) or '<none>'}", step=STEP_ENDPOINTS,
                     data={"slices": slices, "ready": ready, "written": "2026-12-01T09:03:01Z"})


def story(*events: FlowEvent) -> ServiceStory:
    return next(s for s in group_stories(events) if isinstance(s, ServiceStory))


def test_step_2_says_who_wrote_the_slice_and_how_long_after_the_service_was_added():
    s = story(added(), written(2, 1.23, ["web-vm247"], ["10.244.1.2", "10.244.2.2"]))
    assert [b.caption for b in s.beats()] == [
        "① Service web added (created 2026-12-01T09:03:00Z)",
        "② EndpointSlice web-vm247 written by endpointslice-controller.k8s.io 1.2 s after the Service was added: "
        "10.244.1.2, 10.244.2.2"]


def test_a_slice_written_without_the_service_being_added_is_a_watch_event():
    """A pod became ready in a Service svcflow found in the first list: only step 2 was seen."""
    s = story(written(1, 0, ["web-vm247"], ["10.244.1.2"]), written(2, 4, ["web-vm247"], ["10.244.1.2", "10.244.2.2"]))
    assert [b.caption for b in s.beats()] == [
        "② EndpointSlice web-vm247 written by endpointslice-controller.k8s.io (watch event): 10.244.1.2, 10.244.2.2"]


def test_a_service_with_no_ready_pod_and_two_slices():
    s = story(added(), written(2, 0.4, ["web-a"], []), written(3, 0.5, ["web-b"], []))
    assert s.beats()[1].caption == ("② EndpointSlice web-a and EndpointSlice web-b written by "
                                    "endpointslice-controller.k8s.io 0.4 s after the Service was added: no ready address")


def test_the_flow_strip_says_the_service_was_added_not_that_it_selects_no_pods():
    """The strip under the panes (tui/widgets/flow.py) tells the watch's step 1 as what it is:
    the Service added, when it was created -- svcflow did not collect pods in a real cluster."""
    assert caption_for(added()) == "① kube-apiserver: Service default/web added (created 2026-12-01T09:03:00Z)"
    assert caption_for(added(), translator("ko")) == (
        "① kube-apiserver: Service default/web 추가됨 (생성 2026-12-01T09:03:00Z)")


def test_the_simulations_step_2_keeps_its_words():
    svc = dict(kind="Service", namespace="default", name="web")
    sim = [FlowEvent(seq=1, time=WHEN, controller="endpointslice-controller", verb="collected", detail="10.244.1.2",
                     step=STEP_COLLECT, data={"ready": ["10.244.1.2"]}, **svc),
           FlowEvent(seq=2, time=WHEN, controller="endpointslice-controller", verb="wrote",
                     detail="EndpointSlice web-vm247", step=STEP_ENDPOINTS,
                     data={"slices": ["web-vm247"], "ready": ["10.244.1.2"]}, **svc)]
    assert [b.caption for b in story(*sim).beats()] == [
        "① Endpoint controller collects the pod IPs of Service web: 10.244.1.2",
        "② The controllers write EndpointSlice web-vm247: 10.244.1.2"]


async def test_attached_to_a_served_cluster_step_2_is_told_as_observed(tmp_path_factory, tmp_path):
    """End to end: `svcflow serve` in another process, a Service created there, the story told
    from the watch events the mirror saw."""
    served = ServedProcess(tmp_path_factory.mktemp("served-flow"))
    proxy = RecordingProxy(served.url)
    await proxy.start()
    try:
        ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
        task = asyncio.create_task(ws.follow(lambda _what: None))
        await eventually(lambda: ws.built, what="the first lists")
        seen = ws.cluster.flow_events.total
        await served.create("/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis-seen"},
            "spec": {"selector": {"app": "counter", "tier": "db"}, "ports": [{"port": 6379}]}})
        await eventually(lambda: any(e.step == STEP_ENDPOINTS and e.name == "redis-seen"
                                     for e in ws.cluster.flow_events.since(seen)), what="the EndpointSlice")
        book = StoryBook().extend(ws.cluster.flow_events.since(seen))
        s = next(st for st in book.stories if isinstance(st, ServiceStory) and st.name == "redis-seen")
        captions = [b.caption for b in s.beats()]
        assert captions[0].startswith("① Service redis-seen added (created ")
        redis_ip = next(p["status"]["podIP"] for p in ws.cluster.store.list("Pod", "default")
                        if p["metadata"]["labels"].get("tier") == "db")
        assert re.fullmatch(r"② EndpointSlice redis-seen-\w{5} written by endpointslice-controller\.k8s\.io "
                            rf"\d+\.\d s after the Service was added: {re.escape(redis_ip)}", captions[1]), captions
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await proxy.stop()
        served.close()
    assert {m for m, _ in proxy.requests} == {"GET"}
