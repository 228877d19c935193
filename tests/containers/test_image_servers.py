"""The servers an image installs, run from its shell (engine/containers/servers.py,
engine/workloads/entrypoint.py's script_server): `sh -c 'exec redis-server --port 7000'`,
`args: [sh, -c, 'redis-server --port 7001']` in redis, `sh -c 'nginx -g "daemon off;"'` in
nginx run that server on that port, its start-up banner as the container's log, where on a
kind cluster they used to crash-loop on `redis-server: not found`; a bare `nginx` daemonizes
and its container ends. nginxinc/nginx-unprivileged listens on 8080, not 80."""
from __future__ import annotations

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from engine.kubelet.runtime import on_sigterm
from engine.workloads.entrypoint import program, script_commands
from tests.helpers import SAMPLES

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: r7000}
spec:
  containers: [{name: redis, image: redis, command: [sh, -c, exec redis-server --port 7000]}]
---
apiVersion: v1
kind: Pod
metadata: {name: rargs}
spec:
  containers: [{name: redis, image: redis:7.4, args: [sh, -c, redis-server --port 7001]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: nginx, command: [sh, -c, "echo starting; nginx -g 'daemon off;'"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  containers: [{name: web, image: nginx, command: [sh, -c, nginx]}]
---
apiVersion: v1
kind: Pod
metadata: {name: unpriv}
spec:
  containers: [{name: web, image: nginxinc/nginx-unprivileged:1.27}]
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    s = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
    manifest = tmp_path_factory.mktemp("pods") / "pods.yaml"
    manifest.write_text(PODS)
    assert s.feed(f"kubectl apply -f {manifest}").count("created") == 5
    s.cluster.run_until_idle()
    s.cluster.run_for(30)
    return s


def _ip(s: Session, pod: str) -> str:
    return s.cluster.store.get("Pod", "default", pod)["status"]["podIP"]


def _status(s: Session, pod: str) -> dict:
    return s.cluster.store.get("Pod", "default", pod)["status"]["containerStatuses"][0]


def test_a_script_that_execs_redis_server_runs_it_on_its_port(session):
    assert "running" in _status(session, "r7000")["state"] and _status(session, "r7000")["restartCount"] == 0
    assert session.feed("kubectl exec r7000 -- redis-cli -p 7000 ping") == "PONG\n"
    assert session.feed("kubectl exec r7000 -- redis-cli ping") == (
        "Could not connect to Redis at 127.0.0.1:6379: Connection refused\ncommand terminated with exit code 1\n")
    log = session.feed("kubectl logs r7000").splitlines()
    assert log[1].endswith("* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    assert log[3].endswith("* Configuration loaded") and log[5].endswith("* Running mode=standalone, port=7000.")
    assert session.feed("kubectl exec r7000 -- which redis-server") == "/usr/local/bin/redis-server\n"


def test_args_through_redis_entrypoint_run_the_script_and_its_server(session):
    assert _status(session, "rargs")["restartCount"] == 0
    assert session.feed("kubectl exec rargs -- redis-cli -p 7001 set k v") == "OK\n"
    assert session.feed("kubectl exec rargs -- redis-cli -p 7001 ping") == "PONG\n"
    assert session.feed("kubectl logs rargs").splitlines()[5].endswith("* Running mode=standalone, port=7001.")


def test_nginx_in_the_foreground_serves_and_logs_after_the_scripts_own_lines(session):
    assert "running" in _status(session, "web")["state"]
    page = session.feed(f"kubectl exec deploy/counter -- wget -qO- {_ip(session, 'web')}")
    assert "<title>Welcome to nginx!</title>" in page
    log = session.feed("kubectl logs web").splitlines()
    assert any(ln.endswith("[notice] 1#1: nginx/1.27.5") for ln in log)
    assert "starting" in log
    assert not any("docker-entrypoint.sh" in ln for ln in log)  # (`command` replaced its entrypoint)
    assert session.feed("kubectl exec web -- which nginx") == "/usr/sbin/nginx\n"
    assert session.feed("kubectl exec web -- nginx -v") == "nginx version: nginx/1.27.5\n"


def test_a_bare_nginx_daemonizes_and_its_container_ends(session):
    st = _status(session, "bare")
    assert st["restartCount"] >= 1 and st["lastState"]["terminated"]["reason"] == "Completed"


def test_nginx_unprivileged_listens_on_8080_not_80(session):
    ip = _ip(session, "unpriv")
    assert "Welcome to nginx!" in session.feed(f"kubectl exec deploy/counter -- wget -qO- {ip}:8080")
    assert session.feed(f"kubectl exec deploy/counter -- wget -qO- {ip}:80") == (
        f"wget: can't connect to remote host ({ip}): Connection refused\ncommand terminated with exit code 1\n")


def test_a_server_the_shell_exec_d_gets_sigterm_itself():
    """`exec redis-server`: redis is PID 1 and shuts down on SIGTERM (exit 0); so it is as the
    script's last command without `exec` (dash runs a -c string's last command in its own
    place); a script with a `trap` keeps its shell, whose child the server is: the shell
    ignores SIGTERM (137)."""
    execd = {"name": "r", "image": "redis", "command": ["sh", "-c", "exec redis-server --port 7000"]}
    last = {"name": "r", "image": "redis", "command": ["sh", "-c", "echo hi; redis-server --port 7000"]}
    child = {"name": "r", "image": "redis", "command": ["sh", "-c", "trap 'echo bye' EXIT; redis-server --port 7000"]}
    assert program(execd).server == ("redis-server", "--port", "7000") and program(execd).server_is_pid1
    assert on_sigterm(execd, True, 30, 5).code == 0
    assert program(last).server_is_pid1 and on_sigterm(last, True, 30, 5).code == 0
    assert program(child).server is not None and not program(child).server_is_pid1
    assert on_sigterm(child, True, 30, 5).code == 137


@pytest.mark.parametrize(("script", "server"), [
    ("redis-server --port 7000 &", None),  # (in the background: the script ends)
    ("nginx", None),  # (daemonizes)
    ('nginx -g "daemon  off;"', ("nginx", "-g", "daemon  off;")),
    ("redis-server; echo after", None),  # (not its last command)
])
def test_which_scripts_end_in_a_server(script, server):
    image = "nginx" if "nginx" in script else "redis"
    assert program({"name": "c", "image": image, "command": ["sh", "-c", script]}).server == server


def test_script_commands_split_outside_quotes_only():
    assert script_commands("nginx -g 'daemon off;'") == [["nginx", "-g", "daemon off;"]]
    assert script_commands("echo a; sleep 5 && echo 'x|y'\nfor i in 1 2; do echo $i; done") == [
        ["echo", "a"], ["sleep", "5"], ["echo", "x|y"], ["echo", "$i"]]
