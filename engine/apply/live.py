"""A cluster kept in step with a folder of manifests, for the dashboard.

`LiveWorkspace.reload()` re-reads the watched paths and applies them with
`kubectl apply --prune` semantics: objects whose document disappeared are deleted, but
nothing is ever lost to a save that is still under way or a file that is broken:

* a file that fails to parse, or whose object the API server refuses, keeps its objects as
  they were (the last good state stays on screen, with the error);
* a file that changed while it was being read, or was written less than ``settle_seconds``
  ago, is left alone this time: its objects stay as they are and the reload says when to look
  again (``ReloadResult.retry_after``), so a file truncated and then written in chunks is
  applied once, complete.  With a ``write_check`` (the kernel's answer to "is anyone still
  writing it?", `engine.apply.filewrites`) a just-written file that nobody holds open for writing,
  that reads without an error and that still declares every object it declared before is
  applied at once: the save is over, and nothing it could have cut short is lost;
* a file that is empty (truncated, nothing written yet) keeps its objects until it has content
  or is deleted; a file that disappears keeps them for ``settle_seconds`` (editors that delete
  and recreate), a missing root path keeps them until it is back;
* an object declared twice is applied once, from its last declaration (kubectl's end state),
  and the report says so; Namespaces are applied before the objects in them (where a second
  `kubectl apply` would end).

Each reload re-parses only the files whose text changed (`ParseCache`) and skips the
apply of a document that is the very one last applied to an object nobody changed since
(`ApplyMemo`): a save in a folder of 20,000 manifests costs about what that one file costs.

`advance()` moves the simulated clock with wall time so pods come up at a human pace.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from engine.api.apiserver import ApiError, ApplyResult
from engine.api.kinds import KINDS
from engine.api.validation.messages import ClientError
from engine.apply.workspace import (
    ApplyMemo,
    ApplyReport,
    Notice,
    apply_documents,
    report_load_problems,
    topology_from_docs,
)
from engine.cluster.cluster import Cluster
from engine.containers.processes import PodProcesses
from engine.manifests.documents import LoadResult, object_key
from engine.manifests.loader import ParseCache, load_file, load_paths
from engine.manifests.paths import manifest_dirs, manifest_files

ObjKey = tuple[str, str, str]  # kind, namespace, name

#: Text that may hold a document shaping the cluster (kind Cluster, KubeProxyConfiguration,
#: Node), in any YAML or JSON spelling of `kind: X`.
_MAY_SHAPE_TOPOLOGY = re.compile(r"""\bkind["']?\s*:\s*["']?(?:Cluster|Node|KubeProxyConfiguration|KubeletConfiguration)\b""")


@dataclass
class _FileState:
    """What the last reload made of one file, for the next reload to reuse when the file and
    its objects are unchanged (`LiveWorkspace._fast_reload`)."""

    result: LoadResult  # the parse (`ParseCache` gives the same object while the text is the same)
    docs: list  # the documents applied from it, in file order
    keys: set  # the objects it declares
    ok: bool  # every document applied, and the memo holds each object (nothing to do again)
    ns_results: list  # what applying it again reports while nothing changes: its Namespaces,
    other_results: list  # then the rest (`service/x unchanged`)

    @classmethod
    def of(cls, result: LoadResult, outcomes: list, failed: set[int], memo: ApplyMemo) -> "_FileState":
        ns, other = [], []
        ok = True
        for doc, res in outcomes:
            same = memo.as_unchanged(doc) if id(res) not in failed and res.ok else None
            if same is None:
                ok = False
            else:
                (ns if doc.kind == "Namespace" else other).append(same)
        return cls(result, [doc for doc, _ in outcomes], {doc.object_key for doc, _ in outcomes} - {None},
                   ok, ns, other)


@dataclass
class ReloadResult:
    report: ApplyReport
    pruned: list[str] = field(default_factory=list)  # `deployment.apps/x pruned`
    #: files left alone this time (being written, just saved, empty, gone for a moment), with why
    pending: dict[str, str] = field(default_factory=dict)
    #: seconds after which reloading again will pick up the pending files (None: nothing pending)
    retry_after: float | None = None

    @property
    def lines(self) -> list[str]:
        return self.report.lines + self.pruned

    @property
    def notices(self) -> list[Notice]:
        return self.report.warnings


_RESTART = "svcflow: restart svcflow to use this"
_SHAPING_KINDS = frozenset({"Cluster", "KubeProxyConfiguration", "KubeletConfiguration", "Node"})  # (a cheap test before the exact one)


def _shape_of(docs: list) -> tuple[str, str]:
    """What the cluster is built from (its configs and Node objects, as text to compare),
    and where the first of them is (`file:line`)."""
    shaping = [d for d in docs if isinstance(d.obj, dict) and d.obj.get("kind") in _SHAPING_KINDS
               and (d.is_config or d.topology_node)]
    return repr([d.obj for d in shaping]), (f"{shaping[0].display}:{shaping[0].line}" if shaping else "")


def _key(obj: dict) -> ObjKey | None:
    return object_key(obj)


def _under(path: str, root: str) -> bool:
    root = os.path.normpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class LiveWorkspace:
    """The dashboard's engine side: paths -> cluster, reloads, and simulated time.

    ``settle_seconds``: how long a file must have been left alone before a change to it is
    applied (0, the default, applies at once; the dashboard's watcher sets a fraction of a second).
    ``write_check``: path -> whether some process has it open for writing (None: cannot tell);
    when it says no, a complete-looking save is applied without waiting (see the module doc).
    """

    #: how soon to look again at a file that changed while it was being read
    RETRY_CHANGED = 0.05

    def __init__(self, paths: list[str | Path], *, deterministic: bool = False, bare: bool = False,
                 seed: int | None = None, settle_seconds: float = 0.0,
                 write_check: Callable[[str], bool | None] | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.parse_cache = ParseCache()
        self.memo = ApplyMemo()
        self.write_check = write_check
        # Only the files that can shape the cluster are parsed now (a kind Cluster config,
        # Node objects); the rest are parsed when applied, so a folder of 20,000 manifests
        # has its screen up before they are all read.
        loaded = load_paths(self.paths, cache=self.parse_cache, text_filter=_MAY_SHAPE_TOPOLOGY.search) \
            if self.paths else None
        topology, self.topology_problems = topology_from_docs(loaded.documents if loaded else [])
        self._shape = _shape_of(loaded.documents if loaded else [])  # what the cluster was built from
        self.manifest_bytes = sum(f.size for f in loaded.files) if loaded else 0  # as found at start
        self.cluster = Cluster(topology, deterministic=deterministic, bare=bare, seed=seed)
        PodProcesses.of(self.cluster)  # the pods' shells run main processes that end, from the start
        self.applied: dict[ObjKey, str] = {}  # object -> file that declares it
        self.last: ReloadResult | None = None
        self.settle_seconds = settle_seconds
        self.wall_clock: Callable[[], float] = time.time  # file mtimes are wall-clock times
        self.monotonic: Callable[[], float] = time.monotonic
        self._vanished: dict[str, float] = {}  # file -> when it was first found missing
        self._by_file: tuple | None = None  # per reload: (loaded, file -> keys now, file -> keys before)
        self._files: dict[str, _FileState] | None = None  # per file, what the last reload made of it

    # -- reload ------------------------------------------------------------------------------
    def reload(self, *, budget: float | None = None) -> ReloadResult:
        """Apply what the files say now; prune what they no longer declare.  Never raises: an
        unexpected failure is reported as an error and the cluster stays as it was.
        ``budget``: wall seconds the controllers may run afterwards (see `Cluster.run_for`);
        what is left runs with the next `advance`."""
        try:
            result = self._reload(budget)
        except Exception as exc:  # noqa: BLE001 - the dashboard must survive any input
            msg = f"svcflow could not reload the manifests ({type(exc).__name__}: {exc})"
            report = ApplyReport()
            report.errors.append(ApplyResult(error="error: " + msg, status=ClientError(msg)))
            result = ReloadResult(report)
        self.last = result
        return result

    def _note_shape_change(self, loaded: LoadResult) -> None:
        """The kind `Cluster` config, a `KubeProxyConfiguration` or the Node objects changed
        since the cluster was built: svcflow does not rebuild a running cluster (neither does
        kind: a cluster's nodes and subnets are fixed at `kind create cluster`), so it says
        plainly that the change takes a restart, and every reload says it until then."""
        shape = _shape_of(loaded.documents)
        self.topology_problems = [n for n in self.topology_problems if not n.message.startswith(_RESTART)]
        if shape[0] == self._shape[0]:
            return
        where = shape[1] or self._shape[1]
        self.topology_problems.append(Notice(where, f"{_RESTART}: the cluster's shape (kind Cluster, "
                                                    "KubeProxyConfiguration, KubeletConfiguration, Node objects) "
                                                    "changed; the running "
                                                    "cluster keeps the shape it was started with"))

    def _held_files(self, loaded: LoadResult) -> tuple[dict[str, str], float | None]:
        """Files whose objects must stay as they are this time, with the reason, and when to retry."""
        now, mono = self.wall_clock(), self.monotonic()
        pending: dict[str, str] = {}
        retry: float | None = None

        def again(seconds: float) -> None:
            nonlocal retry
            retry = seconds if retry is None else min(retry, seconds)

        sources = set(self.applied.values())
        for f in loaded.files:
            age = now - f.mtime
            if f.changed:
                pending[f.display] = "is being written; applying it once the write is complete"
                again(self.RETRY_CHANGED)
            elif self.settle_seconds > 0 and -5 < age < self.settle_seconds:
                if self._complete(f, loaded):
                    continue
                pending[f.display] = "was just written; applying it once it is left alone"
                again(max(self.settle_seconds - max(age, 0.0), self.RETRY_CHANGED))
            elif f.blank and f.display in sources:
                pending[f.display] = ("is empty; keeping its objects until it has content again "
                                      "(delete the file to remove them)")
        read = {f.display for f in loaded.files} | {e.display for e in loaded.errors}
        missing_roots = [str(p) for p in self.paths if not p.exists()]
        for src in sorted(sources - read):
            root = next((r for r in missing_roots if _under(src, r)), None)
            if root is not None:
                pending[src] = f"is under {root}, which does not exist now; keeping its objects"
                continue
            first = self._vanished.setdefault(src, mono)
            if self.settle_seconds > 0 and mono - first < self.settle_seconds:
                pending[src] = "is gone; keeping its objects for a moment in case it is being replaced"
                again(max(self.settle_seconds - (mono - first), self.RETRY_CHANGED))
        for src in list(self._vanished):
            if src in read:
                del self._vanished[src]
        return pending, retry

    def _complete(self, f, loaded: LoadResult) -> bool:
        """A just-written file whose save is certainly over: nobody has it open for writing
        (asked of the kernel), it reads without an error, and it still declares every object
        it declared before (a save cut short could drop the ones at its end)."""
        if self.write_check is None or f.blank or self.write_check(str(f.path)) is not False:
            return False
        if any(e.display == f.display for e in loaded.errors):
            return False
        by_file = self._by_file
        if by_file is None or by_file[0] is not loaded:  # once per reload: who declares what
            declared: dict[str, set] = {}
            for d in loaded.documents:
                declared.setdefault(d.display, set()).add(_key(d.obj))
            before: dict[str, set] = {}
            for k, src in self.applied.items():
                before.setdefault(src, set()).add(k)
            by_file = self._by_file = (loaded, declared, before)
        return by_file[2].get(f.display, set()) <= by_file[1].get(f.display, set())

    def _reload(self, budget: float | None = None) -> ReloadResult:
        loaded = load_paths(self.paths, cache=self.parse_cache)
        self._by_file = None
        self._note_shape_change(loaded)
        pending, retry = self._held_files(loaded)
        fast = self._fast_reload(loaded, pending)
        self.last_reload_fast = fast is not None
        if fast is not None:
            report, pruned = fast
            self.cluster.run_for(0, budget=budget)
            return ReloadResult(report, pruned, pending, retry)
        # as they are, whoever else declares them
        held = {k for k, src in self.applied.items() if src in pending} if pending else set()
        docs = [d for d in loaded.kubectl_documents
                if not d.topology_node and (not pending or (d.display not in pending and d.object_key not in held))]
        # Namespaces first: kubectl applies in file order, so an object listed before its
        # Namespace fails once and succeeds on the next apply; the dashboard goes straight there.
        docs.sort(key=lambda d: d.obj.get("kind") != "Namespace")
        errors = [e for e in loaded.errors if e.display not in pending]
        warnings = [w for w in loaded.warnings if w.display not in pending]
        outcomes: list = []
        report = apply_documents(self.cluster, docs, errors, warnings=warnings, last_wins_only=True,
                                 memo=self.memo, outcomes=outcomes)
        report.warnings[:0] = self.topology_problems
        for src, why in pending.items():
            report.warnings.append(Notice(src, f"svcflow: {src} {why}"))
        broken = {e.display for e in loaded.errors} | set(pending)
        declared: dict[ObjKey, str] = {}
        for d in docs:
            k = d.object_key
            if k is not None:
                declared[k] = d.display
        pruned = []
        gone_namespaces = []
        for k, src in list(self.applied.items()):
            if k in declared or src in broken:
                continue
            line = self._prune(k, report)
            if line is not None:
                pruned.append(line)
                if k[0] == "Namespace":
                    gone_namespaces.append(k[2])
        if pruned:
            self._retry_refused(outcomes, report)
        failed = {_key(r.obj) for r in report.errors if isinstance(r.obj, dict)}
        for k, src in declared.items():
            if k not in failed and self.cluster.store.get(*k) is not None:
                self.applied[k] = src
        if gone_namespaces:
            self._empty_namespaces(gone_namespaces, docs, report)
        self._remember(loaded, pending, outcomes, report, bool(gone_namespaces))
        self.cluster.run_for(0, budget=budget)
        return ReloadResult(report, pruned, pending, retry)

    # -- the fast path: a save of a few files in a big folder --------------------------------
    def _remember(self, loaded: LoadResult, pending: dict, outcomes: list, report: ApplyReport,
                  namespaces_went: bool) -> None:
        """Keep, per file, what this (full) reload made of it, when the next reload may reuse
        it: nothing held back, no object declared twice, every file read whole."""
        self._files = None
        read = self.parse_cache.last_read
        if pending or report.duplicates or namespaces_went or len(read) != len(loaded.files) \
                or any(e.display not in dict(read) for e in loaded.errors):
            return
        failed = {id(r) for r in report.errors}
        by_file: dict[str, list] = {d: [] for d, _ in read}
        for doc, res in outcomes:
            by_file[doc.display].append((doc, res))
        self._files = {display: _FileState.of(lr, by_file[display], failed, self.memo) for display, lr in read}
        broken = {e.display for e in loaded.errors}
        if broken:  # a broken file still holds the objects it declared when it last parsed:
            for k, src in self.applied.items():  # its fixed save prunes those it dropped
                if src in broken:
                    self._files[src].keys.add(k)

    #: At most 1/FAST_SHARE of the files may have changed for the fast path (else a full reload).
    FAST_SHARE = 8
    fast_reloads = True  # (tests turn it off to compare both paths)
    last_reload_fast = False  # whether the last reload took the fast path

    def _fast_reload(self, loaded: LoadResult, pending: dict) -> tuple[ApplyReport, list[str]] | None:
        """The reload of a save in a big folder: only the files whose text changed are
        applied (and those whose objects were changed behind the files' back, as the full
        reload would); every other file's report is the one it had. The result is the full
        reload's -- same report, same prunes, same cluster -- and it is taken only when that is
        certain: nothing held back, the same files as last time, no Namespace among what
        changed, no object declared in two files. Otherwise None: the full reload runs."""
        files = self._files
        if files is None or pending or self._vanished or not self.fast_reloads:
            return None
        read = self.parse_cache.last_read
        if len(read) != len(files) or any(d not in files for d, _ in read) or \
                any(e.display not in files for e in loaded.errors):
            return None
        changed = {d: lr for d, lr in read if files[d].result is not lr}
        if len(changed) > max(2, len(read) // self.FAST_SHARE):
            return None
        declared_by: dict[ObjKey, int] | None = None
        new_docs: dict[str, list] = {}
        for d, lr in changed.items():
            if lr.errors:  # a broken file keeps its objects: the full reload knows how
                return None
            docs = [doc for doc in lr.kubectl_documents if not doc.topology_node]
            if any(doc.kind == "Namespace" for doc in docs) or \
                    any(doc.kind == "Namespace" for doc in files[d].docs):
                return None
            keys = [doc.object_key for doc in docs if not doc.is_config and doc.object_key is not None]
            if len(set(keys)) != len(keys):
                return None
            if declared_by is None:
                declared_by = {}
                for f in files.values():
                    for k in f.keys:
                        declared_by[k] = declared_by.get(k, 0) + 1
            if any(declared_by.get(k, 0) != (1 if k in files[d].keys else 0) for k in set(keys) | files[d].keys):
                return None  # declared in another file too
            new_docs[d] = docs
        if len(new_docs) > 1:  # two saved files may now declare the same new object: the full reload knows how
            now_declared: set[ObjKey] = set()
            for docs in new_docs.values():
                keys = {doc.object_key for doc in docs if not doc.is_config and doc.object_key is not None}
                if not now_declared.isdisjoint(keys):
                    return None
                now_declared |= keys
        report = ApplyReport()
        report_load_problems(report, loaded.errors, loaded.warnings)
        report.warnings[:0] = self.topology_problems
        ns_results: list = []
        other_results: list = []
        fresh: dict[str, _FileState] = {}
        applied_now: list = []  # (doc, result) of what this reload applied
        cluster, memo = self.cluster, self.memo
        dirty = memo.dirty  # objects written since the memo last looked (see ApplyMemo)
        for d, lr in read:
            f = files[d]
            if d in new_docs or not f.ok or not f.keys.isdisjoint(dirty):
                docs = new_docs[d] if d in new_docs else f.docs
                outcomes: list = []
                sub = apply_documents(cluster, docs, memo=memo, outcomes=outcomes)
                report.errors.extend(sub.errors)
                report.warnings.extend(sub.warnings)
                failed = {id(r) for r in sub.errors}
                fresh[d] = _FileState.of(lr, outcomes, failed, memo)
                if lr.errors:  # still broken (its text is unchanged): it keeps holding what it held
                    fresh[d].keys |= f.keys
                applied_now.extend(outcomes)
                for doc, res in outcomes:  # this time's report: created, configured, ...
                    if id(res) not in failed and res.ok:
                        (ns_results if doc.kind == "Namespace" else other_results).append(res)
                continue
            ns_results.extend(f.ns_results)
            other_results.extend(f.other_results)
        report.results = ns_results + other_results  # Namespaces first, as the full reload applies them
        pruned: list[str] = []
        for d, f in fresh.items():
            for k in files[d].keys - f.keys:
                if self.applied.get(k) != d:
                    continue
                line = self._prune(k, report)
                if line is not None:
                    pruned.append(line)
            failed_keys = {_key(r.obj) for r in report.errors if isinstance(r.obj, dict)}
            for k in f.keys:
                if k not in failed_keys and self.cluster.store.get(*k) is not None:
                    self.applied[k] = d
            files[d] = f
        if pruned and self._retry_refused(applied_now, report):
            for doc, res in applied_now:
                if res.ok and doc.object_key is not None and cluster.store.get(*doc.object_key) is not None:
                    self.applied[doc.object_key] = doc.display
            self._files = None  # the per-file bookkeeping is stale: the next reload is a full one
        return report, pruned

    def _retry_refused(self, outcomes: list, report: ApplyReport) -> bool:
        """Objects this reload's apply refused are applied again once the prunes are done:
        a Service refused for a nodePort or clusterIP that a pruned object held gets it now,
        so the reload ends where applying the folder to a fresh cluster ends (instead of
        keeping a stale error until the next save). `outcomes` is updated in place. Whether
        anything was retried."""
        failed = [(i, doc, res) for i, (doc, res) in enumerate(outcomes)
                  if not res.ok and res.status is not None and res.load_detail is None]
        if not failed:
            return False
        again: list = []
        sub = apply_documents(self.cluster, [doc for _, doc, _ in failed], memo=self.memo, outcomes=again)
        old = {id(res) for _, _, res in failed}
        report.errors = [e for e in report.errors if id(e) not in old] + sub.errors
        report.results.extend(sub.results)
        for (i, doc, _), (_, res) in zip(failed, again):
            outcomes[i] = (doc, res)
        return True

    def _prune(self, k: ObjKey, report: ApplyReport) -> str | None:
        """Delete an object no file declares any more (`kubectl apply --prune`); its line,
        or None if it was gone already or may not be deleted (the error is reported)."""
        kind, ns, name = k
        src = self.applied.pop(k)
        self.memo.forget(k)
        try:
            gone = self.cluster.api.delete_object(kind, ns, name)
        except ApiError as e:  # `default` and the system namespaces stay (kubectl says why)
            report.errors.append(ApplyResult(error=e.message, status=e.status, source=src,
                                             obj={"kind": kind, "metadata": {"name": name}}))
            return None
        return f"{KINDS[kind].qualified}/{name} pruned" if gone is not None else None

    def _empty_namespaces(self, names: list[str], docs: list, report: ApplyReport) -> None:
        """A pruned Namespace takes everything in it along (the namespace controller's job, done
        at once here).  Objects the files still declare in it are applied again, so the report
        says what the next `kubectl apply` would: ``namespaces "x" not found``."""
        for ns in names:
            self.cluster.namespaces.sweep(ns, grace=False)
        for k in [k for k in self.applied if k[1] in names]:
            del self.applied[k]
        again = [d for d in docs if (k := _key(d.obj)) is not None and k[1] in names]
        if again:
            retry = apply_documents(self.cluster, again, last_wins_only=True)
            report.errors.extend(retry.errors)

    def watched_dirs(self) -> list[str]:
        """Every folder the manifests are read from (the roots and their subfolders)."""
        return manifest_dirs(self.paths)

    # -- time --------------------------------------------------------------------------------
    def advance(self, seconds: float, *, budget: float | None = None) -> bool:
        """Let `seconds` of simulated time pass, running everything that falls due; with a
        ``budget`` (wall seconds) it may stop early and say so (False, see `Cluster.run_for`)."""
        return self.cluster.run_for(seconds, budget=budget)

    def initial_apply(self, *, slice_size: int = 64,
                      budget: float = 0.03) -> Iterator[tuple[int, int, int, ApplyReport]]:
        """Apply a big folder file by file and in slices, yielding after each slice how many
        documents are applied, how many files of how many are read, and the slice's report
        (``service/x created``): the dashboard paints the first objects while the rest are
        still being read and applied (20,000 manifests take ~30 s; the screen is up in the
        first seconds).

        Namespaces in a file come before its other objects.  Controllers get ``budget`` wall
        seconds per slice; the rest of their work runs with `advance`.  What this cannot say
        (errors, objects declared twice, the bookkeeping for pruning) comes from the
        `reload()` the caller runs afterwards: it finds every object already applied and
        skips them (`ApplyMemo`), and applies again what failed here (an object read before
        its Namespace)."""
        files, _ = manifest_files(self.paths)
        done = 0
        for k, (path, display) in enumerate(files, 1):
            loaded = load_file(path, display, cache=self.parse_cache)
            docs = [d for d in loaded.kubectl_documents if not d.topology_node]
            docs.sort(key=lambda d: d.kind != "Namespace")
            for i in range(0, len(docs), slice_size):
                part = docs[i:i + slice_size]
                report = apply_documents(self.cluster, part, memo=self.memo)
                self.cluster.run_for(0, budget=budget)
                done += len(part)
                yield done, k, len(files), report

    def settle(self) -> None:
        """Run to the steady state at once (tests, screenshots, --deterministic)."""
        self.cluster.run_until_idle()

    def now(self) -> datetime:
        return self.cluster.now()

    def next_due(self) -> timedelta | None:
        t = self.cluster.clock.next_timer_at()
        return None if t is None else t - self.cluster.now()
