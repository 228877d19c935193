"""`kubectl explain` against `svcflow serve`: the real kubectl (OpenAPI v3, its default)
prints Kubernetes v1.33's own descriptions for every kind svcflow serves, from the schemas
each group-version's document carries (engine/api/openapi_schemas)."""
from __future__ import annotations

import gzip
import json

from engine.api import kinds, openapi_schemas
from engine.kapi import openapi
from engine.kapi.resources import ResourceTable
from tests.served import Kubectl, served_samples

EXPLAIN_POD = """\
KIND:       Pod
VERSION:    v1

DESCRIPTION:
    Pod is a collection of containers that can run on a host. This resource is
    created by clients and scheduled onto hosts.
\x20\x20\x20\x20
FIELDS:
  apiVersion\t<string>
    APIVersion defines the versioned schema of this representation of an object.
    Servers should convert recognized schemas to the latest internal value, and
    may reject unrecognized values. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources

  kind\t<string>
    Kind is a string value representing the REST resource this object
    represents. Servers may infer this from the endpoint the client submits
    requests to. Cannot be updated. In CamelCase. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds

  metadata\t<ObjectMeta>
    Standard object's metadata. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata

  spec\t<PodSpec>
    Specification of the desired behavior of the pod. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status

  status\t<PodStatus>
    Most recently observed status of the pod. This data may not be up to date.
    Populated by the system. Read-only. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status


"""

EXPLAIN_STRATEGY = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: strategy <DeploymentStrategy>


DESCRIPTION:
    The deployment strategy to use to replace existing pods with new ones.
    DeploymentStrategy describes how to replace existing pods with new ones.
\x20\x20\x20\x20
FIELDS:
  rollingUpdate\t<RollingUpdateDeployment>
    Rolling update config params. Present only if DeploymentStrategyType =
    RollingUpdate.

  type\t<string>
    Type of deployment. Can be "Recreate" or "RollingUpdate". Default is
    RollingUpdate.


"""

EXPLAIN_PORTS_RECURSIVE = """\
KIND:       Service
VERSION:    v1

FIELD: ports <[]ServicePort>


DESCRIPTION:
    The list of ports that are exposed by this service. More info:
    https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies
    ServicePort contains information on service's port.
\x20\x20\x20\x20
FIELDS:
  appProtocol\t<string>
  name\t<string>
  nodePort\t<integer>
  port\t<integer> -required-
  protocol\t<string>
  targetPort\t<IntOrString>

"""


served = served_samples(needs_kubectl=False)


async def test_explain_pod_prints_upstream_descriptions(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    assert await kubectl("explain", "pod", settle=False) == (0, EXPLAIN_POD, "")
    assert await kubectl("explain", "pods", settle=False) == (0, EXPLAIN_POD, "")


async def test_explain_a_nested_field_and_recursive(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    code, out, err = await kubectl("explain", "pod.spec.containers", settle=False)
    assert (code, err) == (0, "")
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n\n\nDESCRIPTION:\n"
                          "    List of containers belonging to the pod. Containers cannot currently be\n"
                          "    added or removed. There must be at least one container in a Pod. Cannot be\n"
                          "    updated.\n    A single application container that you want to run within a pod.\n")
    assert "\n  name\t<string> -required-\n    Name of the container specified as a DNS_LABEL." in out
    assert "\n  ports\t<[]ContainerPort>\n" in out and "\n  resources\t<ResourceRequirements>\n" in out
    assert await kubectl("explain", "svc.spec.ports", "--recursive", settle=False) == (
        0, EXPLAIN_PORTS_RECURSIVE, "")
    code, out, _ = await kubectl("explain", "svc.spec.ports.targetPort", settle=False)
    assert code == 0 and out.startswith("KIND:       Service\nVERSION:    v1\n\nFIELD: targetPort <IntOrString>\n")
    assert "    IntOrString is a type that can hold an int32 or a string.  When used in JSON\n" in out
    code, out, _ = await kubectl("explain", "pod.spec.containers.resources.limits", settle=False)
    assert code == 0 and "FIELD: limits <map[string]Quantity>\n" in out
    assert "    ``` <quantity>        ::= <signedNumber><suffix>\n" in out


async def test_explain_apps_and_discovery_kinds(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    assert await kubectl("explain", "deploy.spec.strategy", settle=False) == (0, EXPLAIN_STRATEGY, "")
    code, out, err = await kubectl("explain", "endpointslices", settle=False)
    assert (code, err) == (0, "")
    assert out.startswith("GROUP:      discovery.k8s.io\nKIND:       EndpointSlice\nVERSION:    v1\n\n"
                          "DESCRIPTION:\n    EndpointSlice represents a set of service endpoints. Most "
                          "EndpointSlices are\n")
    assert "\n  addressType\t<string> -required-\n" in out and "\n  endpoints\t<[]Endpoint> -required-\n" in out


async def test_explain_an_unknown_field_or_resource(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    assert await kubectl("explain", "pod.spec.nope", settle=False) == (
        1, "KIND:       Pod\nVERSION:    v1\n\n", 'error: field "nope" does not exist\n')
    assert await kubectl("explain", "widgets", settle=False) == (
        1, "", 'the server doesn\'t have a resource type "widgets"\n')


async def test_every_served_kind_explains(served, tmp_path):
    kubectl = Kubectl(served, tmp_path)
    for info in kinds.KINDS.values():
        code, out, err = await kubectl("explain", info.qualified_plural, settle=False)
        head = (f"GROUP:      {info.group}\n" if info.group else "") + f"KIND:       {info.kind}\n" \
            f"VERSION:    {info.version}\n\nDESCRIPTION:\n"
        assert (code, err) == (0, ""), info.kind
        assert out.startswith(head) and "\nFIELDS:\n" in out and "\n  apiVersion\t<string>\n" in out, info.kind


def _documents() -> dict[str, dict]:
    o = openapi.OpenAPI(ResourceTable())
    return {gv: json.loads(doc) for gv, doc in o.docs.items()}


def test_documents_hold_kube_apiserver_shaped_schemas():
    docs = _documents()
    for gv, doc in docs.items():
        schemas = doc["components"]["schemas"]
        text = json.dumps(schemas)
        assert "#/$defs/" not in text
        for ref in (r.split('"')[0] for r in text.split('"$ref": "#/components/schemas/')[1:]):
            assert ref in schemas, (gv, ref)  # every reference resolves inside its own document

        def walk(node, path):
            if isinstance(node, dict):
                assert not isinstance(node.get("type"), list), path
                if "$ref" in node:
                    assert set(node) == {"$ref"}, path  # siblings only beside allOf, as builder3 does
                for k, v in node.items():
                    if k == "properties":  # (field names, not schemas: JSONSchemaProps has a `$ref` field)
                        for name, prop in v.items():
                            walk(prop, f"{path}.{k}.{name}")
                    else:
                        walk(v, f"{path}.{k}")
            elif isinstance(node, list):
                for v in node:
                    walk(v, path)
        walk(schemas, gv)
    pod = docs["api/v1"]["components"]["schemas"]["io.k8s.api.core.v1.Pod"]
    assert pod["properties"]["kind"] == {"description": pod["properties"]["kind"]["description"], "type": "string"}
    assert pod["properties"]["spec"]["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]
    containers = docs["api/v1"]["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert (containers["x-kubernetes-patch-strategy"], containers["x-kubernetes-patch-merge-key"]) == ("merge", "name")
    strategy = docs["apis/apps/v1"]["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"][
        "strategy"]
    assert strategy["x-kubernetes-patch-strategy"] == "retainKeys"
    assert "io.k8s.api.core.v1.Pod" not in docs["apis/discovery.k8s.io/v1"]["components"]["schemas"]


def test_each_document_keeps_its_patch_operations():
    """kubectl's fieldValidation and strategic-merge-patch checks read these (apiserver-spec §3.8)."""
    docs = _documents()
    for info in kinds.KINDS.values():
        gv = f"apis/{info.group}/{info.version}" if info.group else f"api/{info.version}"
        prefix = f"/{gv}" + ("/namespaces/{namespace}" if info.namespaced else "")
        op = docs[gv]["paths"][f"{prefix}/{info.resource}/{{name}}"]["patch"]
        assert op["x-kubernetes-group-version-kind"] == {"group": info.group, "version": info.version,
                                                         "kind": info.kind}
        assert "fieldValidation" in [p["name"] for p in op["parameters"]]
        assert "application/strategic-merge-patch+json" in op["requestBody"]["content"]
        schema = next(s for s in docs[gv]["components"]["schemas"].values()
                      if {"group": info.group, "version": info.version, "kind": info.kind}
                      in s.get("x-kubernetes-group-version-kind", ()))
        assert schema["description"] and schema["properties"]["metadata"]


def test_the_package_data_covers_every_served_kind():
    """A kind added to the registry needs `python -m engine.api.openapi_schemas.generate` run again."""
    schemas = openapi_schemas.load()
    served = {(i.group, i.version, k) for i in kinds.KINDS.values() for k in (i.kind, i.kind + "List")}
    have = {(g["group"], g["version"], g["kind"]) for s in schemas.values()
            for g in s.get("x-kubernetes-group-version-kind", ())}
    assert served <= have


async def test_documents_are_gzipped_for_clients_that_ask(served):
    import aiohttp
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(f"{served.served.url}/openapi/v3") as r:
            url = (await r.json())["paths"]["api/v1"]["serverRelativeURL"]
        async with session.get(served.served.url + url, headers={"Accept-Encoding": "gzip"}) as r:
            assert r.headers["Content-Encoding"] == "gzip"
            doc = json.loads(gzip.decompress(await r.read()))
        async with session.get(served.served.url + url, headers={"Accept-Encoding": "identity"}) as r:
            assert "Content-Encoding" not in r.headers and json.loads(await r.read()) == doc
    assert "io.k8s.api.core.v1.Service" in doc["components"]["schemas"]
