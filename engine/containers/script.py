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
#: reserved words that open a compound command, and those that may only close one
COMPOUND = frozenset({"for", "while", "until", "if", "{"})
RESERVED = frozenset({"do", "done", "then", "elif", "else", "fi", "}", "in"})
PUNCTUATION = "();<>|&\n" + "".join(FD_MARK.values())


class ShellSyntaxError(ValueError):
    """What the shell says about a line it cannot parse; `token` is what it met (None: the
    end of the line), `quote` an unterminated quoted string."""

    def __init__(self, token: str | None, *, quote: bool = False, expecting: str = "") -> None:
        super().__init__(token)
        self.token, self.quote, self.expecting = token, quote, expecting
        self.line = 1  # the line of the script the parser was on

    def message(self, dialect: str, prefix: str = "", source: str | None = None) -> str:
        """In the words of `dialect`, after the shell's `prefix`: ash (busybox), dash (Debian's
        sh, also `debian`: `sh: N: `), bash (`bash: ` at its prompt, `bash: -c: line N: ` in a
        -c script, which then shows the line it could not read: `source`)."""
        if dialect == "bash":
            prefix = prefix or "bash: "
            if self.quote:
                return f"{prefix}unexpected EOF while looking for matching quote\n"
            if self.token is None:
                return f"{prefix}syntax error: unexpected end of file\n"
            shown = f"{prefix}`{source}'\n" if source is not None else ""
            return f"{prefix}syntax error near unexpected token `{_shown(self.token)}'\n{shown}"
        prefix = prefix or "sh: 1: "
        # ash and dash name an operator or a reserved word, quoted, and any other word "word"
        # (their tokname(): TWORD comes before TSEMI, the first quoted one)
        what = "end of file" if self.token is None else "newline" if self.token == "\n" \
            else f'"{_shown(self.token)}"' if is_operator(self.token) or self.token in COMPOUND | RESERVED else "word"
        expecting = f' (expecting "{self.expecting}")' if self.expecting else ""  # (both's synexpect)
        if dialect in ("dash", "debian"):  # dash: "sh: 1: Syntax error: ..."
            if self.quote:
                return f"{prefix}Syntax error: Unterminated quoted string\n"
            return f"{prefix}Syntax error: {what} unexpected{expecting}\n"
        if self.quote:
            return "sh: syntax error: unterminated quoted string\n"
        return f"sh: syntax error: unexpected {what}{expecting}\n"


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
    """One simple command: its words (assignments first, as typed) and redirections, and the
    line of the script it is on (a script's errors name it: `bash: line 2: ...`)."""

    words: list[str] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    line: int = 1


@dataclass
class Compound:
    """`for NAME in WORDS; do BODY; done`, `while`/`until COND; do BODY; done`, `if COND; then
    BODY; [elif ...;] [else ...;] fi`, `{ BODY; }` (a group, in this shell) and `( BODY )` (a
    subshell: what it changes stays in it): `branches` holds (condition, body) pairs
    (for `for`: one, with no condition), `otherwise` an if's else, and its redirections."""

    kind: str
    branches: list[tuple[list["AndOr"], list["AndOr"]]]
    otherwise: list["AndOr"] = field(default_factory=list)
    name: str = ""
    words: list[str] | None = None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list["Command | Compound"]
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
    """The and-or lists of a line (or a whole `sh -c` script), in order; ShellSyntaxError
    knows the line it met its trouble on."""
    try:
        toks = tokens(line)
    except ShellSyntaxError as e:
        e.line = line.count("\n") + 1  # (an unterminated quote runs to the end)
        raise
    parser = _Parser(toks)
    try:
        return parser.script()
    except ShellSyntaxError as e:
        e.line = parser.lines[min(parser.i, len(toks))]
        raise


class _Parser:
    def __init__(self, toks: list[str]) -> None:
        self.toks, self.i = toks, 0
        self.lines = [1]  # the line each token is on
        for tok in toks:
            self.lines.append(self.lines[-1] + (tok == "\n"))

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def script(self) -> list[AndOr]:
        body = self.body(frozenset())
        if self.peek() is not None:
            raise ShellSyntaxError(self.peek())
        return body

    def body(self, stops: frozenset[str]) -> list[AndOr]:
        """A list of commands, up to one of the reserved words `stops` at a command's start."""
        out: list[AndOr] = []
        while True:
            while self.peek() == "\n":
                self.i += 1
            if self.peek() is None or self.peek() in stops:
                return out
            out.append(self.and_or())
            sep = self.peek()
            if sep is None or sep in stops:
                return out
            if sep not in (";", "&", "\n"):
                raise ShellSyntaxError(sep)
            self.i += 1

    def expect(self, word: str) -> None:
        tok = self.peek()
        if tok != word:
            raise ShellSyntaxError(tok, expecting=word if tok is None else "")
        self.i += 1

    def compound(self, kind: str) -> Compound:
        self.i += 1
        if kind == "for":
            name = self.peek()
            if name is None or is_operator(name) or not name.isidentifier():
                raise ShellSyntaxError(name)
            self.i += 1
            while self.peek() == "\n":
                self.i += 1
            words: list[str] | None = None
            if self.peek() == "in":
                self.i += 1
                words = []
                while (tok := self.peek()) is not None and not is_operator(tok):
                    words.append(tok)
                    self.i += 1
            if self.peek() in (";", "\n"):
                self.i += 1
            while self.peek() == "\n":
                self.i += 1
            self.expect("do")
            node = Compound("for", [([], self.body(frozenset({"done"})))], name=name, words=words)
            self.expect("done")
        elif kind in ("while", "until"):
            cond = self.body(frozenset({"do"}))
            self.expect("do")
            node = Compound(kind, [(cond, self.body(frozenset({"done"})))])
            self.expect("done")
        elif kind == "if":
            branches = []
            while True:
                cond = self.body(frozenset({"then"}))
                self.expect("then")
                branches.append((cond, self.body(frozenset({"elif", "else", "fi"}))))
                if self.peek() != "elif":
                    break
                self.i += 1
            node = Compound("if", branches)
            if self.peek() == "else":
                self.i += 1
                node.otherwise = self.body(frozenset({"fi"}))
            self.expect("fi")
        else:  # `{ ...; }` or `( ... )`: neither may be empty
            close = "}" if kind == "{" else ")"
            body = self.body(frozenset({close}))
            if not body:
                raise ShellSyntaxError(self.peek())
            node = Compound("group" if kind == "{" else "subshell", [([], body)])
            self.expect(close)
        while (tok := self.peek()) is not None and is_operator(tok) and _redirect_op(tok) in REDIRECTS:
            node.redirects.append(self.redirect(tok))
        return node

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

    def command(self) -> "Command | Compound":
        first = self.peek()
        if first in COMPOUND or first == "(":
            return self.compound(first)
        if first in RESERVED:
            raise ShellSyntaxError(first)
        cmd = Command(line=self.lines[self.i])
        if first == "[[":  # bash's (and ash's) conditional: `&&`, `||`, `<`, `>` inside are its own
            while (tok := self.peek()) is not None:
                cmd.words.append(tok)
                self.i += 1
                if tok == "]]":
                    break
        while (tok := self.peek()) is not None:
            if not is_operator(tok):
                cmd.words.append(tok)
                self.i += 1
                continue
            if _redirect_op(tok) not in REDIRECTS:
                break
            cmd.redirects.append(self.redirect(tok))
        if not cmd.words and not cmd.redirects:
            raise ShellSyntaxError(self.peek())
        return cmd

    def redirect(self, tok: str) -> Redirect:
        fd_mark = tok[0] if tok[0] in FD_MARK.values() else ""
        op = tok[len(fd_mark):]
        self.i += 1
        target = self.peek()
        if target is None or is_operator(target):
            raise ShellSyntaxError(target)
        self.i += 1
        fd = int(next(d for d, m in FD_MARK.items() if m == fd_mark)) if fd_mark else (0 if op in ("<", "<&", "<>") else 1)
        return Redirect(fd, op, target)


def _redirect_op(tok: str) -> str:
    return tok[1:] if tok and tok[0] in FD_MARK.values() else tok
