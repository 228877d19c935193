"""The refusals kube-apiserver and the kubelet give before a pod's stream or log starts, in
their words (apiserver `pkg/registry/core/pod/strategy.go`, kubelet's streaming server).
What runs inside the pods (their processes and shells, one set per cluster, shared with
`svcflow session` and the dashboard's prompt) is `engine.containers.processes`.
"""
from __future__ import annotations

from engine.api.objects import meta
from engine.containers.processes import container_names
from engine.kapi.status import StatusError, bad_request


def pick_container(pod: dict, asked: str | None) -> str:
    """The container a stream or a log is for: the one asked, else the only one (the
    apiserver refuses to guess between several: `kubectl` sends `container=` after its own
    defaulting)."""
    names = container_names(pod)
    name = meta(pod).get("name", "")
    if asked:
        if asked not in names:
            raise bad_request(f"container {asked} is not valid for pod {name}")
        return asked
    if len(names) == 1:
        return names[0]
    raise bad_request(f"a container name must be specified for pod {name}, choose one of: "
                      f"[{' '.join(names)}]")


def running_container(pod: dict, container: str) -> str | None:
    """Why `container` cannot take a stream (the kubelet's answer), or None when it runs."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container and "running" in (cs.get("state") or {}):
            return None
    return f'unable to upgrade connection: container not found ("{container}")'


def completed(pod: dict) -> StatusError | None:
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return bad_request(f"cannot exec into a container in a completed pod; current phase is {phase}")
    return None
