"""The servers an image installs (redis-server in redis, nginx in nginx, httpd in httpd), as
its shell runs them: `sh -c 'exec redis-server --port 7000'`, `sh -c 'nginx -g "daemon off;"'`.

Why: scripts that start a container's server are the commonest way a manifest adds a flag
or a step before it, and the image's PATH has the program. What the server does once up (its
port, its start-up banner in the log, its answers to redis-cli and curl) is the container's
workload (engine.workloads: chosen from the script by entrypoint.script_server); here the
shell only runs it: a server in the foreground never returns, so a container's main script
stays in it until the container is stopped; one that daemonizes (a bare `nginx`) returns at
once, leaving the script to end (and the container with it, as on a node). The server a
script ends by running starts when the script gets to it: what the script printed first
comes first in the log (`sh -c 'echo starting; exec redis-server'`).

A redis-server started by hand where one already runs (`kubectl exec redis -- redis-server`)
is a second process: it logs its start-up, finds its port taken and aborts (exit 1), as the
real one does (engine.workloads.redislog).
"""
from __future__ import annotations

from engine.containers.proc import Proc
from engine.workloads.apps import NGINX_SERVER
from engine.workloads.entrypoint import stays_in_foreground
from engine.workloads.redislog import redis_port, start_lines


def server(p: Proc) -> int:
    """Run one of the image's servers: `nginx -v` / `-V` answer its version; anything else
    starts it (in the foreground: the shell waits on it for ever)."""
    if p.name in ("nginx", "nginx-debug") and p.args[:1] in (["-v"], ["-V"]):
        p.err(f"nginx version: {NGINX_SERVER}\n")
        return 0
    if p.shell.main_process:  # (the container's script got to its server: it starts now)
        workload = p.shell.workload()
        if workload is not None:  # (what it writes is the script's stdout: the log, after the script's lines)
            p.out("".join(line + "\n" for line in workload.script_reached(p.shell.now(), p.pid)))
    elif p.name == "redis-server":
        return redis_server(p)
    if stays_in_foreground([p.name, *p.args]):
        p.shell.wait_forever()
    return 0


def redis_server(p: Proc) -> int:
    """Another redis-server in the container (an exec, a typed line): its start-up on its
    stdout; aborted (1) when its port is already bound in the pod (by the container's own)."""
    argv = [p.name, *p.args]
    port = redis_port(argv)
    taken = any(("TCP", port) in w.ports() for w in p.shell.net.processes(p.shell.pod))
    for _, line in start_lines(argv, p.shell.now(), p.pid or 1, port_taken=taken):
        p.out(line + "\n")
    if taken:
        return 1
    p.shell.wait_forever()
    return 0


#: The applets by program name (a shell finds one only in an image that has it:
#: engine.workloads.entrypoint.IMAGE_SERVERS).
APPLETS = {name: server for name in ("redis-server", "nginx", "nginx-debug", "httpd", "httpd-foreground")}
