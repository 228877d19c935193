"""Pod and pod template validation (ValidatePodSpec, containers, ports, probes, DNS config)."""
from __future__ import annotations

from typing import Any

from engine.api.validation.errors import (
    _duplicate, FieldError, _forbidden, GoLiteral, _invalid, _not_supported, _required)
from engine.api.validation.metadata import _nonneg, validate_labels, _validate_object_meta
from engine.api.validation.names import (
    _IP_MSG, is_dns1123_label, is_dns1123_subdomain, is_relaxed_env_var_name, is_valid_port_name,
    is_valid_port_num, _name_is_dns_subdomain, _parse_ip)
from engine.api.validation.service import _PROTOCOLS
from engine.api.validation.values import _dict, _is_int, _list, _str, _str_map, _validate_port_num_or_name

# --------------------------------------------------------------------------------------------
# Pods and pod templates
# --------------------------------------------------------------------------------------------

_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_TERMINATION_MSG_POLICIES = ["File", "FallbackToLogsOnError"]
_HTTP_SCHEMES = ["HTTP", "HTTPS"]


def _validate_pod_spec(spec: dict, path: str) -> list[FieldError]:
    """ValidatePodSpec, restricted to what svcflow models (containers, ports, env, probes)."""
    out: list[FieldError] = []
    vol_names: set[str] = set()
    for i, v in enumerate(_list(spec.get("volumes"))):
        v = _dict(v)
        name = _str(v.get("name"))
        vp = f"{path}.volumes[{i}].name"
        errs: list[FieldError] = []
        if not name:
            errs.append(_required(vp))
        else:
            errs.extend(_invalid(vp, name, m) for m in is_dns1123_label(name))
        if name in vol_names:
            errs.append(_duplicate(vp, name))
        if errs:
            out.extend(errs)
        else:
            vol_names.add(name)
    containers = _list(spec.get("containers"))
    if not containers:
        out.append(_required(f"{path}.containers"))
    else:
        names: set[str] = set()
        for i, c in enumerate(containers):
            c = _dict(c)
            cp = f"{path}.containers[{i}]"
            out.extend(_validate_container(c, cp))
            cname = _str(c.get("name"))
            if cname in names:
                out.append(_duplicate(f"{cp}.name", cname))
            else:
                names.add(cname)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if isinstance(c.get(probe), dict):
                    out.extend(_validate_probe(c[probe], f"{cp}.{probe}", probe))
            if c.get("restartPolicy") is not None:
                out.append(_forbidden(f"{cp}.restartPolicy", "may not be set for non-init containers"))
        out.extend(_host_port_conflicts(containers, f"{path}.containers"))
    init_names = {_str(_dict(c).get("name")) for c in containers}
    for i, c in enumerate(_list(spec.get("initContainers"))):
        c = _dict(c)
        cp = f"{path}.initContainers[{i}]"
        out.extend(_validate_container(c, cp))
        cname = _str(c.get("name"))
        if cname in init_names:
            out.append(_duplicate(f"{cp}.name", cname))
        elif cname:
            init_names.add(cname)
    rp = spec.get("restartPolicy")
    if rp not in _RESTART_POLICIES:
        out.append(_required(f"{path}.restartPolicy") if not rp else _not_supported(f"{path}.restartPolicy", rp, _RESTART_POLICIES))
    dp = spec.get("dnsPolicy")
    if dp not in _DNS_POLICIES:
        out.append(_required(f"{path}.dnsPolicy") if not dp else _not_supported(f"{path}.dnsPolicy", dp, _DNS_POLICIES))
    out.extend(_validate_pod_dns_config(spec.get("dnsConfig"), dp, f"{path}.dnsConfig"))
    out.extend(validate_labels(_str_map(spec.get("nodeSelector")), f"{path}.nodeSelector"))
    sa = spec.get("serviceAccountName")
    if isinstance(sa, str) and sa:
        out.extend(_invalid(f"{path}.serviceAccountName", sa, m) for m in is_dns1123_subdomain(sa))
    nn = spec.get("nodeName")
    if isinstance(nn, str) and nn:
        out.extend(_invalid(f"{path}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
    for fld in ("hostname", "subdomain"):
        v = spec.get(fld)
        if isinstance(v, str) and v:
            out.extend(_invalid(f"{path}.{fld}", v, m) for m in is_dns1123_label(v))
    for fld in ("activeDeadlineSeconds",):
        v = spec.get(fld)
        if _is_int(v) and v <= 0:
            out.append(_invalid(f"{path}.{fld}", v, "must be greater than zero"))
    out.extend(_nonneg(spec.get("terminationGracePeriodSeconds"), f"{path}.terminationGracePeriodSeconds"))
    return out


MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32


def _validate_pod_dns_config(cfg: Any, policy: Any, path: str) -> list[FieldError]:
    """validatePodDNSConfig: ``None`` needs a dnsConfig with a nameserver; nameservers are
    IPs (at most 3), searches DNS subdomains (at most 32), options named."""
    out: list[FieldError] = []
    if policy == "None":
        if not isinstance(cfg, dict):
            return [_required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not _list(cfg.get("nameservers")):
            return [_required(f"{path}.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    if not isinstance(cfg, dict):
        return out
    ns = _list(cfg.get("nameservers"))
    if len(ns) > MAX_DNS_NAMESERVERS:
        out.append(_invalid(f"{path}.nameservers", list(ns), f"must not have more than {MAX_DNS_NAMESERVERS} nameservers"))
    for i, ip in enumerate(ns):
        if _parse_ip(_str(ip)) is None:
            out.append(_invalid(f"{path}.nameservers[{i}]", _str(ip), _IP_MSG))
    searches = _list(cfg.get("searches"))
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        out.append(_invalid(f"{path}.searches", list(searches), f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths"))
    for i, dom in enumerate(searches):
        dom = _str(dom)
        if dom == ".":
            continue
        dom = dom[:-1] if dom.endswith(".") else dom
        out.extend(_invalid(f"{path}.searches[{i}]", dom, m) for m in is_dns1123_subdomain(dom))
    for i, opt in enumerate(_list(cfg.get("options"))):
        if not _str(_dict(opt).get("name")):
            out.append(_required(f"{path}.options[{i}]", "must not be empty"))
    return out


def _validate_container(c: dict, path: str) -> list[FieldError]:
    """validateContainerCommon: name, image, ports, env, pull policy, resources."""
    out: list[FieldError] = []
    name = _str(c.get("name"))
    if not name:
        out.append(_required(f"{path}.name"))
    else:
        out.extend(_invalid(f"{path}.name", name, m) for m in is_dns1123_label(name))
    if not _str(c.get("image")):
        out.append(_required(f"{path}.image"))
    tmp = c.get("terminationMessagePolicy")
    if tmp not in _TERMINATION_MSG_POLICIES:
        out.append(_required(f"{path}.terminationMessagePolicy") if not tmp
                   else _not_supported(f"{path}.terminationMessagePolicy", tmp, _TERMINATION_MSG_POLICIES))
    out.extend(_validate_container_ports(_list(c.get("ports")), f"{path}.ports"))
    for i, ev in enumerate(_list(c.get("env"))):
        ev = _dict(ev)
        n = _str(ev.get("name"))
        ep = f"{path}.env[{i}].name"
        if not n:
            out.append(_required(ep))
        else:
            out.extend(_invalid(ep, n, m) for m in is_relaxed_env_var_name(n))
        vf = ev.get("valueFrom")
        if isinstance(vf, dict):
            srcs = sum(1 for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef") if vf.get(k) is not None)
            vp = f"{path}.env[{i}].valueFrom"
            if srcs == 0:
                out.append(_invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            elif ev.get("value"):
                out.append(_invalid(vp, "", "may not be specified when `value` is not empty"))
            elif srcs > 1:
                out.append(_invalid(vp, "", "may not have more than one field specified at a time"))
    mounts: set[str] = set()
    for i, vm in enumerate(_list(c.get("volumeMounts"))):
        vm = _dict(vm)
        vp = f"{path}.volumeMounts[{i}]"
        if not _str(vm.get("name")):
            out.append(_required(f"{vp}.name"))
        mp = _str(vm.get("mountPath"))
        if not mp:
            out.append(_required(f"{vp}.mountPath"))
        elif mp in mounts:
            out.append(_invalid(f"{vp}.mountPath", mp, "must be unique"))
        mounts.add(mp)
    pp = c.get("imagePullPolicy")
    if pp not in _PULL_POLICIES:
        out.append(_required(f"{path}.imagePullPolicy") if not pp else _not_supported(f"{path}.imagePullPolicy", pp, _PULL_POLICIES))
    return out


def _validate_container_ports(ports: list, path: str) -> list[FieldError]:
    """validateContainerPorts (spec: containerPort out of range -> one Invalid cause)."""
    out: list[FieldError] = []
    names: set[str] = set()
    for i, p in enumerate(ports):
        p = _dict(p)
        ip = f"{path}[{i}]"
        name = _str(p.get("name"))
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                out.extend(_invalid(f"{ip}.name", name, m) for m in msgs)
            elif name in names:
                out.append(_duplicate(f"{ip}.name", name))
            else:
                names.add(name)
        cp = p.get("containerPort", 0)
        if cp == 0 or cp is None:
            out.append(_required(f"{ip}.containerPort"))
        elif _is_int(cp):
            out.extend(_invalid(f"{ip}.containerPort", cp, m) for m in is_valid_port_num(cp))
        hp = p.get("hostPort", 0)
        if _is_int(hp) and hp != 0:
            out.extend(_invalid(f"{ip}.hostPort", hp, m) for m in is_valid_port_num(hp))
        proto = p.get("protocol")
        if not proto:
            out.append(_required(f"{ip}.protocol"))
        elif proto not in _PROTOCOLS:
            out.append(_not_supported(f"{ip}.protocol", proto, _PROTOCOLS))
    return out


def _host_port_conflicts(containers: list, path: str) -> list[FieldError]:
    """checkHostPortConflicts: the same hostPort/protocol/hostIP twice in one pod."""
    out: list[FieldError] = []
    seen: set[str] = set()
    for ci, c in enumerate(containers):
        for pi, p in enumerate(_list(_dict(c).get("ports"))):
            p = _dict(p)
            hp = p.get("hostPort", 0)
            if not _is_int(hp) or hp == 0:
                continue
            key = f"{_str(p.get('hostIP'))}/{_str(p.get('protocol'))}/{hp}"
            if key in seen:
                out.append(_duplicate(f"{path}[{ci}].ports[{pi}].hostPort", GoLiteral(key)))
            seen.add(key)
    return out


def _validate_probe(pr: dict, path: str, which: str) -> list[FieldError]:
    out: list[FieldError] = []
    handlers = [k for k in ("exec", "httpGet", "tcpSocket", "grpc") if pr.get(k) is not None]
    if not handlers:
        out.append(_required(path, "must specify a handler type"))
    for n, k in enumerate(handlers):
        hp = f"{path}.{k}"
        if n > 0:
            out.append(_forbidden(hp, "may not specify more than 1 handler type"))
            continue
        h = _dict(pr.get(k))
        if k == "exec" and not _list(h.get("command")):
            out.append(_required(f"{hp}.command"))
        elif k == "httpGet":
            if not _str(h.get("path")):
                out.append(_required(f"{hp}.path"))
            out.extend(_validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
            sch = h.get("scheme")
            if sch not in _HTTP_SCHEMES:
                out.append(_not_supported(f"{hp}.scheme", sch if sch is not None else "", _HTTP_SCHEMES))
        elif k == "tcpSocket":
            out.extend(_validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
        elif k == "grpc":
            out.extend(_validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
    for k in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        out.extend(_nonneg(pr.get(k), f"{path}.{k}"))
    st = pr.get("successThreshold")
    if which in ("livenessProbe", "startupProbe") and _is_int(st) and st != 1:
        out.append(_invalid(f"{path}.successThreshold", st, "must be 1"))
    return out


def _validate_pod(pod: dict) -> list[FieldError]:
    spec = _dict(pod.get("spec"))
    out = _validate_object_meta(pod, _name_is_dns_subdomain)
    out.extend(_validate_pod_spec(spec, "spec"))
    # Pods (not templates) also require hostPort == containerPort under hostNetwork.
    if spec.get("hostNetwork"):
        for ci, c in enumerate(_list(spec.get("containers"))):
            for pi, p in enumerate(_list(_dict(c).get("ports"))):
                p = _dict(p)
                hp, cp = p.get("hostPort", 0), p.get("containerPort", 0)
                if hp != cp and hp is not None:
                    out.append(_invalid(f"spec.containers[{ci}].ports[{pi}].hostPort", hp,
                                        "must match `containerPort` when `hostNetwork` is true"))
    return out
