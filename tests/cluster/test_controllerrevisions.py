"""The StatefulSet and DaemonSet controllers' history, as upstream keeps it (pkg/controller/history
and the two controllers' getPatch / newRevision / truncateHistory / constructHistory): one
ControllerRevision per template the set has had, `<set>-<hash>` over getPatch's data, numbered
upwards; an equal template re-uses its revision under the next number; the oldest revisions
no pod uses go beyond revisionHistoryLimit; a restarted controller reads its history back from
the API; the revisions go with their set."""
from __future__ import annotations

import json

from engine.api.naming import fnv1_32, go_json, safe_encode
from engine.apply.workspace import cluster_from_paths
from engine.controllers.statefulset import StatefulSetController
from engine.kubectl import commands as kubectl
from tests.helpers import SAMPLES, apply_yaml

WEB = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, annotations: {team: blue}}
spec:
  serviceName: web
  replicas: 3
  revisionHistoryLimit: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
"""


def cluster_with(text: str = WEB):
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, text)
    return c


def revisions(c, ns: str = "default", prefix: str = "web-") -> dict[str, int]:
    return {r["metadata"]["name"]: r["revision"] for r in c.store.list("ControllerRevision", ns)
            if r["metadata"]["name"].startswith(prefix)}


def set_image(c, image: str) -> None:
    apply_yaml(c, WEB.replace("nginx:1.27", image))


def pod_revisions(c) -> dict[str, str]:
    return {p["metadata"]["name"]: p["metadata"]["labels"]["controller-revision-hash"]
            for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")
            and not p["metadata"].get("deletionTimestamp")}


def test_a_revision_is_the_templates_patch_named_by_its_hash():
    c = cluster_with()
    sts = c.store.get("StatefulSet", "default", "web")
    (name, number), = revisions(c).items()
    rev = c.store.get("ControllerRevision", "default", name)
    # getPatch: the stored template (defaults and all) under spec.template, with $patch: replace
    assert rev["data"] == {"spec": {"template": {**sts["spec"]["template"], "$patch": "replace"}}}
    assert rev["data"]["spec"]["template"]["metadata"] == {"creationTimestamp": None, "labels": {"app": "web"}}
    # HashControllerRevision: FNV-1 over the data's JSON, then the collision count "0"
    digest = fnv1_32(b"0", fnv1_32(go_json(rev["data"])))
    assert name == f"web-{safe_encode(str(digest))}" and number == 1
    assert rev["metadata"]["labels"] == {"app": "web", "controller.kubernetes.io/hash": name.removeprefix("web-")}
    assert rev["metadata"]["annotations"]["team"] == "blue"
    ref, = rev["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["name"], ref["uid"], ref["controller"]) == ("StatefulSet", "web", sts["metadata"]["uid"], True)
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"] == name
    assert set(pod_revisions(c).values()) == {name}  # (a StatefulSet's pods carry the revision's name)
    # the data is JSON with Go's key order: what kubectl compares byte for byte
    assert list(rev["data"]["spec"]["template"]) == sorted(rev["data"]["spec"]["template"])
    assert json.dumps(rev["data"], separators=(",", ":")).encode() == go_json(rev["data"])


def test_a_rollback_renumbers_the_equal_revision_and_history_is_truncated():
    c = cluster_with()
    first = next(iter(revisions(c)))
    set_image(c, "nginx:1.28")
    second = next(n for n, r in revisions(c).items() if r == 2)
    assert set(pod_revisions(c).values()) == {second}
    set_image(c, "nginx:1.27")  # the first template again: its revision, numbered 3
    assert revisions(c) == {first: 3, second: 2}
    assert set(pod_revisions(c).values()) == {first}
    for image in ("nginx:1.29", "nginx:1.30", "nginx:1.31"):
        set_image(c, image)
    # revisionHistoryLimit 2: the update revision (6) and the two newest others (4, 5) stay
    assert sorted(revisions(c).values()) == [4, 5, 6]
    sts = c.store.get("StatefulSet", "default", "web")
    newest = next(n for n, r in revisions(c).items() if r == 6)
    assert sts["status"]["updateRevision"] == sts["status"]["currentRevision"] == newest
    assert sts["status"]["collisionCount"] == 0


def test_a_restarted_controller_reads_its_history_back():
    c = cluster_with(WEB.replace("revisionHistoryLimit: 2", "updateStrategy: {rollingUpdate: {partition: 2}}"))
    first = next(iter(revisions(c)))
    apply_yaml(c, WEB.replace("revisionHistoryLimit: 2", "updateStrategy: {rollingUpdate: {partition: 2}}")
               .replace("nginx:1.27", "nginx:1.28"))
    second = next(n for n, r in revisions(c).items() if r == 2)
    assert pod_revisions(c) == {"web-0": first, "web-1": first, "web-2": second}
    # a new controller (kube-controller-manager restarted): nothing in memory
    i = next(i for i, x in enumerate(c.controllers) if isinstance(x, StatefulSetController))
    c.controllers[i] = fresh = StatefulSetController(c.context)
    fresh.enqueue("default/web")
    c.run_until_idle()
    assert kubectl.run_line(c, "kubectl delete pod web-0").code == 0
    c.run_until_idle()
    # below the partition, web-0 comes back from the current revision's template, read from the API
    assert pod_revisions(c) == {"web-0": first, "web-1": first, "web-2": second}
    pod = c.store.get("Pod", "default", "web-0")
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert revisions(c) == {first: 1, second: 2}


def test_revisions_go_with_their_set():
    c = cluster_with()
    assert revisions(c)
    assert kubectl.run_line(c, "kubectl delete sts web").code == 0
    c.run_until_idle()
    assert revisions(c) == {}


def test_kinds_daemonsets_have_one_revision_each_and_pods_carry_its_hash():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    revs = {r["metadata"]["name"]: r for r in c.store.list("ControllerRevision", "kube-system")}
    assert sorted(n.rsplit("-", 1)[0] for n in revs) == ["kindnet", "kube-proxy"]
    for name, rev in revs.items():
        ds_name, hash_ = name.rsplit("-", 1)
        ds = c.store.get("DaemonSet", "kube-system", ds_name)
        assert rev["revision"] == 1 and rev["metadata"]["labels"]["controller-revision-hash"] == hash_
        assert rev["data"]["spec"]["template"]["$patch"] == "replace"
        pods = [p for p in c.store.list("Pod", "kube-system") if p["metadata"]["name"].startswith(f"{ds_name}-")
                and p["metadata"].get("ownerReferences", [{}])[0].get("uid") == ds["metadata"]["uid"]]
        assert pods and {p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {hash_}


def test_the_prompts_rollout_undo_of_a_statefulset():
    c = cluster_with()
    set_image(c, "nginx:1.28")
    out = kubectl.run_line(c, "kubectl rollout undo sts/web")
    assert (out.code, out.stdout, out.stderr) == (0, "statefulset.apps/web rolled back\n", "")
    c.run_until_idle()
    assert c.store.get("StatefulSet", "default", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "nginx:1.27"
    assert sorted(revisions(c).values()) == [2, 3]
    out = kubectl.run_line(c, "kubectl rollout history sts/web")
    assert out.stdout == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"
    out = kubectl.run_line(c, "kubectl rollout undo deploy/counter")  # (one ReplicaSet: nothing to go back to)
    assert (out.code, out.stderr) == (1, 'error: no rollout history found for deployment "counter"\n')
    out = kubectl.run_line(c, "kubectl rollout history sts/web --revision=-1")
    assert (out.code, out.stderr) == (1, "error: revision must be a positive integer: -1\n")
    # each subcommand has its own flag, as kubectl's (pflag's words for the other's)
    out = kubectl.run_line(c, "kubectl rollout history sts/web --to-revision=1")
    assert (out.code, out.stderr) == (1, "error: unknown flag: --to-revision\n"
                                         "See 'kubectl rollout history --help' for usage.\n")
    out = kubectl.run_line(c, "kubectl rollout undo sts/web --revision=1")
    assert (out.code, out.stderr) == (1, "error: unknown flag: --revision\nSee 'kubectl rollout undo --help' for usage.\n")
