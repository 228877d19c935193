"""A pod deleted gracefully, as the kubelet reports it (tester4 #15): SIGTERM to its
containers (`Killing`), nginx exits 0 at once while a `sleep` (PID 1 without a handler) runs
until the grace period is over and is killed (137); then the kubelet writes the containers
terminated and not ready (the phase held at Running: `0/1 Terminating`), then the terminal
phase (`0/1 Completed` / `0/1 Error`), and only then deletes the pod with grace period 0.
What a learner watching `kubectl get po -w` sees, through the real kubectl too."""
from __future__ import annotations

import asyncio

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from engine.kubectl.printers.get import pod_status_cells
from engine.kubelet.runtime import KILLED, SHUTDOWN_SECONDS, Stop, on_sigterm
from tests.helpers import SAMPLES, apply_yaml
from tests.served import served_samples

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: sleeper}
spec:
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: quick}
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: busybox, command: [sh, -c, "sleep 3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: short}
spec:
  containers: [{name: c, image: busybox, command: [sleep, "20"]}]
"""


@pytest.fixture
def cluster() -> Cluster:
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    apply_yaml(c, PODS)
    c.run_until_idle()
    return c


def watch(c: Cluster, name: str) -> list[tuple[float, str, str, str, str]]:
    """What `kubectl get po NAME -w` prints after the list: (seconds since the watch began,
    the event, READY, STATUS, RESTARTS) per event."""
    start = c.clock.now()
    rows: list[tuple[float, str, str, str, str]] = []

    def on(ev) -> None:
        if ev.obj["metadata"]["name"] == name:
            rows.append((round((c.clock.now() - start).total_seconds(), 3), ev.type,
                         *pod_status_cells(ev.obj, c.clock.now())))
    c.store.watch("Pod", on)
    return rows


def test_nginx_stops_at_once_and_its_pod_shows_0_of_1_terminating_then_completed(cluster):
    c = cluster
    rows = watch(c, "web")
    seen = {}

    def statuses(ev) -> None:
        if ev.obj["metadata"]["name"] == "web" and ev.type == "MODIFIED" and \
                not ev.obj["status"]["containerStatuses"][0]["ready"]:
            seen.setdefault(ev.obj["status"]["phase"], ev.obj)
    c.store.watch("Pod", statuses)
    assert kubectl.run_line(c, "kubectl delete pod web --wait=false").stdout == 'pod "web" deleted\n'
    c.run_until_idle()
    assert rows == [
        (0.0, "MODIFIED", "1/1", "Terminating", "0"),  # the API server's deletionTimestamp
        (SHUTDOWN_SECONDS, "MODIFIED", "0/1", "Terminating", "0"),  # the kubelet: stopped, not ready
        (SHUTDOWN_SECONDS, "MODIFIED", "0/1", "Completed", "0"),  # ... then the terminal phase
        (SHUTDOWN_SECONDS, "MODIFIED", "0/1", "Completed", "0"),  # its delete: grace period 0
        (SHUTDOWN_SECONDS, "DELETED", "0/1", "Completed", "0"),
    ]
    stopped = seen["Running"]
    (cs,) = stopped["status"]["containerStatuses"]
    assert (cs["ready"], cs["started"]) == (False, False)
    term = cs["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")
    assert term["startedAt"] < term["finishedAt"] and term["containerID"] == cs["containerID"]
    conds = {x["type"]: (x["status"], x.get("reason")) for x in stopped["status"]["conditions"]}
    assert conds["Ready"] == ("False", "PodCompleted") and conds["ContainersReady"] == ("False", "PodCompleted")
    assert conds["PodReadyToStartContainers"] == ("False", None)
    assert seen["Succeeded"]["metadata"]["deletionGracePeriodSeconds"] == 30
    assert c.store.get("Pod", "default", "web") is None
    killing = [e["message"] for e in c.store.list("Event", "default")
               if e["involvedObject"]["name"] == "web" and e["reason"] == "Killing"]
    assert killing == ["Stopping container web"]


def test_a_sleep_waits_out_the_grace_period_and_is_killed(cluster):
    c = cluster
    rows = watch(c, "sleeper")
    kubectl.run_line(c, "kubectl delete pod sleeper --wait=false")
    c.run_for(29)
    assert kubectl.run_line(c, "kubectl get pod sleeper").stdout.splitlines()[1].split()[1:3] == \
        ["1/1", "Terminating"]
    c.run_until_idle()
    assert [r[1:] for r in rows] == [("MODIFIED", "1/1", "Terminating", "0"), ("MODIFIED", "0/1", "Terminating", "0"),
                                     ("MODIFIED", "0/1", "Error", "0"), ("MODIFIED", "0/1", "Error", "0"),
                                     ("DELETED", "0/1", "Error", "0")]
    assert [r[0] for r in rows] == [0.0, 30.0, 30.0, 30.0, 30.0]
    assert c.store.get("Pod", "default", "sleeper") is None


def test_the_pods_grace_period_and_a_command_that_ends_first(cluster):
    c = cluster
    quick, short = watch(c, "quick"), watch(c, "short")
    kubectl.run_line(c, "kubectl delete pod quick short --wait=false")
    c.run_until_idle()
    assert [r[0] for r in quick] == [0.0, 5.0, 5.0, 5.0, 5.0] and quick[2][3] == "Error"
    # `sleep 20` started a few seconds before the delete: it ends by itself, exit 0, before the 30 s
    assert 15 < short[1][0] < 20 and [r[3] for r in short] == ["Terminating", "Terminating", "Completed", "Completed",
                                                          "Completed"]


@pytest.mark.parametrize(("container", "handles", "ran_for", "stop"), [
    ({"name": "c", "image": "nginx"}, True, 10, Stop(SHUTDOWN_SECONDS, 0)),
    ({"name": "c", "image": "busybox"}, False, 10, Stop(30, KILLED)),  # (its default command: sh)
    ({"name": "c", "image": "busybox", "command": ["sleep", "20"]}, False, 10, Stop(10, 0)),
    ({"name": "c", "image": "busybox", "command": ["sleep", "50"]}, False, 10, Stop(30, KILLED)),
    ({"name": "c", "image": "nginx", "command": ["sh", "-c", "while true; do sleep 1; done"]}, True, 1,
     Stop(30, KILLED)),
    ({"name": "c", "image": "my-app"}, False, 1, Stop(30, KILLED)),
])
def test_what_a_main_process_does_with_sigterm(container, handles, ran_for, stop):
    assert on_sigterm(container, handles, 30, ran_for) == stop


served = served_samples()


async def test_the_real_kubectl_get_w_shows_the_kubelet_stopping_the_pod(served, kubectl, tmp_path):
    served.call(lambda: apply_yaml(served.cluster, PODS.split("---")[0]))
    served.settle()
    proc = await asyncio.create_subprocess_exec(
        *kubectl.argv("get", "po", "web", "-w"), env=kubectl.env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        head = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(2)]
        assert head[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert head[1].split()[:4] == ["web", "1/1", "Running", "0"]
        assert await kubectl("delete", "pod", "web", "--wait=false") == (0, 'pod "web" deleted\n', "")
        rows = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode().split()[:4] for _ in range(5)]
        assert rows == [["web", "1/1", "Terminating", "0"], ["web", "0/1", "Terminating", "0"],
                        ["web", "0/1", "Completed", "0"], ["web", "0/1", "Completed", "0"],
                        ["web", "0/1", "Completed", "0"]]
    finally:
        proc.kill()
        await proc.wait()
