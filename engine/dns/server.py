"""One CoreDNS process's answers: the Corefile's server blocks and the plugin chain of each,
in the order CoreDNS chains them (plugin.cfg: log, loadbalance, rewrite, hosts,
kubernetes, forward), whatever order the Corefile lists them in.

Why a chain and not the `kubernetes` plugin alone: the plugins learners add change what a
pod sees. `hosts` without `fallthrough` answers SERVFAIL for every name it does not hold
(cluster names included); `rewrite name` answers for another name, with the rewritten
name in the answer unless the rule is `exact` or says `answer auto`/`answer name`; a
server block without `kubernetes` sends cluster names to `forward`; a stub domain's
`forward . 1.2.3.4` has no upstream to reach here (svcflow has no outside network), so
CoreDNS gives up after its 5 s deadline with SERVFAIL and `errors` logs the i/o timeout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from engine.dns.corefile import BlockSpec, CoreDNSConfig, Corefile, HostsSpec, RewriteRule
from engine.dns.names import extract_address_from_reverse, fqdn, is_reverse, match_zone, parse_ip
from engine.dns.records import NOERROR, REFUSED, RR, SERVFAIL, DnsResponse, Upstream
from engine.dns.wire import HEADER_LEN, opt_len, question_len, scrub
from engine.dns.zone import KubernetesPlugin, loadbalance

#: forward's deadline for one query (plugin/forward: defaultTimeout), each try reading 2 s
FORWARD_DEADLINE = 5.0
FORWARD_READ_TIMEOUT = 2.0


@dataclass(frozen=True)
class Client:
    """Who asked, for the `log` plugin's line: address, source port, message id, and the
    query's EDNS (dig sends a 1232-byte buffer and a cookie; libc and busybox send none)."""

    ip: str
    port: int
    msg_id: int
    proto: str = "udp"
    bufsize: int = 0  # 0: no EDNS
    cookie_len: int = 0


class Server:
    """The server blocks of one Corefile, answering as the process running it would.

    `plugin_for(config)` gives the `kubernetes` plugin (its informer caches) for a stanza's
    options; `upstream` is the node's resolver (`forward . /etc/resolv.conf`); `emit(text)`
    writes a line to the process's log; `rng` drives loadbalance, ports and durations."""

    def __init__(self, corefile: Corefile, plugin_for: Callable[[CoreDNSConfig], KubernetesPlugin],
                 upstream: Upstream, emit: Callable[[str], None], rng, local_ip: str = "") -> None:
        self.corefile = corefile
        self.local_ip = local_ip  # the CoreDNS pod's address (forward's queries leave from it)
        self.blocks = tuple(b for b in corefile.blocks if b.port == "53")  # (what kube-dns's port 53 reaches)
        self.plugins = {i: plugin_for(b.kubernetes) for i, b in enumerate(self.blocks) if b.kubernetes is not None}
        self.upstream = upstream
        self.emit = emit
        self.rng = rng
        self._zones = [z for b in self.blocks for z in b.zones]

    @property
    def kubernetes(self) -> KubernetesPlugin | None:
        """The first block's `kubernetes` plugin (what the DNS pane lists), if any."""
        return next(iter(self.plugins.values()), None)

    def block_for(self, qname: str) -> int | None:
        """The server block whose zone matches the name longest (dnsserver.ServeDNS)."""
        best, best_len = None, -1
        for i, b in enumerate(self.blocks):
            for z in b.zones:
                if (z == "." or match_zone([z], qname) is not None) and len(z) > best_len:
                    best, best_len = i, len(z)
        return best

    def query(self, qname: str, qtype: str = "A", client: Client | None = None) -> DnsResponse:
        qtype = qtype.upper()
        qname = fqdn(qname)
        i = self.block_for(qname.lower())
        if i is None:
            resp = DnsResponse(qname, qtype, rcode=REFUSED)
            return resp
        block = self.blocks[i]
        resp = self._rewrite(block, i, qname, qtype, client)
        if block.loadbalance and resp.rcode == NOERROR:
            # (regrouped, in a stable order: svcflow's answers do not shuffle, see KubernetesPlugin)
            resp = replace(resp, answer=loadbalance(resp.answer, None), authority=loadbalance(resp.authority, None),
                           additional=loadbalance(resp.additional, None))
        if block.log and client is not None:
            self.emit(log_line(client, qname, qtype, resp, self.rng))
        return resp

    # -- rewrite -----------------------------------------------------------------------
    def _rewrite(self, block: BlockSpec, i: int, qname: str, qtype: str, client: Client | None) -> DnsResponse:
        name = qname.lower()
        applied: list[RewriteRule] = []
        for rule in block.rewrites:
            new = rewrite_name(rule, name)
            if new is None:
                continue
            name = new
            applied.append(rule)
            if rule.stop:
                break
        if not applied:
            return self._hosts(block, i, qname, qtype, client)
        resp = self._hosts(block, i, name, qtype, client)
        for rule in applied:
            resp = revert_answer(rule, resp, asked=qname.lower(), rewritten=name)
        return replace(resp, qname=qname)  # (the question goes back as it was asked)

    # -- hosts -------------------------------------------------------------------------
    def _hosts(self, block: BlockSpec, i: int, qname: str, qtype: str, client: Client | None) -> DnsResponse:
        h = block.hosts
        if h is None:
            return self._kubernetes(block, i, qname, qtype, client)
        out = hosts_answer(h, qname, qtype)
        if out is not None:
            return out
        return self._kubernetes(block, i, qname, qtype, client)

    # -- kubernetes, forward -------------------------------------------------------------
    def _kubernetes(self, block: BlockSpec, i: int, qname: str, qtype: str, client: Client | None) -> DnsResponse:
        plugin = self.plugins.get(i)
        if plugin is None:
            return self._forward(block, qname, qtype, client)
        return plugin.serve(qname, qtype, lambda n, t: self._forward(block, n, t, client))

    def _forward(self, block: BlockSpec, qname: str, qtype: str, client: Client | None) -> DnsResponse:
        f = block.forward
        if f is None or (f.zone != "." and match_zone([fqdn(f.zone.lower())], qname.lower()) is None):
            # plugin.NextOrFailure with nothing next: SERVFAIL
            return DnsResponse(qname, qtype, rcode=SERVFAIL)
        if f.node_resolver:
            resp = self.upstream(qname, qtype)
            return replace(resp, qname=qname, qtype=qtype, forwarded=True)
        # An upstream outside the cluster: nothing answers (no outside network), so each
        # 2 s read times out until the 5 s deadline passes and forward gives up.
        if block.errors:
            host = f.to[0].split("://", 1)[-1]
            target = host if host.count(":") == 1 or host.startswith("[") else f"{host}:53"
            src = f"{self.local_ip}:{self.rng.randrange(32768, 61000)}"
            self.emit(f"[ERROR] plugin/errors: 2 {qname} {qtype}: read udp {src}->{target}: i/o timeout")
        return DnsResponse(qname, qtype, rcode=SERVFAIL, forwarded=True)


def hosts_answer(h: HostsSpec, qname: str, qtype: str) -> DnsResponse | None:
    """plugin/hosts ServeDNS: None hands the query on (outside its zones, or fallthrough)."""
    name = qname.lower()
    in_zone = any(z == "." or match_zone([z], name) is not None for z in h.zones)
    if not in_zone and qtype != "PTR":
        return None
    answers: list[RR] = []
    if qtype == "PTR":
        ip = extract_address_from_reverse(name) if is_reverse(name) else ""
        for addr, names in h.entries:
            if ip and _same_ip(addr, ip):
                answers += [RR(qname, h.ttl, "IN", "PTR", n) for n in names]
    elif qtype in ("A", "AAAA"):
        version = 4 if qtype == "A" else 6
        for addr, names in h.entries:
            parsed = parse_ip(addr.split("%", 1)[0])
            if name in names and parsed is not None and parsed.version == version:
                answers.append(RR(qname, h.ttl, "IN", qtype, str(parsed)))
    exists = any(name in names for _, names in h.entries)
    if not answers and not exists:
        if h.fallthrough is not None and (not h.fallthrough or match_zone(list(h.fallthrough), name) is not None):
            return None
        # (no SOA to say NXDOMAIN with: hosts answers SERVFAIL)
        return DnsResponse(qname, qtype, rcode=SERVFAIL)
    return DnsResponse(qname, qtype, aa=True, answer=tuple(answers))


def _same_ip(a: str, b: str) -> bool:
    pa, pb = parse_ip(a.split("%", 1)[0]), parse_ip(b)
    return pa is not None and pa == pb


def _normalize(s: str) -> str:
    return fqdn(s.lower())


def _regex_to(target: str, m: re.Match) -> str:
    out = target
    for k, g in enumerate(m.groups(), 1):
        out = out.replace("{" + str(k) + "}", g or "")
    return _normalize(out)


def rewrite_name(rule: RewriteRule, name: str) -> str | None:
    """plugin/rewrite name.go: the rewritten question name, or None when the rule does not
    match. FROM and TO are normalised (lower case, a final dot) except a regex's FROM."""
    if rule.match == "regex":
        m = re.search(rule.source, name)
        return _regex_to(rule.target, m) if m else None
    src, dst = _normalize(rule.source), _normalize(rule.target)
    if rule.match == "exact":
        return dst if name == src else None
    if rule.match == "prefix":
        return dst + name[len(src):] if name.startswith(src) else None
    if rule.match == "suffix":
        return name[:-len(src)] + dst if name.endswith(src) else None
    if rule.match == "substring":
        return name.replace(src, dst) if src in name else None
    return None


def revert_answer(rule: RewriteRule, resp: DnsResponse, *, asked: str, rewritten: str) -> DnsResponse:
    """The answer's owner names as the rule leaves them: an `exact` rule always maps the
    rewritten name back; `answer auto` maps it back for the other match types (a suffix
    rule its suffix); `answer name FROM TO` rewrites names its regex matches; otherwise
    the answer keeps the rewritten name (what dig then shows under another name)."""
    def back(name: str) -> str:
        low = name.lower()
        if rule.answer_name is not None:
            m = re.search(rule.answer_name[0], low)
            return _regex_to(rule.answer_name[1], m) if m else name
        if rule.match == "exact" or rule.answer_auto:
            if low == rewritten:
                return asked
            if rule.answer_auto and rule.match == "suffix":
                src, dst = _normalize(rule.source), _normalize(rule.target)
                return low[:-len(dst)] + src if low.endswith(dst) else name
        return name
    fix = lambda rrs: tuple(replace(rr, name=back(rr.name)) for rr in rrs)  # noqa: E731
    return replace(resp, answer=fix(resp.answer), authority=fix(resp.authority), additional=fix(resp.additional))


def log_line(client: Client, qname: str, qtype: str, resp: DnsResponse, rng) -> str:
    """The `log` plugin's default format (plugin/log: CommonLogFormat):
    `{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode}
    {>rflags} {rsize} {duration}`, as `[INFO] ` lines."""
    edns = client.bufsize > 0
    size = HEADER_LEN + question_len(qname) + (opt_len(client.cookie_len) if edns else 0)
    rsize = scrub(resp, client.bufsize or 512, edns=edns, cookie_len=client.cookie_len).size  # (as sent)
    flags = ["qr"] + (["aa"] if resp.aa else []) + (["tc"] if resp.tc else []) + ["rd"] + (["ra"] if resp.ra else [])
    nanos = (5_000_000_000 + rng.randrange(1_000_000, 9_000_000) if resp.rcode == SERVFAIL and resp.forwarded
             else rng.randrange(60_000, 400_000))
    duration = f"{nanos / 1e9:.9f}".rstrip("0").rstrip(".") + "s"
    return (f'[INFO] {client.ip}:{client.port} - {client.msg_id} "{qtype} IN {qname} {client.proto} {size} false '
            f'{client.bufsize or 512}" {resp.rcode} {",".join(flags)} {rsize} {duration}')


__all__ = ["Client", "FORWARD_DEADLINE", "Server", "hosts_answer", "log_line", "revert_answer", "rewrite_name"]
