"""OpenAPI v2 (`/openapi/v2`): the one Swagger 2.0 document kube-apiserver v1.33 serves beside
the v3 ones, in JSON or as gnostic protobuf (engine.kapi.gnostic).

kubectl still reads it: `kubectl apply -f` of a `kind: List` validates the items on the client
(v1 List has no PATCH operation to carry `fieldValidation`, so cli-runtime's verifiers call it
unsupported and kubectl's schemaValidation runs against this document; a 404 fails the apply),
`kubectl explain --output=plaintext-openapiv2` prints it, and `apply`'s patcher falls back to
it. It is made from the same registry and the same v1.33 schemas as the v3 documents,
in their v2 form (engine.api.openapi_schemas.v2).
"""
from __future__ import annotations

import gzip
import hashlib
from functools import cached_property
from typing import Any

from aiohttp import web

from engine.api import openapi_schemas
from engine.api.openapi_schemas.v2 import definitions as v2_definitions
from engine.kapi import gnostic
from engine.kapi.openapi import PATCH_MEDIA, PATCH_QUERY_PARAMETERS, kind_path, patch_operation_id, patchable, tag
from engine.kapi.resources import ResourceTable
from engine.kapi.responses import marshal_json
from engine.kapi.version import GIT_VERSION


def swagger(table: ResourceTable, schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The v2 document: a PATCH operation per served kind (what cli-runtime's v2
    fieldValidation verifier and kubectl's GetConsumes look for) and every served kind's
    schema and what it references."""
    paths: dict[str, Any] = {}
    gvks: list[tuple[str, str, str]] = []
    for (group, version), served in table.by_gv.items():
        for info in served:
            gvks += [(group, version, info.kind), (group, version, info.kind + "List")]
            if not patchable(info):
                continue
            params = [{"uniqueItems": True, "type": "boolean" if p == "force" else "string", "name": p, "in": "query"}
                      for p in PATCH_QUERY_PARAMETERS]
            paths[kind_path(group, version, info)] = {"patch": {
                "consumes": list(PATCH_MEDIA),
                "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
                "schemes": ["https"], "tags": [tag(group, version)],
                "operationId": patch_operation_id(group, version, info),
                "parameters": [{"name": "body", "in": "body", "required": True, "schema": {"type": "object"}},
                               *params],
                "responses": {"200": {"description": "OK"}, "201": {"description": "Created"},
                              "401": {"description": "Unauthorized"}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": group, "kind": info.kind, "version": version},
            }}
    definitions = v2_definitions(openapi_schemas.for_kinds(schemas, gvks))
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": GIT_VERSION}, "paths": paths,
            "definitions": definitions}


class OpenAPIV2:
    """The document in both encodings (and gzip'd), built on the first request and kept."""

    def __init__(self, table: ResourceTable) -> None:
        self.table = table

    @cached_property
    def doc(self) -> dict[str, Any]:
        return swagger(self.table, openapi_schemas.load())

    @cached_property
    def encoded(self) -> dict[str, bytes]:
        json = marshal_json(self.doc)
        return {"application/json": json, gnostic.RETURNED_MEDIA_TYPE: gnostic.document(self.doc)}

    @cached_property
    def etag(self) -> str:
        """kube-openapi's computeETag: the JSON's SHA-512, upper-case hex, for both encodings
        (the answer Varies by Accept)."""
        return hashlib.sha512(self.encoded["application/json"]).hexdigest().upper()

    @cached_property
    def gzipped(self) -> dict[str, bytes]:
        return {m: gzip.compress(d, compresslevel=6, mtime=0) for m, d in self.encoded.items()}

    async def handle(self, request: web.Request) -> web.Response:
        media = negotiate(request.headers.get("Accept", "") or "*/*")
        if media is None:
            return web.Response(status=406, headers={"Vary": "Accept"})
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            resp = web.Response(body=self.gzipped[media])
            resp.headers["Content-Encoding"] = "gzip"
        else:
            resp = web.Response(body=self.encoded[media])
        resp.headers["Content-Type"] = media
        resp.headers["Vary"] = "Accept"
        resp.headers["Etag"] = f'"{self.etag}"'
        return resp


#: kube-openapi handler's `accepted` table: (type, subtype) -> the Content-Type answered.
_ACCEPTED = ((("application", "json"), "application/json"),
             (("application", "com.github.proto-openapi.spec.v2@v1.0+protobuf"), gnostic.RETURNED_MEDIA_TYPE),
             (("application", "com.github.proto-openapi.spec.v2.v1.0+protobuf"), gnostic.RETURNED_MEDIA_TYPE))


def negotiate(accept: str) -> str | None:
    """The first Accept clause (by quality, then as written, as goautoneg sorts) that the
    handler serves, or None (406)."""
    clauses: list[tuple[float, int, str, str]] = []
    for i, raw in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in raw.split(";")]
        q = 1.0
        for p in params:
            name, _, value = p.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        typ, _, sub = media.partition("/")
        clauses.append((-q, i, typ, sub or "*"))
    for _, _, typ, sub in sorted(clauses):
        for (t, s), returned in _ACCEPTED:
            if typ in (t, "*") and sub in (s, "*"):
                return returned
    return None


def routes(table: ResourceTable) -> list[web.RouteDef]:
    o = OpenAPIV2(table)
    return [web.get("/openapi/v2", o.handle)]
