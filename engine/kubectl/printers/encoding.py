"""`-o json` and `-o yaml` as kubectl writes them, and the objects they serialize.

`-o json`: Go's encoding/json with 4-space indent over unstructured maps (sorted keys,
HTML-safe strings, int64s exact, other numbers as Go formats a float64); `-o yaml`:
sigs.k8s.io/yaml, i.e. JSON -> go-yaml v2 (`_GoYaml` below). Also the compact
`json.Marshal` the jsonpath printer uses for maps and lists.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.api.gostrconv import GO_JSON_EXTRA_ESCAPES, RANGE, NumError, go_json_float, go_parse_int, go_yaml_float
from engine.kubectl.printers.gostructs import GoStruct

# ---------------------------------------------------------------------------------------
# -o json / -o yaml
# ---------------------------------------------------------------------------------------


def _strip_managed_fields(obj: dict) -> dict:
    """kubectl hides metadata.managedFields unless --show-managed-fields."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def as_output_object(obj_or_objs: dict | Sequence[dict]) -> dict:
    """What `-o yaml|json` serializes: the object itself, or for a list (a LIST call,
    several names or kinds) the `kind: List` wrapper printGeneric builds."""
    if isinstance(obj_or_objs, dict):
        return _strip_managed_fields(obj_or_objs)
    return {"apiVersion": "v1", "items": [_strip_managed_fields(o) for o in obj_or_objs],
            "kind": "List", "metadata": {"resourceVersion": ""}}


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _json_number(value: int | float) -> str:
    """A number as kubectl's JSON carries it: int64s exactly, anything else as Go
    encodes a float64 (so 2.0 is `2` and 2**64 is `18446744073709552000`)."""
    if isinstance(value, int) and _INT64_MIN <= value <= _INT64_MAX:
        return str(value)
    if not math.isfinite(value):  # (never stored: the loader refuses them, as kubectl's JSON does)
        return go_yaml_float(float(value))
    return go_json_float(float(value))


_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", **GO_JSON_EXTRA_ESCAPES}


def _json_string(text: str) -> str:
    """encoding/json string escaping, HTML-safe as json.Marshal is by default."""
    out = []
    for ch in text:
        if ch in _JSON_SHORT:
            out.append(_JSON_SHORT[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _json_value(value: Any, level: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = "    " * (level + 1)
        keys = value if isinstance(value, GoStruct) else sorted(value, key=lambda k: str(k).encode())
        body = ",\n".join(f"{pad}{_json_string(str(k))}: {_json_value(value[k], level + 1)}" for k in keys)
        return "{\n" + body + "\n" + "    " * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        pad = "    " * (level + 1)
        body = ",\n".join(pad + _json_value(v, level + 1) for v in value)
        return "[\n" + body + "\n" + "    " * level + "]"
    if isinstance(value, str):
        return _json_string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _json_number(value)
    return str(value)


def json_indent(value: Any) -> str:
    """json.MarshalIndent(value, "", "    ") of any decoded JSON value (no trailing newline)."""
    return _json_value(value, 0)


def json_compact(value: Any) -> str:
    """json.Marshal(value): what kubectl's jsonpath printer writes for a map or a list."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_string(str(k))}:{json_compact(value[k])}"
                              for k in sorted(value, key=lambda k: str(k).encode())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(json_compact(v) for v in value) + "]"
    return _json_value(value, 0)


def to_json(obj_or_objs: dict | Sequence[dict]) -> str:
    """`-o json`: sorted keys, 4-space indent, HTML-escaped strings, trailing newline;
    a list of objects is wrapped in `kind: List`."""
    return _json_value(as_output_object(obj_or_objs), 0) + "\n"


def to_yaml(obj_or_objs: dict | Sequence[dict]) -> str:
    """`-o yaml` as sigs.k8s.io/yaml writes it (go-yaml v2 over the JSON form): keys
    sorted go-yaml's way, 2-space indent, sequences not indented under their key,
    ambiguous strings double-quoted, long scalars folded at column 80, multi-line
    strings as `|` blocks. A list of objects is wrapped in `kind: List`."""
    return _GoYaml().document(_as_yaml_input(as_output_object(obj_or_objs)))


_NEL_RUN = re.compile(" *(\x85(?: *\x85)*) *")


def _fold_nel(text: str) -> str:
    """go-yaml re-reads the JSON text, where a raw NEL (U+0085, which encoding/json does
    not escape) is a YAML line break inside a double-quoted scalar: folded to a space,
    or n breaks to n-1 newlines, eating the spaces around them."""
    if "\x85" not in text:
        return text
    return _NEL_RUN.sub(lambda m: " " if m.group(1).count("\x85") == 1
                        else "\n" * (m.group(1).count("\x85") - 1), text)


def _as_yaml_input(value: Any) -> Any:
    """The value go-yaml sees after reading kubectl's JSON: numbers typed as its resolver
    types JSON number text (int when the text is integral, else float), NEL folded."""
    if isinstance(value, dict):
        return {_fold_nel(str(k)): _as_yaml_input(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_yaml_input(v) for v in value]
    if isinstance(value, str):
        return _fold_nel(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _json_number(value)
        if re.fullmatch(r"-?[0-9]+", text) and _INT64_MIN <= int(text) < (1 << 64):
            return int(text)  # ParseInt or ParseUint accepts it
        return float(text)  # otherwise the float rule wins before big ints are tried
    return value


# --- go-yaml v2 scalar resolution (resolve.go) -----------------------------------------

_RESOLVE_MAP = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
                     "n", "N", "no", "No", "NO", "false", "False", "FALSE",
                     "off", "Off", "OFF"), "bool"),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), "null"),
    **dict.fromkeys((".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                     "-.inf", "-.Inf", "-.INF"), "float"),
    "<<": "merge",
}
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(?:Z|[+-]\d{2}:\d{2})"
    r"|[ ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?)?$")


def _is_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp over its four allowed layouts, with time.Parse's range
    checks."""
    m = _TIMESTAMP.match(text)
    if not m:
        return False
    year, month, day = (int(g) for g in m.group(1, 2, 3))
    try:
        datetime(year or 2000, month, day)  # Go allows year 0 (a leap year)
    except ValueError:
        return False
    clock = m.group(4, 5, 6) if m.group(4) else m.group(7, 8, 9)
    if clock[0] is None:
        return True
    hour, minute, second = (int(g) for g in clock)
    return hour < 24 and minute < 60 and second < 60


def _resolves_to_non_string(text: str) -> bool:
    """resolve("", s) != !!str: the string would read back as bool/null/number/time."""
    hint = text[:1]
    if text == "":
        return True
    if hint not in "+-0123456789.yYnNtTfFoO~":
        return False
    if text in _RESOLVE_MAP:
        return True
    if hint == ".":
        return bool(_YAML_FLOAT.match(text))  # strconv.ParseFloat, for a leading dot
    if hint in "yYnNtTfFoO~":
        return False
    if _is_timestamp(text):
        return True
    plain = text.replace("_", "")
    return _yaml_int(plain) or bool(_YAML_FLOAT.match(plain))


def _yaml_int(plain: str) -> bool:
    """strconv.ParseInt(plain, 0, 64) reads an integer. Out-of-range values count too:
    go-yaml then tries ParseUint and big.Int."""
    try:
        go_parse_int(plain)
    except NumError as e:
        return e.err == RANGE
    return True


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml's keyList.Less: letters compare as runes, a non-letter sorts before a
    letter, and runs of digits compare as numbers (`a2` < `a10`)."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        al, bl = _is_letter(a[i]), _is_letter(b[i])
        if al and bl:
            return a[i] < b[i]
        if al or bl:
            return bl
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and _is_digit(a[j]):
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and _is_digit(a[ai]):
            an = an * 10 + (ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and _is_digit(b[bi]):
            bn = bn * 10 + (ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


_go_key_sort = functools.cmp_to_key(
    lambda a, b: -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0))


# --- go-yaml v2 emitter (emitterc.go), restricted to what JSON data needs ----------------

_BREAKS = "\r\n\x85\u2028\u2029"
_PLAIN, _SINGLE, _DOUBLE, _LITERAL = "plain", "single", "double", "literal"
_BEST_WIDTH = 80
_DOUBLE_ESCAPES = {0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f",
                   0x0D: "r", 0x1B: "e", 0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_",
                   0x2028: "L", 0x2029: "P"}


def _printable(ch: str) -> bool:
    """is_printable as go-yaml tests UTF-8 bytes: no tabs, no C1, nothing astral."""
    c = ord(ch)
    return (c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF
            or (0xE000 <= c <= 0xFFFD and c != 0xFEFF))


@dataclass
class _ScalarAnalysis:
    multiline: bool = False
    block_plain: bool = True
    single_quoted: bool = True
    block: bool = True


def _analyze(value: str) -> _ScalarAnalysis:
    """yaml_emitter_analyze_scalar (v2): which styles can carry this text."""
    if not value:
        return _ScalarAnalysis(block_plain=True, single_quoted=True, block=False)
    block_ind = value.startswith("---") or value.startswith("...")
    line_breaks = special = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_by_ws = True
    n = len(value)
    for i, ch in enumerate(value):
        followed_by_ws = i + 1 >= n or value[i + 1] in " \t"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                block_ind = True
            elif ch in "?:" and followed_by_ws:
                block_ind = True
            elif ch == "-" and followed_by_ws:
                block_ind = True
        elif (ch == ":" and followed_by_ws) or (ch == "#" and preceded_by_ws):
            block_ind = True
        if not _printable(ch):
            special = True
        if ch == " ":
            leading_space |= i == 0
            trailing_space |= i == n - 1
            break_space |= previous_break
            previous_space, previous_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            leading_break |= i == 0
            trailing_break |= i == n - 1
            space_break |= previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = ch in " \t" + _BREAKS
    a = _ScalarAnalysis(multiline=line_breaks)
    if leading_space or leading_break or trailing_space or trailing_break:
        a.block_plain = False
    if trailing_space:
        a.block = False
    if break_space:
        a.block_plain = a.single_quoted = False
    if space_break or special:
        a.block_plain = a.single_quoted = a.block = False
    if line_breaks or block_ind:
        a.block_plain = False
    return a


class _GoYaml:
    """A block-style emitter that writes what go-yaml v2 writes for JSON-shaped data.

    It keeps the emitter's own cursor state (column, `whitespace`, `indention`) because
    that state decides where long scalars fold and where line breaks go.
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True

    # low-level writes ---------------------------------------------------------------
    def put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0

    def write_indent(self, indent: int) -> None:
        indent = max(indent, 0)
        if not self.indention or self.column > indent or (
                self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = self.indention = True

    def indicator(self, text: str, need_ws: bool, is_ws: bool, is_indention: bool) -> None:
        if need_ws and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention

    # nodes --------------------------------------------------------------------------
    def document(self, value: Any) -> str:
        self.node(value, -1, mapping_context=False, simple_key=False)
        self.write_indent(-1)  # document end
        return "".join(self.out)

    def node(self, value: Any, indent: int, *, mapping_context: bool, simple_key: bool) -> None:
        if isinstance(value, dict):
            self.mapping(value, indent) if value else self.flow_empty("{}")
        elif isinstance(value, (list, tuple)):
            self.sequence(value, indent, mapping_context) if value else self.flow_empty("[]")
        else:
            self.scalar(value, indent, simple_key)

    def flow_empty(self, pair: str) -> None:
        self.indicator(pair[0], True, True, False)
        self.indicator(pair[1], False, False, False)

    def mapping(self, value: dict, indent: int) -> None:
        inner = 0 if indent < 0 else indent + 2
        items = {str(k): v for k, v in value.items()}
        for key in sorted(items, key=_go_key_sort):
            item = items[key]
            self.write_indent(inner)
            if len(key.encode()) > 128 or _analyze(key).multiline:
                self.indicator("?", True, False, True)
                self.scalar(key, inner, simple_key=False)
                self.write_indent(inner)
                self.indicator(":", True, False, True)
            else:
                self.scalar(key, inner, simple_key=True)
                self.indicator(":", False, False, False)
            self.node(item, inner, mapping_context=True, simple_key=False)

    def sequence(self, value: Sequence, indent: int, mapping_context: bool) -> None:
        indentless = mapping_context and not self.indention
        inner = 0 if indent < 0 else (indent if indentless else indent + 2)
        for item in value:
            self.write_indent(inner)
            self.indicator("-", True, False, True)
            self.node(item, inner, mapping_context=False, simple_key=False)

    def scalar(self, value: Any, indent: int, simple_key: bool) -> None:
        inner = 2 if indent < 0 else indent + 2
        text, style = self.scalar_text(value)
        style = self.select_style(text, style, simple_key)
        allow_breaks = not simple_key
        if style == _PLAIN:
            self.write_plain(text, inner, allow_breaks)
        elif style == _SINGLE:
            self.write_single(text, inner, allow_breaks)
        elif style == _DOUBLE:
            self.write_double(text, inner, allow_breaks)
        else:
            self.write_literal(text, inner)

    @staticmethod
    def scalar_text(value: Any) -> tuple[str, str]:
        """encoder.stringv/intv/floatv/boolv/nilv: the text and the requested style."""
        if value is None:
            return "null", _PLAIN
        if isinstance(value, bool):
            return ("true" if value else "false"), _PLAIN
        if isinstance(value, float):
            return go_yaml_float(value), _PLAIN
        if isinstance(value, int):
            return str(value), _PLAIN
        text = str(value)
        can_plain = not _resolves_to_non_string(text) and not (
            text[:1] in "+-0123456789" and ":" in text and _BASE60.match(text))
        if "\n" in text:
            return text, _LITERAL
        return text, (_PLAIN if can_plain else _DOUBLE)

    @staticmethod
    def select_style(text: str, style: str, simple_key: bool) -> str:
        """yaml_emitter_select_scalar_style, block context only."""
        a = _analyze(text)
        if simple_key and a.multiline:
            style = _DOUBLE
        if style == _PLAIN and (not a.block_plain or (not text and simple_key)):
            style = _SINGLE
        if style == _SINGLE and not a.single_quoted:
            style = _DOUBLE
        if style == _LITERAL and (not a.block or simple_key):
            style = _DOUBLE
        return style

    def write_plain(self, text: str, indent: int, allow_breaks: bool) -> None:
        if not self.whitespace:
            self.put(" ")
        spaces = False
        for i, ch in enumerate(text):
            if ch == " ":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if allow_breaks and not spaces and self.column > _BEST_WIDTH and nxt != " ":
                    self.write_indent(indent)
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                self.indention = False
                spaces = False
        self.whitespace = self.indention = False

    def write_single(self, text: str, indent: int, allow_breaks: bool) -> None:
        self.indicator("'", True, False, False)
        spaces = breaks = False
        for i, ch in enumerate(text):
            if ch == " ":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if (allow_breaks and not spaces and self.column > _BEST_WIDTH and 0 < i < len(text) - 1
                        and nxt != " "):
                    self.write_indent(indent)
                else:
                    self.put(ch)
                spaces = True
            elif ch in _BREAKS:
                if not breaks and ch == "\n":
                    self.put_break()
                self.write_break(ch)
                self.indention = breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put("''" if ch == "'" else ch)
                self.indention = spaces = breaks = False
        self.indicator("'", False, False, False)
        self.whitespace = self.indention = False

    def write_double(self, text: str, indent: int, allow_breaks: bool) -> None:
        self.indicator('"', True, False, False)
        spaces = False
        for i, ch in enumerate(text):
            c = ord(ch)
            if not _printable(ch) or c == 0xFEFF or ch in _BREAKS or ch in '"\\':
                if c in _DOUBLE_ESCAPES:
                    self.put("\\" + _DOUBLE_ESCAPES[c])
                elif c <= 0xFF:
                    self.put(f"\\x{c:02X}")
                elif c <= 0xFFFF:
                    self.put(f"\\u{c:04X}")
                else:
                    self.put(f"\\U{c:08X}")
                spaces = False
            elif ch == " ":
                if allow_breaks and not spaces and self.column > _BEST_WIDTH and 0 < i < len(text) - 1:
                    self.write_indent(indent)
                    if i + 1 < len(text) and text[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False
        self.indicator('"', False, False, False)
        self.whitespace = self.indention = False

    def write_break(self, ch: str) -> None:
        if ch == "\n":
            self.put_break()
        else:
            self.out.append(ch)
            self.column = 0

    def write_literal(self, text: str, indent: int) -> None:
        self.indicator("|", True, False, False)
        if text and (text[0] == " " or text[0] in _BREAKS):
            self.indicator("2", False, False, False)
        if not text or text[-1] not in _BREAKS:
            self.indicator("-", False, False, False)
        elif len(text) == 1 or text[-2] in _BREAKS:
            self.indicator("+", False, False, False)
        self.put_break()
        self.indention = self.whitespace = True
        breaks = True
        for ch in text:
            if ch in _BREAKS:
                self.write_break(ch)
                self.indention = breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put(ch)
                self.indention = breaks = False
