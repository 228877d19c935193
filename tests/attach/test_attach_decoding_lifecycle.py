"""The decoding process's life (engine.attach.decoding.PageDecoder, decodeworker): it ends
with the attach however the attach ends (a close while it was still starting, the
dashboard's quit cancelling the stop itself), it is reaped before the loop closes (no
"Loop ... that handles pid N is closed" on stderr after the answer), it starts from any
working directory, both its pipes are widened, and answers go to the right page when two
lists hand pages over at once, or when a list starts over (410) with pages in flight."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal

import pytest

from engine.attach import decoding
from engine.attach.client import Gone, ListPage, list_meta
from engine.attach.decoding import PageDecoder, decode_page
from engine.attach.reflector import Reflector, Resource
from engine.attach.session import AttachOptions, AttachSession
from engine.attach.workspace import AttachWorkspace
from engine.kapi import kubeconfig

PODS = Resource("Pod", "v1", "/api/v1/pods", label="pods")
SERVICES = Resource("Service", "v1", "/api/v1/services", label="services")


def _exists(pid: int) -> bool:
    """The process is still there, running or a zombie nobody reaped."""
    return os.path.exists(f"/proc/{pid}")


def _page(kind: str, i: int, n: int = 20, pad: int = 0) -> bytes:
    items = [{"metadata": {"name": f"{kind.lower()}{i}-{k}", "namespace": "a",
                           "annotations": {"pad": "x" * pad},
                           "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:spec": {}}}]},
              "spec": {"nodeName": f"n{k % 3}"}} for k in range(n)]
    return json.dumps({"kind": f"{kind}List", "apiVersion": "v1", "metadata": {"resourceVersion": "5"},
                       "items": items}, separators=(",", ":")).encode()


def test_a_close_while_the_process_is_still_starting_ends_it():
    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        decoder.start()
        while decoder.pid is None:  # (started: it has not said it is up yet, it imports for ~0.3 s)
            await asyncio.sleep(0.001)
        assert decoder._proc is None, "the test wanted a process that was not up yet"
        await decoder.aclose()
        return decoder.pid
    pid = asyncio.run(run())
    assert not _exists(pid)


def test_nothing_is_started_once_closed():
    """A list's page asking for the process after the attach stopped starts none."""
    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await decoder.aclose()
        decoder.expect(10_000)
        await asyncio.wait_for(decoder.start(), 60)
        return decoder.pid, await decoder.submit(_page("Pod", 0), "Pod", "v1")
    assert asyncio.run(run()) == (None, None)


def test_an_interpreter_that_does_not_know_its_executable_decodes_here(monkeypatch):
    """sys.executable is None or "" in some embedding interpreters: no task failing with a
    TypeError nobody reads ("Task exception was never retrieved"), the pages decoded here."""
    monkeypatch.setattr(decoding.sys, "executable", None)
    raw = _page("Pod", 0)

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        pending = await decoder.submit(raw, "Pod", "v1")
        page = await decoder.decoded(raw, pending, "Pod", "v1")
        await decoder.aclose()
        return decoder.pid, pending, page
    assert asyncio.run(run()) == (None, None, decode_page(raw, "Pod", "v1", freeze=False))


def test_a_headless_snapshot_whose_lists_end_before_the_process_is_up_leaves_no_process(served, tmp_path, caplog):
    """`svcflow get ... --kubeconfig` (asyncio.run of a snapshot): a list big enough starts
    the process; lists done before it is up must not leave it running, nor its end reported
    after the loop closed."""
    kc = kubeconfig.write(tmp_path / "kc", served.url)
    session = AttachSession(AttachOptions(kubeconfig=str(kc), offload_at=0, page_size=3))
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        cluster = asyncio.run(session.snapshot(compute=False))
    assert cluster.store.list("Pod")
    assert session.decoder.pid is not None and not _exists(session.decoder.pid)
    assert not [r for r in caplog.records if "that handles pid" in r.getMessage()]


def test_the_dashboard_quitting_ends_the_process_even_when_its_stop_is_cancelled_again(served, tmp_path, caplog):
    """Textual cancels the attach worker on quit without awaiting it; asyncio.run then cancels
    every task again, in the middle of the attach's stop."""
    kc = kubeconfig.write(tmp_path / "kc", served.url)
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kc), offload_at=0, page_size=3))

    async def dashboard():
        await asyncio.wait_for(ws.session.decoder.start(), 60)
        task = asyncio.ensure_future(ws.follow(lambda _what: None))
        for _ in range(1200):
            if ws.built:
                break
            await asyncio.sleep(0.05)
        assert ws.built and ws.session.decoder.offloaded
        task.cancel()  # (the quit: the worker cancelled, nobody waits for it)
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        asyncio.run(dashboard())
    pid = ws.session.decoder.pid
    assert pid is not None and not _exists(pid)
    assert not [r for r in caplog.records if "that handles pid" in r.getMessage()]


def test_the_process_starts_from_a_directory_holding_another_engine_package(tmp_path, monkeypatch):
    """`python -m` puts the working directory first: svcflow started inside another checkout
    (or next to a user's own `engine` package) must still run its own decoder, and run none
    of that directory's code."""
    other = tmp_path / "engine" / "attach"
    other.mkdir(parents=True)
    ran = tmp_path / "ran"
    (tmp_path / "engine" / "__init__.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    (other / "__init__.py").write_text("")
    (other / "decodeworker.py").write_text("raise SystemExit(3)  # another svcflow, another protocol\n")
    monkeypatch.chdir(tmp_path)
    raw = _page("Pod", 0)

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        try:
            pending = await decoder.submit(raw, "Pod", "v1")
            return await decoder.decoded(raw, pending, "Pod", "v1"), decoder.offloaded
        finally:
            await decoder.aclose()
    page, offloaded = asyncio.run(run())
    assert not ran.exists()
    assert offloaded == 1
    assert page == decode_page(raw, "Pod", "v1", freeze=False)


def test_both_of_the_process_pipes_are_widened():
    """Its stdout carries the answers (~0.5 MB a page): widened as its stdin is, to the
    largest pipe an unprivileged process may have (fs.pipe-max-size)."""
    with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as f:
        most = int(f.read())

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        try:
            sizes = []
            for fd in (0, 1):
                own = os.open(f"/proc/{decoder.pid}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK)
                try:
                    sizes.append(decoding.fcntl.fcntl(own, decoding.fcntl.F_GETPIPE_SZ))
                finally:
                    os.close(own)
            return sizes
        finally:
            await decoder.aclose()
    assert asyncio.run(run()) == [most, most]


def test_two_lists_handing_pages_over_at_once_each_get_their_own_pages():
    """The Services' and the Pods' lists share one process: pages bigger than the pipe make
    each hand-over wait on the pipe (`drain`), so the two lists' hand-overs interleave; each
    page's answer is still its own, whole."""
    pages = {"Service": [_page("Service", i, n=4, pad=400_000) for i in range(4)],
             "Pod": [_page("Pod", i, n=4, pad=400_000) for i in range(4)]}

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        order: list[str] = []

        async def hand_over(kind: str) -> list:
            pending = []
            for raw in pages[kind]:
                pending.append(await decoder.submit(raw, kind, "v1"))
                order.append(kind)
            return pending
        try:
            services, pods = await asyncio.gather(hand_over("Service"), hand_over("Pod"))
            got = {"Service": [await decoder.decoded(raw, p, "Service", "v1")
                               for raw, p in zip(pages["Service"], services)],
                   "Pod": [await decoder.decoded(raw, p, "Pod", "v1") for raw, p in zip(pages["Pod"], pods)]}
            return got, decoder.offloaded, order
        finally:
            await decoder.aclose()
    got, offloaded, order = asyncio.run(run())
    assert offloaded == 8
    assert order != sorted(order), "the two lists' hand-overs did not interleave"
    for kind, raws in pages.items():
        assert got[kind] == [decode_page(raw, kind, "v1", freeze=False) for raw in raws]


def test_an_answer_that_cannot_be_read_is_decoded_here_and_the_process_ends(monkeypatch):
    raw = _page("Pod", 1)

    def unreadable(data):
        raise EOFError("marshal data too short")

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        try:
            pending = await decoder.submit(raw, "Pod", "v1")
            await asyncio.wait_for(asyncio.shield(pending), 30)
            monkeypatch.setattr(decoding.marshal, "loads", unreadable)
            page = await decoder.decoded(raw, pending, "Pod", "v1")
            monkeypatch.undo()
            proc = decoder._spawned
            await asyncio.wait_for(proc.wait(), 10)  # (killed: not left running until the attach ends)
            return page, decoder.offloaded, await decoder.submit(raw, "Pod", "v1")
        finally:
            await decoder.aclose()
    page, offloaded, later = asyncio.run(run())
    assert page == decode_page(raw, "Pod", "v1", freeze=False)
    assert offloaded == 0 and later is None


class _TwoLists:
    """Services in two pages, pods in three; the pods' first continued page is answered 410
    once (its continue token expired), while the Services' pages are in the process too."""

    server, context, namespace = "https://fake:6443", "fake", "default"

    def __init__(self) -> None:
        self.gone = True
        self.asked: list[tuple[str, str]] = []

    async def get_page(self, path: str, query: dict[str, str]) -> ListPage:
        kind = "Pod" if path.endswith("pods") else "Service"
        token = query.get("continue", "")
        self.asked.append((kind, token))
        await asyncio.sleep(0)
        if kind == "Pod" and token == "1" and self.gone:
            self.gone = False
            raise Gone("pods: the continue token expired (listing again)")
        last = 2 if kind == "Pod" else 1
        page = json.loads(_page(kind, int(token or 0), n=3))
        page["metadata"]["continue"] = "" if int(token or 0) == last else str(int(token or 0) + 1)
        page["metadata"]["remainingItemCount"] = 3 * (last - int(token or 0))
        raw = json.dumps(page, separators=(",", ":")).encode()
        return ListPage(raw, list_meta(raw))

    async def watch_lines(self, path, query, read_timeout, on_open=lambda: None):
        on_open()
        await asyncio.Event().wait()
        yield {}  # (never)


class _Sink:
    def __init__(self) -> None:
        self.replaced: dict[str, list[str]] = {}

    def page(self, resource, page, first) -> None:
        assert all(o["kind"] == resource.kind for o in page["items"])

    def replace(self, resource, objects) -> None:
        self.replaced[resource.kind] = [o["metadata"]["name"] for o in objects]

    def event(self, resource, type_, obj) -> None:
        pass

    def problem(self, resource, line) -> None:
        assert line is None, line


@pytest.mark.parametrize("offloaded", [True, False])
def test_a_list_that_starts_over_with_pages_in_the_process_keeps_each_page_to_its_list(offloaded):
    async def run():
        decoder = PageDecoder(offload_at=0 if offloaded else None, ahead=None)
        if offloaded:
            await asyncio.wait_for(decoder.start(), 60)
        client, sink = _TwoLists(), _Sink()
        reflectors = [Reflector(client, r, sink, page_size=3, decoder=decoder) for r in (SERVICES, PODS)]
        tasks = [asyncio.ensure_future(r.run()) for r in reflectors]
        try:
            await asyncio.wait_for(asyncio.gather(*(r.listed.wait() for r in reflectors)), 60)
            return sink.replaced, client.asked, decoder.offloaded
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await decoder.aclose()
    replaced, asked, count = asyncio.run(run())
    assert replaced == {"Service": [f"service{i}-{k}" for i in range(2) for k in range(3)],
                        "Pod": [f"pod{i}-{k}" for i in range(3) for k in range(3)]}
    assert asked.count(("Pod", "")) == 2  # (the pods' list started over)
    assert count == (2 + 1 + 3 if offloaded else 0)  # (services 2, pods 1 before the 410, then 3)


def test_a_process_that_died_is_not_signalled_nor_reaped_behind_the_child_watcher(caplog):
    """Its pipes closed: the pages are decoded here and nothing kills it again (Popen's kill
    polls first, reaping it under the child watcher, which then said "Unknown child process
    pid N, will report returncode 255" on stderr; a race, so tried a few times)."""
    raw = _page("Pod", 2)

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        os.kill(decoder.pid, signal.SIGKILL)
        pending = await decoder.submit(raw, "Pod", "v1")
        page = await decoder.decoded(raw, pending, "Pod", "v1")
        await asyncio.sleep(0.02)
        await decoder.aclose()
        return page, decoder.pid
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        for _ in range(8):
            page, pid = asyncio.run(run())
            assert page == decode_page(raw, "Pod", "v1", freeze=False) and not _exists(pid)
    assert not [r.getMessage() for r in caplog.records if "child process" in r.getMessage()]


def test_pages_still_in_the_process_when_it_is_closed_are_decoded_here():
    pages = [_page("Pod", i, n=200) for i in range(6)]

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        pending = [await decoder.submit(raw, "Pod", "v1") for raw in pages]
        assert all(p is not None for p in pending) and not all(p.done() for p in pending)
        await decoder.aclose()
        got = [await decoder.decoded(raw, p, "Pod", "v1") for raw, p in zip(pages, pending)]
        return got, decoder.pid
    got, pid = asyncio.run(run())
    assert got == [decode_page(raw, "Pod", "v1", freeze=False) for raw in pages]
    assert not _exists(pid)


def _children() -> list[int]:
    """This process's children (running or zombies)."""
    out = []
    for stat in os.listdir("/proc"):
        if not stat.isdigit():
            continue
        try:
            with open(f"/proc/{stat}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            out.append(int(stat))
    return out


def test_closing_at_any_moment_of_the_start_leaves_no_process():
    """However far the start got (the process being created, created, saying hello), once
    `aclose` returns there is no child left, not even one to reap."""
    async def run(steps: int) -> list[int]:
        before = set(_children())  # (the served cluster of this module's other tests, say)
        decoder = PageDecoder(offload_at=0, ahead=None)
        decoder.start()
        for _ in range(steps):
            await asyncio.sleep(0)
        await decoder.aclose()
        return sorted(set(_children()) - before)
    assert [asyncio.run(run(steps)) for steps in range(12)] == [[]] * 12
