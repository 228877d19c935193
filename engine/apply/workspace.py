"""From manifests on disk to a running simulated cluster.

Config documents (kind `Cluster`, `KubeProxyConfiguration`) and Node objects shape the
topology before the cluster boots; everything else is applied in file order with
kubectl's semantics, and the cluster is run to a steady state.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.api.apiserver import ApplyResult
from engine.api.gostrconv import go_quote
from engine.api.kinds import KINDS
from engine.api.validation import messages
from engine.api.validation.decoding import config_decode_error
from engine.api.validation.messages import ClientError, kubectl_error_output
from engine.api.wellknown import REVISION
from engine.cluster.cluster import Cluster
from engine.cluster.topology import ClusterConfigError, Topology, build_topology
from engine.containers.processes import PodProcesses
from engine.manifests.documents import (
    Document,
    LoadResult,
    field_line,
    is_config_kind,
    is_topology_node,
    unknown_kind_message,
)
from engine.manifests.loader import load_paths


@dataclass
class Duplicate:
    """One object declared by more than one document: kubectl applies them in order, so the
    last one wins (the earlier ones are applied, then overwritten)."""

    key: tuple[str, str, str]  # kind, namespace, name
    sources: list[str]  # file:line of every declaration, in apply order

    @property
    def winner(self) -> str:
        return self.sources[-1]

    def message(self) -> str:
        kind, _, name = self.key
        info = KINDS.get(kind)
        what = f"{info.qualified if info else kind.lower()}/{name}"
        earlier = ", ".join(self.sources[:-1])
        return (f"warning: {what} is declared more than once ({earlier} and {self.winner}); "
                f"the last one ({self.winner}) wins, as kubectl applies files in order")


@dataclass
class Notice:
    """Something the dashboard should say that is not a kubectl error: a duplicate object, a
    duplicate YAML key, a file svcflow is waiting for.  ``source`` is ``file:line``."""

    source: str
    message: str
    field: str | None = None
    #: the tool it stands for would stop here (kind refusing its Cluster config): the
    #: headless CLI exits 1 with the message; the dashboard shows it and carries on
    fatal: bool = False


@dataclass
class ApplyReport:
    """What `kubectl apply -f` would print: result lines (stdout) and errors (stderr).

    ``warnings`` are svcflow's own notes (never part of kubectl's output); ``duplicates`` the
    objects declared more than once."""

    results: list[ApplyResult] = field(default_factory=list)
    errors: list[ApplyResult] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [r.line for r in self.results if r.line]

    @property
    def ok(self) -> bool:
        return not self.errors

    def stdout(self) -> str:
        return "".join(f"{line}\n" for line in self.lines)

    def stderr(self) -> str:
        """kubectl prints one error alone (`error: ...`, `The Service "x" is invalid: ...`)
        and several as `Error from server (...)` lines; builder errors come first."""
        load = [e.load_detail for e in self.errors if e.load_detail is not None]
        api = [e.status for e in self.errors if e.status is not None]
        text = kubectl_error_output(load, api)
        return text + "\n" if text else ""


def _source(doc: Document, field_path: str | None = None) -> str:
    """``file:line`` of a document, or of one of its fields when the file spells it out."""
    line = doc.line
    if field_path:
        try:
            line = field_line(doc, field_path) or doc.line
        except Exception:  # noqa: BLE001 - a pointer is a nicety; never fail an apply over it
            line = doc.line
    return f"{doc.display}:{line}"


#: Annotations only controllers write on objects users apply (the Deployment controller's
#: revision): an apply's three-way merge keeps them, so they never make it "configured".
CONTROLLER_ANNOTATIONS = frozenset({REVISION})


def _apply_shape(live: dict) -> tuple[dict, dict]:
    """What an apply of a document compares against the live object: everything but the
    status, the resourceVersion (which controllers' status writes move on) and the
    annotations only controllers write."""
    md = live.get("metadata") or {}
    shape = {k: v for k, v in md.items() if k != "resourceVersion"}
    ann = md.get("annotations")
    if isinstance(ann, dict) and not CONTROLLER_ANNOTATIONS.isdisjoint(ann):
        shape["annotations"] = {k: v for k, v in ann.items() if k not in CONTROLLER_ANNOTATIONS}
    return ({k: v for k, v in live.items() if k not in ("status", "metadata")}, shape)


class ApplyMemo:
    """Which document each object was last applied from, and what the object was then.

    Applying the same document again to an object nobody else has changed since is
    `unchanged` by construction (the three-way merge of the same inputs), so the
    dashboard's reload skips the decode, defaulting, validation and merge for it and says
    what kubectl would: ``service/x unchanged``.  An object that was edited in between
    (``kubectl scale`` at the prompt, a controller writing its spec) or deleted is applied
    again for real, as ``kubectl apply`` would.  Documents are compared by identity: a
    file whose text did not change yields the very same documents (`ParseCache`), and in a
    file that did, the documents that read the same compare equal.

    The memo watches the store for the kinds it holds: every write to a remembered object
    marks it ``dirty`` until it is looked at again, so a reload can tell which files'
    objects were touched without visiting each object (`LiveWorkspace._fast_reload`)."""

    def __init__(self) -> None:
        # key -> (document obj, live object, the `unchanged` result for them, the document)
        self._last: dict[tuple[str, str, str], tuple[dict, dict, ApplyResult | None, Document]] = {}
        self.skipped = 0
        self.dirty: set[tuple[str, str, str]] = set()
        self._watching: set[str] = set()

    def _watch(self, cluster: Cluster, kind: str) -> None:
        if kind not in self._watching:
            self._watching.add(kind)
            cluster.store.watch(kind, self._on_event)

    def _on_event(self, ev) -> None:
        md = ev.obj.get("metadata") or {}
        key = (ev.obj.get("kind"), md.get("namespace") or "", md.get("name"))
        if key in self._last:
            self.dirty.add(key)

    def unchanged(self, cluster: Cluster, doc: Document, key: tuple[str, str, str]) -> ApplyResult | None:
        ent = self._last.get(key)
        if ent is None:
            return None
        live = cluster.store.get(*key)
        if live is None:
            return None
        if ent[3] is doc and live is ent[1] and ent[2] is not None:
            self.skipped += 1
            self.dirty.discard(key)
            return ent[2]  # the common case: nothing changed since
        if ent[0] is not doc.obj and ent[0] != doc.obj:
            return None
        if live is not ent[1] and _apply_shape(live) != _apply_shape(ent[1]):
            return None
        res = self._unchanged_result(doc, key, live)
        self.skipped += 1
        return res

    def _unchanged_result(self, doc: Document, key: tuple[str, str, str], live: dict) -> ApplyResult:
        res = ApplyResult(line=f"{KINDS[key[0]].qualified}/{key[2]} unchanged", obj=live,
                          source=f"{doc.display}:{doc.line}")
        self._last[key] = (doc.obj, live, res, doc)
        self.dirty.discard(key)
        return res

    def as_unchanged(self, doc: Document) -> ApplyResult | None:
        """What applying ``doc`` again would report now if its object stays as it is (the
        ``unchanged`` line), for a reload to reuse; None if the memo does not hold it."""
        key = doc.object_key
        ent = self._last.get(key) if key is not None else None
        if ent is None or ent[3] is not doc or key in self.dirty:
            return None
        return ent[2] if ent[2] is not None else self._unchanged_result(doc, key, ent[1])

    def record(self, cluster: Cluster, doc: Document, key: tuple[str, str, str], res: ApplyResult) -> None:
        if res.ok and isinstance(res.obj, dict) and "metadata" in res.obj:
            self._watch(cluster, key[0])
            self._last[key] = (doc.obj, res.obj, None, doc)
        else:
            self._last.pop(key, None)
        self.dirty.discard(key)

    def forget(self, key: tuple[str, str, str]) -> None:
        self._last.pop(key, None)
        self.dirty.discard(key)


def apply_documents(cluster: Cluster, docs: list[Document], load_errors: list | None = None, *,
                    warnings: list | None = None, last_wins_only: bool = False,
                    memo: ApplyMemo | None = None,
                    outcomes: list[tuple[Document, ApplyResult]] | None = None,
                    dry_run: str = "none") -> ApplyReport:
    """Apply documents in order; a bad one is reported and the rest still apply.  Never raises.

    ``warnings`` are the loader's (duplicate YAML keys), carried into the report. ``dry_run``
    is kubectl's `--dry-run` strategy ("none", "client", "server"; see `ApiServer.apply`).  Objects
    declared more than once are reported in ``duplicates``; with ``last_wins_only`` (the live
    dashboard) only the last declaration is applied - the same end state as kubectl's, without
    flipping the object to the earlier version and back on every reload.
    """
    report = ApplyReport()
    report_load_problems(report, load_errors or [], warnings or [])
    by_key: dict[tuple[str, str, str], list[Document]] = {}
    for doc in docs:
        if not doc.is_config:
            k = doc.object_key
            if k is not None:
                by_key.setdefault(k, []).append(doc)
    last: dict[tuple[str, str, str], Document] = {}
    for k, ds in by_key.items():
        last[k] = ds[-1]
        if len(ds) > 1:
            dup = Duplicate(k, [_source(d) for d in ds])
            report.duplicates.append(dup)
            report.warnings.append(Notice(dup.sources[0], dup.message(), "metadata.name"))
    for doc in docs:
        obj = doc.obj
        if doc.is_config:
            continue
        k = doc.object_key
        if last_wins_only and k is not None and last[k] is not doc:
            continue
        if memo is not None and k is not None:
            same = memo.unchanged(cluster, doc, k)
            if same is not None:
                report.results.append(same)
                if outcomes is not None:
                    outcomes.append((doc, same))
                continue
        try:
            res = _apply_one(cluster, doc, report, dry_run)
        except Exception as exc:  # noqa: BLE001 - one odd object must not stop the rest
            msg = f"svcflow could not apply this object ({type(exc).__name__}: {exc})"
            res = ApplyResult(error="error: " + msg, source=_source(doc), obj=obj, status=ClientError(msg))
            report.errors.append(res)
        if memo is not None and k is not None:
            memo.record(cluster, doc, k, res)
        if outcomes is not None:
            outcomes.append((doc, res))
    return report


def report_load_problems(report: ApplyReport, load_errors: list, warnings: list) -> None:
    """The loader's errors and warnings, as an apply reports them (before any object)."""
    for err in load_errors:
        source = f"{err.display}:{err.line}" if err.line else err.display
        # `error` follows `source` in the error bar: with the file's true line, not go-yaml's
        # other count (the CLI prints `load_detail`, kubectl's exact words).
        report.errors.append(ApplyResult(error=err.located_message, source=source, field=err.field,
                                         load_detail=err.detail))
    for w in warnings:
        report.warnings.append(Notice(f"{w.display}:{w.line}", w.message, w.field))


def _apply_one(cluster: Cluster, doc: Document, report: ApplyReport, dry_run: str = "none") -> ApplyResult:
    obj = doc.obj
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    info = KINDS.get(kind or "")
    if info is not None and info.api_version == api_version and "create" not in info.verbs:
        # served read-only (a Secret, a Job): the API server refuses the create
        status = messages.ApiError("MethodNotAllowed", "the server does not allow this method on the requested "
                                   "resource", source=doc.display, verb="creating")
        res = ApplyResult(error=status.standalone(), source=_source(doc, "kind"), field="kind", obj=obj,
                          status=status)
        report.errors.append(res)
        return res
    if info is None or info.api_version != api_version or not info.from_manifests:
        res = ApplyResult(error=unknown_kind_message(obj, doc.display), source=_source(doc, "kind"),
                          field="kind", obj=obj, load_detail=unknown_kind_message(obj, doc.display, prefix=False))
        report.errors.append(res)
        return res
    res = cluster.api.apply(obj, doc.display, dry_run=dry_run)
    res.source = _source(doc, res.field)
    (report.results if res.ok else report.errors).append(res)
    md = obj.get("metadata")
    name = md.get("name") if isinstance(md, dict) else None
    if not res.ok and name is not None and not isinstance(name, str):
        what = (f"the boolean {'true' if name else 'false'}" if isinstance(name, bool)
                else f"the number {name}" if isinstance(name, (int, float)) else "not a string")
        hint = (": YAML 1.1, which kubectl reads, takes y, yes, on and true for booleans" if isinstance(name, bool)
                else "")
        report.warnings.append(Notice(_source(doc, "metadata.name"),
                                      f"svcflow: metadata.name is {what}{hint}; quote it", "metadata.name"))
    return res


def split_topology_docs(docs: list[Document]) -> tuple[list[dict], list[dict]]:
    configs = [d.obj for d in docs if is_config_kind(d.obj)]
    nodes = [d.obj for d in docs if is_topology_node(d.obj)]
    return configs, nodes


_KIND_CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def topology_from_docs(docs: list[Document]) -> tuple[Topology, list[Notice]]:
    """The cluster's shape from config documents and Node objects, never failing: a config
    svcflow cannot use is reported and the default three-node kind cluster is used instead."""
    configs, nodes = split_topology_docs(docs)
    problems: list[Notice] = []
    where = {id(d.obj): f"{d.display}:{d.line}" for d in docs}
    fixed = []
    for c in configs:
        name = c.get("name")
        if c.get("kind") == "Cluster" and name is not None and not (
                isinstance(name, str) and _KIND_CLUSTER_NAME.match(name)):
            problems.append(Notice(where.get(id(c), ""),
                                   f"svcflow: ignoring the kind cluster name {go_quote(str(name))}: "
                                   "it must be lower case letters, digits, '-' and '.'", "name"))
            c = {k: v for k, v in c.items() if k != "name"}
        fixed.append(c)
    configs = []
    for c in fixed:  # each config decoded into its Go type first, as kind / kube-proxy read it
        bad = config_decode_error(c)
        if bad is None:
            configs.append(c)
            continue
        doc = next((d for d in docs if d.obj is c), None)
        src = _source(doc, bad.path) if doc is not None else where.get(id(c), "")
        detail = f"error unmarshaling JSON: while decoding JSON: {bad.message}"
        if c.get("kind") == "Cluster":
            problems.append(Notice(src, f"ERROR: failed to create cluster: unable to decode config: {detail}",
                                   bad.path, fatal=True))
            problems.append(Notice(src, "svcflow: kind would not create this cluster; the dashboard runs the "
                                        "default three-node kind cluster meanwhile"))
            return build_topology([], []), problems
        problems.append(Notice(src, f"svcflow: ignoring this {c.get('kind')}: {detail}", bad.path))
    try:
        return build_topology(configs, nodes), problems
    except ClusterConfigError as exc:  # what `kind create cluster` prints, at the field at fault
        doc = next((d for d in docs if d.obj is configs[0]), None) if configs else None
        cluster_doc = next((d for d in docs if isinstance(d.obj, dict) and d.obj.get("kind") == "Cluster"
                            and d.is_config), doc)
        src = _source(cluster_doc, exc.field) if cluster_doc is not None else ""
        problems.append(Notice(src, exc.message, exc.field, fatal=True))
        problems.append(Notice(src, "svcflow: kind would not create this cluster; the dashboard runs the default "
                                    "three-node kind cluster meanwhile"))
        return build_topology([], []), problems
    except Exception as exc:  # noqa: BLE001 - a bad config must not stop svcflow
        src = next((where.get(id(c), "") for c in configs), "")
        problems.append(Notice(src, f"svcflow: ignoring the cluster configuration ({type(exc).__name__}: {exc}); "
                                    "using a default three-node kind cluster"))
        return build_topology([], []), problems


def cluster_from_paths(paths: list[str | Path], *, deterministic: bool = False, bare: bool = False,
                       seed: int | None = None) -> tuple[Cluster, ApplyReport]:
    """Boot a cluster shaped by the manifests' config, apply them, run to steady state."""
    loaded: LoadResult = load_paths(list(paths)) if paths else LoadResult([], [])
    topology, problems = topology_from_docs(loaded.documents)
    cluster = Cluster(topology, deterministic=deterministic, bare=bare, seed=seed)
    PodProcesses.of(cluster)  # the pods' shells run main processes that end, from the start
    docs = [d for d in loaded.kubectl_documents if not is_topology_node(d.obj)]
    report = apply_documents(cluster, docs, loaded.errors, warnings=loaded.warnings)
    report.warnings[:0] = problems
    cluster.run_until_idle()
    return cluster, report
