"""kube-proxy (iptables mode) rule rendering: a pure library, no engine dependencies.

Public API:

* :class:`IPTablesProxier` / :class:`ProxierConfig` / :class:`SyncResult` — run
  ``syncProxyRules`` over Services and EndpointSlices, get the iptables-restore input,
  and print what ``iptables-save`` would show (:meth:`IPTablesProxier.save`).
* :mod:`engine.proxy.iptables.chains` — the KUBE-SVC/SVL/EXT/FW/SEP chain-name hashes.
* :mod:`engine.proxy.model` — service ports, endpoints and endpoint categorization.
* :class:`Netfilter` — the node's tables, for simulating outside changes.
"""
from engine.proxy.iptables.chains import (
    endpoint_chain,
    external_chain,
    firewall_chain,
    local_chain,
    port_proto_hash,
    service_chain,
)
from engine.proxy.config import LocalDetector, ProxierConfig
from engine.proxy.iptables.proxier import IPTablesProxier, SyncResult
from engine.proxy.iptables.netfilter import Netfilter, RestoreError

__all__ = [
    "IPTablesProxier",
    "LocalDetector",
    "Netfilter",
    "ProxierConfig",
    "RestoreError",
    "SyncResult",
    "endpoint_chain",
    "external_chain",
    "firewall_chain",
    "local_chain",
    "port_proto_hash",
    "service_chain",
]
