"""`/openapi/v2` as kube-apiserver v1.33 serves it, and what the real kubectl does with it:
`kubectl apply -f` of a `kind: List` validates the items against it on the client (v1 List
has no PATCH operation to take `fieldValidation`), `kubectl explain
--output=plaintext-openapiv2` prints it. The v3 documents stay what `explain` and `apply`
read by default (`explain svc.spec`, `explain deploy --recursive`)."""
from __future__ import annotations

import json

import aiohttp
import yaml

from engine.api import kinds
from engine.kapi import gnostic
from engine.kapi.protobuf import _fields
from engine.kapi.resources import ResourceTable
from tests.served import served_samples

served = served_samples()

LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    replicas: 1
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: nginx
          image: nginx%s
- apiVersion: v1
  kind: Service
  metadata:
    name: web
  spec:
    selector: {app: web}
    ports:
    - port: 80
"""


async def test_apply_a_list_of_a_deployment_and_a_service(served, kubectl, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(LIST % "")
    assert await kubectl("apply", "-f", str(path)) == (0, "deployment.apps/web created\nservice/web created\n", "")
    assert served.call(lambda: served.cluster.store.get("Service", "default", "web"))["spec"]["ports"][0]["port"] == 80
    assert await kubectl("apply", "-f", str(path)) == (0, "deployment.apps/web unchanged\nservice/web unchanged\n", "")
    path.write_text(LIST % ":1.27")
    assert await kubectl("apply", "-f", str(path)) == (0, "deployment.apps/web configured\nservice/web unchanged\n", "")
    assert await kubectl("delete", "-f", str(path)) == (
        0, 'deployment.apps "web" deleted\nservice "web" deleted\n', "")


async def test_a_list_item_with_an_unknown_field_is_refused_by_kubectl_from_the_v2_schemas(served, kubectl,
                                                                                           tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text((LIST % "").replace("    replicas: 1\n", "    replicas: 1\n    replica: 2\n"))
    assert await kubectl("apply", "-f", str(path)) == (
        1, "", 'error: error validating "%s": error validating data: ValidationError(Deployment.spec): unknown '
               'field "replica" in io.k8s.api.apps.v1.DeploymentSpec; if you choose to ignore these errors, turn '
               'validation off with --validate=false\n' % path)
    assert served.call(lambda: served.cluster.store.get("Deployment", "default", "web")) is None


async def test_explain_reads_both_documents(served, kubectl):
    code, out, err = await kubectl("explain", "svc.spec.ports", "--output=plaintext-openapiv2", settle=False)
    assert (code, err) == (0, "")
    assert out.startswith("KIND:     Service\nVERSION:  v1\n\nRESOURCE: ports <[]Object>\n\nDESCRIPTION:\n"
                          "     The list of ports that are exposed by this service. More info:\n")
    assert "\n   targetPort\t<string>\n" in out  # (IntOrString is a string in v2)
    code, out, err = await kubectl("explain", "svc.spec", settle=False)
    assert (code, err) == (0, "") and out.startswith("KIND:       Service\nVERSION:    v1\n\nFIELD: spec <ServiceSpec>\n")
    code, out, err = await kubectl("explain", "deploy", "--recursive", settle=False)
    assert (code, err) == (0, "")
    assert out.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nDESCRIPTION:\n")
    assert "\n        containers\t<[]Container> -required-\n" in out


def _message(buf: bytes, number: int) -> list[bytes]:
    return [v for n, _, v in _fields(buf) if n == number]


async def test_the_document_in_json_and_in_protobuf(served):
    url = served.served.url + "/openapi/v2"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r:  # (no Accept: */*, JSON)
            assert r.headers["Content-Type"] == "application/json"
            etag = r.headers["Etag"]
            doc = json.loads(await r.read())
        async with http.get(url, headers={"Accept": gnostic.MEDIA_TYPE}) as r:
            assert r.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
            assert r.headers["Etag"] == etag and r.headers["Vary"] == "Accept"
            pb = await r.read()
        async with http.get(url, headers={"Accept": "text/html"}) as r:
            assert r.status == 406
    assert doc["swagger"] == "2.0" and doc["info"] == {"title": "Kubernetes", "version": "v1.33.1"}
    text = json.dumps(doc)
    assert '"allOf": [' not in text and "#/components/" not in text  # (a CRD's schema has a field named allOf)
    pod = doc["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["properties"]["spec"] == {"$ref": "#/definitions/io.k8s.api.core.v1.PodSpec",
                                         "description": pod["properties"]["spec"]["description"]}
    assert doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == "string"
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert op["operationId"] == "patchAppsV1NamespacedDeployment" and op["tags"] == ["apps_v1"]
    assert "fieldValidation" in [p["name"] for p in op["parameters"]]
    # the protobuf message holds the same definitions, each kind's GVK as YAML kube-openapi reads
    assert _message(pb, 1) == [b"2.0"]
    named = _message(_message(pb, 9)[0], 1)
    names = [_message(n, 1)[0].decode() for n in named]
    assert names == list(doc["definitions"])
    deployment = _message(named[names.index("io.k8s.api.apps.v1.Deployment")], 2)[0]
    extensions = {_message(e, 1)[0].decode(): _message(_message(e, 2)[0], 2)[0].decode()
                  for e in _message(deployment, 31)}
    assert yaml.safe_load(extensions["x-kubernetes-group-version-kind"]) == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}]
    paths = [_message(p, 1)[0].decode() for p in _message(_message(pb, 8)[0], 2)]
    assert paths == list(doc["paths"])


def test_every_patchable_served_kind_has_its_definition_and_patch_operation():
    from engine.kapi.openapiv2 import OpenAPIV2
    doc = OpenAPIV2(ResourceTable()).doc
    gvks = {(g["group"], g["version"], g["kind"]) for s in doc["definitions"].values()
            for g in s.get("x-kubernetes-group-version-kind", ())}
    for info in kinds.KINDS.values():
        assert (info.group, info.version, info.kind) in gvks, info.kind
        ns = "/namespaces/{namespace}" if info.namespaced else ""
        gv = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        assert doc["paths"][f"{gv}{ns}/{info.resource}/{{name}}"]["patch"]["x-kubernetes-group-version-kind"] == {
            "group": info.group, "kind": info.kind, "version": info.version}
