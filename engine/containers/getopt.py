"""busybox's option parsing (libbb/getopt32.c, over GNU getopt_long): short options bundle
(`-qO-` is -q and -O with `-`), an option's argument is the rest of its word or the next
word (`-T 2`), options may follow operands (GNU permutes), `--` ends them, and long
options map to their short letter (`--timeout=2`). A spec is getopt's string: `O:` takes
an argument, `n::` an optional one attached to it."""
from __future__ import annotations

from dataclasses import dataclass, field


class OptionError(ValueError):
    """getopt's own complaint (`invalid option -- 'x'`), without the program's name."""


@dataclass
class Parsed:
    flags: dict[str, int] = field(default_factory=dict)  # letter -> times given
    values: dict[str, list[str]] = field(default_factory=dict)  # letter -> its arguments, in order
    operands: list[str] = field(default_factory=list)

    def has(self, letter: str) -> bool:
        return letter in self.flags

    def value(self, letter: str, default: str | None = None) -> str | None:
        got = self.values.get(letter)
        return got[-1] if got else default


def _arity(spec: str) -> dict[str, int]:
    """letter -> 0 (flag), 1 (argument), 2 (optional attached argument)."""
    out: dict[str, int] = {}
    i = 0
    while i < len(spec):
        ch = spec[i]
        n = 0
        while i + 1 + n < len(spec) and spec[i + 1 + n] == ":" and n < 2:
            n += 1
        if ch not in ":+":
            out[ch] = n
        i += 1 + n
    return out


def getopt(args: list[str], spec: str, longopts: dict[str, str] | None = None) -> Parsed:
    arity = _arity(spec)
    longs = longopts or {}
    got = Parsed()
    i = 0

    def put(letter: str, value: str | None) -> None:
        got.flags[letter] = got.flags.get(letter, 0) + 1
        if value is not None:
            got.values.setdefault(letter, []).append(value)

    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            got.operands += args[i:]
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            matches = [k for k in longs if k == name] or [k for k in longs if k.startswith(name)]
            if len(matches) != 1:
                raise OptionError(f"unrecognized option '{a}'" if not matches else f"option '{a}' is ambiguous")
            letter = longs[matches[0]]
            takes = arity.get(letter, 0)
            if takes == 1 and not eq:
                if i >= len(args):
                    raise OptionError(f"option '--{matches[0]}' requires an argument")
                val, i = args[i], i + 1
            elif takes == 0 and eq:
                raise OptionError(f"option '--{matches[0]}' doesn't allow an argument")
            put(letter, val if takes else None)
            continue
        if not a.startswith("-") or a == "-":
            got.operands.append(a)
            continue
        j = 1
        while j < len(a):
            ch = a[j]
            if ch not in arity:
                raise OptionError(f"invalid option -- '{ch}'")
            if arity[ch] == 0:
                put(ch, None)
                j += 1
                continue
            rest = a[j + 1:]
            if rest or arity[ch] == 2:
                put(ch, rest if rest else None)
            elif i < len(args):
                put(ch, args[i])
                i += 1
            else:
                raise OptionError(f"option requires an argument -- '{ch}'")
            break
    return got
