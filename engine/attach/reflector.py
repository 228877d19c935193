"""svcflow's own reflector: list -> watch for one kind, as client-go's Reflector does.

None of the Python clients relists on `410 Gone` by itself (apiserver-spec §9), so this is
ours: list in pages (`limit=500`, `continue`), show each page as it arrives (`page`: the
mirror stores it at once, so the panes fill while 100,000 pods come), hand the whole list
over (`replace`), watch from the list's resourceVersion with bookmarks, keep the last
resourceVersion seen (events and BOOKMARKs), resume from it when the connection drops or
the server ends the watch, and list again on `410 Gone` or an `ERROR` event whose reason
is `Expired`/`Gone`, and on "Too large resource version" (a server restarted behind the
version asked: client-go's IsTooLargeResourceVersion), from scratch: the new list replaces
the old one's objects. Other failures back off exponentially (client-go's 800 ms doubling
to 30 s, with jitter) and
say what went wrong in one line (`ReflectorSink.problem`); the next success clears it.
RBAC's refusal is final for this reflector: the kind is reported once and skipped, unless
`on_forbidden` takes the refusal over (`source`: a namespaced kind is then listed in the
namespaces RBAC allows).

A list's pages are asked for as fast as the server sends them, each as soon as the one
before it is in (its continue token is read from the head of its bytes), up to
`PAGES_AHEAD` pages ahead of the page being stored: the server builds pages while this
process decodes and stores earlier ones, and while it computes kube-proxy's rules between
them. (Asking one page ahead only, the server sat idle through the seconds kube-proxy's
first sync took, and this process then waited for the pages it had not asked for: at
10,000 Services ~40 % of the time to the first full paint.) A continue token names its own
position; kube-apiserver serves every page from the first page's snapshot whenever it is
asked.

The reflector knows nothing of the store: it feeds a `ReflectorSink`.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable, Protocol

from engine.attach.client import (
    AttachError,
    Disconnected,
    Forbidden,
    Gone,
    KubeClient,
    ListPage,
    TooLargeResourceVersion,
)
from engine.attach.decoding import PageDecoder, kept

PAGE_SIZE = 500
WATCH_SECONDS = 300  # timeoutSeconds of each watch (kube-apiserver picks 5-10 min for client-go)
#: Pages a list holds, as bytes, ahead of the page being stored (~1 MB each for pods).
PAGES_AHEAD = 64


@dataclass(frozen=True)
class Resource:
    """One kind the mirror follows: where it is listed, and how it is selected."""

    kind: str
    api_version: str
    path: str  # the collection's path, e.g. /api/v1/pods
    field_selector: str = ""
    label: str = ""  # how the user calls it in messages (`pods`, `kube-system/configmaps/coredns`)
    namespaced: bool = False  # a namespaced kind listed cluster-wide: it may be listed per namespace instead
    namespace: str = ""  # listed in this namespace only (RBAC's per-namespace fallback)
    quiet: bool = False  # RBAC's refusal is not an error-bar line (a kind only `get`/`describe` read)

    @property
    def name(self) -> str:
        return self.label or self.path

    def in_namespace(self, namespace: str) -> "Resource":
        """The same kind listed in one namespace: `/api/v1/pods` -> `/api/v1/namespaces/NS/pods`."""
        base, _, plural = self.path.rpartition("/")
        return replace(self, path=f"{base}/namespaces/{namespace}/{plural}", namespaced=False, namespace=namespace,
                       label=f"{self.name} in {namespace}")


class ReflectorSink(Protocol):
    def page(self, resource: Resource, page: dict, first: bool) -> None:
        """One page of a list as it arrives (`first`: the list's first, which a list that
        starts over sends again); the whole list follows in `replace`."""
    def replace(self, resource: Resource, objects: list[dict]) -> None: ...
    def event(self, resource: Resource, type_: str, obj: dict) -> None: ...
    def problem(self, resource: Resource, line: str | None) -> None: ...


@dataclass
class Backoff:
    """Exponential backoff with jitter (client-go's reflector: 800 ms .. 30 s)."""

    initial: float = 0.8
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 1.0
    _next: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self) -> float:
        self._next = self.initial if not self._next else min(self.cap, self._next * self.factor)
        return self._next * (1 + self.jitter * self.rng.random() * 0.5)

    def reset(self) -> None:
        self._next = 0.0


#: Called when RBAC refuses a reflector's request; True when it took care of the refusal
#: (the per-namespace fallback), so the reflector says nothing of it itself.
OnForbidden = Callable[["Reflector", Forbidden], Awaitable[bool]]


class Reflector:
    """List, then watch, one `Resource` into a sink, until `stop()`."""

    def __init__(self, client: KubeClient, resource: Resource, sink: ReflectorSink, *,
                 page_size: int = PAGE_SIZE, watch_seconds: int = WATCH_SECONDS,
                 backoff: Backoff | None = None, on_forbidden: OnForbidden | None = None,
                 gate: asyncio.Semaphore | None = None,
                 after: Callable[[], Awaitable[None]] | None = None,
                 decoder: PageDecoder | None = None) -> None:
        self.client = client
        self.resource = resource
        self.sink = sink
        self.page_size = page_size
        self.watch_seconds = watch_seconds
        self.backoff = backoff or Backoff()
        self.resource_version = ""
        self.lists = 0  # completed lists (the first, then one per relist)
        self.watches = 0  # watch requests made
        self.forbidden = False
        self.refusal = ""  # the API server's message when RBAC refused (`pods is forbidden: User ...`)
        self.on_forbidden = on_forbidden
        self.gate = gate  # shared by reflectors whose lists should not all run at once
        self.after = after  # what the first list waits for (the lists that paint, for a quiet kind)
        self.decoder = decoder or PageDecoder(offload_at=None)  # (shared by an attach's reflectors)
        self.waiting = after is not None  # ... and it has not come yet
        self.listed = asyncio.Event()  # set once the first list is in, or the kind is skipped
        self._stopped = asyncio.Event()
        self._had_problem = False

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    async def run(self) -> None:
        if self.after is not None:
            await self.after()
        self.waiting = False
        need_list = True
        while not self.stopped:
            try:
                if need_list:
                    if self.gate is not None:
                        async with self.gate:
                            await self._list()
                    else:
                        await self._list()
                    need_list = False
                await self._watch()
                self.backoff.reset()
            except Gone:
                need_list = True  # list again at once: the watch cache moved on
            except Forbidden as e:
                self.forbidden, self.refusal = True, e.message or e.line
                handled = self.on_forbidden is not None and await self.on_forbidden(self, e)
                if not handled:
                    self._report(e.line)
                self.listed.set()
                return
            except Disconnected:
                # Resume from the last resourceVersion, after a short pause (the server may be
                # restarting); a connection that cannot be made is the next case.
                await self._pause(self.backoff.delay())
            except AttachError as e:
                if self.resource.quiet and e.status == 404:
                    self.listed.set()  # (a kind this server does not serve: only a command asking for it misses it)
                    return
                self._report(e.line)
                await self._pause(self.backoff.delay())

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopped.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    def _report(self, line: str | None) -> None:
        if line is None and not self._had_problem:
            return
        self._had_problem = line is not None
        self.sink.problem(self.resource, line)

    async def _list(self) -> None:
        r = self.resource
        items: list[dict] = []
        rv = ""
        first = True
        pages: asyncio.Queue[ListPage | _Failed | None] = asyncio.Queue(PAGES_AHEAD)
        fetching = asyncio.ensure_future(self._fetch(pages))
        try:
            while True:
                got = await pages.get()
                if got is None:
                    break
                if isinstance(got, _Failed):
                    if not (isinstance(got.error, Gone) and got.continued):
                        raise got.error
                    # The continue token expired mid-list: start the list over.
                    items.clear()
                    first = True
                    fetching = asyncio.ensure_future(self._fetch(pages))
                    continue
                # (a page that was waiting is got without yielding: let the loop run the asking
                # of the next pages and the dashboard between two pages)
                await asyncio.sleep(0)
                if first or not rv:
                    # The list's resourceVersion is its first page's (client-go's pager): a
                    # server that lists each page as things are then (svcflow serve) says a
                    # later version on later pages, and a watch from that one would miss what
                    # changed while the list paged.
                    rv = str(got.metadata.get("resourceVersion") or "")
                page = await self._decoded(got)
                self.sink.page(r, page, first)
                first = False
                items.extend(o for o in page.get("items") or () if isinstance(o, dict))  # (kinds set: `_decoded`)
        finally:
            if not fetching.done():
                fetching.cancel()  # (stopped, or a page failed: the pages asked ahead are not wanted)
        self.resource_version = rv
        self.sink.replace(r, items)
        self.lists += 1
        self._report(None)
        self.listed.set()

    async def _decoded(self, got: ListPage) -> dict:
        """A page's objects as the mirror keeps them (engine.attach.decoding)."""
        r = self.resource
        if got.decoded is not None:  # (a page whose head could not be read alone: decoded whole)
            return kept(got.decoded, r.kind, r.api_version)
        page = await self.decoder.decoded(got.raw, got.pending, r.kind, r.api_version)
        got.raw, got.pending = b"", None
        return page

    async def _fetch(self, pages: "asyncio.Queue[ListPage | _Failed | None]") -> None:
        """Every page of the list into `pages`, each asked for as soon as the one before it
        is in (the queue's bound holds the asking back), its decoding started in the other
        process when the list is big (`PageDecoder`); then None, or the failure."""
        token = ""
        big = False  # (the list said it is big: its pages go to the decoding process)
        while True:
            try:
                page = await self._ask(token)
            except Exception as e:  # noqa: BLE001 - raised by the list, in the page's place
                await pages.put(_Failed(e, continued=bool(token)))
                return
            remaining = page.metadata.get("remainingItemCount")
            if not big and isinstance(remaining, int):
                big = self.decoder.expect(remaining)
            if big and page.decoded is None:
                page.pending = await self.decoder.submit(page.raw, self.resource.kind, self.resource.api_version)
            await pages.put(page)
            token = page.continue_token
            if not token:
                await pages.put(None)
                return

    def _ask(self, token: str) -> Awaitable[ListPage]:
        """A page of the list (`token`: where the previous page ended)."""
        r = self.resource
        query = {"limit": str(self.page_size)}
        if token:
            query["continue"] = token
        if r.field_selector:
            query["fieldSelector"] = r.field_selector
        return self.client.get_page(r.path, query)

    async def _watch(self) -> None:
        r = self.resource
        query = {"resourceVersion": self.resource_version, "allowWatchBookmarks": "true",
                 "timeoutSeconds": str(self.watch_seconds)}
        if r.field_selector:
            query["fieldSelector"] = r.field_selector
        self.watches += 1
        async for ev in self.client.watch_lines(r.path, query, read_timeout=self.watch_seconds + 30,
                                                   on_open=lambda: self._report(None)):
            if self.stopped:
                return
            kind = ev.get("type")
            obj = ev.get("object")
            if not isinstance(obj, dict):
                continue
            if kind == "ERROR":
                code, reason = obj.get("code"), obj.get("reason")
                if code == 410 or reason in ("Expired", "Gone"):
                    raise Gone(f"{r.name}: {obj.get('message') or 'too old resource version'} (listing again)")
                if TooLargeResourceVersion.said_by(obj):  # (a restarted server: list from scratch)
                    raise TooLargeResourceVersion(f"{r.name}: {obj.get('message')} (listing again)")
                raise AttachError(f"{r.name}: watch error {code} {reason}: {obj.get('message') or ''}".rstrip())
            rv = (obj.get("metadata") or {}).get("resourceVersion")
            if kind == "BOOKMARK":
                if rv:
                    self.resource_version = str(rv)
                continue
            if kind not in ("ADDED", "MODIFIED", "DELETED"):
                continue
            obj["kind"] = r.kind
            obj.setdefault("apiVersion", r.api_version)
            self.sink.event(r, kind, obj)
            if rv:
                self.resource_version = str(rv)
            self._report(None)


@dataclass(frozen=True)
class _Failed:
    """A page that failed, in the list's queue in its place (`continued`: asked with a
    continue token, whose expiry starts the list over)."""

    error: Exception
    continued: bool
