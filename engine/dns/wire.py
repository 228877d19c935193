"""Message sizes on the wire, and CoreDNS's truncation of UDP replies.

Why: dig prints `MSG SIZE  rcvd: N`, sets the tc flag and retries over TCP when a reply
does not fit, and busybox nslookup only ever reads 512 bytes. CoreDNS's ScrubWriter
(`request.Scrub` -> miekg/dns `Msg.Truncate`) decides what goes out: a reply that fits
uncompressed is sent *uncompressed*; otherwise it is compressed and, if still too big,
cut record by record with TC set. This module reproduces those lengths so the numbers
dig shows are the real ones (e.g. 129 bytes for `kubernetes.default.svc.cluster.local A`
with an echoed cookie).
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

from engine.dns.names import fqdn, split_labels, wire_name_len
from engine.dns.records import DnsResponse, RR

HEADER_LEN = 12
MIN_MSG_SIZE = 512  # dns.MinMsgSize
MAX_MSG_SIZE = 65535  # dns.MaxMsgSize (TCP)
_OPT_FIXED = 11  # root name + type + class + ttl + rdlength


def opt_len(cookie_len: int = 0) -> int:
    """Length of an OPT pseudo-record, with a COOKIE option of `cookie_len` bytes."""
    return _OPT_FIXED + (4 + cookie_len if cookie_len else 0)


def _txt_strings(rdata: str) -> list[str]:
    try:
        return shlex.split(rdata)
    except ValueError:
        return [rdata]


def _name_len(name: str, cmap: set[str] | None, compress: bool) -> int:
    """miekg domainNameLen: every suffix is remembered; a known suffix costs 2 bytes."""
    labels = split_labels(name)
    if not labels:
        return 1
    if cmap is not None:
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]) + "."
            if suffix in cmap:
                if compress:
                    return sum(len(x) + 1 for x in labels[:i]) + 2
                break
            cmap.add(suffix)
    return wire_name_len(name)


def rr_len(rr: RR, cmap: set[str] | None = None) -> int:
    """Wire length of one RR; with a compression map, as miekg would pack it compressed."""
    n = _name_len(rr.name, cmap, True) + 10
    t, d = rr.rtype, rr.rdata
    if t == "A":
        return n + 4
    if t == "AAAA":
        return n + 16
    if t in ("CNAME", "PTR", "NS"):
        return n + _name_len(fqdn(d), cmap, True)
    if t == "SRV":
        return n + 6 + _name_len(fqdn(d.split()[3]), cmap, False)
    if t == "MX":
        return n + 2 + _name_len(fqdn(d.split()[1]), cmap, True)
    if t == "SOA":
        f = d.split()
        return n + _name_len(f[0], cmap, True) + _name_len(f[1], cmap, True) + 20
    if t == "TXT":
        return n + sum(len(s.encode()) + 1 for s in _txt_strings(d))
    return n + len(d.encode())


def question_len(qname: str, cmap: set[str] | None = None) -> int:
    return _name_len(fqdn(qname), cmap, True) + 4


def message_len(
    qname: str,
    sections: tuple[tuple[RR, ...], ...],
    *,
    compress: bool = False,
    extra_len: int = 0,
) -> int:
    """Length of header + question + sections (+ `extra_len` for an OPT record)."""
    cmap: set[str] | None = set() if compress else None
    n = HEADER_LEN + question_len(qname, cmap)
    for section in sections:
        for rr in section:
            n += rr_len(rr, cmap)
    return n + extra_len


@dataclass(frozen=True)
class WireReply:
    """A reply as it leaves CoreDNS for one transport."""

    answer: tuple[RR, ...]
    authority: tuple[RR, ...]
    additional: tuple[RR, ...]
    tc: bool
    size: int
    compressed: bool


def scrub(resp: DnsResponse, max_size: int, *, edns: bool, cookie_len: int = 0) -> WireReply:
    """request.Scrub: fit `resp` into `max_size` bytes the way miekg's Truncate does.

    `max_size`: 512 for plain UDP, the EDNS buffer size (dig: 1232) for EDNS UDP,
    65535 for TCP. `edns` adds the OPT record CoreDNS echoes back (SizeAndDo).
    """
    max_size = max(max_size, MIN_MSG_SIZE)
    o = opt_len(cookie_len) if edns else 0
    sections = (resp.answer, resp.authority, resp.additional)
    full = message_len(resp.qname, sections, extra_len=o)
    if full <= max_size:
        return WireReply(*sections, tc=resp.tc, size=full, compressed=False)
    budget = max_size - o
    cmap: set[str] = set()
    used = HEADER_LEN + question_len(resp.qname, cmap)
    kept: list[tuple[RR, ...]] = []
    for section in sections:
        n_keep = 0
        if used < budget:
            for rr in section:
                used += rr_len(rr, cmap)
                if used > budget:
                    used = budget
                    break
                n_keep += 1
                if used == budget:
                    break
        kept.append(section[:n_keep])
    tc = resp.tc or any(len(k) < len(s) for k, s in zip(kept, sections))
    size = message_len(resp.qname, tuple(kept), compress=True, extra_len=o)
    return WireReply(kept[0], kept[1], kept[2], tc=tc, size=size, compressed=True)


__all__ = ["WireReply", "message_len", "opt_len", "rr_len", "scrub"]
