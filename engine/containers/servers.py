"""The servers an image installs (redis-server in redis, nginx in nginx, httpd in httpd), as
its shell runs them: `sh -c 'exec redis-server --port 7000'`, `sh -c 'nginx -g "daemon off;"'`.

Why: scripts that start a container's server are the commonest way a manifest adds a flag
or a step before it, and the image's PATH has the program. What the server does once up (its
port, its start-up banner in the log, its answers to redis-cli and curl) is the container's
workload (engine.workloads: chosen from the script by entrypoint.script_server); here the
shell only runs it: a server in the foreground never returns, so a container's main script
stays in it until the container is stopped; one that daemonizes (a bare `nginx`) returns at
once, leaving the script to end (and the container with it, as on a node).
"""
from __future__ import annotations

from engine.containers.proc import Proc
from engine.workloads.apps import NGINX_SERVER
from engine.workloads.entrypoint import stays_in_foreground


def server(p: Proc) -> int:
    """Run one of the image's servers: `nginx -v` / `-V` answer its version; anything else
    starts it (in the foreground: the shell waits on it for ever)."""
    if p.name in ("nginx", "nginx-debug") and p.args[:1] in (["-v"], ["-V"]):
        p.err(f"nginx version: {NGINX_SERVER}\n")
        return 0
    if stays_in_foreground([p.name, *p.args]):
        p.shell.wait_forever()
    return 0


#: The applets by program name (a shell finds one only in an image that has it:
#: engine.workloads.entrypoint.IMAGE_SERVERS).
APPLETS = {name: server for name in ("redis-server", "nginx", "nginx-debug", "httpd", "httpd-foreground")}
