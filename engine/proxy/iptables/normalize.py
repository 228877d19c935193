"""One rule as ``iptables-save`` prints it: the kernel's canonical form of what kube-proxy wrote.

The kernel keeps rules in binary form; ``iptables-save`` prints them back in a canonical
shape that differs from what kube-proxy wrote (verified against iptables 1.8.9):

* address, interface and protocol matches come first (``! -s``, ``-d``, ``-i``, ``-o``,
  ``-p``), then the ``-m`` matches in the order given, then ``-j`` and its options;
* host addresses get a prefix length (``/32``, ``/128``);
* strings are printed with ``xtables_save_string``: bare when only ``[A-Za-z0-9_-]``,
  double-quoted otherwise (so every kube-proxy comment ends up quoted);
* extensions print their own canonical options: ``MARK --or-mark X`` becomes
  ``--set-xmark X/X``, ``recent`` gains ``--mask``/``--rsource``, ``statistic``
  prints the probability the kernel stored (31-bit fixed point) with 11 decimals,
  ``REJECT`` gains its default ``--reject-with``, ``nfacct`` prints two spaces.

A leaf module: the tables (:mod:`engine.proxy.iptables.netfilter`, whose ``iptables -C``
compares rules in this form) and the save text (:mod:`engine.proxy.iptables.save`) both
use :func:`normalize_rule`.
"""
from __future__ import annotations

import ipaddress
import math
import re
from functools import lru_cache

_NO_QUOTE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CT_STATES = ("INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT")
_PROTO_NAMES = {"6": "tcp", "17": "udp", "132": "sctp", "1": "icmp", "58": "ipv6-icmp"}
_REJECT_ALIASES_V4 = {
    "icmp-net-unreachable": "icmp-net-unreachable", "net-unreach": "icmp-net-unreachable",
    "icmp-host-unreachable": "icmp-host-unreachable", "host-unreach": "icmp-host-unreachable",
    "icmp-proto-unreachable": "icmp-proto-unreachable", "proto-unreach": "icmp-proto-unreachable",
    "icmp-port-unreachable": "icmp-port-unreachable", "port-unreach": "icmp-port-unreachable",
    "icmp-net-prohibited": "icmp-net-prohibited", "net-prohib": "icmp-net-prohibited",
    "icmp-host-prohibited": "icmp-host-prohibited", "host-prohib": "icmp-host-prohibited",
    "icmp-admin-prohibited": "icmp-admin-prohibited", "admin-prohib": "icmp-admin-prohibited",
    "tcp-reset": "tcp-reset", "tcp-rst": "tcp-reset",
}
_REJECT_ALIASES_V6 = {
    "icmp6-no-route": "icmp6-no-route", "no-route": "icmp6-no-route",
    "icmp6-adm-prohibited": "icmp6-adm-prohibited", "adm-prohibited": "icmp6-adm-prohibited",
    "icmp6-addr-unreachable": "icmp6-addr-unreachable", "addr-unreach": "icmp6-addr-unreachable",
    "icmp6-port-unreachable": "icmp6-port-unreachable", "port-unreach": "icmp6-port-unreachable",
    "tcp-reset": "tcp-reset",
}

# Options of the matches kube-proxy uses, with their argument counts.
_MATCH_OPTS: dict[str, dict[str, int]] = {
    "comment": {"--comment": 1},
    "tcp": {"--dport": 1, "--destination-port": 1, "--sport": 1, "--source-port": 1,
            "--tcp-flags": 2, "--syn": 0, "--tcp-option": 1},
    "udp": {"--dport": 1, "--destination-port": 1, "--sport": 1, "--source-port": 1},
    "sctp": {"--dport": 1, "--destination-port": 1, "--sport": 1, "--source-port": 1,
             "--chunk-types": 2},
    "addrtype": {"--src-type": 1, "--dst-type": 1, "--limit-iface-in": 0, "--limit-iface-out": 0},
    "conntrack": {"--ctstate": 1, "--ctproto": 1, "--ctorigsrc": 1, "--ctorigdst": 1,
                  "--ctstatus": 1, "--ctdir": 1},
    "state": {"--state": 1},
    "mark": {"--mark": 1},
    "statistic": {"--mode": 1, "--probability": 1, "--every": 1, "--packet": 1},
    "recent": {"--name": 1, "--set": 0, "--rcheck": 0, "--update": 0, "--remove": 0,
               "--seconds": 1, "--reap": 0, "--hitcount": 1, "--rttl": 0, "--mask": 1,
               "--rsource": 0, "--rdest": 0},
    "nfacct": {"--nfacct-name": 1},
    "set": {"--match-set": 2, "--return-nomatch": 0},
}
_TARGET_OPTS: dict[str, dict[str, int]] = {
    "DNAT": {"--to-destination": 1, "--random": 0, "--persistent": 0},
    "SNAT": {"--to-source": 1, "--random": 0, "--random-fully": 0, "--persistent": 0},
    "MASQUERADE": {"--to-ports": 1, "--random": 0, "--random-fully": 0},
    "MARK": {"--set-xmark": 1, "--set-mark": 1, "--and-mark": 1, "--or-mark": 1, "--xor-mark": 1},
    "REJECT": {"--reject-with": 1},
}
_PORT_MATCHES = ("tcp", "udp", "sctp")


def save_string(value: str) -> str:
    """``xtables_save_string``: the leading space, then bare or quoted-and-escaped."""
    if value and all(c in _NO_QUOTE for c in value):
        return " " + value
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")
    return f' "{out}"'


#: One argument of a rule with no backslash in it: runs of plain characters and quoted
#: parts (a quote left open runs to the end), the quotes themselves dropped.
_ARG = re.compile(r'(?:[^\s"]+|"[^"]*"?)+')


def split_args(spec: str) -> list[str]:
    """Split a rule the way iptables-restore does: whitespace, double quotes grouping (in
    them a backslash escapes the next character). A rule with no backslash -- every rule
    kube-proxy writes -- is split by `str.split` or one regular expression, in C: the `/`
    filter over a 10,000-Service node's 470,000 rules normalizes every one of them."""
    if "\\" not in spec:
        if '"' not in spec:
            return spec.split()
        return [a.replace('"', "") for a in _ARG.findall(spec)]
    return _split_escaped(spec)


def _split_escaped(spec: str) -> list[str]:
    """`split_args` of a rule with backslashes, character by character."""
    args: list[str] = []
    cur: list[str] = []
    quoted = False
    have = False
    i = 0
    while i < len(spec):
        c = spec[i]
        if quoted and c == "\\" and i + 1 < len(spec):
            cur.append(spec[i + 1])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
            have = True
        elif c.isspace() and not quoted:
            if have:
                args.append("".join(cur))
                cur, have = [], False
        else:
            cur.append(c)
            have = True
        i += 1
    if have:
        args.append("".join(cur))
    return args


def _addr(value: str, family: str) -> str:
    """An address match as the kernel stores it: masked, with a prefix length."""
    addr, _, mask = value.partition("/")
    if mask in ("", "32") and _plain_ipv4(addr):
        return f"{addr}/32"  # (a host address as kube-proxy writes them: already as stored)
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return value  # a hostname: iptables would resolve it; keep it as written
    bits = ip.max_prefixlen
    if mask:
        if mask.isdigit():
            bits = int(mask)
        else:
            try:
                bits = ipaddress.ip_network(f"0.0.0.0/{mask}").prefixlen
            except ValueError:
                return value
    net = ipaddress.ip_network(f"{ip}/{bits}", strict=False)
    return f"{net.network_address}/{bits}"


def _plain_ipv4(addr: str) -> bool:
    """A dotted quad as `ipaddress` prints it (no leading zeros): its own canonical form,
    known without parsing it into an object (half of normalizing a rule took that)."""
    parts = addr.split(".")
    return len(parts) == 4 and all(p.isascii() and p.isdigit() and (p == "0" or p[0] != "0") and int(p) <= 255
                                   for p in parts)


def _parse_mark(value: str) -> tuple[int, int | None]:
    v, _, m = value.partition("/")
    return int(v, 0), (int(m, 0) if m else None)


def _probability(value: str) -> str:
    stored = math.floor(float(value) * 0x80000000 + 0.5)  # lround(), p >= 0
    return "%.11f" % (stored / 0x80000000)


class _Match:
    __slots__ = ("name", "opts")

    def __init__(self, name: str):
        self.name = name
        self.opts: list[tuple[str, list[str], bool]] = []  # (option, args, inverted)

    def get(self, *names: str) -> tuple[list[str], bool] | None:
        for opt, args, inv in self.opts:
            if opt in names:
                return args, inv
        return None

    def has(self, name: str) -> bool:
        return self.get(name) is not None


def _neg(inv: bool) -> str:
    return " !" if inv else ""


def _save_match(m: _Match, family: str) -> str:
    out = [" -m ", m.name]
    n = m.name
    if n == "comment":
        g = m.get("--comment")
        if g:
            out.append(" --comment" + save_string(g[0][0]))
    elif n in _PORT_MATCHES:
        for names, flag in ((("--sport", "--source-port"), "--sport"),
                            (("--dport", "--destination-port"), "--dport")):
            g = m.get(*names)
            if g:
                out.append(f"{_neg(g[1])} {flag} {g[0][0]}")
        known = {"--sport", "--source-port", "--dport", "--destination-port"}
        for opt, args, inv in m.opts:
            if opt not in known:
                out.append(f"{_neg(inv)} {opt}" + "".join(" " + a for a in args))
    elif n == "addrtype":
        for opt in ("--src-type", "--dst-type"):
            g = m.get(opt)
            if g:
                out.append(f"{_neg(g[1])} {opt} {g[0][0]}")
        for opt in ("--limit-iface-in", "--limit-iface-out"):
            if m.has(opt):
                out.append(f" {opt}")
    elif n == "conntrack":
        for opt, args, inv in m.opts:
            if opt == "--ctstate":
                states = set(args[0].split(","))
                out.append(f"{_neg(inv)} --ctstate " + ",".join(s for s in _CT_STATES if s in states))
            else:
                out.append(f"{_neg(inv)} {opt}" + "".join(" " + a for a in args))
    elif n == "mark":
        g = m.get("--mark")
        if g:
            mark, mask = _parse_mark(g[0][0])
            if mask is None or mask == 0xFFFFFFFF:
                out.append(f"{_neg(g[1])} --mark 0x{mark:x}")
            else:
                out.append(f"{_neg(g[1])} --mark 0x{mark:x}/0x{mask:x}")
    elif n == "statistic":
        mode = m.get("--mode")
        if mode and mode[0][0] == "random":
            p = m.get("--probability")
            out.append(f" --mode random{' !' if p and p[1] else ''} --probability {_probability(p[0][0] if p else '1')}")
        elif mode:
            every = m.get("--every")
            packet = m.get("--packet")
            out.append(f" --mode nth --every {every[0][0] if every else 1} --packet {packet[0][0] if packet else 0}")
    elif n == "recent":
        inv = any(i for _, _, i in m.opts)
        if inv:
            out.append(" !")
        for opt in ("--set", "--rcheck", "--update", "--remove"):
            if m.has(opt):
                out.append(f" {opt}")
        g = m.get("--seconds")
        if g and int(g[0][0]):
            out.append(f" --seconds {int(g[0][0])}")
        if m.has("--reap"):
            out.append(" --reap")
        g = m.get("--hitcount")
        if g and int(g[0][0]):
            out.append(f" --hitcount {int(g[0][0])}")
        if m.has("--rttl"):
            out.append(" --rttl")
        g = m.get("--name")
        out.append(f" --name {g[0][0] if g else 'DEFAULT'}")
        g = m.get("--mask")
        if family == "IPv6":
            mask = str(ipaddress.IPv6Address(g[0][0])) if g else "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        else:
            mask = str(ipaddress.IPv4Address(g[0][0])) if g else "255.255.255.255"
        out.append(f" --mask {mask}")
        out.append(" --rdest" if m.has("--rdest") else " --rsource")
    elif n == "nfacct":
        g = m.get("--nfacct-name")
        if g:
            out.append(" --nfacct-name " + save_string(g[0][0]))
    else:
        for opt, args, inv in m.opts:
            out.append(f"{_neg(inv)} {opt}" + "".join(" " + a for a in args))
    return "".join(out)


def _save_target(name: str, opts: list[tuple[str, list[str], bool]], family: str) -> str:
    get = {o: a for o, a, _ in opts}
    if name == "MARK":
        if "--set-xmark" in get or "--set-mark" in get:
            key = "--set-xmark" if "--set-xmark" in get else "--set-mark"
            mark, mask = _parse_mark(get[key][0])
            mask = 0xFFFFFFFF if mask is None else mask
        elif "--or-mark" in get:
            mark = mask = int(get["--or-mark"][0], 0)
        elif "--xor-mark" in get:
            mark, mask = int(get["--xor-mark"][0], 0), 0
        elif "--and-mark" in get:
            mark, mask = 0, (~int(get["--and-mark"][0], 0)) & 0xFFFFFFFF
        else:
            mark, mask = 0, 0xFFFFFFFF
        return f" -j MARK --set-xmark 0x{mark:x}/0x{mask:x}"
    if name == "REJECT":
        aliases = _REJECT_ALIASES_V6 if family == "IPv6" else _REJECT_ALIASES_V4
        default = "icmp6-port-unreachable" if family == "IPv6" else "icmp-port-unreachable"
        w = get.get("--reject-with", [default])[0]
        return f" -j REJECT --reject-with {aliases.get(w, w)}"
    if name == "MASQUERADE":
        s = " -j MASQUERADE"
        if "--to-ports" in get:
            s += f" --to-ports {get['--to-ports'][0]}"
        if "--random" in get:
            s += " --random"
        if "--random-fully" in get:
            s += " --random-fully"
        return s
    if name in ("DNAT", "SNAT"):
        key = "--to-destination" if name == "DNAT" else "--to-source"
        s = f" -j {name}"
        if key in get:
            s += f" {key} {get[key][0]}"
        for flag in ("--random", "--random-fully", "--persistent"):
            if flag in get:
                s += f" {flag}"
        return s
    return f" -j {name}" + "".join(f"{_neg(inv)} {o}" + "".join(" " + a for a in args) for o, args, inv in opts)


@lru_cache(maxsize=1 << 18)
def normalize_rule(spec: str, family: str = "IPv4") -> str:
    """The part of an ``iptables-save`` line after ``-A CHAIN`` for a restore-syntax rule.

    ``spec`` is what kube-proxy wrote after ``-A CHAIN``; the result starts with a space
    (or is empty for a rule with no matches and no target).
    """
    args = split_args(spec)
    src = dst = iif = oif = proto = None
    matches: list[_Match] = []
    target: str | None = None
    topts: list[tuple[str, list[str], bool]] = []
    neg = False
    i, n = 0, len(args)
    while i < n:
        a = args[i]
        if a == "!":
            neg = True
            i += 1
            continue
        nxt = args[i + 1] if i + 1 < n else ""
        if a in ("-s", "--source", "--src"):
            src, i = (_addr(nxt, family), neg), i + 2
        elif a in ("-d", "--destination", "--dst"):
            dst, i = (_addr(nxt, family), neg), i + 2
        elif a in ("-i", "--in-interface"):
            iif, i = (nxt, neg), i + 2
        elif a in ("-o", "--out-interface"):
            oif, i = (nxt, neg), i + 2
        elif a in ("-p", "--protocol"):
            proto, i = (_PROTO_NAMES.get(nxt, nxt.lower()), neg), i + 2
        elif a in ("-m", "--match"):
            matches.append(_Match(nxt))
            i += 2
        elif a in ("-j", "--jump", "-g", "--goto"):
            target, i = nxt, i + 2
        elif a.startswith("-"):
            arity = None
            owner: _Match | None = None
            if target is not None:
                arity = _TARGET_OPTS.get(target, {}).get(a)
            else:
                for m in reversed(matches):
                    if a in _MATCH_OPTS.get(m.name, {}):
                        owner, arity = m, _MATCH_OPTS[m.name][a]
                        break
                if owner is None and proto is not None and proto[0] in _PORT_MATCHES \
                        and a in _MATCH_OPTS[proto[0]]:
                    owner = _Match(proto[0])  # iptables loads the protocol match implicitly
                    matches.append(owner)
                    arity = _MATCH_OPTS[proto[0]][a]
                if owner is None and matches:
                    owner = matches[-1]
            j = i + 1
            vals: list[str] = []
            if arity is None:
                while j < n and not (args[j].startswith("-") and len(args[j]) > 1) and args[j] != "!":
                    vals.append(args[j])
                    j += 1
            else:
                vals = args[j:j + arity]
                j += arity
            if target is not None:
                topts.append((a, vals, neg))
            elif owner is not None:
                owner.opts.append((a, vals, neg))
            i = j
        else:
            i += 1  # stray word: iptables would reject the rule; ignore it here
        neg = False
    out = []
    if src:
        out.append(f"{_neg(src[1])} -s {src[0]}")
    if dst:
        out.append(f"{_neg(dst[1])} -d {dst[0]}")
    if iif:
        out.append(f"{_neg(iif[1])} -i {iif[0]}")
    if oif:
        out.append(f"{_neg(oif[1])} -o {oif[0]}")
    if proto and proto[0] != "all":
        out.append(f"{_neg(proto[1])} -p {proto[0]}")
    out.extend(_save_match(m, family) for m in matches)
    if target is not None:
        out.append(_save_target(target, topts, family))
    return "".join(out)
