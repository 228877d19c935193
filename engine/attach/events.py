"""Events, read when a command asks for them, as kubectl reads them.

The reflectors do not follow Events: no pane reads them, and a busy cluster holds many
(the served stand-in keeps ~5 per pod: ~500,000 at 100,000 pods, more than every other
kind together). kubectl does not follow them either: `kubectl describe` asks, for each
object it describes, for that object's events (a field selector on `involvedObject`), and
`kubectl get events` lists the namespace's. svcflow does the same just before such a command
runs, attached: `queries_for` says which lists the command needs, `read_events` reads them
into the mirror's store (replacing what an earlier command read there), and the command then
prints them as it prints the simulation's. A list that fails leaves `describe` printing
`Events: <none>`, as kubectl's describe does when its events request fails; `get events`
answers the refusal as kubectl does (`refusals`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from engine.api.store import Store
from engine.attach.client import AttachError, Forbidden, KubeClient
from engine.kubectl.printers.get import ResourceTypeNotFound, expand_resource_args, resolve_resource

#: Named objects a `describe` asks for one by one (kubectl's way: one request each); more
#: than this and the namespace's events are read in one list instead (the same answer).
NAMED_QUERIES_MAX = 20
PAGE_SIZE = 500


@dataclass(frozen=True)
class EventsQuery:
    """One events list: a namespace's (None: every namespace's), narrowed to the events of
    one object when `involved` names it (kubectl describe's field selector)."""

    namespace: str | None
    involved: str = ""  # involvedObject.name

    @property
    def path(self) -> str:
        if self.namespace is None:
            return "/api/v1/events"
        return f"/api/v1/namespaces/{quote(self.namespace, safe='')}/events"

    @property
    def field_selector(self) -> str:
        return f"involvedObject.name={self.involved}" if self.involved else ""

    def covers(self, event: dict) -> bool:
        """Whether `event` is one this list would return (what an earlier read of the same
        list left in the store is replaced by this one's answer)."""
        md = event.get("metadata") or {}
        if self.namespace is not None and md.get("namespace", "") != self.namespace:
            return False
        return not self.involved or (event.get("involvedObject") or {}).get("name") == self.involved


@dataclass
class EventsRead:
    """What `read_events` found: the events stored, and the lists that failed (by query)."""

    stored: int = 0
    failed: dict[EventsQuery, AttachError] = field(default_factory=dict)
    timed_out: float = 0.0  # the read was given up after this many seconds

    def refusal(self) -> str | None:
        """kubectl's line for `get events` when RBAC refused the list, else None."""
        for e in self.failed.values():
            if isinstance(e, Forbidden) and e.message:
                return f"Error from server (Forbidden): {e.message}"
        return None

    def problem(self) -> str | None:
        """The line for a list that failed otherwise (an unreachable server), else None."""
        if self.timed_out:
            return f"the events were not read: no answer within {self.timed_out:g} s"
        for e in self.failed.values():
            if not isinstance(e, Forbidden):
                return e.line
        return None


def queries_for(verb: str, args: list[str], *, namespace: str, all_namespaces: bool = False) -> list[EventsQuery]:
    """The events lists `kubectl VERB ARGS` reads: `get` of Events reads the namespace's
    (every namespace's with -A); `describe` reads each named object's, or the namespace's
    when it describes every object of a kind (cluster-scoped kinds' events, Nodes', are
    recorded in the `default` namespace, so those are looked for everywhere). Nothing for
    other commands, or for words that name no kind (the command itself says so)."""
    if not args:
        return []
    scope = None if all_namespaces else namespace
    try:
        if verb == "get":
            kinds = [w.split("/", 1)[0] for w in args if "/" in w] or [args[0]]
            if any(info.kind == "Event" for word in kinds for info in expand_resource_args(word)):
                return [EventsQuery(scope)]
            return []
        if verb != "describe":
            return []
        if len(args) == 1 and "/" in args[0]:
            word, name = args[0].split("/", 1)
            named = [(resolve_resource(word), name)]
        elif len(args) >= 2:
            info = resolve_resource(args[0])
            named = [(info, n) for n in args[1:]]
        else:
            info = resolve_resource(args[0])
            return [EventsQuery(scope if info.namespaced else None)]
    except ResourceTypeNotFound:
        return []
    if len(named) > NAMED_QUERIES_MAX:
        return [EventsQuery(scope if all(i.namespaced for i, _ in named) else None)]
    return list(dict.fromkeys(EventsQuery(namespace if info.namespaced else None, name) for info, name in named))


async def read_events(client: KubeClient, store: Store, queries: list[EventsQuery]) -> EventsRead:
    """Read each list (all its pages) and put its events in `store`, in place of the events
    an earlier read of the same list left there. A list that fails keeps nothing (kubectl
    shows no events then) and is counted in `failed`."""
    read = EventsRead()
    for q in queries:
        items: list[dict] = []
        query = {"limit": str(PAGE_SIZE)}
        if q.field_selector:
            query["fieldSelector"] = q.field_selector
        try:
            while True:
                page = (await client.get_page(q.path, query)).decode()
                items += [o for o in page.get("items") or () if isinstance(o, dict)
                          and isinstance(o.get("metadata"), dict)]
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    break
                query["continue"] = token
        except AttachError as e:
            read.failed[q] = e
            items = []
        for old in [o for o in store.iter("Event") if q.covers(o)]:
            md = old["metadata"]
            store.delete("Event", md.get("namespace", ""), md["name"])
        for o in items:
            o["kind"], o["apiVersion"] = "Event", "v1"
        store.put_many(items)
        read.stored += len(items)
    return read
