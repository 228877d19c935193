"""ControllerRevisions through the REAL kubectl against `svcflow serve`, as on kind v1.33:
kube-system's kindnet-<hash> and kube-proxy-<hash> from boot, a StatefulSet's web-<hash> per
template; `rollout history` (the list and `--revision=N`), `rollout undo` (the previous
revision, `--to-revision=N`, an already-current one skipped) for a StatefulSet and a
DaemonSet; the API server's validation of the kind; the revisions garbage-collected with
their set. Each output equal to svcflow's own kubectl on the same cluster."""
from __future__ import annotations

from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import served_samples

served = served_samples()

WEB = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
"""


def twin(served, line: str) -> str:
    """svcflow's own kubectl on the served cluster."""
    return served.call(lambda: Session(served.cluster, cwd=SAMPLES.parent).feed(line))


def revisions(served, ns: str) -> dict[str, int]:
    return served.call(lambda: {r["metadata"]["name"]: r["revision"]
                                for r in served.cluster.store.list("ControllerRevision", ns)})


def pod_hashes(served, ns: str, prefix: str) -> set[str]:
    return served.call(lambda: {p["metadata"]["labels"].get("controller-revision-hash")
                                for p in served.cluster.store.list("Pod", ns)
                                if p["metadata"]["name"].startswith(prefix)
                                and not p["metadata"].get("deletionTimestamp")})


async def test_kind_daemonsets_have_their_revisions_from_boot(served, kubectl):
    code, out, err = await kubectl("get", "controllerrevisions", "-n", "kube-system")
    assert (code, err) == (0, "") and out == twin(served, "kubectl get controllerrevisions -n kube-system")
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert [(r[0].rsplit("-", 1)[0], r[1], r[2]) for r in rows[1:]] == [
        ("kindnet", "daemonset.apps/kindnet", "1"), ("kube-proxy", "daemonset.apps/kube-proxy", "1")]
    # each pod carries its revision's hash, which names the revision
    kindnet = rows[1][0]
    assert pod_hashes(served, "kube-system", "kindnet-") == {kindnet.removeprefix("kindnet-")}
    code, out, _ = await kubectl("get", "controllerrevision", kindnet, "-n", "kube-system", "-o",
                                 "jsonpath={.metadata.labels.controller-revision-hash} {.metadata.ownerReferences[0].kind}"
                                 " {.data.spec.template.spec.containers[0].name}")
    assert out == f"{kindnet.removeprefix('kindnet-')} DaemonSet kindnet-cni"
    code, out, _ = await kubectl("rollout", "history", "ds/kube-proxy", "-n", "kube-system")
    assert out == "daemonset.apps/kube-proxy \nREVISION  CHANGE-CAUSE\n1         <none>\n\n"
    assert out == twin(served, "kubectl rollout history ds/kube-proxy -n kube-system")
    assert await kubectl("rollout", "undo", "ds/kube-proxy", "-n", "kube-system") == (
        1, "", "error: no last revision to roll back to\n")
    assert twin(served, "kubectl rollout undo ds/kube-proxy -n kube-system") == \
        "error: no last revision to roll back to\n"
    code, out, _ = await kubectl("api-resources", "--api-group=apps", "--no-headers")
    assert "controllerrevisions" in out.split() and out.splitlines()[0].split() == [
        "controllerrevisions", "apps/v1", "true", "ControllerRevision"]  # (no short name)
    code, out, _ = await kubectl("explain", "controllerrevision.revision")
    assert code == 0 and "Revision indicates the revision of the state represented by Data." in out


async def test_a_statefulset_rolls_and_rolls_back_through_its_revisions(served, kubectl, tmp_path):
    f = tmp_path / "web.yaml"
    f.write_text(WEB)
    assert (await kubectl("apply", "-f", str(f)))[0] == 0
    first = served.call(lambda: served.cluster.store.get("StatefulSet", "default", "web")["status"]["updateRevision"])
    assert revisions(served, "default") == {first: 1}
    assert (await kubectl("set", "image", "sts/web", "nginx=nginx:1.28"))[0] == 0
    second = served.call(lambda: served.cluster.store.get("StatefulSet", "default", "web")["status"]["updateRevision"])
    assert second != first and revisions(served, "default") == {first: 1, second: 2}
    assert pod_hashes(served, "default", "web-") == {second}
    code, out, err = await kubectl("get", "controllerrevisions")
    assert (code, err) == (0, "") and out == twin(served, "kubectl get controllerrevisions")
    assert [line.split()[:3] for line in out.splitlines()[1:]] == sorted(
        [[first, "statefulset.apps/web", "1"], [second, "statefulset.apps/web", "2"]])

    code, out, _ = await kubectl("rollout", "history", "sts/web")
    assert out == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    assert out == twin(served, "kubectl rollout history sts/web")
    code, out, _ = await kubectl("rollout", "history", "sts/web", "--revision=2")
    assert out.startswith("statefulset.apps/web with revision #2\nPod Template:\n  Labels:\tapp=web\n")
    assert "    Image:\tnginx:1.28\n" in out and out == twin(served, "kubectl rollout history sts/web --revision=2")
    assert await kubectl("rollout", "history", "sts/web", "--revision=7") == (
        1, "", "error: unable to find the specified revision\n")
    assert twin(served, "kubectl rollout history sts/web --revision=7") == "error: unable to find the specified revision\n"
    code, out, _ = await kubectl("rollout", "undo", "sts/web", "--dry-run=client")
    assert out.startswith("statefulset.apps/web will roll back to Pod Template:\n") and out.endswith(" (dry run)\n")
    assert "nginx:1.27" in out and out == twin(served, "kubectl rollout undo sts/web --dry-run=client")

    # undo: the first revision's template again, under the next number (no third revision)
    assert await kubectl("rollout", "undo", "sts/web") == (0, "statefulset.apps/web rolled back\n", "")
    assert revisions(served, "default") == {first: 3, second: 2}
    assert pod_hashes(served, "default", "web-") == {first}
    code, out, _ = await kubectl("get", "sts", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} "
                                 "{.status.currentRevision} {.status.updateRevision}")
    assert out == f"nginx:1.27 {first} {first}"
    skipped = "statefulset.apps/web skipped rollback (current template already matches revision 3)\n"
    assert await kubectl("rollout", "undo", "sts/web", "--to-revision=3") == (0, skipped, "")
    assert twin(served, "kubectl rollout undo sts/web --to-revision=3") == skipped
    assert await kubectl("rollout", "undo", "sts/web", "--to-revision=9") == (
        1, "", "error: unable to find specified revision 9 in history\n")
    assert twin(served, "kubectl rollout undo sts/web --to-revision=9") == \
        "error: unable to find specified revision 9 in history\n"
    # svcflow's own undo goes back to revision 2
    assert twin(served, "kubectl rollout undo sts/web --to-revision=2") == "statefulset.apps/web rolled back\n"
    served.settle()
    assert revisions(served, "default") == {first: 3, second: 4}
    assert pod_hashes(served, "default", "web-") == {second}

    code, out, _ = await kubectl("get", "controllerrevision", second, "-o", "yaml")
    assert out == twin(served, f"kubectl get controllerrevision {second} -o yaml")
    assert "  spec:\n    template:\n      $patch: replace\n      metadata:\n        creationTimestamp: null\n" in out
    assert f"    controller.kubernetes.io/hash: {second.removeprefix('web-')}\n" in out and "revision: 4\n" in out
    code, out, _ = await kubectl("describe", "controllerrevision", second)
    assert out == twin(served, f"kubectl describe controllerrevision {second}")

    assert (await kubectl("delete", "sts", "web"))[0] == 0
    assert revisions(served, "default") == {}


async def test_a_daemonset_rolls_and_rolls_back(served, kubectl):
    ks = ("-n", "kube-system")
    before = pod_hashes(served, "kube-system", "kindnet-")
    assert (await kubectl("set", "image", "ds/kindnet", "kindnet-cni=docker.io/kindest/kindnetd:v2", *ks))[0] == 0
    revs = {n: r for n, r in revisions(served, "kube-system").items() if n.startswith("kindnet-")}
    assert sorted(revs.values()) == [1, 2]
    new = next(n for n, r in revs.items() if r == 2).removeprefix("kindnet-")
    assert pod_hashes(served, "kube-system", "kindnet-") == {new}
    code, out, _ = await kubectl("get", "ds", "kindnet", *ks, "-o", "jsonpath={.status.updatedNumberScheduled}/"
                                 "{.status.desiredNumberScheduled}")
    assert out == "3/3"
    code, out, _ = await kubectl("rollout", "history", "ds/kindnet", *ks)
    assert out == "daemonset.apps/kindnet \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    assert out == twin(served, "kubectl rollout history ds/kindnet -n kube-system")
    code, out, _ = await kubectl("rollout", "history", "ds/kindnet", *ks, "--revision=1")
    assert "    Image:\tdocker.io/kindest/kindnetd:v20250512-df8de77b\n" in out
    assert out == twin(served, "kubectl rollout history ds/kindnet -n kube-system --revision=1")
    assert await kubectl("rollout", "undo", "ds/kindnet", *ks) == (0, "daemonset.apps/kindnet rolled back\n", "")
    assert pod_hashes(served, "kube-system", "kindnet-") == before
    revs = {n: r for n, r in revisions(served, "kube-system").items() if n.startswith("kindnet-")}
    assert sorted(revs.values()) == [2, 3] and revs[f"kindnet-{next(iter(before))}"] == 3


async def test_the_api_server_validates_controller_revisions(served, kubectl, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: ControllerRevision\nmetadata:\n  name: bad\nrevision: -1\n")
    want = ('The ControllerRevision "bad" is invalid: \n* data: Required value: data is mandatory\n'
            "* revision: Invalid value: -1: must be greater than or equal to 0\n")
    assert await kubectl("create", "-f", str(bad)) == (1, "", want)
    good = tmp_path / "good.yaml"
    good.write_text('apiVersion: apps/v1\nkind: ControllerRevision\nmetadata:\n  name: good\ndata: {"a": 1}\n'
                    "revision: 1\n")
    assert await kubectl("create", "-f", str(good)) == (0, "controllerrevision.apps/good created\n", "")
    code, out, err = await kubectl("patch", "controllerrevision", "good", "--type=merge", "-p", '{"data":{"a":2}}')
    assert code == 1 and err.startswith('The ControllerRevision "good" is invalid: data: Invalid value: ')
    assert err.endswith(": field is immutable\n")
    assert (await kubectl("patch", "controllerrevision", "good", "--type=merge", "-p", '{"revision":5}'))[0] == 0
    code, out, _ = await kubectl("get", "controllerrevision", "good")
    assert out.splitlines()[1].split()[:3] == ["good", "<none>", "5"]
    assert out == twin(served, "kubectl get controllerrevision good")
