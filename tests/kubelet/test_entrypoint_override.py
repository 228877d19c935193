"""A pod's `command` replaces its image's ENTRYPOINT and `args` its CMD, as on a real
cluster: redis told to `sleep 3600` runs no redis-server (no banner in its log, redis-cli
refused), `args: [redis-server, --port, 6380]` still runs redis through its
docker-entrypoint.sh, on 6380; nginx started by a command skips docker-entrypoint.sh's lines."""
from __future__ import annotations

import pytest

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from engine.workloads.entrypoint import Program, listens, process_argv, program
from tests.helpers import SAMPLES

REDIS = "docker.io/library/redis:7.4"


@pytest.mark.parametrize("container, argv", [
    ({"image": REDIS}, ["docker-entrypoint.sh", "redis-server"]),
    ({"image": REDIS, "args": ["sleep", "3600"]}, ["docker-entrypoint.sh", "sleep", "3600"]),
    ({"image": REDIS, "command": ["sleep"], "args": ["3600"]}, ["sleep", "3600"]),
    ({"image": "nginx:1.27", "command": ["sh", "-c", "sleep 1"]}, ["sh", "-c", "sleep 1"]),
    ({"image": "nginx:1.27"}, ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]),
    ({"image": "busybox:1.36", "args": ["sleep", "5"]}, ["sleep", "5"]),
    ({"image": "registry.k8s.io/coredns/coredns:v1.12.0", "args": ["-conf", "/etc/coredns/Corefile"]},
     ["/coredns", "-conf", "/etc/coredns/Corefile"]),
    ({"image": "example.com/app:1"}, None),
])
def test_command_replaces_the_entrypoint_and_args_the_cmd(container, argv):
    assert process_argv(container) == argv


def test_the_redis_entrypoint_puts_redis_server_before_options():
    assert program({"image": REDIS, "args": ["--port", "6380"]}) == Program(("redis-server", "--port", "6380"), True)
    assert program({"image": REDIS, "args": ["/etc/redis.conf"]}) == Program(("redis-server", "/etc/redis.conf"), True)
    assert program({"image": REDIS, "args": ["sleep", "3600"]}) == Program(("sleep", "3600"), True)


@pytest.mark.parametrize("argv, listening", [
    (("sleep", "3600"), False), (("sh", "-c", "sleep 3600"), False),
    (("sh", "-c", "while true; do echo hi; sleep 5; done"), False), (("sh", "-c", "nc -lk -p 80"), True),
    (("python", "-m", "http.server"), True),
])
def test_what_may_listen(argv, listening):
    assert listens(Program(argv)) is listening


@pytest.fixture(scope="module")
def s() -> Session:
    s = Session(Cluster(deterministic=True), cwd=SAMPLES)
    for line in ("kubectl run r-args --image=redis --port=6379 -- sleep 3600",
                 "kubectl run r-cmd --image=redis --port=6379 --command -- sh -c 'sleep 3600'",
                 "kubectl run r-6380 --image=redis -- redis-server --port 6380",
                 "kubectl run r-opts --image=redis -- --port 6381",
                 "kubectl run r --image=redis",
                 "kubectl run n-sleep --image=nginx --port=80 -- sleep 3600",
                 "kubectl run n-cmd --image=nginx --command -- nginx -g 'daemon off;'"):
        s.feed(line)
    s.cluster.run_until_idle()
    return s


def ip(s: Session, pod: str) -> str:
    return s.cluster.get("Pod", "default", pod)["status"]["podIP"]


@pytest.mark.parametrize("pod", ["r-args", "r-cmd"])
def test_redis_told_to_sleep_logs_nothing_and_refuses_redis_cli(s, pod):
    assert s.feed(f"kubectl logs {pod}") == ""
    out = s.feed(f"kubectl exec r -- redis-cli -h {ip(s, pod)} ping")
    assert out == f"Could not connect to Redis at {ip(s, pod)}:6379: Connection refused\ncommand terminated with exit code 1\n"
    assert "1/1     Running" in s.feed(f"kubectl get pod {pod}")


@pytest.mark.parametrize("pod, port", [("r-6380", 6380), ("r-opts", 6381)])
def test_redis_server_args_still_run_redis_on_their_port(s, pod, port):
    log = s.feed(f"kubectl logs {pod}")
    assert f"* Running mode=standalone, port={port}.\n" in log and "* Configuration loaded\n" in log
    assert "no config file specified" not in log
    assert s.feed(f"kubectl exec r -- redis-cli -h {ip(s, pod)} -p {port} ping") == "PONG\n"
    assert "Connection refused" in s.feed(f"kubectl exec r -- redis-cli -h {ip(s, pod)} ping")


def test_the_image_default_redis_still_warns_of_no_config_file(s):
    log = s.feed("kubectl logs r")
    assert "# Warning: no config file specified" in log and "port=6379." in log


def test_nginx_told_to_sleep_serves_nothing_and_nginx_by_command_skips_the_entrypoint_lines(s):
    assert s.feed("kubectl logs n-sleep") == ""
    assert "Connection refused" in s.feed(f"kubectl exec r -- redis-cli -h {ip(s, 'n-sleep')} -p 80 ping")
    log = s.feed("kubectl logs n-cmd")
    assert "docker-entrypoint" not in log and "[notice] 1#1: start worker processes" in log
