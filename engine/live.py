"""A cluster kept in step with a folder of manifests, for the dashboard.

`LiveWorkspace.reload()` re-reads the watched paths and applies them with
`kubectl apply --prune` semantics: objects whose document disappeared are deleted, but a
file that fails to parse keeps its objects (the last good state stays), so a half-written
file never tears down what is on screen. `advance()` moves the simulated clock with wall
time so pods come up at a human pace.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from engine.cluster import Cluster
from engine.kinds import KINDS
from engine.manifests import load_paths
from engine.store import CLUSTER_SCOPED
from engine.topology import build_topology
from engine.workspace import ApplyReport, apply_documents, split_topology_docs

ObjKey = tuple[str, str, str]  # kind, namespace, name


@dataclass
class ReloadResult:
    report: ApplyReport
    pruned: list[str] = field(default_factory=list)  # `deployment.apps/x pruned`

    @property
    def lines(self) -> list[str]:
        return self.report.lines + self.pruned


def _key(obj: dict) -> ObjKey | None:
    kind = obj.get("kind")
    md = obj.get("metadata") or {}
    if kind not in KINDS or not md.get("name"):
        return None
    ns = "" if kind in CLUSTER_SCOPED else (md.get("namespace") or "default")
    return (kind, ns, str(md["name"]))


class LiveWorkspace:
    """The dashboard's engine side: paths -> cluster, reloads, and simulated time."""

    def __init__(self, paths: list[str | Path], *, deterministic: bool = False, bare: bool = False,
                 seed: int | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        loaded = load_paths(self.paths) if self.paths else None
        configs, nodes = split_topology_docs(loaded.documents) if loaded else ([], [])
        self.cluster = Cluster(build_topology(configs, nodes), deterministic=deterministic, bare=bare, seed=seed)
        self.applied: dict[ObjKey, str] = {}  # object -> file that declares it
        self.last: ReloadResult | None = None

    def reload(self) -> ReloadResult:
        """Apply what the files say now; prune what they no longer declare."""
        loaded = load_paths(self.paths)
        docs = [d for d in loaded.kubectl_documents if not (d.obj.get("kind") == "Node")]
        report = apply_documents(self.cluster, docs, loaded.errors)
        broken_files = {str(e.display) for e in loaded.errors}
        declared: dict[ObjKey, str] = {}
        for d in docs:
            k = _key(d.obj)
            if k is not None:
                declared[k] = str(d.display)
        pruned = []
        for k, src in list(self.applied.items()):
            if k in declared or src in broken_files:
                continue
            kind, ns, name = k
            if self.cluster.api.delete_object(kind, ns, name) is not None:
                pruned.append(f"{KINDS[kind].qualified}/{name} pruned")  # kubectl apply --prune
            del self.applied[k]
        failed = {(_key(r.obj) if r.obj else None) for r in report.errors}
        for k, src in declared.items():
            if k not in failed and self.cluster.store.get(*k) is not None:
                self.applied[k] = src
        self.cluster.run_for(0)
        self.last = ReloadResult(report, pruned)
        return self.last

    def advance(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass, running everything that falls due."""
        self.cluster.run_for(seconds)

    def settle(self) -> None:
        """Run to the steady state at once (tests, screenshots, --deterministic)."""
        self.cluster.run_until_idle()

    def now(self) -> datetime:
        return self.cluster.now()

    def next_due(self) -> timedelta | None:
        t = self.cluster.clock.next_timer_at()
        return None if t is None else t - self.cluster.now()
