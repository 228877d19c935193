"""Deployment, ReplicaSet, DaemonSet and StatefulSet validation (pkg/apis/apps/validation)."""
from __future__ import annotations

from typing import Any

from engine.api.gostrconv import go_quote
from engine.api.labels import selector_matches
from engine.api.validation.errors import FieldError, GoLiteral, forbidden, invalid, not_supported, required
from engine.api.validation.metadata import (
    labels_literal,
    nonneg,
    selector_string,
    validate_annotations,
    validate_label_selector,
    validate_labels,
    validate_object_meta,
)
from engine.api.validation.names import is_valid_percent, name_is_dns1123_label, name_is_dns_subdomain
from engine.api.validation.pod import validate_pod_spec
from engine.api.validation.values import as_dict, as_str, as_str_map, intstr_repr, is_int

# --------------------------------------------------------------------------------------------
# Deployment / ReplicaSet / DaemonSet
# --------------------------------------------------------------------------------------------


def _percent_value(v: Any) -> tuple[int, bool]:
    if isinstance(v, str) and not is_valid_percent(v):
        return int(v[:-1]), True
    return 0, False


def _int_or_percent(v: Any) -> int:
    pv, ok = _percent_value(v)
    if ok:
        return pv
    if is_int(v):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return 0
    return 0


def _validate_positive_int_or_percent(v: Any, path: str) -> list[FieldError]:
    if isinstance(v, str):
        return [invalid(path, intstr_repr(v), m) for m in is_valid_percent(v)]
    if is_int(v):
        return nonneg(v, path)
    return []


def _not_more_than_100(v: Any, path: str) -> list[FieldError]:
    pv, ok = _percent_value(v)
    if ok and pv > 100:
        return [invalid(path, intstr_repr(v), "must not be greater than 100%")]
    return []


def _validate_template_metadata(tmeta: dict, path: str) -> list[FieldError]:
    """ValidatePodTemplateSpec's metadata part (upstream validates the template's labels at
    `<path>.labels`, not under metadata)."""
    out = validate_labels(as_str_map(tmeta.get("labels")), f"{path}.labels")
    out.extend(validate_annotations(tmeta.get("annotations"), f"{path}.annotations"))
    return out


def _validate_restart_always(tspec: dict, path: str, owner: str) -> list[FieldError]:
    """What every workload controller's pods need: restartPolicy Always (a pod that ends is
    the controller's to replace) and no activeDeadlineSeconds."""
    out: list[FieldError] = []
    rp = tspec.get("restartPolicy")
    if rp != "Always":
        out.append(not_supported(f"{path}.spec.restartPolicy", rp if rp is not None else "", ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(forbidden(f"{path}.spec.activeDeadlineSeconds", f"activeDeadlineSeconds in {owner} is not Supported"))
    return out


def _validate_template_for_selector(spec: dict, path: str) -> list[FieldError] | None:
    """LabelSelectorAsSelector then the selector-matches-labels and metadata checks that
    ValidatePodTemplateSpecForReplicaSet and ...ForStatefulSet share. None when the selector
    cannot be converted: the caller reports `spec.selector` with its own words (`invalid label
    selector` for a Deployment or ReplicaSet, nothing for a StatefulSet) and skips the
    template. A missing selector is labels.Nothing(): never empty, it matches no labels."""
    tmeta = as_dict(as_dict(spec.get("template")).get("metadata"))
    tlabels = as_str_map(tmeta.get("labels"))
    sel = spec.get("selector")
    m = selector_matches(sel, tlabels)
    if m is None:
        return None
    out: list[FieldError] = []
    empty = isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions")
    if not empty and not m:
        out.append(invalid(f"{path}.metadata.labels", labels_literal(tlabels), "`selector` does not match template `labels`"))
    out.extend(_validate_template_metadata(tmeta, path))
    return out


def _validate_template_for_rs(spec: dict, path: str, owner: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet: selector/labels match, template, restartPolicy.

    An unconvertible selector short-circuits to ``spec.selector: Invalid value: ...: invalid label
    selector`` exactly like ValidateDeploymentSpec; a missing selector is labels.Nothing(), so it
    never matches (hence the second cause in D.1's "missing selector" case).
    """
    out = _validate_template_for_selector(spec, path)
    if out is None:
        return [invalid("spec.selector", selector_string(as_dict(spec.get("selector"))), "invalid label selector")]
    tspec = as_dict(as_dict(spec.get("template")).get("spec"))
    out.extend(validate_pod_spec(tspec, f"{path}.spec"))
    out.extend(_validate_restart_always(tspec, path, owner))
    return out


def _validate_selector_required(spec: dict, owner: str) -> list[FieldError]:
    sel = spec.get("selector")
    if sel is None:
        return [required("spec.selector")]
    out = validate_label_selector(sel, "spec.selector")
    if isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions"):
        out.append(invalid("spec.selector", selector_string(sel), f"empty selector is invalid for {owner}"))
    return out


def validate_deployment(d: dict) -> list[FieldError]:
    spec = as_dict(d.get("spec"))
    out = validate_object_meta(d, name_is_dns_subdomain)
    out.extend(nonneg(spec.get("replicas"), "spec.replicas"))
    out.extend(_validate_selector_required(spec, "deployment"))
    out.extend(_validate_template_for_rs(spec, "spec.template", "ReplicaSet"))
    st = as_dict(spec.get("strategy"))
    typ = st.get("type")
    if typ == "Recreate":
        if st.get("rollingUpdate") is not None:
            out.append(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif typ == "RollingUpdate":
        ru = as_dict(st.get("rollingUpdate"))
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        out.extend(_validate_positive_int_or_percent(mu, "spec.strategy.rollingUpdate.maxUnavailable"))
        out.extend(_validate_positive_int_or_percent(ms, "spec.strategy.rollingUpdate.maxSurge"))
        if _int_or_percent(mu) == 0 and _int_or_percent(ms) == 0:
            out.append(invalid("spec.strategy.rollingUpdate.maxUnavailable", intstr_repr(mu), "may not be 0 when `maxSurge` is 0"))
        out.extend(_not_more_than_100(mu, "spec.strategy.rollingUpdate.maxUnavailable"))
    else:
        lit = GoLiteral("apps.DeploymentStrategy{Type:" + go_quote(as_str(typ)) + ", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}")
        out.append(not_supported("spec.strategy", lit, ["Recreate", "RollingUpdate"]))
    out.extend(nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    out.extend(nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"))
    pds = spec.get("progressDeadlineSeconds")
    if is_int(pds):
        out.extend(nonneg(pds, "spec.progressDeadlineSeconds"))
        mrs = spec.get("minReadySeconds", 0)
        if is_int(mrs) and pds <= mrs:
            out.append(invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"))
    return out


def validate_replicaset(rs: dict) -> list[FieldError]:
    spec = as_dict(rs.get("spec"))
    out = validate_object_meta(rs, name_is_dns_subdomain)
    out.extend(nonneg(spec.get("replicas"), "spec.replicas"))
    out.extend(nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    out.extend(_validate_selector_required(spec, "deployment"))  # upstream says "deployment" here too
    out.extend(_validate_template_for_rs(spec, "spec.template", "ReplicaSet"))
    return out


def validate_daemonset(ds: dict) -> list[FieldError]:
    spec = as_dict(ds.get("spec"))
    out = validate_object_meta(ds, name_is_dns_subdomain)
    sel = spec.get("selector")
    out.extend(validate_label_selector(sel, "spec.selector"))
    tmpl = as_dict(spec.get("template"))
    tmeta = as_dict(tmpl.get("metadata"))
    tlabels = as_str_map(tmeta.get("labels"))
    m = selector_matches(sel, tlabels)
    if m is False:
        out.append(invalid("spec.template.metadata.labels", labels_literal(tlabels), "`selector` does not match template `labels`"))
    if isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions"):
        out.append(invalid("spec.selector", selector_string(sel), "empty selector is invalid for daemonset"))
    out.extend(_validate_template_metadata(tmeta, "spec.template"))
    tspec = as_dict(tmpl.get("spec"))
    out.extend(validate_pod_spec(tspec, "spec.template.spec"))
    out.extend(_validate_restart_always(tspec, "spec.template", "DaemonSet"))
    out.extend(nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    us = as_dict(spec.get("updateStrategy"))
    if us.get("type") == "RollingUpdate":
        ru = as_dict(us.get("rollingUpdate"))
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        p = "spec.updateStrategy.rollingUpdate"
        out.extend(_validate_positive_int_or_percent(mu, f"{p}.maxUnavailable"))
        out.extend(_validate_positive_int_or_percent(ms, f"{p}.maxSurge"))
        out.extend(_not_more_than_100(mu, f"{p}.maxUnavailable"))
        out.extend(_not_more_than_100(ms, f"{p}.maxSurge"))
        hu, hs = _int_or_percent(mu) != 0, _int_or_percent(ms) != 0
        if hu and hs:
            out.append(invalid(f"{p}.maxSurge", intstr_repr(ms), "may not be set when maxUnavailable is non-zero"))
        elif not hu and not hs:
            out.append(required(f"{p}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif us.get("type") != "OnDelete":
        out.append(not_supported("spec.updateStrategy",
                                  GoLiteral("apps.DaemonSetUpdateStrategy{Type:" + go_quote(as_str(us.get("type")))
                                            + ", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}"),
                                  ["RollingUpdate", "OnDelete"]))
    return out


# --------------------------------------------------------------------------------------------
# StatefulSet
# --------------------------------------------------------------------------------------------

#: What ValidateStatefulSetUpdate lets an update change (everything else under spec is fixed
#: at creation: the selector, serviceName, podManagementPolicy, volumeClaimTemplates).
STATEFULSET_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                       "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
STATEFULSET_FORBIDDEN = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                         "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                         "'minReadySeconds' are forbidden")


def _statefulset_strategy_literal(us: dict) -> GoLiteral:
    return GoLiteral("apps.StatefulSetUpdateStrategy{Type:" + go_quote(as_str(us.get("type")))
                     + ", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}")


def _validate_statefulset_rolling_update(ru: dict, path: str) -> list[FieldError]:
    """validateRollingUpdateStatefulSet (maxUnavailable only with the alpha gate, which a
    v1.33 cluster leaves off: its value is dropped, never checked)."""
    return nonneg(ru.get("partition"), f"{path}.partition")


def _validate_retention_policy(policy: Any, path: str) -> list[FieldError]:
    if not isinstance(policy, dict):
        return []
    out: list[FieldError] = []
    for key in ("whenDeleted", "whenScaled"):
        v = policy.get(key)
        if v not in ("Retain", "Delete"):
            out.append(not_supported(f"{path}.{key}", v if v is not None else "", ["Retain", "Delete"]))
    return out


def validate_statefulset_spec(spec: dict) -> list[FieldError]:
    """ValidateStatefulSetSpec (v1.33). The pod template's spec is not validated here -- as
    upstream (a TODO there): a bad container shows as the controller's FailedCreate."""
    out: list[FieldError] = []
    pmp = spec.get("podManagementPolicy")
    if not pmp:
        out.append(required("spec.podManagementPolicy"))
    elif pmp not in ("OrderedReady", "Parallel"):
        out.append(invalid("spec.podManagementPolicy", as_str(pmp), "must be 'OrderedReady' or 'Parallel'"))
    us = as_dict(spec.get("updateStrategy"))
    typ = us.get("type")
    if not typ:
        out.append(required("spec.updateStrategy"))
    elif typ == "OnDelete":
        ru = us.get("rollingUpdate")
        if ru is not None:
            lit = GoLiteral("apps.RollingUpdateStatefulSetStrategy{Partition:" + str(as_dict(ru).get("partition") or 0)
                            + ", MaxUnavailable:(*intstr.IntOrString)(nil)}")
            out.append(invalid("spec.updateStrategy.rollingUpdate", lit, "only allowed for updateStrategy 'RollingUpdate'"))
    elif typ == "RollingUpdate":
        if us.get("rollingUpdate") is not None:
            out.extend(_validate_statefulset_rolling_update(as_dict(us.get("rollingUpdate")),
                                                            "spec.updateStrategy.rollingUpdate"))
    else:
        out.append(invalid("spec.updateStrategy", _statefulset_strategy_literal(us),
                           "must be 'RollingUpdate' or 'OnDelete'"))
    out.extend(_validate_retention_policy(spec.get("persistentVolumeClaimRetentionPolicy"),
                                          "spec.persistentVolumeClaimRetentionPolicy"))
    out.extend(nonneg(spec.get("replicas"), "spec.replicas"))
    out.extend(nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        out.extend(nonneg(ordinals.get("start"), "spec.ordinals.start"))
    out.extend(_validate_selector_required(spec, "statefulset"))
    # (ValidatePodTemplateSpecForStatefulSet: the template's pod spec is not validated -- a
    # TODO upstream -- and an unconvertible selector is reported with no words of its own)
    template = _validate_template_for_selector(spec, "spec.template")
    if template is None:
        out.append(invalid("spec.selector", selector_string(as_dict(spec.get("selector"))), ""))
    else:
        out.extend(template)
    out.extend(_validate_restart_always(as_dict(as_dict(spec.get("template")).get("spec")), "spec.template",
                                        "StatefulSet"))
    return out


def validate_statefulset(sts: dict) -> list[FieldError]:
    """ValidateStatefulSet: the name is a DNS label (it prefixes each pod's name and hostname)."""
    out = validate_object_meta(sts, name_is_dns1123_label)
    out.extend(validate_statefulset_spec(as_dict(sts.get("spec"))))
    return out


def statefulset_update_forbidden(new: dict, old: dict) -> list[FieldError]:
    """ValidateStatefulSetUpdate's own check (after the spec's errors, which `validate`
    gives): anything under spec but the mutable fields changed is Forbidden."""
    spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    fixed = {k: v for k, v in spec.items() if k not in STATEFULSET_MUTABLE}
    old_fixed = {k: v for k, v in old_spec.items() if k not in STATEFULSET_MUTABLE}
    return [forbidden("spec", STATEFULSET_FORBIDDEN)] if fixed != old_fixed else []
