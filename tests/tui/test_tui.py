"""The dashboard, driven headlessly: snapshots in deterministic mode and pilot tests.

Snapshots seek to an explicit flow step instead of racing timers, run with animations
off and a fixed terminal size, so they are byte-stable.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.views import panes as views
from tui.app import SvcflowApp
from tui.panes import PodsPane
from tui.widgets.flow import FlowStrip
from tui.widgets.resource_table import ResourceTable
from tui.widgets.text_view import TextView

SIZE = (160, 48)


def make_app(path: Path | str = "demo") -> SvcflowApp:
    return SvcflowApp([str(path)], deterministic=True, watch=False)


def _last_step(app: SvcflowApp, step: int, name: str = "redis") -> int:
    """The redis Service's last event of that step (pods ready by then)."""
    return max(i for i, e in enumerate(app.player.played) if e.step == step and e.name == name)


# -- snapshots --------------------------------------------------------------------------

def test_snapshot_tutorial_at_start(demo, snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE)


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_snapshot_flow_steps(demo, snap_compare, step):
    async def seek(pilot):
        app = pilot.app
        app.player.seek(_last_step(app, step))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=seek)


def test_snapshot_service_selected_highlights_its_objects(demo, snap_compare):
    async def select(pilot):
        table = pilot.app.query_one("#services-table", ResourceTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("default/redis"))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=select)


def test_snapshot_error_bar_after_a_bad_save(demo, snap_compare):
    async def break_file(pilot):
        (demo / "counter-nodeport.yml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: counter-np\n"
                                                   "   oops: here\n")
        pilot.app.reload_manifests()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=break_file)


def test_snapshot_service_that_selects_nothing(demo, snap_compare):
    (demo / "lonely.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: lonely}\n"
                                      "spec: {selector: {app: counter, tier: web}, ports: [{port: 80}]}\n")

    async def select(pilot):
        table = pilot.app.query_one("#services-table", ResourceTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("default/lonely"))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=select)


def test_snapshot_small_terminal(demo, snap_compare):
    assert snap_compare(make_app(), terminal_size=(100, 30))


# -- pilot tests ----------------------------------------------------------------------------

async def test_hot_reload_applies_edits_and_prunes(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        services = app.query_one("#services-table", ResourceTable)
        assert "default/counter-np" in services._rows
        f = demo / "counter-nodeport.yml"
        f.write_text(f.read_text().replace("31000", "31005"))
        app.reload_manifests()
        await pilot.pause()
        assert services._rows["default/counter-np"].cells[views.SERVICE_COLUMNS.index("PORT(S)")] == "3000:31005/TCP"
        f.unlink()
        app.reload_manifests()
        await pilot.pause()
        assert "default/counter-np" not in {r.key for r in app.workspace.cluster.store.list("Service", "default")
                                            for r in [type("R", (), {"key": f"default/{r['metadata']['name']}"})]}
        log = "\n".join(str(line.text) for line in app.query_one("#events-log").lines)
        assert "service/counter-np configured" in log and "service/counter-np pruned" in log


async def test_bad_file_keeps_last_good_state_and_shows_file_line(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        (demo / "counter-redis-svc.yml").write_text("kind: Service\napiVersion: v1\nmetadata:\n  name: x\n\tbad\n")
        app.reload_manifests()
        await pilot.pause()
        errors = str(app.query_one("#errors").render())
        assert "demo/counter-redis-svc.yml:5: " in errors and "yaml: found a tab character that violates indentation" in errors
        assert "line 5" not in errors  # the file's line, said once (go-yaml's own count is the CLI's)
        assert "default/redis" in app.query_one("#services-table", ResourceTable)._rows


async def test_watcher_picks_up_a_save(demo):
    app = SvcflowApp([str(demo)], deterministic=False, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        (demo / "extra.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: extra}\n"
                                         "spec: {selector: {app: counter}, ports: [{port: 8080}]}\n")
        for _ in range(40):
            await pilot.pause(0.1)
            if "default/extra" in app.query_one("#services-table", ResourceTable)._rows:
                break
        assert "default/extra" in app.query_one("#services-table", ResourceTable)._rows


async def test_prompt_runs_kubectl_and_session_commands(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await pilot.press(*"kubectl scale deploy/redis --replicas=3")
        await pilot.press("enter")
        await pilot.pause()
        pods = app.query_one("#pods-table", ResourceTable)
        assert sum(1 for k in pods._rows if k.startswith("default/redis-")) == 3
        assert "deployment.apps/redis scaled" in str(app.query_one("#status-line").render())
        app.run_command("kubectl exec deploy/counter -- wget -qO- localhost:3000")
        await pilot.pause()
        assert str(app.query_one("#status-line").render()).strip() == "1"
        assert app.query_one(FlowStrip).caption.startswith("⇢ traffic")


async def test_keys_switch_node_mode_and_toggle_header(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one("#proxy")
        assert "kind-control-plane · iptables" in str(pane.border_title)
        await pilot.press("n")
        assert "kind-worker · iptables" in str(pane.border_title)
        await pilot.press("ctrl+e")
        assert app.query_one("#cluster-header").has_class("-collapsed")
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        app.query_one("#pods-table").focus()
        await pilot.press("d")
        assert app.screen.__class__.__name__ == "TextScreen"
        assert app.screen.query_one(TextView).lines[0].startswith("Name:")


async def test_selecting_a_pod_highlights_its_service_and_sep_chain(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", ResourceTable)
        pods.focus()
        redis = next(k for k in pods._rows if k.startswith("default/redis-"))
        pods.move_cursor(row=pods.get_row_index(redis))
        await pilot.pause()
        assert app.query_one("#services-table", ResourceTable).highlight == {"default/redis"}
        marks = app.query_one("#proxy-view", TextView).marks
        assert any(m.startswith("KUBE-SEP-") for m in marks)


async def test_pod_actions_delete_and_unready(demo):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", ResourceTable)
        pods.focus()
        redis = next(k for k in pods._rows if k.startswith("default/redis-"))
        pods.move_cursor(row=pods.get_row_index(redis))
        await pilot.press("u")
        await pilot.pause()
        ep = app.query_one("#endpoints-table", ResourceTable)._rows["default/redis"]
        assert ep.cells[1] == "" and ep.cells[2]  # the pod moved to not-ready addresses
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert redis not in {f"default/{p['metadata']['name']}" for p in app.workspace.cluster.store.list("Pod", "default")}


async def test_a_big_folder_fills_the_panes_slice_by_slice_then_watches(demo, monkeypatch):
    """Above BIG_FOLDER_BYTES of manifests the screen is up before everything is applied; the
    status line counts the documents, the events pane logs each `created`, and the watcher runs
    once the folder is in."""
    import tui.driver

    monkeypatch.setattr(tui.driver, "BIG_FOLDER_BYTES", 4000)
    (demo / "many.yaml").write_text("---\n".join(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: many-{i}}}\nspec: {{selector: {{app: many}}, ports: [{{port: 80}}]}}\n"
        for i in range(200)))
    app = SvcflowApp([str(demo)], deterministic=False, watch=True)
    assert app.workspace.manifest_bytes > 4000
    async with app.run_test(size=SIZE) as pilot:
        services = app.query_one("#services-table", ResourceTable)
        seen_partial = False
        for _ in range(200):
            if app.booting and 0 < len(services._rows) < 200:
                seen_partial = True
                assert "applying the manifests:" in str(app.query_one("#status-line").render())
            if not app.booting:
                break
            await pilot.pause(0.01)
        assert not app.booting and seen_partial
        await pilot.pause(0.3)
        assert {f"default/many-{i}" for i in range(200)} <= set(services._rows)
        log = "\n".join(str(line.text) for line in app.query_one("#events-log").lines)
        assert "$ kubectl apply: service/many-199 created" in log and "service/redis created" in log
        assert app.workspace.applied[("Service", "default", "many-0")] == str(demo / "many.yaml")
        (demo / "many.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: many-0}\n"
                                        "spec: {selector: {app: many}, ports: [{port: 81}]}\n")
        for _ in range(50):
            await pilot.pause(0.1)
            if "default/many-1" not in services._rows:
                break
        assert "default/many-1" not in services._rows  # the watcher runs: a save pruned the rest
        assert services._rows["default/many-0"].cells[views.SERVICE_COLUMNS.index("PORT(S)")] == "81/TCP"


async def test_the_filter_narrows_every_pane_and_clearing_it_restores_them(demo):
    app = make_app()

    def shown(t: ResourceTable) -> list[str]:  # rows filtered out flash "removed" a moment first
        return [k for k in t._keys if k not in t._gone]

    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", ResourceTable)
        services = app.query_one("#services-table", ResourceTable)
        before_pods, before_svcs = shown(pods), shown(services)
        app.run_command("/redis")
        await pilot.pause()
        assert [k.split("/")[1].split("-")[0] for k in shown(pods)] == ["redis"]
        assert shown(services) == ["default/redis"]
        app.run_command("/^counter-np$")  # anchors hold at a cell's edges
        await pilot.pause()
        assert shown(services) == ["default/counter-np"] and shown(pods) == []
        app.run_command("/")
        await pilot.pause()
        assert shown(pods) == before_pods and shown(services) == before_svcs


async def test_a_hundred_node_cluster_is_counted_in_the_header_not_listed(demo):
    nodes = "".join("- role: worker\n" for _ in range(99))
    (demo / "cluster.yaml").write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
                                       f"nodes:\n- role: control-plane\n{nodes}")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = str(app.query_one("#cluster-header").render())
        assert "kind-control-plane 172.18.0.2" in header and "kind-worker2 " in header
        assert "kind-worker3 " not in header and "and 97 more (100 nodes" in header
        assert header.count("\n") <= 3  # the panes keep the screen


async def test_a_filter_on_a_slow_pane_filters_the_rows_it_has_and_the_rebuild_follows(demo):
    """At 100,000 pods still starting, a new filter must not wait for the pane's rebuild
    (600 ms): it filters the rows the pane has; a later refresh brings the new pods."""
    import re as re_

    from engine.kubectl import commands as kubectl_

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pods = app.query_one("#pods-table", ResourceTable)
        await pilot.pause()
        app.query_one(PodsPane).cost = (1.0, 0.0)  # the pods pane took a second to build last time
        kubectl_.scale(app.workspace.cluster, ["deployment/redis"], replicas=3)
        app.workspace.settle()
        app.filter_re = re_.compile("redis")
        app.refresh_panes(refilter=True, redraw=True)
        await pilot.pause()
        assert len([k for k in pods._keys if k not in pods._gone]) == 1  # filtered at once, from the rows it had
        app.refresh_panes()  # the deferred rebuild
        await pilot.pause()
        assert len([k for k in pods._keys if k not in pods._gone]) == 3


async def test_a_command_the_engine_trips_over_is_reported_and_the_dashboard_stays(demo, monkeypatch):
    from engine.kubectl.session import Session

    def boom(self, line):
        raise KeyError("spec")

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(Session, "feed", boom)
        app.run_command("kubectl get pods")
        await pilot.pause()
        assert app.is_running
        log = "\n".join(str(line.text) for line in app.query_one("#terminal-log").lines)
        assert "svcflow: 'kubectl get pods' failed: KeyError: 'spec'" in log


async def test_a_pane_redraws_when_what_it_shows_changed_and_only_then(demo):
    """Panes own the version they last showed: the same ClusterChanged twice redraws once;
    a new viewpoint (the `/` filter, the node) is a change like the store's, no forcing."""
    import re as re_

    from tui.messages import ClusterChanged
    from tui.panes import ProxyPane

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pods, proxy = app.query_one(PodsPane), app.query_one(ProxyPane)
        assert pods.catch_up(ClusterChanged(app.viewpoint())) is None  # shown already
        assert proxy.catch_up(ClusterChanged(app.viewpoint())) is None
        app.filter_re = re_.compile("redis")
        assert pods.catch_up(ClusterChanged(app.viewpoint())) is not None
        shown = [k for k in pods.table._keys if k not in pods.table._gone]
        assert len(shown) == 1 and shown[0].startswith("default/redis")
        assert pods.catch_up(ClusterChanged(app.viewpoint())) is None
        app.node_index += 1
        assert proxy.catch_up(ClusterChanged(app.viewpoint())) is not None
        assert "kind-worker ·" in str(proxy.border_title)


def test_the_tui_uses_no_private_textual_module():
    """`textual._*` modules change without notice between releases: the TUI uses public API."""
    import tui

    root = Path(tui.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "textual._" in p.read_text(encoding="utf-8")]
    assert offenders == []


async def test_the_prompt_jumps_to_the_terminal_pane_by_name(demo):
    """`:terminal` (or `:term`) focuses the terminal pane, as `:events` does its pane (a speaker
    zooms into a long describe with `z` from there); it is no command a pod's shell runs."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for word in ("terminal", "term"):
            app.query_one("#pods-table").focus()
            app.run_command(word)
            await pilot.pause()
            assert app.focused is app.query_one("#terminal-log")
        log = "\n".join(str(line.text) for line in app.query_one("#terminal-log").lines)
        assert "command not found" not in log
