"""Which main processes end, and how the kubelet shows it (engine/kubelet/runtime.py,
kubelet.py), on a deterministic cluster with svcflow's own kubectl: a pod whose command ends
is Completed (or Error with its exit code) at once, a `sleep N` ends N seconds later, a
server or an unknown program keeps running, and restartPolicy Always restarts with the
kubelet's back-off (10 s doubling, CrashLoopBackOff)."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl import commands
from engine.kubelet.runtime import Fate, backoff_message, backoff_seconds, command_fate, container_fate
from tests.helpers import SAMPLES


@pytest.mark.parametrize(("argv", "stdin", "fate"), [
    (["echo", "hi"], False, Fate()),
    (["nslookup", "redis"], True, Fate()),
    (["false"], False, Fate(code=1)),
    (["sh", "-c", "exit 3"], False, Fate(code=3)),
    (["sh", "-c", "echo a; sleep 5; echo b && sleep 1m"], False, Fate(after=65)),
    (["sleep", "3600"], False, Fate(after=3600)),
    (["sleep", "infinity"], False, Fate(runs=True)),
    (["sh", "-c", "while true; do sleep 1; done"], False, Fate(runs=True)),
    (["sh"], True, Fate(interactive=True)),
    (["/bin/sh"], False, Fate()),  # stdin at its end: the shell exits 0
    (["redis-server"], False, Fate(runs=True)),
    (["my-app", "--serve"], False, Fate(runs=True)),  # unknown: left running, as a server
    ([], False, Fate(runs=True)),
])
def test_the_fate_of_a_main_process(argv, stdin, fate):
    assert command_fate(argv, stdin=stdin) == fate


def test_an_image_whose_default_command_is_a_shell_waits_on_an_open_stdin_only():
    assert container_fate({"name": "c", "image": "busybox:1.36", "stdin": True}).interactive
    assert container_fate({"name": "c", "image": "busybox"}).runs  # (svcflow leaves it running)
    assert container_fate({"name": "c", "image": "nginx", "stdin": True}).runs


def test_the_back_off_doubles_from_10s_to_5_minutes():
    assert [backoff_seconds(n) for n in range(1, 8)] == [0, 10, 20, 40, 80, 160, 300]
    pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u-1"}}
    assert backoff_message(300, "c", pod) == "back-off 5m0s restarting failed container=c pod=p_ns(u-1)"
    assert backoff_message(40, "c", pod) == "back-off 40s restarting failed container=c pod=p_ns(u-1)"


PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [echo, hi]}]
---
apiVersion: v1
kind: Pod
metadata: {name: fails}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [sh, -c, exit 7]}]
---
apiVersion: v1
kind: Pod
metadata: {name: nap}
spec:
  restartPolicy: OnFailure
  containers: [{name: c, image: busybox, args: [sleep, "30"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: loop}
spec:
  containers: [{name: c, image: busybox, command: [echo, hi]}]
---
apiVersion: v1
kind: Pod
metadata: {name: server}
spec:
  restartPolicy: Never
  containers: [{name: c, image: nginx}]
"""


def _rows(cluster) -> dict[str, list[str]]:
    out = commands.run_line(cluster, "kubectl get po once fails nap loop server").stdout
    return {line.split()[0]: line.split()[1:4] for line in out.splitlines()[1:]}


def test_pods_complete_restart_and_keep_running_as_their_commands_say(tmp_path):
    (tmp_path / "p.yaml").write_text(PODS)
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    rows = _rows(cluster)
    assert rows.pop("loop")[0] == "0/1"  # Completed, restarted, or already backing off (other pods' timers)
    assert rows == {"once": ["0/1", "Completed", "0"], "fails": ["0/1", "Error", "0"],
                    "nap": ["1/1", "Running", "0"], "server": ["1/1", "Running", "0"]}
    fails = cluster.get("Pod", "default", "fails")
    assert fails["status"]["phase"] == "Failed"
    assert fails["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 7
    assert {c["type"]: (c["status"], c.get("reason")) for c in fails["status"]["conditions"]} == {
        "PodReadyToStartContainers": ("False", None), "Initialized": ("True", "PodCompleted"),
        "Ready": ("False", "PodCompleted"), "ContainersReady": ("False", "PodCompleted"),
        "PodScheduled": ("True", None)}
    cluster.run_for(5)
    rows = _rows(cluster)
    assert rows["loop"][:2] == ["0/1", "CrashLoopBackOff"]
    assert rows["nap"] == ["1/1", "Running", "0"]
    restarts = int(rows["loop"][2])
    cluster.run_for(30)
    rows = _rows(cluster)
    assert rows["nap"] == ["0/1", "Completed", "0"]  # OnFailure: exit 0 is the end
    assert rows["server"] == ["1/1", "Running", "0"]
    cluster.run_for(600)
    rows = _rows(cluster)
    assert rows["loop"][:2] == ["0/1", "CrashLoopBackOff"] and int(rows["loop"][2]) > restarts
    loop = cluster.get("Pod", "default", "loop")["status"]
    assert loop["phase"] == "Running"
    assert loop["containerStatuses"][0]["state"]["waiting"]["message"].startswith(
        "back-off 5m0s restarting failed container=c pod=loop_default(")
    assert loop["containerStatuses"][0]["lastState"]["terminated"]["reason"] == "Completed"


def test_deleting_a_completed_pod_stops_no_container(tmp_path):
    (tmp_path / "p.yaml").write_text(PODS)
    cluster = cluster_from_paths([SAMPLES, tmp_path], deterministic=True)[0]
    commands.run_line(cluster, "kubectl delete po once server --wait=false")
    cluster.run_until_idle()
    killing = [(e["involvedObject"]["name"], e["message"]) for e in cluster.store.list("Event", "default")
               if e.get("reason") == "Killing"]
    assert killing == [("server", "Stopping container c")]
    assert commands.run_line(cluster, "kubectl get po once").stderr == 'Error from server (NotFound): pods "once" not found\n'
