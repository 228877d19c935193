"""Behaviours of the images the tutorial and common demos use.

- `redis`: redis-server on 6379 (engine.workloads.redis).
- `ghcr.io/subicura/counter`: the tutorial's Node app on 3000; each GET does INCR
  `count` in the redis at REDIS_HOST:REDIS_PORT and answers the new value as text — as
  the tutorial's transcript shows (`curl localhost:3000` -> `1`, then `2`).
- nginx / httpd style web servers on 80 with their default pages (nginxinc/nginx-unprivileged,
  which runs as a user that may not bind below 1024, on 8080: its default.conf's `listen 8080`).
- anything else: TCP accepted on the declared containerPorts.

Which of these a container runs is its program, not only its image: a `command` or `args`
that replaces the image's server (`kubectl run r --image=redis -- sleep 3600`) runs that
instead (engine.workloads.entrypoint), and a program that opens no socket refuses every
connection (IdleWorkload).
"""
from __future__ import annotations

from datetime import datetime

from engine.cluster.topology import KERNEL_VERSION
from engine.workloads import entrypoint
from engine.workloads.base import HttpRequest, HttpResponse, NetContext, SilentStream, Workload
from engine.workloads.redis import RedisServer
from engine.workloads.redislog import redis_port, start_lines

#: The nginx release the nginx images serve as (their `Server:` header, `nginx -v`).
NGINX_SERVER = "nginx/1.27.5"

NGINX_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
#: The port each nginx image's default.conf listens on (nginxinc/nginx-unprivileged runs as
#: uid 101, which may not bind 80: its Dockerfile rewrites `listen 80` to 8080 and EXPOSEs 8080).
NGINX_LISTEN = {"nginx": 80, "nginx-unprivileged": 8080}
HTTPD_PAGE = "<html><body><h1>It works!</h1></body></html>\n"


#: What the nginx image's docker-entrypoint.sh prints before it execs nginx (only when it
#: starts nginx: `args: [sleep, "5"]` runs its `exec "$@"` at once).
NGINX_ENTRYPOINT_LINES = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
)


def image_name(image: str) -> str:
    """`docker.io/library/redis:7` -> `redis`; `ghcr.io/subicura/counter:latest` -> `ghcr.io/subicura/counter`."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref[: ref.rfind(":")]
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
    return ref


class RedisWorkload(Workload):
    image_kind = "redis"
    handles_sigterm = True

    def __init__(self, pod: dict, now, argv: tuple[str, ...] = ("redis-server",), by_script: bool = False) -> None:
        """`argv`: redis-server's command line (`--port 6380` moves it off 6379; any
        argument is configuration, so it says "Configuration loaded" instead of warning).
        `by_script`: the container's shell script runs it, after its own commands: it logs
        its start when the script gets there (`script_reached`), not as the container starts."""
        super().__init__(pod, now)
        self.argv, self.port = argv, redis_port(argv)
        self.by_script = by_script
        self.start_up(started_at(pod, now))

    def start_up(self, t: datetime) -> None:
        """A (re)started redis-server: no persistence configured, so an empty dataset, and its
        banner (a script's: when the script gets to it)."""
        self.server = RedisServer(now=self.now)
        self.reached = not self.by_script
        if self.reached:
            self.announce(t)

    def start_lines(self, t: datetime, pid: int) -> list[tuple[datetime, str]]:
        """What the official image's redis-server prints when it starts (the container's
        clock in UTC)."""
        return start_lines(self.argv, t, pid)

    def ports(self) -> set[tuple[str, int]]:
        """The one port redis-server binds (a declared containerPort opens nothing), once it runs."""
        return {("TCP", self.port)} if self.reached else set()

    def stream(self, port: int):
        return _RedisStream(self.server)


class _RedisStream:
    def __init__(self, server: RedisServer) -> None:
        self.server = server

    def greeting(self) -> str:
        return ""

    def send(self, line: str) -> tuple[str, bool]:
        return self.server.inline(line)


class CounterWorkload(Workload):
    """ghcr.io/subicura/counter: HTTP on 3000, the count lives in redis."""

    image_kind = "counter"
    handles_sigterm = True

    def ports(self) -> set[tuple[str, int]]:
        return super().ports() | {("TCP", 3000)}

    def http(self, req: HttpRequest, net: NetContext, port: int) -> HttpResponse | None:
        if port != 3000:
            return None
        host = self.env.get("REDIS_HOST", "localhost")
        rport = int(self.env.get("REDIS_PORT", "6379") or 6379)
        reply = net.request(host, rport, lambda s: s.send("INCR count")[0])
        if reply is None or not reply.startswith(":"):
            self.print(f"{req.method} {req.path} 500 (redis {host}:{rport} unreachable)")
            return HttpResponse(500, "Internal Server Error", "Internal Server Error")
        self.print(f"{req.method} {req.path} 200 count={reply[1:].strip()}")
        return HttpResponse(200, reply[1:].strip())

    def answer_probe(self, path: str, port: int, client: str = "") -> int | None:
        """Every path on 3000 answers 200 (the INCR a probe's GET would make is left out: the
        tutorial's count stays the learner's own)."""
        return 200 if port == 3000 else None


class WebWorkload(Workload):
    image_kind = "web"
    handles_sigterm = True

    def __init__(self, pod: dict, now, page: str, server: str, via_entrypoint: bool = True,
                 listen: int = 80, by_script: bool = False) -> None:
        """`via_entrypoint`: the image's docker-entrypoint.sh started the server (nginx's
        prints its configuration lines first; a `command: [nginx, ...]` skips them);
        `listen`: the port its default configuration listens on; `by_script`: the
        container's shell script runs it (it starts when the script gets there)."""
        super().__init__(pod, now)
        self.page, self.server, self.listen, self.via_entrypoint = page, server, listen, via_entrypoint
        self.by_script = by_script
        self.start_up(started_at(pod, now))

    def start_up(self, t: datetime) -> None:
        self.reached = not self.by_script
        if self.reached:
            self.announce(t)

    def start_lines(self, t: datetime, pid: int) -> list[tuple[datetime, str]]:
        """What the official nginx image prints when it starts (docker-entrypoint.sh, then
        nginx's notices, its master's PID: one worker per CPU of the node)."""
        if not self.server.startswith("nginx/"):
            return []
        lines = list(NGINX_ENTRYPOINT_LINES) if self.via_entrypoint else []
        stamp = f"{t:%Y/%m/%d %H:%M:%S}"
        for notice in ('using the "epoll" event method', self.server, "built by gcc 12.2.0 (Debian 12.2.0-14) ",
                       f"OS: Linux {KERNEL_VERSION}", "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
                       "start worker processes", "start worker process 29", "start worker process 30"):
            lines.append(f"{stamp} [notice] {pid}#{pid}: {notice}")
        return [(t, line) for line in lines]

    def ports(self) -> set[tuple[str, int]]:
        return super().ports() | {("TCP", self.listen)} if self.reached else set()

    def http(self, req: HttpRequest, net: NetContext, port: int) -> HttpResponse | None:
        if req.path not in ("/", "/index.html"):
            resp = HttpResponse(404, "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
                                     "<center><h1>404 Not Found</h1></center>\r\n"
                                     f"<hr><center>{self.server}</center>\r\n</body>\r\n</html>\r\n", "Not Found")
        else:
            resp = HttpResponse(200, self.page)
        self._access_log(req, resp)
        return resp

    def _access_log(self, req: HttpRequest, resp: HttpResponse) -> None:
        """One line per request, in the server's default format: nginx's `combined` (with the
        client's User-Agent), httpd's `common`. Which pod's log gets it shows which endpoint
        kube-proxy picked."""
        at = self.now()
        line = (f'{req.client or "-"} - - [{at:%d/%b/%Y:%H:%M:%S} +0000] "{req.method} {req.path} HTTP/1.1" '
                f"{resp.status} {len(resp.body.encode())}")
        if self.server.startswith("nginx/"):
            line += f' "-" "{req.headers.get("User-Agent", "-")}" "-"'
        self.print(line, at)


class CoreDNSWorkload(Workload):
    """CoreDNS as kubeadm's Corefile runs it: DNS on 53, the `health` plugin on 8080 (the
    liveness probe's /health), `ready` on 8181 (the readiness probe's /ready), prometheus on
    9153. (Its answers are engine.dns's: this is what a probe or a connection finds.)"""

    handles_sigterm = True

    def restarted(self) -> None:
        """Nothing: CoreDNS's log is its process's (engine.dns), which keeps the previous
        instance's itself when it starts again."""

    def ports(self) -> set[tuple[str, int]]:
        return super().ports() | {("UDP", 53), ("TCP", 53), ("TCP", 8080), ("TCP", 8181), ("TCP", 9153)}

    def http(self, req: HttpRequest, net: NetContext, port: int) -> HttpResponse | None:
        if port == 8080 and req.path == "/health":
            return HttpResponse(200, "OK")
        if port == 8181 and req.path == "/ready":
            return HttpResponse(200, "OK")
        return HttpResponse(404, "404 page not found\n", "Not Found") if port in (8080, 8181) else None


def started_at(pod: dict, now) -> datetime:
    """When the pod's (first) container started, from its status; now when not recorded."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        raw = ((cs.get("state") or {}).get("running") or {}).get("startedAt")
        if isinstance(raw, str):
            try:
                return datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                break
    return now()


class ApiServerWorkload(Workload):
    """kube-apiserver (the control plane's static pod, on the node's own network): it listens
    on 6443 for TLS, so a pod reaches it through the `kubernetes` Service (10.96.0.1:443 ->
    the control-plane node's 6443). TLS is not simulated: a request in plain HTTP gets the
    answer Go's TLS server gives one."""

    handles_sigterm = True

    def ports(self) -> set[tuple[str, int]]:
        return super().ports() | {("TCP", 6443)}

    def http(self, req: HttpRequest, net: NetContext, port: int) -> HttpResponse | None:
        return HttpResponse(400, "Client sent an HTTP request to an HTTPS server.\n", "Bad Request")


class IdleWorkload(Workload):
    """A program that opens no socket (`sleep 3600`, `sh -c 'sleep 3600'`, where the image's
    server was replaced by `command` or `args`): every connection to the pod is refused,
    whatever containerPorts the spec declares."""

    def ports(self) -> set[tuple[str, int]]:
        return set()


def _program(container: dict) -> tuple[type[Workload], tuple]:
    """What the container runs (engine.workloads.entrypoint: the image's ENTRYPOINT and CMD
    as `command` and `args` override them): its workload class and the class's own arguments."""
    name = image_name(str(container.get("image", "")))
    base = name.rsplit("/", 1)[-1]
    prog = entrypoint.program(container)
    by_script = prog.server is not None
    if by_script:  # (a script that ends in the image's server: that server runs)
        prog = entrypoint.Program(prog.server)
    run = prog.name
    if base == "redis" or name.endswith("/redis"):
        if run == "redis-server":
            return RedisWorkload, (prog.argv or ("redis-server",), by_script)
    elif name == "ghcr.io/subicura/counter":
        if prog.argv is None:  # (its own default; any command or args replace the app)
            return CounterWorkload, ()
    elif base in ("nginx", "nginx-unprivileged"):
        if run in ("nginx", "nginx-debug"):
            return WebWorkload, (NGINX_PAGE, NGINX_SERVER, prog.via_entrypoint, NGINX_LISTEN[base], by_script)
    elif base == "httpd":
        if run in ("httpd-foreground", "httpd"):
            return WebWorkload, (HTTPD_PAGE, "Apache/2.4.63", True, 80, by_script)
    elif base == "coredns":
        if run == "coredns":
            return CoreDNSWorkload, ()
    elif base == "kube-apiserver":
        if run == "kube-apiserver" or prog.argv is None:
            return ApiServerWorkload, ()
    if not container.get("command") and not container.get("args"):
        return Workload, ()  # (an image's own default svcflow does not simulate: its declared ports accept)
    return (Workload if entrypoint.listens(prog) else IdleWorkload), ()


def workload_class(container: dict) -> type[Workload]:
    """The workload's class, for what holds of every instance (`handles_sigterm`): no
    instance is started (an nginx one prints its start-up lines)."""
    return _program(container)[0]


def workload_for(pod: dict, container: dict, now) -> Workload:
    cls, args = _program(container)
    workload = cls(pod, now, *args)
    if workload.by_script:
        workload.script_pid1 = entrypoint.program(container).server_is_pid1
    return workload


__all__ = ["ApiServerWorkload", "CoreDNSWorkload", "CounterWorkload", "IdleWorkload", "RedisWorkload", "SilentStream", "WebWorkload", "image_name", "workload_class", "workload_for"]
