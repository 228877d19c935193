"""Go's strconv (and the float spellings of encoding/json and go-yaml built on it), once.

svcflow prints what Go programs print: the API server's `Invalid value: "My_Svc"` (`%q`),
pflag's `unknown shorthand flag: 'x'` (`%q` of a rune), `strconv.ParseInt: parsing "1x":
invalid syntax`, kubectl's JSON and YAML numbers. Every module that needs one of these
imports it from here, so a quoting or rounding fix lands once.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

_SIMPLE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _escape_rune(ch: str, quote: str) -> str:
    """One character as strconv.Quote / QuoteRune write it (for the given quote character)."""
    if ch == quote or ch == "\\":
        return "\\" + ch
    simple = _SIMPLE_ESCAPES.get(ch)
    if simple is not None:
        return simple
    cp = ord(ch)
    if ch == " " or (cp >= 0x20 and ch.isprintable() and cp != 0x7F):
        return ch
    if cp < 0x80:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def go_quote(s: str) -> str:
    """strconv.Quote / `%q` of a string: double-quoted with Go escapes.

    Used for every string the API server renders (``Invalid value: "My_Svc"``) and for kubectl's
    ``%q`` of file names, so a name with a quote or a tab renders exactly as Go would.
    """
    return '"' + "".join(_escape_rune(c, '"') for c in s) + '"'


def go_quote_rune(c: str) -> str:
    """strconv.QuoteRune / `%q` of a rune: ``'x'``, ``'\\''``, ``'\\t'`` (encoding/json's
    quoteChar is the same function for the characters it reports)."""
    return "'" + _escape_rune(c, "'") + "'"


# --- floats ---------------------------------------------------------------------------------


def _shortest(f: float) -> tuple[str, str, int]:
    """Sign, shortest round-trip decimal digits of |f| and the exponent of the first digit
    (d.ddd x 10^exp), as strconv's shortest formatting finds them; f is finite and non-zero."""
    sign, digits, exponent = Decimal(repr(f)).normalize().as_tuple()
    text = "".join(map(str, digits))
    return ("-" if sign else ""), text, len(text) - 1 + int(exponent)


def _exp_form(sign: str, digits: str, exp: int) -> str:
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _plain_form(sign: str, digits: str, exp: int) -> str:
    if exp >= 0:
        whole, frac = digits[:exp + 1].ljust(exp + 1, "0"), digits[exp + 1:]
    else:
        whole, frac = "0", "0" * (-exp - 1) + digits
    return f"{sign}{whole}{'.' + frac if frac else ''}"


def go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64), which is also `%v`: shortest digits, the
    exponent form when the exponent is < -4 or >= 6 (`1e+06`), `NaN`, `+Inf`, `-Inf`."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign, digits, exp = _shortest(f)
    if exp < -4 or exp >= 6:
        return _exp_form(sign, digits, exp)
    return _plain_form(sign, digits, exp)


def go_yaml_float(f: float) -> str:
    """A float as go-yaml v2 writes it: FormatFloat 'g', with YAML's `.inf`, `-.inf`, `.nan`."""
    s = go_float(f)
    return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(s, s)


def go_json_float(f: float) -> str:
    """A float64 as encoding/json writes it: 'f' format unless |f| < 1e-6 or >= 1e21, where
    'e' is used with a one-digit negative exponent kept short (`1.5e-7`, `1e+21`).
    Go refuses NaN and infinities (json: unsupported value): so does this, with ValueError."""
    if not math.isfinite(f):
        raise ValueError(f"json: unsupported value: {go_float(f)}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign, digits, exp = _shortest(f)
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        text = _exp_form(sign, digits, exp)
        return text.replace("e-0", "e-") if exp > -10 else text
    return _plain_form(sign, digits, exp)


# --- encoding/json strings ------------------------------------------------------------------

#: What encoding/json escapes beyond JSON's own `\"` `\\` `\b` `\f` `\n` `\r` `\t` `\u00XX`
#: (which Python's json and orjson write alike): the HTML-safe set (json.Marshal, and an
#: Encoder unless SetEscapeHTML(false)) and the JavaScript line separators, always.
GO_JSON_EXTRA_ESCAPES: dict[str, str] = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                         "\u2028": "\\u2028", "\u2029": "\\u2029"}

_SURROGATE_ESCAPED = re.compile("[\udc80-\udcff]")


def go_utf8(raw: bytes) -> str:
    """Bytes a Go program holds as a string, as encoding/json then writes them: valid UTF-8
    unchanged, and each byte that is not part of it one U+FFFD (utf8.DecodeRuneInString's
    size-1 RuneError). Go's protobuf (gogo) code keeps a string's bytes unchecked and its JSON
    decoder coerces the same way, so an API server takes such bytes and answers U+FFFD."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # (surrogateescape: one lone surrogate per undecodable byte)
        return _SURROGATE_ESCAPED.sub("\ufffd", raw.decode("utf-8", "surrogateescape"))


# --- integers -------------------------------------------------------------------------------


class NumError(ValueError):
    """strconv.NumError: ``strconv.ParseInt: parsing "1x": invalid syntax``."""

    def __init__(self, func: str, num: str, err: str) -> None:
        super().__init__(f"strconv.{func}: parsing {go_quote(num)}: {err}")
        self.func, self.num, self.err = func, num, err


SYNTAX = "invalid syntax"
RANGE = "value out of range"


_BOOLS = {"1": True, "t": True, "T": True, "true": True, "TRUE": True, "True": True,
          "0": False, "f": False, "F": False, "false": False, "FALSE": False, "False": False}


def go_parse_bool(s: str) -> bool:
    """strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False."""
    if s not in _BOOLS:
        raise NumError("ParseBool", s, SYNTAX)
    return _BOOLS[s]


def _underscore_ok(s: str) -> bool:
    """strconv's underscoreOK: underscores only between digits or after a base prefix."""
    saw = "^"
    i = 0
    if s[:1] in ("-", "+"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexa = 2, "0", s[1].lower() == "x"
    while i < len(s):
        c = s[i]
        if "0" <= c <= "9" or (hexa and "a" <= c.lower() <= "f"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
        i += 1
    return saw != "_"


def go_parse_uint(s: str, base: int = 0, bits: int = 64, *, _func: str = "ParseUint") -> int:
    """strconv.ParseUint(s, base, bits); NumError as Go reports it."""
    if s == "":
        raise NumError(_func, s, SYNTAX)
    base0 = base == 0
    s0, body = s, s
    if base == 0:
        base = 10
        if body[0] == "0":
            if len(body) >= 3 and body[1].lower() in "box":
                base, body = {"b": 2, "o": 8, "x": 16}[body[1].lower()], body[2:]
            else:
                base, body = 8, body[1:]
    max_val = (1 << bits) - 1
    n = 0
    underscores = False
    for c in body:
        if c == "_" and base0:
            underscores = True
            continue
        if "0" <= c <= "9":
            d = ord(c) - ord("0")
        elif c.isascii() and "a" <= c.lower() <= "z":
            d = ord(c.lower()) - ord("a") + 10
        else:
            raise NumError(_func, s0, SYNTAX)
        if d >= base:
            raise NumError(_func, s0, SYNTAX)
        n = n * base + d
        if n > max_val:
            raise NumError(_func, s0, RANGE)
    if underscores and not _underscore_ok(s0):
        raise NumError(_func, s0, SYNTAX)
    return n


def go_parse_int(s: str, base: int = 0, bits: int = 64) -> int:
    """strconv.ParseInt(s, base, bits): base 0 reads the sign, then 0x/0o/0b or a leading-0
    octal prefix and Go's digit separators (`1_000`); NumError as Go reports it."""
    if s == "":
        raise NumError("ParseInt", s, SYNTAX)
    body, neg = s, False
    if s[0] in "+-":
        neg, body = s[0] == "-", s[1:]
    try:
        un = go_parse_uint(body, base, bits, _func="ParseInt")
    except NumError as e:
        raise NumError("ParseInt", s, e.err) from None
    cutoff = 1 << (bits - 1)
    if (not neg and un >= cutoff) or (neg and un > cutoff):
        raise NumError("ParseInt", s, RANGE)
    return -un if neg else un
