"""The process a big list's pages are decoded in (engine.attach.decoding, decodeworker): the
same objects as decoding here, nothing of the dashboard's terminal, and a process that dies
costs nothing but time: its pages are decoded here."""
from __future__ import annotations

import asyncio
import json
import os
import signal

from engine.attach.decoding import PageDecoder, decode_page


def _page(i: int) -> bytes:
    items = [{"metadata": {"name": f"p{i}-{k}", "namespace": "a", "managedFields": [{"manager": "kubelet"}]},
              "spec": {"nodeName": f"n{k % 3}", "containers": [{"name": "c", "image": "nginx"}]},
              "status": {"phase": "Running", "podIP": f"10.0.{i}.{k}"}} for k in range(20)]
    return json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "5"},
                       "items": items}).encode()


async def _decode_all(decoder: PageDecoder, pages: list[bytes]) -> list[dict]:
    pending = [await decoder.submit(raw, "Pod", "v1") for raw in pages]
    return [await decoder.decoded(raw, p, "Pod", "v1") for raw, p in zip(pages, pending)]


def test_pages_come_back_as_decoding_here_makes_them_from_a_process_of_its_own():
    pages = [_page(i) for i in range(6)]

    async def run():
        decoder = PageDecoder(offload_at=100, ahead=None)
        decoder.expect(99)  # (not big enough: nothing started)
        assert decoder.pid is None and await decoder.submit(pages[0], "Pod", "v1") is None
        decoder.expect(100)
        await asyncio.wait_for(decoder.start(), 60)
        try:
            assert decoder.pid is not None and os.getsid(decoder.pid) != os.getsid(0)  # (not the terminal's)
            return await _decode_all(decoder, pages), decoder.offloaded
        finally:
            await decoder.aclose()  # (the process reaped while the loop runs)
    got, offloaded = asyncio.run(run())
    assert offloaded == 6
    assert got == [decode_page(raw, "Pod", "v1", freeze=False) for raw in pages]
    assert all("managedFields" not in o["metadata"] and o["kind"] == "Pod" for p in got for o in p["items"])


def test_a_decoding_process_that_dies_leaves_its_pages_to_be_decoded_here():
    pages = [_page(i) for i in range(4)]

    async def run():
        decoder = PageDecoder(offload_at=0, ahead=None)
        await asyncio.wait_for(decoder.start(), 60)
        try:
            first = await _decode_all(decoder, pages[:2])
            os.kill(decoder.pid, signal.SIGKILL)
            rest = await _decode_all(decoder, pages[2:])  # (in flight when it died, or after)
            later = await decoder.submit(pages[0], "Pod", "v1")
            return first + rest, decoder.offloaded, later
        finally:
            await decoder.aclose()  # (the process reaped while the loop runs)
    got, offloaded, later = asyncio.run(run())
    assert got == [decode_page(raw, "Pod", "v1", freeze=False) for raw in pages]
    assert offloaded >= 2 and later is None


def test_with_two_pages_in_the_process_already_the_next_is_decoded_here_in_its_turn():
    """The two processes share a big list's decoding: once the other process has two pages
    in hand, a page that comes meanwhile is decoded here (this process would only wait on the
    other), and the list still comes out whole, in order, as decoding here makes it."""
    pages = [_page(i) for i in range(6)]

    async def run():
        decoder = PageDecoder(offload_at=0)  # (the dashboard's: DECODING_AHEAD)
        await asyncio.wait_for(decoder.start(), 60)
        try:
            pending = [await decoder.submit(raw, "Pod", "v1") for raw in pages]  # (faster than it answers)
            got = [await decoder.decoded(raw, p, "Pod", "v1") for raw, p in zip(pages, pending)]
            return pending, got, decoder.offloaded
        finally:
            await decoder.aclose()
    pending, got, offloaded = asyncio.run(run())
    assert [p is not None for p in pending[:2]] == [True, True]
    assert None in pending[2:] and offloaded == sum(p is not None for p in pending) < len(pages)
    assert got == [decode_page(raw, "Pod", "v1", freeze=False) for raw in pages]
