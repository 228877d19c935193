"""Bad clients never hurt the served cluster (issue 16, "What it must be"): garbage and
truncated protobuf bodies, clients that hang up mid-watch by the hundred while objects change,
and requests that stop half-way. Each gets kube-apiserver's answer or is dropped; afterwards
the server answers as before and the cluster holds exactly what was written."""
from __future__ import annotations

import asyncio
import json
import random

import aiohttp
import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kapi import server
from engine.kapi.protobuf import MAGIC, MEDIA_TYPE
from tests.helpers import SAMPLES

CMS = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
async def api():
    cluster, _ = cluster_from_paths([SAMPLES], deterministic=True)
    served = await server.start(cluster, "127.0.0.1", 0, bookmark_seconds=0.2, watch_queue_limit=8)
    async with aiohttp.ClientSession(served.url) as http:
        yield cluster, http, served.url
    await served.stop()


async def _status(resp: aiohttp.ClientResponse) -> tuple[int, dict]:
    return resp.status, json.loads(await resp.read())


async def test_garbage_and_truncated_protobuf_bodies_are_refused_and_write_nothing(api):
    """A body that is not a ConfigMap's protobuf is refused with a Status: 400 when it cannot
    be decoded, 415 when its envelope names no kind svcflow decodes (an empty envelope)."""
    cluster, http, _ = api
    before = cluster.store.resource_version
    rng = random.Random(7)
    bodies = [MAGIC, MAGIC + b"\xff" * 12, MAGIC + bytes(rng.randrange(256) for _ in range(300)), b"\x0a\x05hello",
              MAGIC + b"\x0a\x8f\xff\xff\xff\x0f", MAGIC + b"\x12\x10\x0a\x0eonly-half-a-"]
    for body in bodies:
        status, got = await _status(await http.post(CMS, data=body, headers={"Content-Type": MEDIA_TYPE}))
        assert (got["kind"], (status, got["reason"])) in (
            ("Status", (400, "BadRequest")), ("Status", (415, "UnsupportedMediaType"))), (body, got)
    assert cluster.store.resource_version == before  # nothing was written
    status, got = await _status(await http.get(CMS + "/nope"))
    assert (status, got["reason"]) == (404, "NotFound")


async def test_watchers_hanging_up_mid_stream_while_objects_change(api):
    cluster, http, url = api
    rv = cluster.store.resource_version

    async def watch_then_vanish(i: int) -> None:
        session = aiohttp.ClientSession(url)
        resp = await session.get(f"{CMS}?watch=1&resourceVersion={rv}")
        if i % 2:
            await resp.content.readline()  # one event read, then gone
        resp.close()  # hung up without reading the rest
        await session.close()

    async def write(n: int) -> None:
        for i in range(n):
            cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"churn-{i}"}})
            await asyncio.sleep(0)

    await asyncio.gather(write(60), *(watch_then_vanish(i) for i in range(120)))
    await asyncio.sleep(0.3)
    # the server still lists and watches; every write is there, once
    status, got = await _status(await http.get(CMS))
    names = [o["metadata"]["name"] for o in got["items"]]
    assert status == 200 and sorted(n for n in names if n.startswith("churn-")) == sorted(f"churn-{i}" for i in range(60))
    async with http.get(f"{CMS}?watch=1&resourceVersion={cluster.store.resource_version}") as w:
        cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after"}})
        event = json.loads(await asyncio.wait_for(w.content.readline(), 5))
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "after")


async def test_a_request_that_stops_half_way_writes_nothing(api):
    cluster, _, url = api
    before = cluster.store.resource_version
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "half"}}).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST {CMS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:len(body) // 2])
    await writer.drain()
    writer.close()  # the client is gone before its body is
    await asyncio.sleep(0.3)
    assert cluster.store.get("ConfigMap", "default", "half") is None and cluster.store.resource_version == before
