"""redis-server started again by hand (`kubectl exec redis -- redis-server`): it logs its
start-up, finds 6379 bound by the container's own and aborts, exit 1 (server.c's
listenToPort / initListeners); on a free port it starts. A container's script that prints
before it runs its server (`sh -c 'echo starting; exec redis-server'`) logs its own lines
first and the server's banner when it gets there; until then nothing listens."""
from __future__ import annotations

import re

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: rs}
spec:
  containers: [{name: redis, image: redis, command: [sh, -c, "echo starting; exec redis-server"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: rlate}
spec:
  containers: [{name: redis, image: redis, command: [sh, -c, "echo waiting; sleep 5; redis-server --port 7002"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: ws}
spec:
  containers: [{name: web, image: nginx, command: [sh, -c, "echo starting; exec nginx -g 'daemon off;'"]}]
"""
STAMP = r"\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3}"


@pytest.fixture(scope="module")
def s(tmp_path_factory) -> Session:
    session = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    manifest = tmp_path_factory.mktemp("pods") / "pods.yaml"
    manifest.write_text(PODS)
    assert session.feed(f"kubectl apply -f {manifest}").count("created") == 3
    session.cluster.run_until_idle()
    return session


def test_a_second_redis_server_finds_6379_taken_and_aborts(s):
    out = s.feed("kubectl exec deploy/redis -- redis-server").splitlines()
    pid = out[0].split(":", 1)[0]
    assert pid.isdigit() and pid != "1"  # (a process of its own, beside the container's PID 1)
    said = [re.sub(rf"^{pid}:([CM]) {STAMP} ", r"\1 ", line) for line in out]
    assert said[1:] == [
        "C * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        f"C * Redis version=7.4.5, bits=64, commit=00000000, modified=0, pid={pid}, just started",
        "C # Warning: no config file specified, using the default config. In order to specify a config file use "
        "redis-server /path/to/redis.conf",
        "M * monotonic clock: POSIX clock_gettime",
        "M * Running mode=standalone, port=6379.",
        "M # Warning: Could not create server TCP listening socket *:6379: bind: Address already in use",
        "M # Failed listening on port 6379 (tcp), aborting.",
        "command terminated with exit code 1"]
    assert said[0].startswith("C # WARNING Memory overcommit must be enabled!")
    assert s.feed("kubectl exec deploy/redis -- redis-cli ping") == "PONG\n"  # (the container's own runs on)


def test_on_a_free_port_it_starts(s):
    out = s.feed("kubectl exec deploy/redis -- redis-server --port 7003")
    assert out.splitlines()[3].endswith("* Configuration loaded")
    assert out.endswith("* Server initialized\n" + out.splitlines()[-1] + "\n")
    assert out.splitlines()[-1].endswith("* Ready to accept connections tcp")


def test_the_scripts_own_lines_come_before_the_servers(s):
    log = s.feed("kubectl logs rs").splitlines()
    assert log[0] == "starting"
    assert re.fullmatch(rf"1:C {STAMP} # WARNING Memory overcommit must be enabled!.*", log[1])
    assert log[3].endswith("pid=1, just started")  # (`exec`: redis-server is the shell's PID 1)
    assert log[-1].endswith("* Ready to accept connections tcp")
    web = s.feed("kubectl logs ws").splitlines()
    assert web[0] == "starting" and web[1].endswith('[notice] 1#1: using the "epoll" event method')


def test_a_server_the_script_has_not_reached_does_not_listen_yet(s):
    assert s.feed("kubectl logs rlate") == "waiting\n"
    assert s.feed("kubectl exec rlate -- redis-cli -p 7002 ping") == (
        "Could not connect to Redis at 127.0.0.1:7002: Connection refused\ncommand terminated with exit code 1\n")
    s.cluster.run_for(6)
    log = s.feed("kubectl logs rlate").splitlines()
    assert log[0] == "waiting" and log[-1].endswith("* Ready to accept connections tcp")
    # (sh -c execs a script's last command in its own place: redis-server is PID 1, `exec` or not)
    assert log[1].startswith("1:C ") and log[3].endswith("pid=1, just started")
    assert s.feed("kubectl exec rlate -- redis-cli -p 7002 ping") == "PONG\n"
