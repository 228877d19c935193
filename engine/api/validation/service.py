"""Service validation (ValidateService) and the nodePort range check the REST layer runs at allocation."""
from __future__ import annotations

import ipaddress
from typing import Any

from engine.api.gostrconv import go_quote
from engine.api.validation.errors import (
    duplicate, ErrorType, FieldError, forbidden, GoLiteral, invalid, not_supported, required)
from engine.api.validation.metadata import validate_labels, validate_object_meta
from engine.api.validation.names import (
    inclusive_range_error, IP_MSG, is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_ip,
    is_valid_port_num, name_is_dns1035_label, non_special_ip, parse_ip)
from engine.api.validation.values import as_dict, is_int, as_list, as_str, as_str_map, validate_port_num_or_name

DEFAULT_NODE_PORT_RANGE: tuple[int, int] = (30000, 32767)


# --------------------------------------------------------------------------------------------
# Service
# --------------------------------------------------------------------------------------------

PROTOCOLS = ["SCTP", "TCP", "UDP"]  # sets.List(): sorted
_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_AFFINITIES = ["ClientIP", "None"]
_TRAFFIC_POLICIES = ["Cluster", "Local"]
_IP_FAMILIES = ["IPv4", "IPv6"]
_IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]


def _is_headless(spec: dict) -> bool:
    ips = spec.get("clusterIPs")
    return isinstance(ips, list) and len(ips) == 1 and ips[0] == "None"


def _service_port_literal(protocol: str, port: int) -> GoLiteral:
    """The Duplicate key of spec.ports: a core.ServicePort holding only protocol and port."""
    return GoLiteral(
        'core.ServicePort{Name:"", Protocol:' + go_quote(protocol) + ", AppProtocol:(*string)(nil), "
        f"Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"
    )


def validate_service(svc: dict) -> list[FieldError]:
    spec = as_dict(svc.get("spec"))
    out = validate_object_meta(svc, name_is_dns1035_label)
    ports = [p if isinstance(p, dict) else {} for p in as_list(spec.get("ports"))]
    typ = spec.get("type")
    headless = _is_headless(spec)

    if not ports and not headless and typ != "ExternalName":
        out.append(required("spec.ports"))
    ips = as_list(spec.get("clusterIPs"))
    if typ == "LoadBalancer" and headless:
        out.append(invalid("spec.clusterIPs[0]", ips[0], "may not be set to 'None' for LoadBalancer services"))
    elif typ == "NodePort" and headless:
        out.append(invalid("spec.clusterIPs[0]", ips[0], "may not be set to 'None' for NodePort services"))
    elif typ == "ExternalName":
        if ips:
            out.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if spec.get("ipFamilies"):
            out.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            out.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = as_str(spec.get("externalName"))
        if cname.endswith("."):
            cname = cname[:-1]
        if cname:
            out.extend(invalid("spec.externalName", cname, m) for m in is_dns1123_subdomain(cname))
        else:
            out.append(required("spec.externalName"))

    names: set[str] = set()
    for i, p in enumerate(ports):
        out.extend(_validate_service_port(p, len(ports) > 1, names, f"spec.ports[{i}]"))

    sel = spec.get("selector")
    if sel is not None:
        out.extend(validate_labels(as_str_map(sel), "spec.selector"))

    aff = spec.get("sessionAffinity")
    if not aff:
        out.append(required("spec.sessionAffinity"))
    elif aff not in _AFFINITIES:
        out.append(not_supported("spec.sessionAffinity", aff, _AFFINITIES))
    if aff == "ClientIP":
        cfg = as_dict(as_dict(spec.get("sessionAffinityConfig")).get("clientIP"))
        t = cfg.get("timeoutSeconds")
        if spec.get("sessionAffinityConfig") is None or t is None:
            out.append(required("spec.sessionAffinityConfig.clientIP.timeoutSeconds"))
        elif is_int(t) and not 0 < t <= 86400:
            out.append(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, inclusive_range_error(1, 86400)))

    out.extend(_validate_cluster_ips(spec))

    for i, ip in enumerate(as_list(spec.get("externalIPs"))):
        p = f"spec.externalIPs[{i}]"
        errs = is_valid_ip(p, ip if isinstance(ip, str) else "")
        out.extend(errs if errs else non_special_ip(p, ip))

    if not typ:
        out.append(required("spec.type"))
    elif typ not in _SERVICE_TYPES:
        out.append(not_supported("spec.type", typ, _SERVICE_TYPES))

    if typ == "ClusterIP":
        for i, p in enumerate(ports):
            if p.get("nodePort") not in (None, 0):
                out.append(forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"))

    seen_np: set[tuple[str, Any]] = set()
    for i, p in enumerate(ports):
        np_ = p.get("nodePort")
        if np_ in (None, 0):
            continue
        key = (as_str(p.get("protocol")), np_)
        if key in seen_np:
            out.append(duplicate(f"spec.ports[{i}].nodePort", np_))
        seen_np.add(key)

    seen_p: set[tuple[str, Any]] = set()
    for i, p in enumerate(ports):
        proto, port = as_str(p.get("protocol")), p.get("port")
        key = (proto, port if is_int(port) else 0)
        if key in seen_p:
            out.append(duplicate(f"spec.ports[{i}]", _service_port_literal(proto, key[1])))
        seen_p.add(key)

    lbsr = as_list(spec.get("loadBalancerSourceRanges"))
    if lbsr and typ != "LoadBalancer":
        out.append(forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"))
    if spec.get("allocateLoadBalancerNodePorts") is not None and typ != "LoadBalancer":
        out.append(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    lbc = spec.get("loadBalancerClass")
    if lbc is not None:
        if typ == "LoadBalancer":
            out.extend(invalid("spec.loadBalancerClass", lbc, m) for m in is_qualified_name(as_str(lbc)))
        else:
            out.append(forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))

    externally = typ in ("LoadBalancer", "NodePort") or (typ == "ClusterIP" and bool(spec.get("externalIPs")))
    etp = spec.get("externalTrafficPolicy")
    if not externally:
        if etp:
            out.append(invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"))
    elif not etp:
        out.append(required("spec.externalTrafficPolicy"))
    elif etp not in _TRAFFIC_POLICIES:
        out.append(not_supported("spec.externalTrafficPolicy", etp, _TRAFFIC_POLICIES))
    hc = spec.get("healthCheckNodePort")
    needs_hc = typ == "LoadBalancer" and etp == "Local"
    if not needs_hc and hc not in (None, 0):
        out.append(invalid("spec.healthCheckNodePort", hc,
                            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    itp = spec.get("internalTrafficPolicy")
    if itp is None and typ in ("NodePort", "LoadBalancer", "ClusterIP"):
        out.append(required("spec.internalTrafficPolicy"))
    elif itp is not None and itp not in _TRAFFIC_POLICIES:
        out.append(not_supported("spec.internalTrafficPolicy", itp, _TRAFFIC_POLICIES))
    td = spec.get("trafficDistribution")
    if td is not None and td != "PreferClose":
        out.append(not_supported("spec.trafficDistribution", td, ["PreferClose"]))
    return out


def _validate_service_port(p: dict, require_name: bool, names: set[str], path: str) -> list[FieldError]:
    out: list[FieldError] = []
    name = as_str(p.get("name"))
    if require_name and not name:
        out.append(required(f"{path}.name"))
    elif name:
        out.extend(invalid(f"{path}.name", name, m) for m in is_dns1123_label(name))
        if name in names:
            out.append(duplicate(f"{path}.name", name))
        else:
            names.add(name)
    port = p.get("port", 0)
    if is_int(port):
        out.extend(invalid(f"{path}.port", port, m) for m in is_valid_port_num(port))
    proto = p.get("protocol")
    if not proto:
        out.append(required(f"{path}.protocol"))
    elif proto not in PROTOCOLS:
        out.append(not_supported(f"{path}.protocol", proto, PROTOCOLS))
    out.extend(validate_port_num_or_name(p.get("targetPort", 0), f"{path}.targetPort"))
    ap = p.get("appProtocol")
    if ap is not None:
        out.extend(invalid(f"{path}.appProtocol", ap, m) for m in is_qualified_name(as_str(ap)))
    return out


def _validate_cluster_ips(spec: dict) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields (create path)."""
    if spec.get("type") == "ExternalName":
        return []
    out: list[FieldError] = []
    cip = as_str(spec.get("clusterIP"))
    ips = [x if isinstance(x, str) else "" for x in as_list(spec.get("clusterIPs"))]
    if cip:
        if not ips:
            out.append(required("spec.clusterIPs"))
        elif ips[0] != cip:
            out.append(invalid("spec.clusterIPs", list(ips), "first value must match `clusterIP`"))
    elif ips:
        out.append(invalid("spec.clusterIPs", list(ips), "must be empty when `clusterIP` is not specified"))
    seen: set[str] = set()
    for i, fam in enumerate(as_list(spec.get("ipFamilies"))):
        if fam not in _IP_FAMILIES:
            out.append(not_supported(f"spec.ipFamilies[{i}]", fam, _IP_FAMILIES))
        if fam in seen:
            out.append(duplicate(f"spec.ipFamilies[{i}]", fam))
        seen.add(fam)
    pol = spec.get("ipFamilyPolicy")
    if pol is not None and pol not in _IP_FAMILY_POLICIES:
        out.append(not_supported("spec.ipFamilyPolicy", pol, _IP_FAMILY_POLICIES))
    bad = False
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                bad = True
                out.append(invalid("spec.clusterIPs", list(ips), "'None' must be the first and only value"))
            continue
        if parse_ip(ip) is None:
            bad = True
            out.append(invalid(f"spec.clusterIPs[{i}]", ip, IP_MSG))
    if len(ips) > 2:
        out.append(invalid("spec.clusterIPs", list(ips), "may only hold up to 2 values"))
    if bad:
        return out
    if len(ips) > 1:
        fams = {(parse_ip(x) or ipaddress.IPv4Address("0.0.0.0")).version for x in ips}
        if len(fams) != len(ips):
            out.append(invalid("spec.clusterIPs", list(ips), "may specify no more than one IP for each IP family"))
    return out


def validate_node_port_range(obj: dict, node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE) -> list[FieldError]:
    """The nodePort allocator's range check (REST layer): the first out-of-range port only.

    Runs only for NodePort/LoadBalancer Services whose field validation passed, after the
    clusterIP allocation; the error is reported alone.
    """
    spec = as_dict(obj.get("spec"))
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        return []
    lo, hi = node_port_range
    for i, p in enumerate(as_list(spec.get("ports"))):
        np_ = as_dict(p).get("nodePort")
        if not is_int(np_) or np_ == 0:
            continue
        if not lo <= np_ <= hi:
            return [FieldError(ErrorType.Invalid, f"spec.ports[{i}].nodePort", np_,
                               f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}",
                               allocation=True)]
    return []
