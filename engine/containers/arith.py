"""Arithmetic expansion, `$((EXPR))`, as the shells do it on (64-bit) integers: the loops of
the tutorials count with it (`i=$((i+1))`).

Operators by C's precedence: `( )`, unary `+ - ! ~`, `**`, `* / %`, `+ -`, `<< >>`, `< <= > >=`,
`== !=`, `&`, `^`, `|`, `&&`, `||`, `?:`, and the assignments `= += -= *= /= %=`. A name is
its variable's value (unset or empty: 0), with or without `$`; a number may be octal (`010`)
or hex (`0x1f`). Division by zero and a malformed expression are errors, said as the shell
says them (`ArithmeticError.message`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_TOKEN = re.compile(r"\s*(0[xX][0-9a-fA-F]+|\d+|\$?[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\}|"
                    r"<<=|>>=|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%]=|[-+*/%<>=!~&|^?:()])")
_BINARY = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", "<=", ">", ">="), ("<<", ">>"), ("+", "-"),
           ("*", "/", "%"), ("**",)]
_MASK = (1 << 64) - 1


class ArithError(ValueError):
    """A malformed expression or a division by zero; `token` is where bash's reader was when
    it gave up (its `lasttp`: the rest of the expression from the token it blames), which
    bash prints after the message."""

    def __init__(self, expr: str, why: str, token: str = "") -> None:
        super().__init__(why)
        self.expr, self.why, self.token = expr, why, token

    def message(self, dialect: str, prefix: str) -> str:
        """In `dialect`'s words, after the shell's `prefix` (`bash: `, `bash: line 1: `, `sh: 1: `)."""
        if dialect == "bash":  # expr.c's evalerror: "%s: %s (error token is \"%s\")"
            return f"{prefix}{self.expr.lstrip()}: {self.why} (error token is \"{self.token}\")\n"
        if dialect == "dash":
            why = "division by zero" if self.why == "division by 0" else self.why
            return f"{prefix}arithmetic expression: {why}: \"{self.expr.strip()}\"\n"
        return "sh: arithmetic syntax error\n" if self.why != "division by 0" else "sh: divide by zero\n"


def _signed(v: int) -> int:
    v &= _MASK
    return v - (1 << 64) if v >> 63 else v


@dataclass
class _Parser:
    toks: list[str]
    starts: list[int]  # where each token begins in `expr`
    expr: str
    get: Callable[[str], str]
    set: Callable[[str, str], None]
    i: int = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def rest(self, i: int) -> str:
        """The expression from token `i` on: bash's `lasttp` there (at the end it stays on the
        last token read)."""
        return self.expr[self.starts[min(i, len(self.toks) - 1)]:]

    def error(self, why: str, i: int) -> ArithError:
        return ArithError(self.expr, why, self.rest(i))

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise self.error("syntax error: operand expected", self.i)
        self.i += 1
        return tok

    def assignment(self) -> int:
        tok, nxt = self.peek(), self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
        if tok is not None and _is_name(tok) and nxt in ("=", "+=", "-=", "*=", "/=", "%="):
            self.i += 2
            value = self.assignment()
            if nxt != "=":
                value = self.apply(nxt[0], self.value(tok), value, self.i)
            self.set(tok.lstrip("$").strip("{}"), str(value))
            return value
        return self.conditional()

    def conditional(self) -> int:
        cond = self.binary(0)
        if self.peek() != "?":
            return cond
        self.i += 1
        yes = self.assignment()
        if self.take() != ":":
            raise self.error("`:' expected for conditional expression", self.i - 1)
        no = self.assignment()
        return yes if cond else no

    def binary(self, level: int) -> int:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in _BINARY[level]:
            op = self.take()
            operand = self.i
            right = self.binary(level + 1)
            left = self.apply(op, left, right, operand)
        return left

    def unary(self) -> int:
        tok = self.take()
        if tok in ("+", "-", "!", "~"):
            v = self.unary()
            return {"+": v, "-": _signed(-v), "!": int(not v), "~": _signed(~v)}[tok]
        if tok == "(":
            v = self.assignment()
            if self.peek() != ")":
                raise self.error("missing `)'", self.i)
            self.i += 1
            return v
        if _is_name(tok):
            return self.value(tok)
        try:
            return _signed(int(tok, 16) if tok[:2] in ("0x", "0X") else int(tok, 8) if len(tok) > 1 and tok[0] == "0"
                           else int(tok))
        except ValueError:
            raise self.error("syntax error: operand expected", self.i - 1) from None

    def apply(self, op: str, a: int, b: int, operand: int) -> int:
        """`a op b`; `operand` is the token the right-hand side began at: bash blames a
        division by zero there (`1/0`: "0"), a negative exponent where its reader then was."""
        if op in ("/", "%") and b == 0:
            raise self.error("division by 0", operand)
        if op == "**" and b < 0:
            raise self.error("exponent less than 0", self.i)
        return _apply(op, a, b)

    def value(self, name: str) -> int:
        text = self.get(name.lstrip("$").strip("{}")).strip()
        if not text:
            return 0
        try:
            return _signed(int(text, 0) if not re.fullmatch(r"0\d+", text) else int(text, 8))
        except ValueError:
            raise ArithError(self.expr, "syntax error: invalid arithmetic operand", text) from None


def _is_name(tok: str) -> bool:
    return bool(re.fullmatch(r"\$?[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\}", tok))


def _apply(op: str, a: int, b: int) -> int:
    """`a op b` on 64-bit integers (the divisor and exponent already checked)."""
    if op == "**":
        return _signed(pow(a, b, 1 << 64))
    if op == "/":
        return _signed(abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1))  # (C truncates toward 0)
    if op == "%":
        return _signed(a - b * (abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)))
    ops: dict[str, Callable[[int, int], int]] = {
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "<<": lambda x, y: x << (y & 63),
        ">>": lambda x, y: x >> (y & 63), "<": lambda x, y: int(x < y), "<=": lambda x, y: int(x <= y),
        ">": lambda x, y: int(x > y), ">=": lambda x, y: int(x >= y), "==": lambda x, y: int(x == y),
        "!=": lambda x, y: int(x != y), "&": lambda x, y: x & y, "^": lambda x, y: x ^ y, "|": lambda x, y: x | y,
        "&&": lambda x, y: int(bool(x) and bool(y)), "||": lambda x, y: int(bool(x) or bool(y))}
    return _signed(ops[op](a, b))


def evaluate(expr: str, get: Callable[[str], str], set_: Callable[[str, str], None]) -> int:
    """The value of `expr`; ArithError when it has none."""
    toks: list[str] = []
    starts: list[int] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            if expr[pos:].strip():
                bad = pos + len(expr[pos:]) - len(expr[pos:].lstrip())
                raise ArithError(expr, "syntax error: invalid arithmetic operator", expr[bad:])
            break
        toks.append(m.group(1))
        starts.append(m.start(1))
        pos = m.end()
    if not toks:
        return 0
    p = _Parser(toks, starts, expr, get, set_)
    value = p.assignment()
    if p.peek() is not None:
        raise p.error("syntax error in expression", p.i)
    return value
