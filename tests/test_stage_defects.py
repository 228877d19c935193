"""The dashboard's rough edges found on stage (issue 14, defects 5, 8, 9, 10, 12-16):
each test asserts what a user would notice."""
from __future__ import annotations

import io

from engine import views
from engine.workspace import cluster_from_paths
from tui.app import SvcflowApp
from tui.cli import main
from tui.tour import TourApp
from tests.test_tour import tutorial_small

SAMPLES = ["samples/"]


def samples_cluster():
    cluster, _ = cluster_from_paths(SAMPLES, deterministic=True)
    return cluster


def log_lines(app) -> list[str]:
    return [str(line.text) for line in app.query_one("#events-log").lines]


# -- 5: nftables mode must not put TAB characters on the screen ---------------------------

def test_the_nftables_pane_has_no_tab_characters_but_the_cli_keeps_nfts_bytes():
    cluster = samples_cluster()
    node = cluster.topology.nodes[1].name
    lines = views.proxy_lines(cluster, node, "nftables")
    assert lines and not any("\t" in line for line in lines)
    assert any(line.startswith("        chain ") for line in lines)  # one TAB = 8 columns, as a terminal shows it
    out = io.StringIO()
    assert main(["proxy-rules", "--deterministic", "--mode", "nftables", "--node", node, "-f", *SAMPLES], out=out) == 0
    assert "\tchain services {" in out.getvalue()  # `nft list ruleset` prints TABs


async def test_pressing_m_twice_shows_nftables_rules_without_tabs():
    app = SvcflowApp(SAMPLES, deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("m", "m")
        await pilot.pause()
        assert app.mode == "nftables"
        view = app.query_one("#proxy-view")
        assert any("chain services" in line for line in view.lines)
        assert not any("\t" in line for line in view.lines)


# -- 8: the tour's transcript is the same live, replayed, rebuilt and on a slide ---------------

async def test_the_tour_transcript_is_the_same_live_and_rebuilt():
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for _ in range(8):
            await pilot.press("space")
            await pilot.pause()
        live = log_lines(app)
        assert "quit" in live and "/app # exit" in live  # telnet shows no prompt; the shell's is back
        assert "/app # quit" not in live and "$ exit" not in live
        await pilot.press("r")
        await pilot.pause()
        assert log_lines(app) == live
        await pilot.press("space", "left")
        await pilot.pause()
        assert log_lines(app) == live
        app.seek(8)
        await pilot.pause()
        assert log_lines(app) == live


# -- 12: the outside host's own loopback refuses at once -------------------------------------

def test_curl_localhost_on_the_outside_host_is_refused_at_once():
    from engine.session import Session

    s = Session(samples_cluster())
    assert s.feed("curl localhost:31000") == \
        "curl: (7) Failed to connect to localhost port 31000 after 0 ms: Could not connect to server\n"
    assert s.feed("curl 127.0.0.1:31000").startswith("curl: (7) Failed to connect to 127.0.0.1 port 31000 after 0 ms")
    assert "refused" in s.feed("trace outside localhost:31000")
    assert s.feed("curl 172.18.0.3:31000") == "1\n"  # a node's NodePort still answers
