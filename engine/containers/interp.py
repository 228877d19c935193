"""Running a parsed line as ash runs it: and-or lists left to right (`a && b || c`), each
pipeline's stdout fed to the next command's stdin, redirections set up left to right
(`>/dev/null 2>&1` silences both, `2>&1 >/dev/null` keeps stderr), `$?` the last status,
`exit N` ending the shell. Output is kept in order as (seconds slept before it, fd, text),
so a container's log gets each line at the simulated time it was printed."""
from __future__ import annotations

import posixpath
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from engine.containers.arith import ArithError, evaluate
from engine.containers.proc import Proc, Shell, ShellExit, to_bytes, to_text
from engine.containers.script import AndOr, Command, Compound, Pipeline, Redirect, ShellSyntaxError, parse
from engine.containers.words import expand, expand_fields

#: `$NAME`, `${NAME}` and the special parameters, in an arithmetic expression
_PARAMETER = re.compile(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*|[0-9?#$])")

#: how many rounds a `while`/`until` loop runs here before svcflow stops it (a real shell runs
#: `while true` until Ctrl-C; svcflow answers a line at once)
LOOP_LIMIT = 100


@dataclass
class Output:
    """What the shell printed, in order: (seconds slept before it, fd, text)."""

    chunks: list[tuple[float, int, str]] = field(default_factory=list)

    def text(self, fds: tuple[int, ...] = (1, 2)) -> str:
        return "".join(t for _, fd, t in self.chunks if fd in fds)

    def timed(self) -> list[tuple[float, str]]:
        """stdout and stderr together (a terminal's view), a piece per instant it was printed at."""
        out: list[tuple[float, str]] = []
        for at, _, text in self.chunks:
            if out and out[-1][0] == at:
                out[-1] = (at, out[-1][1] + text)
            elif text:
                out.append((at, text))
        return out


#: what the interpreter's generators yield: simulated time passed in the last command / a
#: loop went round once
SLEPT, ROUND = "slept", "round"
Steps = Iterator[str]


def drain(steps: Steps) -> None:
    """Run to the end (a typed line: its sleeps only add up in `shell.elapsed`)."""
    for _ in steps:
        pass


# where an fd points while a command runs: ("out", 1|2) the shell's own stdout/stderr,
# ("pipe",) the next command, ("null",), ("file", path)
Sink = tuple


class Interpreter:
    """Runs lines in one shell (its variables, files, status live in `shell`).

    The work is done by generators (`*_steps`) that yield `SLEPT` after a command during
    which simulated time passed (`sleep 5`, a wget time-out) and `ROUND` after each round of
    a loop: a container's main process (`engine.containers.mainproc`) is resumed from there on
    the cluster's clock, so `while true; do echo hi; sleep 5; done` runs for ever, a round at
    a time. A typed line runs them to the end at once (`run_line`), its sleeps added up in
    `shell.elapsed`; `unbounded` is the main process's: a loop is not stopped at LOOP_LIMIT.
    `tty`: this output reaches a terminal (an `exec -t`'s): a command whose stdout is not
    redirected or piped away from it gets a terminal as its stdout (`Proc.tty`)."""

    def __init__(self, shell: Shell, output: Output, *, unbounded: bool = False, tty: bool = False) -> None:
        self.shell, self.output, self.unbounded, self.tty = shell, output, unbounded, tty

    # -- lists ------------------------------------------------------------------------------
    def run_line(self, line: str, stdin: str | None = None) -> None:
        drain(self.line_steps(line, stdin))

    def line_steps(self, line: str, stdin: str | None = None) -> Steps:
        try:
            script = parse(line)
        except ShellSyntaxError as e:
            self.shell.lineno = e.line
            source = None if self.shell.interactive else line.split("\n")[e.line - 1]  # (bash shows it)
            self._emit(("out", 2), e.message(self.shell.dialect, self.shell.error_prefix(syntax=True), source))
            self.shell.status = 2
            return
        try:
            for and_or in script:
                yield from self.and_or_steps(and_or, stdin)
        except _ExpansionAbort as e:
            self.shell.status = e.status  # (the rest of the line is not run)

    def and_or_steps(self, node: AndOr, stdin: str | None) -> Steps:
        yield from self.pipeline_steps(node.first, stdin)
        for op, pipe in node.rest:
            if (op == "&&") == (self.shell.status == 0):
                yield from self.pipeline_steps(pipe, stdin)

    def pipeline_steps(self, pipe: Pipeline, stdin: str | None) -> Steps:
        data = stdin
        last = len(pipe.commands) - 1
        for i, cmd in enumerate(pipe.commands):
            buf: list[str] = []
            if isinstance(cmd, Compound):
                yield from self.compound_steps(cmd, data, buf if i < last else None)
            else:
                yield from self.command_steps(cmd, data, buf if i < last else None)
            data = "".join(buf)
        if pipe.negate:
            self.shell.status = int(self.shell.status == 0)

    def list_steps(self, body: list[AndOr], stdin: str | None) -> Steps:
        for and_or in body:
            yield from self.and_or_steps(and_or, stdin)

    def _open_redirects(self, redirects, stdin: str | None,
                        pipe: list[str] | None) -> tuple[dict[int, Sink], str | None] | None:
        """The command's file descriptors (stdout to the pipe or the terminal, stderr to the
        terminal) after its redirections, and its stdin (`< file`); None when one failed (said
        on stderr as sh says it, status 1)."""
        fds: dict[int, Sink] = {1: ("pipe",) if pipe is not None else ("out", 1), 2: ("out", 2)}
        for r in redirects:
            problem = self._redirect(r, fds)
            if problem is not None:
                self._emit(("out", 2), problem)
                self.shell.status = 1
                return None
            if r.fd == 0:
                data = self._read(self.expand(r.target))
                stdin = data if data is not None else stdin
        return fds, stdin

    # -- compound commands ------------------------------------------------------------------------
    def compound_steps(self, node: Compound, stdin: str | None, pipe: list[str] | None) -> Steps:
        """A loop, an if or a group: its body's output goes where its redirections say (as it
        is printed: a main process's endless loop is logged round by round)."""
        opened = self._open_redirects(node.redirects, stdin, pipe)
        if opened is None:
            return
        fds, stdin = opened
        inner = Output()
        body = Interpreter(self.shell, inner, unbounded=self.unbounded, tty=self._tty(fds))
        try:
            for step in body.compound_body_steps(node, stdin):
                self._route(inner.chunks, fds, pipe)
                inner.chunks.clear()
                yield step
        finally:
            self._route(inner.chunks, fds, pipe)

    def compound_body_steps(self, node: Compound, stdin: str | None) -> Steps:
        shell = self.shell
        if node.kind == "for":
            values = [f for w in node.words or [] for f in self.expand_fields(w)]
            shell.status = 0
            for value in values:
                shell.variables[node.name] = value
                yield from self.list_steps(node.branches[0][1], stdin)
                yield ROUND
        elif node.kind in ("while", "until"):
            cond, body = node.branches[0]
            ran = 0
            last = 0
            while True:
                yield from self.list_steps(cond, stdin)
                if (shell.status == 0) == (node.kind == "until"):
                    break
                if ran == LOOP_LIMIT and not self.unbounded:
                    self._emit(("out", 2), f"svcflow: the loop was stopped after {LOOP_LIMIT} rounds (a shell "
                                           "runs it until Ctrl-C)\n")
                    last = 130
                    break
                yield from self.list_steps(body, stdin)
                last, ran = shell.status, ran + 1
                yield ROUND
            shell.status = last
        elif node.kind == "if":
            for cond, body in node.branches:
                yield from self.list_steps(cond, stdin)
                if shell.status == 0:
                    yield from self.list_steps(body, stdin)
                    return
            shell.status = 0
            yield from self.list_steps(node.otherwise, stdin)
        elif node.kind == "subshell":  # a forked shell: its `cd`, variables and `exit` stay in it
            with forked(shell):
                try:
                    yield from self.list_steps(node.branches[0][1], stdin)
                except ShellExit as e:
                    shell.status = e.code
                except _ExpansionAbort as e:
                    shell.status = e.status
        else:
            yield from self.list_steps(node.branches[0][1], stdin)

    # -- one command ----------------------------------------------------------------------------
    def run_command(self, cmd: Command, stdin: str | None, pipe: list[str] | None, *, expanded: bool = False) -> None:
        drain(self.command_steps(cmd, stdin, pipe, expanded=expanded))

    def command_steps(self, cmd: Command, stdin: str | None, pipe: list[str] | None, *,
                      expanded: bool = False) -> Steps:
        self.shell.lineno = cmd.line
        words = list(cmd.words) if expanded else [f for w in cmd.words for f in self.expand_fields(w)]
        assigns: dict[str, str] = {}
        while words and _is_assignment(words[0]):
            name, _, value = words.pop(0).partition("=")
            assigns[name] = value
        opened = self._open_redirects(cmd.redirects, stdin, pipe)
        if opened is None:
            return
        fds, stdin = opened
        if not words:
            self.shell.variables.update(assigns)
            self.shell.status = 0
            return
        proc = Proc(self.shell, words[0].rsplit("/", 1)[-1], words[1:], stdin, assigns, tty=self._tty(fds))
        before = self.shell.elapsed
        try:
            self.shell.status = self.shell.call(proc, words[0])
        finally:
            self._route(proc.pieces, fds, pipe)
        if self.shell.elapsed > before:
            yield SLEPT

    def _tty(self, fds: dict[int, Sink]) -> bool:
        """Whether fd 1 is the terminal: this output is one and fd 1 still goes to it (`>&2`
        too: an exec -t's stderr is the same terminal)."""
        return self.tty and fds[1][0] == "out"

    def _redirect(self, r: Redirect, fds: dict[int, Sink]) -> str | None:
        """Point `r.fd` where `r` says; ash's complaint when it cannot be."""
        target = self.expand(r.target)
        if r.op in (">&", "<&"):
            if target == "-":
                fds[r.fd] = ("null",)
            elif target.isdigit() and int(target) in fds:
                fds[r.fd] = fds[int(target)]
            elif target.isdigit():
                return f"sh: {target}: Bad file descriptor\n"
            else:  # `>&file`: both stdout and stderr
                return self._redirect(Redirect(1, ">", target), fds) or self._redirect(Redirect(2, ">&", "1"), fds)
            return None
        if r.op == "&>":
            return self._redirect(Redirect(1, ">", target), fds) or self._redirect(Redirect(2, ">&", "1"), fds)
        if r.op == "<":
            if self._read(target) is None:
                return f"sh: can't open '{target}': No such file or directory\n"
            return None
        path = self.shell.path(target)
        if path == "/dev/null":
            fds[r.fd] = ("null",)
            return None
        if path in ("/dev/stdout", "/dev/stderr"):
            fds[r.fd] = fds[1 if path.endswith("out") else 2]
            return None
        why = self.shell.files.write(path, b"", append=r.op == ">>")
        if why is not None:
            return f"sh: can't create {target}: {why}\n"
        fds[r.fd] = ("file", path)
        return None

    def _read(self, target: str) -> str | None:
        path = self.shell.path(target)
        if path == "/dev/null":
            return ""
        data = self.shell.files.read(path)
        return None if data is None else to_text(data)

    def _route(self, pieces: list[tuple[float, int, str]], fds: dict[int, Sink], pipe: list[str] | None) -> None:
        for at, fd, text in pieces:
            sink = fds.get(fd, ("null",))
            if sink[0] == "pipe" and pipe is not None:
                pipe.append(text)
            else:
                self._emit(sink, text, at)

    def _emit(self, sink: Sink, text: str, at: float | None = None) -> None:
        if sink[0] == "out":
            self.output.chunks.append((self.shell.elapsed if at is None else at, sink[1], text))
        elif sink[0] == "file":
            self.shell.files.write(sink[1], to_bytes(text), append=True)

    # -- words ------------------------------------------------------------------------------------
    def expand(self, word: str) -> str:
        return expand(word, self.shell.parameter, self.substitute)

    def expand_fields(self, word: str) -> list[str]:
        return expand_fields(word, self.shell.parameter, self.substitute)

    def substitute(self, line: str) -> str:
        """`$(line)`: its stdout; its stderr goes where this shell's does. `$((EXPR))` (the
        body is `(EXPR)`) is arithmetic: its value."""
        if line.startswith("(") and line.endswith(")"):
            # the shells expand `$NAME` in the expression before reading it (bash's
            # expand_arith_string): `$((10/$z))` is `10/0` to it, and so in its complaint
            expr = _PARAMETER.sub(lambda m: self.shell.parameter(m.group(1).strip("{}")), line[1:-1])
            try:
                return str(evaluate(expr, self.shell.parameter, self.shell.variables.__setitem__))
            except ArithError as e:
                # An arithmetic error ends the line, as the shells jump back to their top
                # level (bash's DISCARD, ash's EXERROR): the command is not run, nor the rest
                # of the line; a script (`sh -c`) ends with it. Status 1 in bash, 2 in sh.
                self._emit(("out", 2), e.message(self.shell.dialect, self.shell.error_prefix()))
                raise _ExpansionAbort(1 if self.shell.dialect == "bash" else 2) from None
        inner = Output()
        sub = Interpreter(self.shell, inner)
        lineno = self.shell.lineno  # (the substitution's commands are on the line of the one around it)
        try:
            sub.run_line(line)
        except ShellExit as e:
            self.shell.status = e.code
        finally:
            self.shell.lineno = lineno
        for at, fd, text in inner.chunks:
            if fd == 2:
                self.output.chunks.append((at, 2, text))
        return inner.text((1,))


@contextmanager
def forked(shell: Shell) -> Iterator[None]:
    """A child shell (`( ... )`, `sh -c`) starts as a copy of this one: its variables, exports
    and working directory are put back when it ends, as a forked process's changes die with it."""
    saved = (dict(shell.variables), set(shell.exported), set(shell.unset), shell.cwd)
    try:
        yield
    finally:
        shell.variables, shell.exported, shell.unset, shell.cwd = saved


class _ExpansionAbort(Exception):
    """An expansion the shell cannot complete (`$((1/0))`): the line stops here."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier() and name.isascii()


def normalize(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path)) if path else cwd
