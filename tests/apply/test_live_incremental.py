"""The dashboard's reload is incremental and still ends where `kubectl apply -f <folder>` ends.

A save re-parses only the file that changed and applies only the objects whose document
changed, yet an object changed behind the files' back (scaled at the prompt, deleted) is put
back exactly as a real re-apply would.  And a finished save is applied at once when the kernel
says nobody is writing the file any more (`engine.apply.filewrites`), while a file still open for
writing, or one that lost objects, waits for the quiet period.
"""
from __future__ import annotations

import signal
from pathlib import Path

import pytest

from engine.apply import filewrites
from engine.apply.live import LiveWorkspace
from engine.kubectl import commands as kubectl
from tests.apply.test_hardening_editors import aged, services, svc
from tests.cluster.test_hardening_k8s import DEPLOY  # a Deployment "web" of 2 replicas


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "m"
    d.mkdir()
    (d / "a.yaml").write_text(svc("a") + "---\n" + svc("a2"))
    (d / "b.yaml").write_text(svc("b") + "---\n" + DEPLOY)
    for f in d.iterdir():
        aged(f)
    return d


def changed(res) -> list[str]:
    return [line for line in res.lines if not line.endswith(" unchanged")]


def test_a_save_parses_one_file_and_applies_only_the_changed_object(folder):
    ws = LiveWorkspace([folder], deterministic=True)
    ws.reload()
    ws.settle()
    (folder / "a.yaml").write_text(svc("a", 81) + "---\n" + svc("a2"))
    skipped = ws.memo.skipped
    res = ws.reload()
    assert ws.parse_cache.parsed == 1  # b.yaml was not parsed again
    assert ws.parse_cache.decoded == 1  # and in a.yaml only the changed document was decoded
    assert changed(res) == ["service/a configured"]
    # kubectl's own report still lists every object of the folder
    assert sorted(res.lines) == ["deployment.apps/web unchanged", "service/a configured", "service/a2 unchanged",
                                 "service/b unchanged"]
    assert ws.memo.skipped - skipped == 3  # a2 (same text in a changed file), b and web were not re-applied
    assert services(ws)["a"] == 81


def test_objects_changed_behind_the_files_back_are_put_back_like_kubectl_apply(folder):
    ws = LiveWorkspace([folder], deterministic=True)
    ws.reload()
    ws.settle()
    kubectl.run_line(ws.cluster, "kubectl scale deployment/web --replicas=5")
    kubectl.run_line(ws.cluster, "kubectl delete service a2")
    ws.settle()
    assert ws.cluster.store.get("Deployment", "default", "web")["spec"]["replicas"] == 5
    (folder / "a.yaml").touch()
    res = ws.reload()
    assert changed(res) == ["service/a2 created", "deployment.apps/web configured"]
    ws.settle()
    assert ws.cluster.store.get("Deployment", "default", "web")["spec"]["replicas"] == 2
    assert "a2" in services(ws)


def test_a_status_written_by_controllers_does_not_make_an_object_look_changed(folder):
    ws = LiveWorkspace([folder], deterministic=True)
    ws.reload()
    before = ws.cluster.store.get("Deployment", "default", "web")
    ws.settle()  # the deployment controller writes status and a revision annotation meanwhile
    assert ws.cluster.store.get("Deployment", "default", "web") is not before
    res = ws.reload()
    assert changed(res) == []
    assert ws.reload().lines == res.lines


@pytest.fixture
def lease_checks():
    """SIGIO ignored, as the dashboard does at start-up, so the kernel can be asked."""
    old = signal.getsignal(signal.SIGIO)
    assert filewrites.ignore_lease_breaks()  # Linux: the platform svcflow's CI runs on
    yield
    signal.signal(signal.SIGIO, old)


def test_the_kernel_knows_when_a_file_is_open_for_writing(tmp_path, lease_checks):
    f = tmp_path / "x.yaml"
    f.write_text(svc("x"))
    assert filewrites.open_for_writing(f) is False
    with open(f, "a"):
        assert filewrites.open_for_writing(f) is True
    with open(f):
        assert filewrites.open_for_writing(f) is False  # readers do not count
    assert filewrites.open_for_writing(tmp_path / "missing.yaml") is None


def test_without_sigio_ignored_the_kernel_is_not_asked(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text(svc("x"))
    old = signal.signal(signal.SIGIO, signal.SIG_DFL)  # a lease break would end the process
    try:
        assert filewrites.open_for_writing(f) is None
    finally:
        signal.signal(signal.SIGIO, old)


def live(folder: Path) -> LiveWorkspace:
    ws = LiveWorkspace([folder], deterministic=True, settle_seconds=0.3, write_check=filewrites.open_for_writing)
    assert ws.reload().pending == {}
    return ws


def test_a_finished_save_applies_at_once(folder, lease_checks):
    ws = live(folder)
    (folder / "a.yaml").write_text(svc("a", 81) + "---\n" + svc("a2"))  # opened, written, closed
    res = ws.reload()
    assert res.pending == {} and res.retry_after is None
    assert changed(res) == ["service/a configured"]


def test_a_file_still_open_for_writing_waits_until_it_is_left_alone(folder, lease_checks):
    ws = live(folder)
    f = folder / "a.yaml"
    with open(f, "w") as fh:
        fh.write(svc("a", 82) + "---\n" + svc("a2"))
        fh.flush()
        res = ws.reload()  # complete-looking, but the writer may have more to say
        assert "was just written" in res.pending[str(f)] and services(ws)["a"] == 80
    res = ws.reload()
    assert res.pending == {} and services(ws)["a"] == 82


def test_a_save_that_drops_objects_or_does_not_parse_still_waits(folder, lease_checks):
    ws = live(folder)
    f = folder / "a.yaml"
    f.write_text(svc("a", 83))  # a2 gone: maybe a save cut short, maybe a real removal
    res = ws.reload()
    assert res.pruned == [] and "was just written" in res.pending[str(f)]
    assert set(services(ws)) == {"a", "a2", "b"}
    aged(f)
    res = ws.reload()
    assert res.pruned == ["service/a2 pruned"] and services(ws)["a"] == 83
    f.write_text(svc("a", 84) + "  - port: [\n")
    res = ws.reload()
    assert res.report.errors == [] and "was just written" in res.pending[str(f)]
    aged(f)
    assert ws.reload().report.errors  # now it is reported: the file really is broken


# ---- a big folder, applied in slices; the engine within a wall-clock budget --------------------------

def test_a_budgeted_run_stops_early_lags_the_clock_and_ends_where_an_unbudgeted_run_ends(tmp_path):
    from engine.cluster.cluster import Cluster
    from tests.helpers import apply_yaml

    def started(budget: float | None) -> Cluster:
        c = Cluster(deterministic=True)
        apply_yaml(c, "")
        c.api.apply(yaml_obj(DEPLOY.replace("replicas: 2", "replicas: 40")), "d.yaml")
        if budget is not None:
            t0 = c.now()
            calls = 1
            while not c.run_for(0, budget=budget):
                assert c.now() == t0  # work still queued: simulated time waits for it
                calls += 1
            assert calls > 1
        c.run_for(30)
        return c

    def pods(c) -> list:
        return sorted((p["metadata"]["name"], p["status"].get("podIP"), p["status"].get("phase"))
                      for p in c.store.list("Pod", "default"))

    assert pods(started(0.0)) == pods(started(None))
    assert len(pods(started(None))) == 40


def yaml_obj(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


def test_a_big_folder_is_applied_in_slices_then_reported_like_any_reload(tmp_path):
    d = tmp_path / "big"
    d.mkdir()
    (d / "a.yaml").write_text("---\n".join(svc(f"s{i}") for i in range(10)))
    (d / "b.yaml").write_text(svc("s3", 90) + "---\n" + svc("bad").replace("port: 80", "port: 0"))
    ws = LiveWorkspace([d], deterministic=True)
    assert ws.parse_cache.parsed == 0  # nothing shapes the cluster here: nothing read yet
    steps = []
    for n, k, files, report in ws.initial_apply(slice_size=4):
        steps.append((n, k, files, len(services(ws))))
    assert [s[:3] for s in steps] == [(4, 1, 2), (8, 1, 2), (10, 1, 2), (12, 2, 2)]  # file by file, in slices
    assert steps[0][3] == 4 and steps[-1][3] == 10  # objects appear slice by slice
    res = ws.reload()
    assert changed(res) == []  # everything was applied already: nothing applied twice
    assert [e.source for e in res.report.errors] == [f"{d / 'b.yaml'}:17"]  # the port line
    assert "is invalid" in res.report.errors[0].error
    assert [w.message for w in res.notices if "more than once" in w.message]
    assert services(ws)["s3"] == 90
    assert ws.applied[("Service", "default", "s0")] == str(d / "a.yaml")
    (d / "a.yaml").write_text(svc("s0"))
    assert sorted(ws.reload().pruned) == sorted(f"service/s{i} pruned" for i in range(1, 10) if i != 3)


def test_at_start_only_the_files_that_shape_the_cluster_are_parsed(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    (d / "a-services.yaml").write_text(svc("a") + "---\n" + svc("b"))
    (d / "cluster.yaml").write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
                                    "nodes:\n- role: control-plane\n- role: worker\n")
    (d / "z-nodes.json").write_text('{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kind-worker2"}}')
    ws = LiveWorkspace([d], deterministic=True)
    assert ws.parse_cache.parsed == 2  # cluster.yaml and z-nodes.json; not the Services
    from engine.apply.workspace import topology_from_docs
    from engine.manifests.loader import load_paths

    full, _ = topology_from_docs(load_paths([d]).documents)  # what reading everything gives
    assert [n.name for n in ws.cluster.topology.nodes] == [n.name for n in full.nodes] == ["kind-worker2"]
    assert ws.reload().report.errors == [] and set(services(ws)) == {"a", "b"}


# ---- the fast path ends exactly where the full reload ends -------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EDITS = st.lists(st.tuples(st.sampled_from(["port", "add", "remove", "break", "fix", "move", "namespace",
                                            "deploy", "scale-at-prompt", "touch"]),
                           st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=6)


def _file_text(services: dict[str, int], extra: str = "") -> str:
    return "---\n".join(svc(n, p) for n, p in sorted(services.items())) + extra


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(EDITS)
def test_the_fast_reload_reports_and_leaves_exactly_what_the_full_reload_does(tmp_path_factory, edits):
    _compare_fast_and_full(tmp_path_factory, edits)


took_fast: list[bool] = []


def test_the_fast_path_is_taken_for_plain_saves(tmp_path_factory):
    took_fast.clear()
    _compare_fast_and_full(tmp_path_factory, [("port", 1, 0), ("port", 2, 1), ("add", 0, 0), ("remove", 3, 0),
                                              ("touch", 0, 0)])
    assert took_fast == [True] * 5
    took_fast.clear()
    _compare_fast_and_full(tmp_path_factory, [("break", 1, 0), ("fix", 1, 0), ("namespace", 2, 1), ("move", 0, 0)])
    # A broken file, a Namespace, an object in two files: the full reload; the fix of the
    # broken file is a plain save again.
    assert took_fast == [False, True, False, False]


def _compare_fast_and_full(tmp_path_factory, edits):
    root = tmp_path_factory.mktemp("fast")
    folders = {}
    for mode in ("fast", "full"):
        d = root / mode
        d.mkdir()
        folders[mode] = d
    content = {f"f{i}.yaml": {f"s{i}{j}": 80 for j in range(3)} for i in range(4)}
    extra = {name: "" for name in content}

    def write_all():
        for mode, d in folders.items():
            for name, services in content.items():
                (d / name).write_text(_file_text(services, extra[name]))

    write_all()
    spaces = {}
    for mode, d in folders.items():
        spaces[mode] = LiveWorkspace([d], deterministic=True)
        spaces[mode].fast_reloads = mode == "fast"
        spaces[mode].reload()
    for op, fi, n in edits:
        name = f"f{fi}.yaml"
        services = content[name]
        if op == "port" and services:
            k = sorted(services)[n % len(services)]
            services[k] += 1
        elif op == "add":
            services[f"n{fi}{n}"] = 90
        elif op == "remove" and services:
            services.pop(sorted(services)[n % len(services)])
        elif op == "break":
            extra[name] = "---\nkind: Service\n\tbad\n"
        elif op == "fix":
            extra[name] = ""
        elif op == "move":  # declared in another file too: objects declared twice
            content[f"f{(fi + 1) % 4}.yaml"][f"s{fi}{n % 3}"] = 70
        elif op == "namespace":
            extra[name] = f"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{n}}}\n"
        elif op == "deploy":
            extra[name] = "---\n" + DEPLOY.replace("name: web", f"name: web{fi}")
        write_all()
        outs = {}
        for mode, ws in spaces.items():
            if op == "scale-at-prompt":
                kubectl.run_line(ws.cluster, f"kubectl delete service s{fi}{n % 3}")
            res = ws.reload()
            ws.settle()
            outs[mode] = (sorted(res.lines), sorted(res.pruned), [(e.source, e.error) for e in res.report.errors],
                          sorted((w.source, w.message) for w in res.notices),
                          {(s["metadata"]["namespace"], s["metadata"]["name"]): s["spec"]["ports"][0]["port"]
                           for s in ws.cluster.store.list("Service")},
                          {k: v.replace(str(folders[mode]), "") for k, v in ws.applied.items()})
        took_fast.append(spaces["fast"].last_reload_fast)
        assert not spaces["full"].last_reload_fast
        fast, full = outs["fast"], outs["full"]
        norm = lambda o: [str(x).replace(str(folders["fast"]), "").replace(str(folders["full"]), "") for x in o]
        assert norm(fast) == norm(full), (op, fi, n)


def test_a_fixed_save_prunes_what_the_file_dropped_while_it_was_broken(tmp_path_factory):
    """Found by the property above: break f0, drop s00 from it while it is broken (kept:
    a broken file keeps its objects), then fix it: the fast reload prunes s00 as the
    full reload does."""
    _compare_fast_and_full(tmp_path_factory, [("break", 0, 0), ("remove", 0, 0), ("deploy", 0, 0)])


def test_a_broken_file_reapplied_by_the_fast_path_keeps_what_it_held(tmp_path_factory):
    """Found by the property above: f0 declares a Namespace, then breaks (keeping it); an
    object of f0 deleted at the prompt makes the fast path apply f0 again, which must not
    prune the Namespace the broken file still holds."""
    _compare_fast_and_full(tmp_path_factory, [("namespace", 0, 0), ("break", 0, 0), ("scale-at-prompt", 0, 0)])


def test_two_files_saved_together_declaring_the_same_new_object_end_as_kubectl_apply(tmp_path):
    """Found by tests/cluster's sequence property: two files saved at once, each declaring the
    same new Service, are a duplicate -- the full reload warns and the later file wins, as
    `kubectl apply -f` in file order leaves it; the fast path must not apply both and then
    keep the first on the next reload."""
    d = tmp_path / "m"
    d.mkdir()
    for name in ("f0.yaml", "f1.yaml", "f2.yaml"):
        (d / name).write_text(svc(name.removesuffix(".yaml")))
    ws = LiveWorkspace([d], deterministic=True)
    ws.reload()
    (d / "f0.yaml").write_text(svc("f0") + "---\n" + svc("twin", 81))
    (d / "f1.yaml").write_text(svc("f1") + "---\n" + svc("twin", 82))
    for _ in range(2):  # the save, then a reload with nothing changed
        res = ws.reload()
        ws.settle()
        assert not ws.last_reload_fast
        assert services(ws)["twin"] == 82
        assert any("service/twin is declared more than once" in n.message and "f1.yaml:" in n.message
                   for n in res.notices), [n.message for n in res.notices]
