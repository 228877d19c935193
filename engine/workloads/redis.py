"""A small redis: the RESP replies of the commands people type in tutorials.

Inline commands (what `telnet redis 6379` sends) and RESP arrays both work; replies are
the exact RESP bytes redis 7 writes, so a telnet session shows `:1`, `*1`, `$5`, `count`.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

CRLF = "\r\n"


def simple(s: str) -> str:
    return f"+{s}{CRLF}"


def error(s: str) -> str:
    return f"-{s}{CRLF}"


def integer(n: int) -> str:
    return f":{n}{CRLF}"


def bulk(s: str | None) -> str:
    if s is None:
        return f"$-1{CRLF}"
    return f"${len(s.encode())}{CRLF}{s}{CRLF}"


def array(items: list[str]) -> str:
    return f"*{len(items)}{CRLF}" + "".join(bulk(i) for i in items)


ARITY = {"ping": (1, 2), "get": (2, 2), "set": (3, 99), "incr": (2, 2), "decr": (2, 2), "incrby": (3, 3),
         "del": (2, 99), "dbsize": (1, 1), "keys": (2, 2), "expire": (3, 3), "ttl": (2, 2),
         "flushall": (1, 2), "flushdb": (1, 2), "quit": (1, 99), "exists": (2, 99), "echo": (2, 2)}


@dataclass
class RedisServer:
    """One redis-server process: a keyspace with expiries on the cluster's clock."""

    now: Callable[[], datetime]
    data: dict[str, str] = field(default_factory=dict)
    expires: dict[str, datetime] = field(default_factory=dict)

    def _alive(self, key: str) -> bool:
        exp = self.expires.get(key)
        if exp is not None and self.now() >= exp:
            self.data.pop(key, None)
            self.expires.pop(key, None)
        return key in self.data

    def _int(self, key: str) -> int | None:
        v = self.data.get(key, "0") if self._alive(key) else "0"
        try:
            return int(v)
        except ValueError:
            return None

    def execute(self, argv: list[str]) -> tuple[str, bool]:
        """Run one command; returns (RESP reply, close connection)."""
        if not argv:
            return "", False
        cmd, args = argv[0].lower(), argv[1:]
        if cmd not in ARITY:
            shown = "".join(f"'{a[:128]}' " for a in args)
            return error(f"ERR unknown command '{argv[0][:128]}', with args beginning with: {shown}"), False
        lo, hi = ARITY[cmd]
        if not lo <= len(argv) <= hi:
            return error(f"ERR wrong number of arguments for '{cmd}' command"), False
        if cmd == "ping":
            return (bulk(args[0]) if args else simple("PONG")), False
        if cmd == "echo":
            return bulk(args[0]), False
        if cmd == "quit":
            return simple("OK"), True
        if cmd == "get":
            return bulk(self.data[args[0]] if self._alive(args[0]) else None), False
        if cmd == "set":
            self.data[args[0]] = args[1]
            self.expires.pop(args[0], None)
            opts = [a.lower() for a in args[2:]]
            if "ex" in opts and opts.index("ex") + 1 < len(opts):
                self.expires[args[0]] = self.now() + timedelta(seconds=int(args[2:][opts.index("ex") + 1]))
            return simple("OK"), False
        if cmd in ("incr", "decr", "incrby"):
            n = self._int(args[0])
            if n is None:
                return error("ERR value is not an integer or out of range"), False
            step = int(args[1]) if cmd == "incrby" else (1 if cmd == "incr" else -1)
            self.data[args[0]] = str(n + step)
            return integer(n + step), False
        if cmd == "del":
            n = 0
            for k in args:
                if self._alive(k):
                    del self.data[k]
                    self.expires.pop(k, None)
                    n += 1
            return integer(n), False
        if cmd == "exists":
            return integer(sum(1 for k in args if self._alive(k))), False
        if cmd == "dbsize":
            return integer(sum(1 for k in list(self.data) if self._alive(k))), False
        if cmd == "keys":
            return array([k for k in list(self.data) if self._alive(k) and fnmatch.fnmatchcase(k, args[0])]), False
        if cmd == "expire":
            if not self._alive(args[0]):
                return integer(0), False
            self.expires[args[0]] = self.now() + timedelta(seconds=int(args[1]))
            return integer(1), False
        if cmd == "ttl":
            if not self._alive(args[0]):
                return integer(-2), False
            exp = self.expires.get(args[0])
            if exp is None:
                return integer(-1), False
            return integer(max(0, round((exp - self.now()).total_seconds()))), False
        if cmd in ("flushall", "flushdb"):
            self.data.clear()
            self.expires.clear()
            return simple("OK"), False
        return error("ERR"), False  # pragma: no cover

    def inline(self, line: str) -> tuple[str, bool]:
        """An inline command as telnet sends it (split as processInlineBuffer splits it:
        sdssplitargs, `split_args`)."""
        argv = split_args(line)
        if argv is None:
            return error("ERR Protocol error: unbalanced quotes in request"), True
        return self.execute(argv)


#: what a backslash makes of the letter after it in "double quotes" (any other: itself)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}
_HEX = frozenset("0123456789abcdefABCDEF")
_SPACE = frozenset(" \t\n\v\f\r")  # C's isspace


def split_args(line: str) -> list[str] | None:
    """sds.c's sdssplitargs: words split at blanks; "double quotes" with `\\n`, `\\xHH` ...
    escapes, 'single quotes' with only `\\'`; a closing quote must end the word. None for
    what it refuses (an unbalanced quote, a quote followed by more of the word): the
    server's `Protocol error: unbalanced quotes`, redis-cli's `Invalid argument(s)`.
    Both the server's inline commands and redis-cli's typed lines are read this way."""
    words: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return words
        word = bytearray()  # (bytes: `\\xc3\\xa9` is one character)
        quote = ""
        while True:
            c = line[i] if i < n else ""
            if quote == '"':
                if c == "\\" and line[i + 1:i + 2] == "x" and i + 3 < n and line[i + 2] in _HEX \
                        and line[i + 3] in _HEX:
                    word.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    word += _bytes(_ESCAPES.get(line[i], line[i]))
                elif c == '"':
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif not c:
                    return None
                else:
                    word += _bytes(c)
            elif quote == "'":
                if c == "\\" and line[i + 1:i + 2] == "'":
                    i += 1
                    word += b"'"
                elif c == "'":
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif not c:
                    return None
                else:
                    word += _bytes(c)
            elif c in (" ", "\n", "\r", "\t", ""):
                break
            elif c in "\"'":
                quote = c
            else:
                word += _bytes(c)
            i += 1
        words.append(word.decode("utf-8", "surrogateescape"))


_REPR = {v: "\\" + k for k, v in _ESCAPES.items()}


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def quote_arg(s: str) -> str:
    """sds.c's sdscatrepr: `s` in double quotes, `\\` `"` escaped, control characters as
    `\\n` `\\r` `\\t` `\\a` `\\b` or `\\xHH`, as do bytes past ASCII (isprint in the C locale):
    how redis-cli shows a string on a terminal, and what `split_args` reads back."""
    out = ['"']
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in _REPR:
            out.append(_REPR[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogateescape"))
    out.append('"')
    return "".join(out)


def resp_lines(reply: str) -> list[str]:
    """How a terminal shows raw RESP: one line per CRLF-terminated piece."""
    return [p for p in reply.split(CRLF)][:-1] if reply else []
