"""Attached, Events are read when a command prints them, as kubectl reads them (the tester's
finding: `get ev` said "No resources found" and `describe` said `Events: <none>` where the
cluster has events): `describe` equals the real kubectl's output byte for byte, `get events`
lists the same events, a refused events list is kubectl's Forbidden line, and the
dashboard's `:kubectl describe` shows the events too. Nothing is written (the proxy checks)."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess

from tests.attach_fixtures import RecordingProxy, attached_dashboard, eventually
from tests.helpers import run_cli
from tests.served import require_kubectl

_AGE = re.compile(r"^(\S+\s+)?\d+[smhd]\S*\s+")


def _kubectl(kc: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([require_kubectl(), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KUBECONFIG": kc})


def _pod(kc: str, prefix: str) -> str:
    names = _kubectl(kc, "get", "pods", "-o", "name").stdout.split()
    return next(n.split("/", 1)[1] for n in names if n.startswith(f"pod/{prefix}-"))


def test_describe_shows_the_objects_events_as_kubectl_does(served):
    kc = str(served.folder / "served-kubeconfig")
    redis = _pod(kc, "redis")
    for args in (("describe", "pod", redis), ("describe", "pods"), ("describe", "deploy", "redis"),
                 ("describe", "rs"), ("describe", f"pod/{redis}", "-n", "default")):
        for _ in range(3):  # (the two may straddle a second: the events' ages move)
            ours = run_cli(*args, "--kubeconfig", kc)
            real = _kubectl(kc, *args)
            if ours.stdout == real.stdout:
                break
        assert (ours.code, ours.stderr) == (0, ""), (args, ours.stderr)
        assert ours.stdout == real.stdout, args
    pod = run_cli("describe", "pod", redis, "--kubeconfig", kc).stdout
    events = pod.split("\nEvents:\n", 1)[1].splitlines()
    assert [ln.split()[:2] for ln in events[2:]] == [["Normal", r] for r in
                                                    ("Scheduled", "Pulling", "Pulled", "Created", "Started")]


def test_get_events_lists_the_namespaces_events(served):
    kc = str(served.folder / "served-kubeconfig")
    for args in (("get", "events"), ("get", "ev", "-A"), ("get", "ev", "-n", "kube-system")):
        ours = run_cli(*args, "--kubeconfig", kc)
        real = _kubectl(kc, *args)
        assert ours.code == real.returncode == 0, ours.stderr
        # (kubectl's LAST SEEN is the server's: the served cluster's fixed clock; attached,
        # svcflow counts from the wall clock, as a real server's is)
        strip = lambda text: [_AGE.sub(r"\1", ln) for ln in text.splitlines()]  # noqa: E731
        assert strip(ours.stdout) == strip(real.stdout), args
        assert len(ours.stdout.splitlines()) > 10  # (the served cluster's pods were scheduled, pulled, started)


def _through_proxy(served, tmp_path, forbid: set[str], *argvs: list[str]):
    """Each headless command through a recording RBAC proxy: their results, and the requests."""
    async def main():
        proxy = RecordingProxy(served.url)
        proxy.forbid |= forbid
        await proxy.start()
        kc = str(proxy.kubeconfig(tmp_path))
        try:
            return [await asyncio.to_thread(run_cli, *argv, "--kubeconfig", kc) for argv in argvs], proxy.requests
        finally:
            await proxy.stop()
    return asyncio.run(main())


def test_describe_asks_for_its_objects_events_only(served, tmp_path):
    redis = _pod(str(served.folder / "served-kubeconfig"), "redis")
    (r,), requests = _through_proxy(served, tmp_path, set(), ["describe", "pod", redis])
    assert r.code == 0 and "Started container redis" in r.stdout
    asked = [p for _, p in requests if "/events" in p]
    # kubectl's way: the pod's own events, by a field selector, not every event of the cluster
    assert asked == [f"/api/v1/namespaces/default/events?limit=500&fieldSelector=involvedObject.name%3D{redis}"], asked
    assert {m for m, _ in requests} == {"GET"}


def test_a_refused_events_list_is_kubectls_forbidden_line(served, tmp_path):
    (g, d), _ = _through_proxy(served, tmp_path, {"/api/v1/events"}, ["get", "events"],
                               ["describe", "deploy", "redis"])
    assert (g.code, g.stdout) == (1, "")
    assert g.stderr == ('Error from server (Forbidden): events is forbidden: User "jane" cannot list resource '
                        '"events" in API group "" in the namespace "default"\n')
    # describe goes on without them, as kubectl's does when its events request fails
    assert d.code == 0 and d.stdout.rstrip().endswith("Events:          <none>"), d.stdout[-200:]


async def test_the_dashboards_describe_reads_the_events_first(proxy, tmp_path):
    async with attached_dashboard(proxy.kubeconfig(tmp_path)) as (app, ws, pilot):
        pod = next(p["metadata"]["name"] for p in ws.cluster.store.list("Pod", "default")
                   if p["metadata"]["name"].startswith("redis-"))
        assert ws.cluster.store.count("Event") == 0  # (not followed: read when a command prints them)
        app.commands.run(f"kubectl describe pod {pod}")
        await eventually(lambda: "Started container redis" in _terminal(app), what="the pod's events")
        app.commands.run("kubectl get events")
        await eventually(lambda: re.search(rf"Normal +Pulled +pod/{pod}", _terminal(app)) is not None,
                         what="get events")


def _terminal(app) -> str:
    """What the terminal pane shows."""
    return "\n".join(strip.text for strip in app.commands.terminal().output.lines)
