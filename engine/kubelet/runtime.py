"""What a container's main process does once started: keep running (a server), wait on
its stdin (`kubectl run -it -- sh`), or end (`echo hi`, `nslookup redis`, `sleep 5`).

A real container lives as long as its main process. svcflow does not run programs, so it
tells them apart by their argv: the images it simulates serve for ever, a shell reading an
open stdin waits for whoever attaches, a shell script (`sh -c '...'`) is run by the pods'
simulated shells on the cluster's clock and ends when it does (a `while true` loop never:
see `MainRunner`), a command svcflow knows as one that finishes ends (its output and exit
code from the same shells), and anything it does not know keeps running, as a server would,
rather than end wrongly. (`Fate` still sizes up a script without running it, for how it
meets a SIGTERM.)

The container statuses the kubelet writes for an ended process (`terminated`, the
CrashLoopBackOff wait and its back-off) are shaped here too, in the kubelet's words
(pkg/kubelet/kuberuntime, pkg/kubelet/status).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Callable, Protocol

from engine.api.objects import meta
from engine.workloads.base import Workload
from engine.workloads.entrypoint import ONE_SHOT, SHELLS, image_base, program

# (not tail among ONE_SHOT: `tail -f` keeps a container up)

#: The main process of images whose default command is a shell (busybox's `sh`, alpine's `/bin/sh`).
SHELL_IMAGES = frozenset({"busybox", "alpine"})
#: kubelet's container restart back-off: 10 s doubling to 5 min (MaxContainerBackOff).
BACKOFF_START, BACKOFF_MAX = 10.0, 300.0
#: sh's reserved words before a command (`do CMD`) and those that are a whole part of a script
_OPENERS = frozenset({"do", "then", "else", "elif", "if", "{", "!"})
_CLOSERS = frozenset({"for", "done", "fi", "}"})
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
#: Programs with no SIGTERM handler: as a container's PID 1 the kernel delivers them no
#: SIGTERM, so they run until the grace period ends and the runtime sends SIGKILL.
NO_SIGTERM_HANDLER = SHELLS | {"sleep", "tail"}
#: How long a server that handles SIGTERM takes to shut down (nginx, redis: well under a second).
SHUTDOWN_SECONDS = 1.0
#: The exit code of a process the runtime killed (128 + SIGKILL).
KILLED = 137


@dataclass(frozen=True)
class Fate:
    """What a started main process does: `runs` for ever (a server, or unknown), waits on
    `interactive` stdin, or ends `after` seconds (0: at once) with `code` (unless a
    `MainRunner` runs it and says)."""

    runs: bool = False
    interactive: bool = False
    after: float = 0.0
    code: int = 0


RUNS = Fate(runs=True)


@dataclass(frozen=True)
class Exit:
    """How a main process ended: its exit code, and the runtime's reason and message when it
    never started (StartError); else the reason is Completed or Error by the code."""

    code: int
    reason: str = ""
    message: str = ""


#: What containerd reports for a container whose end it did not see (its node's container
#: stopped under it): exit code 255, reason Unknown (cri's unknownExitCode / unknownExitReason).
LOST = Exit(255, "Unknown")


def start_error(program: str) -> Exit:
    """The image has no such program: containerd cannot start the container (exit code 128)."""
    return Exit(128, "StartError",
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
                "create failed: unable to start container process: error during container init: exec: "
                f'"{program}": executable file not found in $PATH: unknown')


class MainRunner(Protocol):
    """Runs commands in a container for the kubelet (the pods' shells of every front end:
    engine.containers.processes): a main process that ends, for its output (to the
    container's log) and how it ended; a main shell script (`sh -c 'while true; ...'`), on
    the cluster's clock, telling `on_exit` when it ends; an exec probe's command, for its exit
    code and output; for a network probe, the container's running process and the address
    the probe comes from as the pod sees it; and a process that runs on (a server) starting
    again, for its log (the last run's kept for `logs --previous`) and its fresh start."""

    def run_main(self, pod: dict, container: str, argv: list[str]) -> Exit: ...

    def start_script(self, pod: dict, container: str, argv: list[str],
                     on_exit: Callable[[Exit], None]) -> Exit | None: ...

    def run_probe(self, pod: dict, container: str, argv: list[str]) -> tuple[int, str]: ...

    def started_again(self, pod: dict, container: str) -> None: ...

    def probed(self, pod: dict, container: str) -> tuple[Workload | None, str]: ...


def main_argv(container: dict, *, image_default: bool = False) -> list[str]:
    """What the container's command and args run: `command` in place of the image's
    ENTRYPOINT, `args` in place of its CMD, through the image's docker-entrypoint.sh
    (engine.workloads.entrypoint: redis's `args: [sleep, "5"]` is a sleep); with
    `image_default`, an image whose default command svcflow knows (busybox, alpine: `sh`)
    fills in when the spec gives neither."""
    argv = list(program(container).argv or ()) if container.get("command") or container.get("args") else []
    if not argv and image_default and image_base(str(container.get("image", ""))) in SHELL_IMAGES:
        return ["sh"]
    return argv


def is_script(argv: list[str]) -> bool:
    """`sh -c SCRIPT` (ash, bash, with a path): a main process the runner runs step by step."""
    return len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] == "-c"


def is_shell(argv: list[str]) -> bool:
    return len(argv) == 1 and argv[0].rsplit("/", 1)[-1] in SHELLS


def sleep_seconds(args: list[str]) -> float | None:
    """busybox sleep's duration (`5`, `1.5`, `2m`, several summed); None for `infinity` or junk."""
    total = 0.0
    for a in args:
        m = _DURATION.match(a)
        if m is None:
            return None
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return total if args else None


def _script_fate(script: str) -> Fate:
    """`sh -c SCRIPT`: it ends when every command of it does (`;`, `&&`, newlines, the body of
    a `for` or an `if`); the sleeps in it add up (a loop's once); a `while` loop or anything
    unknown keeps it running."""
    after = 0.0
    for part in re.split(r"\n|;|&&|\|\|", script):
        part = part.strip()
        if not part:
            continue
        try:
            words = shlex.split(part)
        except ValueError:
            return RUNS
        while words and words[0] in _OPENERS:  # `do echo $i`, `then ...`: the command after the word
            words = words[1:]
        if not words or words[0] in _CLOSERS:
            continue  # (`for i in 1 2 3` and `done` run nothing themselves)
        if words[0] in ("while", "until"):
            return RUNS  # (`while true`: svcflow does not guess when a loop ends)
        fate = command_fate(words, stdin=False)
        if fate.runs or fate.interactive:
            return RUNS
        after += fate.after
        if words[0] == "exit":
            return Fate(after=after, code=_exit_code(words))
    return Fate(after=after)


def _exit_code(words: list[str]) -> int:
    try:
        return int(words[1]) & 0xFF if len(words) > 1 else 0
    except ValueError:
        return 2


def command_fate(argv: list[str], *, stdin: bool) -> Fate:
    """What the process `argv` does when started with (or without) an open stdin."""
    if not argv:
        return RUNS
    tool = argv[0].rsplit("/", 1)[-1]
    if tool in SHELLS:
        if len(argv) == 1:
            return Fate(interactive=True) if stdin else Fate()  # stdin at EOF: the shell exits 0
        if argv[1] == "-c" and len(argv) >= 3:
            return _script_fate(argv[2])
        return RUNS
    if tool == "sleep":
        secs = sleep_seconds(argv[1:])
        return RUNS if secs is None else Fate(after=secs)
    if tool == "false":
        return Fate(code=1)
    if tool == "exit":
        return Fate(code=_exit_code(argv))
    if tool in ONE_SHOT:
        return Fate()
    return RUNS


def container_fate(container: dict) -> Fate:
    """The fate of a container's main process (an image's default command counts only when
    it is an interactive shell: a busybox pod without a command is left running, as svcflow
    always ran it)."""
    stdin = bool(container.get("stdin"))
    fate = command_fate(main_argv(container), stdin=stdin)
    if fate.runs and stdin and is_shell(main_argv(container, image_default=True)):
        return Fate(interactive=True)
    return fate


@dataclass(frozen=True)
class Stop:
    """How a running container's main process ends once the kubelet stops it (SIGTERM,
    then SIGKILL when the grace period is over): `after` seconds from the SIGTERM, with
    exit `code`."""

    after: float
    code: int
    reason: str = ""


def on_sigterm(container: dict, handles_sigterm: bool, grace: float, ran_for: float) -> Stop:
    """What the container's main process does with the kubelet's SIGTERM: a shell or a
    `sleep` (PID 1 without a handler) ignores it and is killed when the `grace` seconds are
    over (137) -- unless it ends by itself first (`sleep 5` that has run for `ran_for`
    seconds); a server that handles it (`handles_sigterm`, the image's own process: nginx,
    redis) shuts down at once and exits 0 -- also when a shell exec'd it (`sh -c 'exec
    redis-server'`: the server is PID 1 then); any other process has no handler either."""
    argv = main_argv(container, image_default=True)
    pid1_server = program(container).server_is_pid1  # (`sh -c 'exec redis-server'`: the server gets it)
    if argv and argv[0].rsplit("/", 1)[-1] in NO_SIGTERM_HANDLER and not pid1_server:
        fate = container_fate(container)
        if not (fate.runs or fate.interactive) and 0 <= fate.after - ran_for < grace:
            return Stop(max(fate.after - ran_for, 0.0), fate.code)
        return Stop(grace, KILLED)
    if handles_sigterm:
        return Stop(min(SHUTDOWN_SECONDS, grace), 0)
    return Stop(grace, KILLED)


def restarts(policy: str | None, code: int) -> bool:
    """Whether the kubelet starts an ended container again (restartPolicy, default Always)."""
    policy = policy or "Always"
    return policy == "Always" or (policy == "OnFailure" and code != 0)


def terminated(container_id: str, end: Exit, started: str, finished: str) -> dict:
    """A container status's `terminated` state (reason Completed for 0, else Error; a
    container that never started has the zero time as its start)."""
    state = {"containerID": container_id, "exitCode": end.code, "finishedAt": finished,
             "reason": end.reason or ("Completed" if end.code == 0 else "Error"),
             "startedAt": "1970-01-01T00:00:00Z" if end.reason == "StartError" else started}
    if end.message:
        state["message"] = end.message
    return {"terminated": dict(sorted(state.items()))}


def backoff_seconds(exits: int) -> float:
    """The wait before the restart after the `exits`-th exit (the first restart is at once)."""
    if exits <= 1:
        return 0.0
    return min(BACKOFF_START * 2 ** (exits - 2), BACKOFF_MAX)


def backoff_message(seconds: float, container: str, pod: dict) -> str:
    """The CrashLoopBackOff wait's message (kuberuntime doBackOff, format.Pod)."""
    md = meta(pod)
    dur = f"{int(seconds // 60)}m{int(seconds % 60)}s" if seconds >= 60 else f"{int(seconds)}s"
    return (f"back-off {dur} restarting failed container={container} "
            f"pod={md.get('name')}_{md.get('namespace')}({md.get('uid')})")


def pod_phase_after(policy: str | None, codes: dict[str, int | None]) -> str:
    """The pod's phase once its containers' processes ended (None: still running): with a
    policy that restarts, it stays Running; else Succeeded when every one exited 0, Failed
    when all ended and one did not (kubelet getPhase)."""
    if any(c is None for c in codes.values()):
        return "Running"
    if all(c == 0 for c in codes.values()):
        return "Succeeded"
    return "Running" if (policy or "Always") == "Always" else "Failed"
