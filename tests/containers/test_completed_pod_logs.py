"""A container whose command ends prints to its log in every front end, not only behind
`svcflow serve`: the pods' shells are the kubelet's runner from the moment a cluster is built
(engine/containers/processes.py), so `svcflow session` and the `:` prompt show what it printed."""
from __future__ import annotations

from pathlib import Path

from engine.apply.workspace import cluster_from_paths
from engine.containers.processes import PodProcesses
from engine.kubectl.session import Session
from tests.helpers import run_cli

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: busybox, command: [echo, hi]}
---
apiVersion: v1
kind: Pod
metadata: {name: later}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: busybox, command: [sh, -c, "echo one; sleep 5; env | grep -c HOME; exit 3"]}
"""


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "pods.yaml").write_text(PODS)
    return tmp_path


def test_a_pod_in_the_folder_that_ends_has_its_log_in_the_session(tmp_path):
    cluster, _ = cluster_from_paths([_folder(tmp_path)], deterministic=True)
    s = Session(cluster, cwd=tmp_path)
    assert s.procs is PodProcesses.of(cluster) and cluster.kubelet.runner is s.procs  # one per cluster
    assert s.feed("kubectl logs hello") == "hi\n"
    assert "Completed" in s.feed("kubectl get po hello")
    cluster.run_for(10)
    assert s.feed("kubectl logs later") == "one\n1\n"
    stamps = [line.split(" ", 1)[0] for line in s.feed("kubectl logs later --timestamps").splitlines()]
    assert stamps[0][:17] == stamps[1][:17] and int(stamps[1][17:19]) - int(stamps[0][17:19]) == 5  # 5 s later
    assert "Error" in s.feed("kubectl get po later")  # exit 3


def test_a_pod_run_at_the_prompt_logs_what_its_pipeline_printed(tmp_path):
    cluster, _ = cluster_from_paths([_folder(tmp_path)], deterministic=True)
    s = Session(cluster, cwd=tmp_path)
    assert s.feed("kubectl run x --image=busybox --restart=Never -- sh -c 'echo hi | wc -c'") == "pod/x created\n"
    assert s.feed("kubectl logs x") == "3\n"
    assert s.feed("kubectl run g --image=busybox --restart=Never -- grep -c localhost /etc/hosts") == "pod/g created\n"
    assert s.feed("kubectl logs g") == "2\n" and "Completed" in s.feed("kubectl get po g")
    assert s.feed("kubectl run f --image=busybox --restart=Never -- sh -c 'for i in 1 2; do echo $i; done'") == \
        "pod/f created\n"
    assert s.feed("kubectl logs f") == "1\n2\n" and "Completed" in s.feed("kubectl get po f")
    assert s.feed("kubectl run t --image=busybox -- tail -f /dev/null") == "pod/t created\n"
    assert "Running" in s.feed("kubectl get po t")  # (the keep-alive idiom keeps running)
    assert s.feed("kubectl run y --image=busybox --restart=Never -- curl web") == "pod/y created\n"  # (no curl in busybox)
    assert "StartError" in s.feed("kubectl get po y")


def test_the_session_command_shows_the_log(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("kubectl logs hello\n")
    got = run_cli("--deterministic", "session", "-f", str(_folder(tmp_path)), str(script))
    assert got.stdout.endswith("$ kubectl logs hello\nhi\n"), got.stdout
