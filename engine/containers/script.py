"""A shell command line read as busybox ash (and Debian's dash) read it: lists joined by
`;`, `&` and newlines, `&&` / `||`, pipelines `a | b` (`!` negates), and each command's
words and redirections (`>`, `>>`, `<`, `2>&1`, `>/dev/null`).

The words are split by `shlex` (POSIX rules, `punctuation_chars`) after one pass that hides
what quoting protects: an operator character inside quotes is not an operator, a `$` inside
single quotes is not an expansion, and a digit right before `>`/`<` is that redirection's
file descriptor (`2>&1`, not the word `2`). Expansion (`$VAR`, `$?`, `$(cmd)`) happens when
the command runs (`false; echo $?` sees 1), see `engine.containers.words`.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from engine.containers.words import FD_MARK, hide_quoted

#: The operators ash knows, longest first (shlex hands over runs of punctuation as one token).
OPERATORS = ("&&", "||", ";;", ">>", ">&", "<&", "&>", "<<", ">|", "<>", ";", "&", "|", "<", ">", "(", ")", "\n")
REDIRECTS = frozenset({">", ">>", "<", ">&", "<&", "&>", ">|", "<>"})
PUNCTUATION = "();<>|&\n" + "".join(FD_MARK.values())


class ShellSyntaxError(ValueError):
    """What the shell says about a line it cannot parse; `token` is what it met (None: the
    end of the line), `quote` an unterminated quoted string."""

    def __init__(self, token: str | None, *, quote: bool = False) -> None:
        super().__init__(token)
        self.token, self.quote = token, quote

    def message(self, distro: str) -> str:
        if distro == "debian":  # dash: "sh: 1: Syntax error: ..."
            if self.quote:
                return "sh: 1: Syntax error: Unterminated quoted string\n"
            what = "end of file" if self.token is None else f'"{_shown(self.token)}"'
            return f"sh: 1: Syntax error: {what} unexpected\n"
        if self.quote:
            return "sh: syntax error: unterminated quoted string\n"
        what = "end of file" if self.token is None else f'"{_shown(self.token)}"'
        return f"sh: syntax error: unexpected {what}\n"


def _shown(token: str) -> str:
    return "newline" if token == "\n" else token.lstrip("".join(FD_MARK.values()))


@dataclass
class Redirect:
    """`fd` `op` `target`: `2>&1` is (2, '>&', '1'), `>/dev/null` (1, '>', '/dev/null')."""

    fd: int
    op: str
    target: str


@dataclass
class Command:
    """One simple command: its words (assignments first, as typed) and redirections."""

    words: list[str] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    """`first && second || third`: (op, pipeline) after the first."""

    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


def tokens(line: str) -> list[str]:
    """The line's words and operators (each operator its own token)."""
    lex = shlex.shlex(hide_quoted(line), posix=True, punctuation_chars=PUNCTUATION)
    lex.whitespace_split = True
    lex.whitespace = " \t\r"
    lex.commenters = ""
    try:
        raw = list(lex)
    except ValueError as e:  # "No closing quotation" / "No escaped character"
        raise ShellSyntaxError(None, quote="quotation" in str(e)) from None
    out: list[str] = []
    for tok in raw:
        if tok and all(ch in PUNCTUATION for ch in tok):
            out.extend(_split_operators(tok))
        else:
            out.append(tok)
    return out


def _split_operators(run: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(run):
        fd = ""
        if run[i] in FD_MARK.values():
            fd, i = run[i], i + 1
        op = next((o for o in OPERATORS if run.startswith(o, i)), None)
        if op is None or (fd and op not in REDIRECTS):
            raise ShellSyntaxError(run[i:i + 1] or fd)
        out.append(fd + op)
        i += len(op)
    return out


def is_operator(tok: str) -> bool:
    return bool(tok) and all(ch in PUNCTUATION for ch in tok)


def parse(line: str) -> list[AndOr]:
    """The and-or lists of a line (or a whole `sh -c` script), in order."""
    return _Parser(tokens(line)).script()


class _Parser:
    def __init__(self, toks: list[str]) -> None:
        self.toks, self.i = toks, 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def script(self) -> list[AndOr]:
        out: list[AndOr] = []
        while True:
            while self.peek() == "\n":
                self.i += 1
            if self.peek() is None:
                return out
            out.append(self.and_or())
            sep = self.peek()
            if sep is None:
                return out
            if sep not in (";", "&", "\n"):
                raise ShellSyntaxError(sep)
            self.i += 1

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self.peek() in ("&&", "||"):
            op = self.toks[self.i]
            self.i += 1
            while self.peek() == "\n":
                self.i += 1
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        if self.peek() == "!":
            negate, self.i = True, self.i + 1
        cmds = [self.command()]
        while self.peek() == "|":
            self.i += 1
            while self.peek() == "\n":
                self.i += 1
            cmds.append(self.command())
        return Pipeline(cmds, negate)

    def command(self) -> Command:
        cmd = Command()
        while (tok := self.peek()) is not None:
            if not is_operator(tok):
                cmd.words.append(tok)
                self.i += 1
                continue
            fd_mark = tok[0] if tok[0] in FD_MARK.values() else ""
            op = tok[len(fd_mark):]
            if op not in REDIRECTS:
                break
            self.i += 1
            target = self.peek()
            if target is None or is_operator(target):
                raise ShellSyntaxError(target)
            self.i += 1
            fd = int(next(d for d, m in FD_MARK.items() if m == fd_mark)) if fd_mark else (0 if op in ("<", "<&", "<>") else 1)
            cmd.redirects.append(Redirect(fd, op, target))
        if not cmd.words and not cmd.redirects:
            raise ShellSyntaxError(self.peek())
        return cmd
