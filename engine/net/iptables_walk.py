"""Walk a packet through a node's iptables rules, rule by rule, as netfilter would.

The rules walked are parsed from the very `iptables-save` text `svcflow proxy-rules`
prints, so a trace and the rules pane can never disagree. Matches kube-proxy uses are
understood (-s/-d with negation, -p, --dport, addrtype LOCAL, statistic random with its
probability, recent for ClientIP affinity, mark, conntrack NEW); targets jump, RETURN,
DNAT, MARK, REJECT, DROP, ACCEPT, MASQUERADE. Randomness comes from the caller's seeded
generator, so a deterministic run picks the same endpoints every time.
"""
from __future__ import annotations

import ipaddress
import random
import re
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Rule:
    table: str
    chain: str
    text: str
    tokens: tuple[str, ...]


@dataclass
class Evaluated:
    table: str
    chain: str
    rule: str
    matched: bool
    note: str = ""


@dataclass
class Packet:
    src: str
    dst: str
    proto: str  # tcp/udp/sctp
    dport: int
    local_dst: bool = False  # dst is one of the node's own addresses
    mark: int = 0
    local_src: bool = False  # src is one of the node's own addresses (a process on the node, not a pod)


@dataclass
class WalkResult:
    evaluated: list[Evaluated] = field(default_factory=list)
    dnat: tuple[str, int] | None = None
    verdict: str = "ACCEPT"  # ACCEPT | REJECT | DROP
    masquerade: bool = False

    @property
    def count(self) -> int:
        return len(self.evaluated)


#: A word of an iptables-save line: a double-quoted string (iptables quotes a comment with
#: spaces and escapes `"` and `\\` in it, xtables_save_string) or a run of non-blanks.
_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
_ESCAPE = re.compile(r"\\(.)")


def save_words(line: str) -> tuple[str, ...]:
    """The words of one iptables-save rule, quotes removed, as the shell would split them.

    A regular expression, not `shlex`: a trace after `generate services 5000` parses every
    rule of a node (tens of thousands of lines), and shlex's per-character loop took
    seconds of it."""
    if '"' not in line:
        return tuple(line.split())
    words = []
    for m in _WORD.finditer(line):
        quoted = m.group(1)
        words.append(m.group(2) if quoted is None else _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted)
    return tuple(words)


def parse_save(text: str) -> dict[str, dict[str, list[Rule]]]:
    """tables -> chains -> rules, from iptables-save output."""
    tables: dict[str, dict[str, list[Rule]]] = {}
    table = ""
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:]
            tables.setdefault(table, {})
        elif line.startswith(":"):
            tables[table].setdefault(line[1:].split()[0], [])
        elif line.startswith("-A "):
            toks = save_words(line)
            tables[table].setdefault(toks[1], []).append(Rule(table, toks[1], line, toks))
    return tables


def _in(ip: str, net: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(net, strict=False)
    except ValueError:
        return False


class RecentTable:
    """xt_recent lists (ClientIP session affinity): name -> source ip -> (dest, time)."""

    def __init__(self) -> None:
        self.lists: dict[str, dict[str, float]] = {}


class Walker:
    def __init__(self, tables: dict[str, dict[str, list[Rule]]], rng: random.Random,
                 now: Callable[[], float] = lambda: 0.0, recent: RecentTable | None = None) -> None:
        self.tables = tables
        self.rng = rng
        self.now = now
        self.recent = recent or RecentTable()

    def _match(self, rule: Rule, pkt: Packet, res: WalkResult) -> tuple[bool, str]:
        t = rule.tokens
        i, neg, note = 2, False, ""
        while i < len(t):
            tok = t[i]
            if tok == "!":
                neg = True
                i += 1
                continue
            ok = True
            if tok == "-s":
                ok, i = _in(pkt.src, t[i + 1]), i + 2
            elif tok == "-d":
                ok, i = _in(pkt.dst, t[i + 1]), i + 2
            elif tok == "-p":
                ok, i = pkt.proto == t[i + 1], i + 2
            elif tok == "--dport":
                ok, i = pkt.dport == int(t[i + 1]), i + 2
            elif tok == "--dst-type":
                ok, i = (t[i + 1] == "LOCAL") == (pkt.local_dst or _in(pkt.dst, "127.0.0.0/8")), i + 2
            elif tok == "--src-type":
                ok, i = (t[i + 1] == "LOCAL") == (pkt.local_src or _in(pkt.src, "127.0.0.0/8")), i + 2
            elif tok == "--probability":
                p = float(t[i + 1])
                draw = self.rng.random()
                ok, i = draw < p, i + 2
                note = f"random {draw:.3f} {'<' if ok else '>='} {p}"
            elif tok == "--mark":
                val, _, mask = t[i + 1].partition("/")
                m = int(mask or "0xffffffff", 16)
                ok, i = (pkt.mark & m) == int(val, 16) & m, i + 2
            elif tok == "--ctstate":
                ok, i = "NEW" in t[i + 1].split(","), i + 2
            elif tok == "--rcheck":
                name = t[t.index("--name") + 1] if "--name" in t else "DEFAULT"
                secs = float(t[t.index("--seconds") + 1]) if "--seconds" in t else 1e18
                seen = self.recent.lists.get(name, {}).get(pkt.src)
                ok = seen is not None and self.now() - seen <= secs
                note = "affinity hit" if ok else "no affinity yet"
                i += 1
            elif tok == "--set" and "-m" in t and "recent" in t:
                name = t[t.index("--name") + 1] if "--name" in t else "DEFAULT"
                self.recent.lists.setdefault(name, {})[pkt.src] = self.now()
                i += 1
            elif tok == "-j":
                break
            elif tok in ("-m", "--comment", "--mode", "--nfacct-name", "--name", "--seconds", "--mask",
                         "--rsource", "--set-xmark", "--reject-with", "--to-destination", "--to-ports"):
                i += 2 if tok not in ("--rsource",) else 1
                continue
            else:
                i += 1
                continue
            if neg:
                ok, neg = not ok, False
            if not ok:
                return False, note
        return True, note

    def walk_chain(self, table: str, chain: str, pkt: Packet, res: WalkResult, depth: int = 0) -> str | None:
        """Returns a terminal verdict (DNAT/ACCEPT/REJECT/DROP) or None to fall through."""
        for rule in self.tables.get(table, {}).get(chain, []):
            matched, note = self._match(rule, pkt, res)
            res.evaluated.append(Evaluated(table, chain, rule.text, matched, note))
            if not matched:
                continue
            t = rule.tokens
            target = t[t.index("-j") + 1] if "-j" in t else None
            if target is None:
                continue
            if target == "RETURN":
                return None
            if target == "MARK":
                if "--set-xmark" in t:
                    val, _, mask = t[t.index("--set-xmark") + 1].partition("/")
                    m = int(mask or "0xffffffff", 16)
                    pkt.mark = (pkt.mark & ~m) | (int(val, 16) & m)
                elif "--or-mark" in t:
                    pkt.mark |= int(t[t.index("--or-mark") + 1], 16)
                continue
            if target == "DNAT":
                dest = t[t.index("--to-destination") + 1]
                ip, _, port = dest.rpartition(":")
                res.dnat = (ip.strip("[]"), int(port))
                return "DNAT"
            if target in ("REJECT", "DROP", "ACCEPT"):
                return target
            if target == "MASQUERADE":
                res.masquerade = True
                return "ACCEPT"
            if depth < 32:
                v = self.walk_chain(table, target, pkt, res, depth + 1)
                if v is not None:
                    return v
        return None

    def route(self, pkt: Packet, *, hook: str = "PREROUTING") -> WalkResult:
        """nat (PREROUTING or OUTPUT) then filter (INPUT when the packet stays on the
        node, FORWARD or OUTPUT otherwise), then nat POSTROUTING for masquerading."""
        res = WalkResult()
        v = self.walk_chain("nat", hook, pkt, res)
        if v == "DNAT" and res.dnat is not None:
            pkt = Packet(pkt.src, res.dnat[0], pkt.proto, res.dnat[1], False, pkt.mark, pkt.local_src)
        if hook == "OUTPUT":
            fchain = "OUTPUT"
        else:
            fchain = "INPUT" if pkt.local_dst and res.dnat is None else "FORWARD"
        fv = self.walk_chain("filter", fchain, pkt, res)
        if fv in ("REJECT", "DROP"):
            res.verdict = fv
            return res
        self.walk_chain("nat", "POSTROUTING", pkt, res)
        res.verdict = "ACCEPT"
        return res
