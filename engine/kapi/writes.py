"""POST (create), PUT (replace), PATCH and DELETE, all through the cluster's API server
(`engine.api.apiserver`), so a refusal reads the same as from a file save or the `:` prompt:
the same defaulting, validation, allocation and messages, returned as kube-apiserver's Status.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable

from aiohttp import web

from engine.api.apiserver import ApiError
from engine.api.gostrconv import go_utf8
from engine.api.naming import generate_name
from engine.api.store import CLUSTER_SCOPED, json_copy
from engine.api.validation import errors as field_errors
from engine.api.validation import messages
from engine.api.validation.decoding import decode_error, decoded, strict_unknown_fields, unknown_fields_error
from engine.api.validation.messages import cannot_handle_error
from engine.kapi import fieldmanager
from engine.kapi import patch as patches
from engine.kapi.context import ApiContext, ResourceRequest, require_namespace
from engine.kapi.responses import json_response, list_response, object_response, success_status, warnings_for
from engine.kapi.status import (
    bad_request,
    conflict,
    from_api_error,
    method_not_allowed,
    not_found,
    unsupported_media_type,
)
from engine.manifests.loader import load_text

log = logging.getLogger("svcflow.kapi")

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"

# The server owns these on update whatever the body says (rest.BeforeUpdate).
_KEPT_ON_UPDATE = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


async def read_body(ctx: ApiContext, req: ResourceRequest, request: web.Request, accepted: tuple[str, ...]) -> Any:
    """The request body decoded by its media type (JSON, YAML, or one a concern module
    registered in `ctx.body_decoders`); malformed bodies are 400 with the decoder's words,
    other media types 415."""
    # No Content-Type at all is the first media type the server supports, JSON, as
    # kube-apiserver negotiates it (the Python client sends its JSON bodies that way).
    media = request.content_type if request.headers.get("Content-Type") else "application/json"
    decoder = ctx.body_decoders.get(media)
    if media not in accepted and decoder is None:
        raise unsupported_media_type(accepted + tuple(ctx.body_decoders))
    raw = await request.read()
    if decoder is not None:
        return decoder(raw, req)
    if media == YAML or media == patches.APPLY:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("invalid character in request body: the body is not UTF-8")
        # svcflow's own go-yaml compatible reader, with its limits (alias bombs, nesting)
        loaded = load_text(text, "request body", check_kinds=False)
        if loaded.errors:
            raise bad_request(loaded.errors[0].detail)
        if len(loaded.documents) != 1:
            raise bad_request("the request body must hold exactly one object")
        return loaded.documents[0].obj
    text = go_utf8(raw)  # (Go's JSON decoder coerces bytes that are not UTF-8 to U+FFFD)
    try:
        obj = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as e:
        raise bad_request(f"couldn't get version/kind; json parse error: {e.msg} at offset {e.pos}")
    return _without_lone_surrogates(obj) if _SURROGATE_ESCAPE.search(text) else obj


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Go's JSON decoder reads a `\\uD800` escape that is not half of a pair as U+FFFD (Python's
    keeps a lone surrogate, which no UTF-8 writer can write back)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    return value


def _check_kind(req: ResourceRequest, obj: Any) -> dict:
    info = req.info
    if not isinstance(obj, dict):
        raise bad_request("json: cannot unmarshal into Go value of type struct")
    if not obj.get("kind"):  # the decoder's defaults: the endpoint's kind (and version, below)
        obj["kind"] = info.kind
    if obj.get("kind") != info.kind or (obj.get("apiVersion") or info.api_version) != info.api_version:
        raise bad_request(f"the API version in the data ({obj.get('apiVersion', '')}) does not match the expected "
                          f"API version ({info.api_version})" if obj.get("kind") == info.kind else
                          f"the kind in the data ({obj.get('kind')}) does not match the expected kind "
                          f"({info.kind})")
    obj.setdefault("apiVersion", info.api_version)
    md = obj.get("metadata")
    if md is None:
        md = obj["metadata"] = {}
    if not isinstance(md, dict):
        raise bad_request(f"{info.kind} in version \"{info.version}\" cannot be handled as a {info.kind}: "
                          "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta")
    return obj


def decode_body(req: ResourceRequest, obj: dict, verb: str) -> tuple[dict, list[str]]:
    """What the server's decoder says before anything else: a wrong JSON type, then (with
    `fieldValidation=Strict`, kubectl's default) unknown fields; `Warn` makes them warnings."""
    kind, api_version = obj["kind"], obj.get("apiVersion", "")
    bad = decode_error(obj)
    if bad is not None:
        raise from_api_error(cannot_handle_error(kind, api_version, "", bad.message, verb))
    mode = (req.query.get("fieldValidation") or "Warn")
    warnings: list[str] = []
    unknown = strict_unknown_fields(obj)
    if unknown:
        if mode == "Strict":
            raise from_api_error(unknown_fields_error(kind, api_version, "", unknown, verb))
        if mode == "Warn":
            warnings = [f'unknown field "{f}"' for f in unknown]
    return decoded(obj, unknown), warnings


def delete_dry_run(req: ResourceRequest, options: object) -> bool:
    """A delete's (or an Eviction's) dry run: `?dryRun=All`, or its DeleteOptions' `dryRun:
    [All]` (how kubectl delete and drain ask); another value is refused as `dry_run` does."""
    asked = options.get("dryRun") if isinstance(options, dict) else None
    if isinstance(asked, list) and asked:
        wrong = [v for v in asked if v != "All"]
        if wrong:
            raise bad_request(f'Invalid dry run value: {wrong[0]}: supported values: "All"')
        dry_run(req)  # (the query's value is still checked)
        return True
    return dry_run(req)


def dry_run(req: ResourceRequest) -> bool:
    """`?dryRun=All`: the write is checked, defaulted and allocated as usual and answered,
    but nothing is kept (kubectl's `--dry-run=server`); any other value is refused in
    kube-apiserver's words."""
    value = req.query.get("dryRun")
    if value is not None and value != "All":
        raise bad_request(f'Invalid dry run value: {value}: supported values: "All"')
    return value is not None


async def create(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.Response:
    info = req.info
    manager = writer(req, request)
    obj = _check_kind(req, await read_body(ctx, req, request, (JSON, YAML)))
    dry = dry_run(req)
    md = obj["metadata"]
    if info.namespaced:
        ns = require_namespace(req)
        if md.get("namespace") and md["namespace"] != ns:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        md["namespace"] = ns
    obj, warnings = decode_body(req, obj, "creating")
    md = obj["metadata"]
    if not md.get("name") and isinstance(md.get("generateName"), str) and md["generateName"]:
        rng = ctx.cluster.rng(f"names:{info.kind}")
        for _ in range(100):
            md["name"] = generate_name(md["generateName"], rng)
            if ctx.cluster.store.get(info.kind, md.get("namespace") or "", md["name"]) is None:
                break
    def record(defaulted: dict) -> list[dict]:
        return fieldmanager.created(obj, info.kind, info.api_version, manager, ctx.cluster.now_str(), defaulted)
    try:
        out = ctx.cluster.api.create(obj, dry_run=dry, record=record)
    except ApiError as e:
        raise from_api_error(e.status, info)
    if not dry:
        ctx.wrote()
    return object_response(ctx, info.kind, out, status=201, warnings=warnings)


def writer(req: ResourceRequest, request: web.Request) -> str:
    """Who a write is recorded as in managedFields: `?fieldManager=`, else the User-Agent's
    first word (`managerOrUserAgent`). A fieldManager asked for is checked first, as the
    write's options are (ValidateFieldManager: at most 128 bytes, printable characters)."""
    asked = req.query.get("fieldManager") or ""
    errors = fieldmanager.field_manager_errors(asked)
    if errors:
        options = {"POST": "CreateOptions", "PUT": "UpdateOptions"}.get(request.method, "PatchOptions")
        raise from_api_error(messages.ApiError("Invalid", kind=options, group="meta.k8s.io", causes=errors))
    return fieldmanager.manager_of(asked, request.headers.get("User-Agent"))


def update_object(ctx: ApiContext, req: ResourceRequest, live: dict, new: dict, verb: str = "patching", *,
                  managed_fields: list[dict] | None = None, dry_run: bool = False, manager: str | None = None,
                  subresource: str = "") -> dict:
    """Replace `live` by `new` as the REST update path does, for the resource or its
    `subresource` ("status", "scale", "finalize"): the server-owned metadata stays (rest.BeforeUpdate),
    then `ApiServer.update` (defaulting, the strategy's PrepareForUpdate, validation, the
    Service checks and allocation, the store, or the deletion a write that empties an object
    being deleted of its finalizers makes). A stale `resourceVersion` is a Conflict.
    `metadata.managedFields` is the server's: `managed_fields` (server-side apply's), else
    the field manager's record of an Update by `manager` (of `subresource`) over the ones the
    write sent or the live object's, else the live object's."""
    info = req.info
    md, live_md = new.setdefault("metadata", {}), live["metadata"]
    if not isinstance(md, dict):
        raise bad_request("metadata must be an object")
    if md.get("name") not in (None, live_md["name"]):
        raise bad_request(f"the name of the object ({md.get('name')}) does not match the name on the URL "
                          f"({live_md['name']})")
    rv = md.get("resourceVersion")
    if rv and rv != live_md.get("resourceVersion"):
        raise conflict(info, live_md["name"], "the object has been modified; please apply your changes to the "
                                              "latest version and try again")
    md["name"] = live_md["name"]
    if info.kind not in CLUSTER_SCOPED:
        md["namespace"] = live_md.get("namespace")
    for f in _KEPT_ON_UPDATE:
        if f in live_md:
            md[f] = live_md[f]
        else:
            md.pop(f, None)
    record = None
    if managed_fields is None and manager is not None:
        record = _recorder(ctx, req, live, fieldmanager.from_request(md, live_md), manager, subresource)
    md.pop("managedFields", None)
    owners = managed_fields if managed_fields is not None else live_md.get("managedFields")
    if owners:
        md["managedFields"] = owners
    md["resourceVersion"] = live_md.get("resourceVersion")
    try:
        out = ctx.cluster.api.update(live, new, verb=verb, dry_run=dry_run,
                                     subresource="" if subresource == "scale" else subresource, record=record)
    except ApiError as e:
        raise from_api_error(e.status, info)
    if out is not live and not dry_run:
        ctx.wrote()
    return out


def _recorder(ctx: ApiContext, req: ResourceRequest, live: dict, base: list[dict], manager: str,
              subresource: str) -> Callable[[dict], list[dict]]:
    """The field manager's record of an Update by `manager`, over `base` (the managedFields
    the write sent, or the live object's), worked out on the object as the field manager sees
    it: defaulted, its status as the write left it (ApiServer.update calls it)."""
    def record(seen: dict) -> list[dict]:
        return fieldmanager.updated(base, live, seen, req.kind, req.info.api_version, manager,
                                    ctx.cluster.now_str(), subresource)
    return record


def _live(ctx: ApiContext, req: ResourceRequest) -> dict:
    live = ctx.cluster.store.get(req.kind, require_namespace(req), req.name or "")
    if live is None:
        raise not_found(req.info, req.name or "")
    return live


async def replace(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.Response:
    manager = writer(req, request)
    obj = _check_kind(req, await read_body(ctx, req, request, (JSON, YAML)))
    dry = dry_run(req)
    live = _live(ctx, req)
    obj, warnings = decode_body(req, obj, "replacing")
    out = update_object(ctx, req, live, obj, "replacing", dry_run=dry, manager=manager)
    return object_response(ctx, req.kind, out, warnings=warnings)


PATCH_TYPES = (patches.JSON_PATCH, patches.MERGE, patches.STRATEGIC)


async def patched_or_put(ctx: ApiContext, req: ResourceRequest, request: web.Request, base: dict) -> Any:
    """What a subresource's PATCH (applied to `base`, the subresource as it is) or PUT asks
    for, decoded; any other method is 405 (the scale and status subresources)."""
    if request.method == "PATCH":
        body = await read_body(ctx, req, request, PATCH_TYPES)
        return patches.apply_patch(request.content_type, json_copy(base), body)
    if request.method == "PUT":
        return await read_body(ctx, req, request, (JSON, YAML))
    raise method_not_allowed()


async def patch(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    handler = ctx.patch_handlers.get(request.content_type)
    if handler is not None:  # (server-side apply, from its own module)
        return await handler(ctx, req, request)
    manager = writer(req, request)
    body = await read_body(ctx, req, request, PATCH_TYPES + tuple(ctx.patch_handlers))
    dry = dry_run(req)
    live = _live(ctx, req)
    patched = patches.apply_patch(request.content_type, json_copy(live), body)
    patched = _check_kind(req, patched)
    patched, warnings = decode_body(req, patched, "patching")
    out = update_object(ctx, req, live, patched, dry_run=dry, manager=manager)
    return object_response(ctx, req.kind, out, warnings=warnings)


_PROPAGATION = ("Foreground", "Background", "Orphan")


async def _delete_options(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> tuple[dict, bool]:
    """DeleteOptions from the body (kubectl's way) or the query (the Python client's), and
    whether the deletion is a dry run (`dryRun=All` either way), validated as apimachinery's
    ValidateDeleteOptions does."""
    opts: Any = None
    if request.can_read_body:
        opts = await read_body(ctx, req, request, (JSON, YAML))
    opts = dict(opts) if isinstance(opts, dict) else {}
    for name in ("gracePeriodSeconds", "propagationPolicy"):
        if name not in opts and req.query.get(name) is not None:
            value = req.query[name]
            opts[name] = int(value) if name == "gracePeriodSeconds" and value.lstrip("-").isdigit() else value
    dry = delete_dry_run(req, opts)
    policy = opts.get("propagationPolicy")
    errors = []
    if policy is not None and opts.get("orphanDependents") is not None:
        errors.append(field_errors.invalid("propagationPolicy", policy,
                                           "orphanDependents and deletionPropagation cannot be both set"))
    if policy is not None and policy not in _PROPAGATION:
        errors.append(field_errors.not_supported("propagationPolicy", policy, (*_PROPAGATION, "nil")))
    if errors:
        raise from_api_error(messages.ApiError("Invalid", kind="DeleteOptions", group="meta.k8s.io", causes=errors))
    return opts, dry


def _orphans(opts: dict) -> bool:
    """`propagationPolicy: Orphan` (kubectl's `--cascade=orphan`), or the older
    `orphanDependents: true`. Foreground and Background both leave the dependents to the
    garbage collector, which deletes them once the owner is gone (svcflow does not hold the
    owner back until they are: a Foreground delete ends as a Background one does)."""
    return opts.get("propagationPolicy") == "Orphan" or opts.get("orphanDependents") is True


def _orphan(ctx: ApiContext, owner: dict) -> None:
    """The dependents of `owner` orphaned (`ApiServer.orphan_dependents`) before it goes."""
    for kind, namespace, name, e in ctx.cluster.api.orphan_dependents(owner):
        # (the collector would retry; here the dependent keeps its owner and follows it)
        log.warning("svcflow serve: orphaning %s %s/%s: %s", kind, namespace, name, e)


#: The registries with `ReturnDeletedObject: true` (pkg/registry/core/*/storage) among the kinds
#: svcflow serves; a Namespace's delete returns it too (it is finalized, not gone at once).
RETURNS_DELETED_OBJECT = frozenset({"Pod", "Namespace", "Service", "PersistentVolume"})


async def delete(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.Response:
    """DELETE with DeleteOptions: the kinds whose registry sets ReturnDeletedObject (pods,
    graceful; namespaces; Services; PersistentVolumes) come back as the object; everything
    else as a Success Status. (The Python client types a Service's DELETE answer as a
    V1Service: a Status there failed its validation.)"""
    info = req.info
    opts, dry = await _delete_options(ctx, req, request)
    live = _live(ctx, req)
    pre = opts.get("preconditions") or {}
    if isinstance(pre, dict):
        md = live["metadata"]
        if pre.get("uid") and pre["uid"] != md.get("uid"):
            raise conflict(info, md["name"], f"Precondition failed: UID in precondition: {pre['uid']}, UID in "
                                             f"object meta: {md.get('uid')}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != md.get("resourceVersion"):
            raise conflict(info, md["name"], "the object has been modified; please apply your changes to the "
                                             "latest version and try again")
    grace = opts.get("gracePeriodSeconds")
    if dry:  # the object as it is, after admission's checks: nothing is deleted
        try:
            ctx.cluster.api.check_delete(req.kind, require_namespace(req), req.name or "")
        except ApiError as e:
            raise from_api_error(e.status, info)
        if req.kind in RETURNS_DELETED_OBJECT:
            return object_response(ctx, req.kind, live)
        return json_response(success_status(_deleted_details(info, req, live)), warnings=warnings_for(req.kind))
    if _orphans(opts):
        _orphan(ctx, live)
    try:
        gone = ctx.cluster.api.delete_object(req.kind, require_namespace(req), req.name or "",
                                             grace=grace != 0)
    except ApiError as e:
        raise from_api_error(e.status, info)
    if gone is None:
        raise not_found(info, req.name or "")
    ctx.wrote()
    if req.kind in RETURNS_DELETED_OBJECT:
        return object_response(ctx, req.kind, gone)
    return json_response(success_status(_deleted_details(info, req, gone)), warnings=warnings_for(req.kind))


async def delete_collection(ctx: ApiContext, req: ResourceRequest, request: web.Request,
                            accepts: Callable[[dict], bool]) -> web.Response:
    """DELETE of a collection (apiserver `handlers/delete.go DeleteCollection`, registry
    `Store.DeleteCollection`): the objects the selectors (`accepts`) take, listed, then each
    deleted as one normal delete through the API server (so events, watches and the flow
    follow each one); the answer is the list as it was listed (`PodList`, ...). Only on a
    namespace's collection for namespaced kinds, as kube-apiserver routes it."""
    info = req.info
    if "deletecollection" not in info.verbs or (info.namespaced and not req.namespace):
        raise method_not_allowed()
    opts, dry = await _delete_options(ctx, req, request)
    store = ctx.cluster.store
    listed = [o for o in store.list(req.kind, req.namespace if info.namespaced else None) if accepts(o)]
    listed.sort(key=lambda o: o["metadata"]["name"])
    rv = str(store.resource_version)
    if not dry:
        grace = opts.get("gracePeriodSeconds")
        refused: ApiError | None = None
        for obj in listed:  # (every one is tried; the first refusal is the answer, as the registry's)
            md = obj["metadata"]
            if _orphans(opts):
                _orphan(ctx, obj)
            try:
                ctx.cluster.api.delete_object(req.kind, md.get("namespace") or "", md["name"], grace=grace != 0)
            except ApiError as e:
                refused = refused or e
        if listed:
            ctx.wrote()
        if refused is not None:
            raise from_api_error(refused.status, info)
    return list_response(ctx, req.kind, {"kind": f"{info.kind}List", "apiVersion": info.api_version,
                                         "metadata": {"resourceVersion": rv}, "items": listed})


def _deleted_details(info, req: ResourceRequest, obj: dict) -> dict[str, Any]:
    details: dict[str, Any] = {"name": req.name}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.plural
    details["uid"] = obj["metadata"].get("uid", "")
    return details
