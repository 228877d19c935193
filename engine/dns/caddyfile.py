"""The Caddyfile grammar a Corefile is written in (github.com/coredns/caddy, caddyfile/):
tokens with their line numbers, server blocks of directives, the parser's errors in its
words, and the JSON form the `reload` plugin hashes.

Why its own module: CoreDNS says *where* a Corefile is wrong (`/etc/coredns/Corefile:8 -
Error during parsing: Unknown directive 'foward'`) and identifies a configuration by the
SHA512 of the parsed blocks (`Running configuration SHA512 = ...`), not of the text, so a
comment or an indent changed in the ConfigMap is no reload. Both need the parser's tokens.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

#: where kubeadm's Deployment mounts the ConfigMap (`-conf /etc/coredns/Corefile`)
COREFILE_PATH = "/etc/coredns/Corefile"


class CaddyfileError(ValueError):
    """A Corefile the parser refuses, in its words (`FILE:LINE - Error during parsing: ...`)."""


@dataclass(frozen=True)
class Token:
    line: int
    text: str


@dataclass
class ServerBlock:
    """One server block: its keys (`.:53`, `example.org:53`) and each directive's lines,
    tokens in order (braces included), as caddyfile.ServerBlock keeps them."""

    keys: list[str]
    directives: list[list[Token]] = field(default_factory=list)  # one entry per directive use

    def tokens_by_name(self) -> dict[str, list[Token]]:
        """caddyfile.ServerBlock.Tokens: a directive's uses concatenated, by name."""
        out: dict[str, list[Token]] = {}
        for d in self.directives:
            out.setdefault(d[0].text, []).extend(d)
        return out


def errf(line: int, msg: str, path: str = COREFILE_PATH) -> CaddyfileError:
    """Dispenser.Errf's form."""
    return CaddyfileError(f"{path}:{line} - Error during parsing: {msg}")


def lex(text: str) -> list[Token]:
    """caddyfile's lexer: words split on white space, `"quoted strings"` (with `\\"`),
    `#` comments to the end of the line (only at a word's start)."""
    tokens: list[Token] = []
    line, i, n = 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        start_line = line
        word: list[str] = []
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] == '"':
                    i += 1
                if text[i] == "\n":
                    line += 1
                word.append(text[i])
                i += 1
            i += 1
        else:
            while i < n and not text[i].isspace():
                word.append(text[i])
                i += 1
        tokens.append(Token(start_line, "".join(word)))
    return tokens


def parse(text: str, path: str = COREFILE_PATH) -> list[ServerBlock]:
    """caddyfile.Parse with no list of valid directives (what `reload` hashes): blocks of
    keys then `{ directives }`; a directive runs to the end of its line, and on through
    any `{ ... }` it opens."""
    toks = lex(text)
    blocks: list[ServerBlock] = []
    i, n = 0, len(toks)
    while i < n:
        keys: list[str] = []
        line = toks[i].line
        # keys: the first line's words (commas allowed between them)
        while i < n and toks[i].line == line and toks[i].text != "{":
            keys += [k for k in toks[i].text.split(",") if k]
            i += 1
        block = ServerBlock(keys)
        blocks.append(block)
        if i >= n or toks[i].text != "{":
            # a block without braces holds the rest of the file
            _directives(toks, i, n, block, path, braced=False)
            break
        i = _directives(toks, i + 1, n, block, path, braced=True)
    return blocks


def _directives(toks: list[Token], i: int, n: int, block: ServerBlock, path: str, *, braced: bool) -> int:
    while i < n:
        tok = toks[i]
        if tok.text == "}":
            if not braced:
                raise errf(tok.line, "Unexpected '}' because no matching opening brace", path)
            return i + 1
        directive = [tok]
        nesting = 0
        i += 1
        while i < n:
            t = toks[i]
            if t.text == "{":
                nesting += 1
            elif t.line != toks[i - 1].line and nesting == 0:
                break
            elif t.text == "}" and nesting > 0:
                nesting -= 1
            elif t.text == "}" and nesting == 0:
                raise errf(t.line, "Unexpected '}' because no matching opening brace", path)
            directive.append(t)
            i += 1
        if nesting > 0:
            raise errf(toks[-1].line, "Unexpected EOF", path)
        block.directives.append(directive)
    if braced:
        raise errf(toks[-1].line if toks else 1, "Unexpected EOF", path)
    return i


def blocks_json(blocks: list[ServerBlock]) -> str:
    """json.Marshal([]caddyfile.ServerBlock): Keys, then Tokens by directive name (sorted,
    as Go writes a map), each token {File, Line, Text} (File is empty: the dispenser does
    not set it outside imports). Go escapes <, > and & in strings."""
    out = [{"Keys": b.keys,
            "Tokens": {name: [{"File": "", "Line": t.line, "Text": t.text} for t in toks]
                       for name, toks in sorted(b.tokens_by_name().items())}}
           for b in blocks]
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def config_sha512(blocks: list[ServerBlock]) -> str:
    """What `[INFO] plugin/reload: Running configuration SHA512 = ...` prints."""
    return hashlib.sha512(blocks_json(blocks).encode("utf-8")).hexdigest()


__all__ = ["COREFILE_PATH", "CaddyfileError", "ServerBlock", "Token", "blocks_json", "config_sha512", "errf",
           "lex", "parse"]
