"""From manifests on disk to a running simulated cluster.

Config documents (kind `Cluster`, `KubeProxyConfiguration`) and Node objects shape the
topology before the cluster boots; everything else is applied in file order with
kubectl's semantics, and the cluster is run to a steady state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.apiserver import ApplyResult
from engine.cluster import Cluster
from engine.kinds import KINDS
from engine.manifests import Document, LoadResult, is_config_kind, load_paths, unknown_kind_message
from engine.topology import build_topology
from engine import validation
from engine.validation import kubectl_error_output, strict_unknown_fields


@dataclass
class ApplyReport:
    """What `kubectl apply -f` would print: result lines (stdout) and errors (stderr)."""

    results: list[ApplyResult] = field(default_factory=list)
    errors: list[ApplyResult] = field(default_factory=list)

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


def _source(doc: Document) -> str:
    return f"{doc.display}:{doc.line}"


def apply_documents(cluster: Cluster, docs: list[Document], load_errors: list | None = None) -> ApplyReport:
    """Apply documents in order; a bad one is reported and the rest still apply."""
    report = ApplyReport()
    for err in load_errors or []:
        report.errors.append(ApplyResult(error=err.message, source=f"{err.display}:{err.line}",
                                         field=err.field, load_detail=err.detail))
    for doc in docs:
        obj = doc.obj
        if is_config_kind(obj):
            continue
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        info = KINDS.get(kind or "")
        if info is None or info.api_version != api_version or kind == "Event":
            report.errors.append(ApplyResult(error=unknown_kind_message(obj, doc.display), source=_source(doc),
                                             load_detail=unknown_kind_message(obj, doc.display, prefix=False)))
            continue
        unknown = strict_unknown_fields(obj)
        if unknown:
            status = validation.unknown_fields_error(kind, api_version, doc.display, unknown)
            report.errors.append(ApplyResult(error=status.standalone(), source=_source(doc),
                                             field=unknown[0], status=status))
            continue
        res = cluster.api.apply(obj, doc.display)
        res.source = _source(doc)
        (report.results if res.ok else report.errors).append(res)
    return report


def split_topology_docs(docs: list[Document]) -> tuple[list[dict], list[dict]]:
    configs = [d.obj for d in docs if is_config_kind(d.obj)]
    nodes = [d.obj for d in docs if d.obj.get("kind") == "Node" and d.obj.get("apiVersion") == "v1"]
    return configs, nodes


def cluster_from_paths(paths: list[str | Path], *, deterministic: bool = False, bare: bool = False,
                       seed: int | None = None) -> tuple[Cluster, ApplyReport]:
    """Boot a cluster shaped by the manifests' config, apply them, run to steady state."""
    loaded: LoadResult = load_paths(list(paths)) if paths else LoadResult([], [])
    configs, nodes = split_topology_docs(loaded.documents)
    cluster = Cluster(build_topology(configs, nodes), deterministic=deterministic, bare=bare, seed=seed)
    docs = [d for d in loaded.kubectl_documents if not (d.obj.get("kind") == "Node" and d.obj.get("apiVersion") == "v1")]
    report = apply_documents(cluster, docs, loaded.errors)
    cluster.run_until_idle()
    return cluster, report
