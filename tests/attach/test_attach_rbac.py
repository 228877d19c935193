"""RBAC on a shared cluster (issue 18): a user whose Roles grant list and watch on pods,
services and endpointslices in some namespaces only still sees those namespaces. The
cluster-wide list RBAC refuses falls back to one list per namespace (the namespaces the
Namespace list shows, or the kubeconfig context's when that list is refused too), one line
says which scope is used, and the rest carries on. The proxy answers as kube-apiserver
does: a 403 Status whose message is the authorizer's own sentence."""
from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from engine.apply.workspace import cluster_from_paths
from engine.views import panes as views
from tests.attach_fixtures import (
    ROOT,
    RecordingProxy,
    ServedProcess,
    api_path,
    attached,
    detach,
    eventually,
    forbidden_status,
)
from tests.helpers import run_cli

NAMESPACED = ("/api/v1/pods", "/api/v1/services", "/api/v1/endpoints", "/apis/discovery.k8s.io/v1/endpointslices")
KINDS = "endpoints, endpointslices, pods, services"




def kubeconfig(proxy: RecordingProxy, folder: Path, namespace: str | None = None) -> str:
    path = proxy.kubeconfig(folder)
    if namespace is not None:  # a context that names its namespace, as `kubectl config set-context --namespace`
        doc = yaml.safe_load(path.read_text())
        doc["contexts"][0]["context"]["namespace"] = namespace
        path.write_text(yaml.safe_dump(doc))
    return str(path)




def lists(proxy: RecordingProxy, kind_path_end: str) -> list[str]:
    return [p for _, p in proxy.requests if p.split("?")[0].endswith(kind_path_end) and "watch=" not in p]


def test_the_403_is_kube_apiservers_own():
    """responsewriters.forbiddenMessage inside apierrors.NewForbidden, for a list at the
    cluster scope, a watch in a namespace and a grouped resource."""
    assert forbidden_status("jane", "list", "pods")["message"] == \
        'pods is forbidden: User "jane" cannot list resource "pods" in API group "" at the cluster scope'
    s = forbidden_status("jane", "watch", "endpointslices", "discovery.k8s.io", "shop")
    assert s["message"] == ('endpointslices.discovery.k8s.io is forbidden: User "jane" cannot watch resource '
                            '"endpointslices" in API group "discovery.k8s.io" in the namespace "shop"')
    assert (s["code"], s["reason"], s["status"], s["details"]) == \
        (403, "Forbidden", "Failure", {"group": "discovery.k8s.io", "kind": "endpointslices"})
    assert api_path("/api/v1/namespaces/shop/pods") == ("", "v1", "shop", "pods", "")
    assert api_path("/api/v1/namespaces/shop") == ("", "v1", "", "namespaces", "shop")
    assert api_path("/apis/discovery.k8s.io/v1/endpointslices") == ("discovery.k8s.io", "v1", "", "endpointslices", "")


async def test_a_role_in_some_namespaces_shows_those_namespaces(proxy, tmp_path):
    for path in NAMESPACED:
        proxy.grant_only[path] = {"default", "kube-system"}
    ws, task = await attached(kubeconfig(proxy, tmp_path))
    try:
        assert ws.session.problem_lines() == [
            f"{KINDS}: only in namespaces default, kube-system (cluster-wide list forbidden)"]
        # Every object of samples/ lives in those two namespaces: the panes and the computed rules are
        # the simulation's, as when the whole cluster may be listed.
        mirror, sim = ws.cluster, cluster_from_paths([ROOT / "samples"], deterministic=True)[0]
        sim.clock.advance_to(mirror.now())
        for ns in ("default", "kube-system", None):
            for rows in (views.pod_rows, views.service_rows, views.endpoint_rows, views.dns_rows):
                want = rows(sim, ns)
                if ns is None:  # (local-path-storage's provisioner pod is in no namespace the Role grants)
                    want = [r for r in want if not r.key.startswith("local-path-storage/")]
                assert rows(mirror, ns) == want, (rows.__name__, ns)
        for node in sim.topology.nodes:
            assert mirror.kube_proxy.full_restore(node.name) == sim.kube_proxy.full_restore(node.name)
        # One cluster-wide list refused, then one list in each namespace the Namespace list shows;
        # watches only where the lists were allowed.
        pods = lists(proxy, "pods")
        assert pods[0].startswith("/api/v1/pods?")
        assert sorted(p.split("?")[0] for p in pods[1:]) == [f"/api/v1/namespaces/{ns}/pods" for ns in (
            "default", "kube-node-lease", "kube-public", "kube-system", "local-path-storage")]
        def watched() -> set[str]:
            return {p.split("?")[0] for _, p in proxy.requests if "watch=true" in p and "/pods?" in p}
        # (each watch starts once its list is in: under load, a moment after the mirror is built)
        await eventually(lambda: watched() == {"/api/v1/namespaces/default/pods", "/api/v1/namespaces/kube-system/pods"},
                         what="the pods' watches, in default and kube-system only")
    finally:
        await detach(task)


async def test_without_the_namespaces_list_the_contexts_namespace_is_used(proxy, tmp_path):
    proxy.forbid.add("/api/v1/namespaces")
    for path in NAMESPACED:
        proxy.grant_only[path] = {"kube-system"}
    ws, task = await attached(kubeconfig(proxy, tmp_path, namespace="kube-system"))
    try:
        lines = ws.session.problem_lines()
        assert f"{KINDS}: only in namespace kube-system (cluster-wide list forbidden, and the namespaces list: " \
               "the kubeconfig context's namespace)" in lines
        assert 'forbidden: namespaces is forbidden: User "jane" cannot list resource "namespaces" in API group "" ' \
               'at the cluster scope (/api/v1/namespaces; RBAC: this kind is skipped; grant get, list and watch to ' \
               'show it)' in lines
        assert len(lines) == 2
        assert {s["metadata"]["namespace"] for s in ws.cluster.store.list("Service")} == {"kube-system"}
        assert ws.cluster.store.get("Service", "kube-system", "kube-dns") is not None
        assert ws.cluster.store.count("Pod") == len(ws.cluster.store.list("Pod", "kube-system")) > 0
        # No other namespace was tried: kubectl's default namespace is the context's.
        assert not [p for _, p in proxy.requests if "/namespaces/default/" in p]
    finally:
        await detach(task)


async def test_a_kind_refused_in_every_namespace_is_one_forbidden_line(proxy, tmp_path):
    proxy.grant_only["/api/v1/pods"] = set()
    ws, task = await attached(kubeconfig(proxy, tmp_path))
    try:
        assert ws.session.problem_lines() == [
            'forbidden: pods is forbidden: User "jane" cannot list resource "pods" in API group "" at the cluster '
            'scope, nor in any of the 5 namespaces (/api/v1/pods; RBAC: pods are skipped; grant list and watch on '
            'them to show them)']
        assert ws.cluster.store.count("Pod") == 0 and ws.cluster.store.count("Service") > 0
        assert ws.session.source.forbidden() == [r.resource for r in ws.session.source.reflectors
                                                 if r.resource.path == "/api/v1/pods"]
    finally:
        await detach(task)


async def test_the_headless_commands_say_the_scope_and_print_what_they_see(proxy, tmp_path):
    for path in NAMESPACED:
        proxy.grant_only[path] = {"kube-system"}
    kc = kubeconfig(proxy, tmp_path)
    r = await asyncio.to_thread(run_cli, "get", "svc", "-A", "-o", "name", "--kubeconfig", kc)
    assert r.code == 0, r.stderr
    assert r.stdout == "service/kube-dns\n"
    assert f"svcflow: {KINDS}: only in namespace kube-system (cluster-wide list forbidden)\n" in r.stderr
    assert "Traceback" not in r.stderr


async def test_many_namespaces_and_one_created_later_are_followed(tmp_path_factory, tmp_path):
    """A watch per kind and namespace: 4 kinds x 30 namespaces hold more connections at once than
    an HTTP client's default pool (100) lets through; every namespace must still be listed and
    watched. (Its own server: the other tests count the namespaces of samples/.)"""
    served = ServedProcess(tmp_path_factory.mktemp("served-teams"))
    proxy = RecordingProxy(served.url)
    await proxy.start()
    try:
        teams = [f"team-{i:02d}" for i in range(30)]
        for ns in teams:
            await served.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                       "metadata": {"name": ns}})
            await served.create(f"/api/v1/namespaces/{ns}/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
                "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}})
        for path in NAMESPACED:
            proxy.grant_only[path] = {*teams, "shop"}  # (shop does not exist yet)
        ws, task = await attached(kubeconfig(proxy, tmp_path))
        try:
            assert sorted(s["metadata"]["namespace"] for s in ws.cluster.store.list("Service")) == teams
            assert ws.session.problem_lines() == [f"{KINDS}: only in namespaces {', '.join(teams)} (cluster-wide "
                                                  "list forbidden)"]
            await served.create("/api/v1/namespaces/team-29/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "late"},
                "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}})
            await eventually(lambda: ws.cluster.store.get("Service", "team-29", "late") is not None,
                             what="a Service created in the last namespace, seen by its watch")
            # A namespace created later is followed as soon as the Namespace watch tells of it.
            await served.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                       "metadata": {"name": "shop"}})
            await served.create("/api/v1/namespaces/shop/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": "cart"},
                "spec": {"selector": {"app": "cart"}, "ports": [{"port": 80}]}})
            await eventually(lambda: ws.cluster.store.get("Service", "shop", "cart") is not None,
                             what="the Service of the new namespace")
            await eventually(lambda: ws.session.problem_lines() == [
                f"{KINDS}: only in namespaces {', '.join(teams)}, shop (cluster-wide list forbidden)"],
                what="the scope line")
        finally:
            await detach(task)
    finally:
        await proxy.stop()
        served.close()
    assert {m for m, _ in proxy.requests} == {"GET"}


async def test_the_error_bar_says_the_panes_kinds_first(proxy, tmp_path):
    """A 100x30 error bar shows its first lines whole and counts the rest: a refused pods list
    comes before a refused Namespace or Node list, whatever order the refusals came in."""
    proxy.forbid |= {"/api/v1/namespaces", "/api/v1/nodes"}
    for path in NAMESPACED:
        proxy.grant_only[path] = set()  # (refused in every namespace too)
    ws, task = await attached(kubeconfig(proxy, tmp_path, namespace="shop"))
    try:
        await eventually(lambda: len(ws.session.problem_lines()) == 6, what="every refusal said")
        lines = ws.session.problem_lines()
        def first(word: str) -> int:
            return next(i for i, ln in enumerate(lines) if ln.startswith(f"forbidden: {word} is forbidden"))
        assert first("pods") < first("services") < first("endpointslices.discovery.k8s.io") < first("endpoints") \
            < first("nodes") < first("namespaces"), lines
        # The computed CoreDNS does not claim kube-dns was deleted: it was not readable (a tester)
        ws.advance(0)
        assert ws.cluster.coredns.serving().reason == "the kube-system/kube-dns Service is not among the Services read"
    finally:
        await detach(task)
