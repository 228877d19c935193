"""The dashboard's rough edges found on stage (issue 14, defects 5, 8, 9, 10, 12-16):
each test asserts what a user would notice."""
from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from engine.apply.workspace import cluster_from_paths
from engine.views import panes as views
from tests.tui.test_tour import tutorial_small
from tui.app import SvcflowApp
from tui.cli import main
from tui.tour import TourApp

ROOT = Path(__file__).resolve().parents[2]
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
    from engine.kubectl.session import Session

    s = Session(samples_cluster())
    assert s.feed("curl localhost:31000") == \
        "curl: (7) Failed to connect to localhost port 31000 after 0 ms: Could not connect to server\n"
    assert s.feed("curl 127.0.0.1:31000").startswith("curl: (7) Failed to connect to 127.0.0.1 port 31000 after 0 ms")
    assert "refused" in s.feed("trace outside localhost:31000")
    assert s.feed("curl 172.18.0.3:31000") == "1\n"  # a node's NodePort still answers


# -- 14: the command line says what it is and never traps a script in the full-screen app -----

def _svcflow(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def test_help_names_the_dashboard_and_present_and_there_is_a_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "dashboard" in text and "--present" in text and "svcflow [PATH...]" in text
    with pytest.raises(SystemExit):
        main(["--version"])
    assert re.fullmatch(r"svcflow \d+\.\d+\.\d+\n", capsys.readouterr().out)


@pytest.mark.parametrize("argv", [["--lang", "ko", "samples"], ["--lang", "ko"], ["--present", "--lang", "en", "."]])
def test_a_dashboard_flags_value_is_not_taken_for_a_command(monkeypatch, argv):
    """`svcflow --lang ko samples/` (a tester: `Error: unknown command "ko"`): the value of a
    flag before the paths is the flag's."""
    import tui.cli as cli

    seen: list[list[str]] = []
    monkeypatch.setattr(cli, "_dashboard", lambda args, err=None, attach=False: seen.append(args) or 0)
    assert cli.main(argv) == 0 and seen == [argv]


def test_an_unknown_verb_is_an_error_not_the_app():
    res = _svcflow("wait", "svc")
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.startswith('Error: unknown command "wait" for "svcflow"\n')
    assert "Did you mean this?\n\tget\n" in _svcflow("gte", "po").stderr


def test_the_app_never_starts_without_a_terminal():
    for args in ([], ["samples/"], ["--seed", "3", "samples/", "--present"], ["tour"]):
        res = _svcflow(*args)
        assert res.returncode == 1 and res.stdout == "", args
        assert "needs a terminal" in res.stderr and "stdin and stdout are not one" in res.stderr


def test_screenshot_says_the_file_it_wrote(tmp_path):
    out = io.StringIO()
    target = tmp_path / "dashboard.svg"
    assert main(["screenshot", "-f", "samples/", "--size", "100x30", "-o", str(target)], out=out) == 0
    assert out.getvalue() == f"wrote {target} (100x30)\n" and target.read_text().startswith("<svg")


# -- 10: stopping `svcflow web` ends the apps it spawned -----------------------------------------

def _apps_of(marker: str) -> list[str]:
    ps = subprocess.run(["ps", "-ww", "-e", "-o", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if marker in line and " web " not in line]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _open_a_tab(port: int) -> tuple:
    """A browser tab's WebSocket, once the dashboard has drawn its panes over it."""
    http = aiohttp.ClientSession()
    for _ in range(150):
        try:
            ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30")
            break
        except aiohttp.ClientError:
            await asyncio.sleep(0.2)
    seen, end = "", time.time() + 60
    while time.time() < end and "Pods" not in seen:
        msg = await ws.receive(timeout=60)
        if msg.type == aiohttp.WSMsgType.BINARY:
            seen += msg.data.decode("utf-8", "replace")
    assert "Pods" in seen
    return http, ws


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
async def test_stopping_the_web_server_ends_its_apps(tmp_path, sig):
    folder = tmp_path / f"web-{sig.name}"
    shutil.copytree(ROOT / "samples", folder)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tui.cli", "web", str(folder), "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        http, ws = await _open_a_tab(port)
        assert len(_apps_of(str(folder))) >= 1  # the tab's app is running
        server.send_signal(sig)
        end = time.time() + 15
        while time.time() < end and (server.poll() is None or _apps_of(str(folder))):
            await asyncio.sleep(0.1)
        assert server.poll() is not None, "the server is still running"
        assert _apps_of(str(folder)) == [], "the server left its app running"
        await ws.close()
        await http.close()
    finally:
        if server.poll() is None:
            server.kill()
        for line in _apps_of(str(folder)):  # (only this test's own apps: their folder is unique)
            os.kill(int(line.split()[0]), signal.SIGKILL)


def screen_text(app) -> str:
    """What the terminal shows, one line per row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# -- 15: the Services pane shows whole selectors at 160 columns -----------------------------------

async def test_the_services_selector_column_is_whole_at_160_columns():
    app = SvcflowApp(SAMPLES, deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "app=counter,tier=db" in text and "app=counter,tier=app" in text
        assert "SELECTOR" in text and "PORT(S)" in text and "CLUSTER-IP" in text


# -- 16: tour step 5 says what busybox's nslookup does ---------------------------------------------

async def test_tour_step_5_caption_and_screen_agree_on_busybox_nslookup():
    """busybox (1.30+, networking/nslookup.c add_query_with_search) appends the resolv.conf
    search domains only to names without a dot; the C library's resolver (nc, curl, the
    apps) tries them for any name with fewer than ndots:5 dots."""
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=(160, 48)) as pilot:
        app.seek(5)
        await pilot.pause()
        caption = str(app.query_one("#tour-caption").render())
        log = "\n".join(log_lines(app))
        assert "searches only names without a dot" in caption and "redis.default works" in caption
        assert "** server can't find redis.other.svc.cluster.local: NXDOMAIN" in log  # `redis`: the other namespace's
        assert re.search(r"redis\.default \(10\.96\.\d+\.\d+:6379\) open", log)  # nc: the search list completes it
        assert re.search(r"Name:\s+redis\.default\.svc\.cluster\.local\nAddress: 10\.96\.", log)  # the full name
        # and busybox's nslookup of the dotted short name asks for it as written:
        out = app.session.feed("kubectl exec -n other box -- nslookup redis.default")
        assert "** server can't find redis.default: NXDOMAIN" in out and "svc.cluster.local" not in out


# -- 13: the error bar names one line, the true one -------------------------------------------------

async def test_the_error_bar_names_one_line_the_true_one(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(ROOT / "samples", folder)
    f = folder / "counter-nodeport.yml"
    lines = f.read_text().splitlines()
    assert lines[8] == "      protocol: TCP"
    lines[8] = "    protocol: TCP"  # line 9 leaves the `- port:` item: the problem is on line 9
    f.write_text("\n".join(lines) + "\n")
    app = SvcflowApp([str(folder)], deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        bar = str(app.query_one("#errors").render())
        assert "counter-nodeport.yml:9: " in bar and "did not find expected '-' indicator" in bar
        assert re.findall(r"\bline \d+|\.yml:\d+", bar) == [".yml:9"]  # one number
    # the headless CLI still prints kubectl's words, go-yaml's count included
    err = io.StringIO()
    assert main(["apply", "--deterministic", "-f", str(f)], out=io.StringIO(), err=err) == 1
    assert err.getvalue() == (f"error: error parsing {f}: error converting YAML to JSON: yaml: line 8: "
                              "did not find expected '-' indicator\n")


# -- 9: the Services border's explanation follows the pods, focused or not -------------------------

async def test_the_services_explanation_follows_readiness_while_the_app_is_blurred():
    """`svcflow web`'s driver starts the app blurred (AppBlur: nothing focused), and the
    explanation computed while the pods were starting stayed ('1 is not ready' beside a
    1/1 Running pod)."""
    from textual import events

    from engine.kubectl import commands as kubectl

    app = SvcflowApp(SAMPLES, deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        app.query_one("#services-table").focus()
        await pilot.pause()
        services = app.query_one("#services-table")
        services.move_cursor(row=services.get_row_index("default/counter-np"))
        await pilot.pause()
        assert str(app.query_one("#services").border_subtitle) == ""
        app.post_message(events.AppBlur())  # what the web driver does first
        await pilot.pause()
        assert app.focused is None
        pod = next(p for p in app.workspace.cluster.store.list("Pod", "default") if "counter" in p["metadata"]["name"])
        app.commands.output(kubectl.toggle_readiness(app.workspace.cluster, "default", pod["metadata"]["name"]))
        await pilot.pause()
        assert "1 pod match, 1 is not ready" in str(app.query_one("#services").border_subtitle)
        app.commands.output(kubectl.toggle_readiness(app.workspace.cluster, "default", pod["metadata"]["name"]))
        await pilot.pause()
        assert "1/1" in screen_text(app)
        assert str(app.query_one("#services").border_subtitle) == ""  # not a stale '1 is not ready'


def test_help_lists_the_dashboards_own_flags_and_commands_name_themselves(capsys):
    """tester5 #22: --lang, --no-serve and --port are the dashboard's; `serve --help` says `svcflow serve`."""
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert all(f in text for f in ("--lang en|ko", "--no-serve", "--port N"))
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert capsys.readouterr().out.startswith("usage: svcflow serve ")
