"""The reflector's list asks for each page as soon as the one before it is in, while earlier
pages wait their turn to be stored (the server builds pages while svcflow stores and computes),
up to PAGES_AHEAD pages ahead; it reads each page's continue token from the head of its bytes;
it still starts over when a continue token expires and asks nothing more once stopped."""
from __future__ import annotations

import asyncio
import json

from engine.attach import reflector as reflector_module
from engine.attach.client import Gone, ListPage, list_meta
from engine.attach.reflector import Reflector, Resource

PODS = Resource("Pod", "v1", "/api/v1/pods", label="pods")


def _page(names: list[str], token: str, rv: str = "7") -> dict:
    return {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": rv, "continue": token},
            "items": [{"metadata": {"name": n, "namespace": "default", "resourceVersion": rv}} for n in names]}


class FakeClient:
    """Three pages of pods (tokens "t1", "t2"); `gone_once`: the first request with that
    token is answered 410 Gone; `hold`: requests with that token never answer."""

    server, context, namespace = "https://fake:6443", "fake", "default"

    def __init__(self, log: list, gone_once: str | None = None, hold: str | None = None,
                 instant: bool = False) -> None:
        self.log = log
        self.gone_once = gone_once
        self.hold = hold
        self.instant = instant  # answers without letting the event loop run anything else
        self.cancelled: list[str] = []
        self.pages = {"": _page(["a", "b"], "t1"), "t1": _page(["c", "d"], "t2"), "t2": _page(["e"], "")}

    async def get_page(self, path: str, query: dict[str, str]) -> ListPage:
        token = query.get("continue", "")
        assert query["limit"] == "2"
        self.log.append(("ask", token))
        try:
            if not self.instant:
                await asyncio.sleep(0)
            if token == self.hold:
                await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(token)
            raise
        if token == self.gone_once:
            self.gone_once = None
            raise Gone("pods: the continue token expired (listing again)")
        raw = json.dumps(self.pages[token], separators=(",", ":")).encode()
        meta = list_meta(raw)  # (what the real client reads the token from)
        assert meta == self.pages[token]["metadata"]
        return ListPage(raw, meta)

    async def watch_lines(self, path, query, read_timeout, on_open=lambda: None):
        on_open()
        await asyncio.Event().wait()
        yield {}  # (never)


class Sink:
    def __init__(self, log: list) -> None:
        self.log = log
        self.replaced: list[list[str]] = []

    def page(self, resource: Resource, page: dict, first: bool) -> None:
        self.log.append(("page", [o["metadata"]["name"] for o in page["items"]], first))

    def replace(self, resource: Resource, objects: list[dict]) -> None:
        self.replaced.append([o["metadata"]["name"] for o in objects])
        assert all(o["kind"] == "Pod" and o["apiVersion"] == "v1" for o in objects)

    def event(self, resource, type_, obj) -> None:
        pass

    def problem(self, resource, line) -> None:
        assert line is None, line


async def _list(client: FakeClient, sink: Sink) -> Reflector:
    reflector = Reflector(client, PODS, sink, page_size=2)  # type: ignore[arg-type]
    task = asyncio.create_task(reflector.run())
    try:
        await asyncio.wait_for(reflector.listed.wait(), 5)
    finally:
        reflector.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return reflector


async def test_every_page_is_asked_for_as_soon_as_the_one_before_it_is_in():
    log: list = []
    sink = Sink(log)
    reflector = await _list(FakeClient(log, instant=True), sink)
    # (a server faster than the store: every page asked for before the first is handed over)
    assert log == [("ask", ""), ("ask", "t1"), ("ask", "t2"), ("page", ["a", "b"], True), ("page", ["c", "d"], False),
                   ("page", ["e"], False)]
    assert sink.replaced == [["a", "b", "c", "d", "e"]]
    assert reflector.resource_version == "7" and reflector.lists == 1


async def test_pages_asked_ahead_are_bounded(monkeypatch):
    monkeypatch.setattr(reflector_module, "PAGES_AHEAD", 1)
    log: list = []
    sink = Sink(log)
    client = FakeClient(log, instant=True)
    names = "abcdefghij"
    client.pages = {("" if i == 0 else f"t{i}"): _page([names[2 * i], names[2 * i + 1]], f"t{i + 1}" if i < 4 else "")
                    for i in range(5)}
    await _list(client, sink)
    # At any moment at most three pages are out of the server: the one being stored, one
    # waiting its turn (PAGES_AHEAD) and one asked for that waits to be queued.
    handed = 0
    asked = 0
    for entry in log:
        if entry[0] == "ask":
            asked += 1
        else:
            handed += 1
            assert asked - handed <= 2, log
    assert [e[1] for e in log if e[0] == "ask"] == ["", "t1", "t2", "t3", "t4"]
    assert sink.replaced == [list(names)]


def test_a_lists_continue_token_is_read_from_the_head_of_its_bytes():
    page = {"kind": "PodList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "12", "continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "remainingItemCount": 3},
            "items": [{"metadata": {"name": "a", "annotations": {"x": '"items":[]'}}}]}
    raw = json.dumps(page, separators=(",", ":")).encode()
    assert list_meta(raw) == page["metadata"]
    assert list_meta(json.dumps(page, indent=2).encode()) == page["metadata"]
    assert ListPage(raw, page["metadata"]).decode() == page
    # (a server that writes items first: no head to read; the client decodes the whole page)
    assert list_meta(b'{"items":[],"metadata":{"continue":"x"}}') is None
    assert list_meta(b"not json") is None


async def test_an_expired_continue_token_asked_ahead_starts_the_list_over():
    log: list = []
    sink = Sink(log)
    await _list(FakeClient(log, gone_once="t2"), sink)
    asks = [e[1] for e in log if e[0] == "ask"]
    handed = [e[1:] for e in log if e[0] == "page"]
    assert asks == ["", "t1", "t2", "", "t1", "t2"]  # (t2 expired: from the start again)
    assert handed == [(["a", "b"], True), (["c", "d"], False), (["a", "b"], True), (["c", "d"], False), (["e"], False)]
    assert sink.replaced == [["a", "b", "c", "d", "e"]]  # (once, without the first attempt's pages)


async def test_a_stopped_list_cancels_the_page_it_asked_ahead():
    log: list = []
    client = FakeClient(log, hold="t2")
    reflector = Reflector(client, PODS, Sink(log), page_size=2)  # type: ignore[arg-type]
    task = asyncio.create_task(reflector.run())
    for _ in range(200):
        if ("page", ["c", "d"], False) in log:
            break
        await asyncio.sleep(0.005)
    assert ("ask", "t2") in log and not reflector.listed.is_set()
    reflector.stop()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert client.cancelled == ["t2"]


async def test_the_list_watches_from_its_first_pages_resource_version():
    """client-go's pager keeps the first page's resourceVersion: a server that says a later one
    on later pages (svcflow serve did) would otherwise have the watch miss what changed while
    the list paged."""
    log: list = []
    client = FakeClient(log, instant=True)
    client.pages = {"": _page(["a", "b"], "t1", rv="7"), "t1": _page(["c", "d"], "t2", rv="9"),
                    "t2": _page(["e"], "", rv="12")}
    reflector = await _list(client, Sink(log))
    assert reflector.resource_version == "7"
