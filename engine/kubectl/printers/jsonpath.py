"""kubectl's JSONPath templates (`-o jsonpath=`, custom-columns), a port of client-go's
util/jsonpath (parser.go, jsonpath.go) at the kubectl 1.33 tag.

Why a port and not a JSONPath library: kubectl's dialect is its own -- `{range}`/`{end}`,
quoted text, `[?(@.x=="y")]` filters, slices with Go's bounds errors -- and what it prints
for each value (Go's `fmt.Print` for scalars, `json.Marshal` for maps and lists) is what a
user compares against. The data walked is the JSON form of the objects, as kubectl's
printer walks the unstructured content it received.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.api.gostrconv import go_float, go_quote

_MISSING = object()


class JSONPathError(ValueError):
    """A template that does not parse, or does not execute on the data (kubectl's words)."""


# -- nodes (parser.go / node.go) ------------------------------------------------------
@dataclass
class ListNode:
    nodes: list = field(default_factory=list)


@dataclass
class TextNode:
    text: str


@dataclass
class FieldNode:
    value: str


@dataclass
class Param:
    value: int = 0
    known: bool = False
    derived: bool = False


@dataclass
class ArrayNode:
    params: list[Param]


@dataclass
class FilterNode:
    left: ListNode
    right: ListNode
    operator: str


@dataclass
class IntNode:
    value: int


@dataclass
class FloatNode:
    value: float


@dataclass
class BoolNode:
    value: bool


@dataclass
class WildcardNode:
    pass


@dataclass
class RecursiveNode:
    pass


@dataclass
class UnionNode:
    nodes: list[ListNode]


@dataclass
class IdentifierNode:
    name: str


_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=~]+)(.+?)$", re.S)
_EOF = ""


def _is_terminator(r: str) -> bool:
    return r in (_EOF, " ", "\t", "\r", "\n", ".", ",", "[", "]", "$", "@", "{", "}")


def _is_alnum(r: str) -> bool:
    return r == "_" or (r != _EOF and (r.isalpha() or r.isdigit()))


def _go_atoi(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _unquote_extend(s: str) -> str:
    """client-go's UnquoteExtend: strconv.Unquote that also takes single-quoted strings."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in "\"'":
        raise JSONPathError("invalid syntax")
    quote, body = s[0], s[1:-1]
    if "\\" not in body and quote not in body:
        return body
    out, i = [], 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
              "'": "'", '"': '"'}
    while i < len(body):
        c = body[i]
        if c == quote:
            raise JSONPathError("invalid syntax")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise JSONPathError("invalid syntax")
        e = body[i + 1]
        if e in simple and (e not in "'\"" or e == quote):
            out.append(simple[e])
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2:i + 2 + n]
            if len(digits) != n or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise JSONPathError("invalid syntax")
            out.append(chr(int(digits, 16)))
            i += 2 + n
        elif e in "01234567":
            digits = body[i + 1:i + 4]
            if len(digits) != 3 or not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
                raise JSONPathError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise JSONPathError("invalid syntax")
    return "".join(out)


class _Parser:
    """parser.go's Parser: a hand-written scanner over the template, one rune at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.input = ""
        self.pos = 0
        self.start = 0
        self.root = ListNode()

    def parse(self, text: str) -> ListNode:
        self.input, self.root, self.pos, self.start = text, ListNode(), 0, 0
        self._parse_text(self.root)
        return self.root

    # scanning
    def _next(self) -> str:
        if self.pos >= len(self.input):
            self._width = 0
            return _EOF
        self._width = 1
        self.pos += 1
        return self.input[self.pos - 1]

    def _backup(self) -> None:
        self.pos -= self._width

    def _peek(self) -> str:
        r = self._next()
        self._backup()
        return r

    def _consume(self) -> str:
        value = self.input[self.start:self.pos]
        self.start = self.pos
        return value

    # grammar
    def _parse_text(self, cur: ListNode) -> None:
        while True:
            if self.input.startswith("{", self.pos):
                if self.pos > self.start:
                    cur.nodes.append(TextNode(self._consume()))
                return self._parse_left_delim(cur)
            if self._next() == _EOF:
                break
        if self.pos > self.start:
            cur.nodes.append(TextNode(self._consume()))

    def _parse_left_delim(self, cur: ListNode) -> None:
        self.pos += 1
        self._consume()
        node = ListNode()
        cur.nodes.append(node)
        self._parse_inside_action(node)

    def _parse_inside_action(self, cur: ListNode) -> None:
        while True:
            rest = self.input[self.pos:]
            if rest.startswith("}"):
                self.pos += 1
                self._consume()
                return self._parse_text(self.root)
            if rest.startswith("[?("):
                self._parse_filter(cur)
                continue
            if rest.startswith(".."):
                self._parse_recursive(cur)
                continue
            r = self._next()
            if r == _EOF or r in "\r\n":
                raise JSONPathError("unclosed action")
            if r == " " or r in "@$":
                self._consume()
            elif r == "[":
                self._parse_array(cur)
            elif r in "\"'":
                self._parse_quote(cur, r)
            elif r == ".":
                self._parse_field(cur)
            elif r in "+-" or r.isdigit():
                self._backup()
                self._parse_number(cur)
            elif _is_alnum(r):
                self._backup()
                self._parse_identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: U+{ord(r):04X} {_go_quote_rune(r)}")

    def _parse_identifier(self, cur: ListNode) -> None:
        while True:
            r = self._next()
            if _is_terminator(r):
                self._backup()
                break
        value = self._consume()
        cur.nodes.append(BoolNode(value == "true") if value in ("true", "false") else IdentifierNode(value))

    def _parse_recursive(self, cur: ListNode) -> None:
        if cur.nodes and isinstance(cur.nodes[-1], RecursiveNode):
            raise JSONPathError("invalid multiple recursive descent")
        self.pos += 2
        self._consume()
        cur.nodes.append(RecursiveNode())
        if _is_alnum(self._peek()):
            self._parse_field(cur)

    def _parse_number(self, cur: ListNode) -> None:
        if self._peek() in "+-":
            self._next()
        while True:
            r = self._next()
            if r != "." and not (r != _EOF and r.isdigit()):
                self._backup()
                break
        value = self._consume()
        i = _go_atoi(value)
        if i is not None:
            cur.nodes.append(IntNode(i))
            return
        try:
            cur.nodes.append(FloatNode(float(value)))
        except ValueError:
            raise JSONPathError(f"cannot parse number {value}") from None

    def _parse_array(self, cur: ListNode) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self._consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            union = [_parse_action("union", f"[{p.strip(' ')}]") for p in parts]
            cur.nodes.append(UnionNode(union))
            return
        m = _DICT_KEY.match(text)
        if m:
            cur.nodes.extend(_parse_action("arraydict", f".{m.group(1)}").nodes)
            return
        m = _SLICE.match(text)
        if m is None:
            raise JSONPathError(f"invalid array index {text}")
        groups = [g or "" for g in m.groups()]
        params = [Param(), Param(), Param()]
        for i in range(3):
            v = groups[i]
            if v:
                if i > 0:
                    v = v[1:]
                if i > 0 and v == "":
                    params[i].known = False
                else:
                    n = _go_atoi(v)
                    if n is None:
                        raise JSONPathError(f"array index {v} is not a number")
                    params[i] = Param(n, True)
            elif i == 1:
                params[i] = Param(params[0].value + 1, True, True)
        cur.nodes.append(ArrayNode(params))

    def _parse_filter(self, cur: ListNode) -> None:
        self.pos += 3
        self._consume()
        begin = end = False
        pair = ""
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self._next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self._consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            cur.nodes.append(FilterNode(_parse_action("text", text), ListNode(), "exists"))
        else:
            cur.nodes.append(FilterNode(_parse_action("left", m.group(1)), _parse_action("right", m.group(3)),
                                        m.group(2)))

    def _parse_quote(self, cur: ListNode, end: str) -> None:
        while True:
            r = self._next()
            if r in (_EOF, "\n"):
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self._consume()
        try:
            cur.nodes.append(TextNode(_unquote_extend(value)))
        except JSONPathError as e:
            raise JSONPathError(f"unquote string {value} error {e}") from None

    def _parse_field(self, cur: ListNode) -> None:
        self._consume()
        while True:
            r = self._next()
            if r == "\\":
                self._next()
            elif _is_terminator(r):
                self._backup()
                break
        value = self._consume()
        cur.nodes.append(WildcardNode() if value == "*" else FieldNode(value.replace("\\", "")))


def _go_quote_rune(r: str) -> str:
    return "'" + (r if r.isprintable() else r.encode("unicode_escape").decode()) + "'"


def _parse_action(name: str, text: str) -> ListNode:
    root = _Parser(name).parse("{" + text + "}")
    return root.nodes[0]


def parse(name: str, text: str) -> ListNode:
    """The template's syntax tree; JSONPathError with client-go's message when it is malformed."""
    return _Parser(name).parse(text)


# -- evaluation (jsonpath.go) -------------------------------------------------------------
def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "map"
    if isinstance(v, (list, tuple)):
        return "slice"
    if isinstance(v, str):
        return "string"
    return "scalar"


def _go_type(v: Any) -> str:
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    return "interface {}"


def go_sprint(v: Any) -> str:
    """Go's fmt.Sprint of decoded JSON: maps as `map[k:v ...]` in key order, slices as `[a b]`."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_sprint(x) for x in v) + "]"
    return str(v)


def _compare(left: Any, right: Any, op: str) -> bool:
    """The forked text/template comparisons: numbers with numbers, strings with strings."""
    def basic(x: Any) -> str:
        if isinstance(x, bool):
            return "bool"
        if isinstance(x, (int, float)):
            return "number"
        if isinstance(x, str):
            return "string"
        return "other"
    if op in ("==", "!="):
        if basic(left) != basic(right) or basic(left) == "other":
            if basic(left) == "other" or basic(right) == "other":
                raise JSONPathError("invalid type for comparison")
            raise JSONPathError("incompatible types for comparison")
        return (left == right) == (op == "==")
    if basic(left) != basic(right) or basic(left) in ("bool", "other"):
        raise JSONPathError("incompatible types for comparison" if basic(left) != basic(right)
                            else "invalid type for comparison")
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]


class JSONPath:
    """One parsed template, executed as kubectl executes it (missing keys allowed)."""

    def __init__(self, name: str, template: str, *, allow_missing_keys: bool = True) -> None:
        self.name = name
        self.template = template
        self.allow_missing_keys = allow_missing_keys
        self.root = parse(name, template)

    def find_results(self, data: Any) -> list[list[Any]]:
        self._begin = self._in = self._end = 0
        return self._find(data, self.root.nodes)[0]

    def _find(self, data: Any, nodes: list) -> tuple[list[list[Any]], int]:
        """FindResults over `nodes`; also returns where the matching {end} was (the Go code
        mutates the parser's node list and fast-forwards to its last end node)."""
        cur = [data]
        full: list[list[Any]] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            results = self._walk(cur, node)
            if self._end > 0 and self._end <= self._in:
                self._end -= 1
                return full, i
            if self._begin > 0:
                self._begin -= 1
                self._in += 1
                end_at = None
                if results:
                    for value in results:
                        nxt, at = self._find(value, nodes[i + 1:])
                        full.extend(nxt)
                        end_at = at
                else:
                    _, end_at = self._find(None, nodes[i + 1:])
                self._in -= 1
                i = i + 1 + end_at if end_at is not None else i
                i += 1
                continue
            full.append(results)
            i += 1
        return full, len(nodes)

    def _walk(self, value: list, node: Any) -> list:
        if isinstance(node, ListNode):
            for n in node.nodes:
                value = self._walk(value, n)
            return value
        if isinstance(node, TextNode):
            return [node.text]
        if isinstance(node, FieldNode):
            return self._field(value, node)
        if isinstance(node, ArrayNode):
            return self._array(value, node)
        if isinstance(node, FilterNode):
            return self._filter(value, node)
        if isinstance(node, (IntNode, FloatNode, BoolNode)):
            return [node.value for _ in value]
        if isinstance(node, WildcardNode):
            return [x for v in value if v is not None for x in _children(v)]
        if isinstance(node, RecursiveNode):
            return self._recursive(value)
        if isinstance(node, UnionNode):
            return [x for ln in node.nodes for x in self._walk(value, ln)]
        if isinstance(node, IdentifierNode):
            if node.name == "range":
                self._begin += 1
                return value
            if node.name == "end":
                if self._in > 0:
                    self._end += 1
                    return []
                raise JSONPathError("not in range, nothing to end")
            raise JSONPathError(f"unrecognized identifier {node.name}")
        raise JSONPathError(f"unexpected Node {node}")

    def _field(self, value: list, node: FieldNode) -> list:
        results = []
        for v in value:
            if isinstance(v, dict) and node.value in v:
                results.append(v[node.value])
        if not results and not self.allow_missing_keys:
            raise JSONPathError(f"{node.value} is not found")
        return results

    def _array(self, value: list, node: ArrayNode) -> list:
        result = []
        for v in value:
            if v is None:
                continue
            if not isinstance(v, (list, tuple)):
                raise JSONPathError(f"{_go_type(v)} is not array or slice")
            n = len(v)
            p0, p1, p2 = node.params
            start = p0.value if p0.known else 0
            if start < 0:
                start += n
            stop = p1.value if p1.known else n
            if stop < 0 or (stop == 0 and p1.derived):
                stop += n
            if stop == start:
                return result
            if start >= n or start < 0:
                raise JSONPathError(f"array index out of bounds: index {start}, length {n}")
            if stop > n or stop < 0:
                raise JSONPathError(f"array index out of bounds: index {stop - 1}, length {n}")
            if start > stop:
                raise JSONPathError(f"starting index {start} is greater than ending index {stop}")
            step = 1
            if p2.known:
                if p2.value <= 0:
                    raise JSONPathError("step must be > 0")
                step = p2.value
            result.extend(v[start:stop:step])
        return result

    def _filter(self, value: list, node: FilterNode) -> list:
        results = []
        for v in value:
            if not isinstance(v, (list, tuple)):
                raise JSONPathError(f"{go_sprint(v)} is not array or slice and cannot be filtered")
            for item in v:
                try:
                    lefts = self._walk([item], node.left)
                    err = None
                except JSONPathError as e:
                    lefts, err = [], e
                if node.operator == "exists":
                    if lefts:
                        results.append(item)
                    continue
                if err is not None:
                    raise err
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise JSONPathError("can only compare one element at a time")
                rights = self._walk([item], node.right)
                if not rights:
                    continue
                if len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                left, right = lefts[0], rights[0]
                if node.operator == "=~":
                    if not isinstance(left, str) or not isinstance(right, str):
                        raise JSONPathError("regexp search only support string now")
                    ok = re.search(right, left) is not None
                elif node.operator in ("<", ">", "==", "!=", "<=", ">="):
                    ok = _compare(left, right, node.operator)
                else:
                    raise JSONPathError(f"unrecognized filter operator {node.operator}")
                if ok:
                    results.append(item)
        return results

    def _recursive(self, value: list) -> list:
        result = []
        for v in value:
            if v is None:
                continue
            children = _children(v)
            if children:
                result.append(v)
                result.extend(self._recursive(children))
        return result


def _children(v: Any) -> list:
    if isinstance(v, dict):
        return list(v.values())
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, str):
        return list(v)
    return []


def print_results(results: list[list[Any]], marshal: Callable[[Any], str]) -> str:
    """PrintResults for each result set: maps and lists as compact JSON, scalars as Go prints
    them, the values of one set separated by a space."""
    out = []
    for values in results:
        texts = [marshal(v) if isinstance(v, (dict, list, tuple)) else go_sprint(v) for v in values]
        out.append(" ".join(texts))
    return "".join(out)


def go_sharp_v(v: Any) -> str:
    """Go's `%#v` of decoded JSON, as kubectl's error message shows the object it was given."""
    if v is None:
        return "interface {}(nil)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, dict):
        return "map[string]interface {}{" + ", ".join(
            f"{go_quote(str(k))}:{go_sharp_v(v[k])}" for k in sorted(v)) + "}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}{" + ", ".join(go_sharp_v(x) for x in v) + "}"
    return go_quote(str(v))


def execute(template: str, data: Any, marshal: Callable[[Any], str], marshal_indent: Callable[[Any], str],
            *, as_json: bool = False) -> str:
    """What `kubectl get -o jsonpath=TEMPLATE` (or `-o jsonpath-as-json=`) writes for `data`;
    JSONPathError carrying kubectl's whole message (parse or execution error)."""
    try:
        jp = JSONPath("out", template, allow_missing_keys=True)
    except JSONPathError as e:
        raise JSONPathError(f"error parsing jsonpath {template}, {e}\n") from None
    try:
        results = jp.find_results(data)
    except JSONPathError as e:
        raise JSONPathError(
            f"error executing jsonpath {go_quote(template)}: Error executing template: {e}. "
            "Printing more information for debugging the template:\n"
            f"\ttemplate was:\n\t\t{template}\n"
            f"\tobject given to jsonpath engine was:\n\t\t{go_sharp_v(data)}\n\n\n") from None
    if as_json:
        return "".join(marshal_indent(list(values)) + "\n" for values in results)
    return print_results(results, marshal)
