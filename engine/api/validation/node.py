"""Namespace, Node and ConfigMap validation, with the node podCIDR parsing the topology shares."""
from __future__ import annotations

import ipaddress
from typing import Any

from engine.api.gostrconv import go_quote
from engine.api.validation.errors import ErrorType, FieldError, GoLiteral, invalid, not_supported, required
from engine.api.validation.metadata import validate_object_meta
from engine.api.validation.names import (
    blen,
    is_config_map_key,
    is_qualified_name,
    is_valid_label_value,
    name_is_dns1123_label,
    name_is_dns_subdomain,
)
from engine.api.validation.values import as_dict, as_list, as_str

# --------------------------------------------------------------------------------------------
# Namespace, Node, ConfigMap, Endpoints, EndpointSlice
# --------------------------------------------------------------------------------------------


def validate_namespace(obj: dict) -> list[FieldError]:
    return validate_object_meta(obj, name_is_dns1123_label)


_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def parse_cidr_sloppy(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """netutils.ParseCIDRSloppy: ``ip/prefix`` with a decimal prefix, leading zeros allowed in
    IPv4 octets and the prefix, bits beyond the prefix allowed (and masked off).  None when
    it does not parse."""
    if not isinstance(value, str) or value.count("/") != 1:
        return None
    ip, _, prefix = value.partition("/")
    if not prefix.isascii() or not prefix.isdigit():
        return None
    if "." in ip and ":" not in ip:
        octets = ip.split(".")
        if len(octets) != 4 or not all(o.isascii() and o.isdigit() and len(o) <= 3 for o in octets):
            return None
        ip = ".".join(str(int(o)) for o in octets)
    try:
        return ipaddress.ip_network(f"{ip}/{int(prefix)}", strict=False)
    except ValueError:
        return None


def node_pod_cidrs(spec: Any) -> list:
    """The Node's podCIDRs as the API server holds them: v1 ``podCIDR`` alone is mirrored into
    ``podCIDRs`` by the v1 -> internal conversion (Convert_v1_NodeSpec_To_core_NodeSpec)."""
    spec = as_dict(spec)
    cidrs = as_list(spec.get("podCIDRs"))
    if not cidrs and isinstance(spec.get("podCIDR"), str) and spec["podCIDR"]:
        cidrs = [spec["podCIDR"]]
    return cidrs


def _validate_node_taints(taints: list, path: str) -> list[FieldError]:
    """validateNodeTaints (upstream passes ``metadata.taints``, so that is the path kubectl shows)."""
    out: list[FieldError] = []
    seen: dict[str, set[str]] = {}
    for i, t in enumerate(taints):
        t = as_dict(t)
        ip = f"{path}[{i}]"
        key, value, effect = as_str(t.get("key")), as_str(t.get("value")), as_str(t.get("effect"))
        out.extend(invalid(f"{ip}.key", key, m) for m in is_qualified_name(key))
        errs = is_valid_label_value(value)
        if errs:
            out.append(invalid(f"{ip}.value", value, ";".join(errs)))
        if not effect:
            out.append(required(f"{ip}.effect"))
        elif effect not in _TAINT_EFFECTS:
            out.append(not_supported(f"{ip}.effect", effect, _TAINT_EFFECTS))
        if key in seen.get(effect, set()):
            lit = GoLiteral(f"core.Taint{{Key:{go_quote(key)}, Value:{go_quote(value)}, Effect:{go_quote(effect)}, "
                            "TimeAdded:(*v1.Time)(nil)}")
            out.append(FieldError(ErrorType.Duplicate, ip, lit, "taints must be unique by key and effect pair"))
            continue
        seen.setdefault(effect, set()).add(key)
    return out


def validate_node(obj: dict) -> list[FieldError]:
    out = validate_object_meta(obj, name_is_dns_subdomain)
    spec = as_dict(obj.get("spec"))
    taints = as_list(spec.get("taints"))
    if taints:
        out.extend(_validate_node_taints(taints, "metadata.taints"))
    cidrs = node_pod_cidrs(spec)
    for i, cidr in enumerate(cidrs):
        if parse_cidr_sloppy(cidr) is None:
            out.append(invalid(f"spec.podCIDRs[{i}]", cidr, CIDR_MSG))
    if len(cidrs) > 1 and len(out) == 0:
        nets = [parse_cidr_sloppy(c) for c in cidrs]
        if len(cidrs) > 2 or len({n.version for n in nets if n is not None}) != len(cidrs):
            out.append(invalid("spec.podCIDRs", list(cidrs), "may specify no more than one CIDR for each IP family"))
    return out


def validate_service_account(obj: dict) -> list[FieldError]:
    """ValidateServiceAccount: the object's metadata, its name a DNS subdomain."""
    return validate_object_meta(obj, name_is_dns_subdomain)


def validate_configmap(obj: dict) -> list[FieldError]:
    out = validate_object_meta(obj, name_is_dns_subdomain)
    data = as_dict(obj.get("data"))
    binary = as_dict(obj.get("binaryData"))
    total = 0
    for k in sorted(data, key=str):
        ks = str(k)
        out.extend(invalid(f"data[{ks}]", ks, m) for m in is_config_map_key(ks))
        if ks in binary:
            out.append(invalid(f"data[{ks}]", ks, "duplicate of key present in binaryData"))
        total += blen(str(data[k]))
    for k in sorted(binary, key=str):
        ks = str(k)
        out.extend(invalid(f"binaryData[{ks}]", ks, m) for m in is_config_map_key(ks))
        total += blen(str(binary[k]))
    if total > 1024 * 1024:
        out.append(FieldError(ErrorType.TooLong, "", "", f"must have at most {1024 * 1024} bytes"))
    return out
