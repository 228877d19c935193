"""A Node deleted or added while attached changes the cluster's nodes: the header's count and
the `v` diagram's kube-proxy boxes (a tester: after `kubectl delete node kind-worker` the header
still said 3 nodes and the diagram still drew kind-worker's kube-proxy)."""
from __future__ import annotations

import aiohttp

from tests.attach_fixtures import RecordingProxy, ServedProcess, attached, detach, eventually


async def test_a_deleted_node_leaves_and_a_new_one_comes(tmp_path):
    served = ServedProcess(tmp_path / "s")
    proxy = RecordingProxy(served.url)
    await proxy.start()
    try:
        ws, task = await attached(proxy.kubeconfig(tmp_path))
        try:
            names = lambda: [n.name for n in ws.cluster.topology.nodes]  # noqa: E731
            assert names() == ["kind-control-plane", "kind-worker", "kind-worker2"]
            async with aiohttp.ClientSession(served.url) as http:
                async with http.delete("/api/v1/nodes/kind-worker") as r:
                    assert r.status == 200, await r.text()
            await eventually(lambda: names() == ["kind-control-plane", "kind-worker2"], what="the node gone")
            await served.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra"}})
            await eventually(lambda: "extra" in names(), what="the new node")
        finally:
            await detach(task)
    finally:
        await proxy.stop()
        served.close()
    assert {m for m, _ in proxy.requests} == {"GET"}
