"""IP parsing and printing the way kube-proxy does it.

kube-proxy parses every address from the API with ``netutils.ParseIPSloppy`` /
``ParseCIDRSloppy`` (Go's pre-1.17 parser: IPv4 octets may carry leading zeros and are
read as decimal) and prints them back with ``net.IP.String()``.  Python's ``ipaddress``
rejects leading zeros and prints IPv4-mapped IPv6 addresses differently, so the few
rules that matter are reproduced here rather than papered over at each call site.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Union

IPAddr = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNet = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

IPV4 = "IPv4"
IPV6 = "IPv6"


def _parse_v4_sloppy(s: str) -> ipaddress.IPv4Address | None:
    parts = s.split(".")
    if len(parts) != 4:
        return None
    octets = []
    for p in parts:
        # Go's dtoi: one or more ASCII digits, any number of leading zeros.
        if not p or not p.isascii() or not p.isdigit():
            return None
        v = int(p, 10)
        if v > 255:
            return None
        octets.append(v)
    return ipaddress.IPv4Address(bytes(octets))


def parse_ip_sloppy(s: str | None) -> IPAddr | None:
    """``netutils.ParseIPSloppy``: None for anything Go would return nil for.

    An IPv4-mapped IPv6 literal (``::ffff:1.2.3.4``) is an IPv4 address to Go
    (``To4() != nil``), so it comes back as IPv4 here too.  (Cached: the same
    addresses are parsed on every sync.)
    """
    if not s or not isinstance(s, str):
        return None
    return _parse_ip_sloppy(s)


@lru_cache(maxsize=1 << 18)
def _parse_ip_sloppy(s: str) -> IPAddr | None:

    if ":" in s:
        if "%" in s:  # Go's ParseIP rejects zones
            return None
        head, _, tail = s.rpartition(":")
        if "." in tail:  # embedded IPv4 may be sloppy too
            v4 = _parse_v4_sloppy(tail)
            if v4 is None:
                return None
            s = f"{head}:{v4}"
        try:
            ip6 = ipaddress.IPv6Address(s)
        except ValueError:
            return None
        if ip6.ipv4_mapped is not None:
            return ip6.ipv4_mapped
        return ip6
    return _parse_v4_sloppy(s)


# An IPv4 address already printed as Go prints it (no leading zeros): what nearly every
# address from an API server is. `canonical_ip` returns such a string as it is.
_CANONICAL_V4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")


def canonical_ip(s: str | None) -> str | None:
    """``ParseIPSloppy(s).String()``, or None where Go's parse returns nil: the address as
    kube-proxy prints it in its rules. Its family is in the string: a canonical IPv6
    address always has a colon, an IPv4 one never (see `is_ipv6_canonical`).

    What a sync asks of each endpoint's address; at 100,000 endpoints an `ipaddress`
    object parsed and printed per address was a tenth of a first sync. Cached per
    address: a node-dependent Service's endpoints are derived again for every node.
    """
    if not s or not isinstance(s, str):
        return None
    return _canonical_ip(s)


@lru_cache(maxsize=1 << 18)
def _canonical_ip(s: str) -> str | None:
    if _CANONICAL_V4.fullmatch(s):
        return s  # (Python's `str` of its parse is the same characters)
    ip = _parse_ip_sloppy(s)
    return None if ip is None else ip_string(ip)


def is_ipv6_canonical(canonical: str) -> bool:
    """The family of a `canonical_ip` result: IPv6 (RFC 5952 text has a colon)."""
    return ":" in canonical


def family_of(ip: IPAddr | IPNet) -> str:
    return IPV4 if ip.version == 4 else IPV6


def is_ipv6_string(s: str | None) -> bool:
    """``netutils.IsIPv6String``: parses (sloppily) and is not IPv4."""
    c = canonical_ip(s)
    return c is not None and ":" in c


def parse_cidr_sloppy(s: str | None) -> IPNet | None:
    """``netutils.ParseCIDRSloppy``; the result is masked, as Go's IPNet is."""
    if not s or not isinstance(s, str) or "/" not in s:
        return None
    addr, _, plen = s.partition("/")
    ip = parse_ip_sloppy(addr)
    if ip is None or not plen or not plen.isascii() or not plen.isdigit():
        return None
    bits = int(plen, 10)
    if ip.version == 4 and ":" in addr:
        # "::ffff:a.b.c.d/n": Go keeps the 128-bit length; only /96+ makes sense.
        if bits < 96 or bits > 128:
            return None
        bits -= 96
    if bits > ip.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{ip}/{bits}", strict=False)


def ip_string(ip: IPAddr) -> str:
    """``net.IP.String()``: dotted IPv4, RFC 5952 IPv6 (what ``compressed`` gives)."""
    return str(ip)


def cidr_string(net: IPNet) -> str:
    return f"{net.network_address}/{net.prefixlen}"


def join_host_port(host: str, port: int) -> str:
    """``net.JoinHostPort``: brackets around anything containing a colon."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def cidr_contains(net: IPNet, ip: IPAddr | None) -> bool:
    """``(*net.IPNet).Contains``: false across families instead of raising."""
    if ip is None or net.version != ip.version:
        return False
    return ip in net
