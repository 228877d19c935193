"""One command running in a container's shell: its arguments, what its stdin holds, and
what it writes, in order, to stdout (fd 1) and stderr (fd 2). Byte streams (a tar
archive) travel as text decoded with `surrogateescape`, so every byte comes back out."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol

from engine.containers.files import ContainerFiles

ENCODING, ERRORS = "utf-8", "surrogateescape"


def to_text(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


def to_bytes(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


class ShellExit(Exception):
    """`exit N`: the shell ends (after what it printed so far)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Shell(Protocol):
    """What a command sees of the shell that runs it (engine.containers.shell.PodShell)."""

    pod: dict
    net: Any  # engine.net.network.Network
    cluster: Any  # engine.cluster.cluster.Cluster
    files: ContainerFiles
    cwd: str
    pids: Any  # engine.containers.procps.ProcessTable
    status: int
    elapsed: float
    variables: dict[str, str]
    exported: set[str]
    unset: set[str]
    lineno: int

    def error_prefix(self, *, syntax: bool = False) -> str: ...

    @property
    def distro(self) -> str: ...

    @property
    def dialect(self) -> str: ...

    def enter(self, program: str) -> None: ...

    def wait_forever(self) -> None: ...

    def path(self, p: str) -> str: ...

    def has(self, tool: str) -> bool: ...

    def which(self, tool: str) -> str: ...

    def programs(self) -> set[str]: ...

    def now(self) -> datetime: ...

    def environment(self, extra: dict[str, str] | None = None) -> list[tuple[str, str]]: ...

    def parameter(self, name: str) -> str: ...

    def call(self, proc: "Proc", word: str, *, replace: bool = False) -> int: ...

    def subshell(self, proc: "Proc", script: str, name: str = "", *, command_string: bool = False) -> int: ...

    def open_stream(self, stream: Any) -> None: ...

    main_process: bool

    def workload(self) -> Any: ...


@dataclass
class Proc:
    """`stdin` is None when the command reads the terminal (nothing piped or redirected in);
    `tty`: its stdout is a terminal (isatty(1): an `exec -t`'s, not a pipe, a file or a
    `$(...)`), which programs such as redis-cli format their output by; `pid`: its process
    in the container (a server logs it)."""

    shell: Shell
    name: str
    args: list[str]
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)  # `NAME=value cmd`: for this command only
    pieces: list[tuple[float, int, str]] = field(default_factory=list)  # (seconds slept before, fd, text)
    tty: bool = False
    pid: int = 0

    def out(self, text: str) -> None:
        if text:
            self.pieces.append((self.shell.elapsed, 1, text))

    def err(self, text: str) -> None:
        if text:
            self.pieces.append((self.shell.elapsed, 2, text))

    def fail(self, message: str, code: int = 1) -> int:
        """`NAME: message` on stderr (busybox's bb_error_msg), and the status."""
        self.err(f"{self.name}: {message}\n")
        return code

    def input(self) -> str:
        return self.stdin or ""


Applet = Callable[[Proc], int]
