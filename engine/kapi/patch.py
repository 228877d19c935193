"""The three patch types kubectl sends (apiserver-spec §3.3, §3.4), as pure functions of the
live object and the patch.

* strategic merge (`application/strategic-merge-patch+json`): apply, edit, rollout restart,
  `kubectl patch`; lists merge by the key the Go types declare (engine.api.strategicpatch, which
  svcflow's own apply reads too), with the `$patch`, `$setElementOrder`,
  `$deleteFromPrimitiveList` and `$retainKeys` directives;
* JSON merge (`application/merge-patch+json`, RFC 7386): scale, label, annotate;
* JSON patch (`application/json-patch+json`, RFC 6902): `kubectl patch --type=json`.
"""
from __future__ import annotations

from typing import Any

from engine.api.store import json_copy
from engine.api.strategicpatch import PRIMITIVE_MERGE, merge_key, ordered
from engine.kapi.status import StatusError, unsupported_media_type

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"

def _bad(msg: str) -> StatusError:
    return StatusError("BadRequest", msg)


def strategic_merge(original: Any, patch: Any, kind: str, path: tuple[str, ...] = ()) -> Any:
    """`original` with the strategic merge patch applied (neither is modified)."""
    if not isinstance(patch, dict):
        return json_copy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: json_copy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise _bad(f"Unknown patch type: {directive} in map: {patch}")
    out = dict(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
            continue
        sub = path + (k,)
        if isinstance(v, dict):
            merged = strategic_merge(out.get(k), v, kind, sub)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, list):
            out[k] = _merge_list(out.get(k), v, kind, sub)
        else:
            out[k] = v
    for k, v in patch.items():
        if k.startswith("$deleteFromPrimitiveList/") and isinstance(v, list):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list):
                out[f] = [x for x in out[f] if x not in v]
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") and isinstance(v, list):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list):
                out[f] = ordered(out[f], v, original.get(f) if isinstance(original, dict) else None,
                                  merge_key(kind, path + (f,)))
    return out


def _merge_list(original: Any, patch: list, kind: str, path: tuple[str, ...]) -> list:
    orig = original if isinstance(original, list) else []
    if any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch):
        return [json_copy({k: v for k, v in e.items() if k != "$patch"}) for e in patch
                if not (isinstance(e, dict) and e.get("$patch") == "replace")]
    name = path[-1]
    if name in PRIMITIVE_MERGE:
        return list(orig) + [x for x in patch if x not in orig]
    key = merge_key(kind, path)
    if key is None or not all(isinstance(e, dict) for e in patch):
        return [json_copy(e) for e in patch]
    out = list(orig)
    for e in patch:
        if e.get("$patch") == "delete":
            out = [o for o in out if not (isinstance(o, dict) and o.get(key) == e.get(key))]
            continue
        if key not in e:
            raise _bad(f"map: {e} does not contain declared merge key: {key}")
        for i, o in enumerate(out):
            if isinstance(o, dict) and o.get(key) == e[key]:
                out[i] = strategic_merge(o, e, kind, path)
                break
        else:
            out.append(strategic_merge({}, e, kind, path))
    return out


def merge_patch(original: Any, patch: Any) -> Any:
    """RFC 7386: maps merge, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return json_copy(patch)
    out = dict(original) if isinstance(original, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# -- RFC 6902, as kube-apiserver applies it (gopkg.in/evanphx/json-patch.v4) -------------------
# What a patch that does not apply answers is that library's error text, in a 422 `Invalid`
# Status (handlers/patch.go: NewGenericServerResponse(422, ..., err.Error())), which kubectl
# prints as `The request is invalid: : <the text>`; so the texts below are the library's,
# errors.Wrapf's `<message>: <cause>` included.
_MISSING, _TEST_FAILED, _INVALID_INDEX = "missing value", "test failed", "invalid index referenced"
_NO_VALUE = object()  # an operation without a "value" member


class _NotApplied(Exception):
    """A patch operation that does not apply (its Go error text)."""


def _go_atoi(key: str) -> int:
    """strconv.Atoi, with its error text."""
    body = key[1:] if key[:1] in "+-" else key
    if not body or not body.isascii() or not body.isdigit():
        raise _NotApplied(f'strconv.Atoi: parsing "{key}": invalid syntax')
    return int(key)


def _decode_key(key: str) -> str:
    return key.replace("~1", "/").replace("~0", "~")


def _get(con: Any, key: str) -> Any:
    """container.get: a missing object member is nil (not an error); an array's index is checked."""
    if isinstance(con, dict):
        return con.get(key)
    idx = _go_atoi(key)
    if idx >= len(con):
        raise _NotApplied(f"Unable to access invalid index: {idx}: {_INVALID_INDEX}")
    return con[idx]


def _find(doc: Any, path: str) -> tuple[Any, str]:
    """findObject: the object or array that holds the path's last key, and the key; (None, "")
    when a step on the way is missing, null, or not an object or array."""
    split = path.split("/")
    if len(split) < 2:
        return None, ""
    con = doc
    for part in split[1:-1]:
        try:
            nxt = _get(con, _decode_key(part))
        except _NotApplied:
            return None, ""
        if not isinstance(nxt, (dict, list)):
            return None, ""
        con = nxt
    return con, _decode_key(split[-1])


def _array_index(con: list, key: str, size: int) -> int:
    """An index into an array of `size` (negative ones count from the end, as the library allows)."""
    idx = _go_atoi(key)
    if idx >= size or idx < -size:
        raise _NotApplied(f"Unable to access invalid index: {idx}: {_INVALID_INDEX}")
    return idx + size if idx < 0 else idx


def _add(con: Any, key: str, value: Any) -> None:
    if isinstance(con, dict):
        con[key] = value
    elif key == "-":
        con.append(value)
    else:
        try:
            idx = _array_index(con, key, len(con) + 1)
        except _NotApplied as e:
            if str(e).startswith("strconv"):
                raise _NotApplied(f"value was not a proper array index: '{key}': {e}") from None
            raise
        con.insert(idx, value)


def _remove(con: Any, key: str) -> None:
    if isinstance(con, dict):
        if key not in con:
            raise _NotApplied(f"Unable to remove nonexistent key: {key}: {_MISSING}")
        del con[key]
    else:
        del con[_array_index(con, key, len(con))]


def _path(op: dict, name: str, what: str) -> str:
    value = op.get(name)
    if not isinstance(value, str):
        raise _NotApplied(f"{what} failed to decode {name}: {_MISSING}" if name == "path" else
                          f"{what} failed to decode from: operation, missing from field: {_MISSING}")
    return value


def _apply_op(doc: Any, op: dict) -> None:
    kind = op.get("op") if isinstance(op.get("op"), str) else "unknown"
    value = op.get("value", _NO_VALUE)
    if kind == "add":
        path = _path(op, "path", "add operation")
        con, key = _find(doc, path)
        if con is None:
            raise _NotApplied(f'add operation does not apply: doc is missing path: "{path}": {_MISSING}')
        try:
            _add(con, key, json_copy(None if value is _NO_VALUE else value))
        except _NotApplied as e:
            raise _NotApplied(f"error in add for path: '{path}': {e}") from None
    elif kind == "remove":
        path = _path(op, "path", "remove operation")
        con, key = _find(doc, path)
        if con is None:
            raise _NotApplied(f'remove operation does not apply: doc is missing path: "{path}": {_MISSING}')
        try:
            _remove(con, key)
        except _NotApplied as e:
            raise _NotApplied(f"error in remove for path: '{path}': {e}") from None
    elif kind == "replace":
        path = _path(op, "path", "replace operation")
        con, key = _find(doc, path)
        if con is None:
            raise _NotApplied(f"replace operation does not apply: doc is missing path: {path}: {_MISSING}")
        new = json_copy(None if value is _NO_VALUE else value)
        if isinstance(con, dict):
            con[key] = new  # (a missing member is set: the library's object get never fails)
        else:
            try:
                idx = _go_atoi(key)
                if not 0 <= idx < len(con):
                    raise _NotApplied("")
            except _NotApplied:
                raise _NotApplied(f"replace operation does not apply: doc is missing key: {path}: {_MISSING}") \
                    from None
            con[idx] = new
    elif kind in ("move", "copy"):
        src = _path(op, "from", f"{kind} operation")
        con, key = _find(doc, src)
        if con is None:
            raise _NotApplied(f"{kind} operation does not apply: doc is missing from path: {src}: {_MISSING}")
        try:
            val = _get(con, key)
            if kind == "move":
                _remove(con, key)
        except _NotApplied as e:
            raise _NotApplied(f"error in move for path: '{key}': {e}" if kind == "move" else
                              f"error in copy for from: '{src}': {e}") from None
        path = _path(op, "path", f"{kind} operation")
        con, key = _find(doc, path)
        if con is None:
            raise _NotApplied(f"{kind} operation does not apply: doc is missing destination path: {path}: {_MISSING}")
        try:
            _add(con, key, json_copy(val))
        except _NotApplied as e:
            raise _NotApplied(f"error in move for path: '{path}': {e}" if kind == "move" else
                              f"error while adding value during copy: {e}") from None
    elif kind == "test":
        path = _path(op, "path", "test operation")
        con, key = _find(doc, path)
        if con is None:
            raise _NotApplied(f"test operation does not apply: is missing path: {path}: {_MISSING}")
        try:
            val = _get(con, key)
        except _NotApplied as e:
            raise _NotApplied(f"error in test for path: '{path}': {e}") from None
        if val is None:
            if value is None or value is _NO_VALUE:
                return
        elif value is not _NO_VALUE and val == value:
            return
        raise _NotApplied(f"testing value {path} failed: {_TEST_FAILED}")
    else:
        raise _NotApplied(f"Unexpected kind: {kind}")


def json_patch(original: Any, ops: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test, in order (a failing op fails all)."""
    if not isinstance(ops, list):
        raise _bad("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = json_copy(original)
    for op in ops:
        if not isinstance(op, dict):
            raise _bad("json: cannot unmarshal into Go value of type jsonpatch.Operation")
    try:
        for op in ops:
            _apply_op(doc, op)
    except _NotApplied as e:
        raise StatusError("Invalid", "the server rejected our request due to an error in our request",
                          details={"causes": [{"reason": "UnexpectedServerResponse", "message": str(e)}]}) from None
    return doc


def apply_patch(content_type: str, live: dict, patch: Any) -> dict:
    """The patched object for a PATCH request's media type."""
    if content_type == STRATEGIC:
        out = strategic_merge(live, patch, live.get("kind", ""))
    elif content_type == MERGE:
        out = merge_patch(live, patch)
    elif content_type == JSON_PATCH:
        out = json_patch(live, patch)
    else:
        raise unsupported_media_type((JSON_PATCH, MERGE, STRATEGIC))
    if not isinstance(out, dict):
        raise _bad("the patched object is not a JSON object")
    return out
