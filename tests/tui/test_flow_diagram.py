"""The flow diagram: stories grouped from the engine's real events (engine/flowstory.py)
and the view that plays them (tui/widgets/flow_diagram.py), driven headlessly."""
from __future__ import annotations

import pytest

from engine.cluster.cluster import Cluster
from engine.cluster.events import STEP_COLLECT, STEP_DNS, STEP_ENDPOINTS, STEP_PROXY, FlowEvent
from engine.kubectl.session import Session
from engine.views.flowstory import (
    TRAFFIC_ANSWER,
    TRAFFIC_CLUSTERIP,
    TRAFFIC_DNAT,
    TRAFFIC_POD,
    TRAFFIC_QUERY,
    ServiceStory,
    TrafficStory,
    group_stories,
    parse_record,
)
from tests.helpers import SAMPLES, apply_yaml, sample

SAMPLE_FILES = ("counter-redis-svc.yml", "counter-app.yml", "counter-nodeport.yml")


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    c = Cluster(deterministic=True)
    for f in SAMPLE_FILES:
        apply_yaml(c, sample(f))
    s = Session(c, settle=True)
    for line in ("kubectl exec -it deploy/counter -- sh", "apk add curl", "curl redis:6379", "exit",
                 "curl 172.18.0.3:31000"):
        s.feed(line)
    return c


def _events(c: Cluster) -> list[FlowEvent]:
    return c.flow_events.since(c.boot_events)


def _redis(c: Cluster) -> list[ServiceStory]:
    return [s for s in group_stories(_events(c)) if isinstance(s, ServiceStory) and s.key == "default/redis"]


def test_each_story_plays_1_2_3_4_in_order(cluster):
    for story in group_stories(_events(cluster)):
        if isinstance(story, ServiceStory):
            steps = [b.step for b in story.beats()]
            assert steps == sorted(steps), (story.key, steps)


def test_interleaved_events_are_regrouped_by_service_and_change(cluster):
    # The raw log, shuffled as two controllers racing would leave it, tells the same story.
    evs = _events(cluster)
    redis = [e for e in evs if e.name == "redis" and e.step]
    first = redis[:8]
    shuffled = [first[2], first[0], first[3], first[1], first[5], first[4], first[7], first[6]]
    stories = group_stories(shuffled)
    assert len(stories) == 1
    assert [b.step for b in stories[0].beats()] == [1, 2, 3, 3, 3, 4]
    assert _events(cluster) == evs  # the raw events are untouched


def test_redis_has_one_story_per_change(cluster):
    stories = _redis(cluster)
    assert len(stories) == 3  # created with no pod, pod not ready, pod ready
    ready = [s.ips()[0] for s in stories]
    pod_ip = stories[-1].ips()[0][0]
    assert ready == [[], [], [pod_ip]]
    assert stories[1].ips()[1] == [pod_ip]  # not ready yet


def test_step_3_is_one_beat_per_node_with_the_service_chains(cluster):
    last = _redis(cluster)[-1]
    beats = [b for b in last.beats() if b.step == STEP_PROXY]
    nodes = [n.name for n in cluster.topology.nodes]
    assert [b.node for b in beats] == nodes
    for ns in last.node_syncs():
        assert ns.svc_chain and ns.svc_chain.startswith("KUBE-SVC-")
        assert len(ns.sep_chains) == 1 and ns.sep_chains[0].startswith("KUBE-SEP-")
        rules = cluster.kube_proxy.iptables_save(ns.node)
        assert f":{ns.svc_chain} " in rules and f":{ns.sep_chains[0]} " in rules  # the engine's real chains


def test_step_4_names_the_service_record_not_a_ptr(cluster):
    svc = cluster.store.get("Service", "default", "redis")
    ip = svc["spec"]["clusterIP"]
    first, last = _redis(cluster)[0], _redis(cluster)[-1]
    rec, changed = first.record()
    assert changed and rec.line() == f"redis.default.svc.cluster.local A {ip}"
    assert first.beats()[-1].caption == f"④ CoreDNS serves redis.default.svc.cluster.local A {ip}"
    # The pod-ready change only added PTR and endpoint names: the Service's record stands.
    rec, changed = last.record()
    assert not changed and rec.value == ip
    assert last.beats()[-1].caption.startswith(f"④ CoreDNS still serves redis.default.svc.cluster.local A {ip}")


def test_parse_record_reads_corednss_lines():
    assert parse_record("CoreDNS serves 62.35.96.10.in-addr.arpa -> redis.default.svc.cluster.local (PTR)").rtype == "PTR"
    r = parse_record("CoreDNS no longer serves redis.default.svc.cluster.local -> 10.96.35.62")
    assert (r.rtype, r.added) == ("A", False)
    assert parse_record("something else") is None


def test_coredns_unreachable_and_serving_are_step_4_stories():
    c = Cluster(deterministic=True)
    s = Session(c, settle=True)
    s.feed("kubectl scale deploy/coredns -n kube-system --replicas=0")
    stories = [st for st in group_stories(_events(c)) if isinstance(st, ServiceStory) and st.key == "kube-system/kube-dns"]
    captions = [b.caption for st in stories for b in st.beats() if b.step == STEP_DNS]
    assert any("NOT SERVING" in cap for cap in captions), captions


def test_curl_is_one_traffic_story_dns_then_rules_then_pod(cluster):
    traffic = [s for s in group_stories(_events(cluster)) if isinstance(s, TrafficStory)]
    curl = next(s for s in traffic if s.target == "redis:6379")
    beats = curl.beats()
    assert [b.step for b in beats] == [TRAFFIC_QUERY, TRAFFIC_ANSWER, TRAFFIC_CLUSTERIP, TRAFFIC_DNAT, TRAFFIC_POD]
    ip = cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert curl.dns_answer() == ("redis.default.svc.cluster.local", f"NOERROR -> {ip}")
    assert curl.dns_server().endswith(":53")
    assert curl.service() == "default/redis"
    assert curl.matched("KUBE-SVC-") and curl.matched("KUBE-SEP-")
    assert curl.data["dnat"] in beats[3].caption
    nodeport = next(s for s in traffic if s.outside())
    assert nodeport.matched("KUBE-EXT-") and nodeport.service() == "default/counter-np"
    assert [b.step for b in nodeport.beats()] == [TRAFFIC_CLUSTERIP, TRAFFIC_DNAT, TRAFFIC_POD]


# -- the view --------------------------------------------------------------------------------

async def test_v_opens_and_closes_the_diagram_and_it_fits_100x30():
    from tui.app import SvcflowApp
    from tui.widgets.flow_diagram import FlowDiagram, showing

    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        view = showing(app)
        assert view is not None and view.has_focus
        d = view.diagram
        assert d.status() == "live: this is the latest step"
        lines = d.render().plain.splitlines()
        assert all(len(line) <= d.size.width for line in lines) and len(lines) <= 30
        await pilot.press("left_square_bracket")  # one beat back: the view says live is ahead
        assert d.status() == "live: 1 step ahead"
        assert d.paused
        await pilot.press("end")
        assert d.status() == "live: this is the latest step"
        await pilot.press("v")
        await pilot.pause()
        assert showing(app) is None
        assert app.focused is app.query_one("#pods-table")
        app.refresh_panes()  # the panes are still the app's: nothing was pushed over them
        assert isinstance(app.query_one("#flow-diagram"), FlowDiagram)


async def test_end_after_stepping_back_plays_live_again():
    """`v`, `[`, `end`: the title said `paused` while the status said `live: this is the
    latest step` (a tester). `end` is the latest beat and live: the player plays again."""
    from tui.app import SvcflowApp
    from tui.widgets.flow_diagram import showing

    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        d = showing(app).diagram
        await pilot.press("left_square_bracket")
        await pilot.pause()
        title = d.render().plain.splitlines()[0]
        assert "paused" in title and d.status() == "live: 1 step ahead"
        await pilot.press("end")
        await pilot.pause()
        top = d.render().plain.splitlines()[:2]
        assert not d.paused and "paused" not in " ".join(top), top
        assert "live: this is the latest step" in " ".join(top)


async def test_the_diagram_plays_a_story_beat_by_beat():
    from tui.app import SvcflowApp
    from tui.widgets.flow_diagram import showing

    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        d = showing(app).diagram
        assert d.seek_story("default/redis", STEP_COLLECT)
        seen = []
        for _ in range(6):
            story, j = d.current()
            seen.append(story.beats()[j].step)
            await pilot.press("right_square_bracket")
        assert seen == [STEP_COLLECT, STEP_ENDPOINTS, STEP_PROXY, STEP_PROXY, STEP_PROXY, STEP_DNS]
        text = d.render().plain
        assert "redis.default.svc.cluster.local" in text
        await pilot.press("r")  # replay: back to the story's step 1
        assert d.current()[0].beats()[d.current()[1]].step == STEP_COLLECT


def test_screenshot_focus_flow_writes_the_diagram(tmp_path):
    from tui.cli import main

    out = tmp_path / "flow.svg"
    assert main(["screenshot", "-f", str(SAMPLES), "--focus", "flow", "--size", "100x30", "-o", str(out)]) == 0
    svg = out.read_text().replace("&#160;", " ")
    assert "Endpoint controller" in svg and "CoreDNS" in svg


def test_screenshot_refuses_an_unknown_focus(tmp_path, capsys):
    import io

    from tui.cli import main

    err = io.StringIO()
    assert main(["screenshot", "--focus", "nowhere", "-o", str(tmp_path / "x.svg")], err=err) == 2
    assert '"flow"' in err.getvalue()


def test_attached_step_1_is_the_service_arriving_in_the_watch():
    """Attached to a real cluster (engine/attach) step 1 is the Service seen in the watch, told as
    such, not as the simulation's Endpoint controller collecting pod IPs."""
    from datetime import datetime, timezone

    when = datetime(2025, 6, 1, 10, 0, tzinfo=timezone.utc)
    added = FlowEvent(seq=1, time=when, controller="watch", kind="Service", namespace="default", name="web",
                      verb="added", detail="Service added (created 2025-06-01T10:00:00Z)", step=STEP_COLLECT,
                      data={"ready": [], "created": "2025-06-01T10:00:00Z"})
    story = next(st for st in group_stories([added]) if isinstance(st, ServiceStory))
    assert [str(b.caption) for b in story.beats()] == ["① Service web added (created 2025-06-01T10:00:00Z)"]


async def test_m_previews_a_mode_in_the_pane_and_says_so_while_the_diagram_keeps_the_clusters():
    """`m` changed the kube-proxy pane only; the diagram's ③ boxes and the header kept
    `iptables` (a tester: confusing side by side). The cluster's kube-proxy runs one mode:
    the header, the diagram (idle boxes included) and `trace` say it; the pane's other modes
    are titled as a preview; `m` over the diagram says what the diagram shows."""
    from tui.app import SvcflowApp
    from tui.panes import ProxyPane
    from tui.widgets.chrome import ClusterHeader
    from tui.widgets.flow_diagram import showing

    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.query_one(ProxyPane)
        assert str(pane.border_title).startswith("kube-proxy · ") and "preview" not in str(pane.border_title)
        await pilot.press("m")
        await pilot.pause()
        assert app.mode == "ipvs"
        title = str(pane.border_title)
        assert " · ipvs (" in title and title.endswith(" · preview: the cluster runs iptables"), title
        assert "proxy iptables" in app.query_one(ClusterHeader).render().plain
        await pilot.press("v")
        await pilot.pause()
        d = showing(app).diagram
        d.seek(-1)  # (no beat: every kube-proxy box idle, naming its mode)
        assert d.scene().mode == "iptables" and "ipvs" not in d.render().plain
        await pilot.press("m")
        await pilot.pause()
        assert app.mode == "ipvs"  # (unchanged under the diagram)
        # (on the figure: a toast is drawn under the view)
        assert "this cluster runs iptables" in d.render().plain.replace("\n", " ")
