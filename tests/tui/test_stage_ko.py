"""Issue 14's last gaps: the flow diagram and strip in Korean, the CoreDNS pane's
`name → value` at 100 columns, a lookup told on the diagram, and the snapshots that show
them (deterministic app, `watch=False`, as tests/tui/test_tui.py)."""
from __future__ import annotations

from rich.cells import cell_len

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from engine.views.flowstory import TRAFFIC_ANSWER, TRAFFIC_QUERY, Phrase, TrafficStory, group_stories
from tests.helpers import SAMPLES, apply_yaml, sample, until
from tui.app import SvcflowApp
from tui.i18n import KO, translator
from tui.widgets.flow import FlowStrip, caption_for
from tui.widgets.flow_diagram import Canvas, draw, fit, show

SMALL, BIG = (100, 30), (160, 48)
KO_TR = translator("ko")


def make_app(**kw) -> SvcflowApp:
    return SvcflowApp([str(SAMPLES)], deterministic=True, watch=False, **kw)


def _cluster() -> tuple[Cluster, Session]:
    c = Cluster(deterministic=True)
    for f in ("counter-redis-svc.yml", "counter-app.yml"):
        apply_yaml(c, sample(f))
    return c, Session(c, settle=True)


# -- 1. Korean ---------------------------------------------------------------------------------

def test_every_korean_template_keeps_the_slots_of_its_english_one():
    """A translation may move a value, never drop or invent one (the engine's values are
    filled in after translation)."""
    import string

    for en, ko in KO.items():
        slots = {f for _, f, _, _ in string.Formatter().parse(en) if f}
        assert slots == {f for _, f, _, _ in string.Formatter().parse(ko) if f}, en


def test_a_phrase_renders_english_by_default_and_korean_through_the_table():
    p = Phrase("④ CoreDNS serves {record}", (("record", "redis.default.svc.cluster.local A 10.96.36.4"),))
    assert p.render() == "④ CoreDNS serves redis.default.svc.cluster.local A 10.96.36.4"
    assert p.render(KO_TR) == "④ CoreDNS가 redis.default.svc.cluster.local A 10.96.36.4 제공"


def test_the_canvas_counts_hangul_as_two_cells_so_every_row_keeps_the_width():
    c = Canvas(20, 3)
    c.box(0, 0, 20, 3, "① Endpoint 컨트롤러", [("Service, Pod 감시", "")], "lit")
    c.put(5, 1, "ab")  # over the middle of a wide character: its other half is blanked
    c.put(19, 2, "감")  # half a wide character at the edge: not drawn
    for line in c.to_text().plain.split("\n"):
        assert cell_len(line) == 20, line
    assert cell_len(fit("실시간: 지금이 최신 단계", 9)) <= 9


async def test_the_diagram_in_korean_translates_its_words_not_the_engines_values():
    app = make_app(lang="ko")
    async with app.run_test(size=SMALL) as pilot:
        view = show(app)
        await pilot.pause()
        d = view.diagram
        ip = app.workspace.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
        for step, words in ((1, ("Endpoint 컨트롤러", "수집:", "Pod IP를 수집한다")), (2, ("기록",)),
                            (3, ("규칙", "kube-proxy")), (4, ("redis.default.svc.cluster.local", ip, "제공"))):
            assert d.seek_story("default/redis", step)
            await pilot.pause()
            text = draw(d.scene(), 98, 28).plain
            for w in words:
                assert w in text, (step, w, text)
            assert "watches" not in text and "collected" not in text and "live:" not in text
            assert "Traceback" not in text and "flow diagram:" not in text
        strip = app.query_one(FlowStrip)
        assert "Endpoint 컨트롤러" in strip.render().plain


def test_the_strip_caption_in_korean_keeps_the_event_values():
    c, _ = _cluster()
    ev = next(e for e in c.flow_events.since(0) if e.step == 1 and e.name == "redis")
    ko = caption_for(ev, KO_TR)
    assert "Service default/redis의 Pod" in ko
    for ip in ev.data.get("ready") or []:
        assert ip in ko


# -- 2. the CoreDNS pane at 100 columns ------------------------------------------------------

async def test_the_dns_pane_at_100_columns_shows_name_arrow_value_and_keeps_the_highlight():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        dns = app.query_one("#dns-table")
        dns.focus()
        await until(pilot, lambda: dns.size.height > 1)
        ip = app.workspace.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
        lines = [dns.render_line(y).text.rstrip() for y in range(dns.size.height)]
        assert lines[0].strip() == "NAME → VALUE"
        assert f"redis.default.svc.cluster.local. → {ip}" in "\n".join(lines)
        assert any(" → PTR " in line for line in lines)
        assert all("…" not in line for line in lines if " → SRV " not in line)  # only the SRV rows reach the edge
        keys = dns.keys_named({"redis.default.svc.cluster.local"})
        assert keys
        dns.highlight = keys
        dns.refresh()
        await pilot.pause()
        assert dns.compacted


async def test_the_dns_pane_keeps_its_table_when_the_columns_fit():
    app = make_app()
    async with app.run_test(size=(300, 48)) as pilot:
        await pilot.pause()
        dns = app.query_one("#dns-table")
        if not dns.compacted:
            assert "VALUE" in dns.render_line(0).text


# -- 3. a lookup on the diagram ---------------------------------------------------------------

def test_nslookup_and_dig_are_stories_of_their_own_query_then_answer():
    c, s = _cluster()
    base = c.flow_events.total
    s.feed("kubectl exec deploy/counter -- nslookup redis")
    s.feed("dig redis --from deploy/counter")
    ip = c.store.get("Service", "default", "redis")["spec"]["clusterIP"]
    lookups = [st for st in group_stories(c.flow_events.since(base)) if isinstance(st, TrafficStory)]
    assert len(lookups) == 2 and all(st.is_lookup for st in lookups)
    for st in lookups:
        beats = st.beats()
        assert [b.step for b in beats] == [TRAFFIC_QUERY, TRAFFIC_ANSWER]
        assert st.dns_answer() == ("redis.default.svc.cluster.local", ip), st.dns_answer()
        assert ip in beats[1].caption and st.dns_server().endswith(":53")
    assert "(nslookup)" in lookups[0].beats()[0].caption and "(dig)" in lookups[1].beats()[0].caption


def test_a_lookup_with_coredns_down_shows_the_timeout():
    c, s = _cluster()
    s.feed("kubectl scale deploy/coredns -n kube-system --replicas=0")
    base = c.flow_events.total
    s.feed("kubectl exec deploy/counter -- nslookup redis")
    st = [x for x in group_stories(c.flow_events.since(base)) if isinstance(x, TrafficStory)][-1]
    assert st.is_lookup and st.timed_out()
    answer = st.beats()[-1].caption
    assert answer.startswith(f"⇠ no answer from {c.topology.dns_ip}:53:"), answer
    assert "kube-dns has no ready endpoints" in answer
    assert answer.count("(") == answer.count(")"), answer  # (the reason's own parenthesis is kept)
    assert "응답 없음" in st.beats()[-1].text.render(KO_TR)


async def test_a_lookup_plays_on_the_diagram_at_once():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        app.run_command("kubectl exec deploy/counter -- nslookup redis")
        await pilot.pause()
        view = show(app)
        await pilot.pause()
        text = draw(view.diagram.scene(), 98, 28).plain
        ip = app.workspace.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
        assert "lookup counter-" in text and "nslookup) asks CoreDNS" not in text  # on its answer beat (live)
        assert f"CoreDNS answers redis.default.svc.cluster.local: {ip}" in text


# -- 4. snapshots --------------------------------------------------------------------------------

def test_snapshot_stage_dns_focused_100x30(snap_compare):
    async def focus(pilot):
        pilot.app.query_one("#dns-table").focus()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=focus)


def test_snapshot_zoomed_proxy_100x30(snap_compare):
    async def zoom(pilot):
        pilot.app.query_one("#proxy-view").focus()
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=zoom)


def test_snapshot_dashboard_ko_160x48(snap_compare):
    async def settle(pilot):
        await pilot.pause()

    assert snap_compare(make_app(lang="ko"), terminal_size=BIG, run_before=settle)


def test_snapshot_diagram_ko_step4_100x30(snap_compare):
    async def seek(pilot):
        view = show(pilot.app)
        await pilot.pause()
        assert view.diagram.seek_story("default/redis", 4)
        await pilot.pause()

    assert snap_compare(make_app(lang="ko"), terminal_size=SMALL, run_before=seek)


def test_snapshot_diagram_lookup_100x30(snap_compare):
    async def lookup(pilot):
        pilot.app.run_command("kubectl exec deploy/counter -- nslookup redis")
        await pilot.pause()
        show(pilot.app)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=lookup)
