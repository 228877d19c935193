"""The served API at the HTTP level: discovery, Tables, chunks, watch semantics, Status
answers to bad requests, and the three patch types (apiserver-spec §1-§4)."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from engine.apply.workspace import cluster_from_paths
from engine.kapi import patch, server
from engine.kapi.responses import json_response
from tests.helpers import SAMPLES

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


@pytest.fixture
async def api():
    cluster, _ = cluster_from_paths([SAMPLES], deterministic=True)
    served = await server.start(cluster, "127.0.0.1", 0, bookmark_seconds=0.2, watch_queue_limit=8)
    async with aiohttp.ClientSession(served.url) as http:
        yield cluster, http
    await served.stop()


async def _json(resp: aiohttp.ClientResponse) -> tuple[int, dict]:
    return resp.status, json.loads(await resp.read())


# -- discovery, version --------------------------------------------------------------------------

async def test_discovery_answers_aggregated_when_asked_and_legacy_otherwise(api):
    _, http = api
    async with http.get("/api", headers={"Accept": AGGREGATED}) as r:
        assert r.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        body = await r.json(content_type=None)
    core = body["items"][0]
    assert core["metadata"] == {} and core["versions"][0]["version"] == "v1"
    pods = next(x for x in core["versions"][0]["resources"] if x["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"] and pods["scope"] == "Namespaced"
    assert pods["responseKind"] == {"group": "", "version": "v1", "kind": "Pod"}
    async with http.get("/apis", headers={"Accept": AGGREGATED}) as r:
        groups = [g["metadata"]["name"] for g in (await r.json(content_type=None))["items"]]
    # (kube-apiserver's group priorities: events/authentication/authorization after apps, ...)
    served = ["apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "batch", "networking.k8s.io",
              "apiextensions.k8s.io", "coordination.k8s.io", "discovery.k8s.io"]
    assert groups == served
    assert (await _json(await http.get("/api")))[1]["kind"] == "APIVersions"
    status, body = await _json(await http.get("/apis"))
    assert [g["name"] for g in body["groups"]] == served
    status, body = await _json(await http.get("/apis/apps/v1"))
    names = [r["name"] for r in body["resources"]]
    assert "deployments/scale" in names and names.index("daemonsets") < names.index("deployments")
    status, body = await _json(await http.get("/version"))
    assert (body["major"], body["minor"], body["gitVersion"]) == ("1", "33", "v1.33.1")


# -- reads -----------------------------------------------------------------------------------------

async def test_a_table_carries_the_wide_columns_at_priority_1_and_metadata_rows(api):
    _, http = api
    status, body = await _json(await http.get("/api/v1/namespaces/default/pods", headers={"Accept": TABLE}))
    assert status == 200 and body["kind"] == "Table"
    cols = [(c["name"], c["priority"]) for c in body["columnDefinitions"]]
    assert cols[:5] == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0)]
    assert ("IP", 1) in cols and ("Node", 1) in cols
    row = body["rows"][0]
    assert len(row["cells"]) == len(cols)
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["namespace"] == "default"
    status, body = await _json(await http.get("/api/v1/namespaces/default/pods?includeObject=Object",
                                              headers={"Accept": TABLE}))
    assert body["rows"][0]["object"]["kind"] == "Pod"


async def test_chunks_walk_every_object_once_in_list_order(api):
    cluster, http = api
    want = [p["metadata"]["name"] for p in cluster.store.list("Pod")]
    got, token, pages = [], "", 0
    while True:
        url = "/api/v1/pods?limit=3" + (f"&continue={token}" if token else "")
        status, body = await _json(await http.get(url))
        assert status == 200 and len(body["items"]) <= 3
        got += [p["metadata"]["name"] for p in body["items"]]
        pages += 1
        token = body["metadata"].get("continue", "")
        # what is left, as etcd3's store counts it for an unfiltered list (clients show progress)
        assert body["metadata"].get("remainingItemCount") == (len(want) - len(got) if token else None)
        if not token:
            break
    assert sorted(got) == sorted(want) and len(got) == len(want) and pages > 1
    status, body = await _json(await http.get("/api/v1/pods?limit=1&labelSelector=app"))
    assert body["metadata"]["continue"] and "remainingItemCount" not in body["metadata"]  # a selector's count would lie
    status, body = await _json(await http.get("/api/v1/pods?limit=1", headers={"Accept": TABLE}))
    assert body["kind"] == "Table" and body["metadata"]["remainingItemCount"] == len(want) - 1


async def test_selectors(api):
    _, http = api
    status, body = await _json(await http.get("/api/v1/namespaces/default/pods?labelSelector=tier%3Ddb"))
    assert [p["metadata"]["labels"]["tier"] for p in body["items"]] == ["db"]
    status, body = await _json(await http.get("/api/v1/pods?fieldSelector=metadata.namespace%3Dkube-system,"
                                              "status.phase!%3DPending"))
    assert body["items"] and {p["metadata"]["namespace"] for p in body["items"]} == {"kube-system"}
    status, body = await _json(await http.get("/api/v1/pods?fieldSelector=spec.bogus%3Dx"))
    assert (status, body["reason"], body["message"]) == (400, "BadRequest", "field label not supported: spec.bogus")
    status, body = await _json(await http.get("/api/v1/pods?labelSelector=a%20in"))
    assert (status, body["reason"]) == (400, "BadRequest")


async def test_endpoints_carry_the_deprecation_warning(api):
    _, http = api
    async with http.get("/api/v1/namespaces/default/endpoints/redis") as r:
        assert r.headers.getall("Warning") == [
            '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"']


# -- watch -----------------------------------------------------------------------------------------

async def _events(resp: aiohttp.ClientResponse, n: int, timeout: float = 5) -> list[dict]:
    out = []
    for _ in range(n):
        line = await asyncio.wait_for(resp.content.readline(), timeout)
        if not line:
            break
        out.append(json.loads(line))
    return out


async def test_watch_from_a_list_rv_sends_only_later_changes_and_deleted_carries_the_deletion_rv(api):
    cluster, http = api
    status, listed = await _json(await http.get("/api/v1/namespaces/default/services"))
    rv = listed["metadata"]["resourceVersion"]
    async with http.get(f"/api/v1/namespaces/default/services?watch=true&resourceVersion={rv}") as w:
        svc = cluster.store.get("Service", "default", "redis")
        last_rv = int(svc["metadata"]["resourceVersion"])
        cluster.api.delete_object("Service", "default", "redis")
        (ev,) = await _events(w, 1)
    assert ev["type"] == "DELETED" and ev["object"]["metadata"]["name"] == "redis"
    assert int(ev["object"]["metadata"]["resourceVersion"]) == cluster.store.resource_version > last_rv


async def test_watch_without_rv_starts_with_the_state_and_too_old_rv_is_410_expired(api):
    cluster, http = api
    async with http.get("/apis/apps/v1/namespaces/default/deployments?watch=1&timeoutSeconds=1") as w:
        evs = await _events(w, 5)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == [("ADDED", "counter"), ("ADDED", "redis")]
    async with http.get("/api/v1/pods?watch=True&resourceVersion=5") as w:  # (the Python clients' spelling)
        (ev,) = await _events(w, 2)
    assert ev["type"] == "ERROR"
    assert (ev["object"]["code"], ev["object"]["reason"]) == (410, "Expired")
    assert ev["object"]["message"].startswith("too old resource version: 5 (")


async def test_a_resource_version_the_server_has_not_reached_is_waited_for_then_refused_as_too_large(api):
    """A client holding a resourceVersion from an earlier server (svcflow serve restarted: its
    versions start again lower) gets, after the watch cache's 3 s wait, kube-apiserver's
    Too large resource version (504, cause ResourceVersionTooLarge), on which client-go
    relists; a version reached while waiting is served."""
    cluster, http = api
    now = cluster.store.resource_version
    too_large = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": f"Timeout: Too large resource version: {now + 1000}, current: {now}", "reason": "Timeout",
                 "details": {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                             "retryAfterSeconds": 1}, "code": 504}
    assert await _json(await http.get(f"/api/v1/pods?resourceVersion={now + 1000}")) == (504, too_large)
    async with http.get(f"/api/v1/pods?watch=1&resourceVersion={now + 1000}") as w:
        assert w.status == 200
        assert [json.loads(line) for line in (await w.read()).splitlines()] == [{"type": "ERROR", "object": too_large}]
    assert (await _json(await http.get(f"/api/v1/pods?resourceVersion={now}")))[0] == 200

    async def write_soon() -> None:
        await asyncio.sleep(0.3)
        cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "soon", "namespace": "default"}})
    writer = asyncio.create_task(write_soon())
    status, body = await _json(await http.get(f"/api/v1/configmaps?resourceVersion={now + 1}"))
    await writer
    assert status == 200 and "soon" in [o["metadata"]["name"] for o in body["items"]]


async def test_watch_bookmarks_when_asked_and_relabels_objects_leaving_the_selection(api):
    cluster, http = api
    rv = cluster.store.resource_version
    async with http.get(f"/api/v1/namespaces/default/services?watch=true&allowWatchBookmarks=true"
                        f"&resourceVersion={rv}&labelSelector=watched%3Dyes") as w:
        (bm,) = await _events(w, 1)
        assert bm["type"] == "BOOKMARK" and bm["object"]["kind"] == "Service"
        svc = cluster.store.get("Service", "default", "redis")
        cluster.store.update({**svc, "metadata": {**svc["metadata"], "labels": {"watched": "yes"}}})
        svc = cluster.store.get("Service", "default", "redis")
        cluster.store.update({**svc, "metadata": {**svc["metadata"], "labels": {}}})
        evs = [e for e in await _events(w, 3) if e["type"] != "BOOKMARK"][:2]
    assert [e["type"] for e in evs] == ["ADDED", "DELETED"]


async def test_a_table_watch_sends_column_definitions_once(api):
    cluster, http = api
    async with http.get("/apis/apps/v1/namespaces/default/deployments?watch=1", headers={"Accept": TABLE}) as w:
        first, second = await _events(w, 2)
    assert first["object"]["kind"] == "Table" and first["object"]["columnDefinitions"]
    assert second["object"]["columnDefinitions"] is None and len(second["object"]["rows"]) == 1


async def test_fifty_watchers_each_see_one_change_and_a_slow_one_is_dropped(api):
    cluster, http = api
    rv = cluster.store.resource_version
    watches = [await http.get(f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}")
               for _ in range(50)]
    cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hello"}, "data": {"a": "b"}})
    got = await asyncio.gather(*(_events(w, 1) for w in watches))
    assert all(e[0]["type"] == "ADDED" and e[0]["object"]["metadata"]["name"] == "hello" for e in got)
    for w in watches:
        w.close()
    # one that does not read: the server closes it once it is 8 events behind (the fixture's limit)
    async with http.get(f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={cluster.store.resource_version}") as slow:
        for i in range(30):
            cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}})
        await asyncio.sleep(0.1)
        lines = (await asyncio.wait_for(slow.content.read(), 5)).splitlines()
    assert len(lines) <= 8  # it ended (rather than buffering all 30)


# -- writes and refusals -----------------------------------------------------------------------

async def test_refusals_are_kube_apiservers_status_objects(api):
    cluster, http = api
    status, body = await _json(await http.get("/api/v1/namespaces/default/pods/nope"))
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'pods "nope" not found', "reason": "NotFound",
                    "details": {"name": "nope", "kind": "pods"}, "code": 404}
    status, body = await _json(await http.get("/api/v1/nothing"))
    assert (status, body["message"], "reason" in body) == (404, "the server could not find the requested resource",
                                                           True)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    url = "/api/v1/namespaces/default/configmaps"
    status, body = await _json(await http.post(url, data=b"{not json", headers={"Content-Type": "application/json"}))
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = await _json(await http.post(url, data=json.dumps(cm), headers={"Content-Type": "text/plain"}))
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    status, body = await _json(await http.post(url, data=b" " * (4 * 1024 * 1024),
                                               headers={"Content-Type": "application/json"}))
    assert status == 413
    status, body = await _json(await http.post(url, json=cm))
    assert status == 201 and body["metadata"]["uid"]
    status, body = await _json(await http.post(url, json=cm))
    assert (status, body["reason"], body["message"]) == (409, "AlreadyExists", 'configmaps "x" already exists')
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad"}, "spec": {"ports": [{"port": 0}]}}
    status, body = await _json(await http.post("/api/v1/namespaces/default/services", json=bad))
    assert (status, body["reason"], body["details"]["kind"]) == (422, "Invalid", "Service")
    assert body["details"]["causes"][0] == {"reason": "FieldValueInvalid", "field": "spec.ports[0].port",
                                            "message": "Invalid value: 0: must be between 1 and 65535, inclusive"}
    status, body = await _json(await http.delete("/api/v1/namespaces/default"))
    assert (status, body["reason"]) == (403, "Forbidden")
    status, body = await _json(await http.put(url + "/x", json={**cm, "metadata": {"name": "x",
                                                                                    "resourceVersion": "1"}}))
    assert (status, body["reason"]) == (409, "Conflict")
    assert cluster.store.get("Service", "default", "bad") is None


async def test_patch_types_and_scale(api):
    cluster, http = api
    url = "/api/v1/namespaces/default/services/redis"
    status, body = await _json(await http.patch(url, data=json.dumps({"metadata": {"labels": {"env": "dev"}}}),
                                                headers={"Content-Type": "application/merge-patch+json"}))
    assert status == 200 and body["metadata"]["labels"] == {"env": "dev"}
    ops = [{"op": "add", "path": "/metadata/labels/team", "value": "x"}, {"op": "remove", "path": "/metadata/labels/env"}]
    status, body = await _json(await http.patch(url, data=json.dumps(ops),
                                                headers={"Content-Type": "application/json-patch+json"}))
    assert body["metadata"]["labels"] == {"team": "x"}
    status, body = await _json(await http.patch(
        "/apis/apps/v1/namespaces/default/deployments/redis/scale", data=json.dumps({"spec": {"replicas": 3}}),
        headers={"Content-Type": "application/merge-patch+json"}))
    assert (status, body["kind"], body["spec"]["replicas"]) == (200, "Scale", 3)
    assert cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"] == 3
    status, body = await _json(await http.patch(url, data="{}", headers={"Content-Type": "application/apply-patch+yaml"}))
    # server-side apply is served (engine/kapi/serverside.py): without a field manager it is kube-apiserver's 422
    assert (status, body["reason"], body["message"]) == (422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: '
                                                         "fieldManager: Required value: is required for apply patch")


@pytest.mark.parametrize("replicas,word", [(99999999999, "number 99999999999"), (3000000000, "number 3000000000"),
                                           ("3", "string"), (2.5, "number 2.5")])
async def test_scale_decodes_replicas_as_int32_and_stores_nothing_it_cannot(api, replicas, word):
    """`kubectl scale --replicas=99999999999` once stored the value (and the ReplicaSet made
    270,000 pods): the Scale is decoded into autoscaling/v1's int32 first, as kube-apiserver does."""
    cluster, http = api
    for method in ("patch", "put"):
        resp = await getattr(http, method)(
            "/apis/apps/v1/namespaces/default/deployments/redis/scale",
            data=json.dumps({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "redis"},
                             "spec": {"replicas": replicas}}),
            headers={"Content-Type": "application/merge-patch+json" if method == "patch" else "application/json"})
        status, body = await _json(resp)
        assert (status, body["reason"]) == (400, "BadRequest")
        assert body["message"] == ('Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
                                   f"{word} into Go struct field ScaleSpec.spec.replicas of type int32")
    assert cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"] == 1


def test_strategic_merge_as_kubectl_apply_sends_it():
    """apiserver-spec §3.2: env REDIS_PORT -> DEBUG, port 3001 removed, image changed, replicas added."""
    live = {"kind": "Deployment", "spec": {"replicas": 1, "template": {"spec": {"containers": [
        {"name": "counter", "image": "ghcr.io/subicura/counter:latest", "imagePullPolicy": "Always",
         "env": [{"name": "REDIS_HOST", "value": "redis"}, {"name": "REDIS_PORT", "value": "6379"}],
         "ports": [{"containerPort": 3000, "protocol": "TCP"}, {"containerPort": 3001, "protocol": "TCP"}]}]}}}}
    smp = {"spec": {"replicas": 3, "template": {"spec": {
        "$setElementOrder/containers": [{"name": "counter"}],
        "containers": [{"name": "counter", "image": "ghcr.io/subicura/counter:v2",
                        "$setElementOrder/env": [{"name": "REDIS_HOST"}, {"name": "DEBUG"}],
                        "$setElementOrder/ports": [{"containerPort": 3000}],
                        "env": [{"name": "DEBUG", "value": "1"}, {"$patch": "delete", "name": "REDIS_PORT"}],
                        "ports": [{"$patch": "delete", "containerPort": 3001}]}]}}}}
    out = patch.strategic_merge(live, smp, "Deployment")
    (c,) = out["spec"]["template"]["spec"]["containers"]
    assert out["spec"]["replicas"] == 3
    assert c == {"name": "counter", "image": "ghcr.io/subicura/counter:v2", "imagePullPolicy": "Always",
                 "env": [{"name": "REDIS_HOST", "value": "redis"}, {"name": "DEBUG", "value": "1"}],
                 "ports": [{"containerPort": 3000, "protocol": "TCP"}]}
    assert live["spec"]["replicas"] == 1  # (the live object is not touched)
    # Service ports merge by `port`; lists without a merge key are replaced; null deletes
    svc = {"kind": "Service", "spec": {"ports": [{"port": 80, "nodePort": 30080}], "externalIPs": ["1.2.3.4"]},
           "metadata": {"labels": {"a": "b"}, "finalizers": ["x"]}}
    out = patch.strategic_merge(svc, {"spec": {"ports": [{"port": 80, "name": "http"}], "externalIPs": ["5.6.7.8"]},
                                      "metadata": {"labels": {"a": None}, "finalizers": ["y"]}}, "Service")
    assert out["spec"] == {"ports": [{"port": 80, "nodePort": 30080, "name": "http"}], "externalIPs": ["5.6.7.8"]}
    assert out["metadata"] == {"labels": {}, "finalizers": ["x", "y"]}
    assert patch.strategic_merge({"spec": {"a": 1, "b": 2}}, {"spec": {"$patch": "replace", "c": 3}}, "X") == \
        {"spec": {"c": 3}}


def test_merge_and_json_patch():
    assert patch.merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": 4}, "l": [2]}) == \
        {"a": {"c": 2, "d": 4}, "l": [2]}
    doc = {"a": [1, 2], "b": {"c": 1}}
    assert patch.json_patch(doc, [{"op": "add", "path": "/a/1", "value": 9}, {"op": "replace", "path": "/b/c", "value": 2},
                                  {"op": "move", "from": "/b/c", "path": "/d"}, {"op": "copy", "from": "/d", "path": "/e"},
                                  {"op": "test", "path": "/e", "value": 2}]) == {"a": [1, 9, 2], "b": {}, "d": 2, "e": 2}
    assert doc == {"a": [1, 2], "b": {"c": 1}}
    with pytest.raises(Exception):
        patch.json_patch(doc, [{"op": "remove", "path": "/nope"}])


async def test_yaml_bodies_go_through_svcflows_hardened_reader(api):
    cluster, http = api
    url = "/api/v1/namespaces/default/configmaps"
    ok = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\ndata:\n  a: b\n"
    status, body = await _json(await http.post(url, data=ok, headers={"Content-Type": "application/yaml"}))
    assert status == 201 and body["data"] == {"a": "b"}
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    status, body = await _json(await http.post(url, data=bomb, headers={"Content-Type": "application/yaml"}))
    assert (status, body["reason"]) == (400, "BadRequest") and "alias" in body["message"]
    assert cluster.store.get("ConfigMap", "default", "yml") is not None


async def test_body_decoders_and_patch_handlers_plug_in_from_their_own_modules():
    """How the protobuf and server-side apply modules will join: by media type."""
    cluster, _ = cluster_from_paths([SAMPLES], deterministic=True, bare=True)
    seen = []

    def proto(raw: bytes, req) -> dict:
        seen.append(raw)
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": raw.decode()}}

    async def ssa(ctx, req, request) -> web.StreamResponse:
        return json_response({"applied": req.name})
    served = await server.start(cluster, "127.0.0.1", 0, body_decoders={"application/vnd.kubernetes.protobuf": proto},
                                patch_handlers={patch.APPLY: ssa})
    try:
        async with aiohttp.ClientSession(served.url) as http:
            status, body = await _json(await http.post(
                "/api/v1/namespaces/default/configmaps", data=b"from-proto",
                headers={"Content-Type": "application/vnd.kubernetes.protobuf"}))
            assert (status, body["metadata"]["name"], seen) == (201, "from-proto", [b"from-proto"])
            status, body = await _json(await http.patch("/api/v1/namespaces/default/configmaps/from-proto", data="{}",
                                                        headers={"Content-Type": patch.APPLY}))
            assert (status, body) == (200, {"applied": "from-proto"})
    finally:
        await served.stop()
