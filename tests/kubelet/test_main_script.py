"""A container whose main process is a shell script runs it on the cluster's clock
(engine/containers/mainproc.py): the tutorials' `while true; do echo hello $(date); sleep 5;
done` stays Running and logs a line every 5 s, each with the date the cluster's clock says;
`sleep 3600`, `sleep infinity` and `tail -f /dev/null` keep a container up in silence; a loop
that ends does so after its sleeps, then restarts or completes as restartPolicy says."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  containers:
  - {name: c, image: busybox, command: [sh, -c, "while true; do echo hello $(date); sleep 5; done"]}
---
apiVersion: v1
kind: Pod
metadata: {name: count}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: alpine, command: [/bin/sh, -c], args: ["for i in 1 2 3; do echo $i; sleep 1; done"]}
---
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  containers:
  - {name: c, image: busybox, command: [sh, -c, "echo start; sleep 2; exit 1"]}
---
apiVersion: v1
kind: Pod
metadata: {name: nap}
spec:
  containers:
  - {name: a, image: busybox, command: [sleep, "3600"]}
  - {name: b, image: busybox, command: [sleep, infinity]}
  - {name: t, image: alpine, command: [tail, -f, /dev/null]}
"""


def _session(tmp_path: Path) -> tuple:
    (tmp_path / "pods.yaml").write_text(PODS)
    cluster, _ = cluster_from_paths([tmp_path], deterministic=True)
    return cluster, Session(cluster, cwd=tmp_path)


def _row(s: Session, pod: str) -> list[str]:
    return s.feed(f"kubectl get po {pod}").splitlines()[1].split()[1:4]


def _stamps(s: Session, pod: str) -> list[tuple[datetime, str]]:
    out = []
    for line in s.feed(f"kubectl logs {pod} --timestamps").splitlines():
        stamp, text = line.split(" ", 1)
        out.append((datetime.fromisoformat(stamp[:26] + "+00:00"), text))
    return out


def test_a_looping_main_process_logs_every_5_seconds_and_keeps_running(tmp_path):
    cluster, s = _session(tmp_path)
    cluster.run_for(60)
    assert _row(s, "hello") == ["1/1", "Running", "0"]
    lines = _stamps(s, "hello")
    assert 12 <= len(lines) <= 13  # one a 5 s round in the minute it ran
    for (t, text), (t2, _) in zip(lines, lines[1:]):
        assert t2 - t == timedelta(seconds=5)
    for t, text in lines:  # $(date) is the cluster's clock at that round, busybox's format, word-split by echo
        assert text == "hello " + " ".join(t.strftime("%a %b %e %H:%M:%S UTC %Y").split())
    # the log keeps growing as the cluster's clock moves on; --tail and --since pick from it
    cluster.run_for(20)
    assert len(_stamps(s, "hello")) == len(lines) + 4
    assert s.feed("kubectl logs hello --tail=2").splitlines() == [t for _, t in _stamps(s, "hello")[-2:]]


def test_sleep_and_tail_keep_a_container_running_in_silence(tmp_path):
    cluster, s = _session(tmp_path)
    cluster.run_for(120)
    assert _row(s, "nap") == ["3/3", "Running", "0"]
    assert [s.feed(f"kubectl logs nap -c {c}") for c in "abt"] == ["", "", ""]


def test_a_loop_that_ends_ends_after_its_sleeps(tmp_path):
    cluster, s = _session(tmp_path)
    (first, text), = _stamps(s, "count")
    assert text == "1"
    cluster.run_for((first + timedelta(seconds=2.5) - cluster.now()).total_seconds())
    assert _row(s, "count") == ["1/1", "Running", "0"]
    assert [(t - first, text) for t, text in _stamps(s, "count")] == [
        (timedelta(0), "1"), (timedelta(seconds=1), "2"), (timedelta(seconds=2), "3")]
    cluster.run_for(1)
    assert _row(s, "count") == ["0/1", "Completed", "0"]  # (after the third sleep: 3 s in)
    term = cluster.get("Pod", "default", "count")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (datetime.fromisoformat(term["finishedAt"].replace("Z", "+00:00")) -
            datetime.fromisoformat(term["startedAt"].replace("Z", "+00:00"))) == timedelta(seconds=3)


def test_a_script_that_fails_after_a_sleep_restarts_and_logs_its_own_run(tmp_path):
    cluster, s = _session(tmp_path)
    assert _row(s, "again") == ["1/1", "Running", "0"]
    cluster.run_for(2.5)
    row = _row(s, "again")
    assert row[1] in ("Error", "Running") and s.feed("kubectl logs again") == "start\n"
    cluster.run_for(60)
    restarts = int(_row(s, "again")[2])
    assert restarts >= 2
    assert s.feed("kubectl logs again") == "start\n"  # (this run's log only)
    last = cluster.get("Pod", "default", "again")["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (1, "Error")


def test_a_deleted_pod_s_loop_stops_with_it(tmp_path):
    cluster, s = _session(tmp_path)
    cluster.run_for(12)
    procs = s.procs
    before = len(procs.process(cluster.get("Pod", "default", "hello"), "c").log)
    assert s.feed("kubectl delete po hello --grace-period=0 --force").endswith('pod "hello" force deleted\n')
    cluster.run_for(30)
    assert all(not k.startswith("default/hello/") for k in procs.scripts) or \
        all(m.done for k, m in procs.scripts.items() if k.startswith("default/hello/"))
    assert before >= 3


def test_a_loop_with_no_sleep_is_held_to_a_bounded_pace(tmp_path):
    cluster, s = _session(tmp_path)
    assert s.feed("kubectl run busy --image=busybox -- sh -c 'while true; do echo hi; done'") == "pod/busy created\n"
    cluster.run_for(10)
    lines = s.feed("kubectl logs busy").splitlines()
    assert set(lines) == {"hi"} and 1000 <= len(lines) <= 1200  # (a thousand at once, then 10 rounds a second)
    assert _row(s, "busy") == ["1/1", "Running", "0"]
    # a loop that ends, however many rounds it has, ends at once as it would on a node
    assert s.feed("kubectl run seq --image=busybox --restart=Never -- sh -c 'for i in $(seq 1 500); do echo $i; done'")\
        == "pod/seq created\n"
    assert _row(s, "seq") == ["0/1", "Completed", "0"] and len(s.feed("kubectl logs seq").splitlines()) == 500


def test_a_script_that_waits_for_ever_keeps_its_container_up(tmp_path):
    cluster, s = _session(tmp_path)
    for name, script in (("inf", "echo up; sleep infinity"), ("tailf", "echo up; tail -f /dev/null"),
                         ("execinf", "echo up; exec sleep infinity")):
        assert s.feed(f"kubectl run {name} --image=busybox -- sh -c '{script}'") == f"pod/{name} created\n"
    assert s.feed("kubectl run execs --image=busybox --restart=Never -- sh -c 'echo up; exec sleep 3'") == \
        "pod/execs created\n"
    cluster.run_for(2)
    assert _row(s, "execs") == ["1/1", "Running", "0"]
    cluster.run_for(600)
    for name in ("inf", "tailf", "execinf"):
        assert _row(s, name) == ["1/1", "Running", "0"] and s.feed(f"kubectl logs {name}") == "up\n"
    assert _row(s, "execs") == ["0/1", "Completed", "0"]
    # `exec` made the shell the program: PID 1 is `sleep infinity` now, with no shell left
    assert s.feed("kubectl exec execinf -- ps").splitlines()[1:] == [
        "    1 root      0:00 sleep infinity", f"{_ps_pid(s, 'execinf'):5d} root      0:00 ps"]
    assert s.feed("kubectl exec inf -- ps").splitlines()[1:3] == [
        "    1 root      0:00 sh -c echo up; sleep infinity", "    2 root      0:00 sleep infinity"]


def _ps_pid(s: Session, pod: str) -> int:
    return int(s.feed(f"kubectl exec {pod} -- sh -c 'echo $$'")) + 1


def test_two_looping_containers_of_one_pod_log_each_its_own(tmp_path):
    (tmp_path / "two.yaml").write_text("""\
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - {name: a, image: busybox, command: [sh, -c, "while true; do echo a; sleep 2; done"]}
  - {name: b, image: alpine, command: [sh, -c, "while true; do echo b; sleep 3; done"]}
""")
    cluster, _ = cluster_from_paths([tmp_path], deterministic=True)
    s = Session(cluster, cwd=tmp_path)
    cluster.run_for(12)
    a, b = s.feed("kubectl logs two -c a").splitlines(), s.feed("kubectl logs two -c b").splitlines()
    assert set(a) == {"a"} and set(b) == {"b"} and 6 <= len(a) <= 7 and 4 <= len(b) <= 5
    assert _row(s, "two") == ["2/2", "Running", "0"]


def test_a_sleep_typed_in_a_pod_lets_the_loop_go_on(tmp_path):
    cluster, s = _session(tmp_path)
    lines = len(_stamps(s, "hello"))
    assert s.feed("kubectl exec -it hello -- sh") == ""
    assert s.feed("sleep 10; date +%s") == f"{int(cluster.now().timestamp())}\n"  # (the clock is past the sleep)
    assert s.feed("exit") == ""
    assert len(_stamps(s, "hello")) == lines + 2  # two more rounds of the loop went by meanwhile
    assert s.feed("kubectl exec hello -- sleep 5") == "" and len(_stamps(s, "hello")) == lines + 3
