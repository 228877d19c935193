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


class Workload:
    """A process listening on some ports. Subclasses override what they speak; what they
    print goes to `log` (newest last), read by `kubectl logs`."""

    image_kind = "tcp"

    def __init__(self, pod: dict, now: Callable) -> None:
        self.pod = pod
        self.now = now
        self.log: list[LogLine] = []
        self.env = {e["name"]: str(e.get("value", "")) for c in pod["spec"].get("containers") or []
                    for e in c.get("env") or [] if "name" in e}

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


class SilentStream:
    """A TCP server that accepts and never answers (the fallback for unknown images)."""

    def greeting(self) -> str:
        return ""

    def send(self, line: str) -> tuple[str, bool]:
        return "", False
