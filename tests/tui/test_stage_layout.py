"""Projector layouts (issue 14): at 100x30 the focused pane is large and the others a line
each, `z` zooms a pane to the whole screen and back, no pane spends a row on a horizontal
scrollbar, the header is one line, `--present` marks the focused pane alone, and
`lang="ko"` translates the chrome while Kubernetes' own terms stay."""
from __future__ import annotations

import time

import pytest

from tui.app import SvcflowApp
from tui.panes import Pane

SMALL = (100, 30)
PANES = ("pods", "services", "endpoints", "proxy", "dns", "events")


def make_app(**kwargs) -> SvcflowApp:
    return SvcflowApp(["demo"], deterministic=True, watch=False, **kwargs)


async def laid_out(pilot, app: SvcflowApp, staged: Pane, timeout: float = 10.0) -> None:
    """Pause until the stage follows the focus to `staged` and every pane has been laid
    out with it (the staged pane grown past its one-line form), `timeout` seconds at most:
    on a loaded machine the layout may come a few frames after the first pause (a pane
    measures 0 rows until then, and the newly staged one keeps its old height a frame)."""
    end = time.monotonic() + timeout
    await pilot.pause()
    while time.monotonic() < end and not (
            staged.has_class("-staged") and staged.size.height > 1
            and all(app.query_one(f"#{p}").outer_size.height for p in PANES)):
        await pilot.pause(0.02)


@pytest.mark.parametrize("focus", ["#pods-table", "#services-table", "#endpoints-table", "#proxy-view",
                                   "#dns-table", "#events-log"])
async def test_at_100x30_the_focused_pane_is_large_and_the_others_a_line(demo, focus):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        app.query_one(focus).focus()
        large = Pane.of(app.query_one(focus))
        await laid_out(pilot, app, large)
        assert app.has_class("-stage")
        assert large.size.height >= 15
        for pane in PANES:
            if app.query_one(f"#{pane}") is not large:
                assert app.query_one(f"#{pane}").outer_size.height == 1
        assert app.query_one("#cluster-header").outer_size.height == 1  # the header never wraps


async def test_the_dns_pane_on_stage_shows_the_redis_record_with_its_cluster_ip(demo):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        app.query_one("#dns-table").focus()
        await pilot.pause()
        ip = app.workspace.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
        lines = [app.query_one("#dns-table").render_line(y).text for y in range(12)]
        assert any("redis.default.svc.cluster.local." in line and ip in line for line in lines)


async def test_no_pane_spends_a_row_on_a_horizontal_scrollbar(demo):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        for widget in ("#pods-table", "#services-table", "#endpoints-table", "#proxy-view", "#dns-table",
                       "#events-log"):
            app.query_one(widget).focus()
            await pilot.pause()
            assert not app.query_one(widget).scrollbars_enabled[1] or \
                app.query_one(widget).styles.scrollbar_size_horizontal == 0, widget
        services = app.query_one("#services-table")
        app.query_one("#grid").styles.width = 60  # a narrow pane: cells are cut with `…`
        services.focus()
        await pilot.pause()
        assert services._table_width() <= services.scrollable_content_region.width
        assert any("…" in services.render_line(y).text for y in range(1, 4))


async def test_z_zooms_the_focused_pane_to_the_whole_screen_and_back(demo):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.query_one("#proxy-view").focus()
        await pilot.press("z")
        await pilot.pause()
        proxy = app.query_one("#proxy")
        assert proxy.size.height >= 40 and proxy.size.width >= 150
        assert not app.query_one("#pods").display or app.query_one("#pods").size.height == 0
        await pilot.press("z")
        await pilot.pause()
        assert app.query_one("#pods").size.height > 3 and proxy.size.width < 100


async def test_present_marks_the_focused_pane_alone(demo):
    app = make_app(present=True)
    async with app.run_test(size=(160, 48)) as pilot:
        app.query_one("#services-table").focus()
        await pilot.pause()
        borders = {p: app.query_one(f"#{p}").styles.border_top for p in PANES}
        assert borders["services"][0] == "heavy"
        assert all(b[0] != "heavy" for p, b in borders.items() if p != "services")
        assert app.query_one("#services").styles.border_title_background.a > 0


async def test_korean_chrome_keeps_kubernetes_terms(demo):
    app = make_app(lang="ko")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert str(app.query_one("#events").border_title) == "이벤트"
        assert str(app.query_one("#services").border_title) == "Service"
        assert str(app.query_one("#endpoints").border_title) == "Endpoints / EndpointSlice"
        assert str(app.query_one("#proxy").border_title).startswith("kube-proxy")
        descriptions = {b.description for bs in app._bindings.key_to_bindings.values() for b in bs}
        assert "종료" in descriptions and "도움말" in descriptions and "Quit" not in descriptions
        await pilot.press("question_mark")
        help_text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        assert "필터" in help_text and "Pod 삭제" in help_text


async def test_the_tours_terminal_takes_the_stage_when_its_step_focuses_it():
    """Tour step 7 focuses the transcript (focus: events): at 100x30 it gets the stage's
    room, not its 7 rows with the rest of the screen left blank."""
    from tui.tour import TourApp
    from tui.tour_script import load_tour

    app = TourApp(load_tour(), lang="en", animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.seek(7)
        await pilot.pause()
        pane = app.query_one("#events")
        assert pane.has_class("-staged")
        assert pane.outer_size.height >= 12
