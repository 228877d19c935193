"""The commands a person types inside a pod (`kubectl exec -it POD -- sh`).

What exists depends on the image, as in the tutorial: the counter image is Alpine
(busybox: wget, nslookup, nc, but no curl or telnet until `apk add curl busybox-extras`),
redis is Debian (redis-cli, no curl). Network tools go through `engine.net.network`, so
`curl`, `telnet redis 6379` and `nslookup redis` take the real path: resolv.conf,
CoreDNS, the node's kube-proxy rules, the destination pod's process.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from engine.cluster.cluster import Cluster
from engine.dns.dig import nslookup, nslookup_unreachable
from engine.kubelet.env import container_env, pod_resolv_conf
from engine.net.network import Network
from engine.workloads.apps import image_name
from engine.workloads.base import HttpRequest
from engine.workloads.redis import cli_format, resp_lines

# apk packages: name -> (version, dependencies not in the base image)
APK = {
    "curl": ("8.12.1-r1", ["ca-certificates", "brotli-libs", "c-ares", "libunistring", "libidn2",
                           "nghttp2-libs", "libpsl", "zstd-libs", "libcurl"]),
    "busybox-extras": ("1.37.0-r12", []),
    "redis": ("7.2.9-r0", []),
    "bind-tools": ("9.18.37-r0", ["fstrm", "libuv", "json-c", "libxml2", "bind-libs"]),
}
APK_VERSIONS = {"ca-certificates": "20241121-r1", "brotli-libs": "1.1.0-r2", "c-ares": "1.34.5-r0",
                "libunistring": "1.3-r0", "libidn2": "2.3.7-r0", "nghttp2-libs": "1.65.0-r0",
                "libpsl": "0.21.5-r3", "zstd-libs": "1.5.6-r2", "libcurl": "8.12.1-r1", "fstrm": "0.6.1-r4",
                "libuv": "1.49.2-r0", "json-c": "0.18-r0", "libxml2": "2.13.4-r6", "bind-libs": "9.18.37-r0"}
APK_PROVIDES = {"curl": {"curl"}, "busybox-extras": {"telnet", "telnetd", "ftpget"}, "redis": {"redis-cli", "redis-server"},
                "bind-tools": {"dig", "host"}}
ALPINE_BASE = {"sh", "ls", "cat", "env", "hostname", "echo", "wget", "nslookup", "nc", "ping", "apk", "exit", "pwd"}
DEBIAN_BASE = {"sh", "ls", "cat", "env", "hostname", "echo", "exit", "pwd"}


@dataclass
class PodShell:
    """An interactive shell in one container of a pod."""

    cluster: Cluster
    net: Network
    pod: dict
    installed: set[str] = field(default_factory=set)
    stream: object | None = None  # an open telnet/nc/redis-cli connection
    stream_kind: str = ""
    stream_host: str = ""
    status: int = 0  # $? of the last line: what an exec's exit code reports
    _apk_count: int = 18

    @property
    def image(self) -> str:
        return image_name(self.pod["spec"]["containers"][0].get("image", ""))

    @property
    def distro(self) -> str:
        base = self.image.rsplit("/", 1)[-1]
        return "debian" if base in ("redis", "nginx", "httpd", "postgres", "mysql", "python", "node") else "alpine"

    @property
    def prompt(self) -> str:
        if self.stream is not None:
            return f"{self.stream_host}> " if self.stream_kind == "redis-cli" else ""
        if self.image == "ghcr.io/subicura/counter":
            return "/app # "
        return "# " if self.distro == "debian" else "/ # "

    def _has(self, tool: str) -> bool:
        base = DEBIAN_BASE | ({"redis-cli"} if self.image.endswith("redis") else set()) \
            if self.distro == "debian" else ALPINE_BASE
        return tool in base or tool in self.installed

    def _not_found(self, tool: str) -> str:
        return f"sh: 1: {tool}: not found\n" if self.distro == "debian" else f"sh: {tool}: not found\n"

    # -- entry point --------------------------------------------------------------------
    def run(self, line: str) -> tuple[str, bool]:
        """Run one typed line; returns (output, shell exited)."""
        if self.stream is not None:
            return self._stream_line(line), False
        line = _strip_comment(line).strip()
        if not line:
            return "", False
        try:
            argv = shlex.split(line)
        except ValueError:
            self.status = 2
            return "sh: syntax error: unterminated quoted string\n", False
        tool, args = argv[0], argv[1:]
        if tool == "exit":
            self.status = _atoi(args[0]) & 0xFF if args else self.status
            return "", True
        if not self._has(tool):
            self.status = 127
            return self._not_found(tool), False
        self.status = 0
        fn = getattr(self, "cmd_" + tool.replace("-", "_"), None)
        if fn is None:
            return "", False
        return fn(args), False

    def start_error(self, argv: list[str]) -> str | None:
        """Why the container runtime refuses to start `argv` in this container (an exec of a
        program the image does not have), in containerd's words; None: it starts."""
        tool = argv[0].rsplit("/", 1)[-1] if argv else ""
        if not argv or tool in ("echo", "exit", "pwd") or self._has(tool) or (tool == "bash" and self.distro == "debian"):
            return None
        return ("Internal error occurred: error executing command in container: failed to exec in container: "
                "failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: "
                f'exec: "{argv[0]}": executable file not found in $PATH: unknown')

    # -- tools ----------------------------------------------------------------------------
    def cmd_echo(self, args: list[str]) -> str:
        return " ".join(args) + "\n"

    def cmd_hostname(self, args: list[str]) -> str:
        return self.pod["metadata"]["name"] + "\n"

    def cmd_pwd(self, args: list[str]) -> str:
        return ("/app" if self.image == "ghcr.io/subicura/counter" else "/data" if self.image.endswith("redis") else "/") + "\n"

    def cmd_ls(self, args: list[str]) -> str:
        return ""

    def cmd_env(self, args: list[str]) -> str:
        """The container's environment, with the Service variables kubelet injects."""

        return "".join(f"{k}={v}\n" for k, v in container_env(self.cluster.store, self.pod))

    def cmd_cat(self, args: list[str]) -> str:

        out = ""
        for path in args:
            if path == "/etc/resolv.conf":
                out += pod_resolv_conf(self.cluster.topology, self.pod)
            elif path == "/etc/hostname":
                out += self.pod["metadata"]["name"] + "\n"
            elif path == "/etc/hosts":
                ip = (self.pod.get("status") or {}).get("podIP", "")
                out += ("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
                        f"{ip}\t{self.pod['metadata']['name']}\n")
            else:
                out += f"cat: can't open '{path}': No such file or directory\n"
        return out

    def cmd_apk(self, args: list[str]) -> str:
        if not args or args[0] != "add":
            return ""
        pkgs = [a for a in args[1:] if not a.startswith("-")]
        unknown = [p for p in pkgs if p not in APK]
        if unknown:
            return "".join(f"ERROR: unable to select packages:\n  {p} (no such package):\n    required by: world[{p}]\n"
                           for p in unknown)
        todo: list[tuple[str, str]] = []
        for p in pkgs:
            ver, deps = APK[p]
            for d in deps:
                if d not in self.installed and (d, APK_VERSIONS[d]) not in todo:
                    todo.append((d, APK_VERSIONS[d]))
            if p not in self.installed:
                todo.append((p, ver))
        lines = ["fetch https://dl-cdn.alpinelinux.org/alpine/v3.21/main/x86_64/APKINDEX.tar.gz",
                 "fetch https://dl-cdn.alpinelinux.org/alpine/v3.21/community/x86_64/APKINDEX.tar.gz"]
        for i, (name, ver) in enumerate(todo, 1):
            lines.append(f"({i}/{len(todo)}) Installing {name} ({ver})")
        if any(n == "busybox-extras" for n, _ in todo):
            lines.append(f"Executing busybox-extras-{APK['busybox-extras'][0]}.post-install")
        if todo:
            lines.append("Executing busybox-1.37.0-r12.trigger")
        if any(n == "ca-certificates" for n, _ in todo):
            lines.append(f"Executing ca-certificates-{APK_VERSIONS['ca-certificates']}.trigger")
        for name, _ in todo:
            self.installed.add(name)
            self.installed |= APK_PROVIDES.get(name, set())
        self._apk_count += len(todo)
        lines.append(f"OK: {11 + len(self.installed)} MiB in {self._apk_count} packages")
        return "\n".join(lines) + "\n"

    def cmd_nslookup(self, args: list[str]) -> str:

        names = [a for a in args if not a.startswith("-")]
        if not names:
            return "BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n"
        conf = pod_resolv_conf(self.cluster.topology, self.pod)
        who = f"{self.pod['metadata']['namespace']}/{self.pod['metadata']['name']}"
        reach = self.net.dns_server(self.pod, conf)
        if not reach.answers:  # the query went to kube-dns and no CoreDNS pod answered
            self.cluster.coredns.log_query(f"{who} nslookup {names[0]} -> timed out ({reach.error})")
            self.net.lookup_event(self.pod, names[0], tool="nslookup", server=reach)
            out, err = nslookup_unreachable(reach.nameserver, refused=reach.refused)
            return out + err
        res = nslookup(names[0], conf, self.cluster.coredns.plugin)
        self.cluster.coredns.log_query(f"{who} nslookup {names[0]}")
        answers, asked, error = _nslookup_answers(res.stdout, names[0])
        self.net.lookup_event(self.pod, asked, tool="nslookup", answers=answers, error=error, server=reach)
        return res.stdout if res.stdout.endswith("\n") else res.stdout + "\n"

    def cmd_curl(self, args: list[str]) -> str:
        urls = [a for a in args if not a.startswith("-")]
        if not urls:
            return "curl: try 'curl --help' or 'curl --manual' for more information\n"
        return http_get(self.net, self.pod, urls[0], tool="curl")

    def cmd_wget(self, args: list[str]) -> str:
        urls = [a for a in args if not a.startswith("-") and a not in ("-O-",)]
        quiet = any(a.startswith("-q") for a in args)
        to_stdout = any("O-" in a or a == "-O" for a in args)
        if not urls:
            return "BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n"
        return http_get(self.net, self.pod, urls[0], tool="wget", quiet=quiet, to_stdout=to_stdout)

    def _open(self, host: str, port: int, kind: str) -> str:
        conn = self.net.connect(self.pod, host, port)
        t = conn.trace
        if t.outcome == "unresolved":
            return f"{kind}: bad address '{host}'\n"
        if not conn.ok:
            if kind == "redis-cli":
                return f"Could not connect to Redis at {host}:{port}: {_strerror(t)}\n"
            return f"{kind}: can't connect to remote host ({t.resolved_ip}): {_strerror(t)}\n"
        self.stream = conn.process.stream(port)
        self.stream_kind, self.stream_host = kind, f"{host}:{port}"
        if kind == "telnet":
            return f"Connected to {host}\n" + self.stream.greeting()
        return self.stream.greeting()

    def cmd_telnet(self, args: list[str]) -> str:
        if not args:
            return "BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n"
        return self._open(args[0], bb_lookup_port(args[1] if len(args) > 1 else None, 23), "telnet")

    def cmd_nc(self, args: list[str]) -> str:
        pos = [a for a in args if not a.startswith("-")]
        if len(pos) < 2:
            return "BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n"
        if any("z" in a for a in args if a.startswith("-")):
            conn = self.net.connect(self.pod, pos[0], bb_lookup_port(pos[1], 0))
            ip = conn.trace.resolved_ip or pos[0]
            return f"{pos[0]} ({ip}:{pos[1]}) open\n" if conn.ok else \
                f"nc: {pos[0]} ({ip}:{pos[1]}): {conn.trace.error or 'Connection refused'}\n"
        return self._open(pos[0], bb_lookup_port(pos[1], 0), "nc")

    def cmd_redis_cli(self, args: list[str]) -> str:
        host, port, rest, i = "127.0.0.1", 6379, [], 0
        while i < len(args):
            if args[i] == "-h" and i + 1 < len(args):
                host, i = args[i + 1], i + 2
            elif args[i] == "-p" and i + 1 < len(args):
                port, i = _atoi(args[i + 1]), i + 2
            else:
                rest.append(args[i])
                i += 1
        out = self._open(host, port, "redis-cli")
        if self.stream is None or not rest:
            return out
        reply, _ = self.stream.send(shlex.join(rest))
        self.stream = None
        return cli_format(reply) + "\n"

    # -- open connections -------------------------------------------------------------------
    def _stream_line(self, line: str) -> str:
        assert self.stream is not None
        reply, closed = self.stream.send(line.rstrip("\r\n"))
        if self.stream_kind == "redis-cli":
            text = cli_format(reply) + "\n" if reply else ""
            if closed or line.strip().lower() in ("quit", "exit"):
                self.stream = None
            return text
        text = "".join(p + "\n" for p in resp_lines(reply)) if reply.endswith("\r\n") else reply
        if closed:
            self.stream = None
            text += "Connection closed by foreign host\n"
        return text


def _nslookup_answers(stdout: str, name: str) -> tuple[list[str], str, str]:
    """What busybox nslookup printed, read back: the answers (`Address: IP` lines; the
    server's own `Address:\tIP:53` has a tab), the name they belong to, and the first
    error (`NXDOMAIN`) when nothing answered."""
    answers: list[str] = []
    asked, error = name, ""
    for line in stdout.splitlines():
        if line.startswith("Name:"):
            asked = line.split(None, 1)[1].strip() if len(line.split()) > 1 else asked
        elif line.startswith("Address: "):
            answers.append(line.split(None, 1)[1].strip())
        elif line.startswith("** server can't find") and not error:
            error = line.rsplit(": ", 1)[-1].strip()
    return list(dict.fromkeys(answers)), asked, error


def _atoi(s: str) -> int:
    """C's atoi (redis-cli -p): leading digits, else 0."""
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


def _strip_comment(line: str) -> str:
    """sh drops `# ...` that starts a word (the tutorial annotates lines this way)."""
    out, quote = [], ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            break
        out.append(ch)
    return "".join(out)


class UrlError(ValueError):
    pass


def _split_url(url: str, tool: str) -> tuple[str, int, str, str]:
    """(host, port, path, host[:port]) as curl 8.12's URL parser (lib/urlapi.c) or busybox
    wget's parse_url + str2sockaddr read it; UrlError carries the tool's own message."""
    rest = url.split("://", 1)[1] if "://" in url else url
    scheme = url.split("://", 1)[0].lower() if "://" in url else "http"
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, path = rest[:cut], rest[cut:] or "/"
    hostport = netloc.rsplit("@", 1)[-1]
    default = 443 if scheme == "https" else 80
    if tool == "curl":
        if scheme not in ("http", "https"):
            raise UrlError(f'curl: (1) Protocol "{scheme}" not supported\n')
        if hostport.startswith("["):
            end = hostport.find("]")
            if end < 0:
                raise UrlError("curl: (3) URL rejected: Bad IPv6 address\n")
            host, after = hostport[1:end], hostport[end + 1:]
            if after and not after.startswith(":"):
                raise UrlError("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n")
            port_s = after[1:] if after else ""
        else:
            host, _, port_s = hostport.partition(":")
        if not host:
            raise UrlError("curl: (3) URL rejected: No host part in the URL\n")
        if port_s and (not port_s.isdigit() or not port_s.isascii() or int(port_s) > 65535):
            raise UrlError("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n")
        return host, int(port_s) if port_s else default, path, hostport
    # busybox wget: "bad port spec" from str2sockaddr when the part after the last ':' is not a port
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port_s = (hostport[1:end], hostport[end + 2:]) if end >= 0 else (hostport[1:], "")
        has_port = end >= 0 and hostport[end + 1:end + 2] == ":"
    else:
        host, colon, port_s = hostport.rpartition(":")
        has_port = bool(colon)
        if not has_port:
            host = hostport
    if has_port:
        if not (port_s.isdigit() and port_s.isascii()) or int(port_s) > 65535:
            raise UrlError(f"wget: bad port spec '{hostport}'\n")
        return host, int(port_s), path, hostport
    return host, default, path, hostport


def bb_lookup_port(port: str | None, default: int) -> int:
    """busybox's bb_lookup_port: a number up to 65535, else the default (no services file here)."""
    if port is not None and port.isdigit() and port.isascii() and int(port) <= 65535:
        return int(port)
    return default


def http_get(net: Network, client: dict | None, url: str, *, tool: str, quiet: bool = True,
             to_stdout: bool = True) -> str:
    """One HTTP GET through the simulated network, printed as curl or busybox wget would."""
    try:
        host, port, path, netloc = _split_url(url, tool)
    except UrlError as e:
        return str(e)
    conn = net.connect(client, host, port)
    t = conn.trace
    if t.outcome == "unresolved":
        return f"curl: (6) Could not resolve host: {host}\n" if tool == "curl" else f"wget: bad address '{host}:{port}'\n"
    if not conn.ok:
        if tool == "curl":
            if t.outcome == "timeout":
                return f"curl: (28) Failed to connect to {host} port {port} after 134167 ms: Could not connect to server\n"
            return f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Could not connect to server\n"
        return f"wget: can't connect to remote host ({t.resolved_ip}): {_strerror(t)}\n"
    resp = conn.process.http(HttpRequest("GET", path, netloc), _PodNet(net, conn.pod), conn.port)
    if resp is None:
        return "curl: (52) Empty reply from server\n" if tool == "curl" else "wget: error getting response\n"
    body = resp.body if resp.body.endswith("\n") else resp.body + "\n"
    if tool == "curl":
        return body
    if resp.status >= 400:
        return f"wget: server returned error: HTTP/1.1 {resp.status} {resp.reason}\n"
    if to_stdout and quiet:
        return body
    head = f"Connecting to {netloc} ({t.resolved_ip}:{port})\n"
    if to_stdout:
        return head + "writing to stdout\n" + body + "-                    100% |********************************|  " \
               f"{len(resp.body)}  0:00:00 ETA\nwritten to stdout\n"
    return head + "saving to 'index.html'\nindex.html           100% |********************************|  " \
                  f"{len(resp.body)}  0:00:00 ETA\n'index.html' saved\n"


class _PodNet:
    """The network as seen by a process in a pod (what the counter app uses to reach redis)."""

    def __init__(self, net: Network, pod: dict) -> None:
        self.net, self.pod = net, pod

    def request(self, host: str, port: int, send) -> str | None:
        conn = self.net.connect(self.pod, host, port)
        if not conn.ok:
            return None
        return send(conn.process.stream(port))


def _strerror(trace) -> str:
    """What connect(2) failed with, as busybox and redis-cli print it (strerror): a SYN that
    nothing answers times out ("no pod answers at ..." is the trace's own account of it)."""
    return "Connection timed out" if trace.outcome == "timeout" else (trace.error or "Connection refused")
