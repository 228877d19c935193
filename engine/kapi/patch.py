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


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _bad('the server rejected our request due to an error in our request')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(doc, dict) and p in doc:
            doc = doc[p]
        elif isinstance(doc, list) and p.isdigit() and int(p) < len(doc):
            doc = doc[int(p)]
        else:
            raise _bad("the server rejected our request due to an error in our request")
    return doc


def json_patch(original: Any, ops: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test, in order (a failing op fails all)."""
    if not isinstance(ops, list):
        raise _bad("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = json_copy(original)
    for op in ops:
        if not isinstance(op, dict):
            raise _bad("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        kind, path = op.get("op"), op.get("path", "")
        parts = _pointer(path)
        if kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise StatusError("Invalid", "the server rejected our request due to an error in our request")
            continue
        if kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = json_copy(_walk(doc, src))
            if kind == "move":
                doc = _remove(doc, src)
            doc = _add(doc, parts, value)
        elif kind == "add":
            doc = _add(doc, parts, json_copy(op.get("value")))
        elif kind == "remove":
            doc = _remove(doc, parts)
        elif kind == "replace":
            _walk(doc, parts)
            doc = _add(_remove(doc, parts), parts, json_copy(op.get("value")))
        else:
            raise _bad(f"Unexpected kind: {kind}")
    return doc


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _bad("the server rejected our request due to an error in our request")
    else:
        raise _bad("the server rejected our request due to an error in our request")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    if not parts:
        return None
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
    else:
        raise _bad("the server rejected our request due to an error in our request")
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
