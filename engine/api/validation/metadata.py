"""ObjectMeta and metav1 validation: names, labels, annotations, owner references,
finalizers and label selectors (apimachinery's ValidateObjectMeta / ValidateLabelSelector)."""
from __future__ import annotations

from typing import Any

from engine.api.gostrconv import go_quote
from engine.api.validation.errors import ErrorType, FieldError, GoLiteral, forbidden, invalid, required
from engine.api.validation.names import IS_NEGATIVE_ERROR, blen, is_qualified_name, is_valid_label_value
from engine.api.validation.values import as_dict, as_list, as_str, as_str_map, is_int


def labels_literal(labels: dict[str, str] | None) -> Any:
    """The bad value for template-label errors: a nil map prints as map[string]string(nil)."""
    if labels is None:
        return GoLiteral("map[string]string(nil)")
    return dict(labels)


def validate_labels(labels: dict[str, str] | None, path: str) -> list[FieldError]:
    """ValidateLabels: every key a qualified name, every value a label value (sorted for stability;
    Go iterates the map in random order, so any order is "real")."""
    out: list[FieldError] = []
    for k in sorted(labels or {}):
        v = (labels or {})[k]
        out.extend(invalid(path, k, m) for m in is_qualified_name(k))
        out.extend(invalid(path, v, m) for m in is_valid_label_value(v))
    return out


def validate_annotations(ann: Any, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    anns = as_str_map(ann) or {}
    total = 0
    for k in sorted(anns):
        out.extend(invalid(path, k, m) for m in is_qualified_name(k.lower()))
        total += blen(k) + blen(anns[k])
    if total > 256 * 1024:
        out.append(FieldError(ErrorType.TooLong, path, "", f"must have at most {256 * 1024} bytes"))
    return out


def validate_object_meta(obj: dict, name_fn) -> list[FieldError]:
    """apimachinery ValidateObjectMeta (name, generateName, labels, annotations).

    The namespace is not checked: kubectl fills it in from the context, a namespace that does not
    exist is a NotFound from the engine, and cluster-scoped objects have it cleared before
    validation (rest.BeforeCreate).
    """
    meta = as_dict(obj.get("metadata"))
    out: list[FieldError] = []
    gen = as_str(meta.get("generateName"))
    if gen:
        out.extend(invalid("metadata.generateName", gen, m) for m in name_fn(gen, True))
    name = as_str(meta.get("name"))
    if not name:
        out.append(required("metadata.name", "name or generateName is required"))
    else:
        out.extend(invalid("metadata.name", name, m) for m in name_fn(name, False))
    gen_no = meta.get("generation")
    if is_int(gen_no) and gen_no < 0:
        out.append(invalid("metadata.generation", gen_no, IS_NEGATIVE_ERROR))
    out.extend(validate_labels(as_str_map(meta.get("labels")), "metadata.labels"))
    out.extend(validate_annotations(meta.get("annotations"), "metadata.annotations"))
    out.extend(validate_owner_references(meta.get("ownerReferences"), "metadata.ownerReferences"))
    out.extend(validate_finalizers(meta.get("finalizers"), "metadata.finalizers"))
    return out


def _go_ptr_bool(v: Any, n: int) -> str:
    """A ``*bool`` as ``%#v`` prints it: ``(*bool)(nil)`` or an address (a stand-in: Go's
    heap addresses differ on every run; this one is stable so output stays reproducible)."""
    if v is None:
        return "(*bool)(nil)"
    return f"(*bool)(0xc000{0x5a0 + 8 * n:06x})"


def owner_reference_literal(ref: dict, n: int = 0) -> GoLiteral:
    """``%#v`` of a metav1.OwnerReference (field.Invalid's bad value)."""
    r = as_dict(ref)
    return GoLiteral(
        f'v1.OwnerReference{{APIVersion:{go_quote(as_str(r.get("apiVersion")))}, Kind:{go_quote(as_str(r.get("kind")))}, '
        f'Name:{go_quote(as_str(r.get("name")))}, UID:{go_quote(as_str(r.get("uid")))}, '
        f'Controller:{_go_ptr_bool(r.get("controller"), 2 * n)}, '
        f'BlockOwnerDeletion:{_go_ptr_bool(r.get("blockOwnerDeletion"), 2 * n + 1)}}}')


def _api_version_parts(api_version: str) -> tuple[str, str] | None:
    """schema.ParseGroupVersion: (group, version), or None when it does not parse."""
    if not api_version or api_version == "/":
        return ("", "")
    n = api_version.count("/")
    if n == 0:
        return ("", api_version)
    if n == 1:
        g, _, v = api_version.partition("/")
        return (g, v)
    return None


def validate_owner_references(refs: Any, path: str) -> list[FieldError]:
    """apimachinery ValidateOwnerReferences: apiVersion, kind, name and uid must be set (the
    path has no index, as upstream's), Events may not own anything, and at most one
    reference may be the controller."""
    out: list[FieldError] = []
    first_controller = ""
    items = as_list(refs)
    for i, ref in enumerate(items):
        r = as_dict(ref)
        av, kind = as_str(r.get("apiVersion")), as_str(r.get("kind"))
        gv = _api_version_parts(av)
        group, version = gv if gv is not None else ("", "")
        if not version:
            out.append(invalid(f"{path}.apiVersion", av, "version must not be empty"))
        if not kind:
            out.append(invalid(f"{path}.kind", kind, "must not be empty"))
        if not as_str(r.get("name")):
            out.append(invalid(f"{path}.name", as_str(r.get("name")), "must not be empty"))
        if not as_str(r.get("uid")):
            out.append(invalid(f"{path}.uid", as_str(r.get("uid")), "must not be empty"))
        if (group, version, kind) == ("", "v1", "Event"):
            out.append(invalid(path, owner_reference_literal(r, i), "/v1, Kind=Event is disallowed from being an owner"))
        if r.get("controller") is True:
            cur = f"{kind}/{as_str(r.get('name'))}"
            if first_controller:
                whole = GoLiteral("[]v1.OwnerReference{" + ", ".join(
                    owner_reference_literal(x, j) for j, x in enumerate(items)) + "}")
                out.append(invalid(path, whole, "Only one reference can have Controller set to true. "
                                                 f'Found "true" in references for {first_controller} and {cur}'))
            else:
                first_controller = cur
    return out


FINALIZER_ORPHAN = "orphan"
FINALIZER_FOREGROUND = "foregroundDeletion"


def validate_finalizers(finalizers: Any, path: str) -> list[FieldError]:
    """apimachinery ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion."""
    out: list[FieldError] = []
    items = [x for x in as_list(finalizers) if isinstance(x, str)]
    for f in items:
        out.extend(invalid(path, f, m) for m in is_qualified_name(f))
    if FINALIZER_ORPHAN in items and FINALIZER_FOREGROUND in items:
        out.append(invalid(path, list(items),
                            f"finalizer {FINALIZER_ORPHAN} and {FINALIZER_FOREGROUND} cannot be both set"))
    return out


def nonneg(value: Any, path: str) -> list[FieldError]:
    if is_int(value) and value < 0:
        return [invalid(path, value, IS_NEGATIVE_ERROR)]
    return []


def selector_string(sel: dict) -> GoLiteral:
    """gogo-protobuf String() of *metav1.LabelSelector (it is a Stringer, so errors print this)."""
    ml = as_str_map(sel.get("matchLabels")) or {}
    labels = "map[string]string{" + "".join(f"{k}: {ml[k]}," for k in sorted(ml)) + "}"
    reqs = ""
    for r in as_list(sel.get("matchExpressions")):
        r = as_dict(r)
        vals = "[" + " ".join(str(v) for v in as_list(r.get("values"))) + "]"
        reqs += f"LabelSelectorRequirement{{Key:{as_str(r.get('key'))},Operator:{as_str(r.get('operator'))},Values:{vals},}},"
    return GoLiteral(f"&LabelSelector{{MatchLabels:{labels},MatchExpressions:[]LabelSelectorRequirement{{{reqs}}},}}")


def selector_go_value(sel: Any) -> GoLiteral:
    """`%#v` of a metav1.LabelSelector value (what field.Error prints for a selector: the
    pointer is dereferenced, and the value is no Stringer):
    `v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`."""
    sel = as_dict(sel)
    ml = as_str_map(sel.get("matchLabels"))
    labels = ("map[string]string{" + ", ".join(f"{go_quote(k)}:{go_quote(ml[k])}" for k in sorted(ml)) + "}"
              if ml is not None else "map[string]string(nil)")
    exprs = as_list(sel.get("matchExpressions"))
    if not sel.get("matchExpressions"):
        reqs = "[]v1.LabelSelectorRequirement(nil)"
    else:
        items = []
        for r in exprs:
            r = as_dict(r)
            values = as_list(r.get("values"))
            vals = ("[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}") if r.get("values") is not None \
                else "[]string(nil)"
            items.append(f"v1.LabelSelectorRequirement{{Key:{go_quote(as_str(r.get('key')))}, "
                         f"Operator:{go_quote(as_str(r.get('operator')))}, Values:{vals}}}")
        reqs = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    return GoLiteral(f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{reqs}}}")


def validate_label_selector(sel: Any, path: str) -> list[FieldError]:
    """ValidateLabelSelector (strict values)."""
    if not isinstance(sel, dict):
        return []
    out: list[FieldError] = []
    for i, r in enumerate(as_list(sel.get("matchExpressions"))):
        r = as_dict(r)
        rp = f"{path}.matchExpressions[{i}]"
        op, vals = r.get("operator"), as_list(r.get("values"))
        if op in ("In", "NotIn"):
            if not vals:
                out.append(required(f"{rp}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if vals:
                out.append(forbidden(f"{rp}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            out.append(invalid(f"{rp}.operator", op if op is not None else "", "not a valid selector operator"))
        key = as_str(r.get("key"))
        out.extend(invalid(f"{rp}.key", key, m) for m in is_qualified_name(key))
        for j, v in enumerate(vals):
            sv = v if isinstance(v, str) else str(v)
            out.extend(invalid(f"{rp}.values[{j}]", sv, m) for m in is_valid_label_value(sv))
    out.extend(validate_labels(as_str_map(sel.get("matchLabels")), f"{path}.matchLabels"))
    return out
