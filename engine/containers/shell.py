"""The shell in one container of a pod (`kubectl exec -it POD -- sh`, the `:` prompt's pod
shell, `svcflow session`, and a container's own command when it ends).

What exists depends on the image, as in the tutorial: the counter image is Alpine
(busybox: wget, nslookup, nc, tar, grep ..., but no curl or telnet until `apk add curl
busybox-extras`), redis is Debian (coreutils, tar, redis-cli, no curl). The line is read
and run as sh does (`engine.containers.script`, `engine.containers.interp`); network tools
take the real path through `engine.net.network`.
"""
from __future__ import annotations

import functools
import math
import posixpath
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.cluster.cluster import Cluster
from engine.containers import builtins, coreutils, nettools, textutils
from engine.containers.apk import apk
from engine.containers.date import date
from engine.containers.files import ContainerFiles, bin_path
from engine.containers.ifconfig import ifconfig
from engine.containers.interp import Interpreter, Output, forked
from engine.containers.iproute import ip
from engine.containers.proc import Applet, Proc, ShellExit
from engine.containers.procps import ProcessTable, ps
from engine.containers.rediscli import ReplStream, redis_cli
from engine.containers.script import Command
from engine.containers.servers import APPLETS as SERVER_APPLETS
from engine.containers.tar import tar
from engine.kubelet.env import container_env, kernel_hostname, pod_hosts_file, pod_resolv_conf
from engine.net.network import Network
from engine.workloads.apps import image_name
from engine.workloads.base import Stream, Workload
from engine.workloads.entrypoint import image_servers
from engine.workloads.redis import resp_lines

#: Programs by name (a program runs only where the image has it, see `PodShell.has`).
PROGRAMS: dict[str, Applet] = {**coreutils.APPLETS, **textutils.APPLETS, "tar": tar, "apk": apk,
                               "wget": nettools.wget, "curl": nettools.curl, "nslookup": nettools.nslookup,
                               "nc": nettools.nc, "ping": nettools.ping, "dig": nettools.dig, "host": nettools.host, "telnet": nettools.telnet, "redis-cli": redis_cli,
                               "test": builtins.test, "[": builtins.test, "echo": builtins.echo,
                               "printf": builtins.printf, "true": builtins.true, "false": builtins.false,
                               "pwd": builtins.pwd, "ps": ps, "date": date, "ip": ip, "ifconfig": ifconfig,
                               **SERVER_APPLETS}
_COMMON = {"sh", "ls", "cat", "env", "printenv", "hostname", "echo", "pwd", "tar", "grep", "wc", "head", "tail",
           "sort", "cut", "awk", "tr", "uniq", "sleep", "test", "[", "which", "true", "false", "printf", "seq", "date"}
#: busybox's applets in Alpine's base image (of those svcflow runs), and Debian's base programs.
ALPINE_BASE = frozenset(_COMMON | {"ash", "wget", "nslookup", "nc", "ping", "apk", "ps", "ip", "ifconfig"})
DEBIAN_BASE = frozenset(_COMMON | {"bash"})

#: Debian bookworm's bash (the redis, nginx images' base): what $BASH_VERSION says.
BASH_VERSION = "5.2.15(1)-release"

#: Programs that read their stdin when given no file (so an exec with stdin waits for it).
_STDIN_READERS = frozenset({"cat", "wc", "grep", "head", "tail", "sort", "cut", "awk", "tr", "uniq", "nc", "telnet",
                            "redis-cli"})


#: Programs that talk with a terminal they run on (`kubectl exec -it redis -- redis-cli`: its
#: REPL; `telnet HOST PORT`): the exec stays with them, the lines typed next are theirs.
TERMINAL_PROGRAMS = frozenset({"redis-cli", "telnet"})


def talks_to_terminal(argv: list[str]) -> bool:
    """Whether `argv`, exec'd on a terminal (`-it`), reads the lines typed after it."""
    return bool(argv) and argv[0].rsplit("/", 1)[-1] in TERMINAL_PROGRAMS


@functools.lru_cache(maxsize=256)
def _image(image: str) -> str:
    return image_name(image)


@functools.lru_cache(maxsize=256)
def _distro(image: str) -> str:
    """The base the image is built on: Debian (redis, nginx ...) or Alpine / busybox."""
    base = image.rsplit("/", 1)[-1]
    return "debian" if base in ("redis", "nginx", "nginx-unprivileged", "httpd", "postgres", "mysql", "python", "node") else "alpine"


def reads_stdin(argv: list[str]) -> bool:
    """Whether `argv` reads what an exec's stdin sends (`tar -xmf -` from kubectl cp, `cat`,
    `sh -c 'cat > /tmp/x'`); a command that does not is answered without waiting for it, as
    `kubectl exec -i POD -- hostname` returns at once."""
    if not argv:
        return False
    tool = argv[0].rsplit("/", 1)[-1]
    if tool in ("sh", "ash", "bash"):
        return True
    if tool == "tar":
        flags = "".join(a.lstrip("-") for a in argv[1:2] + [a for a in argv[2:] if a.startswith("-")])
        return ("x" in flags or "t" in flags) and ("f" not in flags or "-" in argv[2:])
    return tool in _STDIN_READERS


@dataclass
class PodShell:
    """An interactive shell in one container of a pod, and that container's state (what
    `apk add` installed, the files written, exported variables)."""

    cluster: Cluster
    net: Network
    pod: dict
    installed: set[str] = field(default_factory=set)
    container: str | None = None  # which of the pod's containers (None: its first)
    stream: Stream | None = None  # an open telnet/nc connection, or redis-cli's REPL (a ReplStream)
    status: int = 0  # $? of the last line: what an exec's exit code reports
    variables: dict[str, str] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    unset: set[str] = field(default_factory=set)
    elapsed: float = 0.0  # simulated seconds slept by the current command (`sleep`, a timeout)
    apk_count: int = 18
    pids: ProcessTable = field(default_factory=ProcessTable)  # the container's processes (shared by its shells)
    pid: int | None = None  # this shell's own process (an interactive one, while it runs)
    sleeper: int | None = None  # a program this shell waits on while simulated time passes (`sleep 5`)
    program: str = "sh"  # the shell an exec started here (`sh`, `bash`): its prompt and words
    outer: list[tuple[str, int]] = field(default_factory=list)  # the shells this one was typed in (`bash` at a `#`
    # prompt), each with the lines it had read
    main_process: bool = False  # a container's main script (its `sleep` stays in `ps` until the clock gets there)
    interactive: bool = False  # reading lines typed at its prompt (not a script: `sh -c`, stdin, a file)
    tty: bool = False  # its lines are typed at a terminal (`exec -it`): what it runs writes to that terminal
    attached: bool = False  # an exec'd program (not a shell) reads the terminal: its connection's end is the exec's
    lineno: int = 1  # the line of the script (or of the typed line) the running command is on
    argv0: str = ""  # a script file's name as given (`sh /tmp/s.sh`): its errors begin with it
    command_string: bool = False  # running `bash -c`'s script (its syntax errors say `-c: `)
    typed: int = 0  # lines read at this shell's prompt, the current one too (dash counts them)
    typed_before: int = 0  # ... and before the current one
    files: ContainerFiles = field(init=False)
    cwd: str = field(init=False)
    last: Output = field(default_factory=Output)  # what the last typed line printed, with when
    rng: random.Random = field(init=False)  # bash's $RANDOM (seeded by the pod: a replay gives the same)

    def __post_init__(self) -> None:
        self.cwd = self.workdir
        self.files = ContainerFiles(self._generated, self.programs, self.which, self.workdir,
                                    merged_usr=self.distro == "debian")
        self.rng = random.Random(str((self.pod.get("metadata") or {}).get("uid", "")))

    def main_shell(self, program: str) -> "PodShell":
        """The shell a main script runs in: the container's files, programs and processes,
        with variables, directory and status of its own (an exec'd shell does not see them)."""
        sh = PodShell(self.cluster, self.net, self.pod, self.installed, self.container, pids=self.pids,
                      main_process=True, program=program)
        sh.files = self.files
        return sh

    @property
    def dialect(self) -> str:
        """Whose words this shell speaks: `ash` (busybox), `dash` (Debian's sh) or `bash`."""
        if self.distro != "debian":
            return "ash"
        return "bash" if self.program.rsplit("/", 1)[-1] == "bash" else "dash"

    def enter(self, program: str) -> None:
        """`bash` (or `sh`) typed at the prompt: a shell in this one, until its `exit`."""
        self.outer.append((self.program, self.typed))
        self.program, self.typed = program, 0

    def wait_forever(self) -> None:
        """A program that never ends by itself (`sleep infinity`, `tail -f`): a main script
        stays in it until its container is stopped; a typed line goes on at once (svcflow
        answers each line where a terminal would wait for Ctrl-C)."""
        if self.main_process:
            self.elapsed = math.inf

    def wake(self) -> None:
        """The program this shell waited on ended (its sleep is over)."""
        self.pids.end(self.sleeper)
        self.sleeper = None

    # -- the image -------------------------------------------------------------------------------
    @property
    def image(self) -> str:
        """This container's image (`redis`, `ghcr.io/subicura/counter`)."""
        specs = self.pod["spec"]["containers"]
        spec = next((c for c in specs if c.get("name") == self.container), specs[0])
        return _image(str(spec.get("image", "")))

    @property
    def distro(self) -> str:
        return _distro(self.image)

    @property
    def workdir(self) -> str:
        return "/app" if self.image == "ghcr.io/subicura/counter" else "/data" if self.image.endswith("redis") else "/"

    @property
    def prompt(self) -> str:
        if self.stream is not None:
            return self.stream.prompt if isinstance(self.stream, ReplStream) else ""
        if self.dialect == "bash":  # Debian's PS1 for root: '\u@\h:\w\$ '
            home = "~" + self.cwd[len("/root"):] if self.cwd == "/root" or self.cwd.startswith("/root/") else self.cwd
            return f"root@{kernel_hostname(self.cluster.topology, self.pod).split('.', 1)[0]}:{home}# "
        if self.distro == "debian":
            return "# "
        return f"{self.cwd} # "

    def programs(self) -> set[str]:
        base = DEBIAN_BASE | ({"redis-cli"} if self.image.endswith("redis") else set()) \
            if self.distro == "debian" else ALPINE_BASE
        return set(base) | self.installed | set(image_servers(self.image))

    def workload(self) -> Workload | None:
        """This container's process as the network sees it (what listens, what its log
        holds): engine.workloads'."""
        names = [str(c.get("name")) for c in self.pod["spec"].get("containers") or []]
        name = self.container if self.container is not None else (names[0] if names else "")
        return self.net.processes(self.pod)[names.index(name)] if name in names else None

    def has(self, tool: str) -> bool:
        return tool in self.programs()

    def which(self, tool: str) -> str:
        """Where `tool` is found on $PATH (`/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
        /sbin:/bin`): in Debian, /usr/bin comes first and /bin is a link to it."""
        server = image_servers(self.image).get(tool)
        if server is not None:
            return server
        path = bin_path(tool, own_build=self.image.endswith("redis"))
        return "/usr" + path if self.distro == "debian" and path.startswith(("/bin/", "/sbin/")) else path

    def now(self) -> datetime:
        """The cluster's time as a command sees it: a line's sleeps so far have passed."""
        now = self.cluster.clock.now()
        return now + timedelta(seconds=self.elapsed) if self.elapsed else now

    def path(self, p: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, p)) if p else self.cwd

    def _generated(self, path: str) -> bytes | None:
        """The files the kubelet writes into the container (they follow the pod)."""
        if path == "/etc/resolv.conf":
            return pod_resolv_conf(self.cluster.topology, self.pod).encode()
        if path == "/etc/hostname":
            return (kernel_hostname(self.cluster.topology, self.pod) + "\n").encode()
        if path == "/etc/hosts":
            return pod_hosts_file(self.cluster.topology, self.pod).encode()
        return None

    # -- variables ------------------------------------------------------------------------------
    def environment(self, extra: dict[str, str] | None = None) -> list[tuple[str, str]]:
        """The environment a program started from this shell gets."""
        kubelet = getattr(self.cluster, "kubelet", None)  # (the environment of the container's start)
        env = dict(kubelet.container_env(self.pod) if kubelet is not None else container_env(self.cluster.store, self.pod))
        for name in self.unset:
            env.pop(name, None)
        for name in self.exported:
            if name in self.variables:
                env[name] = self.variables[name]
        env.update(extra or {})
        return list(env.items())

    def parameter(self, name: str) -> str:
        """`$name` in this shell."""
        if name == "?":
            return str(self.status)
        if name == "$":
            return str(self.pid or 1)
        if name == "#":
            return "0"
        if name == "0":
            return self.program.rsplit("/", 1)[-1]
        if name in self.variables:
            return self.variables[name]
        if self.dialect == "bash" and name == "RANDOM":
            return str(self.rng.randrange(32768))
        if self.dialect == "bash" and name == "BASH_VERSION":
            return BASH_VERSION
        if name == "PWD":
            return self.cwd
        return dict(self.environment()).get(name, "")

    def error_prefix(self, *, syntax: bool = False) -> str:
        """What the shell's own complaints begin with: busybox ash `sh: `; bash `bash: ` at its
        prompt, `bash: line N: ` in a script (`bash -c`, stdin; a file's name instead of
        `bash`; a -c script's `syntax` errors `bash: -c: line N: `); dash `sh: N: `, N the
        line of the script, or at its prompt of all the lines it has read (its parser's line
        count goes on from one typed line to the next)."""
        if self.dialect == "ash":
            return "sh: "
        name = self.argv0 or ("bash" if self.dialect == "bash" else "sh")
        if self.dialect == "bash":
            where = "-c: " if syntax and self.command_string else ""
            return f"{name}: " if self.interactive else f"{name}: {where}line {self.lineno}: "
        return f"{name}: {self.typed_before + self.lineno if self.interactive else self.lineno}: "

    # -- entry points -----------------------------------------------------------------------------
    def run(self, line: str) -> tuple[str, bool]:
        """One typed line; returns (what the terminal shows, the shell exited)."""
        if self.stream is not None:
            text = self._stream_line(line)
            self.last = Output([(0.0, 1, text)])
            if self.stream is None and self.attached:  # (`quit` in `exec -it redis -- redis-cli`)
                self.attached, self.status = False, 0
                return text, True
            return text, False
        out = self.last = Output()
        self.elapsed, self.interactive = 0.0, True
        self.typed_before, self.typed = self.typed, self.typed + line.count("\n") + 1
        if self.pid is None or self.pid not in self.pids.running:
            self.pid = self.pids.spawn([self.program])
        try:
            Interpreter(self, out, tty=self.tty).run_line(line)
        except ShellExit as e:
            self.status = e.code
            if self.dialect == "bash":
                out.chunks.append((self.elapsed, 2, "exit\n"))  # (interactive bash says it on its way out)
            text = out.text()
            if self.outer:  # the shell typed in this one ended: back to that one
                self.program, self.typed = self.outer.pop()
                return text, False
            self.pids.end(self.pid)
            self.pid = None
            return text, True
        return out.text(), False

    def exec(self, argv: list[str], stdin: str | None = "", *, tty: bool = False) -> Output:
        """A command that is not an interactive shell (`kubectl exec POD -- cat /etc/hosts`,
        `sh -c 'a | b'`, a container's own command): `stdin` is what it reads ("" at once at
        its end; None: the terminal, `talks_to_terminal`); `tty`: its stdout is a terminal
        (`kubectl exec -it`). Nothing stays open after it (a one-shot telnet is closed at
        once) unless it reads the terminal: then it is `attached`, the next lines are its."""
        out = Output()
        self.status, self.elapsed, self.interactive = 0, 0.0, False
        saved, self.pid = self.pid, None  # (the exec'd program is a new process, not a child of a shell)
        try:
            Interpreter(self, out, tty=tty).run_command(Command(words=list(argv)), stdin, None, expanded=True)
        except ShellExit as e:
            self.status = e.code
        finally:
            self.pid = saved
        self.attached = stdin is None and self.stream is not None
        if not self.attached:
            self.stream = None
        return out

    def hang_up(self) -> bool:
        """The terminal's input ended or was interrupted (^D, ^C): an open connection closes
        with it (redis-cli's REPL ends). True when that was the exec'd program: it ended."""
        self.stream = None
        ended, self.attached = self.attached, False
        if ended:
            self.status = 0
        return ended

    def start(self, argv: list[str]) -> str | None:
        """The runtime execs `argv` in this container: why it cannot (`start_error`), else
        None, the shell noting which one it is (`kubectl exec -it POD -- bash`: bash's prompt
        and words from then on)."""
        refused = self.start_error(argv)
        if refused is None and argv and argv[0].rsplit("/", 1)[-1] in ("sh", "ash", "bash"):
            self.login(argv[0])
        return refused

    def login(self, program: str, *, tty: bool = True) -> None:
        """An exec'd interactive shell (`sh`, `bash`) starts in this container: a new process,
        in the image's working directory, with none of an earlier exec's shell variables (the
        files written and the packages added stay: they are the container's). `tty`: on a
        terminal (`exec -it`; `-i` alone: a pipe)."""
        self.program, self.outer, self.status, self.cwd, self.typed = program, [], 0, self.workdir, 0
        self.tty = tty
        self.variables, self.exported, self.unset = {}, set(), set()

    def start_error(self, argv: list[str]) -> str | None:
        """Why the container runtime refuses to start `argv` in this container (an exec of a
        program the image does not have), in containerd's words; None: it starts."""
        tool = argv[0].rsplit("/", 1)[-1] if argv else ""
        if not argv or tool in ("echo", "exit", "pwd", "true", "false", "sleep") or self.has(tool) \
                or (tool == "bash" and self.distro == "debian"):
            return None
        return ("Internal error occurred: error executing command in container: failed to exec in container: "
                "failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: "
                f'exec: "{argv[0]}": executable file not found in $PATH: unknown')

    # -- what the interpreter calls ------------------------------------------------------------------
    def call(self, proc: Proc, word: str, *, replace: bool = False) -> int:
        """Run one command: a builtin, else a program the image has, else sh's `not found`.
        `replace`: `exec PROGRAM`, the shell's own process becomes it (its PID, in `ps`)."""
        name = proc.name
        if "/" not in word and name in builtins.BUILTINS:
            return builtins.BUILTINS[name](proc)
        if not self.has(name) or ("/" in word and self.files.read(self.path(word)) is None):
            proc.err(self.error_prefix() + (f"{word}: not found\n" if self.dialect != "bash" else
                                            f"{word}: " + ("No such file or directory" if "/" in word else "command not found") + "\n"))
            return 127
        applet = PROGRAMS.get(name)
        own = self.pids.running.get(self.pid) if replace and self.pid is not None else None
        if own is not None:
            own.argv = [word, *proc.args]
        pid = self.pids.spawn([word, *proc.args]) if own is None else None
        proc.pid = own.pid if own is not None else pid or 0
        before = self.elapsed
        try:
            if applet is None:
                return 0  # a program svcflow does not simulate: it prints nothing here
            return applet(proc)
        finally:
            if pid is not None and self.main_process and self.elapsed > before:
                self.sleeper = pid  # (still running until the clock reaches the end of its sleep)
            else:
                self.pids.end(pid)

    def subshell(self, proc: Proc, script: str, name: str = "", *, command_string: bool = False) -> int:
        """A child shell running `script` (sh -c, its stdin, the file `name`): its output
        becomes `proc`'s; its variables, `cd` and `exit` stay in it. It is not interactive:
        its errors say which line of the script they are on."""
        saved = (self.program, self.interactive, self.lineno, self.argv0, self.command_string)
        out = Output()
        code: int | None = None
        self.program = proc.name  # (`bash -c` speaks bash, `sh -c` sh)
        self.interactive, self.argv0, self.command_string = False, name, command_string
        try:
            with forked(self):
                Interpreter(self, out, tty=proc.tty).run_line(script, proc.stdin)
        except ShellExit as e:
            code = e.code
        finally:
            self.program, self.interactive, self.lineno, self.argv0, self.command_string = saved
        proc.pieces += out.chunks
        return self.status if code is None else code

    def open_stream(self, stream: Stream) -> None:
        """A program keeps reading the terminal (telnet, nc, redis-cli's REPL): the lines typed
        next are its, until it ends."""
        self.stream = stream

    # -- open connections ---------------------------------------------------------------------------
    def _stream_line(self, line: str) -> str:
        assert self.stream is not None
        reply, closed = self.stream.send(line.rstrip("\r\n"))
        if isinstance(self.stream, ReplStream):  # (redis-cli: what it printed; closed: it ended)
            if closed:
                self.stream = None
            return reply
        text = "".join(p + "\n" for p in resp_lines(reply)) if reply.endswith("\r\n") else reply
        if closed:
            self.stream = None
            text += "Connection closed by foreign host\n"
        return text

