"""Deleting a Namespace, as a real cluster does it: it turns Terminating, refuses new
content, the namespace controller empties it (pods terminate gracefully), then it goes."""
from __future__ import annotations

import re

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import apply_yaml, sample

SHOP = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"


def _shop_cluster() -> Cluster:
    c = Cluster(deterministic=True)
    apply_yaml(c, SHOP)
    apply_yaml(c, re.sub(r"^metadata:\n", "metadata:\n  namespace: shop\n", sample("counter-redis-svc.yml"), flags=re.M))
    return c


def test_the_api_server_fills_in_a_namespace_as_upstream_does():
    c = _shop_cluster()
    ns = c.store.get("Namespace", "", "shop")
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "shop"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}


def test_delete_namespace_terminates_then_empties_then_goes():
    c = _shop_cluster()
    s = Session(c, settle=False)
    assert s.feed("kubectl get pods -n shop").count("Running") == 1
    assert s.feed("kubectl delete ns shop") == 'namespace "shop" deleted\n'
    # Terminating while the redis pod stops (its 30 s grace period); nothing new gets in.
    assert re.search(r"^shop\s+Terminating\s+\S+$", s.feed("kubectl get ns"), re.M)
    ns = c.store.get("Namespace", "", "shop")
    conds = {x["type"]: x for x in ns["status"]["conditions"]}
    assert [x["type"] for x in ns["status"]["conditions"]] == [
        "NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
        "NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining"]
    assert conds["NamespaceContentRemaining"]["status"] == "True"
    assert conds["NamespaceContentRemaining"]["message"] == "Some resources are remaining: pods. has 1 resource instances"
    assert conds["NamespaceDeletionContentFailure"]["message"] == \
        "All content successfully deleted, may be waiting on finalization"
    assert c.store.get("Service", "shop", "redis") is None and c.store.list("Deployment", "shop") == []
    refused = c.api.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late", "namespace": "shop"}},
                          "late.yaml")
    assert refused.error == ('Error from server (Forbidden): error when creating "late.yaml": configmaps "late" is '
                             "forbidden: unable to create new content in namespace shop because it is being terminated")
    c.run_until_idle()  # the pod's grace period passes, the controller finalizes
    assert c.store.get("Namespace", "", "shop") is None
    assert c.store.list("Pod", "shop") == [] and c.store.list("Event", "shop") == []
    assert "shop" not in s.feed("kubectl get ns")
    assert s.feed("kubectl get pods -n shop") == "No resources found in shop namespace.\n"


def test_the_cluster_namespaces_may_not_be_deleted():
    s = Session(Cluster(deterministic=True))
    assert s.feed("kubectl delete ns default") == (
        'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n')
    assert s.feed("kubectl delete namespace kube-system") == (
        'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted\n')
    assert re.search(r"^default\s+Active", s.feed("kubectl get ns"), re.M)


def test_services_in_a_deleted_namespace_leave_kube_proxy_and_dns():
    c = _shop_cluster()
    from engine.kubectl import dns as dnstools

    assert "10.96." in dnstools.dig(c, "redis.shop.svc.cluster.local").stdout
    Session(c).feed("kubectl delete ns shop")  # a session settles: kubectl waits for it to go
    assert c.store.get("Namespace", "", "shop") is None
    assert "NXDOMAIN" in dnstools.dig(c, "redis.shop.svc.cluster.local").stdout
    assert "shop/redis" not in c.kube_proxy.iptables_save("kind-worker")


def test_a_namespace_file_removed_from_the_watched_folder(tmp_path):
    from engine.apply.live import LiveWorkspace

    (tmp_path / "ns.yaml").write_text(SHOP + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n")
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: redis, namespace: shop}\n"
                                       "spec: {selector: {app: x}, ports: [{port: 6379}]}\n")
    ws = LiveWorkspace([str(tmp_path)], deterministic=True)
    assert sorted(ws.reload().lines) == ["namespace/default configured", "namespace/shop created", "service/redis created"]
    (tmp_path / "ns.yaml").unlink()
    res = ws.reload()
    # shop goes with what is in it (pruned namespaces are emptied at once on the dashboard);
    # the Service still declared in it can no longer be created; default stays.
    assert res.pruned == ["namespace/shop pruned"]
    assert ws.cluster.store.get("Namespace", "", "shop") is None
    assert ws.cluster.store.list("Service", "shop") == []
    assert [(e.source, e.error) for e in res.report.errors] == [
        (str(tmp_path / "ns.yaml"),
         'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted'),
        (str(tmp_path / "svc.yaml") + ":3",
         f'Error from server (NotFound): error when creating "{tmp_path / "svc.yaml"}": namespaces "shop" not found')]


def test_describe_namespace_reads_like_kubectl_and_shows_the_deleters_conditions():
    c = _shop_cluster()
    s = Session(c, settle=False)
    assert s.feed("kubectl describe ns default") == (
        "Name:         default\n"
        "Labels:       kubernetes.io/metadata.name=default\n"
        "Annotations:  <none>\n"
        "Status:       Active\n"
        "\n"
        "No resource quota.\n"
        "\n"
        "No LimitRange resource.\n")
    s.feed("kubectl delete ns shop")
    out = s.feed("kubectl describe namespace shop")
    assert "Status:       Terminating\nConditions:\n" in out
    assert re.search(r"^  NamespaceContentRemaining +True +\w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000 +SomeResourcesRemain +"
                     r"Some resources are remaining: pods\. has 1 resource instances$", out, re.M)


def test_describe_daemonset_kube_proxy_counts_one_pod_per_node():
    s = Session(Cluster(deterministic=True))
    out = s.feed("kubectl describe ds kube-proxy -n kube-system")
    assert out.startswith("Name:           kube-proxy\nNamespace:      kube-system\nSelector:       k8s-app=kube-proxy\n"
                          "Node-Selector:  kubernetes.io/os=linux\n")
    assert ("Desired Number of Nodes Scheduled: 3\nCurrent Number of Nodes Scheduled: 3\n"
            "Number of Nodes Scheduled with Up-to-date Pods: 3\nNumber of Nodes Scheduled with Available Pods: 3\n"
            "Number of Nodes Misscheduled: 0\nPods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n"
            "Pod Template:\n") in out
    assert out.count("daemonset-controller  Created pod: kube-proxy-") == 3
