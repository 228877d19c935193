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
#: an unquoted `~` that starts a word: the home directory
TILDE = chr(0xE200)
#: before an unquoted `$`: its value is split into fields (`for i in $(seq 3)`, `echo $X`)
SPLIT = chr(0xE201)
#: where a split value breaks the word into two
FIELD = chr(0xE202)
#: a file descriptor digit written right before `>`/`<` -> its mark
FD_MARK = {str(d): chr(0xE100 + d) for d in range(10)}
_RESTORE = {ord(v): k for k, v in HIDDEN.items()}
_PARAM = re.compile("(" + chr(0xE201) + r")?\$(\?|\$|#|[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\}|[0-9])")


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
                keep = ch == "$" or (ch == "#" and line[i - 1] == "$")  # (`"$#"` is a parameter)
                out.append(HIDDEN[ch] if ch in _SPECIAL and not keep else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "$" and line.startswith("$(", i):
            end = _closing(line, i + 2)
            out.append(SPLIT + "$" + _hide_all(line[i + 1:end + 1]))
            i = end + 1
            continue
        elif ch == "$" and line.startswith("$$", i):  # (`$$`: the shell's PID, one parameter)
            out.append(SPLIT + "$$")
            i += 2
            continue
        elif ch == "$":
            out.append(SPLIT + "$")
        elif ch == "#" and (i == 0 or line[i - 1] in " \t\n;&|("):
            end = line.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch == "#" and line[i - 1] != "$":
            out.append(HIDDEN["#"])
        elif ch == "~" and (i == 0 or line[i - 1] in " \t\n;&|(") and line[i + 1:i + 2] in ("", "/", " ", "\t", "\n", ";", "&", "|", ")"):
            out.append(TILDE)
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
    """The word after expansion, as one string (a redirection's target, a `case` word)."""
    return " ".join(expand_fields(word, lookup, substitute)) or ""


def expand_fields(word: str, lookup: Callable[[str], str], substitute: Callable[[str], str]) -> list[str]:
    """Parameter expansion and command substitution (`$(...)`: `substitute` runs the command
    and gives its output, trailing newlines dropped, as sh does), then field splitting of
    the unquoted ones (`$(seq 3)` is three words, an empty `$NOPE` none), then the stand-ins go."""
    if TILDE in word:
        word = word.replace(TILDE, _hide(lookup("HOME")))
    if "$" not in word:
        return [restore(word)]
    split = SPLIT in word
    word = _substitutions(word, substitute)
    word = _PARAM.sub(lambda m: _value(lookup(m.group(2).strip("{}")), bool(m.group(1))), word)
    word = word.replace(SPLIT, "")
    if not split:
        return [restore(word)]
    return [restore(f) for f in word.split(FIELD) if f]  # (an unquoted expansion to nothing is no word)


def _substitutions(word: str, substitute: Callable[[str], str]) -> str:
    """Each `$(...)` of the word replaced by its output (nested parentheses balanced: the
    body of `$((i+1))` is `(i+1)`, of `$( (cd /; pwd) )` ` (cd /; pwd) `)."""
    opening, closing = "$" + HIDDEN["("], HIDDEN[")"]
    out: list[str] = []
    pos = 0
    while (start := word.find(opening, pos)) >= 0:
        split = start > 0 and word[start - 1] == SPLIT
        depth, j = 1, start + len(opening)
        while j < len(word) and depth:
            depth += (word[j] == HIDDEN["("]) - (word[j] == closing)
            j += 1
        body = word[start + len(opening):j - 1 if depth == 0 else j]
        out.append(word[pos:start - 1 if split else start])
        out.append(_value(substitute(restore(body)).rstrip("\n"), split))
        pos = j
    out.append(word[pos:])
    return "".join(out)


def _value(value: str, split: bool) -> str:
    value = _hide(value)
    return FIELD.join(value.split()) if split else value


def _hide(value: str) -> str:
    """An expanded value is not expanded again."""
    return value.replace("$", HIDDEN["$"])
