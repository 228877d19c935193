"""ServiceAccounts, the pod volumes their admission adds and the kubelet's mounts, and
CoreDNS's pods as kind's: the learner experiment "delete the coredns ConfigMap, restart
CoreDNS" (tester3 #11), checked against upstream v1.33 (the DefaultTolerationSeconds and
ServiceAccount admission plugins, the serviceaccount controller, the kubelet's volume
manager, kubeadm's CoreDNS manifest)."""
from __future__ import annotations

import pytest

from engine.api.admission import default_toleration_seconds
from engine.api.apiserver import ApiError
from engine.api.objects import pod_is_ready
from engine.cluster.cluster import Cluster
from engine.kubectl.commands import rollout_restart
from engine.kubectl.dns import dig
from engine.kubectl.printers.describe import describe
from engine.kubectl.printers.get import TABLES
from tests.helpers import apply_yaml

NOT_READY = {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "tolerationSeconds": 300}
UNREACHABLE = {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
               "tolerationSeconds": 300}


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(deterministic=True)


def pod(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}], **spec}}


def events(c: Cluster, name: str, reason: str) -> list[dict]:
    return [e for e in c.store.list("Event") if e["involvedObject"]["name"] == name and e["reason"] == reason]


# -- DefaultTolerationSeconds ------------------------------------------------------------------
def test_default_toleration_seconds_appends_what_is_not_covered():
    spec = {"tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}
    default_toleration_seconds(spec)
    assert spec["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}, NOT_READY, UNREACHABLE]
    spec = {}
    default_toleration_seconds(spec)
    assert spec["tolerations"] == [NOT_READY, UNREACHABLE]
    # a toleration with an empty key (or the taint's key) and an empty or NoExecute effect covers it
    for covering in ({"operator": "Exists"}, {"effect": "NoExecute", "operator": "Exists"}):
        spec = {"tolerations": [covering]}
        default_toleration_seconds(spec)
        assert spec["tolerations"] == [covering]
    own = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 6000}
    spec = {"tolerations": [own]}
    default_toleration_seconds(spec)
    assert spec["tolerations"] == [own, NOT_READY]
    noschedule = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}
    spec = {"tolerations": [noschedule]}
    default_toleration_seconds(spec)
    assert spec["tolerations"] == [noschedule, NOT_READY, UNREACHABLE]


def test_coredns_pods_have_kinds_four_tolerations(cluster):
    for p in cluster.store.list("Pod", "kube-system"):
        if p["metadata"]["name"].startswith("coredns-"):
            assert p["spec"]["tolerations"] == [
                {"key": "CriticalAddonsOnly", "operator": "Exists"},
                {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}, NOT_READY, UNREACHABLE]


# -- ServiceAccounts ------------------------------------------------------------------------------
def test_every_namespace_has_a_default_service_account_made_again_when_deleted(cluster):
    names = {(sa["metadata"]["namespace"], sa["metadata"]["name"]) for sa in cluster.store.list("ServiceAccount")}
    assert {(ns["metadata"]["name"], "default") for ns in cluster.store.list("Namespace")} <= names
    assert {("kube-system", "coredns"), ("kube-system", "kube-proxy"), ("kube-system", "kindnet"),
            ("local-path-storage", "local-path-provisioner-service-account")} <= names
    cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    cluster.run_until_idle()
    assert cluster.get("ServiceAccount", "shop", "default") is not None
    cluster.api.delete_object("ServiceAccount", "shop", "default")
    cluster.run_until_idle()
    assert cluster.get("ServiceAccount", "shop", "default") is not None


def test_a_pod_in_a_namespace_made_a_moment_ago_is_admitted(cluster):
    """Upstream's admission asks again for `default` while the controller catches up."""
    cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    p = cluster.api.create({**pod("web"), "metadata": {"name": "web", "namespace": "shop"}})
    assert p["spec"]["serviceAccountName"] == "default"


def test_admission_defaults_the_account_and_projects_its_token(cluster):
    p = cluster.api.create(pod("web"))
    spec = p["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    (vol,) = spec["volumes"]
    assert vol["name"].startswith("kube-api-access-") and len(vol["name"]) == len("kube-api-access-") + 5
    assert vol["projected"] == {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace"}]}}]}
    assert spec["containers"][0]["volumeMounts"] == [
        {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": vol["name"], "readOnly": True}]
    # the same seed names the volume the same
    again = Cluster(deterministic=True).api.create(pod("web"))
    assert again["spec"]["volumes"][0]["name"] == vol["name"]


def test_automount_false_on_the_pod_or_its_account_mounts_no_token(cluster):
    p = cluster.api.create(pod("a", automountServiceAccountToken=False))
    assert "volumes" not in p["spec"] and "volumeMounts" not in p["spec"]["containers"][0]
    cluster.api.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"},
                        "automountServiceAccountToken": False})
    p = cluster.api.create(pod("b", serviceAccountName="quiet"))
    assert "volumes" not in p["spec"]
    p = cluster.api.create(pod("c", serviceAccountName="quiet", automountServiceAccountToken=True))
    assert p["spec"]["volumes"][0]["name"].startswith("kube-api-access-")


def test_a_pod_whose_account_is_missing_is_forbidden_with_upstreams_words(cluster):
    with pytest.raises(ApiError) as e:
        cluster.api.create(pod("web", serviceAccountName="robot"), "web.yaml")
    assert e.value.message == ('Error from server (Forbidden): error when creating "web.yaml": pods "web" is '
                               'forbidden: error looking up service account default/robot: serviceaccount "robot" '
                               "not found")


def test_a_replicasets_pods_fail_with_failedcreate_until_the_account_exists(cluster):
    apply_yaml(cluster, """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: robot
      containers: [{name: web, image: nginx}]
""")
    cluster.run_until_idle()
    rs = next(r for r in cluster.store.list("ReplicaSet", "default") if r["metadata"]["name"].startswith("web-"))
    failed = events(cluster, rs["metadata"]["name"], "FailedCreate")
    assert failed and failed[0]["message"] == (
        f'Error creating: pods "{rs["metadata"]["name"]}-" is forbidden: error looking up service account '
        'default/robot: serviceaccount "robot" not found')
    assert not [p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")]
    cluster.api.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}})
    cluster.run_for(30)
    (p,) = [p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")]
    assert p["spec"]["serviceAccountName"] == "robot" and pod_is_ready(p)


def test_get_and_describe_service_account(cluster):
    sa = cluster.get("ServiceAccount", "default", "default")
    table = TABLES["ServiceAccount"]
    assert table.columns == ("Name", "Secrets", "Age")
    assert table.row(sa, cluster.now(), False)[:2] == ["default", "0"]
    out = describe("sa", sa, lister=lambda kind, ns: cluster.store.list(kind, ns), now=cluster.now())
    assert out == ("Name:                default\nNamespace:           default\nLabels:              <none>\n"
                   "Annotations:         <none>\nImage pull secrets:  <none>\nMountable secrets:   <none>\n"
                   "Tokens:              <none>\nEvents:              <none>\n")


# -- the kubelet's mounts -------------------------------------------------------------------------
def config_map(name: str, **data) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": data}


def test_a_missing_config_map_keeps_the_pod_container_creating_until_it_appears(cluster):
    cluster.api.create(pod("web", volumes=[{"name": "conf", "configMap": {"name": "app"}}]))
    cluster.run_for(20)
    p = cluster.get("Pod", "default", "web")
    assert p["status"]["phase"] == "Pending" and "podIP" not in p["status"]
    assert p["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    (ev,) = events(cluster, "web", "FailedMount")
    assert ev["type"] == "Warning" and ev["source"]["component"] == "kubelet"
    assert ev["message"] == 'MountVolume.SetUp failed for volume "conf" : configmap "app" not found'
    assert ev["count"] == 6  # 0, 0.5, 1.5, 3.5, 7.5, 15.5 s: the volume manager's back-off
    cluster.api.create(config_map("app", key="v"))
    cluster.run_for(20)  # (the next try, 31.5 s after the first)
    assert pod_is_ready(cluster.get("Pod", "default", "web"))
    assert events(cluster, "web", "FailedMount")[0]["count"] == 6


def test_optional_sources_and_items(cluster):
    cluster.api.create(config_map("app", present="v"))
    cluster.api.create(pod("opt", volumes=[{"name": "c", "configMap": {"name": "nope", "optional": True}}]))
    cluster.api.create(pod("item", volumes=[{"name": "c", "configMap": {
        "name": "app", "items": [{"key": "absent", "path": "a"}]}}]))
    cluster.api.create(pod("proj", volumes=[{"name": "p", "projected": {"sources": [
        {"configMap": {"name": "nope"}}, {"configMap": {"name": "nope2"}},
        {"downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]}}]}},
        {"name": "e", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/tmp"}}]))
    cluster.run_for(5)
    assert pod_is_ready(cluster.get("Pod", "default", "opt"))
    assert events(cluster, "item", "FailedMount")[0]["message"] == (
        'MountVolume.SetUp failed for volume "c" : configmap references non-existent config key: absent')
    assert events(cluster, "proj", "FailedMount")[0]["message"] == (
        'MountVolume.SetUp failed for volume "p" : [configmap "nope" not found, configmap "nope2" not found]')


def test_describe_pod_shows_the_failed_mount(cluster):
    cluster.api.create(pod("web", volumes=[{"name": "conf", "configMap": {"name": "app"}}]))
    cluster.run_for(10)
    out = describe("pod", cluster.get("Pod", "default", "web"), lister=lambda k, ns: cluster.store.list(k, ns),
                   now=cluster.now())
    assert "ContainerCreating" in out
    # (the first try 1 s after the pod was scheduled, then 0.5, 1.5, 3.5, 7.5 s later)
    assert ('Warning  FailedMount  2s (x5 over 9s)  kubelet            MountVolume.SetUp failed for volume "conf" : '
            'configmap "app" not found') in out


# -- CoreDNS as kind's, and the experiment ----------------------------------------------------------
def test_coredns_pods_are_kubeadms(cluster):
    for p in cluster.store.list("Pod", "kube-system"):
        if not p["metadata"]["name"].startswith("coredns-"):
            continue
        c = p["spec"]["containers"][0]
        assert c["volumeMounts"][0] == {"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}
        assert c["volumeMounts"][1]["name"].startswith("kube-api-access-")
        assert c["livenessProbe"] == {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                                      "initialDelaySeconds": 60, "timeoutSeconds": 5, "periodSeconds": 10,
                                      "successThreshold": 1, "failureThreshold": 5}
        assert p["spec"]["volumes"][0] == {"name": "config-volume", "configMap": {
            "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}], "defaultMode": 420}}
        assert p["spec"]["affinity"]["podAntiAffinity"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True


def coredns_pods(c: Cluster) -> list[dict]:
    return [p for p in c.store.list("Pod", "kube-system") if p["metadata"]["name"].startswith("coredns-")]


def test_deleting_the_coredns_config_map_then_restarting_coredns(cluster):
    cluster.api.delete_object("ConfigMap", "kube-system", "coredns")
    rollout_restart(cluster, ["deploy/coredns"], namespace="kube-system")
    cluster.run_for(60)
    pods = coredns_pods(cluster)
    old = [p for p in pods if pod_is_ready(p)]
    new = [p for p in pods if not pod_is_ready(p)]
    # maxUnavailable 1: one old pod goes, the other stays; the two new ones wait for their volume
    assert len(old) == 1 and len(new) == 2
    for p in new:
        assert p["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
        assert events(cluster, p["metadata"]["name"], "FailedMount")[0]["message"] == (
            'MountVolume.SetUp failed for volume "config-volume" : configmap "coredns" not found')
    assert dig(cluster, "kubernetes.default.svc.cluster.local").code == 0  # the old pod still answers
    cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace":
                        "kube-system"}, "data": {"Corefile": cluster.coredns.config.corefile()}})
    cluster.run_for(130)
    pods = coredns_pods(cluster)
    assert len(pods) == 2 and all(pod_is_ready(p) for p in pods)
    assert {p["metadata"]["name"] for p in pods} == {p["metadata"]["name"] for p in new}


def test_with_no_coredns_pod_ready_dns_times_out(cluster):
    cluster.api.delete_object("ConfigMap", "kube-system", "coredns")
    for p in coredns_pods(cluster):
        cluster.api.delete_object("Pod", "kube-system", p["metadata"]["name"])
    cluster.run_for(60)
    assert not any(pod_is_ready(p) for p in coredns_pods(cluster))
    out = dig(cluster, "kubernetes.default.svc.cluster.local")
    assert out.code == 9 and "no servers could be reached" in out.stdout


def test_a_daemonsets_pods_fail_with_failedcreate_until_the_account_exists(cluster):
    apply_yaml(cluster, """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      serviceAccountName: agent
      containers: [{name: agent, image: busybox}]
""")
    failed = events(cluster, "agent", "FailedCreate")
    assert failed and failed[0]["message"] == (
        'Error creating: pods "agent-" is forbidden: error looking up service account default/agent: '
        'serviceaccount "agent" not found')
    cluster.api.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent"}})
    cluster.run_for(30)
    pods = [p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("agent-")]
    assert len(pods) == 2 and all(pod_is_ready(p) for p in pods)  # (the two workers: the control plane is tainted)


def test_a_pod_waiting_for_its_volume_goes_at_once_when_deleted(cluster):
    cluster.api.create(pod("web", volumes=[{"name": "conf", "configMap": {"name": "app"}}]))
    cluster.run_for(70)  # (the next try is a minute away)
    cluster.api.delete_object("Pod", "default", "web")
    cluster.run_for(2)
    assert cluster.get("Pod", "default", "web") is None
