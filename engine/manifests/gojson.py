"""Go's encoding/json scanner, for a JSON stream's error messages and value boundaries.

kubectl decodes a JSON manifest with encoding/json, so a syntax error reads as Go's
(``invalid character '}' looking for beginning of object key string``) and the stream is cut
where Go's decoder would cut it.
"""
from __future__ import annotations

from engine.api.gostrconv import go_quote_rune

#: svcflow's own limit, shared by both decoders (kubectl has none this tight; the refusal says it is svcflow's).
MAX_NESTING = 100  # levels of maps/lists in one object (a Deployment needs about 15)


# --------------------------------------------------------------------------------------------
# Go encoding/json scanner (for error messages and value boundaries)
# --------------------------------------------------------------------------------------------


class JSONSyntax(Exception):
    def __init__(self, msg: str, offset: int) -> None:
        super().__init__(msg)
        self.msg, self.offset = msg, offset


class JSONEOF(Exception):
    pass


class JSONTooDeep(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def to_bytes(text: str) -> bytes:
    """The bytes a manifest was read from (files are decoded with ``surrogateescape``)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _quote_char(c: int) -> str:
    """encoding/json quoteChar: strconv.QuoteRune of the offending byte."""
    return go_quote_rune(chr(c))


WS = b" \t\r\n"


def scan_json_value(data: bytes, start: int) -> int:
    """Scan one JSON value from ``start`` like Go's Decoder; returns the end index.

    Raises JSONSyntax (Go's message, absolute 1-based offset) or JSONEOF.
    """
    stack: list[str] = []  # 'key' | 'value' (object) | 'array'
    state = "begin"
    lit = ""
    esc_u = 0
    i = start
    n = len(data)

    def err(c: int, ctx: str) -> JSONSyntax:
        return JSONSyntax(f"invalid character {_quote_char(c)} {ctx}", i + 1)

    while i < n:
        c = data[i]
        if state in ("begin", "begin_or_empty"):
            if c in WS:
                i += 1
                continue
            if state == "begin_or_empty" and c == 0x5D:  # ]
                state = "end"
                continue
            if c in (0x7B, 0x5B) and len(stack) >= MAX_NESTING:
                raise JSONTooDeep(i + 1)
            if c == 0x7B:
                stack.append("key")
                state = "key_or_empty"
            elif c == 0x5B:
                stack.append("array")
                state = "begin_or_empty"
            elif c == 0x22:
                state = "str"
            elif c == 0x2D:
                state = "neg"
            elif c == 0x30:
                state = "zero"
            elif 0x31 <= c <= 0x39:
                state = "int"
            elif c in b"tfn":
                lit = {0x74: "rue", 0x66: "alse", 0x6E: "ull"}[c]
                state = "lit:" + {0x74: "true", 0x66: "false", 0x6E: "null"}[c]
            else:
                raise err(c, "looking for beginning of value")
            i += 1
            continue
        if state in ("key_or_empty", "key"):
            if c in WS:
                i += 1
                continue
            if state == "key_or_empty" and c == 0x7D:
                stack[-1] = "value"
                state = "end"
                continue
            if c == 0x22:
                state = "str"
                i += 1
                continue
            raise err(c, "looking for beginning of object key string")
        if state == "str":
            if c == 0x22:
                state = "end"
            elif c == 0x5C:
                state = "esc"
            elif c < 0x20:
                raise err(c, "in string literal")
            i += 1
            continue
        if state == "esc":
            if c in b'bfnrt\\/"':
                state = "str"
            elif c == 0x75:
                state, esc_u = "escu", 0
            else:
                raise err(c, "in string escape code")
            i += 1
            continue
        if state == "escu":
            if chr(c) in "0123456789abcdefABCDEF":
                esc_u += 1
                if esc_u == 4:
                    state = "str"
                i += 1
                continue
            raise err(c, "in \\u hexadecimal character escape")
        if state == "neg":
            if c == 0x30:
                state = "zero"
            elif 0x31 <= c <= 0x39:
                state = "int"
            else:
                raise err(c, "in numeric literal")
            i += 1
            continue
        if state == "int":
            if 0x30 <= c <= 0x39:
                i += 1
                continue
            state = "zero"
        if state == "zero":
            if c == 0x2E:
                state = "dot"
                i += 1
                continue
            if c in b"eE":
                state = "e"
                i += 1
                continue
            state = "end"
        if state == "dot":
            if 0x30 <= c <= 0x39:
                state = "dot0"
                i += 1
                continue
            raise err(c, "after decimal point in numeric literal")
        if state == "dot0":
            if 0x30 <= c <= 0x39:
                i += 1
                continue
            if c in b"eE":
                state = "e"
                i += 1
                continue
            state = "end"
        if state == "e":
            if c in b"+-":
                state = "esign"
                i += 1
                continue
            state = "esign"
        if state == "esign":
            if 0x30 <= c <= 0x39:
                state = "e0"
                i += 1
                continue
            raise err(c, "in exponent of numeric literal")
        if state == "e0":
            if 0x30 <= c <= 0x39:
                i += 1
                continue
            state = "end"
        if state.startswith("lit:"):
            word = state[4:]
            if c == ord(lit[0]):
                lit = lit[1:]
                i += 1
                if not lit:
                    state = "end"
                continue
            raise err(c, f"in literal {word} (expecting {_quote_char(ord(lit[0]))})")
        if state == "end":
            if not stack:
                return i
            if c in WS:
                i += 1
                continue
            top = stack[-1]
            if top == "key":
                if c == 0x3A:
                    stack[-1] = "value"
                    state = "begin"
                    i += 1
                    continue
                raise err(c, "after object key")
            if top == "value":
                if c == 0x2C:
                    stack[-1] = "key"
                    state = "key"
                    i += 1
                    continue
                if c == 0x7D:
                    stack.pop()
                    i += 1
                    if not stack:
                        return i
                    continue
                raise err(c, "after object key:value pair")
            if c == 0x2C:
                state = "begin"
                i += 1
                continue
            if c == 0x5D:
                stack.pop()
                i += 1
                if not stack:
                    return i
                continue
            raise err(c, "after array element")
    # EOF: a finished top-level scalar is fine; anything else is io.ErrUnexpectedEOF
    if not stack and state in ("end", "int", "zero", "dot0", "e0"):
        return i
    raise JSONEOF()
