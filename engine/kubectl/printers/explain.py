"""`kubectl explain` as kubectl 1.33 prints it (explain v2's `plaintext` template:
k8s.io/kubectl `pkg/explain/v2/templates/plaintext.tmpl`, `funcs.go`, `explain.go`), from the
same OpenAPI v3 schemas `svcflow serve` publishes (`engine.api.openapi_schemas`), so `svcflow
explain` and the real kubectl against `svcflow serve` print the same bytes (a test holds them to
it). The template's walk is ported step by step: a field's description, then the descriptions of
what its `allOf`/`items`/map values resolve to; FIELDS alphabetical, `--recursive` one indented
line per field, reference cycles cut; descriptions wrapped by go-wordwrap's rules.
"""
from __future__ import annotations

from typing import Any

from engine.api import apionly, kinds, openapi_schemas
from engine.api.kinds import KindInfo
from engine.kubectl.printers.explainv2 import explain_v2

Schema = dict[str, Any]
_REF = "#/components/schemas/"


def word_wrap(text: str, limit: int) -> str:
    """github.com/mitchellh/go-wordwrap WrapString (kubectl's term.NewWordWrapWriter): break
    at whitespace so lines stay within `limit`; words longer than that are not split and
    existing line breaks are kept."""
    out: list[str] = []
    current = 0
    word: list[str] = []
    space: list[str] = []
    for ch in text:
        if ch == "\n":
            if not word:
                if current + len(space) > limit:
                    current = 0
                else:
                    current += len(space)
                    out.extend(space)
                space = []
            else:
                current += len(space) + len(word)
                out.extend(space)
                out.extend(word)
                space, word = [], []
            out.append(ch)
            current = 0
        elif ch.isspace() and ch != "\u00a0":
            if not space or word:
                current += len(space) + len(word)
                out.extend(space)
                out.extend(word)
                space, word = [], []
            space.append(ch)
        else:
            word.append(ch)
            if current + len(space) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                space = []
    if not word:
        if current + len(space) <= limit:
            out.extend(space)
    else:
        out.extend(space)
        out.extend(word)
    return "".join(out)


def _indent(amount: int, text: str) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


class _Doc:
    def __init__(self, schemas: dict[str, Schema]) -> None:
        self.schemas = schemas

    def resolve(self, ref: Any) -> Schema | None:
        if not isinstance(ref, str) or not ref.startswith(_REF):
            return None
        return self.schemas.get(ref[len(_REF):])

    def description(self, schema: Schema) -> str:
        s = self.resolve(schema.get("$ref")) or schema
        out = s["description"] + "\n" if s.get("description") else ""
        for sub in s.get("allOf") or ():
            out += self.description(sub)
        if s.get("items"):
            out += self.description(s["items"])
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            out += self.description(s["additionalProperties"])
        return out

    def type_guess(self, s: Schema) -> str:
        if s.get("items"):
            return "[]" + self.type_guess(s["items"])
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            return "map[string]" + self.type_guess(s["additionalProperties"])
        if s.get("allOf") and not s.get("properties") and len(s["allOf"]) == 1:
            return self.type_guess(s["allOf"][0])
        if s.get("$ref"):
            target = self.resolve(s["$ref"])
            if not target or not target.get("type") or target.get("type") == "object":
                return s["$ref"].split("/")[-1].split(".")[-1] or "Object"
            return target["type"]
        return "Object" if s.get("type") == "object" else (s.get("type") or "Object")

    @staticmethod
    def enum(s: Schema, long_view: bool, limit: int, indent: int = 0) -> str:
        values = s.get("enum")
        if not values:
            return ""
        out = "ENUM:" if long_view else "\n" + " " * indent + "enum: "
        for i, v in enumerate(values):
            if limit > -1 and i >= limit:
                out += ", ...."
                break
            if i > 0 and not long_view:
                out += ", "
            elif long_view:
                out += "\n    "
            out += '""' if v == "" else str(v)
        return out

    def field_detail(self, name: str, parent: Schema, short: bool, level: int) -> str:
        amount = level * 2
        s = parent["properties"][name]
        out = _indent(amount, name) + "\t<" + self.type_guess(s) + ">"
        if name in (parent.get("required") or ()):
            out += " -required-"
        out += self.enum(s, False, 4, amount) + "\n"
        if not short:
            out += _indent(amount + 2, word_wrap(s.get("description") or "<no description>", 78 - amount)) + "\n"
            docs = s.get("externalDocs")
            if docs:
                out += "\n" + _indent(amount + 2, "EXTERNAL DOCS:") + "\n"
                if docs.get("description"):
                    out += _indent(amount + 4, word_wrap(docs["description"], 76 - amount)) + "\n"
                if docs.get("url"):
                    out += _indent(amount + 4, "URL: " + docs["url"]) + "\n"
            out += "\n"
        return out

    def field_list(self, schema: Schema, level: int, recursive: bool, history: frozenset[str]) -> str:
        ref = schema.get("$ref") or ""
        if ref and ref in history:
            return ""  # (a cycle)
        history = history | {ref}
        s = self.resolve(ref) or schema
        out = ""
        for name in sorted(s.get("properties") or {}):
            out += self.field_detail(name, s, recursive, level)
            if recursive:
                out += self.field_list(s["properties"][name], level + 1, recursive, history)
        for sub in s.get("allOf") or ():
            out += self.field_list(sub, level, recursive, history)
        if s.get("items"):
            out += self.field_list(s["items"], level, recursive, history)
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            out += self.field_list(s["additionalProperties"], level, recursive, history)
        return out

    def output(self, schema: Schema, path: list[str], recursive: bool, history: frozenset[str]) -> str:
        ref = schema.get("$ref") or ""
        next_history = history | {ref}
        s = self.resolve(ref) or schema
        if not path:
            out = "DESCRIPTION:\n" + _indent(4, word_wrap(self.description(s) or "<empty>", 76)) + "\n"
            docs = s.get("externalDocs")
            if docs:
                out += "\nEXTERNAL DOCS:\n"
                if docs.get("description"):
                    out += _indent(4, word_wrap(docs["description"], 76)) + "\n"
                if docs.get("url"):
                    out += _indent(4, "URL: " + docs["url"]) + "\n"
            fields = self.field_list(s, 1, recursive, frozenset())
            if fields:
                out += "FIELDS:\n" + fields
            return out
        if ref and ref in history:
            return ""
        props = s.get("properties") or {}
        if props and props.get(path[0]):
            sub = props[path[0]]
            out = ""
            if len(path) == 1:
                out = f"FIELD: {path[0]} <{self.type_guess(sub)}>\n" + self.enum(sub, True, -1) + "\n\n"
            return out + self.output(sub, path[1:], recursive, frozenset())
        if s.get("items"):
            return self.output(s["items"], path, recursive, next_history)
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            return self.output(s["additionalProperties"], path, recursive, next_history)
        for sub in s.get("allOf") or ():
            out = self.output(sub, path, recursive, next_history)
            if out:
                return out
        return ""


def render(schemas: dict[str, Schema], info: KindInfo, path: list[str], recursive: bool = False) -> tuple[str, str]:
    """kubectl explain's stdout for a kind and a field path, and its error ('' when none):
    on an unknown field the header is already out when the error comes, as kubectl's is."""
    head = (f"GROUP:      {info.group}\n" if info.group else "") + f"KIND:       {info.kind}\n" \
        f"VERSION:    {info.version}\n\n"
    gvk = {"group": info.group, "kind": info.kind, "version": info.version}
    doc = _Doc(schemas)
    schema = next((s for _, s in sorted(schemas.items()) if gvk in (s.get("x-kubernetes-group-version-kind") or ())),
                  None)
    if schema is None:
        return head, f"error: GVK {info.group}/{info.version}, Kind={info.kind} not found in OpenAPI schema"
    body = doc.output(schema, path, recursive, frozenset())
    if not body:
        return head, f'error: field "{path[-1]}" does not exist'
    return head + body + "\n", ""


def split_resource(word: str) -> tuple[KindInfo | None, list[str]]:
    """kubectl's SplitAndParseResourceRequestWithMatchingPrefix: the first dotted part names the
    resource (`deployments.apps.spec` may name its group too); the rest is the field path."""
    word = word[:-1] if word.endswith(".") else word
    parts = word.split(".")
    info = kinds.match_resource(parts[0]) or apionly.match(parts[0])  # (all the served API answers)
    if info is None:
        return None, []
    prefix = info.qualified_plural
    if word.startswith(prefix):
        rest = word[len(prefix):]
        return info, rest.split(".")[1:] if rest else []
    return info, parts[1:]


def explain(args: list[str], *, recursive: bool = False, api_version: str | None = None,
            output: str | None = None) -> tuple[int, str, str]:
    """`kubectl explain RESOURCE[.FIELD...] [--recursive] [--api-version G/V] [-o plaintext]`:
    exit code, stdout and stderr, in kubectl's words for each refusal (`plaintext-openapiv2`:
    kubectl's older explain, over the OpenAPI v2 document, engine.kubectl.printers.explainv2)."""
    if output not in (None, "plaintext", "plaintext-openapiv2"):
        return 1, "", f"error: unrecognized format: {output}\n"
    if not args:
        return 1, "", ("error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a "
                       "complete list of supported resources.\n")
    if len(args) > 1:
        return 1, "", "error: We accept only this format: explain RESOURCE\n"
    word = args[0]
    if api_version:  # (then only the first dotted part names the resource: SplitAndParseResourceRequest)
        parts = word.removesuffix(".").split(".")
        info, path = kinds.match_resource(parts[0]) or apionly.match(parts[0]), parts[1:]
    else:
        info, path = split_resource(word)
    if info is None:
        return 1, "", f"the server doesn't have a resource type \"{word.removesuffix('.').split('.')[0]}\"\n"
    if output == "plaintext-openapiv2":  # (the v2 document: `svcflow serve`'s /openapi/v2)
        out, err = explain_v2(openapi_schemas.load(), info, path, recursive, api_version)
        return (1, out, err + "\n") if err else (0, out, "")
    if api_version:
        group, slash, version = api_version.rpartition("/")
        if api_version.count("/") > 1 or (slash and not group):
            return 1, "", f"error: unexpected GroupVersion string: {api_version}\n"
        if (group, version) not in (*kinds.group_versions(), *apionly.group_versions()):
            return 1, "", f"error: couldn't find resource for \"{group}/{version}, Resource={info.resource}\"\n"
        found = kinds.by_resource(group, version, info.resource) or apionly.by_resource(group, version, info.resource)
        if found is None:
            return 1, "", f"error: GVR ({group}/{version}, Resource={info.resource}) not found in OpenAPI schema\n"
        info = found
    out, err = render(openapi_schemas.load(), info, path, recursive)
    return (1, out, err + "\n") if err else (0, out, "")
