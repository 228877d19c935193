"""Writing answers as kube-apiserver writes them: compact JSON, the media type the client
asked for, and `Warning: 299` headers (apimachinery `pkg/util/net/http.go NewWarningHeader`)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from aiohttp import web

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; json does the same, slower
    orjson = None  # type: ignore[assignment]

from engine.api.gostrconv import GO_JSON_EXTRA_ESCAPES
from engine.kapi.status import StatusError

if TYPE_CHECKING:
    from engine.kapi.context import ApiContext

ENDPOINTS_DEPRECATION = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


def encode_json(obj: Any) -> bytes:
    """The bytes kube-apiserver writes for `obj`: Go's `json.NewEncoder(w).Encode(obj)`
    (apimachinery's JSON serializer, for objects, lists, Tables, Status and each watch event
    alike; 1.33's streaming list encoder writes the same bytes): marshal_json's, and a newline."""
    if orjson is not None:
        try:
            return go_escaped(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
        except TypeError:  # (orjson.JSONEncodeError is one)
            pass
    return go_escaped(dumps(obj).encode() + b"\n")


def marshal_json(obj: Any) -> bytes:
    """Go's `json.Marshal(obj)`: compact UTF-8 with `<` `>` `&` U+2028 U+2029 escaped as
    `\u003c`... and no newline (what kube-openapi serves, and encode_json without its newline).

    orjson writes what the standard library's `json.dumps(separators=(",", ":"),
    ensure_ascii=False)` writes for API objects, ~5x faster: a list page of 500 pods is
    ~1.2 MB, and at 10,000 Services the pages an attaching client reads were 88 % json.dumps
    in the server's profile. Go's extra escapes are applied afterwards, and only when the
    bytes hold one of those characters (a few C-speed scans, `go_escaped`); they can stand
    only inside strings, so replacing them in the whole text is exact. What orjson refuses (an
    integer beyond 64 bits, a non-string key) is written by the standard library."""
    if orjson is not None:
        try:
            return go_escaped(orjson.dumps(obj))
        except TypeError:  # (orjson.JSONEncodeError is one)
            pass
    return go_escaped(dumps(obj).encode())


def marshal_indent_json(obj: Any) -> bytes:
    """Go's `json.MarshalIndent(obj, "", "  ")`: what responsewriters.WriteRawJSON writes for
    the few answers that are no API object (`/version`)."""
    return go_escaped(json.dumps(obj, indent=2, ensure_ascii=False).encode())


#: (lead byte, character, escape): a one-byte search is a memchr scan (~15 us a MB), a
#: three-byte one ~100x slower, so U+2028/U+2029 are looked for only where 0xE2 occurs.
_GO_ESCAPES = tuple((raw.encode()[:1], raw.encode(), escaped.encode())
                    for raw, escaped in GO_JSON_EXTRA_ESCAPES.items())


def go_escaped(data: bytes) -> bytes:
    """UTF-8 JSON text with encoding/json's escapes beyond JSON's own (GO_JSON_EXTRA_ESCAPES);
    the text itself when it holds none of those characters, as nearly every page does."""
    for lead, raw, escaped in _GO_ESCAPES:
        if lead in data and (len(raw) == 1 or raw in data):
            data = data.replace(raw, escaped)
    return data


def dumps(obj: Any) -> str:
    """Compact JSON text (no Go escapes: for tokens and documents svcflow reads back itself)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def warning_header(text: str) -> str:
    return f"299 - {json.dumps(text)}"


def warnings_for(kind: str) -> list[str]:
    """Deprecation warnings kube-apiserver v1.33 attaches to every request for a kind."""
    return [ENDPOINTS_DEPRECATION] if kind == "Endpoints" else []


def json_response(obj: Any, *, status: int = 200, content_type: str = "application/json",
                  warnings: list[str] | None = None, encode: Callable[[Any], bytes] = encode_json) -> web.Response:
    """`obj` as kube-apiserver answers an API object (`encode`: encode_json), or as `encode` writes it."""
    resp = web.Response(body=encode(obj), status=status)
    resp.headers["Content-Type"] = content_type
    for w in warnings or ():
        resp.headers.add("Warning", warning_header(w))
    return resp


def object_response(ctx: "ApiContext", kind: str, obj: dict, *, status: int = 200,
                    warnings: Iterable[str] = ()) -> web.Response:
    """An API object answered as kube-apiserver answers it: with the managedFields a GET
    shows (its stored ones and the cluster components', engine.kapi.controllerfields) and the
    kind's deprecation warnings before the request's own (`warnings`). Every answer that is
    an object goes through here, so a write's answer never differs from the next GET's."""
    return json_response(ctx.fields.served(obj), status=status, warnings=warnings_for(kind) + list(warnings))


def list_response(ctx: "ApiContext", kind: str, body: dict, *, warnings: list[str] | None = None) -> web.Response:
    """A list answered (`body` with its `items` as stored): each item as `object_response`
    serves it. `warnings`: the request's, the kind's among them."""
    return json_response({**body, "items": [ctx.fields.served(o) for o in body.get("items") or ()]},
                         warnings=warnings_for(kind) if warnings is None else warnings)


def status_response(err: StatusError, warnings: list[str] | None = None) -> web.Response:
    return json_response(err.body(), status=err.code, warnings=warnings)


def success_status(details: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": dict(details)}


def query_bool(query: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter as apimachinery converts it: absent is false, and a value is
    false only when it is "0" or "false" in any case (`watch=True` from Python is true)."""
    if name not in query:
        return False
    return query[name].lower() not in ("0", "false")


def query_int(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise StatusError("BadRequest", f'invalid value for {name}: strconv.ParseInt: parsing "{raw}": invalid syntax')
