"""StatefulSets as upstream's controller runs them (pkg/controller/statefulset): pods
NAME-0..N-1 with a stable identity, created in order (OrderedReady) or at once (Parallel),
made again with the same name, scaled down from the highest ordinal and rolled from the
highest ordinal down; a headless Service gives each pod its DNS name."""
from __future__ import annotations

import re

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session
from tests.helpers import SAMPLES, apply_yaml

WEB = """
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: nginx}}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{name: web, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{name: web, containerPort: 80}]
"""


def cluster_with(text: str = WEB):
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, text)
    return c


def run(c, line: str) -> str:
    out = kubectl.run_line(c, line)
    c.run_until_idle()
    assert out.code == 0, out.stderr
    return out.stdout


def web_pods(c, *, terminating: bool = False) -> list[str]:
    return sorted(p["metadata"]["name"] for p in c.store.list("Pod", "default")
                  if p["metadata"]["name"].startswith("web-")
                  and (terminating or not p["metadata"].get("deletionTimestamp")))


def sts_events(c, reason: str | None = None) -> list[str]:
    evs = sorted((e for e in c.store.list("Event", "default") if e["involvedObject"]["kind"] == "StatefulSet"),
                 key=lambda e: (e.get("firstTimestamp") or "", e["metadata"]["name"]))
    return [e["message"] for e in evs if reason is None or e["reason"] == reason]


def test_defaults_as_the_api_server_stores_them():
    c = cluster_with()
    spec = c.store.get("StatefulSet", "default", "web")["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    tmpl = spec["template"]
    assert tmpl["metadata"]["creationTimestamp"] is None
    assert tmpl["spec"]["restartPolicy"] == "Always" and tmpl["spec"]["dnsPolicy"] == "ClusterFirst"
    assert tmpl["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_pods_carry_a_stable_identity():
    c = cluster_with()
    assert web_pods(c) == ["web-0", "web-1"]
    sts = c.store.get("StatefulSet", "default", "web")
    revision = sts["status"]["updateRevision"]
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{6,10}", revision)
    for ordinal in (0, 1):
        pod = c.store.get("Pod", "default", f"web-{ordinal}")
        assert pod["metadata"]["labels"] == {
            "app": "nginx", "statefulset.kubernetes.io/pod-name": f"web-{ordinal}",
            "apps.kubernetes.io/pod-index": str(ordinal), "controller-revision-hash": revision}
        assert pod["spec"]["hostname"] == f"web-{ordinal}" and pod["spec"]["subdomain"] == "web"
        assert pod["metadata"]["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": sts["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}]
        assert "generateName" not in pod["metadata"]
    assert sts["status"] == {"availableReplicas": 2, "collisionCount": 0, "currentReplicas": 2,
                             "currentRevision": revision, "observedGeneration": 1, "readyReplicas": 2,
                             "replicas": 2, "updateRevision": revision, "updatedReplicas": 2}
    assert sts_events(c) == ["create Pod web-0 in StatefulSet web successful",
                             "create Pod web-1 in StatefulSet web successful"]
    ev = next(e for e in c.store.list("Event", "default") if e["reason"] == "SuccessfulCreate"
              and e["involvedObject"]["kind"] == "StatefulSet")
    assert ev["source"] == {"component": "statefulset-controller"}


def test_ordered_ready_creates_the_next_pod_only_when_the_previous_is_running_and_ready():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    for doc in __import__("yaml").safe_load_all(WEB):
        c.api.apply(doc, "web.yaml")
    c.run_for(1.0)
    assert web_pods(c) == ["web-0"]  # web-0 is still pulling its image
    c.run_until_idle()
    web0, web1 = (c.store.get("Pod", "default", n) for n in ("web-0", "web-1"))
    ready0 = next(x["lastTransitionTime"] for x in web0["status"]["conditions"] if x["type"] == "Ready")
    assert web1["metadata"]["creationTimestamp"] >= ready0 > web0["metadata"]["creationTimestamp"]


def test_parallel_creates_every_pod_at_once():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    for doc in __import__("yaml").safe_load_all(WEB.replace("serviceName: web\n",
                                                            "serviceName: web\n  podManagementPolicy: Parallel\n")):
        c.api.apply(doc, "web.yaml")
    c.run_for(1.0)
    assert web_pods(c) == ["web-0", "web-1"]


def test_a_deleted_pod_comes_back_with_its_name():
    c = cluster_with()
    ip0 = c.store.get("Pod", "default", "web-0")["status"]["podIP"]
    uid0 = c.store.get("Pod", "default", "web-0")["metadata"]["uid"]
    run(c, "kubectl delete pod web-0")
    pod = c.store.get("Pod", "default", "web-0")
    assert pod["metadata"]["uid"] != uid0 and pod["status"]["phase"] == "Running"
    assert pod["spec"]["hostname"] == "web-0" and ip0  # same name, same hostname (a new IP is allowed)
    assert web_pods(c) == ["web-0", "web-1"]


def test_scale_up_in_order_and_down_from_the_highest_ordinal_one_at_a_time():
    c = cluster_with()
    assert run(c, "kubectl scale sts web --replicas=4") == "statefulset.apps/web scaled\n"
    assert web_pods(c) == ["web-0", "web-1", "web-2", "web-3"]
    created = [c.store.get("Pod", "default", f"web-{i}")["metadata"]["creationTimestamp"] for i in range(4)]
    assert created == sorted(created)
    out = kubectl.run_line(c, "kubectl scale sts web --replicas=1")
    assert out.stdout == "statefulset.apps/web scaled\n"
    c.run_for(0.1)
    assert web_pods(c, terminating=True) == ["web-0", "web-1", "web-2", "web-3"]
    assert web_pods(c) == ["web-0", "web-1", "web-2"]  # web-3 terminates first, alone
    c.run_until_idle()
    assert web_pods(c, terminating=True) == ["web-0"]
    assert sts_events(c, "SuccessfulDelete") == ["delete Pod web-3 in StatefulSet web successful",
                                                 "delete Pod web-2 in StatefulSet web successful",
                                                 "delete Pod web-1 in StatefulSet web successful"]
    assert c.store.get("StatefulSet", "default", "web")["status"]["replicas"] == 1


def test_a_template_change_rolls_pods_from_the_highest_ordinal_down():
    c = cluster_with(WEB.replace("replicas: 2", "replicas: 3"))
    before = c.store.get("StatefulSet", "default", "web")["status"]["currentRevision"]
    apply_yaml(c, WEB.replace("replicas: 2", "replicas: 3").replace("nginx:1.27", "nginx:1.28"))
    sts = c.store.get("StatefulSet", "default", "web")
    after = sts["status"]["updateRevision"]
    assert after != before and sts["status"]["currentRevision"] == after
    assert sts["status"]["observedGeneration"] == 2 and sts["status"]["updatedReplicas"] == 3
    for i in range(3):
        pod = c.store.get("Pod", "default", f"web-{i}")
        assert pod["metadata"]["labels"]["controller-revision-hash"] == after
        assert pod["spec"]["containers"][0]["image"] == "nginx:1.28"
    rolled = [m for m in sts_events(c, "SuccessfulDelete")]
    assert rolled == [f"delete Pod web-{i} in StatefulSet web successful" for i in (2, 1, 0)]
    # the same template again is the same revision (the hash is the template's)
    apply_yaml(c, WEB.replace("replicas: 2", "replicas: 3"))
    assert c.store.get("StatefulSet", "default", "web")["status"]["currentRevision"] == before


def test_partition_keeps_the_lower_ordinals_at_the_current_revision():
    text = WEB.replace("replicas: 2", "replicas: 3").replace(
        "serviceName: web\n", "serviceName: web\n  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}\n")
    c = cluster_with(text)
    before = c.store.get("StatefulSet", "default", "web")["status"]["currentRevision"]
    apply_yaml(c, text.replace("nginx:1.27", "nginx:1.28"))
    sts = c.store.get("StatefulSet", "default", "web")
    images = [c.store.get("Pod", "default", f"web-{i}")["spec"]["containers"][0]["image"] for i in range(3)]
    assert images == ["nginx:1.27", "nginx:1.27", "nginx:1.28"]
    assert sts["status"]["currentRevision"] == before and sts["status"]["updatedReplicas"] == 1
    assert sts["status"]["currentReplicas"] == 2
    run(c, "kubectl delete pod web-0")  # below the partition it comes back at the current revision
    assert c.store.get("Pod", "default", "web-0")["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_rollout_restart_rolls_every_pod():
    c = cluster_with()
    uids = {n: c.store.get("Pod", "default", n)["metadata"]["uid"] for n in ("web-0", "web-1")}
    assert run(c, "kubectl rollout restart sts/web") == "statefulset.apps/web restarted\n"
    assert all(c.store.get("Pod", "default", n)["metadata"]["uid"] != u for n, u in uids.items())
    sts = c.store.get("StatefulSet", "default", "web")
    assert "kubectl.kubernetes.io/restartedAt" in sts["spec"]["template"]["metadata"]["annotations"]
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]


def test_delete_garbage_collects_the_pods():
    c = cluster_with()
    assert run(c, "kubectl delete sts web") == 'statefulset.apps "web" deleted\n'
    assert web_pods(c, terminating=True) == []


def test_validation_in_the_api_servers_words():
    c = cluster_with()
    s = Session(c, cwd=SAMPLES.parent)
    bad = WEB.split("---")[1].replace("metadata: {labels: {app: nginx}}", "metadata: {labels: {app: other}}")
    results = apply_yaml(c, bad.replace("name: web}", "name: other}"))
    assert results[0].error == (
        'The StatefulSet "other" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`')
    results = apply_yaml(c, WEB.split("---")[1].replace("serviceName: web", "serviceName: other"))
    assert results[0].error == (
        'The StatefulSet "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than '
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
    results = apply_yaml(c, WEB.split("---")[1].replace("name: web}", "name: web.v2}"))
    # (the name is a DNS label, not a subdomain: it is each pod's hostname)
    assert results[0].error == 'The StatefulSet "web.v2" is invalid: metadata.name: Invalid value: "web.v2": ' \
                               "must not contain dots"
    assert s.feed("kubectl get sts") == "NAME   READY   AGE\nweb    2/2     9s\n"  # (the refusals changed nothing)


def test_volume_claim_templates_are_refused_by_the_controller_as_pvcs_are_not_simulated():
    c = cluster_with(WEB.replace("        ports: [{name: web, containerPort: 80}]\n",
                                 "        ports: [{name: web, containerPort: 80}]\n"
                                 "  volumeClaimTemplates:\n"
                                 "  - metadata: {name: www}\n"
                                 "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"))
    assert web_pods(c) == []
    assert sts_events(c, "FailedCreate")[0] == (
        "create Claim www-web-0 for Pod web-0 in StatefulSet web failed error: the server does not allow this "
        "method on the requested resource")
    claim = c.store.get("StatefulSet", "default", "web")["spec"]["volumeClaimTemplates"][0]
    assert claim["apiVersion"] == "v1" and claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["volumeMode"] == "Filesystem" and claim["status"] == {"phase": "Pending"}


def test_a_headless_service_gives_each_pod_its_dns_name():
    """The lesson: web-0.web.default.svc.cluster.local is web-0's IP. The EndpointSlice
    carries each pod's hostname; CoreDNS answers it (busybox 1.36's nslookup, as upstream's,
    searches only names without a dot, so the dotted short name is asked as written and the
    full name answers; wget's resolver walks the search list)."""
    c = cluster_with()
    (eps,) = [e for e in c.store.list("EndpointSlice", "default")
              if e["metadata"]["labels"].get("kubernetes.io/service-name") == "web"]
    ips = {n: c.store.get("Pod", "default", n)["status"]["podIP"] for n in ("web-0", "web-1")}
    assert sorted((e["hostname"], e["addresses"][0]) for e in eps["endpoints"]) == sorted(ips.items())
    s = Session(c, cwd=SAMPLES.parent)
    s.feed("kubectl run dbg --image=busybox:1.36 --restart=Never -- sleep 3600")
    out = s.feed("kubectl exec dbg -- nslookup web-0.web.default.svc.cluster.local")
    assert f"Name:\tweb-0.web.default.svc.cluster.local\nAddress: {ips['web-0']}\n" in out
    out = s.feed("kubectl exec dbg -- nslookup web-1.web.default.svc.cluster.local")
    assert f"Name:\tweb-1.web.default.svc.cluster.local\nAddress: {ips['web-1']}\n" in out
    assert "<title>Welcome to nginx!</title>" in s.feed("kubectl exec dbg -- wget -qO- -T 2 web-1.web")
    assert s.feed("kubectl exec web-0 -- hostname") == "web-0\n"


def test_a_namespace_deleted_with_its_statefulset_empties_without_failed_creates():
    """The namespace controller deletes workloads before pods, so no StatefulSet makes a
    pod again in a namespace being emptied."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    apply_yaml(c, WEB.replace("metadata: {name: web", "metadata: {namespace: shop, name: web"))
    assert len(c.store.list("Pod", "shop")) == 2
    run(c, "kubectl delete ns shop")
    assert c.store.get("Namespace", "", "shop") is None
    assert not [e for e in c.store.list("Event") if e["reason"] == "FailedCreate"]


def test_pods_orphaned_by_a_deleted_statefulset_are_adopted_by_the_next_one():
    c = cluster_with()
    uids = {n: c.store.get("Pod", "default", n)["metadata"]["uid"] for n in ("web-0", "web-1")}
    assert run(c, "kubectl delete sts web --cascade=orphan") == 'statefulset.apps "web" deleted\n'
    assert all("ownerReferences" not in c.store.get("Pod", "default", n)["metadata"] for n in uids)
    apply_yaml(c, WEB)
    sts = c.store.get("StatefulSet", "default", "web")
    for n, uid in uids.items():  # the same pods, now the new set's
        pod = c.store.get("Pod", "default", n)
        assert pod["metadata"]["uid"] == uid
        assert pod["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
    assert sts["status"]["readyReplicas"] == 2 and not sts_events(c, "SuccessfulCreate")[2:]


def test_the_dashboards_scale_keys_scale_a_pods_statefulset():
    c = cluster_with()
    out = kubectl.scale_owner_of_pod(c, "default", "web-1", +1)
    c.run_until_idle()
    assert out.stdout == "statefulset.apps/web scaled\n" and web_pods(c) == ["web-0", "web-1", "web-2"]
    kubectl.scale_owner_of_pod(c, "default", "web-0", -2)
    c.run_until_idle()
    assert web_pods(c) == ["web-0"]


def test_min_ready_seconds_holds_the_next_pod_until_the_previous_is_available():
    from datetime import datetime, timedelta

    c = cluster_with(WEB.replace("  replicas: 2\n", "  replicas: 2\n  minReadySeconds: 10\n"))
    web0, web1 = (c.store.get("Pod", "default", n) for n in ("web-0", "web-1"))
    ready0 = next(x["lastTransitionTime"] for x in web0["status"]["conditions"] if x["type"] == "Ready")
    parse = lambda t: datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    assert parse(web1["metadata"]["creationTimestamp"]) >= parse(ready0) + timedelta(seconds=10)
    assert c.store.get("StatefulSet", "default", "web")["status"]["availableReplicas"] == 2


def test_a_template_the_pod_validation_refuses_is_the_controllers_failed_create():
    """The API server does not validate a StatefulSet's pod spec (upstream's TODO): the set is
    stored, and each pod's creation is refused in the Pod's words."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    (res,) = apply_yaml(c, WEB.split("---")[1].replace("        image: nginx:1.27\n", ""))
    assert res.ok and web_pods(c) == []
    assert sts_events(c, "FailedCreate") == [
        'create Pod web-0 in StatefulSet web failed error: Pod "web-0" is invalid: spec.containers[0].image: '
        "Required value"]
