"""What a container's probe finds (pkg/kubelet/prober, pkg/probe): the kubelet's one
answer to "does this probe pass, and if not, what does the Unhealthy event say".

- httpGet: nothing listening on the port is `connection refused`; a port that speaks HTTP
  answers the status the container's running process gives that path (engine.workloads:
  nginx serves `/` and 404s anything else, and logs the GET as it logs any: from the node's
  end of the pod's veth, User-Agent `kube-probe/1.33`), a pass from 200 to 399, else `HTTP
  probe failed with statuscode: 404`; a port that listens but speaks no HTTP passes.
- tcpSocket: a pass when something listens on the port.
- grpc: likewise, else the gRPC client's timeout.
- exec: the command runs in the container (the pods' shells, engine.containers, through
  the kubelet's runner) and passes on exit code 0; else the event carries what it printed
  (`Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from engine.kubelet.runtime import MainRunner, command_fate
from engine.workloads.apps import workload_for


@dataclass(frozen=True)
class ProbeResult:
    """A probe's outcome and the prober's output (what follows `Readiness probe failed: `)."""

    ok: bool
    output: str = ""


PASS = ProbeResult(True)


def probe_port(container: dict, port: object) -> object:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, str) and not port.isdigit():
        for cp in container.get("ports") or ():
            if cp.get("name") == port:
                return cp.get("containerPort")
    return port


def _number(port: object) -> int | None:
    try:
        return int(str(port))
    except ValueError:
        return None


def refused(pod: dict, container: dict, probe: dict) -> ProbeResult:
    """What `probe` gets when nothing answers on its port (the prober's own error): the
    connection refused, the gRPC client's timeout; an exec probe's command prints nothing."""
    ip = (pod.get("status") or {}).get("podIP", "")
    if isinstance(probe.get("httpGet"), dict):
        h = probe["httpGet"]
        port = probe_port(container, h.get("port"))
        host = h.get("host") or ip
        url = f"{str(h.get('scheme') or 'HTTP').lower()}://{host}:{port}{h.get('path') or '/'}"
        return ProbeResult(False, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused')
    if isinstance(probe.get("tcpSocket"), dict):
        port = probe_port(container, probe["tcpSocket"].get("port"))
        return ProbeResult(False, f"dial tcp {ip}:{port}: connect: connection refused")
    if isinstance(probe.get("grpc"), dict):
        return ProbeResult(False, f'timeout: failed to connect service "{ip}:{probe["grpc"].get("port")}" '
                                  f"within {int(probe.get('timeoutSeconds', 1))}s: context deadline exceeded")
    return ProbeResult(False)


def run_probe(pod: dict, container: dict, probe: dict, now: Callable[[], datetime],
              runner: MainRunner | None = None) -> ProbeResult:
    """Run `probe` (a readinessProbe, livenessProbe or startupProbe) of `container` once."""
    if isinstance(probe.get("exec"), dict):
        argv = [str(a) for a in probe["exec"].get("command") or []]
        if runner is None:  # (no pods' shells: what svcflow knows of the command's exit code)
            code, output = command_fate(argv, stdin=False).code, ""
        else:
            code, output = runner.run_probe(pod, container.get("name", ""), argv)
        return PASS if code == 0 else ProbeResult(False, output)
    handler = next((probe[k] for k in ("httpGet", "tcpSocket", "grpc") if isinstance(probe.get(k), dict)), None)
    if handler is None:
        return PASS
    if handler.get("host"):
        return PASS  # (another host: not this container's to judge)
    number = _number(probe_port(container, handler.get("port")))
    workload, client = runner.probed(pod, str(container.get("name", ""))) if runner is not None else (None, "")
    if workload is None:  # (no pods' processes: the image's program, answering for itself)
        workload = workload_for(pod, container, now)
    if number is None or not workload.serves("TCP", number):
        return refused(pod, container, probe)
    if handler is probe.get("httpGet"):
        status = workload.answer_probe(handler.get("path") or "/", number, client)
        if status is not None and not 200 <= status < 400:
            return ProbeResult(False, f"HTTP probe failed with statuscode: {status}")
    return PASS


def unhealthy(kind: str, result: ProbeResult) -> str:
    """The Unhealthy event's message (prober.go: `%s probe failed: %s`)."""
    what = {"livenessProbe": "Liveness", "startupProbe": "Startup"}.get(kind, "Readiness")
    return f"{what} probe failed: {result.output}"
