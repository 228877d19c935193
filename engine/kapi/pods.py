"""What runs inside the served cluster's pods, as exec, attach and logs reach it: one
`Network` (the containers' processes, so the counter that `curl localhost:3000` bumped is
the one `kubectl logs` shows, and the redis that `telnet redis 6379` then asks) and one
shell per container (what `apk add` installed stays for the next `kubectl exec`, as in a
container). The dashboard passes its session's Network so both see the same processes.

The refusals kube-apiserver and the kubelet give before a stream starts live here too,
in their words (apiserver `pkg/registry/core/pod/strategy.go`, kubelet's streaming server).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.api.objects import meta
from engine.kapi.status import StatusError, bad_request
from engine.kubectl.shell import PodShell
from engine.kubelet.runtime import Exit, sleep_seconds, start_error
from engine.net.network import Network
from engine.workloads.base import Workload

if TYPE_CHECKING:
    from engine.cluster.cluster import Cluster


@dataclass
class PodProcesses:
    """The pods' processes and shells behind the served API."""

    cluster: "Cluster"
    net: Network
    shells: dict[str, PodShell] = field(default_factory=dict)

    @classmethod
    def of(cls, cluster: "Cluster", net: Network | None = None) -> "PodProcesses":
        procs = cls(cluster, net if net is not None else Network(cluster))
        kubelet = getattr(cluster, "kubelet", None)  # (an attached mirror runs no kubelet)
        if kubelet is not None:
            kubelet.runner = procs  # the main processes that end run in these shells
        return procs

    def run_main(self, pod: dict, container: str, argv: list[str]) -> Exit:
        """A container's main process that ends (`echo hi`, `nslookup redis`): run in the
        container's shell, its output goes to the container's log (`kubectl logs`, and what
        `kubectl run -it` shows), its status is the exit code. A program the image lacks
        (`curl` in busybox) never starts: StartError."""
        shell = self.shell(pod, container)
        if start_refusal(shell, argv) is not None:
            return start_error(argv[0])
        proc = self.process(pod, container)
        if proc is not None and _restarted(pod, container):
            proc.log.clear()  # a restarted container's log is its own (kubectl logs shows this run's)
        for delay, out in run_timed(shell, argv):
            if proc is None or not out:
                continue
            if delay <= 0:
                _print(proc, out)
            else:  # printed after a sleep: it reaches the log (and an attached kubectl) when the
                # sleep ends, just before the kubelet's timer ends the container at that instant
                self.cluster.clock.call_later(delay, lambda out=out, proc=proc: _print(proc, out), background=True)
        return Exit(shell.status)

    def shell(self, pod: dict, container: str) -> PodShell:
        """The shell of one container; a new pod (another uid) starts with a fresh one."""
        md = meta(pod)
        key = f"{md.get('namespace')}/{md.get('name')}/{md.get('uid')}/{container}"
        sh = self.shells.get(key)
        if sh is None:
            for k in [k for k in self.shells if k.startswith(f"{md.get('namespace')}/{md.get('name')}/")]:
                del self.shells[k]  # the pod was replaced: its filesystem went with it
            sh = self.shells[key] = PodShell(self.cluster, self.net, pod)
        sh.pod = pod
        return sh

    def process(self, pod: dict, container: str) -> Workload | None:
        names = container_names(pod)
        if container not in names:
            return None
        return self.net.processes(pod)[names.index(container)]


#: busybox applets every image here has that the pods' shell does not run: their status only
#: (a sleep takes no time here: the kubelet ends the container when it would have).
_STATUS_ONLY = {"true": 0, "false": 1, "sleep": 0}


def run_argv(shell: PodShell, argv: list[str]) -> str:
    """A command that is not an interactive shell: `cat /etc/resolv.conf`, `nslookup redis`,
    `sh -c 'a; b'`. Nothing stays open after it (a one-shot telnet is closed at once)."""
    return "".join(out for _, out in run_timed(shell, argv))


def run_timed(shell: PodShell, argv: list[str]) -> list[tuple[float, str]]:
    """`run_argv`'s output in pieces, each with the seconds of `sleep` before it."""
    shell.status = 0
    pieces: list[tuple[float, str]] = []
    if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in ("sh", "ash", "bash") and argv[1] == "-c":
        delay = 0.0
        for part in re.split(r"\n|;|&&", argv[2]):
            words = part.split()
            if words and words[0].rsplit("/", 1)[-1] == "sleep":
                delay += sleep_seconds(words[1:]) or 0.0
            text, exited = _run_line(shell, part)
            pieces.append((delay, text))
            if exited:
                break
    else:
        pieces.append((0.0, _run_line(shell, shlex.join(argv))[0]))
    shell.stream = None
    return pieces


def start_refusal(shell: PodShell, argv: list[str]) -> str | None:
    """Why the runtime cannot start `argv` in the container (the image lacks the program)."""
    if argv and argv[0].rsplit("/", 1)[-1] in _STATUS_ONLY:
        return None
    return shell.start_error(argv)


def _run_line(shell: PodShell, line: str) -> tuple[str, bool]:
    word = line.strip().split(" ", 1)[0].rsplit("/", 1)[-1]
    if word in _STATUS_ONLY:
        shell.status = _STATUS_ONLY[word]
        return "", False
    return shell.run(line)


def _print(proc: Workload, out: str) -> None:
    for line in out.splitlines():
        proc.print(line)


def _restarted(pod: dict, container: str) -> bool:
    return any(cs.get("name") == container and int(cs.get("restartCount") or 0) > 0
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def container_names(pod: dict) -> list[str]:
    return [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]


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
