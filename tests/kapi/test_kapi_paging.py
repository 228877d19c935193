"""Large lists through the served API: `limit`/`continue` pages at a few thousand objects, with
writes between the pages, the bytewise storage-key order across namespaces, selectors with
limits, continue tokens, and the real kubectl paging through 2,000 pods (issue 16).

kube-apiserver serves a continue from the snapshot of the first page's resourceVersion;
svcflow keeps no history, so a continue lists the live objects after the token's key (what
apiserver-spec §2.4 allows and what svcflow has always done): objects that stay are listed
exactly once, in order; one deleted before its page is reached is not listed; one created
after the token's key is. These tests pin that.
"""
from __future__ import annotations

import json

import aiohttp
import pytest

from benchmarks.generate import Shape, write
from engine.api.objects import clone
from engine.apply.workspace import cluster_from_paths
from engine.kapi import server
from engine.kapi.watch import WatchHub
from engine.kubectl import commands
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, require_kubectl

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
# `a-b/...` sorts before `a/...` bytewise ('-' < '/'), though ("a", ...) < ("a-b", ...) as tuples.
NAMESPACES = ("a", "a-b", "team")
PER_NAMESPACE = 800


def _cm(ns: str, name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "data": {"k": name}}


def _api_key(obj: dict) -> bytes:
    md = obj["metadata"]
    return f"{md['namespace']}/{md['name']}".encode() if md.get("namespace") else md["name"].encode()


@pytest.fixture
async def big():
    cluster, _ = cluster_from_paths([SAMPLES], deterministic=True)
    for ns in NAMESPACES:
        cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i in range(PER_NAMESPACE):
            cluster.api.create(_cm(ns, f"cm-{i:04d}", parity="even" if i % 2 == 0 else "odd"))
    served = await server.start(cluster, "127.0.0.1", 0)
    async with aiohttp.ClientSession(served.url) as http:
        yield cluster, http
    await served.stop()


async def _page(http: aiohttp.ClientSession, path: str, token: str = "", accept: str = "application/json",
                **query: str) -> tuple[int, dict]:
    params = {**query, **({"continue": token} if token else {})}
    async with http.get(path, params=params, headers={"Accept": accept}) as r:
        return r.status, json.loads(await r.read())


async def test_pages_across_writes_list_what_stays_once_in_order_and_follow_the_live_keys(big):
    cluster, http = big
    api = cluster.api
    at_start = {_api_key(o) for o in cluster.store.list("ConfigMap")}
    deleted_ahead: set[bytes] = set()
    created_ahead: set[bytes] = set()
    updated_ahead: dict[bytes, str] = {}
    listed: list[dict] = []
    token, pages, step = "", 0, 0
    while True:
        status, body = await _page(http, "/api/v1/configmaps", token, limit="250")
        assert status == 200 and body["kind"] == "ConfigMapList"
        items = body["items"]
        token = body["metadata"].get("continue", "")
        assert len(items) == 250 or not token  # every page but the last is full
        listed += items
        pages += 1
        if not token:
            break
        # writes between pages: behind the position (already listed) and ahead of it
        step += 1
        ns = NAMESPACES[step % len(NAMESPACES)]
        last = _api_key(items[-1])
        ahead = [o for o in cluster.store.list("ConfigMap", ns) if _api_key(o) > last
                 and o["metadata"]["name"].startswith("cm-") and _api_key(o) not in updated_ahead]
        if len(ahead) >= 2:
            gone, changed = ahead[-1], ahead[-2]
            api.delete_object("ConfigMap", ns, gone["metadata"]["name"])
            deleted_ahead.add(_api_key(gone))
            edited = clone(changed)
            edited["data"] = {"k": "changed"}
            new = api.update(changed, edited)
            updated_ahead[_api_key(new)] = new["metadata"]["resourceVersion"]
            name = f"zz-new-{step:03d}"
            api.create(_cm(ns, name))
            if f"{ns}/{name}".encode() > last:
                created_ahead.add(f"{ns}/{name}".encode())
        behind = [o for o in cluster.store.list("ConfigMap") if _api_key(o) <= last]
        if behind:
            api.delete_object("ConfigMap", behind[0]["metadata"]["namespace"], behind[0]["metadata"]["name"])
        api.create(_cm("a-b", f"aa-behind-{step:03d}"))  # (sorts before every page after the first)
    keys = [_api_key(o) for o in listed]
    assert pages >= 10
    assert keys == sorted(set(keys))  # bytewise order, no object twice
    stayed = at_start - deleted_ahead
    assert stayed <= set(keys)  # (those deleted behind were listed before they went)
    assert not deleted_ahead & set(keys)
    assert created_ahead and created_ahead <= set(keys)
    by_key = {_api_key(o): o for o in listed}
    assert updated_ahead and all(by_key[k]["metadata"]["resourceVersion"] == rv and by_key[k]["data"] == {"k": "changed"}
                                 for k, rv in updated_ahead.items())
    assert not any(b"aa-behind" in k for k in keys[:250])


async def test_every_page_says_the_first_pages_resource_version_and_a_watch_from_it_sees_the_writes_between(big):
    """The continue token pins the list's resourceVersion (apiserver-spec §2.4): a client
    watching from it -- client-go's reflector, svcflow attached -- gets what changed while it
    paged. (Each page said the store's version of its moment: a watch from the last page's
    missed a pod deleted after it was listed; a tester saw it stay on screen.)"""
    cluster, http = big
    status, first = await _page(http, "/api/v1/configmaps", limit="500")
    rv = first["metadata"]["resourceVersion"]
    gone = first["items"][3]["metadata"]  # (listed on the first page, then deleted)
    cluster.api.delete_object("ConfigMap", gone["namespace"], gone["name"])
    status, second = await _page(http, "/api/v1/configmaps", first["metadata"]["continue"], limit="500")
    assert status == 200 and second["metadata"]["resourceVersion"] == rv
    assert int(rv) < cluster.store.resource_version
    async with http.get("/api/v1/configmaps", params={"watch": "true", "resourceVersion": rv,
                                                      "timeoutSeconds": "1"}) as r:
        events = [json.loads(line) for line in (await r.read()).splitlines() if line.strip()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("DELETED", gone["name"])]


async def test_a_continue_older_than_the_servers_history_is_expired_with_an_inconsistent_token(big, monkeypatch):
    cluster, http = big
    status, first = await _page(http, "/api/v1/configmaps", limit="500")
    token = first["metadata"]["continue"]
    for i in range(3):
        cluster.api.create(_cm("team", f"late-{i}"))
    # The watch ring forgets what is older than its size (etcd compacts): make it forget now.
    monkeypatch.setattr(WatchHub, "too_old", lambda self, rv: rv < cluster.store.resource_version)
    status, body = await _page(http, "/api/v1/configmaps", token, limit="500")
    assert status == 410
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "Expired", 410)
    assert body["message"].startswith("The provided continue parameter is too old to display a consistent list "
                                      "result. You can start a new list without the continue parameter, or use the "
                                      "continue token in this response")
    monkeypatch.undo()
    # The inconsistent token lists the rest as things are now, at the store's version.
    status, rest = await _page(http, "/api/v1/configmaps", body["metadata"]["continue"], limit="500")
    assert status == 200 and rest["metadata"]["resourceVersion"] == str(cluster.store.resource_version)
    assert _api_key(rest["items"][0]) > _api_key(first["items"][-1])


async def test_the_order_is_bytewise_by_storage_key_across_namespaces_and_a_page_bisects_to_its_token(big):
    cluster, http = big
    _, whole = await _page(http, "/api/v1/configmaps")
    keys = [_api_key(o) for o in whole["items"]]
    assert keys == sorted(keys) and "continue" not in whole["metadata"]
    assert keys.index(b"a-b/cm-0000") < keys.index(b"a/cm-0000")  # ('-' < '/')
    # every page of 1 across the a-b / a boundary, and pages of 7 from there, equal the whole list
    first = keys.index(b"a-b/cm-0797")
    _, body = await _page(http, "/api/v1/configmaps", limit=str(first + 1))
    token, walked = body["metadata"]["continue"], [_api_key(o) for o in body["items"]]
    for size in ("1", "1", "1", "1", "1", "7", "7", "500"):
        _, body = await _page(http, "/api/v1/configmaps", token, limit=size)
        assert len(body["items"]) == int(size)
        walked += [_api_key(o) for o in body["items"]]
        token = body["metadata"]["continue"]
    assert walked == keys[:len(walked)] and b"a/cm-0000" in walked
    # a namespace's own list is name order, paged the same way
    _, body = await _page(http, "/api/v1/namespaces/a-b/configmaps", limit="300")
    _, rest = await _page(http, "/api/v1/namespaces/a-b/configmaps", body["metadata"]["continue"], limit="600")
    names = [o["metadata"]["name"] for o in body["items"] + rest["items"]]
    assert names == sorted(o["metadata"]["name"] for o in cluster.store.list("ConfigMap", "a-b"))
    assert "continue" not in rest["metadata"]


async def test_a_token_whose_object_is_gone_resumes_after_its_key_and_a_bad_token_is_bad_request(big):
    cluster, http = big
    _, body = await _page(http, "/api/v1/namespaces/team/configmaps", limit="10")
    token = body["metadata"]["continue"]
    last = body["items"][-1]["metadata"]["name"]
    cluster.api.delete_object("ConfigMap", "team", last)
    cluster.api.delete_object("ConfigMap", "team", "cm-0010")  # the next one too
    _, body = await _page(http, "/api/v1/namespaces/team/configmaps", token, limit="3")
    assert [o["metadata"]["name"] for o in body["items"]] == ["cm-0011", "cm-0012", "cm-0013"]
    status, body = await _page(http, "/api/v1/namespaces/team/configmaps", "%%%not-base64", limit="3")
    assert (status, body["kind"], body["reason"]) == (400, "Status", "BadRequest")
    assert body["message"].startswith("continue key is not valid")


async def test_limit_with_selectors_fills_each_page_with_matching_objects(big):
    cluster, http = big
    want = [_api_key(o) for o in cluster.store.list("ConfigMap")
            if (o["metadata"].get("labels") or {}).get("parity") == "odd"
            and o["metadata"]["namespace"] != "team"]
    want.sort()
    got, token = [], ""
    while True:
        status, body = await _page(http, "/api/v1/configmaps", token, limit="333", labelSelector="parity=odd",
                                   fieldSelector="metadata.namespace!=team")
        assert status == 200
        token = body["metadata"].get("continue", "")
        assert len(body["items"]) == 333 or not token
        got += [_api_key(o) for o in body["items"]]
        if not token:
            break
    assert got == want and len(want) == PER_NAMESPACE


async def test_a_table_page_holds_rows_for_its_objects_only_with_the_json_pages_token(big):
    _, http = big
    _, as_list = await _page(http, "/api/v1/configmaps", limit="500")
    _, as_table = await _page(http, "/api/v1/configmaps", accept=TABLE, limit="500")
    assert as_table["kind"] == "Table" and len(as_table["rows"]) == 500
    assert as_table["metadata"]["continue"] == as_list["metadata"]["continue"]
    assert [r["object"]["metadata"]["name"] for r in as_table["rows"]] == \
        [o["metadata"]["name"] for o in as_list["items"]]
    _, nxt = await _page(http, "/api/v1/configmaps", as_table["metadata"]["continue"], accept=TABLE, limit="500")
    assert nxt["rows"][0]["object"]["metadata"]["name"] != as_table["rows"][-1]["object"]["metadata"]["name"]


def test_the_stores_key_list_is_kept_across_updates_and_renewed_when_keys_change():
    """What the served pages rely on: same keys, same list object (no re-sort per page)."""
    cluster, _ = cluster_from_paths([SAMPLES], deterministic=True)
    store = cluster.store
    keys = store.keys("Pod")
    pod = store.list("Pod", "default")[0]
    edited = clone(pod)
    edited["metadata"]["labels"]["x"] = "y"
    store.update(edited)
    assert store.keys("Pod") is keys
    cluster.api.create(_cm("default", "new-one"))
    assert store.keys("Pod") is keys  # (another kind's key changed)
    store.delete("Pod", "default", pod["metadata"]["name"])
    assert store.keys("Pod") is not keys and len(store.keys("Pod")) == len(keys) - 1
    assert store.keys("Pod", "nosuch") == [] and ("Pod", "nosuch") not in store._sorted


# ---------------------------------------------------------------------------------------------
# The real kubectl through the pages: 2,000 pods and the ConfigMaps of the bytewise order
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served_2000(tmp_path_factory) -> ServedCluster:
    require_kubectl()
    folder = tmp_path_factory.mktemp("gen")
    write(folder / "m", Shape(services=200, endpoints=10, nodes=10, per_namespace=50))
    s = ServedCluster([folder / "m"], tmp_path_factory.mktemp("served"))

    def more() -> None:
        api = s.cluster.api
        api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        for ns in ("bench", "bench-001"):
            for i in range(300):
                api.create(_cm(ns, f"cm-{i:03d}"))
    s.call(more)
    s.settle()
    yield s
    s.close()


@pytest.mark.parametrize("args", [
    ["get", "po", "-A"],
    ["get", "po", "-A", "-o", "wide"],
    ["get", "svc", "-A"],
    ["get", "cm", "-A"],
    ["get", "po", "-n", "bench-002"],
    ["get", "po", "-A", "-o", "name"],
], ids=lambda a: " ".join(a))
async def test_kubectl_pages_through_2000_pods_as_svcflow_get_prints_them(served_2000, tmp_path, args):
    kubectl = Kubectl(served_2000, tmp_path)
    pods = served_2000.call(lambda: served_2000.cluster.store.count("Pod"))
    assert pods > 2000  # (five pages of 500 and more)
    flags: dict = {"all_namespaces": "-A" in args}
    if "-o" in args:
        flags["output"] = args[args.index("-o") + 1]
    if "-n" in args:
        flags["namespace"] = args[args.index("-n") + 1]
    want = served_2000.svcflow(lambda c: commands.get(c, [args[1]], **flags))
    got = await kubectl(*args, settle=False)
    assert got == want
    assert got[1].count("\n") >= (pods if args[1] == "po" and "-A" in args else 50)

