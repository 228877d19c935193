"""What the `:` prompt and the object keys run: pane jumps, the `/` filter, kubectl and
the session's commands (`engine.kubectl.session`), describe/YAML pop-ups, scale, delete,
readiness and `$EDITOR`. Output goes to the terminal pane, whole, and its first line to
the status line; the engine then runs what the command set off and the panes follow.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Callable

from textual.app import App, SuspendNotSupported

from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session
from tui.panes import FOCUS_WIDGET, EventsPane, LogPane, TerminalPane
from tui.screens import TextScreen
from tui.selection import Selection
from tui.widgets.chrome import StatusLine

#: Words the `:` prompt completes (besides the names of objects in the namespace).
VERBS = ("kubectl", "trace", "dig", "curl", "wget", "telnet", "nslookup", "exit", "generate", "docker",
         "po", "svc", "ep", "dns", "proxy", "events")
KUBECTL_VERBS = ("get", "describe", "explain", "scale", "delete", "label", "rollout", "exec", "apply", "logs", "drain",
                 "cordon", "uncordon", "create", "run", "expose")
KINDS = {"pods": "Pod", "services": "Service", "endpoints": "Endpoints", "endpointslices": "EndpointSlice",
         "deployments": "Deployment", "replicasets": "ReplicaSet", "daemonsets": "DaemonSet",
         "statefulsets": "StatefulSet", "networkpolicies": "NetworkPolicy",
         "nodes": "Node", "namespaces": "Namespace", "configmaps": "ConfigMap"}
#: `kind/name` prefixes completed to the names of that kind.
KIND_PREFIXES = {"pod": "Pod", "po": "Pod", "pods": "Pod", "svc": "Service", "service": "Service",
                 "ep": "Endpoints", "endpoints": "Endpoints", "deploy": "Deployment", "deployment": "Deployment",
                 "rs": "ReplicaSet", "ds": "DaemonSet", "sts": "StatefulSet", "statefulset": "StatefulSet",
                 "netpol": "NetworkPolicy", "node": "Node", "no": "Node", "ns": "Namespace"}
PANES = {"po": "pods", "pods": "pods", "pod": "pods", "svc": "services", "services": "services",
         "ep": "endpoints", "endpoints": "endpoints", "proxy": "proxy", "dns": "dns", "events": "events",
         "terminal": "terminal", "term": "terminal"}
#: The kind of the object a table's selected row is.
TABLE_KINDS = {"pods-table": "Pod", "services-table": "Service", "endpoints-table": "Endpoints"}
#: Objects a completion offers at most (a prompt at 100,000 pods completes from the first ones).
COMPLETE_OBJECTS = 500


class Commands:
    """The app's commands; `app.session` is the `:` prompt's shell session, made on first use."""

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def selection(self) -> Selection:
        return self.app.selection

    # -- completion ---------------------------------------------------------------------------
    def completions(self, text: str) -> list[str]:
        """What may follow `text` in the `:` prompt: a verb first, then kubectl's verbs,
        kinds, `kind/name` and the names of objects in the namespace shown; after a `-`, the
        flags svcflow's kubectl VERB honours."""
        words = text.split(" ")
        word = words[-1]
        before = [w for w in words[:-1] if w]
        if not before:
            return list(VERBS)
        if before == ["kubectl"]:
            return list(KUBECTL_VERBS)
        if word.startswith("-") and before[0] == "kubectl" and len(before) >= 2:
            return list(kubectl.VERB_FLAGS.get(before[1], ()))
        ns = self.app.namespace
        if "/" in word:
            prefix = word.split("/", 1)[0]
            kind = KIND_PREFIXES.get(prefix)
            if kind is None:
                return []
            namespace = None if kind in ("Node", "Namespace") else ns
            return [f"{prefix}/{o['metadata']['name']}" for o in self._objects(kind, namespace)]
        names: list[str] = []
        if len(before) == 2 and before[0] == "kubectl":
            names += list(KINDS)
        if before[0] in ("kubectl", "trace", "dig", "curl", "wget", "telnet", "nslookup"):
            for kind in ("Pod", "Service", "Deployment"):
                names += [o["metadata"]["name"] for o in self._objects(kind, ns)]
        return names

    def _objects(self, kind: str, namespace: str | None) -> list[dict]:
        return list(islice(self.app.workspace.cluster.store.list(kind, namespace), COMPLETE_OBJECTS))

    # -- the prompt ---------------------------------------------------------------------------
    def run(self, text: str) -> None:
        """The `:` prompt: pane jumps, filters and kubectl/session commands. Attached to a
        real cluster only the lines that read run (every way a line arrives comes here: the
        prompt, the tour, `run_command`)."""
        app = self.app
        text = text.lstrip(":").strip()
        if not text:
            return
        refusal = attached_refusal(text, app.workspace) if app.read_only else None
        if refusal is not None:
            self.output(kubectl.Output(stdout=refusal + "\n"), title=text, settle=False)
            return
        queries = app.workspace.events_queries(text) if app.read_only else []
        if queries:  # (attached: the events it prints are read first, as kubectl reads them)
            app.run_worker(self._with_events(queries, partial(self._run, text)), group="events")
            return
        self._run(text)

    async def _with_events(self, queries: list, then: Callable[[], None]) -> None:
        """Read the events a command prints (attached), then run it; a list that fails is
        said on the status line, and the command prints without it, as kubectl's describe."""
        try:
            read = await self.app.workspace.read_events(queries)
        except Exception as e:  # noqa: BLE001 - a failed read must not end the app: print without it
            self.app.notify(f"events: {type(e).__name__}: {e}", severity="warning")
        else:
            line = read.refusal() or read.problem()
            if line:
                self.app.notify(f"events: {line}", severity="warning")
        then()

    def _run(self, text: str) -> None:
        """`run`, once what it needs is read."""
        app = self.app
        if text.startswith("/"):
            pattern = text[1:]
            try:
                app.filter_re = re.compile(pattern, re.I) if pattern else None
            except re.error as exc:
                app.notify(f"bad filter: {exc}", severity="error")
                return
            app.refresh_panes(refilter=not app.deterministic)
            return
        word = text.split()[0]
        if text.startswith("xray"):
            app.query_one("#services-table").focus()
            return
        if word in PANES and len(text.split()) == 1:
            app.query_one(FOCUS_WIDGET[PANES[word]]).focus()
            return
        self.session()
        before = app.session.prompt
        try:
            answer = app.session.feed(text)
        except Exception as exc:  # noqa: BLE001 - a command the engine trips over must not end the app
            answer = f"svcflow: {text!r} failed: {type(exc).__name__}: {exc}\n"
            app.session.shell = None
        # (deterministic, the session ran the line's consequences to the end; else the driver
        # runs them a budget at a time: `scale --replicas=100000` froze the screen ~20 s)
        self.output(kubectl.Output(stdout=answer), title=f"{before}{text}", settle=not app.deterministic)

    def session(self) -> Session:
        """The `:` prompt's shell session, made on first use; the served API's exec and logs
        reach the same pods' processes (`Session.net`), so both see the same shells and
        counters."""
        app = self.app
        if app.session is None:
            base = app.paths[0] if app.paths and app.paths[0].is_dir() else Path.cwd()
            app.session = Session(app.workspace.cluster, cwd=base, settle=app.deterministic,
                                  driven=not app.deterministic)
        return app.session

    def terminal(self) -> LogPane:
        """Where command output goes: the terminal pane (the events pane in a tour, whose
        events pane is its terminal)."""
        return self.app.query_one(TerminalPane if self.app.player.log_flow else EventsPane)

    def output(self, out: kubectl.Output, title: str | None = None, settle: bool = True) -> None:
        """A command's output, whole, in the terminal pane after the command line (the
        session's transcript, as a terminal keeps it); the status line repeats its first
        line and says how many more the terminal holds."""
        app = self.app
        text = (out.warnings + out.stdout + out.stderr).rstrip("\n")
        lines = text.splitlines()
        self.terminal().transcript(title, lines)
        shown = lines[0] if lines else ""
        if len(lines) > 1:
            shown += f"  (+{len(lines) - 1} → {app.tr('Terminal')})"
        if app.session is not None and app.session.shell is not None:
            shown = f"[in pod {app.session.shell.pod['metadata']['name']}: {app.session.prompt.strip()}] {shown}"
        app.query_one(StatusLine).say(shown)
        if settle:
            app.driver.after_command()
        if not app.animate_flow:
            app.player.drain()
        app.refresh_panes()

    # -- the object keys ------------------------------------------------------------------------
    def focused_object(self) -> tuple[str, str, str] | None:
        """(kind, namespace, name) of the row selected in the focused table."""
        focused = self.app.focused
        kind = TABLE_KINDS.get(getattr(focused, "id", "") or "")
        if kind is None:
            return None
        sel = self.selection.selected(focused.id)  # type: ignore[union-attr]
        return (kind, *sel) if sel else None

    def describe(self) -> None:
        obj = self.focused_object()
        if obj:
            kind, ns, name = obj
            show = partial(self._describe, kind, ns, name)
            line = f"kubectl describe {kind.lower()}/{name} -n {ns or 'default'}"
            queries = self.app.workspace.events_queries(line) if self.app.read_only else []
            if queries:  # (attached: its events are read first, as kubectl reads them)
                self.app.run_worker(self._with_events(queries, show), group="events")
            else:
                show()

    def _describe(self, kind: str, ns: str, name: str) -> None:
        out = kubectl.describe(self.app.workspace.cluster, [f"{kind.lower()}/{name}"], namespace=ns)
        self.app.push_screen(TextScreen(f"describe {kind.lower()}/{name}", out.stdout or out.stderr))

    def yaml(self) -> None:
        obj = self.focused_object()
        if obj:
            kind, ns, name = obj
            out = kubectl.get(self.app.workspace.cluster, [f"{kind.lower()}/{name}"], namespace=ns, output="yaml")
            self.app.push_screen(TextScreen(f"{kind.lower()}/{name} (yaml)", out.stdout or out.stderr))

    def scale(self, delta: int) -> None:
        """Scale the owner of the pod selected (with the Pods pane focused) by `delta`."""
        sel = self.selection.selected("pods-table") if getattr(self.app.focused, "id", "") == "pods-table" else None
        out = kubectl.scale_owner_of_pod(self.app.workspace.cluster, *sel, delta) if sel else None
        if out is not None:
            owner = kubectl.owner_deployment(self.app.workspace.cluster, *sel) if sel else None
            if owner is not None and not out.code and owner["spec"].get("replicas") == 0:
                # (its pods' rows go, and `s` then scales the row selected next: say how back)
                name = owner["metadata"]["name"]
                out.stdout += (self.app.tr("{name} has no pods now: s scales the Deployment of the pod selected; "
                                           ":kubectl scale deploy/{name} --replicas=1 brings it back")
                               .format(name=name) + "\n")
            self.output(out)

    def delete_pod(self) -> None:
        sel = self.selection.selected("pods-table")
        if sel:
            self.output(kubectl.delete(self.app.workspace.cluster, [f"pod/{sel[1]}"], namespace=sel[0]))

    def toggle_ready(self) -> None:
        sel = self.selection.selected("pods-table")
        if sel:
            self.output(kubectl.toggle_readiness(self.app.workspace.cluster, *sel))

    def edit(self) -> None:
        """Open the focused object's manifest in $EDITOR, then reload."""
        app = self.app
        obj = self.focused_object()
        if not obj:
            return
        src = app.workspace.applied.get(obj)
        editor = os.environ.get("EDITOR")
        if not src or not editor:
            app.notify("set $EDITOR to edit manifests" if not editor else "this object has no manifest file")
            return
        try:
            argv = [*shlex.split(editor), src]  # no shell: a file named `$(rm -rf ~).yaml` stays a name
        except ValueError:
            app.notify(f"cannot read $EDITOR: {editor!r}")
            return
        try:
            with app.suspend():
                try:
                    subprocess.run(argv, check=False)
                except OSError as e:
                    app.notify(f"could not start the editor: {e}")
        except SuspendNotSupported:  # a browser (svcflow web) or a test has no terminal to hand over
            app.notify("editing needs svcflow running in a terminal")
            return
        app.reload_manifests()


#: What the `:` prompt still answers when attached read-only: pane jumps and filters, and
#: the commands that only read (the rest would write, or need the simulation's processes).
READ_ONLY_KUBECTL = frozenset({"get", "describe", "explain", "api-resources", "api-versions", "version"})


def attached_refusal(text: str, workspace) -> str | None:
    """What the `:` prompt answers instead of running `text` on an attached cluster, or None
    when the line only reads. A write gets the workspace's read-only line; `exec` and `logs`
    would need the containers' own processes, which svcflow does not reach."""
    if reads_only(text):
        return None
    words = text.lstrip(":").split()
    verb = next((w for w in words[1:] if not w.startswith("-")), "") if words[:1] == ["kubectl"] else ""
    if verb in ("exec", "logs"):
        return (f"svcflow does not reach the processes of an attached cluster's pods (it only reads its objects): "
                f"use kubectl {verb}")
    return workspace.read_only_line()


def reads_only(text: str) -> bool:
    """Whether a `:` line only reads (see READ_ONLY_KUBECTL)."""
    text = text.lstrip(":").strip()
    if not text or text.startswith(("/", "xray")):
        return True
    try:
        words = shlex.split(text)
    except ValueError:
        return False
    if len(words) == 1 and words[0] in PANES:
        return True
    if words[0] == "kubectl":
        rest = kubectl.global_flags_after_verb(words[1:])  # (`kubectl -n other get po`: the verb is `get`)
        return bool(rest) and rest[0] in READ_ONLY_KUBECTL
    return words[0] in ("dig", "trace")
