"""Issue 14's dashboard defects, each as a new user meets it, driven by keys where the
user would press them (1, 2, 3, 4, 6, 7, 11, 17 of the issue's list)."""
from __future__ import annotations

import shutil

from engine.kubectl import commands as kubectl
from tests.helpers import SAMPLES, apply_yaml, terminal_text
from tui.app import SvcflowApp
from tui.widgets.resource_table import ResourceTable

SIZE = (160, 48)


def make_app(**kwargs) -> SvcflowApp:
    return SvcflowApp(["demo"], deterministic=True, watch=False, **kwargs)


def shown(t: ResourceTable) -> list[str]:
    return [k for k in t._keys if k not in t._gone]


def status(app: SvcflowApp) -> str:
    return str(app.query_one("#status-line").render())


async def test_1_slash_filters_and_enter_does_not_run_the_word_as_a_command(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"redis", "enter")
        await pilot.pause()
        assert shown(app.query_one("#services-table", ResourceTable)) == ["default/redis"]
        assert "command not found" not in status(app) + terminal_text(app)
        await pilot.press("slash", "enter")  # an empty filter clears it
        await pilot.pause()
        assert len(shown(app.query_one("#services-table", ResourceTable))) == 3


async def test_2_tab_completes_in_the_prompt_and_the_next_letter_is_typed_not_a_hotkey(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#pods-table").focus()
        await pilot.press("colon", *"kubectl get deploy", "tab")
        prompt = app.query_one("#prompt")
        assert app.focused is prompt and prompt.value == "kubectl get deployments "
        await pilot.press("s")  # a hotkey (scale) outside the prompt
        assert prompt.value == "kubectl get deployments s"
        prompt.value = "kubectl scale deploy/re"
        prompt.cursor_position = len(prompt.value)
        await pilot.press("tab")
        assert prompt.value == "kubectl scale deploy/redis "  # names in the namespace complete too
        await pilot.press("escape")
        assert kubectl.get(app.workspace.cluster, ["deploy/redis"], namespace="default").stdout.count(" 1/1 ") == 1


async def test_tab_completes_the_verbs_flags_and_a_dry_run_then_runs_it(demo):
    """After `kubectl VERB -`, Tab offers the flags svcflow's VERB honours; a flag that takes a
    value stops at `=`; the completed dry run answers and changes nothing."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"kubectl delete svc redis --dr", "tab")
        prompt = app.query_one("#prompt")
        assert prompt.value == "kubectl delete svc redis --dry-run="  # (server, client, none: their common part)
        await pilot.press(*"se", "tab")
        assert prompt.value == "kubectl delete svc redis --dry-run=server "
        await pilot.press("enter")
        await pilot.pause()
        assert 'service "redis" deleted (server dry run)' in terminal_text(app)
        assert app.workspace.cluster.store.get("Service", "default", "redis") is not None
        await pilot.press("colon", *"kubectl logs deploy/redis --ta", "tab")
        assert prompt.value == "kubectl logs deploy/redis --tail="  # (waits for the number)
        await pilot.press(*"1", "enter")
        await pilot.pause()
        assert terminal_text(app).rstrip().endswith("Ready to accept connections tcp")


async def test_2_prompt_history_is_kept_across_runs(demo, tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"kubectl get svc", "enter")
        await pilot.press("colon", *"kubectl get ep", "enter")
        await pilot.pause()
    assert (tmp_path / "history").read_text().splitlines()[-2:] == ["kubectl get svc", "kubectl get ep"]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", "up")
        prompt = app.query_one("#prompt")
        assert prompt.value == "kubectl get ep"
        await pilot.press("up")
        assert prompt.value == "kubectl get svc"
        await pilot.press("down", "down")
        assert prompt.value == ""


async def test_3_a_command_typed_over_a_describe_pop_up_runs(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", ResourceTable)
        pods.focus()
        victim = pods.selected_key.split("/")[1]
        await pilot.press("d")
        assert app.screen.__class__.__name__ == "TextScreen"
        await pilot.press("colon", *f"kubectl delete pod {victim}", "enter")
        await pilot.pause()
        assert victim not in {p["metadata"]["name"] for p in app.workspace.cluster.store.list("Pod", "default")}
        assert f'pod "{victim}" deleted' in terminal_text(app)


async def test_4_the_coredns_query_log_shows_a_lookup_at_once(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        log = app.query_one("#dns-log")
        before = len(log.lines)
        app.run_command("kubectl exec deploy/counter -- nslookup redis")
        await pilot.pause()
        assert len(log.lines) > before
        assert "redis" in "\n".join(str(line.text) for line in log.lines[before:])


async def test_6_pod_age_follows_the_clock(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pods = app.query_one("#pods-table", ResourceTable)
        key = shown(pods)[0]
        app.workspace.advance(45)
        app.refresh_panes(throttle=True)  # what the clock's tick does
        await pilot.pause()
        age = pods._rows[key].cells[-1]
        name = key.split("/")[1]
        line = next(l for l in kubectl.get(app.workspace.cluster, ["pods"], namespace="default").stdout.splitlines()
                    if l.startswith(name))
        assert line.split()[-1] == age


async def test_7_the_help_screen_shows_keys_literally(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        assert "[/b]" not in text and "[b]" not in text
        assert any(line.lstrip().startswith("[") and "Step" in line for line in text.splitlines())


async def test_11_command_output_goes_whole_to_the_terminal_pane_without_a_pop_up(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *"kubectl get svc", "enter")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]  # no pop-up
        out = terminal_text(app)
        assert "$ kubectl get svc" in out and "counter-np" in out and "kubernetes" in out and "redis" in out
        for line in ("kubectl exec -it deploy/counter -- sh", "apk add curl busybox-extras", "telnet redis 6379",
                     "SET count 7", "GET count"):
            app.run_command(line)
        await pilot.pause()
        out = terminal_text(app)
        assert "GET count\n$1\n7" in out  # the whole answer, in order, after its command


async def test_17_next_mode_keeps_the_node(demo):
    """The node changed under `m` because the flow, playing kube-proxy's step 3 for each
    node in turn, moved the pane to that node: only `n` moves it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#pods-table").focus()
        await pilot.press("n")
        pane = app.query_one("#proxy")
        assert "kind-worker · iptables" in str(pane.border_title)
        await pilot.press("m")
        for i, ev in enumerate(app.player.played):  # the flow plays on, step 3 on every node
            if ev.step == 3:
                app.player.seek(i)
        await pilot.pause()
        assert "kind-worker · ipvs" in str(pane.border_title)
        await pilot.press("m")
        await pilot.pause()
        assert "kind-worker · nftables" in str(pane.border_title)
        await pilot.press("n")
        assert "kind-worker2 · nftables" in str(pane.border_title)


async def test_edit_runs_the_editor_without_a_shell(tmp_path, monkeypatch):
    """`e` opens the object's manifest in $EDITOR as an argument vector: a file name with
    shell syntax in it is passed as one argument and never run (it used to go through
    os.system)."""
    import subprocess

    from tui.app import SvcflowApp

    d = tmp_path / "demo"
    shutil.copytree(SAMPLES, d)
    evil = d / "$(touch pwned).yaml"
    (d / "counter-redis-svc.yml").rename(evil)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDITOR", "myeditor --wait")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda argv, check=False: calls.append(argv))
    app = SvcflowApp(["demo"], deterministic=True, watch=False)
    from contextlib import contextmanager

    monkeypatch.setattr(app, "suspend", contextmanager(lambda: (yield)))  # the test has no terminal to hand over
    async with app.run_test(size=(160, 48)) as pilot:
        app.query_one("#services-table").focus()
        table = app.query_one("#services-table")
        table.move_cursor(row=table.get_row_index("default/redis"))
        await pilot.pause()
        app.action_edit()
        await pilot.pause()
    assert calls == [["myeditor", "--wait", "demo/$(touch pwned).yaml"]]
    assert not (tmp_path / "pwned").exists()


async def test_tab_completes_statefulsets_and_their_names(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        apply_yaml(app.workspace.cluster, """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx}]}
""")
        await pilot.press("colon", *"kubectl get statef", "tab")
        prompt = app.query_one("#prompt")
        assert prompt.value == "kubectl get statefulsets "
        prompt.value = "kubectl describe sts/w"
        prompt.cursor_position = len(prompt.value)
        await pilot.press("tab")
        assert prompt.value == "kubectl describe sts/web "
