"""Chain names, exactly as kube-proxy (iptables mode) derives them.

iptables limits chain names to 28 characters, so per-service and per-endpoint chains are
named by a hash: ``PREFIX + base32(sha256(input))[:16]``.  The four chains of one
service port (SVC, SVL, EXT, FW) share the same 16 characters, computed from
``servicePortName + protocol``; endpoint chains (SEP) add the endpoint's ``ip:port``.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

# Top-level chains kube-proxy writes in every sync.
KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_FIREWALL = "KUBE-FIREWALL"  # kubelet's anti-martian chain, duplicated by kube-proxy
KUBE_PROXY_CANARY = "KUBE-PROXY-CANARY"

SVC_PREFIX = "KUBE-SVC-"
SVL_PREFIX = "KUBE-SVL-"
EXT_PREFIX = "KUBE-EXT-"
FW_PREFIX = "KUBE-FW-"
SEP_PREFIX = "KUBE-SEP-"

# isServiceChainName(): the prefixes of chains kube-proxy owns and garbage-collects.
SERVICE_CHAIN_PREFIXES = (SVC_PREFIX, SVL_PREFIX, SEP_PREFIX, FW_PREFIX, EXT_PREFIX)


_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648's, what Go's base32.StdEncoding uses
# Every pair of base32 characters (10 bits), for `_hash16`.
_B32_PAIRS = tuple(a + b for a in _B32_ALPHABET for b in _B32_ALPHABET)


def _hash16(text: str) -> str:
    """``base32(sha256(text))[:16]``. 16 base32 characters encode exactly the first 10
    bytes (80 bits) of the digest, so encoding only those gives the same characters,
    without padding; done 10 bits at a time from a table (the standard library's b32encode
    is pure Python in 3.11, and a first sync at 10,000 Services hashes 120,000 chains)."""
    n = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:10], "big")
    t = _B32_PAIRS
    return (t[n >> 70] + t[(n >> 60) & 1023] + t[(n >> 50) & 1023] + t[(n >> 40) & 1023]
            + t[(n >> 30) & 1023] + t[(n >> 20) & 1023] + t[(n >> 10) & 1023] + t[n & 1023])


@lru_cache(maxsize=1 << 16)
def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """The 16 characters shared by a service port's SVC/SVL/EXT/FW chains.

    ``protocol`` is the lowercase protocol (``tcp``/``udp``/``sctp``); it is appended to
    the service port name with no separator, as ``portProtoHash`` does.
    """
    return _hash16(service_port_name + protocol)


def service_chain(service_port_name: str, protocol: str) -> str:
    """KUBE-SVC-…: load-balances over Cluster-policy endpoints."""
    return SVC_PREFIX + port_proto_hash(service_port_name, protocol)


def local_chain(service_port_name: str, protocol: str) -> str:
    """KUBE-SVL-…: load-balances over this node's (Local-policy) endpoints."""
    return SVL_PREFIX + port_proto_hash(service_port_name, protocol)


def external_chain(service_port_name: str, protocol: str) -> str:
    """KUBE-EXT-…: entry point for NodePort/externalIP/LoadBalancer traffic."""
    return EXT_PREFIX + port_proto_hash(service_port_name, protocol)


def firewall_chain(service_port_name: str, protocol: str) -> str:
    """KUBE-FW-…: loadBalancerSourceRanges filtering."""
    return FW_PREFIX + port_proto_hash(service_port_name, protocol)


@lru_cache(maxsize=1 << 18)
def endpoint_chain(service_port_name: str, protocol: str, endpoint: str) -> str:
    """KUBE-SEP-…: DNAT to one endpoint; ``endpoint`` is ``ip:port`` / ``[ip6]:port``."""
    return SEP_PREFIX + _hash16(service_port_name + protocol + endpoint)


def is_service_chain_name(chain: str) -> bool:
    """True for the per-service/per-endpoint chains stale-chain cleanup may delete."""
    return chain.startswith(SERVICE_CHAIN_PREFIXES)
