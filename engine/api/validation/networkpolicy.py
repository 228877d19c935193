"""NetworkPolicy validation: pkg/apis/networking/validation (v1.33) ValidateNetworkPolicy.

A port of ValidateNetworkPolicySpec, its ports, peers and ipBlocks, in upstream's order and
words, so `kubectl apply` of a policy learners mistype (`endPort` below `port`, an `except`
outside its `cidr`, a peer with both ipBlock and podSelector) is refused as a cluster
refuses it.
"""
from __future__ import annotations

from typing import Any

from engine.api.gostrconv import go_quote
from engine.api.validation.errors import FieldError, GoLiteral, forbidden, invalid, not_supported, required
from engine.api.validation.metadata import validate_label_selector, validate_object_meta
from engine.api.validation.names import is_valid_port_name, is_valid_port_num, name_is_dns_subdomain
from engine.api.validation.node import CIDR_MSG, parse_cidr_sloppy
from engine.api.validation.values import as_dict, as_list, as_str, is_int

_PROTOCOLS = ["TCP", "UDP", "SCTP"]
_POLICY_TYPES = ["Ingress", "Egress"]


def _validate_port(port: dict, path: str) -> list[FieldError]:
    """ValidateNetworkPolicyPort."""
    out: list[FieldError] = []
    proto = port.get("protocol")
    if proto is not None and proto not in _PROTOCOLS:
        out.append(not_supported(f"{path}.protocol", as_str(proto), _PROTOCOLS))
    value, end = port.get("port"), port.get("endPort")
    if value is not None:
        if is_int(value):
            out.extend(invalid(f"{path}.port", value, m) for m in is_valid_port_num(value))
            if is_int(end):
                if end < value:  # (v1.33 reports `port`'s value here)
                    out.append(invalid(f"{path}.endPort", value, "must be greater than or equal to `port`"))
                out.extend(invalid(f"{path}.endPort", end, m) for m in is_valid_port_num(end))
        else:
            if is_int(end):
                out.append(invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric"))
            out.extend(invalid(f"{path}.port", as_str(value), m) for m in is_valid_port_name(as_str(value)))
    elif is_int(end):
        out.append(invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified"))
    return out


def _validate_cidr(path: str, value: str) -> list[FieldError]:
    """IsValidCIDRForLegacyField (StrictIPCIDRValidation off in v1.33: ParseCIDRSloppy)."""
    return [] if parse_cidr_sloppy(value) is not None else [invalid(path, value, CIDR_MSG)]


def _validate_ip_block(block: dict, path: str) -> list[FieldError]:
    """ValidateIPBlock: a cidr, and each `except` a strict subset of it."""
    cidr = as_str(block.get("cidr"))
    if not cidr:
        return [required(f"{path}.cidr")]
    out = _validate_cidr(f"{path}.cidr", cidr)
    net = parse_cidr_sloppy(cidr)
    if net is None:
        return out
    for i, raw in enumerate(as_list(block.get("except"))):
        epath, text = f"{path}.except[{i}]", as_str(raw)
        out.extend(_validate_cidr(epath, text))
        sub = parse_cidr_sloppy(text)
        if sub is None:
            continue
        inside = sub.version == net.version and sub.network_address in net
        if not inside or net.prefixlen >= sub.prefixlen:
            out.append(invalid(epath, text, "must be a strict subset of `cidr`"))
    return out


def _validate_peer(peer: dict, path: str) -> list[FieldError]:
    """ValidateNetworkPolicyPeer: at least one of podSelector, namespaceSelector, ipBlock,
    and ipBlock alone."""
    out: list[FieldError] = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            out.extend(validate_label_selector(peer[key], f"{path}.{key}"))
    if peer.get("ipBlock") is not None:
        count += 1
        out.extend(_validate_ip_block(as_dict(peer["ipBlock"]), f"{path}.ipBlock"))
    if count == 0:
        out.append(required(path, "must specify a peer"))
    elif count > 1 and peer.get("ipBlock") is not None:
        out.append(forbidden(path, "may not specify both ipBlock and another peer"))
    return out


def _policy_types_literal(types: list[Any]) -> GoLiteral:
    """`%#v` of the dereferenced `&spec.PolicyTypes`."""
    return GoLiteral("[]networking.PolicyType{" + ", ".join(go_quote(as_str(t)) for t in types) + "}")


def validate_network_policy_spec(spec: dict, path: str = "spec") -> list[FieldError]:
    """ValidateNetworkPolicySpec: podSelector, each rule's ports and peers, policyTypes."""
    out = validate_label_selector(as_dict(spec.get("podSelector")), f"{path}.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(spec.get(direction))):
            rule = as_dict(rule)
            rpath = f"{path}.{direction}[{i}]"
            for j, port in enumerate(as_list(rule.get("ports"))):
                out.extend(_validate_port(as_dict(port), f"{rpath}.ports[{j}]"))
            for j, peer in enumerate(as_list(rule.get(peers))):
                out.extend(_validate_peer(as_dict(peer), f"{rpath}.{peers}[{j}]"))
    types = as_list(spec.get("policyTypes"))
    if len(types) > len(_POLICY_TYPES):
        out.append(invalid(f"{path}.policyTypes", _policy_types_literal(types), "may not specify more than two policyTypes"))
        return out
    for i, t in enumerate(types):
        if t not in _POLICY_TYPES:
            out.append(not_supported(f"{path}.policyTypes[{i}]", as_str(t), _POLICY_TYPES))
    return out


def validate_network_policy(obj: dict) -> list[FieldError]:
    """ValidateNetworkPolicy: the object's metadata (a DNS subdomain name), then its spec."""
    return validate_object_meta(obj, name_is_dns_subdomain) + validate_network_policy_spec(as_dict(obj.get("spec")))
