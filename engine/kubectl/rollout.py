"""`kubectl rollout history`, `kubectl rollout undo` and `kubectl rollout status` (kubectl
v1.33, pkg/polymorphichelpers/history.go, rollback.go and rollout_status.go) over the sets'
ControllerRevisions (engine.controllers.history) and a Deployment's ReplicaSets.

History lists the revisions the object controls (selected by its selector, controlled by
it) by number with their `kubernetes.io/change-cause`; `--revision=N` prints that revision's
pod template. Undo puts a revision's template back into a StatefulSet or DaemonSet (the
revision's `data` as a strategic merge patch: the template replaced), the previous revision
when none is named; the controller then re-uses that revision under the next number. A
Deployment's undo (DeploymentRollbacker) puts the chosen ReplicaSet's template back (without
its pod-template-hash) and the annotations kubectl keeps: the Deployment's own of
annotationsToSkip, the ReplicaSet's others; the Deployment controller then finds that
ReplicaSet current again and gives it the next revision. Status: engine.kubectl.rolloutstatus.
"""
from __future__ import annotations

from typing import Any

from engine.api import kinds
from engine.api.apiserver import ApiError
from engine.api.gostrconv import go_quote
from engine.api.labels import SelectorError, from_label_selector
from engine.api.objects import controller_uid, labels_of, meta, uid_of
from engine.api.store import json_copy
from engine.api.wellknown import REVISION
from engine.cluster.cluster import Cluster
from engine.controllers.deployment import ANNOTATIONS_NOT_COPIED, template_without_hash
from engine.controllers.history import revision_number, template_of
from engine.kubectl import rolloutstatus, writeprint
from engine.kubectl.printers import describe as describe_printer
from engine.kubectl.printers.get import not_found_message
from engine.kubectl.printers.tabwriter import render_text

CHANGE_CAUSE = "kubernetes.io/change-cause"
#: The kinds with a history viewer and a rollbacker (HistoryViewerFor, RollbackerFor).
_ROLLOUT_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


#: The flags of `rollout`'s subcommands that the others do not have (pflag: unknown flag).
_OWN_FLAGS = {"rollout history": ("revision",), "rollout undo": ("to-revision",),
              "rollout status": ("revision", "watch", "timeout")}


def foreign_flag(cmd: str, opts: dict) -> str | None:
    """The first of `--revision` / `--to-revision` / `--watch` / `--timeout` given to a
    rollout subcommand without it."""
    if not cmd.startswith("rollout "):
        return None
    return next((f for f in ("revision", "to-revision", "watch", "timeout")
                 if f in opts and f not in _OWN_FLAGS.get(cmd, ())), None)


def _controlled(cluster: Cluster, obj: dict, kind: str) -> list[dict]:
    """controlledHistoryV1 / the Deployment's ReplicaSets: in the namespace, matching the
    selector, controlled by `obj`."""
    try:
        selector = from_label_selector((obj.get("spec") or {}).get("selector"))
    except SelectorError:
        return []
    uid = uid_of(obj)
    return [o for o in cluster.store.list(kind, meta(obj).get("namespace") or "")
            if selector.matches(labels_of(o)) and controller_uid(o) == uid]


def history_of(cluster: Cluster, kind: str, obj: dict) -> dict[int, tuple[dict, dict]]:
    """GetHistory: revision number -> (the revision object, its pod template)."""
    out: dict[int, tuple[dict, dict]] = {}
    if kind == "Deployment":
        for rs in _controlled(cluster, obj, "ReplicaSet"):
            n = (meta(rs).get("annotations") or {}).get(REVISION, "")
            if n.isdigit():
                out[int(n)] = (rs, template_without_hash((rs.get("spec") or {}).get("template") or {}))
        return out
    for rev in _controlled(cluster, obj, "ControllerRevision"):
        out[revision_number(rev)] = (rev, template_of(rev))
    return out


def history(cluster: Cluster, kind: str, qualified: str, obj: dict, revision: int) -> tuple[str, str]:
    """One object's `rollout history` (stdout, error message)."""
    if kind not in _ROLLOUT_KINDS:
        return "", not_implemented(kind, "history viewer")
    revs = history_of(cluster, kind, obj)
    if revision > 0:
        if revision not in revs:
            return "", "unable to find the specified revision"
        return f"{qualified} with revision #{revision}\n{describe_printer.pod_template(revs[revision][1])}\n", ""
    if not revs:
        return f"{qualified} \nNo rollout history found.\n", ""
    rows = ["REVISION\tCHANGE-CAUSE\n"]
    for n in sorted(revs):
        cause = (meta(revs[n][0]).get("annotations") or {}).get(CHANGE_CAUSE) or "<none>"
        rows.append(f"{n}\t{cause}\n")
    table = render_text("".join(rows), minwidth=0, padding=2)  # (tabbedString's tabwriter)
    return f"{qualified} \n{table}\n", ""


def _undo_target(kind: str, obj: dict, revs: dict[int, tuple[dict, dict]],
                 to_revision: int) -> tuple[dict, dict] | str:
    """The revision `undo` goes back to (findHistory / deploymentRevision): the one named, or
    the one before the newest; else kubectl's error."""
    if to_revision == 0 and len(revs) <= 1:
        if kind == "Deployment":
            return f"no rollout history found for deployment {go_quote(meta(obj)['name'])}"
        return "no last revision to roll back to"
    numbers = sorted(revs)
    target = revs[numbers[-2]] if to_revision == 0 else revs.get(to_revision)
    return target if target is not None else f"unable to find specified revision {to_revision} in history"


def _rolled_back(kind: str, obj: dict, target: tuple[dict, dict]) -> dict[str, Any]:
    """The object with the revision's template: for a Deployment also the annotations
    DeploymentRollbacker's JSON patch replaces them with."""
    new: dict[str, Any] = json_copy(obj)
    new["spec"]["template"] = json_copy(target[1])
    if kind == "Deployment":
        mine = meta(obj).get("annotations") or {}
        annotations = {k: v for k, v in mine.items() if k in ANNOTATIONS_NOT_COPIED}
        annotations.update({k: v for k, v in (meta(target[0]).get("annotations") or {}).items()
                            if k not in ANNOTATIONS_NOT_COPIED})
        if annotations:
            new["metadata"]["annotations"] = annotations
        else:  # (an empty map is no map once stored: Go's omitempty)
            new["metadata"].pop("annotations", None)
    return new


def undo(cluster: Cluster, kind: str, qualified: str, obj: dict, to_revision: int,
         dry_run: str) -> tuple[str, str]:
    """One object's `rollout undo` (stdout, error message): DeploymentRollbacker,
    StatefulSetRollbacker, DaemonSetRollbacker."""
    if kind not in _ROLLOUT_KINDS:
        return "", not_implemented(kind, "rollbacker")
    if to_revision < 0:
        return "", f"unable to find specified revision {to_revision} in history"
    found = _undo_target(kind, obj, history_of(cluster, kind, obj), to_revision)
    if isinstance(found, str):
        return "", found
    template = found[1]
    if dry_run == "client":
        if kind == "Deployment":  # (printTemplate of the ReplicaSet's template, its hash label and all)
            shown = describe_printer.pod_template((found[0].get("spec") or {}).get("template") or {})
            return f"{qualified} {shown} (dry run)\n", ""
        return f"{qualified} will roll back to {describe_printer.pod_template(template)} (dry run)\n", ""
    if kind == "Deployment" and (obj.get("spec") or {}).get("paused"):
        return "", ("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' "
                    "and try again")
    if (obj.get("spec") or {}).get("template") == template:
        return f"{qualified} skipped rollback (current template already matches revision {to_revision})\n", ""
    if dry_run == "none":
        try:
            cluster.api.update(obj, _rolled_back(kind, obj, found))
        except ApiError as e:
            return "", f"failed restoring revision {to_revision}: {e.status.status_message()}"
    return f"{qualified} rolled back{' (server dry run)' if dry_run == 'server' else ''}\n", ""


def _group(kind: str) -> str:
    info = kinds.by_kind(kind)
    return info.group if info is not None else ""


def group_kind(kind: str) -> str:
    """schema.GroupKind's String(): `Kind.group`, or `Kind` in the core group."""
    group = _group(kind)
    return f"{kind}.{group}" if group else kind


#: What kubectl's apps.GroupKindElement.Accept visits (kind_visitor.go); other kinds have no
#: history viewer or rollbacker to look for.
_VISITABLE = frozenset({("apps", "DaemonSet"), ("apps", "Deployment"), ("batch", "Job"), ("", "Pod"),
                        ("apps", "ReplicaSet"), ("", "ReplicationController"), ("apps", "StatefulSet"),
                        ("batch", "CronJob")})


def not_implemented(kind: str, helper: str) -> str:
    """HistoryViewerFor / RollbackerFor refusing `kind` (`helper`: "history viewer" or
    "rollbacker"): a kind the visitor knows has none implemented; any other is not visited."""
    group = _group(kind)
    if (group, kind) in _VISITABLE:
        return f"no {helper} has been implemented for {go_quote(group_kind(kind))}"
    what = "history" if helper == "history viewer" else helper
    return f"error retrieving {what} for {go_quote(group_kind(kind))}, no visitor method exists for {{{group} {kind}}}"


def run(cluster: Cluster, cmd: str, targets: list[tuple[Any, str, dict | None]], opts: dict,
        dry_run: str) -> tuple[str, str, int]:
    """`rollout history`, `rollout undo` or `rollout status` over the resource builder's
    (info, name, object)s: (stdout, stderr, exit code); one object's error does not stop the
    others."""
    stdout, stderr, code = "", "", 0
    timeout = 0.0
    if cmd == "rollout status":  # (pflag reads --timeout before the command runs)
        timeout, bad = rolloutstatus.timeout_of(opts.get("timeout"))
        if bad:
            return "", f"error: {bad}\nSee 'kubectl rollout status --help' for usage.\n", 1
    if cmd in ("rollout history", "rollout status") and int(opts.get("revision") or 0) < 0:  # (Validate)
        return "", f"error: revision must be a positive integer: {opts['revision']}\n", 1
    for info, name, obj in targets:
        qualified = f"{info.qualified}/{name}"
        if obj is None:
            text, msg = "", not_found_message(info, name)
        elif cmd == "rollout history":
            text, msg = history(cluster, info.kind, qualified, obj, int(opts.get("revision") or 0))
        elif cmd == "rollout status":
            if info.kind not in rolloutstatus.VIEWERS:
                text, msg = "", f"no status viewer has been implemented for {group_kind(info.kind)}"
            else:
                text, msg = rolloutstatus.status(cluster, info.kind, obj, int(opts.get("revision") or 0),
                                                 opts.get("watch", True) is not False, timeout)
        else:
            text, msg = undo(cluster, info.kind, qualified, obj, int(opts.get("to-revision") or 0), dry_run)
            if opts.get("output") and not msg:  # (undo.go prints info.Object, as read before the undo: typed)
                text = writeprint.printed([writeprint.go_typed(obj)], opts["output"], "", dry_run, typed=True)
        stdout += text
        if msg:
            stderr += f"{msg}\n" if msg.startswith("Error from server") else f"error: {msg}\n"
            code = 1
    return stdout, stderr, code
