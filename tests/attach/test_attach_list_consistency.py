"""What changes while a list pages reaches the mirror (the tester's HIGH finding: a pod
deleted while svcflow was still listing stayed on screen as Pending for good, a new label
never came). The list's resourceVersion is its first page's -- the served API says it on
every page, as kube-apiserver does, and the reflector keeps the first page's, as client-go's
pager does -- so the watch from it replays what happened between the pages."""
from __future__ import annotations

import aiohttp
from aiohttp import web

from tests.attach_fixtures import RecordingProxy, attached, detach, eventually


class WriteBetweenPages(RecordingProxy):
    """Before the second page of the pods' list is answered, deletes the pod the first page
    listed and labels another, straight on the server (not through svcflow: it only reads)."""

    def __init__(self, backend: str) -> None:
        super().__init__(backend)
        self.first_pod = ""
        self.done = False

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        if req.path == "/api/v1/pods" and "continue" in req.query and not self.done:
            self.done = True
            async with aiohttp.ClientSession(self.backend) as http:
                async with http.get("/api/v1/pods", params={"limit": "1"}) as r:
                    self.first_pod = (await r.json())["items"][0]["metadata"]["name"]
                async with http.delete(f"/api/v1/namespaces/default/pods/{self.first_pod}") as r:
                    assert r.status == 200, await r.text()
                async with http.get("/api/v1/namespaces/kube-system/pods") as r:
                    target = (await r.json())["items"][0]["metadata"]["name"]
                async with http.patch(f"/api/v1/namespaces/kube-system/pods/{target}",
                                      json={"metadata": {"labels": {"seen": "between-pages"}}},
                                      headers={"Content-Type": "application/merge-patch+json"}) as r:
                    assert r.status == 200, await r.text()
        return await super()._handle(req)


async def test_a_pod_deleted_and_one_labelled_while_the_list_pages_reach_the_mirror(served, tmp_path):
    proxy = WriteBetweenPages(served.url)
    await proxy.start()
    try:
        ws, task = await attached(proxy.kubeconfig(tmp_path), page_size=1)
        try:
            assert proxy.done and proxy.first_pod.startswith("counter-")
            store = ws.cluster.store
            await eventually(lambda: store.get("Pod", "default", proxy.first_pod) is None,
                             what="the pod deleted between two pages gone from the mirror")
            await eventually(lambda: any((p["metadata"].get("labels") or {}).get("seen") == "between-pages"
                                         for p in store.list("Pod", "kube-system")),
                             what="the label set between two pages in the mirror")
        finally:
            await detach(task)
    finally:
        await proxy.stop()
    assert {m for m, _ in proxy.requests} == {"GET"}
