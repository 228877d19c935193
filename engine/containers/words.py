"""What quoting means to sh, kept through `shlex`: before the line is split, the characters
quotes protect are swapped for private-use stand-ins (an operator inside quotes is a plain
character, `$` inside single quotes is not expanded, `#` inside a word starts no comment),
and a redirection's file descriptor (`2>`) is marked so the splitter sees one operator.
When a command runs, its words get their parameters expanded (`$HOME`, `${X}`, `$?`,
`$(hostname)`), then the stand-ins are turned back into what was typed.
"""
from __future__ import annotations

import re
from typing import Callable

_SPECIAL = "|&;<>()\n#$`"
#: what else a `$(...)` body hides from the splitter: it is one word until it runs
_IN_SUBST = " \t'\"\\"
#: character -> its stand-in inside quotes (Unicode private use area)
HIDDEN = {ch: chr(0xE000 + ord(ch)) for ch in _SPECIAL + _IN_SUBST}
#: a file descriptor digit written right before `>`/`<` -> its mark
FD_MARK = {str(d): chr(0xE100 + d) for d in range(10)}
_RESTORE = {ord(v): k for k, v in HIDDEN.items()}
_PARAM = re.compile(r"\$(\?|\$|#|[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\}|[0-9])")
_SUBST = re.compile("\\$" + re.escape(HIDDEN["("]) + "(.*?)" + re.escape(HIDDEN[")"]), re.S)


def hide_quoted(line: str) -> str:
    """`line` with quoted specials hidden, `# comments` dropped, fd digits marked."""
    out: list[str] = []
    quote = ""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote == "'":
            if ch == "'":
                quote = ""
                out.append(ch)
            else:
                out.append(HIDDEN.get(ch, ch) if ch != "#" else ch)
        elif ch == "\\" and i + 1 < n and quote != "'":
            nxt = line[i + 1]
            if nxt == "$" or (nxt in _SPECIAL and not quote):
                out.append(HIDDEN[nxt])  # `\$`, `\|`, `\;`: the character itself
            elif nxt in _SPECIAL:  # `"\|"` keeps its backslash
                out.append(ch + HIDDEN[nxt])
            else:
                out.append(ch + nxt)  # (shlex removes the backslash where sh does)
            i += 2
            continue
        elif quote == '"':
            if ch == '"':
                quote = ""
                out.append(ch)
            elif ch == "$" and line.startswith("$(", i):
                end = _closing(line, i + 2)
                out.append("$" + _hide_all(line[i + 1:end + 1]))
                i = end + 1
                continue
            else:
                out.append(HIDDEN[ch] if ch in _SPECIAL and ch != "$" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "$" and line.startswith("$(", i):
            end = _closing(line, i + 2)
            out.append("$" + _hide_all(line[i + 1:end + 1]))
            i = end + 1
            continue
        elif ch == "#" and (i == 0 or line[i - 1] in " \t\n;&|("):
            end = line.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch == "#":
            out.append(HIDDEN["#"])
        elif ch.isdigit() and i + 1 < n and line[i + 1] in "<>" and (i == 0 or line[i - 1] in " \t\n;&|("):
            out.append(FD_MARK[ch])
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _hide_all(text: str) -> str:
    return "".join(HIDDEN.get(c, c) for c in text)


def _closing(line: str, start: int) -> int:
    """The index of the `)` that closes a `$(` whose body starts at `start` (or the end)."""
    depth, quote = 1, ""
    for j in range(start, len(line)):
        ch = line[j]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(line) - 1


def restore(word: str) -> str:
    """The word as typed (stand-ins back to their characters)."""
    return word.translate(_RESTORE)


def expand(word: str, lookup: Callable[[str], str], substitute: Callable[[str], str]) -> str:
    """Parameter expansion and command substitution (`$(...)`: `substitute` runs the command
    and gives its output, trailing newlines dropped, as sh does); then the stand-ins go."""
    if "$" not in word:
        return restore(word)
    word = _SUBST.sub(lambda m: _hide(substitute(restore(m.group(1))).rstrip("\n")), word)
    word = _PARAM.sub(lambda m: _hide(lookup(m.group(1).strip("{}"))), word)
    return restore(word)


def _hide(value: str) -> str:
    """An expanded value is not expanded again."""
    return value.replace("$", HIDDEN["$"])
