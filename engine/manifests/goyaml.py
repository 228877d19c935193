"""YAML decoded as go-yaml v2 (under sigs.k8s.io/yaml) decodes it, on PyYAML's composer.

* Scalars resolve as go-yaml v2 does (``yes``/``y``/``on`` are booleans, dates stay strings, no
  sexagesimal ints) and then go through JSON (non-string keys become strings, integral floats
  become ints) - the object kubectl would send.
* **Line numbers** in YAML syntax errors are go-yaml's: counted from 1 *within the failing
  document* (the line after its ``---``), with go-yaml v2's quirks kept on purpose - parser
  errors (``did not find expected key``) report the 0-based line of the offending token, i.e.
  one less than the 1-based line, and an error on a document's first line has no ``line N:``.
* The composed node graph is checked before anything is constructed (go-yaml's "excessive
  aliasing" rule, recursive anchors, MAX_NESTING); explicit tags follow go-yaml (``!!int foo``
  is refused, ``!!python/...`` decodes by shape: only safe loading, no tag ever builds an
  object).  Duplicate keys keep the last value, as kubectl does, and are reported.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import yaml

from engine.api.gostrconv import go_float, go_parse_int, go_parse_uint, go_yaml_float, NumError
from engine.manifests.gojson import MAX_NESTING

MAX_ALIAS_EXPANSIONS = 100_000  # nodes decoded through aliases in one document


# --------------------------------------------------------------------------------------------
# go-yaml v2 flavoured YAML
# --------------------------------------------------------------------------------------------

_BaseLoader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
_PLAIN_TAG = "tag:svcflow.dev,2024:plain"


class _GoYamlLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader (C-accelerated when libyaml is present) resolving plain scalars like go-yaml v2."""


_GoYamlLoader.yaml_implicit_resolvers = {}
_GoYamlLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
_GoYamlLoader.add_implicit_resolver(_PLAIN_TAG, re.compile(r".*", re.S), None)

_RESOLVE_MAP: dict[str, Any] = {}
for _words, _val in (
    ("y Y yes Yes YES true True TRUE on On ON", True),
    ("n N no No NO false False FALSE off Off OFF", False),
    ("~ null Null NULL", None),
    (".nan .NaN .NAN", float("nan")),
    (".inf .Inf .INF +.inf +.Inf +.INF", float("inf")),
    ("-.inf -.Inf -.INF", float("-inf")),
):
    for _w in _words.split():
        _RESOLVE_MAP[_w] = _val
_RESOLVE_MAP[""] = None

_YAML_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+(?:[eE][-+]?[0-9]+)?$")


def _go_parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64), then ParseUint, as go-yaml's resolve tries them."""
    for parse in (go_parse_int, go_parse_uint):
        try:
            return parse(s)
        except NumError:
            pass
    return None


def _go_resolve_plain(value: str) -> Any:
    """go-yaml v2 ``resolve()`` for an untagged plain scalar decoded into interface{}."""
    if value in _RESOLVE_MAP:
        return _RESOLVE_MAP[value]
    c = value[0]
    if c == ".":
        if _DOT_FLOAT.match(value):
            return float(value)
        return value
    if c in "+-0123456789":
        plain = value.replace("_", "")
        iv = _go_parse_int(plain)
        if iv is not None:
            return iv
        if _YAML_FLOAT.match(plain):
            return float(plain)
    return value


def _construct_plain(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> Any:
    return _go_resolve_plain(node.value)


def _construct_any(loader: yaml.BaseLoader, tag_suffix: Any, node: yaml.Node = None) -> Any:
    """Unknown/local tags (``!Ref x``): go-yaml decodes the node by its shape and ignores the tag."""
    if node is None:  # called as a single constructor
        node = tag_suffix
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return node.value


_GoYamlLoader.add_constructor(_PLAIN_TAG, _construct_plain)
_GoYamlLoader.add_constructor(None, _construct_any)
_GoYamlLoader.add_multi_constructor("!", _construct_any)


class DecodeError(Exception):
    """go-yaml refused the document while decoding it (after parsing).

    ``message`` is go-yaml's text without the ``yaml: `` prefix; ``line`` the 0-based line in the
    chunk for svcflow's own pointer; ``svcflow`` marks svcflow's own limits (no go-yaml prefix).
    """

    def __init__(self, message: str, line: int = 0, *, svcflow: bool = False) -> None:
        super().__init__(message)
        self.message, self.line, self.svcflow = message, line, svcflow


_YAML = "tag:yaml.org,2002:"
_SHORT = {None: "!!null", bool: "!!bool", int: "!!int", float: "!!float", str: "!!str"}
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{1,2})?))?)?$")


def _explicit_scalar(want: str):
    """go-yaml v2 ``resolve(tag, in)`` for an explicitly tagged scalar (``!!int 80``).

    The value must resolve to the tagged type (an int is accepted as a float); otherwise go-yaml
    fails with ``cannot decode !!str `foo` as a !!int``.  Collections ignore the tag.
    """

    def construct(loader: yaml.BaseLoader, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return _construct_any(loader, node)
        value = node.value
        if want == "str":
            return value
        if want == "timestamp":  # decoded into interface{}, go-yaml keeps timestamps as strings
            if _TIMESTAMP.match(value):
                return value
            got = _go_resolve_plain(value) if value else None
            raise DecodeError(f"cannot decode {_SHORT.get(type(got), '!!str')} `{value}` as a !!timestamp",
                               node.start_mark.line)
        got = _go_resolve_plain(value) if value else None
        if want == "float" and type(got) is int:
            return float(got)
        if {"bool": bool, "int": int, "float": float}[want] is type(got):
            return got
        raise DecodeError(f"cannot decode {_SHORT.get(type(got), '!!str')} `{value}` as a !!{want}",
                           node.start_mark.line)

    return construct


def _construct_binary(loader: yaml.BaseLoader, node: yaml.Node) -> Any:
    """``!!binary``: base64 (Go's StdEncoding, which skips only CR and LF) decoded to a string."""
    if not isinstance(node, yaml.ScalarNode):
        return _construct_any(loader, node)
    text = node.value.replace("\r", "").replace("\n", "")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise DecodeError("!!binary value contains invalid base64 data", node.start_mark.line) from None
    return data.decode("utf-8", "replace")


for _t in ("bool", "int", "float", "str", "timestamp"):
    _GoYamlLoader.add_constructor(_YAML + _t, _explicit_scalar(_t))
_GoYamlLoader.add_constructor(_YAML + "binary", _construct_binary)
# Tags go-yaml cannot resolve: the node decodes by its shape (a !!set is a map, an !!omap a list,
# a !!null-tagged scalar its text), and nothing is ever constructed from a tag (!!python/...).
for _t in ("null", "set", "omap", "pairs", "map", "seq", "merge", "value", "yaml"):
    _GoYamlLoader.add_constructor(_YAML + _t, _construct_any)


class ConvertError(Exception):
    """sigs.k8s.io/yaml could not turn the YAML into JSON."""


def jsonify(v: Any) -> Any:
    """What survives sigs.k8s.io/yaml's YAML->JSON conversion and kubectl's JSON decoding."""
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            if isinstance(k, bool):
                ks = "true" if k else "false"
            elif isinstance(k, int):
                ks = str(k)
            elif isinstance(k, float):
                ks = go_yaml_float(k)
            elif isinstance(k, str):
                ks = k
            elif k is None:
                raise ConvertError(f"unsupported map key of type: %!s(<nil>), key: <nil>, value: {x!r}")
            else:
                ks = str(k)
            out[ks] = jsonify(x)
        return out
    if isinstance(v, list):
        return [jsonify(x) for x in v]
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ConvertError(f"json: unsupported value: {go_float(v)}")
        if v.is_integer() and abs(v) < 1e21:
            return int(v)
        return v
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return str(v)  # dates etc. from explicit tags


# go-yaml's words where PyYAML's pure-Python parser words things differently.
_PY_TO_GO = [
    (re.compile(r"^mapping values are not allowed here$"), "mapping values are not allowed in this context"),
    (re.compile(r"^found character .* that cannot start any token$"), "found character that cannot start any token"),
    (re.compile(r"^expected <block end>, but found .*$"), None),  # depends on context, see below
    (re.compile(r"^expected ',' or '\]', but got .*$"), "did not find expected ',' or ']'"),
    (re.compile(r"^expected ',' or '\}', but got .*$"), "did not find expected ',' or '}'"),
    (re.compile(r"^expected the node content, but found .*$"), "did not find expected node content"),
    (re.compile(r"^expected <document start>, but found .*$"), "did not find expected <document start>"),
    (re.compile(r"^expected a comment or a line break, but found .*$"), "did not find expected comment or line break"),
    (re.compile(r"^found unknown escape character .*$"), "found unknown escape character"),
]


def _go_problem(e: yaml.MarkedYAMLError) -> str:
    problem = e.problem or ""
    for rx, repl in _PY_TO_GO:
        if rx.match(problem):
            if repl is None:
                ctx = e.context or ""
                if "block collection" in ctx:
                    return "did not find expected '-' indicator"
                return "did not find expected key"
            return repl
    return problem


def go_yaml_message(e: yaml.MarkedYAMLError, chunk: str) -> str:
    """go-yaml v2 ``parser.fail()``: which line it names, and its wording."""
    if isinstance(e, yaml.composer.ComposerError) and "undefined alias" in (e.problem or ""):
        m = e.problem_mark
        name = ""
        if m is not None:
            rest = chunk.splitlines()[m.line][m.column:] if m.line < len(chunk.splitlines()) else ""
            mm = re.match(r"\*([^\s,\[\]{}]+)", rest)
            name = mm.group(1) if mm else ""
        return f"yaml: unknown anchor '{name}' referenced"
    scanner = isinstance(e, yaml.scanner.ScannerError)
    pm, cm = e.problem_mark, e.context_mark
    line = 0
    if pm is not None and pm.line != 0:
        line = pm.line + (1 if scanner else 0)
    elif cm is not None and cm.line != 0:
        line = cm.line
    where = f"line {line}: " if line else ""
    return f"yaml: {where}{_go_problem(e) or 'unknown problem parsing YAML content'}"


def items_lines(chunk: str, chunk_line: int) -> list[int] | None:
    """File lines of a List's items (for file:line on each expanded object)."""
    try:
        node = compose_first(chunk)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "items" and isinstance(v, yaml.SequenceNode):
            return [chunk_line + it.start_mark.line for it in v.value]
    return None


def compose_first(chunk: str) -> yaml.Node | None:
    loader = _GoYamlLoader(chunk)
    try:
        return loader.get_node() if loader.check_node() else None
    finally:
        loader.dispose()


def _alias_ratio(decodes: int) -> float:
    """go-yaml's allowedAliasRatio (the CVE-2019-11253 fix kubectl carries)."""
    if decodes <= 400_000:
        return 0.99
    if decodes >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * ((decodes - 400_000) / 3_600_000)


def _anchor_name(chunk: str, node: yaml.Node) -> str:
    """The anchor defined on ``node`` (PyYAML's nodes do not keep it): found from the events."""
    want = (node.start_mark.line, node.start_mark.column)
    try:
        for ev in yaml.parse(chunk, Loader=_BaseLoader):
            anchor = getattr(ev, "anchor", None)
            if anchor and ev.start_mark is not None and (ev.start_mark.line, ev.start_mark.column) == want:
                return anchor
    except yaml.YAMLError:
        pass
    return ""


def _check_graph(root: yaml.Node, chunk: str) -> None:
    """Refuse what go-yaml refuses while decoding, before anything is expanded.

    PyYAML composes an alias as a second reference to the anchored node, so the node graph stays
    small however many times it is referenced; expanding it (constructing, converting to JSON) is
    what a "billion laughs" document turns into an explosion.  This walks the graph in go-yaml's
    decode order counting decodes exactly as go-yaml v2's decoder does (an alias counts itself,
    then everything under it as alias-driven), so a bomb is refused with go-yaml's words after a
    few thousand steps.  Also refused: an anchor whose value contains its own alias (go-yaml: ``anchor
    'x' value contains itself``), more than MAX_ALIAS_EXPANSIONS alias-driven nodes (svcflow's own
    bound on memory), and nesting deeper than MAX_NESTING levels (svcflow's bound; deeper objects
    would exhaust Python's recursion in the rest of the engine).
    """
    seen: set[int] = set()
    on_path: set[int] = set()
    decodes, aliased = 1, 0  # the document node counts once
    stack: list[tuple[yaml.Node, int, int, bool]] = [(root, 0, 1, False)]
    while stack:
        node, alias_depth, depth, leaving = stack.pop()
        nid = id(node)
        if leaving:
            on_path.discard(nid)
            continue
        if nid in on_path:
            raise DecodeError(f"anchor '{_anchor_name(chunk, node)}' value contains itself", node.start_mark.line)
        if nid in seen:  # a second reference: go-yaml decodes the alias node, then its target
            decodes += 1
            if alias_depth:
                aliased += 1
            alias_depth += 1
        seen.add(nid)
        decodes += 1
        if alias_depth:
            aliased += 1
        if aliased > 100 and decodes > 1000 and aliased / decodes > _alias_ratio(decodes) \
                or aliased > MAX_ALIAS_EXPANSIONS:
            raise DecodeError("document contains excessive aliasing", node.start_mark.line)
        if depth > MAX_NESTING:
            raise DecodeError(f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow",
                               node.start_mark.line, svcflow=True)
        if isinstance(node, yaml.ScalarNode):
            continue
        stack.append((node, alias_depth, depth, True))
        on_path.add(nid)
        if isinstance(node, yaml.MappingNode):
            children: list[yaml.Node] = []
            for k, v in node.value:
                if k.tag != _YAML + "merge":  # go-yaml never decodes the `<<` key itself
                    children.append(k)
                children.append(v)
        else:
            children = list(node.value)
        for child in reversed(children):
            stack.append((child, alias_depth, depth + 1, False))


def _key_text(node: yaml.Node) -> str | None:
    """The JSON key a scalar mapping key becomes (None for keys that are not scalars)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    value: Any = node.value
    if node.tag == _PLAIN_TAG:
        value = _go_resolve_plain(value) if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return None if value is None else str(value)


def _duplicate_keys(root: yaml.Node) -> list[tuple[int, str, int]]:
    """(line, key, first line) of every key a mapping repeats, 0-based chunk lines.

    kubectl (sigs.k8s.io/yaml on go-yaml v2, not strict) keeps the last value silently; strict
    YAML readers (kustomize, go-yaml v3) refuse the file.  svcflow applies what kubectl applies and
    warns, so the lost value is never a surprise.
    """
    out: list[tuple[int, str, int]] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for k, v in node.value:
                key = None if k.tag == _YAML + "merge" else _key_text(k)
                if key is not None:
                    if key in first:
                        out.append((k.start_mark.line, key, first[key]))
                    else:
                        first[key] = k.start_mark.line
                stack.append(k)
                stack.append(v)
        else:
            stack.extend(node.value)
    out.sort()
    return out


_BAD_BYTE = re.compile("[\udc80-\udcff]")


def _utf8_problem(chunk: str) -> tuple[int, str] | None:
    """(0-based line, go-yaml reader message) for bytes that are not UTF-8, else None.

    Files are decoded with ``surrogateescape``, so each undecodable byte is a lone surrogate here.
    """
    m = _BAD_BYTE.search(chunk)
    if m is None:
        return None
    line = chunk.count("\n", 0, m.start())
    seg = chunk[m.start():m.start() + 4]
    if m.start() + len(seg) >= len(chunk) and seg.endswith("\n"):
        seg = seg[:-1]  # the newline the document splitter adds after a file's last line
    raw = seg.encode("utf-8", "surrogateescape")
    b = raw[0]
    width = 2 if b & 0xE0 == 0xC0 else 3 if b & 0xF0 == 0xE0 else 4 if b & 0xF8 == 0xF0 else 0
    if width == 0:
        return line, "invalid leading UTF-8 octet"
    if len(raw) < width:
        return line, "incomplete UTF-8 octet sequence"
    if any(x & 0xC0 != 0x80 for x in raw[1:width]):
        return line, "invalid trailing UTF-8 octet"
    cp = raw[0] & (0x1F, 0x0F, 0x07)[width - 2]
    for x in raw[1:width]:
        cp = (cp << 6) | (x & 0x3F)
    if cp < (0x80, 0x800, 0x10000)[width - 2]:
        return line, "invalid length of a UTF-8 sequence"  # overlong encoding
    return line, "invalid Unicode character"  # a surrogate, or beyond U+10FFFF


def load_first(chunk: str) -> tuple[Any, list[tuple[int, str, int]]]:
    """yaml.Unmarshal: the first document of the chunk only (go-yaml ignores the rest).

    Returns the data and the duplicate keys found (for warnings).  Composes first and checks the
    node graph (aliases, nesting) before constructing anything.
    """
    bad = _utf8_problem(chunk)
    if bad is not None:
        raise DecodeError(bad[1], bad[0])
    loader = _GoYamlLoader(chunk)
    try:
        if not loader.check_node():
            return None, []
        node = loader.get_node()
        if node is None:
            return None, []
        _check_graph(node, chunk)
        dups = _duplicate_keys(node)
        return loader.construct_document(node), dups
    finally:
        loader.dispose()


def yaml_error(display: str, body: str) -> str:
    return f"error parsing {display}: error converting YAML to JSON: {body}"
