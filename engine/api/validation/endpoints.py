"""Endpoints and EndpointSlice validation (user-supplied Endpoints, mirrored slices)."""
from __future__ import annotations

from engine.api.validation.errors import _duplicate, ErrorType, FieldError, _invalid, _not_supported, _required
from engine.api.validation.metadata import _validate_object_meta
from engine.api.validation.names import (
    _inclusive_range_error, is_dns1123_label, is_dns1123_subdomain, is_valid_ip, is_valid_port_num,
    _name_is_dns_subdomain, _non_special_ip, _parse_ip)
from engine.api.validation.service import _PROTOCOLS
from engine.api.validation.values import _dict, _is_int, _list, _str

def _validate_endpoints(obj: dict) -> list[FieldError]:
    """ValidateEndpoints (create). [best effort: restated from memory of upstream]"""
    out = _validate_object_meta(obj, _name_is_dns_subdomain)
    for i, ss in enumerate(_list(obj.get("subsets"))):
        ss = _dict(ss)
        sp = f"subsets[{i}]"
        addrs, nready = _list(ss.get("addresses")), _list(ss.get("notReadyAddresses"))
        if not addrs and not nready:
            out.append(_required(sp, "must specify `addresses` or `notReadyAddresses`"))
        for key, lst in (("addresses", addrs), ("notReadyAddresses", nready)):
            for j, a in enumerate(lst):
                a = _dict(a)
                ap = f"{sp}.{key}[{j}]"
                ip = _str(a.get("ip"))
                errs = is_valid_ip(f"{ap}.ip", ip)
                out.extend(errs)
                hn = a.get("hostname")
                if isinstance(hn, str) and hn:
                    out.extend(_invalid(f"{ap}.hostname", hn, m) for m in is_dns1123_label(hn))
                nn = a.get("nodeName")
                if isinstance(nn, str):
                    out.extend(_invalid(f"{ap}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
                if not errs:
                    out.extend(_non_special_ip(f"{ap}.ip", ip))
        ports = _list(ss.get("ports"))
        for j, p in enumerate(ports):
            p = _dict(p)
            pp = f"{sp}.ports[{j}]"
            name = _str(p.get("name"))
            if len(ports) > 1 and not name:
                out.append(_required(f"{pp}.name"))
            elif name:
                out.extend(_invalid(f"{pp}.name", name, m) for m in is_dns1123_label(name))
            port = p.get("port", 0)
            if _is_int(port):
                out.extend(_invalid(f"{pp}.port", port, m) for m in is_valid_port_num(port))
            proto = p.get("protocol") or "TCP"  # defaulted
            if proto not in _PROTOCOLS:
                out.append(_not_supported(f"{pp}.protocol", proto, _PROTOCOLS))
    return out


_ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"]


def _validate_endpointslice(obj: dict) -> list[FieldError]:
    """ValidateEndpointSlice (create), basics. [best effort: restated from memory of upstream]"""
    out = _validate_object_meta(obj, _name_is_dns_subdomain)
    at = obj.get("addressType")
    if not at:
        out.append(_required("addressType"))
    elif at not in _ADDRESS_TYPES:
        out.append(_not_supported("addressType", at, _ADDRESS_TYPES))
    for i, ep in enumerate(_list(obj.get("endpoints"))):
        ep = _dict(ep)
        p = f"endpoints[{i}]"
        addrs = _list(ep.get("addresses"))
        if not addrs:
            out.append(_required(f"{p}.addresses", "must contain at least 1 address"))
        elif len(addrs) > 100:
            out.append(FieldError(ErrorType.TooMany, f"{p}.addresses", len(addrs), "must have at most 100 items"))
        for j, a in enumerate(addrs):
            a = a if isinstance(a, str) else ""
            ap = f"{p}.addresses[{j}]"
            ip = _parse_ip(a)
            if at == "IPv4" and (ip is None or ip.version != 4):
                out.append(_invalid(ap, a, "must be a valid IPv4 address"))
            elif at == "IPv6" and (ip is None or ip.version != 6):
                out.append(_invalid(ap, a, "must be a valid IPv6 address"))
            elif at == "FQDN":
                out.extend(_invalid(ap, a, m) for m in is_dns1123_subdomain(a))
        hn = ep.get("hostname")
        if isinstance(hn, str):
            out.extend(_invalid(f"{p}.hostname", hn, m) for m in is_dns1123_label(hn))
        nn = ep.get("nodeName")
        if isinstance(nn, str):
            out.extend(_invalid(f"{p}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
    names: set[str] = set()
    ports = _list(obj.get("ports"))
    for i, pt in enumerate(ports):
        pt = _dict(pt)
        pp = f"ports[{i}]"
        name = pt.get("name")
        if isinstance(name, str) and name:
            out.extend(_invalid(f"{pp}.name", name, m) for m in is_dns1123_label(name))
        if isinstance(name, str) or name is None:
            key = name or ""
            if key in names:
                out.append(_duplicate(f"{pp}.name", key))
            names.add(key)
        proto = pt.get("protocol")
        if proto is not None and proto not in _PROTOCOLS:
            out.append(_not_supported(f"{pp}.protocol", proto, _PROTOCOLS))
        port = pt.get("port")
        if _is_int(port) and not 0 <= port <= 65535:
            out.append(_invalid(f"{pp}.port", port, _inclusive_range_error(0, 65535)))
    return out
