"""`kubectl logs --previous` (`-p`): the log of a container's last terminated instance, as
the kubelet keeps one per container (validateContainerLogStatus reads `lastState.terminated`):
a crash-looping container's last run while it waits in CrashLoopBackOff, the run before once
it runs again, and the kubelet's `previous terminated container ... not found` for a container
never restarted (an ImagePullBackOff one has none either). The real kubectl against `svcflow
serve` and svcflow's own session on a twin cluster print the same bytes."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, served_samples

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers: [{name: c, image: busybox, command: [sh, -c, 'echo run at $(date); exit 1']}]
---
apiVersion: v1
kind: Pod
metadata: {name: naps}
spec:
  containers: [{name: c, image: busybox, command: [sh, -c, 'echo up at $(date); sleep 30; echo down; exit 3']}]
---
apiVersion: v1
kind: Pod
metadata: {name: done}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [echo, bye]}]
"""

#: (seconds the clocks run first, the command) -- each answered alike by both.
STEPS = [
    (0, "kubectl logs crash -p"),  # (exited once, not restarted yet: lastState is empty)
    (0, "kubectl logs done --previous"),  # (never restarted)
    (0, "kubectl logs naps -p"),
    (0, "kubectl logs nosuch -p"),
    (3, "kubectl logs crash -p"),  # CrashLoopBackOff: its last run
    (0, "kubectl logs crash"),
    (0, "kubectl logs crash --previous --timestamps"),
    (0, "kubectl logs crash -p -c nope"),
    (31, "kubectl logs naps -p"),  # running again: the run before
    (0, "kubectl logs naps"),
    (0, "kubectl logs naps -p --tail=1"),
]


served = served_samples(scope="function")  # (each test changes the cluster)


async def test_logs_previous_prints_what_the_real_kubectl_prints(served, tmp_path):
    kubectl = Kubectl(served, tmp_path / "k")
    twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(PODS)
    assert (await kubectl("apply", "-f", str(manifest)))[0] == 0
    assert twin.feed(f"kubectl apply -f {manifest}").startswith("pod/crash created")
    served.settle()
    twin.cluster.run_until_idle()
    seen = {}
    for seconds, line in STEPS:
        if seconds:
            served.call(lambda s=seconds: served.cluster.run_for(s))
            twin.cluster.run_for(seconds)
        code, out, err = await kubectl(*line.split()[1:])
        assert out + err == twin.feed(line), line
        seen[line] = (code, out, err)
    assert seen["kubectl logs crash -p"][0] == 0  # (the last step of that line: CrashLoopBackOff)
    assert seen["kubectl logs crash -p"][1] == seen["kubectl logs crash"][1]
    assert seen["kubectl logs crash -p"][1].startswith("run at ")
    assert seen["kubectl logs done --previous"] == (
        1, "", 'Error from server (BadRequest): previous terminated container "c" in pod "done" not found\n')
    first, now = seen["kubectl logs naps -p"][1], seen["kubectl logs naps"][1]
    assert first.startswith("up at ") and first.endswith("down\n") and now.startswith("up at ") and first != now
    assert seen["kubectl logs naps -p --tail=1"][1] == "down\n"
    # following the previous instance: its log is whole (it terminated), so the follow ends at once
    assert await kubectl("logs", "-f", "-p", "naps", timeout=20) == (0, first, "")
