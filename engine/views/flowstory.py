"""The flow diagram's stories: the engine's flow events regrouped the way a person tells them.

The controllers report what they do as it happens, so one change to a Service arrives
interleaved (1,2,1,2,3,3,3,4,4: the Endpoints and EndpointSlice controllers race, kube-proxy
reports once per node, CoreDNS often reports a PTR or endpoint record last). A learner
needs the tutorial's order instead: the pod IPs collected, the addresses written, each
node's kube-proxy, then the Service's name in CoreDNS. This module groups the events by
Service and change into `ServiceStory`s, and a pod's connection (its DNS query, then the
packet through the node's rules) into a `TrafficStory`. Each story cuts itself into
`Beat`s, the units the diagram plays one at a time.

Only the engine's own values are used: IPs, chain names and records are read from the
events' `data` (or from their trace lines, which `engine.net.network.Trace.lines` writes).
The events themselves are never changed: the Events pane keeps the raw interleaved log.
Pure data and functions; no Textual.

Captions are `Phrase`s, not finished sentences: an English template with named slots
(`"③ kube-proxy on {node} ({mode}): {summary} ({rules} rules)"`) and the engine's values
for them. The English template is the message id: the TUI renders a phrase through its
translator (`tui.i18n`), which swaps the template for the talk's language, and fills the
slots with the values untouched. So the engine knows no UI language and a translation can
never alter an IP, a chain name or a record; `Beat.caption` is the English rendering
(the CLI's and the tests' form).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Union

from engine.cluster.events import STEP_COLLECT, STEP_DNS, STEP_ENDPOINTS, STEP_PROXY, FlowEvent
from engine.controllers.servicepods import SLICE_CONTROLLER

#: Stories a `StoryBook` keeps: a demo's worth; a bulk change of 10,000 Services keeps its last ones.
KEEP_STORIES = 200

_RECORD = re.compile(r"^CoreDNS (?P<verb>serves|no longer serves) (?P<name>\S+) -> (?P<value>\S+)(?: \((?P<rtype>\w+)\))?$")
_DNS_LINE = re.compile(r"^\s*dns\s+(?P<name>\S+): (?P<answer>.*)$")
_COMMENT_SVC = re.compile(r'--comment "?(?P<svc>[^" :]+/[^" :]+)')


@dataclass(frozen=True)
class Phrase:
    """A caption as data: an English template (also the key a translation is looked up
    by) and the values of its `{slots}`; a value may itself be a Phrase (a fixed word
    such as "no ready pod" that needs translating too)."""

    template: str
    args: tuple[tuple[str, object], ...] = ()

    def render(self, tr=None) -> str:
        """The sentence: `tr` maps a template to the talk's language (identity: English)."""
        tr = tr or (lambda s: s)
        vals = {k: (v.render(tr) if isinstance(v, Phrase) else v) for k, v in self.args}
        return tr(self.template).format(**vals)

    def __str__(self) -> str:
        return self.render()


def P(template: str, **args: object) -> Phrase:
    return Phrase(template, tuple(args.items()))


def join_and(items: list) -> Phrase:
    """`a, b and c` with the conjunction translatable; items are engine values or Phrases."""
    if len(items) <= 1:
        return P("{a}", a=items[0] if items else "")
    if len(items) == 2:
        return P("{a} and {b}", a=items[0], b=items[1])
    return P("{a}, {b}", a=items[0], b=join_and(items[1:]))


@dataclass(frozen=True)
class DnsRecord:
    """One record CoreDNS started or stopped serving, as its event names it."""

    name: str
    rtype: str
    value: str
    added: bool = True

    @property
    def is_ptr(self) -> bool:
        return self.rtype == "PTR"

    def line(self) -> str:
        """`redis.default.svc.cluster.local A 10.96.35.62` (dig's order: name, type, value)."""
        return f"{self.name} {self.rtype} {self.value}"


def parse_record(line: str) -> DnsRecord | None:
    """A record from CoreDNS's event line (`ZoneRecord.describe`: `NAME -> VALUE`, with
    `(TYPE)` unless the record is an address); None for lines of another form."""
    m = _RECORD.match(line.strip())
    if m is None:
        return None
    value = m["value"]
    rtype = m["rtype"] or ("AAAA" if ":" in value else "A")
    return DnsRecord(m["name"], rtype, value, m["verb"] == "serves")


def main_record(namespace: str, name: str, records: Iterable[DnsRecord]) -> DnsRecord | None:
    """The record a learner looks for: `NAME.NS.svc.<zone>` itself (its ClusterIP, or the
    pods of a headless Service), never a PTR or an endpoint's own name when it is there."""
    prefix = f"{name}.{namespace}.svc."
    recs = list(records)
    own = [r for r in recs if r.name.startswith(prefix) and not r.is_ptr and r.rtype != "SRV"]
    if own:
        return own[0]
    return None


@dataclass(frozen=True)
class NodeSync:
    """What kube-proxy on one node wrote for the story's Service (step 3)."""

    node: str
    mode: str
    svc_chain: str | None  # KUBE-SVC-… when this sync wrote it (iptables, one Service changed)
    sep_chains: tuple[str, ...]  # the KUBE-SEP-… written with it
    written: int
    deleted: int
    rules: int
    items: tuple[str, ...] = ()  # ipvs virtual servers / nftables chains written
    event: FlowEvent | None = None

    def summary(self, tr=None) -> str:
        """`KUBE-SVC-OKJC… → 2 × KUBE-SEP` or the mode's own count."""
        return self.summary_phrase().render(tr)

    def summary_phrase(self) -> Phrase:
        if self.svc_chain:
            return P("{chain} → {n} × KUBE-SEP", chain=self.svc_chain, n=len(self.sep_chains))
        if self.mode == "ipvs":
            return P("{n} virtual servers written, {d} deleted", n=self.written, d=self.deleted)
        return P("{n} chains written, {d} deleted", n=self.written, d=self.deleted)


def node_sync(ev: FlowEvent, services: int = 1) -> NodeSync:
    """Read a kube-proxy `synced` event (engine/controllers/kubeproxy.py's `data`)."""
    d = ev.data
    written = list(d.get("written") or [])
    mode = str(d.get("mode", ""))
    svc = sep = None
    if mode == "iptables" and services == 1:
        svcs = [c for c in written if c.startswith("KUBE-SVC-")]
        svc = svcs[0] if len(svcs) == 1 else None
        sep = tuple(dict.fromkeys(c for c in written if c.startswith("KUBE-SEP-")))
    return NodeSync(node=str(d.get("node", "")), mode=mode, svc_chain=svc, sep_chains=sep or (),
                    written=len(set(written)), deleted=len(d.get("deleted") or []), rules=int(d.get("rules", 0)),
                    items=tuple(written) if mode != "iptables" else (), event=ev)


@dataclass(frozen=True)
class Beat:
    """One unit the diagram plays: a step of a Service story, or a leg of a connection."""

    step: int  # 1-4 for a Service story; 11-15 for traffic (see TRAFFIC_*)
    text: Phrase
    events: tuple[FlowEvent, ...]
    node: str | None = None  # step 3: the node whose box lights

    @property
    def caption(self) -> str:
        """The caption in English (`text.render(tr)` for another language)."""
        return self.text.render()

    @property
    def last_seq(self) -> int:
        return max((e.seq for e in self.events), default=-1)


# Traffic legs, in the order a connection makes them.
TRAFFIC_QUERY, TRAFFIC_ANSWER, TRAFFIC_CLUSTERIP, TRAFFIC_DNAT, TRAFFIC_POD = 11, 12, 13, 14, 15


class _Story:
    """What every story has: its events, and where they sit in the engine's log."""

    @property
    def events(self) -> list[FlowEvent]:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def first_seq(self) -> int:
        return min(e.seq for e in self.events)

    @property
    def last_seq(self) -> int:
        return max(e.seq for e in self.events)


@dataclass
class ServiceStory(_Story):
    """One change to one Service, told in the tutorial's order."""

    namespace: str
    name: str
    collected: list[FlowEvent] = field(default_factory=list)  # step 1
    written: list[FlowEvent] = field(default_factory=list)  # step 2
    proxies: list[FlowEvent] = field(default_factory=list)  # step 3, one per node
    dns: list[FlowEvent] = field(default_factory=list)  # step 4
    known_record: DnsRecord | None = None  # the main record from an earlier story (unchanged since)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def events(self) -> list[FlowEvent]:
        return self.collected + self.written + self.proxies + self.dns

    @property
    def max_step(self) -> int:
        return max((e.step or 0 for e in self.events), default=0)

    def ips(self) -> tuple[list[str], list[str]]:
        """The ready and not-ready pod IPs the controllers collected (the last report wins:
        both controllers read the same pods). Observed in a real cluster's watch, step 1 is
        the Service arriving, which says nothing of its pods: the addresses are the ones the
        EndpointSlices written hold (`observed_ips`)."""
        if self.observed():
            return self.observed_ips()
        ready: list[str] = []
        not_ready: list[str] = []
        for e in self.collected:
            ready = list(e.data.get("ready") or [])
            if "notReady" in e.data:
                not_ready = list(e.data.get("notReady") or [])
        return ready, not_ready

    def objects_written(self, tr=None) -> list[str]:
        """`Endpoints redis`, `EndpointSlice redis-vm247` (what step 2 wrote, or deleted)."""
        return [p.render(tr) for p in self.objects_phrases()]

    def objects_phrases(self) -> list[Phrase]:
        out: list[Phrase] = []
        for e in self.written:
            if e.kind == "Endpoints":
                out.append(P("Endpoints {name} (deleted)" if e.verb == "deleted" else "Endpoints {name}", name=e.name))
            for s in e.data.get("slices") or ():
                out.append(P("EndpointSlice {name}", name=s))
        return list(dict.fromkeys(out))

    def node_syncs(self) -> list[NodeSync]:
        """Step 3, one per node, in the order the nodes reported (the last report of a node wins)."""
        by_node: dict[str, NodeSync] = {}
        for e in self.proxies:
            ns = node_sync(e, len(e.data.get("services") or [self.key]))
            by_node.pop(ns.node, None)
            by_node[ns.node] = ns
        return list(by_node.values())

    def records(self) -> list[DnsRecord]:
        out = []
        for e in self.dns:
            for line in e.data.get("records") or ():
                r = parse_record(str(line))
                if r is not None:
                    out.append(r)
        return out

    def record(self) -> tuple[DnsRecord | None, bool]:
        """The Service's main record and whether this story changed it (False: it is the
        one an earlier story served, unchanged)."""
        r = main_record(self.namespace, self.name, self.records())
        if r is not None:
            return r, True
        return self.known_record, False

    def serving(self) -> str | None:
        """CoreDNS's `serving`/`unreachable` line, for kube-dns's own stories."""
        for e in reversed(self.dns):
            if e.verb in ("serving", "unreachable"):
                return e.detail
        return None

    def observed(self) -> bool:
        """Whether step 2 was seen in a real cluster's watch (engine/attach) rather than
        simulated: the real controller's name, `endpointslice-controller.k8s.io`, is the
        event's author (the simulation's controllers report as `endpointslice-controller`)."""
        return bool(self.written) and all(e.controller == SLICE_CONTROLLER for e in self.written)

    def observed_ips(self) -> tuple[list[str], list[str]]:
        """The ready and not-ready addresses the observed EndpointSlices hold now (the last
        write of each slice wins), each once."""
        ready: dict[str, list[str]] = {}
        not_ready: dict[str, list[str]] = {}
        for e in self.written:
            for name in e.data.get("slices") or ():
                ready[name] = list(e.data.get("ready") or [])
                not_ready[name] = list(e.data.get("notReady") or [])
        return (list(dict.fromkeys(ip for addrs in ready.values() for ip in addrs)),
                list(dict.fromkeys(ip for addrs in not_ready.values() for ip in addrs)))

    def _observed_write(self) -> Phrase:
        """Step 2 as it was observed: which EndpointSlices the real controller wrote, how long
        after the Service was added svcflow saw it (when this story saw the Service added),
        and the ready addresses they hold now."""
        ips, _ = self.observed_ips()
        added = self.collected[0] if self.collected and self.collected[0].verb == "added" else None
        if added is not None:
            secs = max(0.0, (self.written[0].time - added.time).total_seconds())
            when = P("{seconds} s after the Service was added", seconds=f"{secs:.1f}")
        else:
            when = P("(watch event)")
        return P("② {objects} written by {controller} {when}: {ips}", objects=join_and(self.objects_phrases()),
                 controller=SLICE_CONTROLLER, when=when, ips=", ".join(ips) if ips
                 else P("no ready address"))

    def beats(self) -> list[Beat]:
        """1 → 2 → 3 (one beat per node) → 4: the steps this change went through."""
        out: list[Beat] = []
        ready, not_ready = self.ips()
        first = self.collected[0] if self.collected else None
        if first is not None and first.verb == "added" and first.data.get("created"):
            # attached to a real cluster (engine/attach): step 1 is the Service arriving in the watch
            out.append(Beat(STEP_COLLECT, P("① Service {name} added (created {created})", name=self.name,
                                            created=first.data["created"]), tuple(self.collected)))
        elif self.collected:
            ips = ", ".join(ready) if ready else P("no ready pod")
            nr = P(" (not ready: {ips})", ips=", ".join(not_ready)) if not_ready else ""
            out.append(Beat(STEP_COLLECT, P("① Endpoint controller collects the pod IPs of Service {name}: {ips}{nr}",
                                            name=self.name, ips=ips, nr=nr), tuple(self.collected)))
        if self.written and self.observed():
            out.append(Beat(STEP_ENDPOINTS, self._observed_write(), tuple(self.written)))
        elif self.written:
            out.append(Beat(STEP_ENDPOINTS, P("② The controllers write {objects}: {ips}",
                                              objects=join_and(self.objects_phrases()),
                                              ips=", ".join(ready) if ready else P("no ready address")),
                            tuple(self.written)))
        for ns in self.node_syncs():
            out.append(Beat(STEP_PROXY, P("③ kube-proxy on {node} ({mode}): {summary} ({rules} rules)", node=ns.node,
                                          mode=ns.mode, summary=ns.summary_phrase(), rules=ns.rules),
                            (ns.event,) if ns.event else (), node=ns.node))
        if self.dns:
            rec, changed = self.record()
            serving = self.serving()
            if serving:
                text = P("④ CoreDNS: {detail}", detail=serving)
            elif rec is not None and changed:
                text = P("④ CoreDNS serves {record}" if rec.added else "④ CoreDNS no longer serves {record}",
                         record=rec.line())
            elif rec is not None:  # only endpoint/PTR names changed: the Service's own name stands
                others = [r for r in self.records() if not r.is_ptr]
                extra = (P("; adds {record}" if others[0].added else "; drops {record}", record=others[0].line())
                         if others else "")
                text = P("④ CoreDNS still serves {record}{extra}", record=rec.line(), extra=extra)
            else:
                text = P("④ CoreDNS: {detail}", detail=self.dns[-1].detail)
            out.append(Beat(STEP_DNS, text, tuple(self.dns)))
        return out


@dataclass
class TrafficStory(_Story):
    """One connection: the client's DNS query (when it named a Service), then the packet
    through its node's rules to a pod. Read from the `network` controller's traces."""

    client: str
    target: str
    query: FlowEvent | None = None  # the connection to the cluster DNS (port 53)
    conn: FlowEvent | None = None  # the connection itself
    lookup: FlowEvent | None = None  # a lookup no connection follows (nslookup, dig): CoreDNS's `lookup` event

    @property
    def events(self) -> list[FlowEvent]:
        return [e for e in (self.query, self.lookup, self.conn) if e is not None]

    @property
    def is_lookup(self) -> bool:
        """A lookup on its own (nslookup, dig): query and answer, no packet after it."""
        return self.lookup is not None and self.conn is None

    @property
    def key(self) -> str:
        return self.service() or self.target

    def _lines(self) -> list[str]:
        return list(self.conn.data.get("trace") or []) if self.conn else []

    def dns_answer(self) -> tuple[str, str] | None:
        """(name asked, answer) from the trace's last `dns` line: the search list's hit
        (for a lookup on its own: from CoreDNS's `lookup` event)."""
        if self.lookup is not None:
            d = self.lookup.data
            return str(d.get("name", "")), ", ".join(d.get("answers") or []) or str(d.get("error") or "no answer")
        found = None
        for line in self._lines():
            m = _DNS_LINE.match(line)
            if m:
                found = (m["name"], m["answer"])
                if "NOERROR" in m["answer"]:
                    break
        return found

    def dns_server(self) -> str | None:
        """The CoreDNS pod address the query was DNATed to (`10.244.0.2:53`)."""
        return (self.query.data.get("dnat") or None) if self.query else None

    def timed_out(self) -> bool:
        """The lookup got no answer: no CoreDNS pod behind kube-dns."""
        return self.lookup is not None and not self.lookup.data.get("coredns") and \
            str(self.lookup.data.get("error", "")).startswith("timed out")

    def matched(self, prefix: str) -> str | None:
        """The first chain of that prefix a matched rule jumped to."""
        for line in self._lines():
            if line.lstrip().startswith("match") and f"-j {prefix}" in line:
                return prefix + line.split(f"-j {prefix}", 1)[1].split()[0]
        return None

    def service(self) -> str | None:
        """`default/redis`: the Service whose rule the packet matched (its rule comment)."""
        for line in self._lines():
            if line.lstrip().startswith("match") and ("-j KUBE-SVC-" in line or "-j KUBE-EXT-" in line):
                m = _COMMENT_SVC.search(line)
                if m:
                    return m["svc"]
        return None

    @property
    def data(self) -> dict:
        return dict(self.conn.data) if self.conn else {}

    def outside(self) -> bool:
        return self.client == "outside"

    def result(self) -> str:
        for line in reversed(self._lines()):
            if line.strip().startswith("result:"):
                return line.strip().removeprefix("result: ")
        return str(self.data.get("outcome", ""))

    def beats(self) -> list[Beat]:
        """DNS query → answer → packet to the ClusterIP (or the NodePort) → DNAT → the pod."""
        out: list[Beat] = []
        d = self.data
        ans = self.dns_answer()
        who = self.client.split("/", 1)[-1]
        if ans is not None:
            server = self.dns_server()
            q = (self.query,) if self.query else ()
            a = (self.lookup,) if self.lookup else q
            tool = str(self.lookup.data.get("tool", "")) if self.lookup else ""
            out.append(Beat(TRAFFIC_QUERY, P("⇢ {who} asks CoreDNS{server} for {name}", who=who + (f" ({tool})" if tool else ""),
                                             server=f" ({server})" if server else "", name=ans[0]), q or a))
            if self.timed_out():
                out.append(Beat(TRAFFIC_ANSWER, P("⇠ no answer from {server}:53: {error}",
                                                  server=str(self.lookup.data.get("server", "")),
                                                  error=_unwrapped(str(self.lookup.data.get("error", ""))
                                                                   .removeprefix("timed out "))), a))
            else:
                out.append(Beat(TRAFFIC_ANSWER, P("⇠ CoreDNS answers {name}: {answer}", name=ans[0], answer=ans[1]), a))
        if self.is_lookup:
            return out
        node = d.get("node") or None
        if node:
            svc = self.matched("KUBE-SVC-")
            ext = self.matched("KUBE-EXT-")
            path = " → ".join(c for c in (ext, svc) if c) or P("no Service chain")
            where = P("NodePort {target} on {node}" if self.outside() else "{target} on {node}",
                      target=self.target, node=node)
            out.append(Beat(TRAFFIC_CLUSTERIP, P("⇢ packet to {where} ({mode}): {path}", where=where,
                                                 mode=self._mode(), path=path),
                            (self.conn,) if self.conn else (), node=node))
            dnat = d.get("dnat")
            sep = self.matched("KUBE-SEP-")
            out.append(Beat(TRAFFIC_DNAT, P("⇢ {sep} DNAT → {dnat}", sep=sep or "kube-proxy", dnat=dnat) if dnat else
                            P("⇢ no DNAT: {result}", result=self.result()), (self.conn,) if self.conn else (), node=node))
        pod = d.get("pod")
        reached = pod and not d.get("policy")  # (a NetworkPolicy drops the packet before the pod: the result names both)
        out.append(Beat(TRAFFIC_POD, P("⇢ reached pod {pod}: {result}", pod=pod, result=self.result()) if reached
                        else P("⇢ {result}", result=self.result()), (self.conn,) if self.conn else ()))
        return out

    def _mode(self) -> str:
        for line in self._lines():
            s = line.strip()
            if s.startswith("node ") and "(" in s:
                return s.rsplit("(", 1)[1].rstrip(")")
        return ""


Story = Union[ServiceStory, TrafficStory]


def _is_dns_query(ev: FlowEvent) -> bool:
    lines = ev.data.get("trace") or []
    return bool(lines) and str(lines[0]).endswith(":53") and not any(_DNS_LINE.match(str(l)) for l in lines)


@dataclass
class StoryBook:
    """Stories built as the events come (`add`), newest last; a change opens a new story
    when a step-1 or step-2 event of its Service arrives after that Service's story has
    reached kube-proxy or CoreDNS."""

    keep: int = KEEP_STORIES
    stories: list[Story] = field(default_factory=list)
    _open: dict[str, ServiceStory] = field(default_factory=dict)
    _records: dict[str, DnsRecord] = field(default_factory=dict)  # Service -> its main record
    _pending_query: dict[str, FlowEvent] = field(default_factory=dict)  # client -> its DNS query
    dropped: int = 0

    def extend(self, events: Iterable[FlowEvent]) -> "StoryBook":
        for ev in events:
            self.add(ev)
        return self

    def add(self, ev: FlowEvent) -> None:
        if ev.verb == "connect" and ev.controller == "network":
            self._add_traffic(ev)
        elif ev.verb == "lookup" and ev.controller == "coredns":
            self._add_lookup(ev)
        elif ev.step in (STEP_COLLECT, STEP_ENDPOINTS, STEP_PROXY, STEP_DNS):
            self._add_step(ev)

    def _story_for(self, ns: str, name: str, step: int) -> ServiceStory:
        key = f"{ns}/{name}"
        story = self._open.get(key)
        if story is None or (step <= STEP_ENDPOINTS and story.max_step >= STEP_PROXY):
            story = ServiceStory(ns, name, known_record=self._records.get(key))
            self._open[key] = story
            self._append(story)
        return story

    def _add_step(self, ev: FlowEvent) -> None:
        if ev.step == STEP_PROXY:
            keys = list(ev.data.get("services") or []) or ([f"{ev.namespace}/{ev.name}"] if ev.kind == "Service" else [])
            for key in keys[:50]:  # a bulk sync is told on its first Services, not on 10,000
                ns, _, name = key.partition("/")
                self._story_for(ns, name, STEP_PROXY).proxies.append(ev)
            return
        story = self._story_for(ev.namespace, ev.name, ev.step or 0)
        {STEP_COLLECT: story.collected, STEP_ENDPOINTS: story.written, STEP_DNS: story.dns}[ev.step].append(ev)
        if ev.step == STEP_DNS:
            rec = main_record(ev.namespace, ev.name, story.records())
            if rec is not None:
                if rec.added:
                    self._records[story.key] = rec
                else:
                    self._records.pop(story.key, None)

    def _add_traffic(self, ev: FlowEvent) -> None:
        client = str(ev.data.get("client", ""))
        if _is_dns_query(ev):
            prev = self._pending_query.pop(client, None)
            if prev is not None:  # a lookup with no connection after it (nslookup, dig)
                self._append(TrafficStory(client, str(prev.data.get("trace", [""])[0]).split(" -> ")[-1], query=prev))
            self._pending_query[client] = ev
            return
        first = str((ev.data.get("trace") or [""])[0])
        target = first.split(" -> ", 1)[1] if " -> " in first else ""
        query = self._pending_query.pop(client, None)
        self._append(TrafficStory(client, target, query=query, conn=ev))

    def _add_lookup(self, ev: FlowEvent) -> None:
        """nslookup / dig: the query sent just before (its `connect` to port 53) and this
        answer make a story of their own, at once (no connection follows to wait for)."""
        client = str(ev.data.get("client", ""))
        query = self._pending_query.pop(client, None)
        self._append(TrafficStory(client, str(ev.data.get("name", "")), query=query, lookup=ev))

    def _append(self, story: Story) -> None:
        self.stories.append(story)
        extra = len(self.stories) - self.keep
        if extra > 0:
            for old in self.stories[:extra]:
                if isinstance(old, ServiceStory) and self._open.get(old.key) is old:
                    del self._open[old.key]
            del self.stories[:extra]
            self.dropped += extra

    def service_stories(self, namespace: str, name: str) -> list[ServiceStory]:
        return [s for s in self.stories if isinstance(s, ServiceStory) and s.namespace == namespace and s.name == name]


def group_stories(events: Iterable[FlowEvent]) -> list[Story]:
    """The stories told by a sequence of flow events, in the order they began."""
    return StoryBook().extend(events).stories


def _unwrapped(text: str) -> str:
    """`(why)` without its one pair of parentheses (a reason may end in a parenthesis of its
    own: `(kube-dns has no ready endpoints (no CoreDNS pod is ready))`)."""
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text
