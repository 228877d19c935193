"""OpenAPI v3 (apiserver-spec §3.8): the root index and one document per group-version, as
kube-apiserver v1.33 serves them to kubectl.

kubectl downloads `/openapi/v3`, then each group-version's document, and looks for a PATCH
operation tagged with the kind's `x-kubernetes-group-version-kind` that takes a
`fieldValidation` parameter (the create-only reviews have a POST instead, which `kubectl
explain` finds their kind by); finding it, it sends `fieldValidation=Strict` and leaves
validation to the server (svcflow's). Without the document `kubectl apply` refuses to run
(`failed to download openapi`). `components.schemas` holds Kubernetes v1.33's own schemas
for the group-version's kinds (`openapi_schemas`): `kubectl explain` prints them, and
`kubectl apply` computes its strategic merge patches from their patch strategies and merge
keys. The documents are sent gzip'd to clients that accept it (kubectl does), as
kube-apiserver compresses large responses.
"""
from __future__ import annotations

import gzip
import hashlib
from functools import cached_property
from typing import Any

from aiohttp import web

from engine.api import openapi_schemas
from engine.api.kinds import KindInfo
from engine.kapi.resources import ResourceTable
from engine.kapi.responses import json_response, marshal_json
from engine.kapi.status import unknown_path
from engine.kapi.version import GIT_VERSION

#: What a PATCH operation consumes, and its query parameters (kube-apiserver's order).
PATCH_MEDIA = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json")
PATCH_QUERY_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation", "force")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def kind_path(group: str, version: str, info: KindInfo) -> str:
    """The path of one object of the kind, as the documents key its operations."""
    namespaced = "/namespaces/{namespace}" if info.namespaced else ""
    return f"/{_gv_path(group, version)}{namespaced}/{info.resource}/{{name}}"


def tag(group: str, version: str) -> str:
    """The operations' tag, kube-apiserver's friendly group name: `core_v1`, `apps_v1`,
    `discovery_v1` (`.k8s.io` dropped), `flowcontrolApiserver_v1`."""
    words = (group.removesuffix(".k8s.io") if group else "core").replace("-", ".").split(".")
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:]) + "_" + version


def collection_path(group: str, version: str, info: KindInfo) -> str:
    """The path of the kind's collection (where a create-only review is POSTed)."""
    return kind_path(group, version, info).removesuffix("/{name}")


def operation_id(verb: str, group: str, version: str, info: KindInfo) -> str:
    """`patchCoreV1NamespacedService`, `patchAppsV1NamespacedDeployment`, `patchCoreV1Node`,
    `createAuthorizationV1SelfSubjectAccessReview`."""
    friendly, _, v = tag(group, version).partition("_")
    return (f"{verb}{friendly[:1].upper()}{friendly[1:]}{v[:1].upper()}{v[1:]}"
            f"{'Namespaced' if info.namespaced else ''}{info.kind}")


def patch_operation_id(group: str, version: str, info: KindInfo) -> str:
    return operation_id("patch", group, version, info)


def patchable(info: KindInfo) -> bool:
    """Whether the documents carry a PATCH operation for the kind: every stored kind (the
    read-only ones too, as kube-apiserver's), but not the create-only reviews, whose only
    operation is POST."""
    return info.verbs != ("create",)


def group_version_document(table: ResourceTable, group: str, version: str,
                           schemas: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One group-version's document: a PATCH operation per kind, and the schemas of its kinds
    (and their Lists) from `schemas` (all of `openapi_schemas` when None)."""
    paths: dict[str, Any] = {}
    served = table.by_gv.get((group, version), ())
    for info in filter(patchable, served):
        gvk = {"group": group, "version": version, "kind": info.kind}
        params = [{"name": p, "in": "query",
                   "schema": {"type": "boolean" if p == "force" else "string", "uniqueItems": True}}
                  for p in PATCH_QUERY_PARAMETERS]
        paths[kind_path(group, version, info)] = {
            "patch": {"tags": [tag(group, version)], "operationId": patch_operation_id(group, version, info),
                      "parameters": params,
                      "requestBody": {"content": {m: {"schema": {"type": "object"}} for m in PATCH_MEDIA},
                                      "required": True},
                      "responses": {"200": {"description": "OK"}},
                      "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk},
        }
    for info in served:
        if not patchable(info):  # a review: its POST, which `kubectl explain` finds the kind by
            gvk = {"group": group, "version": version, "kind": info.kind}
            paths[collection_path(group, version, info)] = {"post": {
                "tags": [tag(group, version)], "operationId": operation_id("create", group, version, info),
                "parameters": [{"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                               for p in ("dryRun", "fieldManager", "fieldValidation")],
                "requestBody": {"content": {"*/*": {"schema": {"$ref": _ref(group, version, info.kind)}}},
                                "required": True},
                "responses": {"201": {"description": "Created"}},
                "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk}}
    components = openapi_schemas.for_kinds(openapi_schemas.load() if schemas is None else schemas,
                                           [(group, version, k) for s in served for k in (s.kind, s.kind + "List")])
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION}, "paths": paths,
            "components": {"schemas": components}}


def _ref(group: str, version: str, kind: str) -> str:
    """The component a kind's schema is, by kube-openapi's naming (`io.k8s.api.<group's first
    word>.<version>.<Kind>`)."""
    first = group.split(".")[0] if group else "core"
    return f"#/components/schemas/io.k8s.api.{first}.{version}.{kind}"


class OpenAPI:
    """The root index and the per group-version documents (plain and gzip'd), with the content
    hashes kubectl caches them by. Built once, on the first request (most clients never ask:
    the Python clients do not, kubectl only to write or explain), and kept: the served
    resources do not change while serving."""

    def __init__(self, table: ResourceTable) -> None:
        self.table = table

    @cached_property
    def docs(self) -> dict[str, bytes]:
        schemas = openapi_schemas.load()
        return {_gv_path(g, v): marshal_json(group_version_document(self.table, g, v, schemas))
                for g, v in self.table.by_gv}

    @cached_property
    def gzipped(self) -> dict[str, bytes]:
        return {gv: gzip.compress(doc, compresslevel=6, mtime=0) for gv, doc in self.docs.items()}

    @cached_property
    def root(self) -> dict[str, Any]:
        return {"paths": {p: {"serverRelativeURL": f"/openapi/v3/{p}?hash="
                                                   f"{hashlib.sha512(d).hexdigest().upper()[:128]}"}
                          for p, d in self.docs.items()}}

    async def index(self, request: web.Request) -> web.Response:
        return json_response(self.root, encode=marshal_json)  # (kube-openapi's json.Marshal: no newline)

    async def document(self, request: web.Request) -> web.Response:
        gv = request.match_info["gv"]
        doc = self.docs.get(gv)
        if doc is None:
            raise unknown_path()
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            resp = web.Response(body=self.gzipped[gv])
            resp.headers["Content-Encoding"] = "gzip"
            resp.headers["Vary"] = "Accept-Encoding"
        else:
            resp = web.Response(body=doc)
        resp.headers["Content-Type"] = "application/json"
        if request.query.get("hash"):
            resp.headers["Cache-Control"] = "public, immutable"
        return resp


def routes(table: ResourceTable) -> list[web.RouteDef]:
    o = OpenAPI(table)
    return [web.get("/openapi/v3", o.index), web.get("/openapi/v3/{gv:.+}", o.document)]
