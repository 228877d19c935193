"""Kinds a user asks for when attached (the tester's findings 5, 9, 10 and 13's note): `get
deploy`, `get rs`, `get ds`, `get all` and `describe deploy` answer from the cluster's own
Deployments, ReplicaSets and DaemonSets (listed too, after what the panes read), where they
said "No resources found"; RBAC's refusal of those costs no error-bar line, and a command asking
for a kind RBAC refused gets kubectl's `Error from server (Forbidden): ...` to say (`forbidden`);
the context's namespace is the session's; and what svcflow assumed about kube-proxy's
configuration is said only by the commands that show what it computes."""
from __future__ import annotations

import asyncio

from engine.attach.session import AttachOptions, AttachSession
from engine.attach.workspace import AttachWorkspace
from engine.kapi import kubeconfig
from tests.attach_fixtures import RecordingProxy, eventually
from tests.helpers import run_cli


def test_get_deploy_rs_ds_and_all_list_the_clusters_own(served):
    kc = str(served.folder / "served-kubeconfig")
    code, out, err = run_cli(*["get", "deploy", "--kubeconfig", kc])
    assert code == 0, err
    assert [ln.split()[0] for ln in out.splitlines()] == ["NAME", "counter", "redis"]
    code, out, _ = run_cli(*["get", "rs", "-n", "kube-system", "-o", "name", "--kubeconfig", kc])
    assert code == 0 and out.startswith("replicaset.apps/coredns-")
    code, out, _ = run_cli(*["get", "ds", "-n", "kube-system", "-o", "name", "--kubeconfig", kc])
    assert code == 0 and "daemonset.apps/kube-proxy" in out.split()
    code, out, _ = run_cli(*["get", "all", "--kubeconfig", kc])
    assert code == 0 and "deployment.apps/counter" in out and "replicaset.apps/counter-" in out
    code, out, err = run_cli(*["describe", "deploy", "counter", "--kubeconfig", kc])
    assert code == 0 and "NewReplicaSet:   counter-" in out, err
    code, out, err = run_cli(*["trace", "deploy/counter", "redis:6379", "--kubeconfig", kc])
    assert code == 0 and "trace default/counter-" in out, err


async def test_a_role_without_deployments_costs_no_line_and_asking_for_them_is_forbidden(served, tmp_path):
    proxy = RecordingProxy(served.url)
    proxy.forbid |= {"/apis/apps/v1/deployments", "/apis/apps/v1/replicasets", "/apis/apps/v1/daemonsets"}
    await proxy.start()
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    try:
        task = asyncio.create_task(ws.follow(lambda what: None))
        await eventually(lambda: ws.built, what="every list")
        problems, _ = ws.status()
        assert not [ln for ln in problems if "deployments" in ln or "replicasets" in ln], problems
        assert ws.cluster.store.count("Pod") and not ws.cluster.store.count("Deployment")
        session = ws.session
        assert session.forbidden("Deployment", "default") == (
            'Error from server (Forbidden): deployments.apps is forbidden: User "jane" cannot list resource '
            '"deployments" in API group "apps" in the namespace "default"')
        assert session.forbidden("Deployment", None) == (
            'Error from server (Forbidden): deployments.apps is forbidden: User "jane" cannot list resource '
            '"deployments" in API group "apps" at the cluster scope')
        assert session.forbidden("Pod", "default") is None and session.forbidden("Pod", None) is None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        await proxy.stop()
    assert {m for m, _ in proxy.requests} == {"GET"}


async def test_a_kind_refused_everywhere_is_kubectls_forbidden(served, tmp_path):
    """Pods refused cluster-wide and in every namespace: `get pods` has nothing to list and
    must say so as kubectl does, not "No resources found"; nodes refused outright too."""
    proxy = RecordingProxy(served.url)
    proxy.forbid |= {"/api/v1/pods", "/api/v1/nodes"}
    await proxy.start()
    session = AttachSession(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    try:
        await session.snapshot()
        assert session.forbidden("Pod", "default") == (
            'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group '
            '"" in the namespace "default"')
        assert session.forbidden("Node", None) == (
            'Error from server (Forbidden): nodes is forbidden: User "jane" cannot list resource "nodes" in API group '
            '"" at the cluster scope')
        assert session.forbidden("Service", "default") is None
    finally:
        await proxy.stop()


async def test_the_contexts_namespace_and_the_notes_a_command_prints(served, tmp_path):
    kc = tmp_path / "kc"
    kc.write_text(kubeconfig.render(served.url, namespace="kube-system"), encoding="utf-8")
    session = AttachSession(AttachOptions(kubeconfig=str(kc)))
    await session.snapshot()
    assert session.namespace == "kube-system"  # what `get` without -n reads, as kubectl
    # Serve has no kube-system/kube-proxy ConfigMap: svcflow assumed iptables. `get pods` need
    # not hear it; `proxy-rules` shows what it computed in that mode, so it says it.
    note = next(n for n in session.mirror.notes() if "kube-system/kube-proxy" in n)
    assert note not in session.headless_lines("get") and note not in session.headless_lines("describe")
    assert note in session.headless_lines("proxy-rules") and note in session.headless_lines("trace")


async def test_the_quiet_kinds_are_listed_after_every_kind_a_pane_reads(proxy, tmp_path):
    """Deployments, ReplicaSets, DaemonSets and Leases no pane reads: their lists start once
    the panes' lists are in, so that at 10,000 Services their pages do not delay the first
    full paint."""
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(proxy.kubeconfig(tmp_path))))
    task = asyncio.create_task(ws.follow(lambda what: None))
    try:
        await eventually(lambda: ws.built, what="every list")
        assert ws.cluster.store.count("Deployment") and ws.cluster.store.count("Lease")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    lists = [path for method, path in proxy.requests if "watch=" not in path]
    quiet = ("/apis/apps/v1/", "/apis/coordination.k8s.io/", "/apis/networking.k8s.io/")
    first_quiet = min(i for i, p in enumerate(lists) if p.startswith(quiet))
    panes = [i for i, p in enumerate(lists) if not p.startswith(quiet)]
    assert {p.split("?")[0] for p in lists if not p.startswith(quiet)} >= {
        "/api/v1/pods", "/api/v1/services", "/api/v1/endpoints", "/apis/discovery.k8s.io/v1/endpointslices",
        "/api/v1/nodes", "/api/v1/namespaces"}
    assert max(panes) < first_quiet, lists
