"""A mirror stores each list page in one call (`Store.put_many`), and its pods' repeated
parts once per page (engine.attach.sharing, as the page is decoded): the store, its indexes and its watchers end exactly as with one
`put` per object, and what a pod has in common with the pod before it is that pod's instance
(its template's containers, though each names its own kube-api-access volume)."""
from __future__ import annotations

import asyncio
import copy
import json
from datetime import datetime, timezone

import pytest

from engine.api.store import Store
from engine.attach.decoding import PageDecoder
from engine.attach.mirror import Mirror
from engine.attach.sharing import slim
from engine.attach.source import RESOURCES
from engine.cluster.clock import SimClock


def _pod(ns: str, name: str, rv: str, app: str, owner: str | None = None, port: int = 8080,
         token_volume: str = "kube-api-access-abcde", node: str = "n1") -> dict:
    md: dict = {"namespace": ns, "name": name, "resourceVersion": rv, "uid": f"uid-{ns}-{name}",
                "labels": {"app": app, "pod-template-hash": "abc"}}
    if owner:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": f"rs-{owner}",
                                  "controller": True, "blockOwnerDeletion": True}]
    return {"kind": "Pod", "apiVersion": "v1", "metadata": md,
            "spec": {"volumes": [{"name": token_volume, "projected": {"sources": [
                         {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                         {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
                     "containers": [{"name": "c", "image": "agnhost", "ports": [{"containerPort": port}],
                                     "volumeMounts": [{"name": token_volume, "readOnly": True,
                                                       "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
                     "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                      "effect": "NoExecute", "tolerationSeconds": 300}], "nodeName": node},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-06-01T10:02:01Z"}],
                       "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0}]}}


def _node(name: str, rv: str) -> dict:
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "namespace": "ignored", "resourceVersion": rv,
                                                             "labels": {"role": "worker"}}}


def _writes() -> list[list[dict]]:
    """Pages as a mirror gets them: new objects, the same versions again (a relist: no-ops),
    new versions (a label that changes, an owner that goes), two kinds in one call, and a
    cluster-scoped kind sent with a namespace."""
    first = [_pod("a", f"p{i}", "1", "web" if i < 3 else "db", owner="rs1" if i % 2 else None) for i in range(6)]
    again = [_pod("a", f"p{i}", "1", "web" if i < 3 else "db", owner="rs1" if i % 2 else None) for i in range(3)]
    moved = [_pod("a", "p1", "2", "api"), _pod("b", "p0", "1", "web", owner="rs2"), _pod("a", "p4", "3", "db", port=9090)]
    mixed = [_node("n1", "5"), _node("n2", "6"), _pod("b", "p1", "1", "web"), _node("n1", "7")]
    return [first, again, moved, mixed]


def _store_and_log() -> tuple[Store, list]:
    store = Store(SimClock(datetime(2025, 6, 1, tzinfo=timezone.utc)), lambda: "uid")
    store.index_labels("Pod")
    log: list = []

    def on_pod(ev) -> None:
        # a watcher that reads the store while the page goes in (its sorted keys, a label
        # lookup), and starts the Nodes' label index half-way through
        log.append(("Pod", ev.type, ev.obj, ev.old, [p["metadata"]["name"] for p in store.list("Pod", "a")],
                    len(store.select("Pod", "a", {"app": "web"})), store.kind_version("Pod")))
        if ev.obj["metadata"]["name"] == "p4":
            store.index_labels("Node")
    store.watch("Pod", on_pod)
    store.watch("*", lambda ev: log.append(("*", ev.type, ev.obj["metadata"]["name"], store.resource_version)))
    return store, log


def _state(store: Store) -> dict:
    return {"objects": store._objects, "by_ns": store._by_ns, "labels": store._label_index,
            "dependents": store._dependents, "rv": store._rv, "kind_rv": store._kind_rv,
            "lists": {k: store.list(k, ns) for k in ("Pod", "Node") for ns in (None, "a", "b", "")},
            "select": {k: store.select(k, ns, sel) for k, ns, sel in (
                ("Pod", "a", {"app": "web"}), ("Pod", "a", {"app": "api"}), ("Pod", "b", {"app": "web"}),
                ("Node", "", {"role": "worker"}))}}


def test_put_many_ends_as_put_for_each_object():
    one, one_log = _store_and_log()
    many, many_log = _store_and_log()
    for page in _writes():
        for obj in copy.deepcopy(page):
            one.put(obj)
        many.put_many(copy.deepcopy(page))
    assert many_log == one_log
    assert len([e for e in one_log if e[0] == "Pod"]) == 6 + 3 + 1  # (the relisted versions were no-ops)
    assert _state(many) == _state(one)
    assert one.get("Node", "", "n1")["metadata"]["resourceVersion"] == "7"


@pytest.mark.parametrize("offload", [False, True], ids=["decoded here", "decoded in another process"])
def test_a_list_stores_what_slimming_each_pod_alone_stores_sharing_what_a_pod_has_in_common_with_the_last(offload):
    # Each pod names its own kube-api-access volume (admission's random suffix), and pods
    # land on two nodes: their specs are never equal, their containers' images and ports,
    # their volumes' sources and their tolerations are. The pages go the way a list's do:
    # bytes, decoded (here, or marshalled back from the other process a big list uses).
    pods = [_pod("a", f"p{i}", "1", "web" if i < 4 else "db", owner="rs1" if i < 4 else "rs2",
                 port=8080 if i != 2 else 9090, token_volume=f"kube-api-access-{i:05d}", node=f"n{i % 2}")
            for i in range(8)]
    alone = [slim(copy.deepcopy(p)) for p in pods]
    mirror = Mirror()
    for shape in RESOURCES[:3]:  # (the two ConfigMaps and the Nodes: the mirror is built)
        mirror.replace(shape, [])
    mirror.build("test")
    pods_list = next(r for r in RESOURCES if r.kind == "Pod")
    pages = (pods[:5], pods[5:])

    async def listed() -> PageDecoder:
        decoder = PageDecoder(offload_at=0 if offload else None)
        try:
            decoder.expect(len(pods))
            if offload:
                await asyncio.wait_for(decoder.start(), 60)  # (the other process is up: pages go to it)
            for first, page in zip((True, False), pages):
                raw = json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"},
                                  "items": [{**p, "metadata": {**p["metadata"], "managedFields": [{"manager": "m"}]}}
                                            for p in page]}).encode()
                pending = await decoder.submit(raw, "Pod", "v1")
                assert (pending is not None) == offload
                mirror.page(pods_list, await decoder.decoded(raw, pending, "Pod", "v1"), first)
        finally:
            await decoder.aclose()  # (the process reaped while the loop runs)
        return decoder
    decoder = asyncio.run(listed())
    assert decoder.offloaded == (2 if offload else 0)
    stored = mirror.cluster.store.list("Pod", "a")
    assert [p["metadata"]["name"] for p in stored] == [p["metadata"]["name"] for p in alone]
    for got, want in zip(stored, alone):
        assert _plain(got) == _plain(want)
        assert "managedFields" not in got["metadata"]
    for last, got in zip(stored, stored[1:]):
        if got["metadata"]["name"] == pages[1][0]["metadata"]["name"]:
            continue  # (a page shares within itself: a page's first pod is its own)
        c, c0 = got["spec"]["containers"][0], last["spec"]["containers"][0]
        assert c["volumeMounts"][0]["name"] != c0["volumeMounts"][0]["name"]
        assert c["image"] is c0["image"]
        assert got["spec"]["tolerations"] is last["spec"]["tolerations"]
        assert got["spec"]["volumes"][0]["projected"] is last["spec"]["volumes"][0]["projected"]
        assert c["volumeMounts"][0]["mountPath"] is c0["volumeMounts"][0]["mountPath"]
        assert (c["ports"] is c0["ports"]) == (c["ports"] == c0["ports"])
        for part, f in (("metadata", "labels"), ("metadata", "ownerReferences"), ("status", "conditions")):
            assert (got[part][f] is last[part][f]) == (got[part][f] == last[part][f]), (part, f)
    assert stored[1]["metadata"]["labels"] is stored[0]["metadata"]["labels"]
    assert stored[4]["metadata"]["labels"] is not stored[3]["metadata"]["labels"]


def test_a_watched_pod_shares_with_its_stored_version_what_did_not_change():
    mirror = Mirror()
    for shape in RESOURCES[:3]:
        mirror.replace(shape, [])
    mirror.build("test")
    pods_list = next(r for r in RESOURCES if r.kind == "Pod")
    mirror.page(pods_list, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "9"},
                            "items": [_pod("a", "p0", "1", "web")]}, True)
    before = mirror.cluster.store.get("Pod", "a", "p0")
    changed = _pod("a", "p0", "2", "web")
    changed["status"]["podIP"] = "10.0.0.9"
    mirror.event(pods_list, "MODIFIED", changed)
    after = mirror.cluster.store.get("Pod", "a", "p0")
    assert after["status"]["podIP"] == "10.0.0.9" and after["metadata"]["resourceVersion"] == "2"
    assert after["spec"] is before["spec"]
    assert after["metadata"]["labels"] is before["metadata"]["labels"]


def _plain(v):
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v
