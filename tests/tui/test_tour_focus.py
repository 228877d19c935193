"""The tour puts each step's subject on screen: the focused pane's row (step 4's redis
record, step 13's redis Endpoints row, step 15's KUBE-NODEPORTS rules) and, at the size a
talk's big font leaves (100x30), the CoreDNS step shows the redis record with its
ClusterIP and dig's ANSWER line."""
from __future__ import annotations

import re

import pytest

from tui.tour_script import TourError, load_tour
from tests.tui.test_tour import tutorial_small
from tui.tour import TourApp


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def cluster_ip(app, name: str) -> str:
    return app.workspace.cluster.store.get("Service", "default", name)["spec"]["clusterIP"]


@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_step_4_focuses_the_redis_record(size):
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=size) as pilot:
        app.seek(4)
        await pilot.pause()
        dns = app.query_one("#dns-table")
        assert app.focused is dns
        name, rtype, value = dns._rows[dns.selected_key].cells
        assert (name, rtype, value) == ("redis.default.svc.cluster.local.", "A", cluster_ip(app, "redis"))


async def test_step_13_focuses_the_redis_endpoints_row():
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.seek(13)
        await pilot.pause()
        eps = app.query_one("#endpoints-table")
        assert app.focused is eps and eps.selected_key == "default/redis"
        assert len(eps._rows["default/redis"].cells[1].split(",")) == 3  # the three replicas
        assert re.search(r"redis\s+10\.244\.", screen_text(app))


async def test_step_15_scrolls_to_the_kube_nodeports_rules():
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.seek(15)
        await pilot.pause()
        await pilot.pause()
        assert app.focused is app.query_one("#proxy-view")
        assert "-A KUBE-NODEPORTS" in screen_text(app)


async def test_the_coredns_step_at_100x30_shows_the_redis_record_its_clusterip_and_digs_answer():
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.seek(4)
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        ip = cluster_ip(app, "redis")
        assert ";; ANSWER SECTION:" in text
        assert re.search(r"redis\.default\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+" + re.escape(ip), text), text
        assert re.search(r"redis\.default\.svc\.cluster\.local\.?\s.*" + re.escape(ip), text.replace("│", " "))


def test_row_and_terminal_are_checked_when_the_tour_loads(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("title: t\nsteps:\n  - caption: c\n    row: redis\n")
    with pytest.raises(TourError, match="step 1: row: needs a focus of pods, services, endpoints, proxy or dns"):
        load_tour(f)
    f.write_text("title: t\nsteps:\n  - caption: c\n    focus: dns\n    terminal: [x]\n")
    with pytest.raises(TourError, match="step 1: terminal: must be a non-empty string"):
        load_tour(f)
    steps = load_tour().steps
    assert (steps[3].row, steps[12].row, steps[14].row) == ("redis.default.svc.cluster.local.", "redis",
                                                            "-A KUBE-NODEPORTS")
