"""The processes of one container (its PID namespace) and busybox's `ps`.

PID 1 is the container's main process; every process started after it (what the main
script runs, an exec'd shell, the programs that shell starts, `ps` itself) takes the next
PID, as the kernel hands them out in a fresh namespace. Short-lived ones (`$(date)` in a
loop) use up PIDs without staying in the table; a `sleep` a script is in stays until it
ends, so `ps` in a pod looping on `sleep 5` shows it, as on a node.

`ps` prints busybox's default columns (`pid,user,time,args`, procps/ps.c): the PID right-
aligned in 5, the user in 8, the CPU time (`M:SS`; these processes sleep, 0:00) and the
command line with its arguments joined by spaces (control characters, a script's newlines,
shown as spaces, as read_cmdline does).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.containers.proc import Proc


@dataclass
class ContainerProcess:
    pid: int
    argv: list[str]
    user: str = "root"


@dataclass
class ProcessTable:
    """The PIDs of one container: the last one handed out and those still running."""

    last: int = 0
    running: dict[int, ContainerProcess] = field(default_factory=dict)

    def spawn(self, argv: list[str]) -> int:
        """A new process (`fork` + `exec`): the next PID, in the table until `end`."""
        self.last += 1
        self.running[self.last] = ContainerProcess(self.last, list(argv))
        return self.last

    def fork(self) -> None:
        """A child that ends before anyone can look (a command substitution's subshell)."""
        self.last += 1

    def end(self, pid: int | None) -> None:
        if pid is not None:
            self.running.pop(pid, None)

    def main(self, argv: list[str]) -> None:
        """The container (re)started with `argv` as PID 1: a new namespace."""
        self.last = 0
        self.running.clear()
        self.spawn(argv)


def cmdline(argv: list[str]) -> str:
    """/proc/PID/cmdline as ps shows it: the words joined by spaces, control characters as spaces."""
    return "".join(ch if ch >= " " else " " for ch in " ".join(argv))


def ps(p: Proc) -> int:
    """busybox ps (the `ps` of Alpine and busybox images): every process of the container."""
    table: ProcessTable = p.shell.pids
    lines = ["PID   USER     TIME  COMMAND"]
    for pid in sorted(table.running):
        proc = table.running[pid]
        lines.append(f"{pid:5d} {proc.user:<8.8s} {0:2d}:{0:02d} {cmdline(proc.argv)}")
    p.out("\n".join(lines) + "\n")
    return 0
