"""What reading manifests produces: Document, ManifestError, LoadResult, FileInfo; the kind
checks kubectl's builder and schema make; and where a field sits in its file (``field_line``)
for svcflow's error bar."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from engine.api.gostrconv import go_quote
from engine.api.kinds import CLUSTER_SCOPED, KINDS
from engine.api.validation.decoding import decode_error
from engine.api.validation.names import is_dns1123_subdomain
from engine.api.validation.validator import validate
from engine.manifests.goyaml import compose_first

#: (apiVersion, kind) pairs the simulated API server accepts from manifests (the registry's).
KNOWN_KINDS: frozenset[tuple[str, str]] = frozenset(
    (info.api_version, info.kind) for info in KINDS.values() if info.from_manifests)

#: Kinds the API serves read-only (kubectl's prune allow-list asks for them): a manifest of
#: one reaches the API server, which refuses the create as kube-apiserver refuses a verb a
#: resource does not have (MethodNotAllowed), rather than being an unknown kind.
READ_ONLY_KINDS: frozenset[tuple[str, str]] = frozenset(
    (info.api_version, info.kind) for info in KINDS.values() if "create" not in info.verbs)

#: svcflow configuration documents (cluster shape, kube-proxy mode) - not API objects.
CONFIG_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("kind.x-k8s.io/v1alpha4", "Cluster"),
        ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"),
        ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
    }
)

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
    several errors (feed ``detail`` to ``validation.messages.kubectl_error_output``).  ``line`` is the
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


def gvk(obj: Any) -> tuple[str, str]:
    if not isinstance(obj, dict):
        return "", ""
    v, k = obj.get("apiVersion"), obj.get("kind")
    return (v if isinstance(v, str) else "", k if isinstance(k, str) else "")


def is_config_kind(obj: Any) -> bool:
    """True for svcflow's own config documents (kind Cluster, KubeProxyConfiguration,
    KubeletConfiguration)."""
    return gvk(obj) in CONFIG_KINDS


def is_known_kind(obj: Any) -> bool:
    """True when the simulated API server (or svcflow's config) understands this apiVersion/kind."""
    g = gvk(obj)
    return g in KNOWN_KINDS or g in CONFIG_KINDS or g in READ_ONLY_KINDS


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
    version, kind = gvk(obj)
    msg = (
        f"resource mapping not found for name: {go_quote(name)} namespace: {go_quote(ns)} "
        f"from {go_quote(display)}: no matches for kind {go_quote(kind)} in version {go_quote(version)}\n"
        "ensure CRDs are installed first"
    )
    return "error: " + msg if prefix else msg


def schema_problems(obj: Any) -> list[str] | None:
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


def schema_message(display: str, problems: list[str]) -> str:
    agg = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
    return f"error validating {go_quote(display)}: error validating data: {agg}; {_STOP_VALIDATE}"


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
        node = compose_first(doc.source)
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
    if not isinstance(name, str) or is_dns1123_subdomain(name):
        return False
    try:
        return decode_error(obj) is None and not validate(obj)
    except Exception:  # noqa: BLE001 - a Node svcflow cannot check is applied (and refused) instead
        return False
