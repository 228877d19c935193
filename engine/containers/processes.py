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
from typing import Callable

from engine.api.objects import meta
from engine.cluster.cluster import Cluster
from engine.containers.iproute import pod_addresses
from engine.containers.mainproc import MainScript, container_running, print_lines, script_of
from engine.containers.shell import PodShell
from engine.kubelet.runtime import Exit, main_argv, start_error
from engine.net.network import Network
from engine.workloads.base import Workload

log = logging.getLogger("svcflow.containers")


@dataclass
class PodProcesses:
    """The pods' processes and shells of one cluster."""

    cluster: Cluster
    net: Network
    shells: dict[str, PodShell] = field(default_factory=dict)
    scripts: dict[str, MainScript] = field(default_factory=dict)  # container -> its main script now running
    # "namespace/name" -> (the uid its shells belong to, their keys): a new shell finds what a
    # replaced pod of the same name left with one look-up, not a scan of every container's
    generations: dict[str, tuple[str, set[str]]] = field(default_factory=dict)

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

    def start_script(self, pod: dict, container: str, argv: list[str], on_exit: Callable[[Exit], None]) -> Exit | None:
        """A container's main process that is a shell script (`sh -c 'while true; ...'`):
        run on the cluster's clock (engine.containers.mainproc); how it ended when it ends at
        once, else None and `on_exit` is called when it ends (never, for `while true`)."""
        started = self._starting(pod, container, argv, script=True)
        if isinstance(started, Exit):
            return started
        shell, proc = started
        main = shell.main_shell(argv[0])
        main.pid = 1
        script = MainScript.start(main, script_of(argv) or "", proc, container_running(self.cluster, pod, container),
                                  on_exit)
        self.scripts[_key(pod, container)] = script
        return script.first()

    def _starting(self, pod: dict, container: str, argv: list[str], *, script: bool = False):
        """A container's main process starting: its shell and process (a restarted container's
        log begins again; a script's previous run is stopped; PID 1 is the command), or how it
        failed to start (a program the image lacks: StartError)."""
        shell = self.shell(pod, container)
        if shell.start_error(argv) is not None:
            return start_error(argv[0])
        proc = self.process(pod, container)
        if proc is not None and _restarted(pod, container):
            proc.restarted()  # a restarted container's log is its own; the last run's is `logs --previous`'s
        old = self.scripts.pop(_key(pod, container), None) if script else None
        if old is not None:
            old.stop()  # (the container's previous run: it ended or was killed)
        shell.pids.main(argv)
        return shell, proc

    def started_again(self, pod: dict, container: str) -> None:
        """A container whose process runs on (a server, a shell waiting on its stdin) starts
        again after its last run ended (a failed liveness probe, a new sandbox): the last
        run's log is the one `logs --previous` reads, and the server starts afresh. A first
        run makes nothing: the process is made when something reaches it (at 100,000 pods
        that is ~270 MiB the engine does not hold for processes no one looks at)."""
        if not _restarted(pod, container):
            return
        proc = self.process(pod, container)
        if proc is not None:
            proc.restarted()

    def run_main(self, pod: dict, container: str, argv: list[str]) -> Exit:
        """A container's main process that ends (`echo hi`, `nslookup redis`): run in the
        container's shell, its output goes to the container's log (`kubectl logs`, and what
        `kubectl run -it` shows), its status is the exit code. A program the image lacks
        (`curl` in busybox) never starts: StartError."""
        started = self._starting(pod, container, argv)
        if isinstance(started, Exit):
            return started
        shell, proc = started
        try:
            out = shell.exec(argv)
        except Exception as exc:  # noqa: BLE001 - svcflow's own bug must not stop the kubelet
            log.error("svcflow: a container's command failed in the simulation: %s: %s", type(exc).__name__, exc)
            return Exit(1)
        for delay, _, text in out.chunks:  # stdout and stderr both go to the container's log
            if proc is None or not text:
                continue
            if delay <= 0:
                print_lines(proc, text)
            else:  # printed after a sleep: it reaches the log (and an attached kubectl) when the
                # sleep ends, just before the kubelet's timer ends the container at that instant
                self.cluster.clock.call_later(delay, lambda text=text, proc=proc: print_lines(proc, text),
                                              background=True)
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

    def probed(self, pod: dict, container: str) -> tuple[Workload | None, str]:
        """What an httpGet/tcpSocket probe of `container` reaches: its running process (the one
        whose log `kubectl logs` reads: nginx logs the probe's GET), and where the probe comes
        from as the pod sees it: the node's end of the pod's veth (kindnet's ptp gateway, the
        podCIDR's first address), not the node's InternalIP."""
        net = pod_addresses(self.cluster.topology, pod)
        return self.process(pod, container), str(net[1]) if net is not None else ""

    def shell(self, pod: dict, container: str) -> PodShell:
        """The shell of one container; a new pod (another uid) starts with a fresh one. A
        container with no main process known yet has its image's as PID 1 (what `ps` shows)."""
        key = _key(pod, container)
        sh = self.shells.get(key)
        if sh is None:
            self._generation(pod).add(key)
            sh = self.shells[key] = PodShell(self.cluster, self.net, pod, container=container)
            spec = next((c for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name") == container), {})
            sh.pids.main(main_argv(spec, image_default=True) or image_command(sh.image))
        sh.pod = pod
        return sh

    def _generation(self, pod: dict) -> set[str]:
        """The keys of this pod's shells; a pod that replaced one of the same name (another
        uid) first clears what that one left: its filesystem and main scripts went with it."""
        md = meta(pod)
        name, uid = f"{md.get('namespace')}/{md.get('name')}", str(md.get("uid"))
        known = self.generations.get(name)
        if known is not None and known[0] == uid:
            return known[1]
        for key in known[1] if known is not None else ():
            self.shells.pop(key, None)
            script = self.scripts.pop(key, None)
            if script is not None:
                script.stop()
        keys: set[str] = set()
        self.generations[name] = (uid, keys)
        return keys

    def process(self, pod: dict, container: str) -> Workload | None:
        names = container_names(pod)
        if container not in names:
            return None
        return self.net.processes(pod)[names.index(container)]


def _key(pod: dict, container: str) -> str:
    md = meta(pod)
    return f"{md.get('namespace')}/{md.get('name')}/{md.get('uid')}/{container}"


#: The command line of images' own main processes (their Dockerfiles' ENTRYPOINT and CMD as
#: the process shows them), for `ps` in a container whose spec gives no command.
IMAGE_COMMANDS = {"redis": ["redis-server", "*:6379"], "nginx": ["nginx: master process nginx -g daemon off;"],
                  "ghcr.io/subicura/counter": ["node", "index.js"]}


def image_command(image: str) -> list[str]:
    return IMAGE_COMMANDS.get(image) or IMAGE_COMMANDS.get(image.rsplit("/", 1)[-1]) or [image.rsplit("/", 1)[-1]]


def _restarted(pod: dict, container: str) -> bool:
    return any(cs.get("name") == container and int(cs.get("restartCount") or 0) > 0
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def container_names(pod: dict) -> list[str]:
    return [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
