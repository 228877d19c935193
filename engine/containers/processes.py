"""What runs inside one cluster's pods, whoever looks (the served API's exec, attach and
logs; `svcflow session` and the dashboard's `:` prompt): one `Network` (the containers'
processes, so the counter that `curl localhost:3000` bumped is the one `kubectl logs`
shows) and one shell per container (what `apk add` installed and the files written stay
for the next `kubectl exec`, as in a container).

It is also the kubelet's runner for main processes that end (`command: [echo, hi]`): it
runs them in the container's shell, so their output is the container's log in every front
end. `PodProcesses.of(cluster)` registers it when the cluster is built and hands the same
one to everyone after, so there is one per cluster and no global state.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from engine.api.objects import meta
from engine.cluster.cluster import Cluster
from engine.containers.shell import PodShell
from engine.kubelet.runtime import Exit, start_error
from engine.net.network import Network
from engine.workloads.base import Workload

log = logging.getLogger("svcflow.containers")


@dataclass
class PodProcesses:
    """The pods' processes and shells of one cluster."""

    cluster: Cluster
    net: Network
    shells: dict[str, PodShell] = field(default_factory=dict)

    @classmethod
    def of(cls, cluster: Cluster, net: Network | None = None) -> "PodProcesses":
        """The cluster's one (the kubelet's runner), made and registered on first use; with
        `net`, the one over that Network."""
        kubelet = getattr(cluster, "kubelet", None)  # (an attached mirror runs no kubelet)
        known = getattr(kubelet, "runner", None)
        if isinstance(known, PodProcesses) and (net is None or known.net is net):
            return known
        procs = cls(cluster, net if net is not None else Network(cluster))
        if kubelet is not None:
            kubelet.runner = procs  # the main processes that end run in these shells
        return procs

    def run_main(self, pod: dict, container: str, argv: list[str]) -> Exit:
        """A container's main process that ends (`echo hi`, `nslookup redis`): run in the
        container's shell, its output goes to the container's log (`kubectl logs`, and what
        `kubectl run -it` shows), its status is the exit code. A program the image lacks
        (`curl` in busybox) never starts: StartError."""
        shell = self.shell(pod, container)
        if shell.start_error(argv) is not None:
            return start_error(argv[0])
        proc = self.process(pod, container)
        if proc is not None and _restarted(pod, container):
            proc.log.clear()  # a restarted container's log is its own (kubectl logs shows this run's)
        try:
            out = shell.exec(argv)
        except Exception as exc:  # noqa: BLE001 - svcflow's own bug must not stop the kubelet
            log.error("svcflow: a container's command failed in the simulation: %s: %s", type(exc).__name__, exc)
            return Exit(1)
        for delay, _, text in out.chunks:  # stdout and stderr both go to the container's log
            if proc is None or not text:
                continue
            if delay <= 0:
                _print(proc, text)
            else:  # printed after a sleep: it reaches the log (and an attached kubectl) when the
                # sleep ends, just before the kubelet's timer ends the container at that instant
                self.cluster.clock.call_later(delay, lambda text=text, proc=proc: _print(proc, text), background=True)
        return Exit(shell.status)

    def run_probe(self, pod: dict, container: str, argv: list[str]) -> tuple[int, str]:
        """An exec probe's command, run in the container's shell: its exit code and what it
        printed on stdout and stderr together, as the kubelet's exec prober reads it (none of
        it reaches the container's log). A program the image lacks never starts (126)."""
        shell = self.shell(pod, container)
        refused = shell.start_error(argv)
        if refused is not None:
            return 126, refused.split("error executing command in container: ", 1)[-1]
        try:
            out = shell.exec(argv)
        except Exception as exc:  # noqa: BLE001 - svcflow's own bug must not stop the kubelet
            log.error("svcflow: a probe's command failed in the simulation: %s: %s", type(exc).__name__, exc)
            return 1, ""
        return shell.status, out.text()

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


def _print(proc: Workload, out: str) -> None:
    for line in out.splitlines():
        proc.print(line)


def _restarted(pod: dict, container: str) -> bool:
    return any(cs.get("name") == container and int(cs.get("restartCount") or 0) > 0
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def container_names(pod: dict) -> list[str]:
    return [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
