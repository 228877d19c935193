"""Pod and pod template validation (ValidatePodSpec, containers, ports, probes, DNS config)."""
from __future__ import annotations

from typing import Any

from engine.api.validation.errors import (
    duplicate, FieldError, forbidden, GoLiteral, invalid, not_supported, required)
from engine.api.validation.metadata import nonneg, validate_labels, validate_object_meta
from engine.api.validation.names import (
    IP_MSG, is_dns1123_label, is_dns1123_subdomain, is_relaxed_env_var_name, is_valid_port_name,
    is_valid_port_num, name_is_dns_subdomain, parse_ip)
from engine.api.validation.service import PROTOCOLS
from engine.api.validation.values import as_dict, is_int, as_list, as_str, as_str_map, validate_port_num_or_name

# --------------------------------------------------------------------------------------------
# Pods and pod templates
# --------------------------------------------------------------------------------------------

_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_TERMINATION_MSG_POLICIES = ["File", "FallbackToLogsOnError"]
_HTTP_SCHEMES = ["HTTP", "HTTPS"]


def validate_pod_spec(spec: dict, path: str) -> list[FieldError]:
    """ValidatePodSpec, restricted to what svcflow models (containers, ports, env, probes)."""
    out: list[FieldError] = []
    vol_names: set[str] = set()
    for i, v in enumerate(as_list(spec.get("volumes"))):
        v = as_dict(v)
        name = as_str(v.get("name"))
        vp = f"{path}.volumes[{i}].name"
        errs: list[FieldError] = []
        if not name:
            errs.append(required(vp))
        else:
            errs.extend(invalid(vp, name, m) for m in is_dns1123_label(name))
        if name in vol_names:
            errs.append(duplicate(vp, name))
        if errs:
            out.extend(errs)
        else:
            vol_names.add(name)
    containers = as_list(spec.get("containers"))
    if not containers:
        out.append(required(f"{path}.containers"))
    else:
        names: set[str] = set()
        for i, c in enumerate(containers):
            c = as_dict(c)
            cp = f"{path}.containers[{i}]"
            out.extend(_validate_container(c, cp))
            cname = as_str(c.get("name"))
            if cname in names:
                out.append(duplicate(f"{cp}.name", cname))
            else:
                names.add(cname)
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if isinstance(c.get(probe), dict):
                    out.extend(_validate_probe(c[probe], f"{cp}.{probe}", probe))
            if c.get("restartPolicy") is not None:
                out.append(forbidden(f"{cp}.restartPolicy", "may not be set for non-init containers"))
        out.extend(_host_port_conflicts(containers, f"{path}.containers"))
    init_names = {as_str(as_dict(c).get("name")) for c in containers}
    for i, c in enumerate(as_list(spec.get("initContainers"))):
        c = as_dict(c)
        cp = f"{path}.initContainers[{i}]"
        out.extend(_validate_container(c, cp))
        cname = as_str(c.get("name"))
        if cname in init_names:
            out.append(duplicate(f"{cp}.name", cname))
        elif cname:
            init_names.add(cname)
    rp = spec.get("restartPolicy")
    if rp not in _RESTART_POLICIES:
        out.append(required(f"{path}.restartPolicy") if not rp else not_supported(f"{path}.restartPolicy", rp, _RESTART_POLICIES))
    dp = spec.get("dnsPolicy")
    if dp not in _DNS_POLICIES:
        out.append(required(f"{path}.dnsPolicy") if not dp else not_supported(f"{path}.dnsPolicy", dp, _DNS_POLICIES))
    out.extend(_validate_pod_dns_config(spec.get("dnsConfig"), dp, f"{path}.dnsConfig"))
    out.extend(validate_labels(as_str_map(spec.get("nodeSelector")), f"{path}.nodeSelector"))
    sa = spec.get("serviceAccountName")
    if isinstance(sa, str) and sa:
        out.extend(invalid(f"{path}.serviceAccountName", sa, m) for m in is_dns1123_subdomain(sa))
    nn = spec.get("nodeName")
    if isinstance(nn, str) and nn:
        out.extend(invalid(f"{path}.nodeName", nn, m) for m in is_dns1123_subdomain(nn))
    for fld in ("hostname", "subdomain"):
        v = spec.get(fld)
        if isinstance(v, str) and v:
            out.extend(invalid(f"{path}.{fld}", v, m) for m in is_dns1123_label(v))
    for fld in ("activeDeadlineSeconds",):
        v = spec.get(fld)
        if is_int(v) and v <= 0:
            out.append(invalid(f"{path}.{fld}", v, "must be greater than zero"))
    out.extend(nonneg(spec.get("terminationGracePeriodSeconds"), f"{path}.terminationGracePeriodSeconds"))
    return out


MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32


def _validate_pod_dns_config(cfg: Any, policy: Any, path: str) -> list[FieldError]:
    """validatePodDNSConfig: ``None`` needs a dnsConfig with a nameserver; nameservers are
    IPs (at most 3), searches DNS subdomains (at most 32), options named."""
    out: list[FieldError] = []
    if policy == "None":
        if not isinstance(cfg, dict):
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(cfg.get("nameservers")):
            return [required(f"{path}.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    if not isinstance(cfg, dict):
        return out
    ns = as_list(cfg.get("nameservers"))
    if len(ns) > MAX_DNS_NAMESERVERS:
        out.append(invalid(f"{path}.nameservers", list(ns), f"must not have more than {MAX_DNS_NAMESERVERS} nameservers"))
    for i, ip in enumerate(ns):
        if parse_ip(as_str(ip)) is None:
            out.append(invalid(f"{path}.nameservers[{i}]", as_str(ip), IP_MSG))
    searches = as_list(cfg.get("searches"))
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        out.append(invalid(f"{path}.searches", list(searches), f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths"))
    for i, dom in enumerate(searches):
        dom = as_str(dom)
        if dom == ".":
            continue
        dom = dom[:-1] if dom.endswith(".") else dom
        out.extend(invalid(f"{path}.searches[{i}]", dom, m) for m in is_dns1123_subdomain(dom))
    for i, opt in enumerate(as_list(cfg.get("options"))):
        if not as_str(as_dict(opt).get("name")):
            out.append(required(f"{path}.options[{i}]", "must not be empty"))
    return out


def _validate_container(c: dict, path: str) -> list[FieldError]:
    """validateContainerCommon: name, image, ports, env, pull policy, resources."""
    out: list[FieldError] = []
    name = as_str(c.get("name"))
    if not name:
        out.append(required(f"{path}.name"))
    else:
        out.extend(invalid(f"{path}.name", name, m) for m in is_dns1123_label(name))
    if not as_str(c.get("image")):
        out.append(required(f"{path}.image"))
    tmp = c.get("terminationMessagePolicy")
    if tmp not in _TERMINATION_MSG_POLICIES:
        out.append(required(f"{path}.terminationMessagePolicy") if not tmp
                   else not_supported(f"{path}.terminationMessagePolicy", tmp, _TERMINATION_MSG_POLICIES))
    out.extend(_validate_container_ports(as_list(c.get("ports")), f"{path}.ports"))
    for i, ev in enumerate(as_list(c.get("env"))):
        ev = as_dict(ev)
        n = as_str(ev.get("name"))
        ep = f"{path}.env[{i}].name"
        if not n:
            out.append(required(ep))
        else:
            out.extend(invalid(ep, n, m) for m in is_relaxed_env_var_name(n))
        vf = ev.get("valueFrom")
        if isinstance(vf, dict):
            srcs = sum(1 for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef") if vf.get(k) is not None)
            vp = f"{path}.env[{i}].valueFrom"
            if srcs == 0:
                out.append(invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            elif ev.get("value"):
                out.append(invalid(vp, "", "may not be specified when `value` is not empty"))
            elif srcs > 1:
                out.append(invalid(vp, "", "may not have more than one field specified at a time"))
    mounts: set[str] = set()
    for i, vm in enumerate(as_list(c.get("volumeMounts"))):
        vm = as_dict(vm)
        vp = f"{path}.volumeMounts[{i}]"
        if not as_str(vm.get("name")):
            out.append(required(f"{vp}.name"))
        mp = as_str(vm.get("mountPath"))
        if not mp:
            out.append(required(f"{vp}.mountPath"))
        elif mp in mounts:
            out.append(invalid(f"{vp}.mountPath", mp, "must be unique"))
        mounts.add(mp)
    pp = c.get("imagePullPolicy")
    if pp not in _PULL_POLICIES:
        out.append(required(f"{path}.imagePullPolicy") if not pp else not_supported(f"{path}.imagePullPolicy", pp, _PULL_POLICIES))
    return out


def _validate_container_ports(ports: list, path: str) -> list[FieldError]:
    """validateContainerPorts (spec: containerPort out of range -> one Invalid cause)."""
    out: list[FieldError] = []
    names: set[str] = set()
    for i, p in enumerate(ports):
        p = as_dict(p)
        ip = f"{path}[{i}]"
        name = as_str(p.get("name"))
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                out.extend(invalid(f"{ip}.name", name, m) for m in msgs)
            elif name in names:
                out.append(duplicate(f"{ip}.name", name))
            else:
                names.add(name)
        cp = p.get("containerPort", 0)
        if cp == 0 or cp is None:
            out.append(required(f"{ip}.containerPort"))
        elif is_int(cp):
            out.extend(invalid(f"{ip}.containerPort", cp, m) for m in is_valid_port_num(cp))
        hp = p.get("hostPort", 0)
        if is_int(hp) and hp != 0:
            out.extend(invalid(f"{ip}.hostPort", hp, m) for m in is_valid_port_num(hp))
        proto = p.get("protocol")
        if not proto:
            out.append(required(f"{ip}.protocol"))
        elif proto not in PROTOCOLS:
            out.append(not_supported(f"{ip}.protocol", proto, PROTOCOLS))
    return out


def _host_port_conflicts(containers: list, path: str) -> list[FieldError]:
    """checkHostPortConflicts: the same hostPort/protocol/hostIP twice in one pod."""
    out: list[FieldError] = []
    seen: set[str] = set()
    for ci, c in enumerate(containers):
        for pi, p in enumerate(as_list(as_dict(c).get("ports"))):
            p = as_dict(p)
            hp = p.get("hostPort", 0)
            if not is_int(hp) or hp == 0:
                continue
            key = f"{as_str(p.get('hostIP'))}/{as_str(p.get('protocol'))}/{hp}"
            if key in seen:
                out.append(duplicate(f"{path}[{ci}].ports[{pi}].hostPort", GoLiteral(key)))
            seen.add(key)
    return out


def _validate_probe(pr: dict, path: str, which: str) -> list[FieldError]:
    out: list[FieldError] = []
    handlers = [k for k in ("exec", "httpGet", "tcpSocket", "grpc") if pr.get(k) is not None]
    if not handlers:
        out.append(required(path, "must specify a handler type"))
    for n, k in enumerate(handlers):
        hp = f"{path}.{k}"
        if n > 0:
            out.append(forbidden(hp, "may not specify more than 1 handler type"))
            continue
        h = as_dict(pr.get(k))
        if k == "exec" and not as_list(h.get("command")):
            out.append(required(f"{hp}.command"))
        elif k == "httpGet":
            if not as_str(h.get("path")):
                out.append(required(f"{hp}.path"))
            out.extend(validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
            sch = h.get("scheme")
            if sch not in _HTTP_SCHEMES:
                out.append(not_supported(f"{hp}.scheme", sch if sch is not None else "", _HTTP_SCHEMES))
        elif k == "tcpSocket":
            out.extend(validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
        elif k == "grpc":
            out.extend(validate_port_num_or_name(h.get("port", 0), f"{hp}.port"))
    for k in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        out.extend(nonneg(pr.get(k), f"{path}.{k}"))
    st = pr.get("successThreshold")
    if which in ("livenessProbe", "startupProbe") and is_int(st) and st != 1:
        out.append(invalid(f"{path}.successThreshold", st, "must be 1"))
    return out


def validate_pod(pod: dict) -> list[FieldError]:
    spec = as_dict(pod.get("spec"))
    out = validate_object_meta(pod, name_is_dns_subdomain)
    out.extend(validate_pod_spec(spec, "spec"))
    # Pods (not templates) also require hostPort == containerPort under hostNetwork.
    if spec.get("hostNetwork"):
        for ci, c in enumerate(as_list(spec.get("containers"))):
            for pi, p in enumerate(as_list(as_dict(c).get("ports"))):
                p = as_dict(p)
                hp, cp = p.get("hostPort", 0), p.get("containerPort", 0)
                if hp != cp and hp is not None:
                    out.append(invalid(f"spec.containers[{ci}].ports[{pi}].hostPort", hp,
                                        "must match `containerPort` when `hostNetwork` is true"))
    return out
