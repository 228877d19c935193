"""The kubelet's container logs: what `kubectl logs` gets back, for the served API
(`engine.kapi.logs`, `GET …/pods/NAME/log`) and svcflow's own `kubectl logs` (the session,
the dashboard's `:` prompt) alike.

The lines are what a container's simulated process wrote (`engine.workloads`, each stamped
as the runtime's log file stamps it); this module picks the ones PodLogOptions asks for and
says, in the kubelet's words, why a container has none to give yet.
"""
from __future__ import annotations

from datetime import datetime

from engine.api.objects import meta
from engine.workloads.base import LogLine


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
