"""`kubectl rollout undo` and `kubectl rollout status` for Deployments (and status for
DaemonSets and StatefulSets), through the REAL kubectl against `svcflow serve`, as kubectl
v1.33 prints them on kind; svcflow's own kubectl on the same cluster prints the same bytes."""
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
    """svcflow's own kubectl on the served cluster (stdout then stderr, as a terminal shows a
    command that writes its error last)."""
    return served.call(lambda: Session(served.cluster, cwd=SAMPLES.parent).feed(line))


def deployment(served, name: str) -> dict:
    return served.call(lambda: served.cluster.store.get("Deployment", "default", name))


def image(served, name: str) -> str:
    return deployment(served, name)["spec"]["template"]["spec"]["containers"][0]["image"]


async def same(served, kubectl, line: str) -> tuple[int, str, str]:
    """The real kubectl's answer to `line`, asserted equal to svcflow's own."""
    code, out, err = await kubectl(*line.split()[1:])
    assert twin(served, line) == out + err, (out, err)
    return code, out, err


async def test_rollout_undo_puts_a_replicasets_template_back(served, kubectl):
    assert (await kubectl("create", "deployment", "x", "--image=nginx:1.27", "--replicas=3"))[0] == 0
    assert (await kubectl("set", "image", "deploy/x", "nginx=nginx:1.28"))[0] == 0
    code, out, _ = await same(served, kubectl, "kubectl rollout history deploy/x")
    assert out == "deployment.apps/x \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    # a client dry run prints the ReplicaSet's template, its pod-template-hash label and all
    code, out, _ = await same(served, kubectl, "kubectl rollout undo deploy/x --dry-run=client")
    assert code == 0 and out.startswith("deployment.apps/x Pod Template:\n  Labels:\tapp=x\n\tpod-template-hash=")
    assert "    Image:\tnginx:1.27\n" in out and out.endswith(" (dry run)\n")
    assert await same(served, kubectl, "kubectl rollout undo deploy/x --dry-run=server") == (
        0, "deployment.apps/x rolled back (server dry run)\n", "")
    assert image(served, "x") == "nginx:1.28"

    # the Deployment's own annotations go, but for those kubectl keeps (its revision)
    assert (await kubectl("annotate", "deploy/x", "note=hi", "kubernetes.io/change-cause=mine"))[0] == 0
    assert await kubectl("rollout", "undo", "deploy/x") == (0, "deployment.apps/x rolled back\n", "")
    assert image(served, "x") == "nginx:1.27"
    assert deployment(served, "x")["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "3"}
    code, out, _ = await same(served, kubectl, "kubectl rollout history deploy/x")
    assert out == "deployment.apps/x \nREVISION  CHANGE-CAUSE\n2         mine\n3         <none>\n\n"

    # svcflow's own undo goes back to 2, and to the annotations its ReplicaSet was given while current
    assert twin(served, "kubectl rollout undo deploy/x") == "deployment.apps/x rolled back\n"
    served.settle()
    assert image(served, "x") == "nginx:1.28"
    assert deployment(served, "x")["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "4", "kubernetes.io/change-cause": "mine", "note": "hi"}
    code, out, _ = await same(served, kubectl, "kubectl rollout history deploy/x")
    assert out == "deployment.apps/x \nREVISION  CHANGE-CAUSE\n3         <none>\n4         mine\n\n"
    assert await same(served, kubectl, "kubectl rollout undo deploy/x --to-revision=4") == (
        0, "deployment.apps/x skipped rollback (current template already matches revision 4)\n", "")
    assert await same(served, kubectl, "kubectl rollout undo deploy/x --to-revision=9") == (
        1, "", "error: unable to find specified revision 9 in history\n")

    assert (await kubectl("rollout", "pause", "deploy/x"))[0] == 0
    assert await same(served, kubectl, "kubectl rollout undo deploy/x") == (
        1, "", "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and "
               "try again\n")
    assert (await kubectl("rollout", "resume", "deploy/x"))[0] == 0
    assert image(served, "x") == "nginx:1.28"


async def test_rollout_undo_refusals(served, kubectl):
    assert await same(served, kubectl, "kubectl rollout undo deploy/redis") == (
        1, "", 'error: no rollout history found for deployment "redis"\n')
    assert await same(served, kubectl, "kubectl rollout undo deploy/redis --to-revision=1") == (
        0, "deployment.apps/redis skipped rollback (current template already matches revision 1)\n", "")
    assert await same(served, kubectl, "kubectl rollout undo svc/redis") == (
        1, "", 'error: error retrieving rollbacker for "Service", no visitor method exists for { Service}\n')
    rs = served.call(lambda: next(r["metadata"]["name"] for r in served.cluster.store.list("ReplicaSet", "default")
                                  if r["metadata"]["name"].startswith("redis-")))
    assert await same(served, kubectl, f"kubectl rollout undo rs/{rs}") == (
        1, "", 'error: no rollbacker has been implemented for "ReplicaSet.apps"\n')
    assert await same(served, kubectl, f"kubectl rollout history rs/{rs}") == (
        1, "", 'error: no history viewer has been implemented for "ReplicaSet.apps"\n')
    assert await same(served, kubectl, "kubectl rollout history svc/redis") == (
        1, "", 'error: error retrieving history for "Service", no visitor method exists for { Service}\n')


async def test_rollout_status_of_a_deployment(served, kubectl):
    assert (await kubectl("create", "deployment", "s", "--image=nginx:1.27", "--replicas=3"))[0] == 0
    assert await same(served, kubectl, "kubectl rollout status deploy/s") == (
        0, 'deployment "s" successfully rolled out\n', "")
    # paused, a new template waits: --watch=false prints the line once, --timeout ends the wait
    assert (await kubectl("rollout", "pause", "deploy/s"))[0] == 0
    assert (await kubectl("set", "image", "deploy/s", "nginx=nginx:1.28"))[0] == 0
    waiting = 'Waiting for deployment "s" rollout to finish: 0 out of 3 new replicas have been updated...\n'
    assert await same(served, kubectl, "kubectl rollout status deploy/s --watch=false") == (0, waiting, "")
    assert await same(served, kubectl, "kubectl rollout status deploy/s -w=false") == (0, waiting, "")
    assert await same(served, kubectl, "kubectl rollout status deploy/s --timeout=1s") == (
        1, waiting, "error: timed out waiting for the condition\n")
    # (paused: no ReplicaSet of the new template yet, the Deployment's revision is still 1)
    assert await same(served, kubectl, "kubectl rollout status deploy/s --revision=2 --watch=false") == (
        1, "", "error: desired revision (2) is different from the running revision (1)\n")
    assert (await kubectl("rollout", "resume", "deploy/s"))[0] == 0
    assert await same(served, kubectl, "kubectl rollout status deploy/s --revision=2") == (
        0, 'deployment "s" successfully rolled out\n', "")


async def test_rollout_status_refusals(served, kubectl):
    assert await same(served, kubectl, "kubectl rollout status svc/redis") == (
        1, "", "error: no status viewer has been implemented for Service\n")
    assert await same(served, kubectl, "kubectl rollout status deploy/nope") == (
        1, "", 'Error from server (NotFound): deployments.apps "nope" not found\n')
    assert await same(served, kubectl, "kubectl rollout status deploy/redis --revision=-1") == (
        1, "", "error: revision must be a positive integer: -1\n")
    for flag, why in (("--timeout=abc", 'time: invalid duration "abc"'), ("--timeout=5", 'time: missing unit in '
                                                                                        'duration "5"'),
                      ("--timeout=3x", 'time: unknown unit "x" in duration "3x"')):
        assert await same(served, kubectl, f"kubectl rollout status deploy/redis {flag}") == (
            1, "", f'error: invalid argument "{flag[10:]}" for "--timeout" flag: {why}\n'
                   "See 'kubectl rollout status --help' for usage.\n")
    code, _, err = await same(served, kubectl, "kubectl rollout undo deploy/redis --timeout=1s")
    assert (code, err) == (1, "error: unknown flag: --timeout\nSee 'kubectl rollout undo --help' for usage.\n")
    code, _, err = await same(served, kubectl, "kubectl rollout history deploy/redis --watch")
    assert (code, err) == (1, "error: unknown flag: --watch\nSee 'kubectl rollout history --help' for usage.\n")


async def test_rollout_status_of_a_daemonset_and_a_statefulset(served, kubectl, tmp_path):
    assert await same(served, kubectl, "kubectl rollout status ds/kindnet -n kube-system") == (
        0, 'daemon set "kindnet" successfully rolled out\n', "")
    f = tmp_path / "web.yaml"
    f.write_text(WEB)
    assert (await kubectl("apply", "-f", str(f)))[0] == 0
    assert await same(served, kubectl, "kubectl rollout status sts/web") == (
        0, "partitioned roll out complete: 2 new pods have been updated...\n", "")
    assert (await kubectl("patch", "sts/web", "-p", '{"spec":{"updateStrategy":{"type":"OnDelete",'
                                                    '"rollingUpdate":null}}}'))[0] == 0
    assert await same(served, kubectl, "kubectl rollout status sts/web") == (
        1, "", "error: rollout status is only available for RollingUpdate strategy type\n")


async def test_a_type_alone_is_each_object_of_it(served, kubectl):
    code, out, err = await same(served, kubectl, "kubectl rollout status deploy -n kube-system")
    assert (code, out, err) == (0, 'deployment "coredns" successfully rolled out\n', "")
    assert await same(served, kubectl, "kubectl rollout status ds -n kube-system") == (
        0, 'daemon set "kindnet" successfully rolled out\ndaemon set "kube-proxy" successfully rolled out\n', "")
    assert await same(served, kubectl, "kubectl rollout status sts -n kube-system") == (
        0, "", "No resources found in kube-system namespace.\n")
    code, out, _ = await same(served, kubectl, "kubectl rollout history deploy -n kube-system")
    assert out == "deployment.apps/coredns \nREVISION  CHANGE-CAUSE\n1         <none>\n\n"
    assert await same(served, kubectl, "kubectl rollout undo deploy -n kube-system") == (
        1, "", 'error: no rollout history found for deployment "coredns"\n')
    assert await same(served, kubectl, "kubectl rollout history sts -n kube-system") == (0, "", "")
    assert await same(served, kubectl, "kubectl rollout status deploy,ds -n kube-system") == (
        0, 'deployment "coredns" successfully rolled out\ndaemon set "kindnet" successfully rolled out\n'
           'daemon set "kube-proxy" successfully rolled out\n', "")
