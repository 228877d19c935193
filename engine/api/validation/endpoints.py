"""Endpoints and EndpointSlice validation (user-supplied Endpoints, mirrored slices)."""
from __future__ import annotations

from engine.api.validation.errors import duplicate, ErrorType, FieldError, invalid, not_supported, required
from engine.api.validation.metadata import validate_object_meta
from engine.api.validation.names import (
    inclusive_range_error, is_dns1123_label, is_dns1123_subdomain, is_valid_ip, is_valid_port_num,
    name_is_dns_subdomain, non_special_ip, parse_ip)
from engine.api.validation.service import PROTOCOLS
from engine.api.validation.values import as_dict, is_int, as_list, as_str

def validate_endpoints(obj: dict) -> list[FieldError]:
    """ValidateEndpoints (create). [best effort: restated from memory of upstream]"""
    out = validate_object_meta(obj, name_is_dns_subdomain)
    for i, ss in enumerate(as_list(obj.get("subsets"))):
        ss = as_dict(ss)
        sp = f"subsets[{i}]"
        addrs, nready = as_list(ss.get("addresses")), as_list(ss.get("notReadyAddresses"))
        if not addrs and not nready:
            out.append(required(sp, "must specify `addresses` or `notReadyAddresses`"))
        for key, lst in (("addresses", addrs), ("notReadyAddresses", nready)):
            for j, a in enumerate(lst):
                a = as_dict(a)
                ap = f"{sp}.{key}[{j}]"
                ip = as_str(a.get("ip"))
                errs = is_valid_ip(f"{ap}.ip", ip)
                out.extend(errs)
                hn = a.get("hostname")
                if isinstance(hn, str) and hn:
                    out.extend(invalid(f"{ap}.hostname", hn, m) for m in is_dns1123_label(hn))
                nn = a.get("nodeName")
                if isinstance(nn, str):
                    out.extend(invalid(f"{ap}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
                if not errs:
                    out.extend(non_special_ip(f"{ap}.ip", ip))
        ports = as_list(ss.get("ports"))
        for j, p in enumerate(ports):
            p = as_dict(p)
            pp = f"{sp}.ports[{j}]"
            name = as_str(p.get("name"))
            if len(ports) > 1 and not name:
                out.append(required(f"{pp}.name"))
            elif name:
                out.extend(invalid(f"{pp}.name", name, m) for m in is_dns1123_label(name))
            port = p.get("port", 0)
            if is_int(port):
                out.extend(invalid(f"{pp}.port", port, m) for m in is_valid_port_num(port))
            proto = p.get("protocol") or "TCP"  # defaulted
            if proto not in PROTOCOLS:
                out.append(not_supported(f"{pp}.protocol", proto, PROTOCOLS))
    return out


_ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"]


def validate_endpointslice(obj: dict) -> list[FieldError]:
    """ValidateEndpointSlice (create), basics. [best effort: restated from memory of upstream]"""
    out = validate_object_meta(obj, name_is_dns_subdomain)
    at = obj.get("addressType")
    if not at:
        out.append(required("addressType"))
    elif at not in _ADDRESS_TYPES:
        out.append(not_supported("addressType", at, _ADDRESS_TYPES))
    for i, ep in enumerate(as_list(obj.get("endpoints"))):
        ep = as_dict(ep)
        p = f"endpoints[{i}]"
        addrs = as_list(ep.get("addresses"))
        if not addrs:
            out.append(required(f"{p}.addresses", "must contain at least 1 address"))
        elif len(addrs) > 100:
            out.append(FieldError(ErrorType.TooMany, f"{p}.addresses", len(addrs), "must have at most 100 items"))
        for j, a in enumerate(addrs):
            a = a if isinstance(a, str) else ""
            ap = f"{p}.addresses[{j}]"
            ip = parse_ip(a)
            if at == "IPv4" and (ip is None or ip.version != 4):
                out.append(invalid(ap, a, "must be a valid IPv4 address"))
            elif at == "IPv6" and (ip is None or ip.version != 6):
                out.append(invalid(ap, a, "must be a valid IPv6 address"))
            elif at == "FQDN":
                out.extend(invalid(ap, a, m) for m in is_dns1123_subdomain(a))
        hn = ep.get("hostname")
        if isinstance(hn, str):
            out.extend(invalid(f"{p}.hostname", hn, m) for m in is_dns1123_label(hn))
        nn = ep.get("nodeName")
        if isinstance(nn, str):
            out.extend(invalid(f"{p}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
    names: set[str] = set()
    ports = as_list(obj.get("ports"))
    for i, pt in enumerate(ports):
        pt = as_dict(pt)
        pp = f"ports[{i}]"
        name = pt.get("name")
        if isinstance(name, str) and name:
            out.extend(invalid(f"{pp}.name", name, m) for m in is_dns1123_label(name))
        if isinstance(name, str) or name is None:
            key = name or ""
            if key in names:
                out.append(duplicate(f"{pp}.name", key))
            names.add(key)
        proto = pt.get("protocol")
        if proto is not None and proto not in PROTOCOLS:
            out.append(not_supported(f"{pp}.protocol", proto, PROTOCOLS))
        port = pt.get("port")
        if is_int(port) and not 0 <= port <= 65535:
            out.append(invalid(f"{pp}.port", port, inclusive_range_error(0, 65535)))
    return out
