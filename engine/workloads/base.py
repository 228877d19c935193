"""The interface between the simulated network and what runs in a pod."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Protocol


@dataclass
class HttpRequest:
    method: str
    path: str
    host: str
    headers: dict[str, str] = field(default_factory=dict)
    client: str = ""  # the address the server sees the request come from (its access log's)


@dataclass
class HttpResponse:
    status: int
    body: str
    reason: str = "OK"
    headers: dict[str, str] = field(default_factory=dict)


class Stream(Protocol):
    """A TCP connection's server side, line oriented (what telnet and nc exchange)."""

    def greeting(self) -> str: ...

    def send(self, line: str) -> tuple[str, bool]:
        """Handle one line; returns (raw bytes written back, connection closed)."""
        ...


class NetContext(Protocol):
    """What a process may do on the network: connect from its own pod."""

    def request(self, host: str, port: int, send: Callable[[Stream], str]) -> str | None: ...


@dataclass
class LogLine:
    """One line a container wrote to stdout/stderr, stamped when it was written (the
    container runtime's log file keeps the same pair: `kubectl logs --timestamps`)."""

    time: datetime
    text: str


def rotate(log: list[LogLine], previous: list[LogLine]) -> None:
    """A container restarts: the runtime's log file of the run that ended is the one the
    kubelet keeps (`previous`, the one before it dropped) and the new run's starts empty.
    In place: whoever holds the lists (a main script printing, CoreDNS's process) keeps them."""
    previous[:] = log
    log.clear()


class Workload:
    """A process listening on some ports. Subclasses override what they speak; what they
    print goes to `log` (newest last), read by `kubectl logs`."""

    image_kind = "tcp"
    #: Whether the process shuts down on the SIGTERM the kubelet sends when it stops the
    #: container (a server with a handler: nginx, redis). A process without a handler is
    #: PID 1 in its container, which the kernel shields from SIGTERM: it runs until the
    #: grace period ends and the runtime kills it (exit code 137).
    handles_sigterm = False

    def __init__(self, pod: dict, now: Callable) -> None:
        self.pod = pod
        self.now = now
        self.log: list[LogLine] = []
        #: The log of the container's previous instance (the kubelet keeps one per
        #: container: `kubectl logs --previous`), filled when the container restarts.
        self.previous: list[LogLine] = []
        self.env = {e["name"]: str(e.get("value", "")) for c in pod["spec"].get("containers") or []
                    for e in c.get("env") or [] if "name" in e}

    def restarted(self) -> None:
        """The container starts again: this run's log becomes the previous instance's, and
        the new process starts afresh (`start_up`: a server's banner, its empty state)."""
        rotate(self.log, self.previous)
        self.start_up(self.now())

    def start_up(self, t: datetime) -> None:
        """What a new instance of the process does as it starts at `t` (nothing, here)."""

    #: This server is what the container's shell script ends by running (`sh -c 'echo
    #: starting; exec redis-server'`): it starts (logs its start-up, listens) when the script
    #: gets there, after what the script printed first, not as the container starts.
    by_script = False
    #: ... in the shell's place (PID 1: `exec`, or as the last command, which sh runs without
    #: a fork; engine.workloads.entrypoint.Program.server_is_pid1), else as its child.
    script_pid1 = True
    reached = True

    def script_reached(self, t: datetime, pid: int) -> list[str]:
        """The container's script started this server at `t` (as process `pid` when it is
        the shell's child): the lines it writes as it starts, for the script's own output
        (after what the script printed)."""
        if not self.by_script or self.reached:
            return []
        self.reached = True
        return [line for _, line in self.start_lines(t, 1 if self.script_pid1 else pid)]

    def start_lines(self, t: datetime, pid: int) -> list[tuple[datetime, str]]:
        """(when, line) the server logs as it starts at `t` as process `pid` (nothing, here)."""
        return []

    def announce(self, t: datetime) -> None:
        """A server the container runs itself (PID 1) starts: its start-up lines to its log."""
        for at, line in self.start_lines(t, 1):
            self.print(line, at)

    def print(self, text: str, at: datetime | None = None) -> None:
        """Write one line to the container's log."""
        self.log.append(LogLine(at or self.now(), text))

    def ports(self) -> set[tuple[str, int]]:
        """(protocol, port) this process listens on: declared containerPorts by default."""
        return {(p.get("protocol", "TCP"), int(p["containerPort"]))
                for c in self.pod["spec"].get("containers") or [] for p in c.get("ports") or []
                if "containerPort" in p}

    def serves(self, proto: str, port: int) -> bool:
        return (proto, port) in self.ports()

    def http(self, req: HttpRequest, net: NetContext, port: int) -> HttpResponse | None:
        """None: this port does not speak HTTP (curl gets an empty reply)."""
        return None

    def stream(self, port: int) -> Stream:
        return SilentStream()

    def answer_probe(self, path: str, port: int, client: str = "") -> int | None:
        """The HTTP status a GET of `path` on `port` gets (the kubelet's httpGet probe), None
        when the port speaks no HTTP. Answered as `http` answers (a server logs it), offline:
        a probe reaches nothing else. `client` is where it comes from as the pod sees it (the
        node's end of the pod's veth; the node's address when not given)."""
        client = client or (self.pod.get("status") or {}).get("hostIP", "")
        resp = self.http(HttpRequest("GET", path, "", {"User-Agent": "kube-probe/1.33"}, client), _OFFLINE, port)
        return None if resp is None else resp.status


class _Offline:
    """The network as a probe's request sees it from inside the container: nothing."""

    def request(self, host: str, port: int, send: Callable[[Stream], str]) -> str | None:
        return None


_OFFLINE = _Offline()


class SilentStream:
    """A TCP server that accepts and never answers (the fallback for unknown images)."""

    def greeting(self) -> str:
        return ""

    def send(self, line: str) -> tuple[str, bool]:
        return "", False
