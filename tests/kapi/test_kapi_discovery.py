"""Discovery as kind v1.33's kube-apiserver lists it, for the groups svcflow serves and the
ones every cluster answers though svcflow stores nothing of its own for them (events.k8s.io
Events, the authentication and authorization reviews, CustomResourceDefinitions): the real
kubectl's `api-resources`, `api-versions`, `get events.v1.events.k8s.io`, `auth whoami`,
`auth can-i`; the aggregated and legacy forms agree; nothing listed answers 404."""
from __future__ import annotations

import json

import aiohttp

from engine.kapi.discovery import AGGREGATED_V2
from tests.served import served_samples

served = served_samples()

API_VERSIONS = """\
apiextensions.k8s.io/v1
apps/v1
authentication.k8s.io/v1
authorization.k8s.io/v1
batch/v1
coordination.k8s.io/v1
discovery.k8s.io/v1
events.k8s.io/v1
networking.k8s.io/v1
v1
"""

#: kind v1.33's `kubectl api-resources -o wide` for these resources: NAME, SHORTNAMES,
#: APIVERSION, NAMESPACED, KIND, VERBS. svcflow serves events.k8s.io Events, CRDs, PodTemplates
#: and IngressClasses read-only (its controllers record the events; a kind cluster has none of
#: the others), and its verbs say so where kube-apiserver's list all eight.
ROWS = [
    ("events", "ev", "events.k8s.io/v1", "true", "Event", "get,list,watch"),
    ("selfsubjectreviews", "", "authentication.k8s.io/v1", "false", "SelfSubjectReview", "create"),
    ("tokenreviews", "", "authentication.k8s.io/v1", "false", "TokenReview", "create"),
    ("localsubjectaccessreviews", "", "authorization.k8s.io/v1", "true", "LocalSubjectAccessReview", "create"),
    ("selfsubjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview", "create"),
    ("selfsubjectrulesreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectRulesReview", "create"),
    ("subjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SubjectAccessReview", "create"),
    ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition",
     "get,list,watch"),
    ("podtemplates", "", "v1", "true", "PodTemplate", "get,list,watch"),
    ("ingressclasses", "", "networking.k8s.io/v1", "false", "IngressClass", "get,list,watch"),
]


def _columns(table: str) -> list[tuple[str, ...]]:
    """A kubectl table's rows cut at its header's column starts."""
    header, *lines = table.splitlines()
    names = header.split()
    starts = [header.index(n) for n in names] + [None]
    return [tuple(line[a:b].strip() for a, b in zip(starts, starts[1:])) for line in lines]


async def test_api_versions_and_api_resources(served, kubectl):
    assert await kubectl("api-versions", settle=False) == (0, API_VERSIONS, "")
    code, out, err = await kubectl("api-resources", "-o", "wide", settle=False)
    assert (code, err) == (0, "")
    rows = [r[:6] for r in _columns(out)]
    for want in ROWS:
        assert want in rows, want
    # kubectl sorts by group then name: core first, then the groups alphabetically
    assert [r[2] for r in rows].index("apiextensions.k8s.io/v1") < [r[2] for r in rows].index("apps/v1")
    assert ("events", "ev", "v1", "true", "Event", "create,delete,deletecollection,get,list,patch,update,watch") \
        in rows


async def _get(http: aiohttp.ClientSession, url: str, accept: str = "application/json") -> tuple[int, dict]:
    async with http.get(url, headers={"Accept": accept}) as r:
        return r.status, json.loads(await r.read())


async def test_aggregated_and_legacy_discovery_agree_and_nothing_listed_is_missing(served):
    base = served.served.url
    async with aiohttp.ClientSession() as http:
        legacy: dict[str, list[dict]] = {}
        status, versions = await _get(http, base + "/api")
        for v in versions["versions"]:
            legacy[v] = (await _get(http, f"{base}/api/{v}"))[1]["resources"]
        status, groups = await _get(http, base + "/apis")
        for g in groups["groups"]:
            for v in g["versions"]:
                legacy[v["groupVersion"]] = (await _get(http, f"{base}/apis/{v['groupVersion']}"))[1]["resources"]
        aggregated: dict[str, list[dict]] = {}
        for root in ("/api", "/apis"):
            status, body = await _get(http, base + root, AGGREGATED_V2)
            for item in body["items"]:
                name = item["metadata"].get("name", "")
                for v in item["versions"]:
                    gv = f"{name}/{v['version']}" if name else v["version"]
                    aggregated[gv] = v["resources"]
        assert list(aggregated) == list(legacy)  # the same group-versions, in the same order
        for gv, resources in aggregated.items():
            as_legacy = []
            for r in resources:  # client-go's convertAPIResource / convertAPISubresource
                entry = {"name": r["resource"], "singularName": r["singularResource"],
                         "namespaced": r["scope"] == "Namespaced", "kind": r["responseKind"]["kind"],
                         "verbs": r["verbs"]}
                entry.update({k: r[k] for k in ("shortNames", "categories") if k in r})
                as_legacy.append(entry)
                for sub in r.get("subresources", ()):
                    as_legacy.append({"name": f"{r['resource']}/{sub['subresource']}", "kind": sub["responseKind"]["kind"],
                                      "verbs": sub["verbs"]})
            plain = [{k: e[k] for k in ("name", "kind", "verbs")} if "/" in e["name"] else
                     {k: v for k, v in e.items() if k not in ("group", "version")} for e in legacy[gv]]
            assert [e if "/" not in e["name"] else {k: e[k] for k in ("name", "kind", "verbs")}
                    for e in as_legacy] == plain, gv
        # every resource listed answers its verbs: reads list, reviews take a POST and refuse a GET
        for gv, resources in legacy.items():
            prefix = f"{base}/apis/{gv}" if "/" in gv else f"{base}/api/{gv}"
            for r in resources:
                if "/" in r["name"]:
                    continue
                url = f"{prefix}/namespaces/default/{r['name']}" if r["namespaced"] else f"{prefix}/{r['name']}"
                if "list" in r["verbs"]:
                    status, body = await _get(http, url)
                    assert status == 200 and body["kind"] == r["kind"] + "List", (gv, r["name"], body)
                    # a readable subresource of an object answers too (status, scale, log)
                    for sub in (e["name"].split("/")[1] for e in resources if e["name"].startswith(r["name"] + "/")):
                        if sub not in ("status", "scale", "log") or not body["items"]:
                            continue
                        md = body["items"][0]["metadata"]
                        where = f"{prefix}/namespaces/{md['namespace']}/{r['name']}" if r["namespaced"] else url
                        async with http.get(f"{where}/{md['name']}/{sub}") as resp:
                            assert resp.status == 200, (gv, r["name"], sub, await resp.text())
                else:
                    assert r["verbs"] == ["create"], r
                    body = {"apiVersion": gv, "kind": r["kind"], "spec": {"user": "jane", "resourceAttributes": {
                        "namespace": "default", "verb": "get", "resource": "pods"}}}
                    async with http.post(url, json=body) as resp:
                        assert resp.status == 201, (gv, r["name"], await resp.text())
                    status, body = await _get(http, url)
                    assert (status, body["reason"]) == (405, "MethodNotAllowed"), url


async def test_events_k8s_io_serves_the_core_events(served, kubectl):
    code, out, err = await kubectl("get", "events.v1.events.k8s.io", "-o", "json", settle=False)
    assert (code, err) == (0, "")
    v1 = {e["metadata"]["name"]: e for e in json.loads(out)["items"]}
    core = {e["metadata"]["name"]: e for e in served.call(lambda: served.cluster.store.list("Event", "default"))}
    assert set(v1) == set(core) and v1
    for name, e in v1.items():
        c = core[name]
        assert (e["apiVersion"], e["kind"]) == ("events.k8s.io/v1", "Event")
        assert (e["note"], e["regarding"], e["reason"], e["type"]) == (
            c["message"], c["involvedObject"], c["reason"], c["type"])
        assert (e["deprecatedCount"], e["deprecatedSource"], e["deprecatedFirstTimestamp"]) == (
            c["count"], c["source"], c["firstTimestamp"])
        assert "message" not in e and "involvedObject" not in e and e["eventTime"] is None
    code, table, err = await kubectl("get", "events.v1.events.k8s.io", settle=False)
    code2, core_table, err2 = await kubectl("get", "events", settle=False)
    assert (code, err, code2, err2) == (0, "", 0, "")
    assert [line.split()[1:] for line in table.splitlines()] == [line.split()[1:] for line in core_table.splitlines()]
    code, out, err = await kubectl("events", settle=False)
    assert (code, err) == (0, "") and out.startswith("LAST SEEN   TYPE     REASON ")


async def test_auth_whoami_and_can_i(served, kubectl, tmp_path):
    assert await kubectl("auth", "whoami", settle=False) == (
        0, "ATTRIBUTE   VALUE\nUsername    system:anonymous\nGroups      [system:unauthenticated]\n", "")
    assert await kubectl("auth", "can-i", "create", "pods", settle=False) == (0, "yes\n", "")
    code, out, err = await kubectl("auth", "can-i", "--list", settle=False)
    assert (code, err) == (0, "") and out.splitlines()[1].split() == ["*.*", "[]", "[]", "[*]"]
    path = tmp_path / "ssar.yaml"
    path.write_text("apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n"
                    "  resourceAttributes:\n    verb: get\n    resource: pods\n")
    assert await kubectl("create", "-f", str(path), settle=False) == (
        0, "selfsubjectaccessreview.authorization.k8s.io/<unknown> created\n", "")


async def test_a_status_subresource_writes_only_the_status(served, kubectl):
    code, out, err = await kubectl("get", "deploy", "redis", "--subresource=status", settle=False)
    assert (code, err) == (0, "") and out.startswith("NAME    READY   UP-TO-DATE   AVAILABLE   AGE\nredis   ")
    # (a LoadBalancer's: an ingress on another type is refused since 1.32)
    assert (await kubectl("create", "service", "loadbalancer", "front", "--tcp=80"))[0] == 0
    code, out, err = await kubectl("patch", "svc", "front", "--subresource=status", "--type=merge", "-p",
                                   '{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.7"}]}},'
                                   '"spec":{"sessionAffinity":"ClientIP"}}', settle=False)
    assert (code, out, err) == (0, "service/front patched\n", "")
    svc = served.call(lambda: served.cluster.store.get("Service", "default", "front"))
    assert svc["spec"]["sessionAffinity"] == "None"
    assert svc["status"]["loadBalancer"] == {"ingress": [{"ip": "192.0.2.7", "ipMode": "VIP"}]}


async def test_explain_and_get_of_the_api_only_resources(served, kubectl):
    code, out, err = await kubectl("explain", "selfsubjectaccessreviews.spec", settle=False)
    assert (code, err) == (0, "")
    assert out.startswith("GROUP:      authorization.k8s.io\nKIND:       SelfSubjectAccessReview\nVERSION:    v1\n\n"
                          "FIELD: spec <SelfSubjectAccessReviewSpec>\n")
    code, out, err = await kubectl("explain", "events", "--api-version=events.k8s.io/v1", settle=False)
    assert (code, err) == (0, "") and out.startswith("GROUP:      events.k8s.io\nKIND:       Event\nVERSION:    v1\n")
    assert "\n  note\t<string>\n" in out and "\n  regarding\t<ObjectReference>\n" in out
    assert await kubectl("get", "crd", settle=False) == (0, "", "No resources found\n")


async def test_the_reviews_answer_as_kube_apiserver(served):
    base = served.served.url + "/apis"
    async with aiohttp.ClientSession() as http:
        sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}}
        async with http.post(f"{base}/authorization.k8s.io/v1/subjectaccessreviews", json=sar) as r:
            body = await r.json()
        assert (r.status, body["reason"]) == (422, "Invalid")
        assert body["message"] == ('.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one '
                                   'of user or group must be specified')
        local = {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
                 "spec": {"user": "jane", "resourceAttributes": {"namespace": "other", "verb": "get",
                                                                  "resource": "pods"}}}
        async with http.post(f"{base}/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews",
                             json=local) as r:
            body = await r.json()
        assert body["message"] == ('.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid '
                                   'value: "other": must match metadata.namespace')
        token = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "svcflow"}}
        async with http.post(f"{base}/authentication.k8s.io/v1/tokenreviews", json=token) as r:
            body = await r.json()
        assert (r.status, body["status"], body["spec"]) == (201, {"user": {}}, {"token": "svcflow"})
