"""redis-cli (the redis image's, 7.4: src/redis-cli.c) in a pod's shell.

What it prints depends on where its stdout goes, as learners see when they drop the `-t`:
on a terminal (`kubectl exec -it redis -- redis-cli get a`, a line typed at `sh` in an
`exec -it`) each reply is cliFormatReplyTTY's `"1"`, `(integer) 1`, `(nil)`, `1) "a"`,
`(error) ERR ...`, `(empty array)`; anywhere else (`kubectl exec deploy/redis -- redis-cli
incr a`, a pipe, `$(...)`, a file) it is cliFormatReplyRaw's `1`, the bare string, an
empty line for nil or an empty array, `ERR ...` and a blank line. `--raw` and `--no-raw`
choose either whatever stdout is (redis-cli.c main: `config.output = OUTPUT_RAW` unless
isatty(stdout)).

With no command it is the REPL: on a terminal a prompt (`127.0.0.1:6379> `) and an open
connection that the shell's next lines go to; with stdin piped in (`echo 'get a' | kubectl
exec -i redis -- redis-cli`) each line is a command, no prompt. Lines are split as
sdssplitargs splits them (`Invalid argument(s)` for an open quote); `quit` and `exit` end it.
A connection that fails says so on stderr (`Could not connect to Redis at HOST:PORT: ...`):
a command exits 1; the REPL goes on `not connected> ` and tries again at each command.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.containers.nettools import CONNECT_TIMEOUT, strerror
from engine.containers.proc import Proc, to_bytes, to_text
from engine.workloads.base import Stream
from engine.workloads.redis import CRLF, quote_arg, split_args
from engine.workloads.redislog import REDIS_VERSION

#: `help` with no topic (cliOutputGenericHelp).
HELP = (f"redis-cli {REDIS_VERSION}\n"
        "To get help about Redis commands type:\n"
        '      "help @<group>" to get a list of commands in <group>\n'
        '      "help <command>" for help on <command>\n'
        '      "help <tab>" to get a list of possible help topics\n'
        '      "quit" to exit\n'
        "\n"
        "To set redis-cli preferences:\n"
        '      ":set hints" enable online hints\n'
        '      ":set nohints" disable online hints\n'
        "Set your preferences in ~/.redisclirc\n")
#: Options that take a value (parseOptions' `&& !lastarg` ones svcflow reads or passes over).
_VALUED = frozenset({"-h", "-p", "-s", "-a", "-u", "-n", "-r", "-i", "-t", "-d", "-D", "-X", "--user", "--pass",
                     "--eval", "--pattern", "--count", "--show-pushes"})
_FLAGS = frozenset({"-x", "-e", "-c", "-2", "-3", "-4", "-6", "--raw", "--no-raw", "--no-auth-warning",
                    "--quoted-input", "--verbose", "--mono"})


@dataclass
class Reply:
    """One RESP2 reply as hiredis reads it: `kind` is status, error, integer, string, nil or
    array (its `items`)."""

    kind: str
    text: str = ""
    items: list["Reply"] = field(default_factory=list)


def parse_reply(data: str) -> Reply | None:
    """The first reply in `data` (the RESP bytes a server wrote, as text); None for none."""
    raw = to_bytes(data)
    reply, _ = _parse(raw, 0)
    return reply


def _parse(raw: bytes, at: int) -> tuple[Reply | None, int]:
    end = raw.find(b"\r\n", at)
    if end < 0 or end == at:
        return None, len(raw)
    kind, rest, after = raw[at:at + 1], to_text(raw[at + 1:end]), end + 2
    if kind == b"+":
        return Reply("status", rest), after
    if kind == b"-":
        return Reply("error", rest), after
    if kind == b":":
        return Reply("integer", rest), after
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return Reply("nil"), after
        return Reply("string", to_text(raw[after:after + size])), after + size + 2
    if kind == b"*":
        count = int(rest)
        if count < 0:
            return Reply("nil"), after
        items = []
        for _ in range(count):
            item, after = _parse(raw, after)
            items.append(item if item is not None else Reply("nil"))
        return Reply("array", items=items), after
    return Reply("status", to_text(raw[at:end])), after  # (not RESP: shown as it came)


def format_tty(r: Reply, prefix: str = "") -> str:
    """cliFormatReplyTTY: every reply ends its line; an array's items are numbered, nested
    ones indented under their number."""
    if r.kind == "error":
        return f"(error) {r.text}\n"
    if r.kind == "status":
        return r.text + "\n"
    if r.kind == "integer":
        return f"(integer) {r.text}\n"
    if r.kind == "string":
        return quote_arg(r.text) + "\n"
    if r.kind == "nil":
        return "(nil)\n"
    if not r.items:
        return "(empty array)\n"
    width = len(str(len(r.items)))
    inner = prefix + " " * (width + 2)
    return "".join(f"{prefix if i else ''}{i + 1:>{width}}) " + format_tty(item, inner) for i, item in enumerate(r.items))


def format_raw(r: Reply) -> str:
    """cliFormatReplyRaw: the bare value, an array's items one a line (mb_delim), nothing for
    nil; an error carries its own newline (cliFormatReply adds cmd_delim's after all)."""
    if r.kind == "nil":
        return ""
    if r.kind == "error":
        return r.text + "\n"
    if r.kind == "array":
        return "\n".join(format_raw(item) for item in r.items)
    return r.text


def render(data: str, raw: bool) -> str:
    """What redis-cli writes for the reply `data` in its output mode."""
    reply = parse_reply(data)
    if reply is None:
        return ""
    return format_raw(reply) + "\n" if raw else format_tty(reply)


@dataclass
class CliOptions:
    host: str = "127.0.0.1"
    port: int = 6379
    raw: bool | None = None  # --raw / --no-raw (None: whether stdout is a terminal decides)
    stdin_last: bool = False  # -x: the last argument is read from stdin
    errors_fail: bool = False  # -e: an error reply goes to stderr and exits 1
    repeat: int = 1  # -r N
    command: list[str] = field(default_factory=list)


class UsageError(Exception):
    """What parseOptions prints on stderr before it exits 1 (or 0: `-v`)."""

    def __init__(self, message: str, code: int = 1, stdout: bool = False) -> None:
        super().__init__(message)
        self.message, self.code, self.stdout = message, code, stdout


def parse_options(args: list[str]) -> CliOptions:
    """parseOptions: options up to the first word that is not one (the command's name)."""
    o = CliOptions()
    i = 0
    while i < len(args):
        a = args[i]
        last = i == len(args) - 1
        if a in ("-v", "--version"):
            raise UsageError(f"redis-cli {REDIS_VERSION}\n", 0, stdout=True)
        if a in _VALUED and not last:
            value = args[i + 1]
            if a == "-h":
                o.host = value
            elif a == "-p":
                o.port = atoi(value)
                if not 0 <= o.port <= 65535:
                    raise UsageError("Invalid server port.\n")
            elif a == "-r":
                o.repeat = atoi(value)
            i += 2
            continue
        if a in _FLAGS:
            if a in ("--raw", "--no-raw"):
                o.raw = a == "--raw"
            o.stdin_last = o.stdin_last or a == "-x"
            o.errors_fail = o.errors_fail or a == "-e"
            i += 1
            continue
        if a.startswith("-"):
            raise UsageError(f"Unrecognized option or bad number of args for: '{a}'\n")
        break
    o.command = args[i:]
    return o


def atoi(s: str) -> int:
    """C's atoi (redis-cli -p): leading digits, else 0."""
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


@dataclass
class RedisCli:
    """One redis-cli process: where it connects, its output mode and its connection (None:
    not connected; hiredis connects again for the next command)."""

    proc: Proc
    host: str
    port: int
    raw: bool
    server: Stream | None = None

    @property
    def prompt(self) -> str:
        """cliRefreshPrompt's (formatAddr: an IPv6 address in brackets)."""
        if self.server is None:
            return "not connected> "
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}> "

    def connect(self, *, quiet: bool = False) -> str:
        """cliConnect: the complaint (for stderr) when the connection fails, else ""."""
        shell = self.proc.shell
        conn = shell.net.connect(shell.pod, self.host, self.port)
        t = conn.trace
        if t.outcome == "unresolved" or not conn.ok:
            self.server = None
            if quiet:
                return ""
            if t.outcome == "timeout":
                shell.elapsed += CONNECT_TIMEOUT
            why = "Name or service not known" if t.outcome == "unresolved" else strerror(t)
            return f"Could not connect to Redis at {self.host}:{self.port}: {why}\n"
        self.server = conn.process.stream(self.port)
        return ""

    def command(self, argv: list[str], repeat: int = 1, *, errors_fail: bool = False) -> tuple[str, str, bool]:
        """issueCommandRepeat: (stdout, stderr, sent) for one command, `repeat` times."""
        if argv[0].lower() in ("help", "?"):
            return (HELP if len(argv) == 1 else ""), "", True
        if self.server is None:
            why = self.connect()
            if why:
                return "", why, False
        assert self.server is not None
        out = err = ""
        for _ in range(max(repeat, 0)):
            reply, closed = self.server.send(" ".join(quote_arg(a) for a in argv))
            if errors_fail and reply.startswith("-"):
                return out, reply[1:].split(CRLF, 1)[0] + "\n", False
            out += render(reply, self.raw)
            if closed:
                self.server = None
                break
        return out, err, True

    def line(self, line: str) -> tuple[str, str, bool]:
        """One line the REPL read: (stdout, stderr, the REPL ended)."""
        argv = split_args(line)
        if argv is None:
            return "Invalid argument(s)\n", "", False
        if not argv:
            return "", "", False
        repeat = 1
        if len(argv) > 1 and re.fullmatch(r"[+-]?\d+", argv[0]):
            repeat = int(argv[0])
            if repeat <= 0:
                return "Invalid redis-cli repeat command option value.\n", "", False
            argv = argv[1:]
        name = argv[0].lower()
        if name in ("quit", "exit"):
            return "", "", True
        if argv[0].startswith(":"):
            return (f"unknown redis-cli internal command '{argv[0]}'\n" if argv[0].lower() != ":set" or len(argv) < 2
                    else "" if argv[1].lower() in ("hints", "nohints")
                    else f"unknown redis-cli preference '{argv[1]}'\n"), "", False
        out, err, _ = self.command(argv, repeat)
        return out, err, False


class ReplStream:
    """The REPL on a terminal, as the shell's open connection: each line typed goes to it and
    what it prints comes back; `prompt` is its prompt."""

    def __init__(self, cli: RedisCli) -> None:
        self.cli = cli

    @property
    def prompt(self) -> str:
        return self.cli.prompt

    def greeting(self) -> str:
        return ""

    def send(self, line: str) -> tuple[str, bool]:
        out, err, ended = self.cli.line(line)
        return err + out, ended


def redis_cli(p: Proc) -> int:
    """redis-cli's main: a command given runs once (noninteractive), none starts the REPL."""
    try:
        o = parse_options(list(p.args))
    except UsageError as e:
        (p.out if e.stdout else p.err)(e.message)
        return e.code
    raw = o.raw if o.raw is not None else not p.tty
    cli = RedisCli(p, o.host, o.port, raw)
    if not o.command:  # the REPL (cliConnect(0): it says when it cannot connect, and goes on)
        p.err(cli.connect())
        if p.stdin is None:  # (stdin is the terminal: the shell's next lines are typed to it)
            p.shell.open_stream(ReplStream(cli))
            return 0
        for line in p.input().splitlines():
            out, err, ended = cli.line(line)
            p.err(err)
            p.out(out)
            if ended:
                break
        return 0
    argv = list(o.command)
    if o.stdin_last:
        argv.append(p.input())
    cli.connect(quiet=True)  # (CC_QUIET: the command's own attempt says why)
    out, err, sent = cli.command(argv, o.repeat, errors_fail=o.errors_fail)
    p.out(out)
    p.err(err)
    return 0 if sent else 1
