"""The everyday programs learners type in a pod after the tutorial: busybox `ps` (the
container's own processes: PID 1 its command, the shell, ps itself), `date` (busybox's and
coreutils' formats, on the cluster's clock), busybox `ip addr` / `ip route` (the pod's IP,
its node's podCIDR and gateway, as kindnet's ptp plugin sets them), and `sleep`'s refusals.
The Debian-based redis image has none of ps and ip."""
from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES


@pytest.fixture(scope="module")
def cluster():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(c, cwd=SAMPLES.parent)
    assert s.feed("kubectl run loop --image=busybox -- sh -c 'while true; do echo hello; sleep 5; done'") == \
        "pod/loop created\n"
    c.run_for(12)
    return c


@pytest.fixture()
def s(cluster) -> Session:
    return Session(cluster, cwd=SAMPLES.parent)


def test_ps_shows_the_main_loop_its_sleep_the_shell_and_itself(s):
    assert s.feed("kubectl exec loop -- ps").splitlines() == [
        "PID   USER     TIME  COMMAND",
        "    1 root      0:00 sh -c while true; do echo hello; sleep 5; done",
        f"{_sleep_pid(s):5d} root      0:00 sleep 5",
        f"{_sleep_pid(s) + 1:5d} root      0:00 ps"]
    assert s.feed("kubectl exec -it loop -- sh") == ""
    lines = s.feed("ps").splitlines()
    shell, ps = (int(line.split()[0]) for line in lines[-2:])
    assert [line.split(None, 3)[3] for line in lines[-2:]] == ["sh", "ps"] and ps == shell + 1
    assert s.feed("echo $$") == f"{shell}\n"


def _sleep_pid(s: Session) -> int:
    procs = s.procs
    pod = s.cluster.get("Pod", "default", "loop")
    table = procs.shell(pod, "loop").pids
    return next(pid for pid, p in table.running.items() if p.argv == ["sleep", "5"])


def test_the_redis_image_has_no_ps_nor_ip(s):
    assert s.feed("kubectl exec deploy/redis -- ps") == (
        "error: Internal error occurred: error executing command in container: failed to exec in container: failed "
        "to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: \"ps\": "
        "executable file not found in $PATH: unknown\n")
    assert s.feed("kubectl exec -it deploy/redis -- bash") == ""
    assert s.feed("ps; echo $?") == "bash: ps: command not found\n127\n"
    assert s.feed("ip route") == "bash: ip: command not found\n"


def test_date_reads_the_cluster_s_clock_in_each_image_s_format(s, cluster):
    now = cluster.now()
    for target in ("loop", "deploy/redis"):  # busybox and coreutils print the same default format
        assert s.feed(f"kubectl exec {target} -- date") == now.strftime("%a %b %e %H:%M:%S UTC %Y") + "\n"
        assert s.feed(f"kubectl exec {target} -- date -u") == now.strftime("%a %b %e %H:%M:%S UTC %Y") + "\n"
    assert s.feed("kubectl exec loop -- date +%Y-%m-%dT%H:%M:%S") == now.strftime("%Y-%m-%dT%H:%M:%S") + "\n"
    assert s.feed("kubectl exec loop -- date +%s") == f"{int(now.timestamp())}\n"
    assert s.feed("kubectl exec loop -- date -R") == now.strftime("%a, %d %b %Y %H:%M:%S +0000") + "\n"
    assert s.feed("kubectl exec loop -- date -Iseconds") == now.strftime("%Y-%m-%dT%H:%M:%S+00:00") + "\n"
    # a line's sleeps have passed for what comes after them
    later = (now + timedelta(seconds=90)).strftime("%H:%M:%S")
    assert s.feed("kubectl exec loop -- sh -c 'sleep 90; date +%T'") == later + "\n"
    assert s.feed("kubectl exec loop -- date -x").startswith("date: unrecognized option: x\nBusyBox v1.37.0")
    assert s.feed("kubectl exec deploy/redis -- date -x") == (
        "date: invalid option -- 'x'\nTry 'date --help' for more information.\ncommand terminated with exit code 1\n")


def test_ip_shows_the_pod_s_address_and_kindnet_s_routes(s, cluster):
    pod = cluster.get("Pod", "default", "loop")
    ip = ipaddress.ip_address(pod["status"]["podIP"])
    cidr = ipaddress.ip_network(next(n.pod_cidr for n in cluster.topology.nodes if n.name == pod["spec"]["nodeName"]))
    gw = cidr.network_address + 1
    assert ip in cidr
    assert s.feed("kubectl exec loop -- ip route") == (
        f"default via {gw} dev eth0 \n{cidr} via {gw} dev eth0  src {ip} \n{gw} dev eth0 scope link  src {ip} \n")
    assert s.feed("kubectl exec loop -- ip r") == s.feed("kubectl exec loop -- ip route show")
    addr = s.feed("kubectl exec loop -- ip addr").splitlines()
    assert addr[0] == "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000"
    assert addr[2] == "    inet 127.0.0.1/8 scope host lo"
    assert addr[6].startswith("2: eth0@if") and addr[6].endswith(
        ": <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue state UP qlen 1000")
    assert addr[8] == f"    inet {ip}/{cidr.prefixlen} brd {cidr.broadcast_address} scope global eth0"
    assert s.feed("kubectl exec loop -- ip route add 1.2.3.0/24 via 1.1.1.1") == (
        "ip: RTNETLINK answers: Operation not permitted\ncommand terminated with exit code 2\n")
    assert s.feed("kubectl exec loop -- which ip") == "/sbin/ip\n"
    # another pod on another node: its own address and its node's range
    other = next(p for p in cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-"))
    assert other["spec"]["nodeName"] != pod["spec"]["nodeName"] or other["status"]["podIP"] != str(ip)
    route = s.feed(f"kubectl exec {other['metadata']['name']} -- ip route").splitlines()
    assert route[2].endswith(f"src {other['status']['podIP']} ")


def test_sleep_refuses_what_is_not_a_number_in_each_image_s_words(s):
    assert s.feed("kubectl exec loop -- sleep abc") == (
        "sleep: invalid number 'abc'\ncommand terminated with exit code 1\n")
    assert s.feed("kubectl exec deploy/redis -- sleep abc") == (
        "sleep: invalid time interval 'abc'\ncommand terminated with exit code 1\n")


def test_each_container_of_a_pod_has_its_own_image_s_programs(tmp_path):
    (tmp_path / "pod.yaml").write_text("""\
apiVersion: v1
kind: Pod
metadata: {name: mixed}
spec:
  containers:
  - {name: db, image: redis}
  - {name: side, image: busybox, command: [sh, -c, "while true; do sleep 10; done"]}
""")
    c = cluster_from_paths([tmp_path], deterministic=True)[0]
    s = Session(c, cwd=tmp_path)
    assert s.feed("kubectl exec mixed -c side -- ps").splitlines()[1] == (
        "    1 root      0:00 sh -c while true; do sleep 10; done")
    assert s.feed("kubectl exec mixed -c db -- ps").endswith('exec: "ps": executable file not found in $PATH: unknown\n')
    assert s.feed("kubectl exec mixed -c db -- which redis-cli") == "/usr/local/bin/redis-cli\n"
