"""A small redis: the RESP replies of the commands people type in tutorials.

Inline commands (what `telnet redis 6379` sends) and RESP arrays both work; replies are
the exact RESP bytes redis 7 writes, so a telnet session shows `:1`, `*1`, `$5`, `count`.
"""
from __future__ import annotations

import fnmatch
import shlex
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
        """An inline command as telnet sends it (redis splits it like a shell would)."""
        try:
            argv = shlex.split(line)
        except ValueError:
            return error("ERR Protocol error: unbalanced quotes in request"), True
        return self.execute(argv)


def resp_lines(reply: str) -> list[str]:
    """How a terminal shows raw RESP: one line per CRLF-terminated piece."""
    return [p for p in reply.split(CRLF)][:-1] if reply else []


def cli_format(reply: str) -> str:
    """How `redis-cli` renders a reply: `(integer) 1`, `"2"`, `1) "count"`, `(nil)`, `OK`."""
    lines = resp_lines(reply)
    if not lines:
        return ""
    head = lines[0]
    t, rest = head[0], head[1:]
    if t == "+":
        return rest
    if t == "-":
        return f"(error) {rest}"
    if t == ":":
        return f"(integer) {rest}"
    if t == "$":
        return "(nil)" if rest == "-1" else f'"{lines[1]}"'
    if t == "*":
        n = int(rest)
        if n == 0:
            return "(empty array)"
        items = [lines[2 + 2 * i] for i in range(n)]
        width = len(str(n))
        return "\n".join(f"{str(i + 1).rjust(width)}) \"{v}\"" for i, v in enumerate(items))
    return head
