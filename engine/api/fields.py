"""Field selectors (`--field-selector`, `fieldSelector=`): `=`, `==`, `!=` over the fields each
kind registers with kube-apiserver (apiserver-spec §2.5; kubernetes `pkg/apis/core/v1/conversion.go`
`AddFieldLabelConversionFunc`, and each registry's `GetAttrs`). Label selectors are
`engine.api.labels`, the one implementation svcflow has. The served API answers a refused
selector `400 BadRequest` with the error's text; the prompt's `kubectl get` prints it as kubectl
prints that answer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


class FieldSelectorError(ValueError):
    """A selector kube-apiserver refuses (`400 BadRequest`); the text is its message."""


def _path(*keys: str) -> Callable[[dict], str]:
    def get(obj: dict) -> str:
        v: object = obj
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)
    return get


_META = {"metadata.name": _path("metadata", "name"), "metadata.namespace": _path("metadata", "namespace")}

FIELDS: dict[str, dict[str, Callable[[dict], str]]] = {
    "Pod": {**_META, **{f: _path(*f.split(".")) for f in (
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")}},
    "Event": {**_META, **{f: _path(*f.split(".")) for f in (
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "type")}, "source": _path("source", "component")},
    "Node": {**_META, "spec.unschedulable": _path("spec", "unschedulable")},
    "Namespace": {**_META, "status.phase": _path("status", "phase")},
    "Service": {**_META, "spec.clusterIP": _path("spec", "clusterIP"), "spec.type": _path("spec", "type")},
    "ReplicaSet": {**_META, "status.replicas": _path("status", "replicas")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    op: str  # "=" or "!="
    value: str
    getter: Callable[[dict], str]

    def matches(self, obj: dict) -> bool:
        got = self.getter(obj)
        if self.field == "spec.hostNetwork" and got == "":
            got = "false"
        return (got == self.value) == (self.op == "=")


def parse(kind: str, text: str | None) -> list[FieldRequirement]:
    """`fields.ParseSelector` then the kind's field label conversion: an unknown field is
    `400 BadRequest` `field label not supported: X`."""
    if not text:
        return []
    reqs: list[FieldRequirement] = []
    known = FIELDS.get(kind, _META)
    for term in _split(text):
        if not term:
            continue
        for op, norm in (("!=", "!="), ("==", "="), ("=", "=")):
            if op in term:
                field, value = term.split(op, 1)
                break
        else:
            raise FieldSelectorError(f'invalid selector: \'{text}\'; can\'t understand \'{term}\'')
        field = field.strip()
        getter = known.get(field)
        if getter is None:
            raise FieldSelectorError(f"field label not supported: {field}")
        reqs.append(FieldRequirement(field, norm, _unescape(value.strip()), getter))
    return reqs


def _split(text: str) -> list[str]:
    """Terms split at unescaped commas (`\\,` escapes one, as fields.splitTerms)."""
    terms, cur, esc = [], [], False
    for ch in text:
        if esc:
            cur.append("\\" + ch)
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == ",":
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return terms


def _unescape(v: str) -> str:
    out, esc = [], False
    for ch in v:
        if esc:
            out.append(ch)
            esc = False
        elif ch == "\\":
            esc = True
        else:
            out.append(ch)
    return "".join(out)


def matches(reqs: list[FieldRequirement], obj: dict) -> bool:
    return all(r.matches(obj) for r in reqs)
