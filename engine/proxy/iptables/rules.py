"""The rules kube-proxy writes for one service port (one ``syncProxyRules`` iteration).

:func:`render_service_port` follows the body of the per-service-port loop of
``pkg/proxy/iptables/proxier.go`` statement by statement: the entry rules in the
top-level chains (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES,
KUBE-PROXY-FIREWALL), then the per-service chains (the masquerade rule, KUBE-EXT,
KUBE-FW, KUBE-SVC, KUBE-SVL, one KUBE-SEP per reachable endpoint).  Rules are (chain, spec)
pairs, the spec in iptables-restore syntax exactly as kube-proxy writes it after ``-A CHAIN``:
what the tables keep, so a rule is one string shared by the tables and the restore text's
lines, which are made only when read.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.proxy.config import LocalDetector
from engine.proxy.ipnet import IPAddr, cidr_contains, cidr_string
from engine.proxy.iptables import chains as C
from engine.proxy.model import Categorized, Endpoint, ServicePort

NFACCT_CT_STATE_INVALID = "ct_state_invalid_dropped_pkts"
NFACCT_LOCALHOST_NODEPORTS = "localhost_nps_accepted_pkts"

Rule = tuple[str, str]  # (chain, spec): the rule as kube-proxy writes it after "-A CHAIN "


@dataclass
class PortRules:
    """The rendered rules of one service port; chain rules are kept only for one sync."""

    sp: ServicePort
    n_endpoints: int
    filter_lines: list[Rule]
    nat_entry_lines: list[Rule]
    chain_lines: list[str]  # per-service chains written, in emission order
    chain_rules: list[Rule]  # their rules, in emission order
    active: tuple[str, ...]
    n_chain_rules: int


@dataclass
class RenderContext:
    """Per-sync constants the renderer needs (flags, mark, large-cluster mode)."""

    ipv4: bool
    mark: str
    masquerade_all: bool
    detector: LocalDetector | None
    localhost_node_ports: bool
    nfacct_localhost: bool
    node_ip: IPAddr | None  # primary node IP: LoadBalancerSourceRanges "allow from node"
    large: bool
    probabilities: list[str]

    def probability(self, n: int) -> str:
        probs = self.probabilities
        while len(probs) <= n:
            probs.append("%0.10f" % (1.0 / len(probs)) if probs else "<bad value>")
        return probs[n]


def render_service_port(sp: ServicePort, cat: Categorized, ctx: RenderContext) -> PortRules:
    """All rules kube-proxy writes for one service port (one loop iteration upstream)."""
    spn = sp.spn
    proto = sp.proto
    pm = f"-m {proto} -p {proto}"
    port = sp.port
    cip = sp.cluster_ip
    has_endpoints = cat.has_any
    cluster_eps, local_eps = cat.cluster, cat.local

    uses_svc = bool(cluster_eps) and sp.uses_cluster_endpoints
    uses_svl = bool(local_eps) and sp.uses_local_endpoints

    internal_chain, has_internal = sp.svc_chain, has_endpoints
    if sp.internal_policy_local:
        internal_chain = sp.svl_chain
        if not local_eps:
            has_internal = False
    external_policy_chain, has_external = sp.svc_chain, has_endpoints
    if sp.external_policy_local:
        external_policy_chain = sp.svl_chain
        if not local_eps:
            has_external = False
    ext = sp.ext_chain
    uses_ext = has_endpoints and sp.externally_accessible
    uses_fw = has_endpoints and bool(sp.load_balancer_vips) and bool(sp.load_balancer_source_ranges)
    lb_target = sp.fw_chain if uses_fw else ext

    int_target = int_comment = ext_target = ext_comment = ""
    if not has_endpoints:
        int_target = ext_target = "REJECT"
        int_comment = ext_comment = f'"{spn} has no endpoints"'
    else:
        if not has_internal:
            int_target, int_comment = "DROP", f'"{spn} has no local endpoints"'
        if not has_external:
            ext_target, ext_comment = "DROP", f'"{spn} has no local endpoints"'

    filt: list[Rule] = []
    nat: list[Rule] = []
    SVCS, EXTS, NPS = C.KUBE_SERVICES, C.KUBE_EXTERNAL_SERVICES, C.KUBE_NODEPORTS

    # Capture the clusterIP.
    if has_internal:
        nat.append((SVCS, f'-m comment --comment "{spn} cluster IP" {pm} -d {cip} --dport {port} -j {internal_chain}'))
    else:
        filt.append((SVCS, f"-m comment --comment {int_comment} {pm} -d {cip} --dport {port} -j {int_target}"))
    # Capture externalIPs.
    for xip in sp.external_ips:
        if has_endpoints:
            nat.append((SVCS, f'-m comment --comment "{spn} external IP" {pm} -d {xip} --dport {port} -j {ext}'))
        if not has_external:
            filt.append((EXTS, f"-m comment --comment {ext_comment} {pm} -d {xip} --dport {port} -j {ext_target}"))
    # Capture load-balancer ingress.
    for lb in sp.load_balancer_vips:
        if has_endpoints:
            nat.append((SVCS, f'-m comment --comment "{spn} loadbalancer IP" {pm} -d {lb} --dport {port} -j {lb_target}'))
        if uses_fw:
            filt.append((C.KUBE_PROXY_FIREWALL, f'-m comment --comment "{spn} traffic not accepted by {sp.fw_chain}" {pm} -d {lb} --dport {port} -j DROP'))
    if not has_external:
        for lb in sp.load_balancer_vips:
            filt.append((EXTS, f"-m comment --comment {ext_comment} {pm} -d {lb} --dport {port} -j {ext_target}"))
    # Capture nodeports.
    if sp.node_port:
        np_ = sp.node_port
        if has_endpoints:
            if ctx.localhost_node_ports and ctx.ipv4 and ctx.nfacct_localhost:
                nat.append((NPS, f"-m comment --comment {spn} {pm} -d 127.0.0.0/8 --dport {np_} -m nfacct --nfacct-name {NFACCT_LOCALHOST_NODEPORTS} -j {ext}"))
            nat.append((NPS, f"-m comment --comment {spn} {pm} --dport {np_} -j {ext}"))
        if not has_external:
            filt.append((EXTS, f"-m comment --comment {ext_comment} -m addrtype --dst-type LOCAL {pm} --dport {np_} -j {ext_target}"))
    # Capture healthCheckNodePorts.
    if sp.health_check_node_port:
        filt.append((NPS, f'-m comment --comment "{spn} health check node port" -m tcp -p tcp --dport {sp.health_check_node_port} -j ACCEPT'))

    rules: list[Rule] = []
    chain_lines: list[str] = []
    mm = C.KUBE_MARK_MASQ

    # Internal traffic: masquerade off-cluster sources (into the SVC or SVL chain).
    if has_internal:
        args = f'-m comment --comment "{spn} cluster IP" {pm} -d {cip} --dport {port}'
        if ctx.masquerade_all:
            rules.append((internal_chain, f"{args} -j {mm}"))
        elif ctx.detector is not None:
            rules.append((internal_chain, f"{args} {ctx.detector.if_not_local()} -j {mm}"))

    # External traffic: KUBE-EXT.
    if uses_ext:
        chain_lines.append(ext)
        if not sp.external_policy_local:
            rules.append((ext, f'-m comment --comment "masquerade traffic for {spn} external destinations" -j {mm}'))
        else:
            if ctx.detector is not None:
                rules.append((ext, f'-m comment --comment "pod traffic for {spn} external destinations" {ctx.detector.if_local()} -j {sp.svc_chain}'))
            rules.append((ext, f'-m comment --comment "masquerade LOCAL traffic for {spn} external destinations" -m addrtype --src-type LOCAL -j {mm}'))
            rules.append((ext, f'-m comment --comment "route LOCAL traffic for {spn} external destinations" -m addrtype --src-type LOCAL -j {sp.svc_chain}'))
        if has_external:
            rules.append((ext, f"-j {external_policy_chain}"))

    # LoadBalancerSourceRanges: KUBE-FW.
    if uses_fw:
        fw = sp.fw_chain
        chain_lines.append(fw)
        head = f'-m comment --comment "{spn} loadbalancer IP"'
        allow_from_node = False
        for cidr in sp.load_balancer_source_ranges:
            rules.append((fw, f"{head} -s {cidr_string(cidr)} -j {ext}"))
            if cidr_contains(cidr, ctx.node_ip):
                allow_from_node = True
        if allow_from_node:
            for lb in sp.load_balancer_vips:
                rules.append((fw, f"{head} -s {lb} -j {ext}"))
        rules.append((fw, f'-m comment --comment "other traffic to {spn} will be dropped by KUBE-PROXY-FIREWALL"'))

    # Each endpoint's KUBE-SEP chain, named once (the load-balancing rules use the
    # reachable endpoints, or some of them).
    sep_names = {ep.key: C.endpoint_chain(spn, proto, ep.key) for ep in cat.all_reachable}

    def sep_of(ep: Endpoint) -> str:
        name = sep_names.get(ep.key)
        if name is None:
            name = sep_names[ep.key] = C.endpoint_chain(spn, proto, ep.key)
        return name

    def write_lb(chain: str, eps: tuple[Endpoint, ...]) -> None:
        if sp.session_affinity_client_ip:
            for ep in eps:
                sep = sep_of(ep)
                cmt = "" if ctx.large else f'-m comment --comment "{spn} -> {ep.key}" '
                rules.append((chain, f"{cmt}-m recent --name {sep} --rcheck --seconds {sp.sticky_max_age_seconds} --reap -j {sep}"))
        n = len(eps)
        for i, ep in enumerate(eps):
            key = ep.key
            sep = sep_names.get(key) or sep_of(ep)
            cmt = "" if ctx.large else f'-m comment --comment "{spn} -> {key}" '
            stat = f"-m statistic --mode random --probability {ctx.probability(n - i)} " if i < n - 1 else ""
            rules.append((chain, f"{cmt}{stat}-j {sep}"))

    if uses_svc:
        chain_lines.append(sp.svc_chain)
        write_lb(sp.svc_chain, cluster_eps)
    if uses_svl:
        chain_lines.append(sp.svl_chain)
        write_lb(sp.svl_chain, local_eps)

    for ep in cat.all_reachable:
        sep = sep_names[ep.key]
        chain_lines.append(sep)
        head = "" if ctx.large else f"-m comment --comment {spn} "
        rules.append((sep, f"{head}-s {ep.ip} -j {mm}"))
        if sp.session_affinity_client_ip:
            head += f"-m recent --name {sep} --set "
        rules.append((sep, f"{head}{pm} -j DNAT --to-destination {ep.key}"))

    return PortRules(
        sp=sp,
        n_endpoints=0,
        filter_lines=filt,
        nat_entry_lines=nat,
        chain_lines=chain_lines,
        chain_rules=rules,
        active=tuple(chain_lines),
        n_chain_rules=len(rules),
    )
