"""Cluster DNS: CoreDNS's `kubernetes` plugin, a pod's stub resolver, dig/nslookup output.

    plugin = KubernetesPlugin(CoreDNSConfig(), clock=lambda: 1_700_000_000)
    plugin.on_namespace("ADDED", ns_obj); plugin.on_service("ADDED", svc_obj)
    plugin.query("redis.default.svc.cluster.local", "A")
    resolve("redis", ADDRESS, resolv_conf("default"), plugin)
    print(render_dig(plugin.query("redis.default.svc.cluster.local"), msg_id=1, when=0))

Pure library: no I/O, no randomness unless the caller passes an `rng`.
"""
from engine.dns.dig import ToolOutput, dig, nslookup, nslookup_queries, render_dig, render_nslookup
from engine.dns.resolver import ADDRESS, Attempt, ResolvConf, ResolveResult, resolv_conf, resolve
from engine.dns.zone import (
    NOERROR,
    NXDOMAIN,
    REFUSED,
    RR,
    SERVFAIL,
    CoreDNSConfig,
    DnsResponse,
    KubernetesPlugin,
    RecordChange,
    StaticUpstream,
    ZoneRecord,
    forwarded_nxdomain,
)

__all__ = [
    "ADDRESS",
    "NOERROR",
    "NXDOMAIN",
    "REFUSED",
    "RR",
    "SERVFAIL",
    "Attempt",
    "CoreDNSConfig",
    "DnsResponse",
    "KubernetesPlugin",
    "RecordChange",
    "ResolvConf",
    "ResolveResult",
    "StaticUpstream",
    "ToolOutput",
    "ZoneRecord",
    "dig",
    "forwarded_nxdomain",
    "nslookup",
    "nslookup_queries",
    "render_dig",
    "render_nslookup",
    "resolv_conf",
    "resolve",
]
