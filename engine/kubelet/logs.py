"""The kubelet's container logs: what `kubectl logs` gets back, for the served API
(`engine.kapi.logs`, `GET …/pods/NAME/log`) and svcflow's own `kubectl logs` (the session,
the dashboard's `:` prompt) alike.

The lines are what a container's simulated process wrote (`engine.workloads`, each stamped
as the runtime's log file stamps it); this module picks the ones PodLogOptions asks for and
says, in the kubelet's words, why a container has none to give yet. `--previous` reads
the instance `lastState.terminated` names (the kubelet keeps one previous log per container:
`Workload.previous`).
"""
from __future__ import annotations

from datetime import datetime

from engine.api.objects import meta
from engine.workloads.base import LogLine, Workload


def stamp(t: datetime) -> str:
    """The kubelet's `timeFormatOut` (`2006-01-02T15:04:05.000000000Z07:00`), in UTC."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond * 1000:09d}Z"


def render(lines: list[LogLine], timestamps: bool) -> str:
    """The log's text, a line each, `--timestamps` prefixing the runtime's stamp."""
    return "".join((stamp(ln.time) + " " if timestamps else "") + ln.text + "\n" for ln in lines)


def select(lines: list[LogLine], *, since: datetime | None = None, tail: int | None = None) -> list[LogLine]:
    """The lines `sinceSeconds`/`sinceTime` and then `tailLines` keep (oldest first)."""
    if since is not None:
        lines = [ln for ln in lines if ln.time >= since]
    if tail is not None:
        lines = lines[max(0, len(lines) - tail):] if tail else []  # (more than there are: all of them)
    return lines


def not_started(pod: dict, container: str) -> str | None:
    """Why `container` has no log yet (the kubelet's BadRequest message: a pod on no node, a
    container still waiting), or None when it has started. A container waiting to restart
    (CrashLoopBackOff) gives its last run's log (validateContainerLogStatus: lastState)."""
    name = meta(pod).get("name", "")
    if not (pod.get("spec") or {}).get("nodeName"):
        return f"pod {name} does not have a host assigned"
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container:
            state = cs.get("state") or {}
            if "waiting" in state and "terminated" not in (cs.get("lastState") or {}):
                reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
                return f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            return None
    return f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'


def _status(pod: dict, container: str) -> dict:
    return next((cs for cs in (pod.get("status") or {}).get("containerStatuses") or []
                 if cs.get("name") == container), {})


def previous_not_found(pod: dict, container: str) -> str | None:
    """Why `kubectl logs --previous` has nothing to give (kube-apiserver's `does not have a
    host assigned`; the kubelet's validateContainerLogStatus: no `lastState.terminated` with a
    container ID, as for a container never restarted or one whose image never pulled), or
    None when the container's last terminated instance has a log."""
    name = meta(pod).get("name", "")
    if not (pod.get("spec") or {}).get("nodeName"):
        return f"pod {name} does not have a host assigned"
    last = ((_status(pod, container).get("lastState") or {}).get("terminated") or {})
    if not last.get("containerID"):
        return f'previous terminated container "{container}" in pod "{name}" not found'
    return None


def previous_lines(pod: dict, container: str, proc: Workload | None) -> list[LogLine]:
    """The log of the instance `lastState.terminated` names: while the container waits to
    start again (CrashLoopBackOff) that is the run that just ended, whose log is still the
    current one; once it runs again (or ended for good after a restart) it is the run before,
    the log the kubelet kept when the new one started."""
    if proc is None:
        return []
    waiting = "waiting" in (_status(pod, container).get("state") or {})
    return list(proc.log if waiting else proc.previous)
