"""Reading the manifests a user points svcflow at, the way ``kubectl apply -f`` reads them.

Why this module exists: svcflow must accept exactly what kubectl accepts and fail exactly where
kubectl fails, with kubectl's words.  So this is not "load some YAML": it restates the pieces of
kubectl that read files (cli-runtime ``FileVisitor``/``StreamVisitor``, apimachinery
``YAMLOrJSONDecoder``, sigs.k8s.io/yaml on go-yaml v2, kubectl's schema check) in Python:

* paths: files as given; folders walked depth-first with each folder's entries in lexical order
  (Go's ``filepath.Walk``), keeping only ``.json``, ``.yaml`` and ``.yml``; the display name is
  the given path for files and ``path.join(folder, relative)`` (cleaned) inside folders.
* a stream is JSON when its first non-blank character is ``{`` (whatever the extension), else a
  YAML stream split on lines starting with ``---`` (only spaces or a comment may follow).
* YAML scalars resolve as go-yaml v2 does (``yes``/``y``/``on`` are booleans, dates stay
  strings, no sexagesimal ints) and then go through JSON (non-string keys become strings,
  integral floats become ints) - the object kubectl would send.
* Errors carry kubectl's exact text.  **Line numbers** in YAML syntax errors are go-yaml's: counted
  from 1 *within the failing document* (the line after its ``---``), with go-yaml v2's quirks kept
  on purpose - parser errors (``did not find expected key``) report the 0-based line of the
  offending token, i.e. one less than the 1-based line, and an error on a document's first line
  has no ``line N:`` at all.  ``ManifestError.line`` separately gives the true 1-based line in the
  file, for svcflow's own error bar.
* kubectl stops reading a *file* at its first syntax error or missing kind/apiVersion (later
  documents of that file are never applied); other files go on.  svcflow still loads those later
  documents - editors and the dashboard want them - but marks them ``after_stream_error``;
  ``LoadResult.kubectl_documents`` is what kubectl would actually apply.

* Nothing a file holds can crash the reader, hang it or make it allocate without bound: files
  over MAX_MANIFEST_BYTES, FIFOs and devices are refused before reading; bytes that are not
  UTF-8 get go-yaml's reader error; the composed node graph is checked before anything is
  constructed (go-yaml's "excessive aliasing" rule, recursive anchors, MAX_NESTING); explicit
  tags follow go-yaml (``!!int foo`` is refused, ``!!python/...`` decodes by shape: only safe
  loading, no tag ever builds an object).  Duplicate keys keep the last value, as kubectl does,
  and are reported in ``LoadResult.warnings``.

Nothing here imports Textual.
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import yaml

from engine.api import validation
from engine.api.kinds import CLUSTER_SCOPED, KINDS
from engine.api.validation import go_float, go_quote

__all__ = [
    "Document",
    "ManifestError",
    "LoadResult",
    "load_paths",
    "load_text",
    "is_config_kind",
    "is_known_kind",
    "unknown_kind_message",
    "field_line",
    "KNOWN_KINDS",
    "CONFIG_KINDS",
    "is_topology_node",
    "object_key",
    "MANIFEST_EXTENSIONS",
    "MAX_MANIFEST_BYTES",
    "MAX_NESTING",
    "FileInfo",
    "manifest_dirs",
]

MANIFEST_EXTENSIONS = (".json", ".yaml", ".yml")  # cli-runtime resource.FileExtensions

#: (apiVersion, kind) pairs the simulated API server accepts from manifests (the registry's).
KNOWN_KINDS: frozenset[tuple[str, str]] = frozenset(
    (info.api_version, info.kind) for info in KINDS.values() if info.from_manifests)

#: svcflow configuration documents (cluster shape, kube-proxy mode) - not API objects.
CONFIG_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("kind.x-k8s.io/v1alpha4", "Cluster"),
        ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"),
        ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
    }
)

#: svcflow's own limits (kubectl has none this tight; each refusal says it is svcflow's).
MAX_MANIFEST_BYTES = 8 * 1024 * 1024  # one file; the API server takes 3 MiB per request anyway
MAX_NESTING = 100  # levels of maps/lists in one object (a Deployment needs about 15)
MAX_ALIAS_EXPANSIONS = 100_000  # nodes decoded through aliases in one document

_STOP_VALIDATE = "if you choose to ignore these errors, turn validation off with --validate=false"


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------


@dataclass
class Document:
    """One object read from a manifest (a ``kind: List`` contributes one per item).

    ``line`` is the 1-based file line of the object's first content line (for ``file:line``);
    ``chunk_line`` the file line where its YAML document starts (the line after ``---``), which is
    what go-yaml's in-document line numbers count from.  ``index`` is the 0-based document number
    in the file (every ``---``-separated chunk counts, empty ones too); ``item_index`` the position
    inside a ``List``.  ``source`` keeps the document text so ``field_line`` can find fields later.
    """

    obj: dict
    path: Path
    display: str
    line: int
    index: int
    chunk_line: int = 1
    item_index: int | None = None
    source: str = ""
    is_json: bool = False
    after_stream_error: bool = False

    @property
    def kind(self) -> str:
        return self.obj.get("kind") if isinstance(self.obj.get("kind"), str) else ""

    @property
    def api_version(self) -> str:
        v = self.obj.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def name(self) -> str:
        n = (self.obj.get("metadata") or {}).get("name") if isinstance(self.obj.get("metadata"), dict) else None
        return n if isinstance(n, str) else ""

    @property
    def namespace(self) -> str:
        md = self.obj.get("metadata")
        n = md.get("namespace") if isinstance(md, dict) else None
        return n if isinstance(n, str) else ""

    # Documents are never changed once read, and a reader that re-reads a folder (the
    # dashboard, `ParseCache`) keeps them: what is derived from one is worked out once.
    @cached_property
    def is_config(self) -> bool:
        return is_config_kind(self.obj)

    @cached_property
    def object_key(self) -> tuple[str, str, str] | None:
        """(kind, namespace, name) when kubectl could apply it (`object_key`)."""
        return object_key(self.obj)

    @cached_property
    def topology_node(self) -> bool:
        """A Node object that shapes the simulated cluster (`is_topology_node`)."""
        return is_topology_node(self.obj)

    @property
    def location(self) -> str:
        """``display:line`` for svcflow's own messages."""
        return f"{self.display}:{self.line}"


@dataclass
class ManifestError:
    """A manifest kubectl would refuse before sending anything.

    ``message`` is what kubectl prints when this is its only error (``error: error parsing ...``);
    ``detail`` the same without the ``error: `` prefix, which is how kubectl prints it among
    several errors (feed ``detail`` to ``validation.kubectl_error_output``).  ``line`` is the
    1-based line in the file (svcflow's own pointer, not kubectl's in-document number).
    ``code``: ``yaml``, ``json``, ``separator``, ``schema``, ``unknown-kind``, ``io``, ``limit`` (over
    one of svcflow's own limits), ``internal``; warnings: ``duplicate-key``.
    ``stops_file``: kubectl reads nothing more from this file after this error.
    """

    path: Path
    display: str
    line: int
    field: str | None
    message: str
    detail: str = ""
    code: str = ""
    index: int = 0
    stops_file: bool = False

    @property
    def location(self) -> str:
        return f"{self.display}:{self.line}"

    @property
    def located_message(self) -> str:
        """``message`` as shown after ``location`` (the dashboard's error bar): one line
        number, the true one. go-yaml's own ``yaml: line N:`` counts from the start of the
        document, not the file, and for a parser error names ``problem_mark.line``
        unconverted -- the line *before* the problem (goyaml.v2 ``parser.fail``: only
        scanner errors get the +1) -- so beside the file's line it would say another."""
        return _GO_YAML_LINE.sub(r"\1", self.message, count=1) if self.line else self.message


_GO_YAML_LINE = re.compile(r"(error converting YAML to JSON: yaml: )line \d+: ")


@dataclass
class LoadResult:
    """Everything read from the given paths, in kubectl's order."""

    documents: list[Document] = field(default_factory=list)
    errors: list[ManifestError] = field(default_factory=list)
    #: things kubectl accepts silently but a learner should know (a duplicate key's lost value).
    warnings: list[ManifestError] = field(default_factory=list)
    #: every file read, with what the hot reloader needs to tell a finished write from one under way.
    files: list["FileInfo"] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def kubectl_documents(self) -> list[Document]:
        """The documents real kubectl would go on to apply (see ``after_stream_error``)."""
        return [d for d in self.documents if not d.after_stream_error]

    @property
    def objects(self) -> list[Document]:
        """API objects only (svcflow config documents left out)."""
        return [d for d in self.documents if not d.is_config]

    @property
    def configs(self) -> list[Document]:
        return [d for d in self.documents if d.is_config]

    def extend(self, other: "LoadResult") -> None:
        self.documents.extend(other.documents)
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.files.extend(other.files)


@dataclass
class FileInfo:
    """One manifest file as it was read: size and mtime (``os.stat``), and whether it changed
    while being read (a writer still at work) or held nothing but whitespace (truncated)."""

    path: Path
    display: str
    size: int = 0
    mtime: float = 0.0
    changed: bool = False
    blank: bool = False


# --------------------------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------------------------


def _gvk(obj: Any) -> tuple[str, str]:
    if not isinstance(obj, dict):
        return "", ""
    v, k = obj.get("apiVersion"), obj.get("kind")
    return (v if isinstance(v, str) else "", k if isinstance(k, str) else "")


def is_config_kind(obj: Any) -> bool:
    """True for svcflow's own config documents (kind Cluster, KubeProxyConfiguration,
    KubeletConfiguration)."""
    return _gvk(obj) in CONFIG_KINDS


def is_known_kind(obj: Any) -> bool:
    """True when the simulated API server (or svcflow's config) understands this apiVersion/kind."""
    g = _gvk(obj)
    return g in KNOWN_KINDS or g in CONFIG_KINDS


def unknown_kind_message(obj: dict, display: str, *, prefix: bool = True) -> str:
    """kubectl's error for a kind the server does not serve (a typo, a CRD not installed).

    ``error: resource mapping not found for name: "redis" namespace: "" from "redis.yaml": no
    matches for kind "Deploymnt" in version "apps/v1"`` + newline + ``ensure CRDs are installed
    first``.  The namespace is the manifest's own (empty when unset).  ``prefix=False`` drops the
    ``error: `` that kubectl only adds when it is the sole error.
    """
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = md.get("name") if isinstance(md.get("name"), str) else ""
    ns = md.get("namespace") if isinstance(md.get("namespace"), str) else ""
    version, kind = _gvk(obj)
    msg = (
        f"resource mapping not found for name: {go_quote(name)} namespace: {go_quote(ns)} "
        f"from {go_quote(display)}: no matches for kind {go_quote(kind)} in version {go_quote(version)}\n"
        "ensure CRDs are installed first"
    )
    return "error: " + msg if prefix else msg


def _schema_problems(obj: Any) -> list[str] | None:
    """kubectl validation getObjectKind: None when fine, else the problems in kubectl's order."""
    if not isinstance(obj, dict):
        return ["invalid object to validate"]
    errs: list[str] = []
    v = obj.get("apiVersion")
    if v is None:
        errs.append("apiVersion not set")
    elif not isinstance(v, str):
        errs.append("apiVersion isn't string type")
    elif v.count("/") > 1 and v != "/":
        errs.append(f"unexpected GroupVersion string: {v}")  # schema.ParseGroupVersion
    k = obj.get("kind")
    if k is None:
        errs.append("kind not set")
    elif not isinstance(k, str):
        errs.append("kind isn't string type")
    return errs or None


def _schema_message(display: str, problems: list[str]) -> str:
    agg = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
    return f"error validating {go_quote(display)}: error validating data: {agg}; {_STOP_VALIDATE}"


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

_GO_INT = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_YAML_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+(?:[eE][-+]?[0-9]+)?$")


def _go_parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64) then ParseUint: sign, 0x/0o/0b prefixes, leading-0 octal."""
    if not _GO_INT.match(s):
        return None
    neg = s.startswith("-")
    body = s.lstrip("+-")
    low = body.lower()
    if low.startswith("0x"):
        v = int(body[2:], 16)
    elif low.startswith("0o"):
        v = int(body[2:], 8)
    elif low.startswith("0b"):
        v = int(body[2:], 2)
    elif len(body) > 1 and body.startswith("0"):
        v = int(body, 8)
    else:
        v = int(body)
    v = -v if neg else v
    if -(2**63) <= v < 2**63 or (not neg and v < 2**64):
        return v
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


class _DecodeError(Exception):
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
            raise _DecodeError(f"cannot decode {_SHORT.get(type(got), '!!str')} `{value}` as a !!timestamp",
                               node.start_mark.line)
        got = _go_resolve_plain(value) if value else None
        if want == "float" and type(got) is int:
            return float(got)
        if {"bool": bool, "int": int, "float": float}[want] is type(got):
            return got
        raise _DecodeError(f"cannot decode {_SHORT.get(type(got), '!!str')} `{value}` as a !!{want}",
                           node.start_mark.line)

    return construct


def _construct_binary(loader: yaml.BaseLoader, node: yaml.Node) -> Any:
    """``!!binary``: base64 (Go's StdEncoding, which skips only CR and LF) decoded to a string."""
    if not isinstance(node, yaml.ScalarNode):
        return _construct_any(loader, node)
    import base64
    import binascii

    text = node.value.replace("\r", "").replace("\n", "")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _DecodeError("!!binary value contains invalid base64 data", node.start_mark.line) from None
    return data.decode("utf-8", "replace")


for _t in ("bool", "int", "float", "str", "timestamp"):
    _GoYamlLoader.add_constructor(_YAML + _t, _explicit_scalar(_t))
_GoYamlLoader.add_constructor(_YAML + "binary", _construct_binary)
# Tags go-yaml cannot resolve: the node decodes by its shape (a !!set is a map, an !!omap a list,
# a !!null-tagged scalar its text), and nothing is ever constructed from a tag (!!python/...).
for _t in ("null", "set", "omap", "pairs", "map", "seq", "merge", "value", "yaml"):
    _GoYamlLoader.add_constructor(_YAML + _t, _construct_any)


class _ConvertError(Exception):
    """sigs.k8s.io/yaml could not turn the YAML into JSON."""


def _jsonify(v: Any) -> Any:
    """What survives sigs.k8s.io/yaml's YAML->JSON conversion and kubectl's JSON decoding."""
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            if isinstance(k, bool):
                ks = "true" if k else "false"
            elif isinstance(k, int):
                ks = str(k)
            elif isinstance(k, float):
                ks = {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(go_float(k), go_float(k))
            elif isinstance(k, str):
                ks = k
            elif k is None:
                raise _ConvertError(f"unsupported map key of type: %!s(<nil>), key: <nil>, value: {x!r}")
            else:
                ks = str(k)
            out[ks] = _jsonify(x)
        return out
    if isinstance(v, list):
        return [_jsonify(x) for x in v]
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise _ConvertError(f"json: unsupported value: {go_float(v)}")
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


def _go_yaml_message(e: yaml.MarkedYAMLError, chunk: str) -> str:
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


# --------------------------------------------------------------------------------------------
# Go encoding/json scanner (for error messages and value boundaries)
# --------------------------------------------------------------------------------------------


class _JSONSyntax(Exception):
    def __init__(self, msg: str, offset: int) -> None:
        super().__init__(msg)
        self.msg, self.offset = msg, offset


class _JSONEOF(Exception):
    pass


class _JSONTooDeep(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _to_bytes(text: str) -> bytes:
    """The bytes a manifest was read from (files are decoded with ``surrogateescape``)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _quote_char(c: int) -> str:
    """encoding/json quoteChar."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    return "'" + go_quote(chr(c))[1:-1] + "'"


_WS = b" \t\r\n"


def _scan_json_value(data: bytes, start: int) -> int:
    """Scan one JSON value from ``start`` like Go's Decoder; returns the end index.

    Raises _JSONSyntax (Go's message, absolute 1-based offset) or _JSONEOF.
    """
    stack: list[str] = []  # 'key' | 'value' (object) | 'array'
    state = "begin"
    lit = ""
    esc_u = 0
    i = start
    n = len(data)

    def err(c: int, ctx: str) -> _JSONSyntax:
        return _JSONSyntax(f"invalid character {_quote_char(c)} {ctx}", i + 1)

    while i < n:
        c = data[i]
        if state in ("begin", "begin_or_empty"):
            if c in _WS:
                i += 1
                continue
            if state == "begin_or_empty" and c == 0x5D:  # ]
                state = "end"
                continue
            if c in (0x7B, 0x5B) and len(stack) >= MAX_NESTING:
                raise _JSONTooDeep(i + 1)
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
            if c in _WS:
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
            if c in _WS:
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
    raise _JSONEOF()


# --------------------------------------------------------------------------------------------
# Reading streams
# --------------------------------------------------------------------------------------------


@dataclass
class _Chunk:
    text: str
    start_line: int  # 1-based file line of the chunk's first line
    index: int


def _split_yaml(text: str) -> tuple[list[_Chunk], tuple[int, str] | None]:
    """apimachinery YAMLReader: split on lines that start with ``---``.

    Returns the chunks before any separator error, and (line, message) of that error.  CRLF line
    ends are normalised like bufio.ReadLine does.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    chunks: list[_Chunk] = []
    buf: list[str] = []
    start = 1
    index = 0
    for ln, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line.startswith("---"):
            trimmed = line[3:].strip()
            if trimmed and not trimmed.startswith("#"):
                if buf:
                    chunks.append(_Chunk("".join(buf), start, index))
                return chunks, (ln, f"invalid Yaml document separator: {trimmed}")
            if buf:
                chunks.append(_Chunk("".join(buf), start, index))
                index += 1
            buf = []
            start = ln + 1
            continue
        if not buf:
            start = ln
        buf.append(line + "\n")
    if buf:
        chunks.append(_Chunk("".join(buf), start, index))
    return chunks, None


def _first_content_line(chunk: str, start_line: int) -> int:
    for off, ln in enumerate(chunk.split("\n")):
        s = ln.strip()
        if s and not s.startswith("#") and s not in ("---", "..."):
            return start_line + off
    return start_line


def _is_json_stream(text: str) -> bool:
    """GuessJSONStream: first non-whitespace character of the first 4096 bytes is '{'."""
    head = _to_bytes(text[:4096])[:4096].decode("utf-8", "ignore")
    return head.lstrip(" \t\n\r\v\f\x85\xa0").startswith("{")


def _expand(
    obj: Any,
    base: dict[str, Any],
    node_lines: list[int] | None,
    result: LoadResult,
    check_kinds: bool,
) -> bool:
    """Turn one decoded object into Documents/errors; returns False if the file must stop here."""
    problems = _schema_problems(obj)
    display = base["display"]
    if problems is not None:
        msg = _schema_message(display, problems)
        result.errors.append(
            ManifestError(base["path"], display, base["line"], None, "error: " + msg, msg, "schema", base["index"], True)
        )
        return False
    items = obj.get("items")
    version, kind = _gvk(obj)
    if isinstance(items, list) and (kind == "List" or kind.endswith("List")) and (version, kind) not in KNOWN_KINDS:
        for j, item in enumerate(items):
            line = node_lines[j] if node_lines and j < len(node_lines) else base["line"]
            sub = dict(base, line=line, item_index=j)
            iprob = _schema_problems(item)
            if iprob is not None:
                msg = _schema_message(display, iprob)
                result.errors.append(
                    ManifestError(base["path"], display, line, f"items[{j}]", "error: " + msg, msg, "schema", base["index"])
                )
                continue
            _add_document(item, sub, result, check_kinds)
        return True
    _add_document(obj, base, result, check_kinds)
    return True


def _add_document(obj: dict, base: dict[str, Any], result: LoadResult, check_kinds: bool) -> None:
    doc = Document(
        obj=obj,
        path=base["path"],
        display=base["display"],
        line=base["line"],
        index=base["index"],
        chunk_line=base["chunk_line"],
        item_index=base.get("item_index"),
        source=base["source"],
        is_json=base["is_json"],
        after_stream_error=base["after"],
    )
    if check_kinds and not is_known_kind(obj):
        msg = unknown_kind_message(obj, base["display"], prefix=False)
        result.errors.append(
            ManifestError(base["path"], base["display"], base["line"], "kind", "error: " + msg, msg, "unknown-kind", base["index"])
        )
        return
    result.documents.append(doc)


def _items_lines(chunk: str, chunk_line: int) -> list[int] | None:
    """File lines of a List's items (for file:line on each expanded object)."""
    try:
        node = _compose_first(chunk)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "items" and isinstance(v, yaml.SequenceNode):
            return [chunk_line + it.start_mark.line for it in v.value]
    return None


def _compose_first(chunk: str) -> yaml.Node | None:
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
            raise _DecodeError(f"anchor '{_anchor_name(chunk, node)}' value contains itself", node.start_mark.line)
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
            raise _DecodeError("document contains excessive aliasing", node.start_mark.line)
        if depth > MAX_NESTING:
            raise _DecodeError(f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow",
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


def _load_first(chunk: str) -> tuple[Any, list[tuple[int, str, int]]]:
    """yaml.Unmarshal: the first document of the chunk only (go-yaml ignores the rest).

    Returns the data and the duplicate keys found (for warnings).  Composes first and checks the
    node graph (aliases, nesting) before constructing anything.
    """
    bad = _utf8_problem(chunk)
    if bad is not None:
        raise _DecodeError(bad[1], bad[0])
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


def _yaml_error(display: str, body: str) -> str:
    return f"error parsing {display}: error converting YAML to JSON: {body}"


def _load_yaml_stream(text: str, path: Path, display: str, check_kinds: bool,
                      chunks_seen: dict[str, tuple[Any, list]] | None = None) -> LoadResult:
    """``chunks_seen``: documents already decoded, by their text (a `ParseCache`'s), so a file
    saved with one document changed decodes that one document."""
    result = LoadResult()
    chunks, sep_err = _split_yaml(text)
    stopped = False

    def fail(msg: str, line: int, index: int) -> None:
        nonlocal stopped
        if not stopped:
            result.errors.append(ManifestError(path, display, line, None, "error: " + msg, msg, "yaml", index, True))
        stopped = True

    for ch in chunks:
        base = {
            "path": path,
            "display": display,
            "line": _first_content_line(ch.text, ch.start_line),
            "chunk_line": ch.start_line,
            "index": ch.index,
            "source": ch.text,
            "is_json": False,
            "after": stopped,
        }
        try:
            hit = chunks_seen.get(ch.text) if chunks_seen is not None else None
            if hit is not None:
                obj, dups = hit
            else:
                data, dups = _load_first(ch.text)
        except _DecodeError as e:
            body = e.message if e.svcflow else f"yaml: {e.message}"
            fail(_yaml_error(display, body), ch.start_line + e.line, ch.index)
            continue
        except yaml.constructor.ConstructorError as e:  # decoder errors: go-yaml names no line
            pm = e.problem_mark or e.context_mark
            line = ch.start_line + (pm.line if pm is not None else 0)
            problem = e.problem or ""
            if "for merging" in problem:
                problem = "map merge requires map or sequence of maps as the value"
            elif "unhashable key" in problem:
                problem = "invalid map key"
            fail(_yaml_error(display, f"yaml: {problem}"), line, ch.index)
            continue
        except yaml.MarkedYAMLError as e:
            # svcflow's own pointer: the true line; for a missing ':' that is the key's line.
            pm = e.problem_mark or e.context_mark
            if (e.problem or "").startswith("could not find expected ':'") and e.context_mark is not None:
                pm = e.context_mark
            line = ch.start_line + (pm.line if pm is not None else 0)
            body = _go_yaml_message(e, ch.text)
            if "maximum nesting depth" in (e.problem or ""):  # libyaml stops at 1000 levels
                body = f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow"
            fail(_yaml_error(display, body), line, ch.index)
            continue
        except yaml.YAMLError as e:  # reader errors (bad characters)
            fail(_yaml_error(display, f"yaml: {getattr(e, 'reason', e)}"), ch.start_line, ch.index)
            continue
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, MemoryError) as e:
            # Never let odd input escape as an exception: say what happened, with the place.
            fail(_yaml_error(display, f"svcflow could not decode this document ({type(e).__name__}: {e})"),
                 base["line"], ch.index)
            continue
        if not stopped:
            for dline, key, first in dups:
                result.warnings.append(ManifestError(
                    path, display, ch.start_line + dline, key,
                    f"warning: mapping key {go_quote(key)} already defined at line {ch.start_line + first}; "
                    "kubectl keeps the last value", code="duplicate-key", index=ch.index))
        if hit is None:
            try:
                obj = _jsonify(data)
            except _ConvertError as e:
                fail(_yaml_error(display, str(e)), base["line"], ch.index)
                continue
            except RecursionError:
                fail(_yaml_error(display, f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow"),
                     base["line"], ch.index)
                continue
            if chunks_seen is not None:
                chunks_seen[ch.text] = (obj, dups)
        if obj is None:  # empty document, or only comments: kubectl skips it silently
            continue
        if stopped:
            # kubectl never gets here; keep the object for svcflow's views, without more errors.
            if _schema_problems(obj) is None:
                sub = LoadResult()
                _expand(obj, base, _items_lines(ch.text, ch.start_line), sub, False)
                result.documents.extend(sub.documents)
            continue
        lines = _items_lines(ch.text, ch.start_line) if isinstance(obj, dict) and isinstance(obj.get("items"), list) else None
        if not _expand(obj, base, lines, result, check_kinds):
            stopped = True
    if sep_err is not None and not stopped:
        ln, m = sep_err
        msg = f"error parsing {display}: {m}"
        result.errors.append(ManifestError(path, display, ln, None, "error: " + msg, msg, "separator", len(chunks), True))
    return result


def _load_json_stream(text: str, path: Path, display: str, check_kinds: bool) -> LoadResult:
    result = LoadResult()
    data = _to_bytes(text)
    pos, index, stopped = 0, 0, False
    while True:
        # skip whitespace to find the next value (and EOF)
        j = pos
        while j < len(data) and data[j] in _WS:
            j += 1
        if j >= len(data):
            break
        line = data.count(b"\n", 0, j) + 1
        try:
            end = _scan_json_value(data, pos)
        except _JSONSyntax as e:
            eline = data.count(b"\n", 0, max(e.offset - 1, 0)) + 1
            msg = f"error parsing {display}: json: offset {e.offset}: {e.msg}"
            result.errors.append(ManifestError(path, display, eline, None, "error: " + msg, msg, "json", index, True))
            break
        except _JSONEOF:
            msg = f"error parsing {display}: unexpected EOF"
            result.errors.append(ManifestError(path, display, line, None, "error: " + msg, msg, "json", index, True))
            break
        except _JSONTooDeep as e:
            eline = data.count(b"\n", 0, max(e.offset - 1, 0)) + 1
            msg = f"error parsing {display}: objects nested more than {MAX_NESTING} levels deep are refused by svcflow"
            result.errors.append(ManifestError(path, display, eline, None, "error: " + msg, msg, "limit", index, True))
            break
        raw = data[j:end].decode("utf-8", "replace")
        pos = end
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as e:  # what Go's scanner allows but Python's does not
            msg = f"error parsing {display}: json: {e}"
            result.errors.append(ManifestError(path, display, line, None, "error: " + msg, msg, "json", index, True))
            break
        base = {
            "path": path, "display": display, "line": line, "chunk_line": line, "index": index,
            "source": raw, "is_json": True, "after": stopped,
        }
        index += 1
        if obj is None:
            continue
        if stopped:
            continue
        lines = None
        if isinstance(obj, dict) and isinstance(obj.get("items"), list):
            lines = _items_lines(raw, line)
        if not _expand(obj, base, lines, result, check_kinds):
            stopped = True
            break  # kubectl's StreamVisitor returns here; later JSON values are never read
    return result


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _too_big(path: Path, display: str, size: int) -> ManifestError:
    msg = (f"refusing to read {display}: it is {_size_text(size)}, over svcflow's "
           f"{MAX_MANIFEST_BYTES // (1024 * 1024)} MiB limit for one manifest file")
    return ManifestError(path, display, 1, None, "error: " + msg, msg, "limit", 0, True)


def load_text(
    text: str,
    display: str = "<stdin>",
    path: str | Path | None = None,
    *,
    check_kinds: bool = True,
    chunks_seen: dict[str, tuple[Any, list]] | None = None,
) -> LoadResult:
    """Read one manifest stream (YAML or JSON, sniffed like kubectl) from a string.

    For tests and editors: ``display`` is the name errors print (kubectl's ``-f`` argument).
    ``check_kinds`` turns unknown apiVersion/kind pairs into ``unknown-kind`` errors.  Never raises
    for any input: whatever cannot be read becomes a ManifestError.
    """
    p = Path(path) if path is not None else Path(display)
    if len(text) > MAX_MANIFEST_BYTES:
        return LoadResult(errors=[_too_big(p, display, len(text))])
    try:
        if _is_json_stream(text):
            return _load_json_stream(text, p, display, check_kinds)
        return _load_yaml_stream(text, p, display, check_kinds, chunks_seen)
    except Exception as e:  # noqa: BLE001 - a reader bug must show up as an error, not a crash
        msg = f"error parsing {display}: svcflow could not read it ({type(e).__name__}: {e})"
        return LoadResult(errors=[ManifestError(p, display, 1, None, "error: " + msg, msg, "internal", 0, True)])


def _is_editor_junk(name: str) -> bool:
    """Files editors keep beside the real one that still end in .yaml: emacs' lock symlinks."""
    return name.startswith(".#")


def _walk(root: str) -> Iterator[str]:
    """filepath.Walk order: depth-first, each directory's entries sorted by name.

    Unlike Go's Walk, symlinks to folders are followed (a linked folder of manifests is read), each
    real folder once, so a symlink loop ends instead of recursing forever.  Iterative: a deep
    tree cannot exhaust the stack.
    """
    seen: set[tuple[int, int]] = set()

    def entries(d: str) -> Iterator[str] | None:
        try:
            st = os.stat(d)
            names = sorted(os.listdir(d))
        except OSError:
            return None
        if (st.st_dev, st.st_ino) in seen:
            return None
        seen.add((st.st_dev, st.st_ino))
        return iter(names)

    first = entries(root)
    stack: list[tuple[str, Iterator[str]]] = [(root, first)] if first is not None else []
    while stack:
        d, it = stack[-1]
        name = next(it, None)
        if name is None:
            stack.pop()
            continue
        if _is_editor_junk(name):
            continue
        full = os.path.normpath(os.path.join(d, name))
        if os.path.isdir(full):
            sub = entries(full)
            if sub is not None:
                stack.append((full, sub))
        else:
            yield full


def manifest_dirs(paths: Iterable[str | Path]) -> list[str]:
    """The folders a walk of ``paths`` reads (for a file watcher), symlinked ones included."""
    out: list[str] = []
    for given in paths:
        g = str(given)
        if not os.path.isdir(g):
            continue
        out.append(os.path.normpath(g))
        seen: set[tuple[int, int]] = set()
        stack = [g]
        while stack:
            d = stack.pop()
            try:
                st = os.stat(d)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                names = os.listdir(d)
            except OSError:
                continue
            for n in names:
                full = os.path.normpath(os.path.join(d, n))
                if os.path.isdir(full):
                    out.append(full)
                    stack.append(full)
    return out


def _expand_paths(paths: Iterable[str | Path], recursive: bool, result: LoadResult) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for given in paths:
        g = str(given)
        if not os.path.exists(g):
            msg = f"the path {go_quote(g)} does not exist"
            result.errors.append(ManifestError(Path(g), g, 0, None, "error: " + msg, msg, "io", 0, True))
            continue
        if os.path.isdir(g):
            if recursive:
                entries: Iterable[str] = _walk(g)
            else:
                try:
                    names = sorted(os.listdir(g))
                except OSError:
                    names = []
                entries = (os.path.normpath(os.path.join(g, n)) for n in names
                           if not _is_editor_junk(n) and not os.path.isdir(os.path.join(g, n)))
            for f in entries:
                if os.path.splitext(f)[1] in MANIFEST_EXTENSIONS:
                    files.append((Path(f), f))
        else:
            files.append((Path(g), g))
    return files


def _read_file(p: Path, display: str, result: LoadResult) -> str | None:
    """The file's text, or None with the error recorded.  Never blocks on a FIFO or a device,
    never reads more than MAX_MANIFEST_BYTES, and notes whether the file changed meanwhile."""

    def err(msg: str, code: str = "io") -> None:
        result.errors.append(ManifestError(p, display, 0, None, "error: " + msg, msg, code, 0, True))

    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        err(f"open {display}: {e.strerror.lower() if e.strerror else e}")
        return None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            err(f"read {display}: is a directory")
            return None
        if not stat.S_ISREG(st.st_mode):
            err(f"refusing to read {display}: not a regular file")
            return None
        if st.st_size > MAX_MANIFEST_BYTES:
            result.errors.append(_too_big(p, display, st.st_size))
            return None
        chunks = []
        total = 0
        while total <= MAX_MANIFEST_BYTES:
            b = os.read(fd, min(1 << 20, MAX_MANIFEST_BYTES + 1 - total))
            if not b:
                break
            chunks.append(b)
            total += len(b)
        raw = b"".join(chunks)
        after = os.fstat(fd)
    except OSError as e:
        err(f"read {display}: {e.strerror.lower() if e.strerror else e}")
        return None
    finally:
        os.close(fd)
    if len(raw) > MAX_MANIFEST_BYTES:
        result.errors.append(_too_big(p, display, len(raw)))
        return None
    changed = (st.st_size, st.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(raw) != after.st_size
    result.files.append(FileInfo(p, display, len(raw), after.st_mtime, changed, not raw.strip()))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM (Windows editors): go-yaml reads it
        return raw.decode("utf-16", "replace")
    return raw.decode("utf-8", "surrogateescape")


class ParseCache:
    """Parsed files by name and text, for a reader that reads the same folder again and again
    (the dashboard on every save): only a file whose text changed is parsed again, so a save
    in a folder of 20,000 manifests costs the parse of one file.  The cached documents are
    shared between reads; nothing downstream mutates them (``with_defaults`` copies)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, bool], tuple[str, LoadResult]] = {}
        self._seen: set[tuple[str, bool]] = set()
        self.parsed = 0  # files parsed (not found in the cache) by the last read
        self.decoded = 0
        self.last_read: list[tuple[str, LoadResult]] = []  # per file, in order, for the last whole read
        # YAML documents by text, decoded (what go-yaml gives, before the object is checked):
        # a file saved with one document changed decodes only that document again.
        self._chunks: dict[str, tuple[Any, list]] = {}

    def begin(self) -> None:
        self._seen = set()
        self.parsed = 0
        self.last_read = []
        self.decoded = 0  # YAML documents decoded (not seen before) by the last read

    def load(self, text: str, display: str, path: Path, check_kinds: bool) -> LoadResult:
        key = (display, check_kinds)
        self._seen.add(key)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == text:
            self.last_read.append((display, hit[1]))
            return hit[1]
        before = len(self._chunks)
        res = load_text(text, display, path, check_kinds=check_kinds, chunks_seen=self._chunks)
        self._entries[key] = (text, res)
        self.last_read.append((display, res))
        self.parsed += 1
        self.decoded += len(self._chunks) - before
        return res

    def end(self) -> None:
        """Forget the files the last read did not see (deleted, renamed, unreadable)."""
        for key in [k for k in self._entries if k not in self._seen]:
            del self._entries[key]
        if self.parsed and len(self._chunks) > 2 * sum(len(r.documents) for _, r in self._entries.values()) + 64:
            live = {d.source for _, r in self._entries.values() for d in r.documents}
            self._chunks = {t: v for t, v in self._chunks.items() if t in live}


def manifest_files(paths: Iterable[str | Path], *, recursive: bool = True) -> tuple[list[tuple[Path, str]], LoadResult]:
    """The files ``load_paths`` would read, in its order, and the errors for paths that do
    not exist (for a reader that goes file by file)."""
    result = LoadResult()
    return _expand_paths(paths, recursive, result), result


def load_file(p: Path, display: str, *, check_kinds: bool = True, cache: ParseCache | None = None,
              text_filter: Callable[[str], object] | None = None) -> LoadResult:
    """One file of ``load_paths``: read (its FileInfo recorded), then parsed -- unless
    ``text_filter`` says its text cannot hold what the caller wants."""
    result = LoadResult()
    text = _read_file(p, display, result)
    if text is not None and (text_filter is None or text_filter(text)):
        result.extend(cache.load(text, display, p, check_kinds) if cache is not None
                      else load_text(text, display, p, check_kinds=check_kinds))
    return result


def load_paths(
    paths: Iterable[str | Path],
    *,
    recursive: bool = True,
    check_kinds: bool = True,
    cache: ParseCache | None = None,
    text_filter: Callable[[str], object] | None = None,
) -> LoadResult:
    """Read files and folders like ``kubectl apply -f <p> [-f ...] -R``.

    Folders are walked (recursively unless ``recursive=False``, which is kubectl without ``-R``)
    in ``filepath.Walk`` order and only ``.json``/``.yaml``/``.yml`` files are read; a file
    named directly is read whatever its extension.  A broken document never stops other files,
    and no input makes this raise.  With a ``cache``, files whose text is unchanged since the
    cache's last read are not parsed again.  With a ``text_filter``, only the files whose text
    it accepts are parsed (every file is still listed in ``files``); such a partial read
    leaves the cache's other entries alone.
    """
    result = LoadResult()
    whole = cache is not None and text_filter is None
    if whole:
        cache.begin()
    for p, display in _expand_paths(paths, recursive, result):
        result.extend(load_file(p, display, check_kinds=check_kinds, cache=cache, text_filter=text_filter))
    if whole:
        cache.end()
    return result


# --------------------------------------------------------------------------------------------
# Field -> line
# --------------------------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def _parse_field_path(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, idx in _PATH_TOKEN.findall(path):
        if name:
            out.append(name)
        elif idx.isdigit():
            out.append(int(idx))
        else:
            out.append(idx)  # a map key: metadata.labels[app]
    return out


def field_line(doc: Document, path: str) -> int | None:
    """File line (1-based) of a field path such as ``spec.ports[0].nodePort`` in ``doc``.

    Uses PyYAML node marks on the document's own text.  A path that is not spelled out in the
    file (a defaulted ``targetPort``) resolves to its nearest written ancestor, so an error bar
    can always point somewhere useful; None if the document cannot be composed.
    """
    try:
        node = _compose_first(doc.source)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    base = doc.chunk_line
    if doc.item_index is not None and isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "items" and isinstance(v, yaml.SequenceNode):
                if doc.item_index < len(v.value):
                    node = v.value[doc.item_index]
                break
    best = base + node.start_mark.line
    for tok in _parse_field_path(path):
        nxt = None
        key_line = None
        if isinstance(tok, int) and isinstance(node, yaml.SequenceNode):
            if tok < len(node.value):
                nxt = node.value[tok]
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(tok):
                    nxt, key_line = v, k.start_mark.line
                    break
        if nxt is None:
            break
        node = nxt
        best = base + (key_line if key_line is not None else node.start_mark.line)
    return best


def object_key(obj: dict) -> tuple[str, str, str] | None:
    """(kind, namespace, name) of a manifest kubectl could apply, else None."""
    kind = obj.get("kind")
    md = obj.get("metadata")
    if not isinstance(kind, str) or kind not in KINDS or not isinstance(md, dict):
        return None
    name = md.get("name")
    if not isinstance(name, str) or not name:
        return None
    ns = md.get("namespace")
    namespace = "" if kind in CLUSTER_SCOPED else (ns if isinstance(ns, str) and ns else "default")
    return (kind, namespace, name)


def is_topology_node(obj: dict) -> bool:
    """A Node object that shapes the simulated cluster: ``v1`` Node with a name the API server
    accepts.  Other Node documents are applied like any object, so their error is reported."""
    if obj.get("kind") != "Node" or obj.get("apiVersion") != "v1":
        return False
    md = obj.get("metadata")
    name = md.get("name") if isinstance(md, dict) else None
    if not isinstance(name, str) or validation.is_dns1123_subdomain(name):
        return False
    try:
        return validation.decode_error(obj) is None and not validation.validate(obj)
    except Exception:  # noqa: BLE001 - a Node svcflow cannot check is applied (and refused) instead
        return False
