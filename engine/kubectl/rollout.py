"""`kubectl rollout history` and `kubectl rollout undo` (kubectl v1.33,
pkg/polymorphichelpers/history.go and rollback.go) over the sets' ControllerRevisions
(engine.controllers.history) and a Deployment's ReplicaSets.

History lists the revisions the object controls (selected by its selector, controlled by
it) by number with their `kubernetes.io/change-cause`; `--revision=N` prints that revision's
pod template. Undo puts a revision's template back into a StatefulSet or DaemonSet (the
revision's `data` as a strategic merge patch: the template replaced), the previous revision
when none is named; the controller then re-uses that revision under the next number.
"""
from __future__ import annotations

from typing import Any

from engine.api.apiserver import ApiError
from engine.api.labels import SelectorError, from_label_selector
from engine.api.objects import controller_uid, labels_of, meta, uid_of
from engine.api.store import json_copy
from engine.api.wellknown import REVISION
from engine.cluster.cluster import Cluster
from engine.controllers.deployment import template_without_hash
from engine.controllers.history import revision_number, template_of
from engine.kubectl.printers import describe as describe_printer
from engine.kubectl.printers.get import not_found_message
from engine.kubectl.printers.tabwriter import render_text

CHANGE_CAUSE = "kubernetes.io/change-cause"
_HISTORY_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
_UNDO_KINDS = ("DaemonSet", "StatefulSet")


#: The flags of `rollout`'s subcommands that the others do not have (pflag: unknown flag).
_OWN_FLAGS = {"rollout history": ("revision",), "rollout undo": ("to-revision",)}


def foreign_flag(cmd: str, opts: dict) -> str | None:
    """The first of `--revision` / `--to-revision` given to a rollout subcommand without it."""
    if not cmd.startswith("rollout "):
        return None
    return next((f for f in ("revision", "to-revision") if f in opts and f not in _OWN_FLAGS.get(cmd, ())), None)


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
    if kind not in _HISTORY_KINDS:
        return "", f"no history viewer has been implemented for {kind!r}"
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


def undo(cluster: Cluster, kind: str, qualified: str, obj: dict, to_revision: int,
         dry_run: str) -> tuple[str, str]:
    """One object's `rollout undo` (stdout, error message): StatefulSetRollbacker /
    DaemonSetRollbacker."""
    if kind not in _UNDO_KINDS:
        return "", f"svcflow does not roll back {kind}s yet (it rolls back StatefulSets and DaemonSets)"
    if to_revision < 0:
        return "", f"unable to find specified revision {to_revision} in history"
    revs = history_of(cluster, kind, obj)
    if to_revision == 0 and len(revs) <= 1:
        return "", "no last revision to roll back to"
    numbers = sorted(revs)
    target: tuple[dict, dict] | None
    if to_revision == 0:  # findHistory: the revision before the newest
        target = revs[numbers[-2]]
    else:
        target = revs.get(to_revision)
    if target is None:
        return "", f"unable to find specified revision {to_revision} in history"
    template = target[1]
    if dry_run == "client":
        return f"{qualified} will roll back to {describe_printer.pod_template(template)} (dry run)\n", ""
    if (obj.get("spec") or {}).get("template") == template:
        return f"{qualified} skipped rollback (current template already matches revision {to_revision})\n", ""
    new: dict[str, Any] = json_copy(obj)
    new["spec"]["template"] = json_copy(template)
    if dry_run == "none":
        try:
            cluster.api.update(obj, new)
        except ApiError as e:
            return "", f"failed restoring revision {to_revision}: {e.status.status_message()}"
    return f"{qualified} rolled back{' (server dry run)' if dry_run == 'server' else ''}\n", ""


def run(cluster: Cluster, cmd: str, targets: list[tuple[Any, str, dict | None]], opts: dict,
        dry_run: str) -> tuple[str, str, int]:
    """`rollout history` or `rollout undo` over the resource builder's (info, name, object)s:
    (stdout, stderr, exit code); one object's error does not stop the others."""
    stdout, stderr, code = "", "", 0
    if cmd == "rollout history" and int(opts.get("revision") or 0) < 0:  # (RolloutHistoryOptions.Validate)
        return "", f"error: revision must be a positive integer: {opts['revision']}\n", 1
    for info, name, obj in targets:
        if obj is None:
            text, msg = "", not_found_message(info, name)
        elif cmd == "rollout history":
            text, msg = history(cluster, info.kind, f"{info.qualified}/{name}", obj, int(opts.get("revision") or 0))
        else:
            text, msg = undo(cluster, info.kind, f"{info.qualified}/{name}", obj, int(opts.get("to-revision") or 0),
                             dry_run)
        stdout += text
        if msg:
            stderr += f"{msg}\n" if msg.startswith("Error from server") else f"error: {msg}\n"
            code = 1
    return stdout, stderr, code
