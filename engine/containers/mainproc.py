"""A container's main process that is a shell script (`sh -c 'while true; do echo hello
$(date); sleep 5; done'`), run on the cluster's clock a stretch at a time.

The commonest pod of the tutorials loops for ever. Its script runs in a shell of its own
(the container's files, not an exec'd shell's variables) through the interpreter's
generators (`engine.containers.interp`): each stretch runs until a command lets simulated
time pass (`sleep 5`), what it printed goes to the container's log at the instant it was
printed, and the next stretch is a background timer that many seconds later, as a loop that
never ends is on a real node (an idle deterministic run does not wait for it; time passing
runs it). The script's end (`exit 3`, its last command) is the container's: the kubelet is
told through `on_exit`, as for any main process that ends.

A stretch stops being resumed once its container no longer runs this process: the pod went,
the container was killed (a failed liveness probe, a grace period's end) or started again.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Callable

from engine.api.objects import meta
from engine.containers.interp import Interpreter, Output, Steps
from engine.containers.proc import ShellExit
from engine.containers.shell import PodShell
from engine.kubelet.runtime import Exit, is_script
from engine.workloads.base import Workload

log = logging.getLogger("svcflow.containers")

#: Rounds of a loop in which no time passed (`while true; do echo hi; done`) that one stretch
#: runs before svcflow lets a simulated second pass: such a loop prints as fast as the CPU
#: goes on a real node. A loop that ends (`for i in $(seq 100)`) is done within the first
#: BUSY_ROUNDS at once; one that goes on prints BUSY_ROUNDS_AFTER rounds a second from then,
#: so the container's log stays bounded.
BUSY_ROUNDS, BUSY_ROUNDS_AFTER = 1000, 10
BUSY_PAUSE = 1.0


def script_of(argv: list[str]) -> str | None:
    """The script of `sh -c SCRIPT [NAME ARGS...]` (also ash, bash, with a path); None for
    any other main process."""
    return argv[2] if is_script(argv) else None


@dataclass
class MainScript:
    """One run of a container's main shell script: its shell, where it stands, where its
    output goes."""

    shell: PodShell
    steps: Steps
    output: Output
    log: Workload | None
    still_running: Callable[[], bool]  # the container still runs this very process
    on_exit: Callable[[Exit], None]
    done: bool = field(default=False)
    busy: bool = field(default=False)  # the last stretch was a loop that let no time pass

    @classmethod
    def start(cls, shell: PodShell, script: str, log: Workload | None, still_running: Callable[[], bool],
              on_exit: Callable[[Exit], None]) -> "MainScript":
        out = Output()
        steps = Interpreter(shell, out, unbounded=True).line_steps(script, "")
        return cls(shell, steps, out, log, still_running, on_exit)

    def first(self) -> Exit | None:
        """The first stretch, as the container starts: how the script ended when it ends at
        once (`echo hi`), else None (it goes on on the clock)."""
        return self._stretch()

    def _resume(self) -> None:
        if self.done:
            return
        self.shell.wake()
        if not self.still_running():
            self.stop()
            return
        end = self._stretch()
        if end is not None:
            self.on_exit(end)

    def _end(self, end: Exit) -> None:
        if self.done:
            return
        self.done = True
        self.shell.wake()
        if self.still_running():
            self.on_exit(end)

    def stop(self) -> None:
        """The container no longer runs it (killed, gone): the script goes no further."""
        self.done = True
        self.shell.wake()
        self.steps.close()

    def _stretch(self) -> Exit | None:
        shell = self.shell
        shell.elapsed = 0.0
        end: Exit | None = None
        rounds, busy = 0, False
        try:
            while True:
                next(self.steps)
                if shell.elapsed > 0:
                    break
                rounds += 1
                if rounds >= (BUSY_ROUNDS_AFTER if self.busy else BUSY_ROUNDS):
                    shell.elapsed, busy = BUSY_PAUSE, True
                    break
        except StopIteration:
            end = Exit(shell.status)
        except ShellExit as e:
            end = Exit(e.code)
        except Exception as exc:  # noqa: BLE001 - svcflow's own bug must not stop the kubelet
            log.error("svcflow: a container's script failed in the simulation: %s: %s", type(exc).__name__, exc)
            end = Exit(1)
        self.busy = busy
        self._flush()
        if end is not None and shell.elapsed > 0:  # (`exec sleep 5`: the end comes when its last program's does)
            if not math.isinf(shell.elapsed):
                shell.cluster.clock.call_later(shell.elapsed, lambda: self._end(end), background=True)
            return None
        if end is not None:
            self.done = True
            shell.wake()
            return end
        if not math.isinf(shell.elapsed):  # (`sleep infinity`, `tail -f`: in it until the container stops)
            shell.cluster.clock.call_later(shell.elapsed, self._resume, background=True)
        return None

    def _flush(self) -> None:
        """What this stretch printed, to the container's log at the instant it was printed
        (stdout and stderr alike, as the runtime's log file takes both)."""
        chunks, self.output.chunks = self.output.chunks, []
        if self.log is None:
            return
        for delay, _, text in chunks:
            if not text:
                continue
            if delay <= 0:
                print_lines(self.log, text)
            else:
                self.shell.cluster.clock.call_later(delay, lambda t=text: print_lines(self.log, t), background=True)


def print_lines(proc: Workload, out: str) -> None:
    """A process's output, a log line per line."""
    for line in out.splitlines():
        proc.print(line)


def container_running(cluster, pod: dict, container: str) -> Callable[[], bool]:
    """Whether `container` of `pod` still runs the process started now: the pod (same uid)
    is there, its node runs, and the container's current run is the one that started (its
    containerID)."""
    md = meta(pod)
    ns, name, uid = md.get("namespace", "default"), md.get("name", ""), md.get("uid")
    started: list[str] = []

    def check() -> bool:
        live = cluster.store.get("Pod", ns, name)
        if live is None or meta(live).get("uid") != uid:
            return False
        kubelet = getattr(cluster, "kubelet", None)
        node = (live.get("spec") or {}).get("nodeName")
        if kubelet is not None and node and not kubelet.machines.running(node):
            return False  # its node's container stopped (`docker stop`): every process on it died
        for cs in (live.get("status") or {}).get("containerStatuses") or []:
            if cs.get("name") == container:
                if "running" not in (cs.get("state") or {}):
                    return False
                ident = str(cs.get("containerID", ""))
                if not started:
                    started.append(ident)  # (the first look: the run the kubelet just wrote)
                return started[0] == ident
        return False
    return check
