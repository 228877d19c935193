"""busybox applets take their flags as busybox's getopt32 reads them (networking/wget.c
`cqSO:o:P:Y:U:T:+`, nc_bloaty.c `np:s:ubvw:+lkz`): `-T 2` is a timeout, not the URL;
`-qO-` is -q and -O -; options bundle and may follow the URL."""
from __future__ import annotations

import time

import pytest

from engine.kubectl.session import Session
from tests.helpers import SAMPLES


@pytest.fixture()
def sh(cluster) -> Session:
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/counter -- sh") == ""
    return s


def svc_ip(cluster, name: str) -> str:
    return cluster.store.get("Service", "default", name)["spec"]["clusterIP"]


def test_wget_timeout_and_output_flags(sh, cluster):
    ip = svc_ip(cluster, "counter-np")
    first = int(sh.feed("wget -qO- -T 2 counter-np:3000"))  # the tester's line: -T SEC, then the URL
    assert sh.feed("wget -T 2 -q -O - counter-np:3000") == f"{first + 1}\n"
    assert sh.feed("wget --timeout=2 -qO- counter-np:3000") == f"{first + 2}\n"
    assert sh.feed("wget -qO- counter-np:3000 -T 2") == f"{first + 3}\n"  # GNU getopt: options after the URL
    assert sh.feed("wget -O - counter-np:3000") == (
        f"Connecting to counter-np:3000 ({ip}:3000)\nwriting to stdout\n{first + 4}\n"
        "-                    100% |********************************|  1  0:00:00 ETA\nwritten to stdout\n")
    assert sh.feed("wget -O - counter-np:3000 2>/dev/null") == f"{first + 5}\n"  # the chatter is stderr
    assert sh.feed("wget -q -S -O- counter-np:3000") == f"  HTTP/1.1 200 OK\n{first + 6}\n"
    assert sh.feed("wget -q counter-np:3000 && cat index.html") == f"{first + 7}\n"
    assert sh.feed("wget -qO /tmp/n counter-np:3000; cat /tmp/n") == f"{first + 8}\n"


def test_wget_failures_and_exit_codes(sh):
    assert sh.feed("wget -qO- -T 2 nope; echo $?") == "wget: bad address 'nope:80'\n1\n"
    # a SYN nobody answers: -T's seconds, then busybox's alarm says so
    assert sh.feed("wget -qO- -T 2 10.96.0.99:80; echo $?") == "wget: download timed out\n1\n"
    assert sh.feed("wget -x counter-np:3000; echo $?").startswith(
        "wget: invalid option -- 'x'\nBusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: wget ")
    assert sh.feed("wget -T x counter-np:3000") == "wget: invalid number 'x'\n"


def test_nc_scan_flags(sh, cluster):
    ip = svc_ip(cluster, "redis")
    assert sh.feed("nc -zv -w 2 redis 6379; echo $?") == f"redis ({ip}:6379) open\n0\n"
    assert sh.feed("nc -z -w 2 redis 6379; echo $?") == "0\n"
    # nothing listens behind the Service on 6380: no kube-proxy rule, the SYN times out (-w 2)
    assert sh.feed("nc -zv -w 2 redis 6380; echo $?") == f"nc: redis ({ip}:6380): Connection timed out\n1\n"
    assert sh.feed("nc -zv nope 1; echo $?") == "nc: bad address 'nope'\n1\n"
    assert sh.feed("echo PING | nc redis 6379") == "+PONG\n"


def test_printenv_and_env(sh, cluster):
    pod = sh.shell.pod["metadata"]["name"]
    env = sh.feed("env")
    assert sh.feed("printenv") == env
    assert env.count("REDIS_PORT=") == 1  # the container's own REDIS_PORT wins over the Service link
    assert sh.feed("printenv HOSTNAME") == f"{pod}\n"
    assert sh.feed("printenv NOPE REDIS_HOST; echo $?") == "redis\n1\n"


def test_sleep_is_simulated_time(sh, cluster):
    before, wall = cluster.now(), time.monotonic()
    assert sh.feed("sleep 3600; echo done") == "done\n"
    # the hour passed on the cluster's clock before the next prompt, as on a node; not on the wall's
    assert (cluster.now() - before).total_seconds() == 3600 and time.monotonic() - wall < 30
    assert sh.feed("sleep 1m 30s; echo $?") == "0\n"
    assert sh.feed("sleep x; echo $?") == "sleep: invalid number 'x'\n1\n"
