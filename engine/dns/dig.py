"""Render replies the way `dig` (BIND 9.18) and busybox `nslookup` print them.

Why byte-exact: the dashboard shows "what you would see if you ran dig in a pod", and
people compare it with their own terminal. The details that give it away are kept:
dig's tab stops (columns 24/32/40/48, tab width 8, from masterdump.c), the question
line's `;` prefix, the ".local is reserved for Multicast DNS" warning every
cluster.local name triggers (dig.c isdotlocal), `flags: qr aa rd` plus the "recursion requested but not available"
warning (CoreDNS's kubernetes plugin never sets RA), the echoed EDNS cookie, the real
`MSG SIZE` (CoreDNS sends uncompressed replies when they fit) and the TCP retry when a
UDP reply comes back truncated. busybox nslookup (1.30+) sends A and AAAA queries,
appends search domains only to names without a dot, and prints each reply as it comes.
Nothing here is random: the caller supplies the message id, the time and the cookie.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from engine.dns.names import fqdn, is_subdomain, parse_ip, reverse_name
from engine.dns.resolver import Answerer, ResolvConf
from engine.dns.wire import MAX_MSG_SIZE, scrub
from engine.dns.records import DnsResponse, NOERROR, RR

DIG_VERSION = "9.18.30"
DIG_UDP_SIZE = 1232  # dig's default EDNS buffer size since 9.16
DEFAULT_COOKIE = "5b1c6bd4ce2b2ac2"  # an 8-byte client cookie; CoreDNS echoes it back

# dig's default style: dns_master_stylecreate(..., 24, 32, 40, 48, 80, 8, ...)
_TTL_COL, _CLASS_COL, _TYPE_COL, _RDATA_COL, _TAB = 24, 32, 40, 48, 8


def _indent(column: int, to: int) -> tuple[str, int]:
    """masterdump.c indent(): tabs to reach `to` (at least one space past `column`)."""
    to = max(to, column + 1)
    ntabs = to // _TAB - column // _TAB
    if ntabs > 0:
        column = (to // _TAB) * _TAB
        return "\t" * ntabs + " " * (to - column), to
    return " " * (to - column), to


def _columns(fields: list[tuple[str, int | None]]) -> str:
    """Lay out fields at dig's tab stops; a None stop means "no indent" (the owner name)."""
    out, col = "", 0
    for text, stop in fields:
        if stop is not None:
            pad, col = _indent(col, stop)
            out += pad
        out += text
        col += len(text)
    return out


def format_rr(rr: RR) -> str:
    """One RR line as dig prints it."""
    return _columns(
        [(rr.name, None), (str(rr.ttl), _TTL_COL), (rr.rclass, _CLASS_COL), (rr.rtype, _TYPE_COL), (rr.rdata, _RDATA_COL)]
    )


def format_question(qname: str, qtype: str) -> str:
    """The question line: `;` + name, class and type at their stops (the `;` not counted)."""
    return ";" + _columns([(fqdn(qname), None), ("IN", _CLASS_COL), (qtype, _TYPE_COL)])


def _when_text(when: datetime | float) -> str:
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, tz=timezone.utc)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.strftime("%a %b %d %H:%M:%S %Z %Y")


def render_dig(
    resp: DnsResponse,
    *,
    msg_id: int,
    when: datetime | float,
    query_time_ms: int = 0,
    server: str = "10.96.0.10",
    port: int = 53,
    args: str | None = None,
    version: str = DIG_VERSION,
    udp_size: int = DIG_UDP_SIZE,
    cookie: str | None = DEFAULT_COOKIE,
) -> str:
    """dig's default output for `resp` (dig +cmd, EDNS on, cookie on).

    `args` is what the user typed after `dig` (default: the name, plus the type unless A).
    `cookie` is the client cookie as hex (None = `+nocookie`). If the UDP reply would be
    truncated, dig's TCP retry is shown and the full reply is printed, as dig does.
    """
    cookie_len = len(cookie) // 2 if cookie else 0
    wire = scrub(resp, udp_size, edns=True, cookie_len=cookie_len)
    transport = "UDP"
    retry = False
    if wire.tc:
        retry = True
        transport = "TCP"
        wire = scrub(resp, MAX_MSG_SIZE, edns=True, cookie_len=cookie_len)
    if args is None:
        name = resp.qname.rstrip(".") or "."
        args = name if resp.qtype == "A" else f"{name} {resp.qtype}"
    flags = ["qr"]
    flags += ["aa"] if resp.aa else []
    flags += ["tc"] if wire.tc else []
    flags += ["rd"] if resp.rd else []
    flags += ["ra"] if resp.ra else []
    # The truncated UDP reply is not printed; the retry notice comes before the greeting.
    lines = [";; Truncated, retrying in TCP mode."] if retry else []
    lines += ["", f"; <<>> DiG {version} <<>> {args}", ";; global options: +cmd", ";; Got answer:"]
    if is_subdomain("local.", resp.qname):
        lines += [
            ";; WARNING: .local is reserved for Multicast DNS",
            ";; You are currently testing what happens when an mDNS query is leaked to DNS",
        ]
    lines += [
        f";; ->>HEADER<<- opcode: QUERY, status: {resp.rcode}, id: {msg_id}",
        f";; flags: {' '.join(flags)}; QUERY: 1, ANSWER: {len(wire.answer)}, "
        f"AUTHORITY: {len(wire.authority)}, ADDITIONAL: {len(wire.additional) + 1}",
    ]
    if resp.rd and not resp.ra:
        lines.append(";; WARNING: recursion requested but not available")
    lines += ["", ";; OPT PSEUDOSECTION:", f"; EDNS: version: 0, flags:; udp: {udp_size}"]
    if cookie:
        lines.append(f"; COOKIE: {cookie} (echoed)")
    lines += [";; QUESTION SECTION:", format_question(resp.qname, resp.qtype), ""]
    for title, section in (("ANSWER", wire.answer), ("AUTHORITY", wire.authority), ("ADDITIONAL", wire.additional)):
        if section:
            lines.append(f";; {title} SECTION:")
            lines += [format_rr(rr) for rr in section]
            lines.append("")
    lines += [
        f";; Query time: {query_time_ms} msec",
        f";; SERVER: {server}#{port}({server}) ({transport})",
        f";; WHEN: {_when_text(when)}",
        f";; MSG SIZE  rcvd: {wire.size}",
        "",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ToolOutput:
    """What a command prints and its exit status."""

    stdout: str
    exit_code: int


def dig(
    plugin: Answerer,
    name: str,
    qtype: str = "A",
    *,
    msg_id: int,
    when: datetime | float,
    **kwargs: object,
) -> ToolOutput:
    """`dig name qtype` against CoreDNS (no search list: dig never uses one by default)."""
    resp = plugin.query(fqdn(name), qtype.upper())
    kwargs.setdefault("args", name if qtype.upper() == "A" else f"{name} {qtype.upper()}")
    return ToolOutput(render_dig(resp, msg_id=msg_id, when=when, **kwargs), 0)  # type: ignore[arg-type]


def render_dig_unreachable(args: str, *, server: str = "10.96.0.10", port: int = 53, refused: bool = False,
                           version: str = DIG_VERSION) -> str:
    """dig (BIND 9.18) when no server answers: a communications error per try (three
    tries of a timeout, +tries=3; one for an ICMP port unreachable, which dig does not
    retry), then its greeting and `;; no servers could be reached` (exit status 9)."""
    err = f";; communications error to {server}#{port}: " + ("connection refused" if refused else "timed out")
    lines = [err] * (1 if refused else 3)
    lines += ["", f"; <<>> DiG {version} <<>> {args}", ";; global options: +cmd", ";; no servers could be reached"]
    return "\n".join(lines) + "\n"


NSLOOKUP_TIMED_OUT = ";; connection timed out; no servers could be reached\n\n"


def nslookup_unreachable(server: str, *, refused: bool = False) -> tuple[str, str]:
    """busybox nslookup when no server answers: (stdout, stderr); exit status 1. An ICMP
    port unreachable makes its next send fail, which it reports before giving up."""
    return NSLOOKUP_TIMED_OUT, (f"nslookup: write to '{server}': Connection refused\n" if refused else "")


# --------------------------------------------------------------------------- nslookup


def _ns_name(name: str) -> str:
    return name.rstrip(".") or "."


def _parse_reply(resp: DnsResponse, answer: tuple[RR, ...]) -> list[str]:
    """busybox parse_reply: one block per answer RR (non-authoritative note first)."""
    out: list[str] = []
    if not resp.aa:
        out.append("Non-authoritative answer:")
    for rr in answer:
        owner = _ns_name(rr.name)
        if rr.rtype in ("A", "AAAA"):
            out += [f"Name:\t{owner}", f"Address: {rr.rdata}"]
        elif rr.rtype == "CNAME":
            out.append(f"{owner}\tcanonical name = {_ns_name(rr.rdata)}")
        elif rr.rtype == "NS":
            out.append(f"{owner}\tnameserver = {_ns_name(rr.rdata)}")
        elif rr.rtype == "PTR":
            out.append(f"{owner}\tname = {_ns_name(rr.rdata)}")
        elif rr.rtype == "MX":
            pref, host = rr.rdata.split()
            out.append(f"{owner}\tmail exchanger = {pref} {_ns_name(host)}")
        elif rr.rtype == "SRV":
            prio, weight, port, target = rr.rdata.split()
            out.append(f"{owner}\tservice = {prio} {weight} {port} {_ns_name(target)}")
        elif rr.rtype == "TXT":
            out.append(f"{owner}\ttext = {rr.rdata}")
        elif rr.rtype == "SOA":
            mname, rname, serial, refresh, retry, expire, minimum = rr.rdata.split()
            out += [
                owner,
                f"\torigin = {_ns_name(mname)}",
                f"\tmail addr = {_ns_name(rname)}",
                f"\tserial = {serial}",
                f"\trefresh = {refresh}",
                f"\tretry = {retry}",
                f"\texpire = {expire}",
                f"\tminimum = {minimum}",
            ]
    return out


def render_nslookup(server: str, replies: list[tuple[str, DnsResponse]], port: int = 53) -> ToolOutput:
    """busybox nslookup output for `replies` [(query name as sent, reply)], in arrival order.

    Each reply is printed after a 512-byte plain-UDP truncation (busybox reads 512 bytes
    and sends no EDNS). Exit status 1 if any reply had a non-NOERROR rcode.
    """
    addr = f"[{server}]:{port}" if ":" in server else f"{server}:{port}"
    lines = [f"Server:\t\t{server}", f"Address:\t{addr}", ""]
    code = 0
    for name, resp in replies:
        if resp.rcode != NOERROR:
            lines.append(f"** server can't find {name}: {resp.rcode}")
            code = 1
        else:
            wire = scrub(resp, 512, edns=False)
            lines += _parse_reply(resp, wire.answer)
            if not wire.answer:
                lines.append(f"*** Can't find {name}: No answer")
        lines.append("")
    return ToolOutput("\n".join(lines) + "\n", code)


_NSLOOKUP_TYPES = ("SOA", "NS", "A", "AAAA", "CNAME", "MX", "TXT", "SRV", "PTR", "ANY")


def _make_ptr(text: str) -> str | None:
    ip = parse_ip(text)
    return None if ip is None else reverse_name(str(ip)).rstrip(".")


def nslookup_queries(name: str, resolv_conf: str | ResolvConf, qtypes: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The (name, type) queries busybox nslookup sends, in order.

    No type given: an IP becomes one PTR query; anything else A then AAAA. Search
    domains are appended only to names without any dot (add_query_with_search), and
    then the bare name is *not* tried -- why `nslookup kubernetes.default` fails in
    busybox pods while getaddrinfo finds it.
    """
    conf = resolv_conf if isinstance(resolv_conf, ResolvConf) else ResolvConf.parse(resolv_conf)
    search = [d for d in conf.search if d != "."]
    queries: list[tuple[str, str]] = []

    def add(qtype: str) -> None:
        if qtype == "PTR" or not search or "." in name:
            queries.append((name, qtype))
        else:
            queries.extend((f"{name}.{d}", qtype) for d in search)

    if not qtypes:
        ptr = _make_ptr(name)
        if ptr is not None:
            return [(ptr, "PTR")]
        add("A")
        add("AAAA")
    else:
        for t in _NSLOOKUP_TYPES:
            if t in {q.upper() for q in qtypes}:
                add(t)
    return queries


def nslookup(
    name: str,
    resolv_conf: str | ResolvConf,
    plugin: Answerer,
    qtypes: tuple[str, ...] = (),
    server: str | None = None,
) -> ToolOutput:
    """`nslookup [-type=T] name` in a busybox pod whose resolv.conf is `resolv_conf`."""
    conf = resolv_conf if isinstance(resolv_conf, ResolvConf) else ResolvConf.parse(resolv_conf)
    server = server or (conf.nameservers[0] if conf.nameservers else "127.0.0.1")
    replies = [(q, plugin.query(fqdn(q), t)) for q, t in nslookup_queries(name, conf, qtypes)]
    return render_nslookup(server, replies)


__all__ = [
    "NSLOOKUP_TIMED_OUT",
    "nslookup_unreachable",
    "render_dig_unreachable",
    "DEFAULT_COOKIE",
    "DIG_VERSION",
    "ToolOutput",
    "dig",
    "format_question",
    "format_rr",
    "nslookup",
    "nslookup_queries",
    "render_dig",
    "render_nslookup",
]
