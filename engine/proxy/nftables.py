"""kube-proxy's nftables mode, as a pure renderer of what a real node would show.

This follows ``pkg/proxy/nftables/proxier.go`` of Kubernetes v1.33 (``setupNFTables``,
``syncProxyRules``, ``writeServiceToEndpointRules``, the chain-name helpers and the
``nftElementStorage`` bookkeeping).  v1.33 is the last release with the original base
chain layout (``filter-prerouting``/``-input``/``-forward``/``-output`` at priority
``dstnat - 10`` plus ``filter-output-post-dnat`` at ``dstnat + 10``; v1.34 reorganised
them, kubernetes#132456) and with ``tcp dport N`` in the service chain's masquerade rule
(dropped in v1.34, kubernetes#131492).

Everything lives in one table, ``ip kube-proxy`` (``ip6`` for IPv6).  kube-proxy builds
one knftables transaction per sync; :class:`NFTablesProxier` replays it against a small
model of the kernel table (chains, sets, maps, elements, with the kernel's creation
order), and renders that model two ways:

* :meth:`NFTablesProxier.list_table` — exactly ``nft list table ip kube-proxy``: sets and
  maps first, then chains, each in creation order; tabs for indentation; elements
  sorted and wrapped the way ``nft`` does it; rules in nft's normalised spelling
  (``meta mark set meta mark | 0x00004000``...).
* :meth:`NFTablesProxier.dump` — the ``knftables.Fake.Dump()`` form that upstream's
  ``proxier_test.go`` compares against (``add chain ...``/``add rule ...`` lines).

:meth:`NFTablesProxier.lookup` walks a new connection through the hooks and chains like
the kernel would (a verdict-map lookup is one rule evaluation), so a traffic simulator
can route packets and count the work done.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import random
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from engine.proxy.config import ProxierConfig
from engine.proxy.ipnet import cidr_contains, cidr_string, parse_cidr_sloppy, parse_ip_sloppy
from engine.proxy.ipvs import LookupResult, build_endpoints_index_steps, collect_service_ports_steps, endpoints_for
from engine.proxy.model import Endpoint, ServicePort, categorize_endpoints
from engine.proxy.nodeports import NodePortAddresses
from engine.proxy.steps import OPS_PER_STEP, SERVICES_PER_STEP, Steps, drain

KUBE_PROXY_TABLE = "kube-proxy"

# base chains
FILTER_PREROUTING = "filter-prerouting"
FILTER_INPUT = "filter-input"
FILTER_FORWARD = "filter-forward"
FILTER_OUTPUT = "filter-output"
FILTER_OUTPUT_POST_DNAT = "filter-output-post-dnat"
NAT_PREROUTING = "nat-prerouting"
NAT_OUTPUT = "nat-output"
NAT_POSTROUTING = "nat-postrouting"
# service dispatch
SERVICES_CHAIN = "services"
SERVICE_IPS_MAP = "service-ips"
SERVICE_NODEPORTS_MAP = "service-nodeports"
NODEPORT_IPS_SET = "nodeport-ips"
CLUSTER_IPS_SET = "cluster-ips"
# no-endpoint handling
SERVICE_ENDPOINTS_CHECK = "service-endpoints-check"
NODEPORT_ENDPOINTS_CHECK = "nodeport-endpoints-check"
NO_ENDPOINT_SERVICES_MAP = "no-endpoint-services"
NO_ENDPOINT_NODEPORTS_MAP = "no-endpoint-nodeports"
REJECT_CHAIN = "reject-chain"
CLUSTER_IPS_CHECK = "cluster-ips-check"
# LoadBalancerSourceRanges
FIREWALL_IPS_MAP = "firewall-ips"
FIREWALL_CHECK = "firewall-check"
# masquerading
MARK_MASQ_CHAIN = "mark-for-masquerade"
MASQUERADING_CHAIN = "masquerading"

# (name, type, hook, priority): DNATPriority is -100, SNATPriority 100
BASE_CHAINS: tuple[tuple[str, str, str, int], ...] = (
    (FILTER_PREROUTING, "filter", "prerouting", -110),
    (FILTER_INPUT, "filter", "input", -110),
    (FILTER_FORWARD, "filter", "forward", -110),
    (FILTER_OUTPUT, "filter", "output", -110),
    (FILTER_OUTPUT_POST_DNAT, "filter", "output", -90),
    (NAT_PREROUTING, "nat", "prerouting", -100),
    (NAT_OUTPUT, "nat", "output", -100),
    (NAT_POSTROUTING, "nat", "postrouting", 100),
)
# knftables spells the priorities symbolically in the transaction
_PRIORITY_SPELLING = {(-110, "filter"): "dstnat-10", (-90, "filter"): "dstnat+10",
                      (-100, "nat"): "dstnat", (100, "nat"): "srcnat"}

# nftablesJumpChains: (destination chain, source chain, extra match)
JUMP_CHAINS: tuple[tuple[str, str, str], ...] = (
    (NODEPORT_ENDPOINTS_CHECK, FILTER_INPUT, "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, FILTER_INPUT, "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, FILTER_FORWARD, "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, FILTER_OUTPUT, "ct state new"),
    (FIREWALL_CHECK, FILTER_PREROUTING, "ct state new"),
    (FIREWALL_CHECK, FILTER_OUTPUT, "ct state new"),
    (SERVICES_CHAIN, NAT_OUTPUT, ""),
    (SERVICES_CHAIN, NAT_PREROUTING, ""),
    (MASQUERADING_CHAIN, NAT_POSTROUTING, ""),
    (CLUSTER_IPS_CHECK, FILTER_FORWARD, "ct state new"),
    (CLUSTER_IPS_CHECK, FILTER_OUTPUT_POST_DNAT, "ct state new"),
)

# Maximum length for a chain-name prefix ("endpoint-" etc.), and of the part after it.
CHAIN_NAME_PREFIX_LENGTH_MAX = 16
NAME_LENGTH_MAX = 256  # knftables.NameLengthMax
CHAIN_NAME_BASE_LENGTH_MAX = NAME_LENGTH_MAX - CHAIN_NAME_PREFIX_LENGTH_MAX

SERVICE_PREFIX = "service-"
LOCAL_PREFIX = "local-"
EXTERNAL_PREFIX = "external-"
ENDPOINT_PREFIX = "endpoint-"
AFFINITY_PREFIX = "affinity-"
FIREWALL_PREFIX = "firewall-"

IPPROTO = {"tcp": 6, "udp": 17, "sctp": 132}


# ---------------------------------------------------------------------- chain names

def hash_and_truncate(name: str) -> str:
    """``hashAndTruncate``: 8 base32 characters of sha256(name), a dash, the name, cut
    to 240 characters with a ``...`` marker (never reached for valid API names)."""
    # (base32 takes 5 bytes to 8 characters: the first 5 bytes of the digest are its first 8)
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()[:5]).decode()
    name = digest + "-" + name
    if len(name) > CHAIN_NAME_BASE_LENGTH_MAX:
        name = name[:CHAIN_NAME_BASE_LENGTH_MAX - 3] + "..."
    return name


def service_port_chain_base(namespace: str, name: str, protocol: str, port_name: str) -> str:
    """``servicePortChainNameBase``: e.g. ``ULMVA6XW-ns1/svc1/tcp/p80``."""
    return hash_and_truncate(f"{namespace}/{name}/{protocol.lower()}/{port_name}")


def service_port_endpoint_chain_base(namespace: str, name: str, protocol: str, port_name: str,
                                     ep_ip: str, ep_port: int) -> str:
    """``servicePortEndpointChainNameBase``: e.g. ``5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80``;
    IPv6 colons become dots because nft chain names cannot hold ``:``."""
    ip = ep_ip.replace(":", ".")
    return hash_and_truncate(f"{namespace}/{name}/{protocol.lower()}/{port_name}__{ip}/{ep_port}")


def is_service_chain_name(chain: str) -> bool:
    return "/" in chain


def is_affinity_set_name(name: str) -> bool:
    return name.startswith(AFFINITY_PREFIX)


@dataclass(frozen=True)
class ChainNames:
    """The per-service-port chain names (``servicePortInfo``)."""

    cluster: str
    local: str
    external: str
    firewall: str

    @classmethod
    def of(cls, sp: ServicePort) -> "ChainNames":
        base = service_port_chain_base(sp.namespace, sp.name, sp.proto, sp.port_name)
        return cls(SERVICE_PREFIX + base, LOCAL_PREFIX + base, EXTERNAL_PREFIX + base, FIREWALL_PREFIX + base)


def endpoint_names(sp: ServicePort, ep: Endpoint) -> tuple[str, str]:
    """(endpoint chain, affinity set) for one endpoint of one service port."""
    base = service_port_endpoint_chain_base(sp.namespace, sp.name, sp.proto, sp.port_name, ep.ip, ep.port)
    return ENDPOINT_PREFIX + base, AFFINITY_PREFIX + base


class _EndpointNames:
    """`endpoint_names` of one service port's endpoints, each hashed once per sync (a sync
    names an endpoint's chain three times; 100,000 sha256 at 10,000 Services)."""

    def __init__(self, sp: ServicePort) -> None:
        self.sp = sp
        self._names: dict[str, tuple[str, str]] = {}

    def __call__(self, ep: Endpoint) -> tuple[str, str]:
        names = self._names.get(ep.key)
        if names is None:
            names = self._names[ep.key] = endpoint_names(self.sp, ep)
        return names


# -------------------------------------------------------------------- table model

@dataclass(frozen=True)
class NftRule:
    """One rule: kube-proxy's text, nft's printed form, and ops for :meth:`lookup`."""

    text: str
    listing: str
    comment: str | None = None
    ops: tuple = ()


@dataclass
class NftChain:
    name: str
    type: str | None = None
    hook: str | None = None
    priority: int | None = None
    comment: str | None = None
    rules: list[NftRule] = field(default_factory=list)

    @property
    def is_base(self) -> bool:
        return self.hook is not None


@dataclass(frozen=True)
class NftElement:
    key: tuple[str, ...]
    value: str | None = None
    comment: str | None = None


@dataclass
class NftSet:
    """A named set or verdict map (nft keeps both in one list, in creation order)."""

    name: str
    type: str
    is_map: bool = False
    comment: str | None = None
    flags: tuple[str, ...] = ()
    timeout: int | None = None  # seconds
    elements: dict[tuple[str, ...], NftElement] = field(default_factory=dict)
    dynamic: dict[str, None] = field(default_factory=dict)  # entries added by `update @set`

    @property
    def key_types(self) -> list[str]:
        return [t.strip() for t in self.type.split(":")[0].split(".")]


@dataclass
class NftTable:
    family: str = "ip"
    name: str = KUBE_PROXY_TABLE
    comment: str | None = None
    exists: bool = False
    chains: dict[str, NftChain] = field(default_factory=dict)
    sets: dict[str, NftSet] = field(default_factory=dict)


class Transaction:
    """A knftables transaction: operations applied in order, all-or-nothing.

    ``text()`` gives the nft input knftables would write (roughly ``tx.String()``).
    """

    def __init__(self, family: str, table: str = KUBE_PROXY_TABLE):
        self.family = family
        self.table = table
        self.ops: list[tuple] = []

    def _p(self) -> str:
        return f"{self.family} {self.table}"

    # chains
    def add_table(self, comment: str) -> None:
        self.ops.append(("add_table", comment))

    def add_chain(self, name: str, type_: str | None = None, hook: str | None = None,
                  priority: int | None = None, comment: str | None = None) -> None:
        self.ops.append(("add_chain", name, type_, hook, priority, comment))

    def flush_chain(self, name: str) -> None:
        self.ops.append(("flush_chain", name))

    def delete_chain(self, name: str) -> None:
        self.ops.append(("delete_chain", name))

    def add_rule(self, chain: str, rule: NftRule) -> None:
        self.ops.append(("add_rule", chain, rule))

    # sets / maps
    def add_set(self, name: str, type_: str, *, is_map: bool = False, comment: str | None = None,
                flags: tuple[str, ...] = (), timeout: int | None = None) -> None:
        self.ops.append(("add_set", name, type_, is_map, comment, flags, timeout))

    def flush_set(self, name: str) -> None:
        self.ops.append(("flush_set", name))

    def delete_set(self, name: str) -> None:
        self.ops.append(("delete_set", name))

    def add_element(self, set_name: str, key: Sequence[str], value: str | None = None,
                    comment: str | None = None) -> None:
        self.ops.append(("add_element", set_name, NftElement(tuple(key), value, comment)))

    def apply(self, t: NftTable) -> None:
        """Apply with kernel semantics: ``add`` of an existing object is a no-op and keeps
        its position; a deleted-then-added chain goes to the end of the list."""
        drain(self.apply_steps(t))

    def apply_steps(self, t: NftTable) -> Steps[None]:
        """`apply` in steps (`engine.proxy.steps`), a yield every `OPS_PER_STEP` operations."""
        for i, op in enumerate(self.ops, 1):
            if not i % OPS_PER_STEP:
                yield
            kind = op[0]
            if kind == "add_table":
                if not t.exists:
                    t.exists, t.comment = True, op[1]
            elif kind == "add_chain":
                _, name, typ, hook, prio, comment = op
                if name not in t.chains:
                    t.chains[name] = NftChain(name, typ, hook, prio, comment)
            elif kind == "flush_chain":
                t.chains[op[1]].rules = []
            elif kind == "delete_chain":
                t.chains.pop(op[1], None)
            elif kind == "add_rule":
                t.chains[op[1]].rules.append(op[2])
            elif kind == "add_set":
                _, name, typ, is_map, comment, flags, timeout = op
                if name not in t.sets:
                    t.sets[name] = NftSet(name, typ, is_map, comment, flags, timeout)
            elif kind == "flush_set":
                t.sets[op[1]].elements = {}
            elif kind == "delete_set":
                t.sets.pop(op[1], None)
            elif kind == "add_element":
                s = t.sets[op[1]]
                s.elements[op[2].key] = op[2]

    def text(self) -> str:
        return drain(self.text_steps())

    def text_steps(self) -> Steps[str]:
        """`text` in steps, a yield every `OPS_PER_STEP` operations."""
        lines: list[str] = []
        pieces: list[str] = []  # (joined a step at a time: 60 MB at 10,000 Services)
        p = self._p()
        for i, op in enumerate(self.ops, 1):
            if not i % OPS_PER_STEP:
                if lines:
                    pieces.append("\n".join(lines))
                    lines = []
                yield
            kind = op[0]
            if kind == "add_table":
                lines.append(f'add table {p} {{ comment "{op[1]}" ; }}')
            elif kind == "add_chain":
                _, name, typ, hook, prio, comment = op
                if typ:
                    lines.append(f"add chain {p} {name} {{ type {typ} hook {hook} priority "
                                 f"{_PRIORITY_SPELLING.get((prio, typ), prio)} ; }}")
                elif comment:
                    lines.append(f'add chain {p} {name} {{ comment "{comment}" ; }}')
                else:
                    lines.append(f"add chain {p} {name}")
            elif kind in ("flush_chain", "delete_chain", "flush_set", "delete_set"):
                verb, obj = kind.split("_")
                lines.append(f"{verb} {'chain' if obj == 'chain' else 'set'} {p} {op[1]}")
            elif kind == "add_rule":
                lines.append(f"add rule {p} {op[1]} {_rule_text(op[2])}")
            elif kind == "add_set":
                lines.append(f"add {'map' if op[3] else 'set'} {p} {op[1]} {_set_props(op[2], op[5], op[6], op[4])}")
            elif kind == "add_element":
                lines.append(f"add element {p} {op[1]} {_element_text(op[2])}")
        if lines:
            pieces.append("\n".join(lines))
        return "\n".join(pieces) + ("\n" if pieces else "")


def _rule_text(r: NftRule) -> str:
    return r.text + (f' comment "{r.comment}"' if r.comment else "")


def _set_props(type_: str, flags: tuple[str, ...], timeout: int | None, comment: str | None) -> str:
    parts = [f"type {type_}"]
    if flags:
        parts.append("flags " + ",".join(flags))
    if timeout is not None:
        parts.append(f"timeout {timeout}s")
    if comment:
        parts.append(f'comment "{comment}"')
    return "{ " + " ; ".join(parts) + " ; }"


def _element_text(e: NftElement) -> str:
    s = " . ".join(e.key)
    if e.comment:
        s += f' comment "{e.comment}"'
    if e.value is not None:
        s += f" : {e.value}"
    return "{ " + s + " }"


# ---------------------------------------------------------------- nft list format

_STD_PRIOS = (("raw", -300), ("mangle", -150), ("dstnat", -100), ("filter", 0),
              ("security", 50), ("srcnat", 100))


def prio2str(priority: int, hook: str) -> str:
    """nft's ``prio2str`` for the ip/ip6 families: a standard name when the priority is
    within 10 of one that is valid for the hook (dstnat only on prerouting, srcnat only
    on postrouting), else the number — hence ``dstnat - 10`` on prerouting but ``-110``
    on input."""
    for name, value in _STD_PRIOS:
        if name == "dstnat" and hook != "prerouting":
            continue
        if name == "srcnat" and hook != "postrouting":
            continue
        off = priority - value
        if off == 0:
            return name
        if abs(off) <= 10:
            return f"{name} {'+' if off > 0 else '-'} {abs(off)}"
    return str(priority)


def _type_bytes(typ: str, value: str) -> bytes:
    if typ in ("ipv4_addr", "ipv6_addr"):
        return ipaddress.ip_address(value).packed
    if typ == "inet_proto":
        return bytes([IPPROTO.get(value, int(value) if value.isdigit() else 0)])
    if typ == "inet_service":
        return int(value).to_bytes(2, "big")
    return value.encode()


def _element_sort_key(s: NftSet, e: NftElement) -> int:
    """nft sorts listed elements by value.  A concatenation is exported component by
    component in network byte order and re-imported in *host* (little-endian) order, so
    ``10.96.0.10 . udp . 53`` sorts by port low byte first — which is why real listings
    look unsorted.  A plain address sorts numerically."""
    types = s.key_types
    if len(types) == 1:
        return int.from_bytes(_type_bytes(types[0], e.key[0]), "big")
    blob = b"".join(_type_bytes(t, v) for t, v in zip(types, e.key))
    return int.from_bytes(blob, "little")


def _format_time(seconds: int) -> str:
    """nft ``time_print``: 10800 -> ``3h``."""
    out = []
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        q, seconds = divmod(seconds, n)
        if q:
            out.append(f"{q}{unit}")
    return "".join(out) or "0s"


#: Elements `_listing_elements_steps` sorts or prints between two yields (~10 ms).
ELEMENTS_PER_STEP = 1024


def _listing_elements(s: NftSet) -> str:
    """``set_expr_print`` with nft's ``calculate_delim``: addresses two per line, other
    typed values sixteen per line, concatenations one per line."""
    return drain(_listing_elements_steps(s))


def _listing_elements_steps(s: NftSet) -> Steps[str]:
    """`_listing_elements` in steps: a map of 10,000 Services' addresses takes ~0.1 s."""
    keyed = []
    for i, e in enumerate(s.elements.values(), 1):
        if not i % ELEMENTS_PER_STEP:
            yield
        keyed.append((_element_sort_key(s, e), i, e))
    keyed.sort(key=lambda k: (k[0], k[1]))
    elems = [e for _, _, e in keyed]
    types = s.key_types
    per_line = 2 if types == ["ipv4_addr"] else 16 if len(types) == 1 and types[0] in (
        "inet_proto", "inet_service", "mark", "integer") else 1
    count = 0
    out = "{ "
    for i, e in enumerate(elems):
        if i and not i % ELEMENTS_PER_STEP:
            yield
        txt = " . ".join(e.key)
        if e.comment:
            txt += f' comment "{e.comment}"'
        if e.value is not None:
            txt += f" : {e.value}"
        out += txt
        count += 1
        if i == len(elems) - 1:
            break
        if count < per_line:
            out += ", "
        else:
            count = 0
            out += ",\n\t\t\t     "
    return out + " }"


def _chain_block(c: NftChain) -> list[str]:
    """One chain as ``nft list`` prints it, from ``chain NAME {`` to its ``}``."""
    b = [f"\tchain {c.name} {{"]
    if c.comment:
        b.append(f'\t\tcomment "{c.comment}"')
    if c.is_base:
        b.append(f"\t\ttype {c.type} hook {c.hook} priority {prio2str(c.priority, c.hook)}; policy accept;")
    for r in c.rules:
        b.append("\t\t" + r.listing + (f' comment "{r.comment}"' if r.comment else ""))
    b.append("\t}")
    return b


# -------------------------------------------------------------------------- proxier

@dataclass(frozen=True)
class NFTablesResult:
    """Summary of one sync (the proxier keeps the live table)."""

    transaction: str
    chains: int
    rules: int
    elements: int
    stale_chains: tuple[str, ...]


def _nets(values: Iterable[str]) -> tuple:
    return tuple(_net(v) for v in values)


@lru_cache(maxsize=1 << 18)
def _net(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """(Cached, as `engine.proxy.ipnet` caches its parses: every node's sync matches on the
    same ClusterIPs and endpoint addresses; the networks are immutable.)"""
    return ipaddress.ip_network(value, strict=False)


class NFTablesProxier:
    """kube-proxy ``--proxy-mode=nftables`` for one node and one IP family.

    Every :meth:`sync` is a full sync (``needFullSync``): a partial sync would only skip
    rewriting chains whose content is unchanged, so the resulting table is the same.
    Chains that fall out of use are flushed and deleted at the next sync (upstream
    waits at least one second; with ``now=None`` each sync is assumed to be at least
    that far apart), and stale affinity sets are deleted immediately, as upstream.
    """

    def __init__(self, config: ProxierConfig | Mapping | None = None):
        self.config = ProxierConfig.from_mapping(config)
        self.family = "ip6" if self.config.is_ipv6 else "ip"
        # Real kube-proxy formats the mark with "%#08x" (0x00004000); upstream's unit
        # tests hard-code "0x4000" (ProxierConfig.masquerade_mark_literal).
        self.mark = self.config.masquerade_mark
        self.table = NftTable(self.family)
        self.flushed = False
        self.stale_chains: dict[str, float] = {}
        self._sync_count = 0
        # The last sync's transaction text, or (for a node's view) the shared proxier's
        # text and the lines to spell as the node's (`last_transaction`).
        self._transaction: str | tuple[str, str, str] = ""

    @property
    def last_transaction(self) -> str:
        """What the last sync handed `nft -f`. A node's view spells it out when asked, from
        the shared proxier's (60 MB at 10,000 Services: not a copy held per node)."""
        t = self._transaction
        return t if isinstance(t, str) else t[0].replace(t[1], t[2], 1)

    @last_transaction.setter
    def last_transaction(self, text: str) -> None:
        self._transaction = text

    # ------------------------------------------------------------------ helpers
    @property
    def _ipx(self) -> str:
        return self.family

    @property
    def _addr_type(self) -> str:
        return "ipv6_addr" if self.config.is_ipv6 else "ipv4_addr"

    @property
    def _no_localhost(self) -> tuple[str, tuple]:
        lo = "::1" if self.config.is_ipv6 else "127.0.0.0/8"
        return f"{self._ipx} daddr != {lo}", ("daddr", _nets([lo]), True)

    def _anon_set(self, values: list[str]) -> str:
        """How nft prints an anonymous set it was given: one element loses its braces,
        several are sorted (interval sets are kept ordered)."""
        if len(values) == 1:
            return values[0]
        ordered = sorted(values, key=lambda v: (ipaddress.ip_network(v, strict=False).network_address,
                                                ipaddress.ip_network(v, strict=False).prefixlen))
        return "{ " + ", ".join(ordered) + " }"

    def _mark_list(self) -> str:
        return "0x%08x" % int(self.mark, 16)

    # ------------------------------------------------------------------ setup
    def _setup(self, tx: Transaction, npa: NodePortAddresses) -> None:
        """``setupNFTables``: table, base chains, top-level chains and their fixed rules."""
        ipx, addr = self._ipx, self._addr_type
        no_lo_text, no_lo_op = self._no_localhost
        tx.add_table("rules for kube-proxy")
        if not self.flushed:
            # add+delete once so base chains are re-created with current properties
            for name, *_ in BASE_CHAINS:
                tx.add_chain(name)
                tx.delete_chain(name)
            self.flushed = True
        for name, typ, hook, prio in BASE_CHAINS:
            tx.add_chain(name, typ, hook, prio)
            tx.flush_chain(name)
        created: set[str] = set()

        def ensure_chain(name: str) -> None:
            if name not in created:
                created.add(name)
                tx.add_chain(name)
                tx.flush_chain(name)

        for dst, src, extra in JUMP_CHAINS:
            ensure_chain(dst)
            text = f"{extra} jump {dst}".strip()
            ops = ((("ct_new",),) if extra else ()) + (("jump", dst),)
            tx.add_rule(src, NftRule(text, text, None, ops))
        for name in (SERVICES_CHAIN, CLUSTER_IPS_CHECK, MASQUERADING_CHAIN, MARK_MASQ_CHAIN):
            ensure_chain(name)
        m, ml = self.mark, self._mark_list()
        tx.add_rule(MARK_MASQ_CHAIN, NftRule(f"mark set mark or {m}", f"meta mark set meta mark | {ml}",
                                             None, (("mark_or",),)))
        tx.add_rule(MASQUERADING_CHAIN, NftRule(f"mark and {m} == 0 return",
                                                f"meta mark & {ml} == 0x00000000 return",
                                                None, (("mark_zero",), ("return",))))
        tx.add_rule(MASQUERADING_CHAIN, NftRule(f"mark set mark xor {m}", f"meta mark set meta mark ^ {ml}",
                                                None, (("mark_xor",),)))
        tx.add_rule(MASQUERADING_CHAIN, NftRule("masquerade fully-random", "masquerade fully-random",
                                                None, (("masquerade",),)))
        tx.add_set(CLUSTER_IPS_SET, addr, comment="Active ClusterIPs")
        t = f"{ipx} daddr @{CLUSTER_IPS_SET} reject"
        tx.add_rule(CLUSTER_IPS_CHECK, NftRule(t, t, "Reject traffic to invalid ports of ClusterIPs",
                                               (("daddr_set", CLUSTER_IPS_SET), ("reject",))))
        cidrs = [c for c in (parse_cidr_sloppy(s) for s in self.config.service_cidrs)
                 if c is not None and (c.version == 6) == self.config.is_ipv6]
        if cidrs:
            cs = [cidr_string(c) for c in cidrs]
            tx.add_rule(CLUSTER_IPS_CHECK, NftRule(
                f"{ipx} daddr {{ {','.join(cs)} }} drop", f"{ipx} daddr {self._anon_set(cs)} drop",
                "Drop traffic to unallocated ClusterIPs", (("daddr", tuple(cidrs), False), ("drop",))))
        tx.add_set(NODEPORT_IPS_SET, addr, comment="IPs that accept NodePort traffic")
        if npa.match_all:
            tx.delete_set(NODEPORT_IPS_SET)
        else:
            self._write_nodeport_ips(tx, npa)
        tx.add_set(NO_ENDPOINT_SERVICES_MAP, f"{addr} . inet_proto . inet_service : verdict", is_map=True,
                   comment="vmap to drop or reject packets to services with no endpoints")
        tx.add_set(NO_ENDPOINT_NODEPORTS_MAP, "inet_proto . inet_service : verdict", is_map=True,
                   comment="vmap to drop or reject packets to service nodeports with no endpoints")
        tx.add_chain(REJECT_CHAIN, comment="helper for @no-endpoint-services / @no-endpoint-nodeports")
        tx.flush_chain(REJECT_CHAIN)
        tx.add_rule(REJECT_CHAIN, NftRule("reject", "reject", None, (("reject",),)))
        t = f"{ipx} daddr . meta l4proto . th dport vmap @{NO_ENDPOINT_SERVICES_MAP}"
        tx.add_rule(SERVICE_ENDPOINTS_CHECK, NftRule(t, t, None, (("vmap_dst", NO_ENDPOINT_SERVICES_MAP),)))
        if npa.match_all:
            t = f"{no_lo_text} meta l4proto . th dport vmap @{NO_ENDPOINT_NODEPORTS_MAP}"
            ops = (no_lo_op, ("vmap_port", NO_ENDPOINT_NODEPORTS_MAP))
        else:
            t = f"{ipx} daddr @{NODEPORT_IPS_SET} meta l4proto . th dport vmap @{NO_ENDPOINT_NODEPORTS_MAP}"
            ops = (("daddr_set", NODEPORT_IPS_SET), ("vmap_port", NO_ENDPOINT_NODEPORTS_MAP))
        tx.add_rule(NODEPORT_ENDPOINTS_CHECK, NftRule(t, t, None, ops))
        tx.add_set(FIREWALL_IPS_MAP, f"{addr} . inet_proto . inet_service : verdict", is_map=True,
                   comment="destinations that are subject to LoadBalancerSourceRanges")
        ensure_chain(FIREWALL_CHECK)
        t = f"{ipx} daddr . meta l4proto . th dport vmap @{FIREWALL_IPS_MAP}"
        tx.add_rule(FIREWALL_CHECK, NftRule(t, t, None, (("vmap_dst", FIREWALL_IPS_MAP),)))
        tx.add_set(SERVICE_IPS_MAP, f"{addr} . inet_proto . inet_service : verdict", is_map=True,
                   comment="ClusterIP, ExternalIP and LoadBalancer IP traffic")
        tx.add_set(SERVICE_NODEPORTS_MAP, "inet_proto . inet_service : verdict", is_map=True,
                   comment="NodePort traffic")
        t = f"{ipx} daddr . meta l4proto . th dport vmap @{SERVICE_IPS_MAP}"
        tx.add_rule(SERVICES_CHAIN, NftRule(t, t, None, (("vmap_dst", SERVICE_IPS_MAP),)))
        if npa.match_all:
            t = f"fib daddr type local {no_lo_text} meta l4proto . th dport vmap @{SERVICE_NODEPORTS_MAP}"
            ops = (("fib_daddr_local",), no_lo_op, ("vmap_port", SERVICE_NODEPORTS_MAP))
        else:
            t = f"{ipx} daddr @{NODEPORT_IPS_SET} meta l4proto . th dport vmap @{SERVICE_NODEPORTS_MAP}"
            ops = (("daddr_set", NODEPORT_IPS_SET), ("vmap_port", SERVICE_NODEPORTS_MAP))
        tx.add_rule(SERVICES_CHAIN, NftRule(t, t, None, ops))
        # nftElementStorage.reset(): flush the containers, every element is re-added
        for name in (CLUSTER_IPS_SET, SERVICE_IPS_MAP, FIREWALL_IPS_MAP, NO_ENDPOINT_SERVICES_MAP,
                     NO_ENDPOINT_NODEPORTS_MAP, SERVICE_NODEPORTS_MAP):
            tx.flush_set(name)

    # ------------------------------------------------------------------ sync
    def _write_nodeport_ips(self, tx: Transaction, npa: NodePortAddresses) -> None:
        """The `nodeport-ips` set's elements: the node's addresses `nodePortAddresses`
        selects (its primary IP by default): the one part of the table that names the node."""
        tx.flush_set(NODEPORT_IPS_SET)
        for ip in npa.node_ips(self.config.family_node_ips()):
            if ipaddress.ip_address(ip).is_loopback:
                continue  # "localhost NodePorts are not supported"
            tx.add_element(NODEPORT_IPS_SET, [ip])

    def node_view(self, config: ProxierConfig,
                  affinity: dict[str, tuple[NftSet, dict[str, None]]] | None = None) -> "NFTablesProxier":
        """The table of another node whose rules cannot differ from this one's but for its
        NodePort addresses (`engine.proxy.modes`): a proxier sharing this one's chains and
        sets, with that node's own `nodeport-ips` elements and configuration, for listing,
        `dump`, `last_transaction` and packet walks (never for a sync). What it shares a
        sync of this proxier changes: build it again after one.

        `affinity`: the node's own session-affinity memory (what `update @set` added in
        its packet walks), by set name, kept by the caller from one view to the next; a
        set the sync deleted, or deleted and made again, starts empty, as in the kernel."""
        view = NFTablesProxier(config)
        view.table = replace(self.table, sets=dict(self.table.sets))
        if affinity is not None:
            for name in [n for n, (shared, _) in affinity.items() if self.table.sets.get(n) is not shared]:
                del affinity[name]
            for name, shared in self.table.sets.items():
                if is_affinity_set_name(name):
                    dynamic = affinity.setdefault(name, (shared, {}))[1]
                    view.table.sets[name] = replace(shared, dynamic=dynamic)
        view.flushed, view._sync_count, view.stale_chains = self.flushed, self._sync_count, dict(self.stale_chains)
        nodeport_ips = self.table.sets.get(NODEPORT_IPS_SET)
        if nodeport_ips is None or not self.table.exists:
            view.last_transaction = self.last_transaction
            return view
        npa = NodePortAddresses.of_config(self.config, default_primary=True)
        mine, theirs = Transaction(self.family), Transaction(view.family)
        self._write_nodeport_ips(mine, npa)
        view._write_nodeport_ips(theirs, NodePortAddresses.of_config(config, default_primary=True))
        view.table.sets[NODEPORT_IPS_SET] = replace(nodeport_ips, elements={})
        theirs.apply(view.table)
        # (the transaction's one node-specific run of lines, spelled as a sync spells it)
        view._transaction = (self.last_transaction, mine.text(), theirs.text())
        return view

    def detached(self) -> "NFTablesProxier":
        """A proxier of its own holding what this one (a node's view) holds, to sync on
        from there. Rules and elements are frozen: only the chains' and sets' containers
        are copied (a second's work at 10,000 Services, not a deep copy's)."""
        own = NFTablesProxier(self.config)
        t = self.table
        own.table = replace(t, chains={n: replace(c, rules=list(c.rules)) for n, c in t.chains.items()},
                            sets={n: replace(s, elements=dict(s.elements), dynamic=dict(s.dynamic))
                                  for n, s in t.sets.items()})
        own.flushed, own._sync_count, own.stale_chains = self.flushed, self._sync_count, dict(self.stale_chains)
        own.last_transaction = self.last_transaction
        return own

    def sync(self, services: Iterable[Mapping], slices: Iterable[Mapping], *,
             now: float | None = None) -> NFTablesResult:
        """One ``syncProxyRules`` (full sync) for the given Services and EndpointSlices."""
        return drain(self.sync_steps(services, slices, now=now))

    def sync_steps(self, services: Iterable[Mapping], slices: Iterable[Mapping], *,
                   now: float | None = None) -> Steps[NFTablesResult]:
        """`sync` in steps (`engine.proxy.steps`): it yields every few Services, so a
        caller can run a sync over 10,000 of them between other work. The objects it was
        handed must not change meanwhile (stored objects never do), nor may another sync
        of this proxier run before it ends (`engine.proxy.modes` sees to that)."""
        cfg = self.config
        self._sync_count += 1
        clock = float(now) if now is not None else float(self._sync_count)
        # Delete chains that went stale in an earlier sync, at least a second ago.
        if self.stale_chains:
            pre = Transaction(self.family)
            for chain, t0 in list(self.stale_chains.items()):
                if t0 < clock - 1 or (now is None and t0 < clock):
                    pre.delete_chain(chain)
                    del self.stale_chains[chain]
            pre.apply(self.table)

        ipx, addr = self._ipx, self._addr_type
        npa = NodePortAddresses.of_config(cfg, default_primary=True)
        tx = Transaction(self.family)
        self._setup(tx, npa)

        svc_ports = yield from collect_service_ports_steps(services, cfg)
        eps_index = yield from build_endpoints_index_steps(slices, cfg)
        active_chains: set[str] = set()
        active_affinity: set[str] = set()
        local_cidr = cfg.local_cidr()
        node_ip = parse_ip_sloppy(cfg.primary_node_ip())

        def ensure_chain(name: str) -> None:
            if name not in active_chains:
                active_chains.add(name)
                tx.add_chain(name)
                tx.flush_chain(name)

        for i, sp in enumerate(svc_ports, 1):
            if not i % SERVICES_PER_STEP:
                yield
            proto = sp.proto
            names = ChainNames.of(sp)
            all_eps = endpoints_for(sp, eps_index)
            cat = categorize_endpoints(all_eps, sp, cfg.node_name, cfg.node_labels)
            has_endpoints = cat.has_any
            ep_names = _EndpointNames(sp)
            for ep in cat.all_reachable:
                ensure_chain(ep_names(ep)[0])
                if sp.session_affinity_client_ip:
                    active_affinity.add(ep_names(ep)[1])

            cluster_chain = names.cluster
            uses_cluster_chain = bool(cat.cluster) and sp.uses_cluster_endpoints
            if uses_cluster_chain:
                ensure_chain(cluster_chain)
            local_chain = names.local
            uses_local_chain = bool(cat.local) and sp.uses_local_endpoints
            if uses_local_chain:
                ensure_chain(local_chain)

            internal_chain, has_internal = cluster_chain, has_endpoints
            if sp.internal_policy_local:
                internal_chain = local_chain
                if not cat.local:
                    has_internal = False
            external_policy_chain, has_external = cluster_chain, has_endpoints
            if sp.external_policy_local:
                external_policy_chain = local_chain
                if not cat.local:
                    has_external = False
            external_chain = names.external
            uses_external_chain = has_endpoints and sp.externally_accessible
            if uses_external_chain:
                ensure_chain(external_chain)

            if not has_endpoints:
                internal_verdict = external_verdict = f"goto {REJECT_CHAIN}"
            else:
                internal_verdict = "" if has_internal else "drop"
                external_verdict = "" if has_external else "drop"

            port = str(sp.port)
            tx.add_element(CLUSTER_IPS_SET, [sp.cluster_ip])
            if has_internal:
                tx.add_element(SERVICE_IPS_MAP, [sp.cluster_ip, proto, port], f"goto {internal_chain}")
            else:
                tx.add_element(NO_ENDPOINT_SERVICES_MAP, [sp.cluster_ip, proto, port], internal_verdict, sp.spn)
            for eip in sp.external_ips:
                if has_endpoints:
                    tx.add_element(SERVICE_IPS_MAP, [eip, proto, port], f"goto {external_chain}")
                if not has_external:
                    tx.add_element(NO_ENDPOINT_SERVICES_MAP, [eip, proto, port], external_verdict, sp.spn)
            uses_fw = bool(sp.load_balancer_vips) and bool(sp.load_balancer_source_ranges)
            if uses_fw:
                ensure_chain(names.firewall)
            for lbip in sp.load_balancer_vips:
                if has_endpoints:
                    tx.add_element(SERVICE_IPS_MAP, [lbip, proto, port], f"goto {external_chain}")
                if uses_fw:
                    tx.add_element(FIREWALL_IPS_MAP, [lbip, proto, port], f"goto {names.firewall}")
            if not has_external:
                for lbip in sp.load_balancer_vips:
                    tx.add_element(NO_ENDPOINT_SERVICES_MAP, [lbip, proto, port], external_verdict, sp.spn)
            if sp.node_port:
                np = str(sp.node_port)
                if has_endpoints:
                    tx.add_element(SERVICE_NODEPORTS_MAP, [proto, np], f"goto {external_chain}")
                if not has_external:
                    tx.add_element(NO_ENDPOINT_NODEPORTS_MAP, [proto, np], external_verdict, sp.spn)

            # internal traffic handling
            if has_internal:
                cip_op = ("daddr", _nets([sp.cluster_ip]), False)
                if cfg.masquerade_all:
                    t = f"{ipx} daddr {sp.cluster_ip} {proto} dport {sp.port} jump {MARK_MASQ_CHAIN}"
                    tx.add_rule(internal_chain, NftRule(t, t, None, (cip_op, ("dport", proto, sp.port),
                                                                     ("jump", MARK_MASQ_CHAIN))))
                elif local_cidr is not None:
                    c = cidr_string(local_cidr)
                    t = f"{ipx} daddr {sp.cluster_ip} {proto} dport {sp.port} {ipx} saddr != {c} jump {MARK_MASQ_CHAIN}"
                    tx.add_rule(internal_chain, NftRule(t, t, None, (
                        cip_op, ("dport", proto, sp.port), ("saddr", (local_cidr,), True), ("jump", MARK_MASQ_CHAIN))))
            # external traffic handling
            if uses_external_chain:
                if not sp.external_policy_local:
                    t = f"jump {MARK_MASQ_CHAIN}"
                    tx.add_rule(external_chain, NftRule(t, t, None, (("jump", MARK_MASQ_CHAIN),)))
                else:
                    if local_cidr is not None:
                        t = f"{ipx} saddr {cidr_string(local_cidr)} goto {cluster_chain}"
                        tx.add_rule(external_chain, NftRule(t, t, "short-circuit pod traffic", (
                            ("saddr", (local_cidr,), False), ("goto", cluster_chain))))
                    t = f"fib saddr type local jump {MARK_MASQ_CHAIN}"
                    tx.add_rule(external_chain, NftRule(t, t, "masquerade local traffic", (
                        ("fib_saddr_local",), ("jump", MARK_MASQ_CHAIN))))
                    t = f"fib saddr type local goto {cluster_chain}"
                    tx.add_rule(external_chain, NftRule(t, t, "short-circuit local traffic", (
                        ("fib_saddr_local",), ("goto", cluster_chain))))
                if has_external:
                    t = f"goto {external_policy_chain}"
                    tx.add_rule(external_chain, NftRule(t, t, None, (("goto", external_policy_chain),)))
            if uses_fw:
                sources = [cidr_string(c) for c in sp.load_balancer_source_ranges]
                allow_from_node = any(cidr_contains(c, node_ip) for c in sp.load_balancer_source_ranges)
                if allow_from_node:
                    sources += list(sp.load_balancer_vips)
                t = f"{ipx} saddr != {{ {' , '.join(sources)} }} drop"
                tx.add_rule(names.firewall, NftRule(t, f"{ipx} saddr != {self._anon_set(sources)} drop", None,
                                                    (("saddr", _nets(sources), True), ("drop",))))
            if sp.session_affinity_client_ip:
                for ep in cat.all_reachable:
                    tx.add_set(ep_names(ep)[1], addr, flags=("dynamic", "timeout"),
                               timeout=sp.sticky_max_age_seconds)
            if uses_cluster_chain:
                self._write_service_to_endpoint_rules(tx, sp, cluster_chain, list(cat.cluster), ep_names)
            if uses_local_chain:
                self._write_service_to_endpoint_rules(tx, sp, local_chain, list(cat.local), ep_names)
            for ep in cat.all_reachable:
                chain, aff = ep_names(ep)
                t = f"{ipx} saddr {ep.ip} jump {MARK_MASQ_CHAIN}"
                tx.add_rule(chain, NftRule(t, t, None, (("saddr", _nets([ep.ip]), False), ("jump", MARK_MASQ_CHAIN))))
                if sp.session_affinity_client_ip:
                    t = f"update @{aff} {{ {ipx} saddr }}"
                    tx.add_rule(chain, NftRule(t, t, None, (("update_set", aff),)))
                t = f"meta l4proto {proto} dnat to {ep.key}"
                tx.add_rule(chain, NftRule(t, t, None, (("l4proto", proto), ("dnat", ep.ip, ep.port))))

        # Stale chains: flushed now, deleted at a later sync (kernels < 6.2 need the
        # map elements pointing at them to be gone first).
        stale_now = []
        yield
        for i, chain in enumerate(list(self.table.chains), 1):
            if not i % OPS_PER_STEP:
                yield
            if is_service_chain_name(chain):
                if chain not in active_chains:
                    tx.flush_chain(chain)
                    self.stale_chains[chain] = clock
                    stale_now.append(chain)
                else:
                    self.stale_chains.pop(chain, None)
        for name in list(self.table.sets):
            if is_affinity_set_name(name) and name not in active_affinity:
                tx.delete_set(name)
        yield from tx.apply_steps(self.table)
        self.last_transaction = yield from tx.text_steps()
        yield
        n_rules = sum(len(c.rules) for c in self.table.chains.values())
        n_elems = sum(len(s.elements) for s in self.table.sets.values())
        return NFTablesResult(self.last_transaction, len(self.table.chains), n_rules, n_elems, tuple(stale_now))

    def _write_service_to_endpoint_rules(self, tx: Transaction, sp: ServicePort, chain: str,
                                         endpoints: list[Endpoint], names_of: "_EndpointNames") -> None:
        """Affinity rules first, then one ``numgen random mod N vmap`` over the endpoints."""
        ipx = self._ipx
        if sp.session_affinity_client_ip:
            for ep in endpoints:
                ep_chain, aff = names_of(ep)
                t = f"{ipx} saddr @{aff} goto {ep_chain}"
                tx.add_rule(chain, NftRule(t, t, None, (("saddr_set", aff), ("goto", ep_chain))))
        targets = [names_of(ep)[0] for ep in endpoints]
        inner = " , ".join(f"{i} : goto {c}" for i, c in enumerate(targets))
        listed = ", ".join(f"{i} : goto {c}" for i, c in enumerate(targets))
        t = f"numgen random mod {len(targets)} vmap {{ {inner} }}"
        tx.add_rule(chain, NftRule(t, f"numgen random mod {len(targets)} vmap {{ {listed} }}", None,
                                   (("numgen", tuple(targets)),)))

    # ------------------------------------------------------------------ renderers
    def list_table(self) -> str:
        """Exactly ``nft list table ip kube-proxy`` (``ip6`` for IPv6).

        nft prints the table comment, then every named set and map, then every chain,
        each group in the kernel's creation order (a first full sync from an empty table,
        with services taken in servicePortName order where Go would use map order).
        Dynamic affinity entries created by traffic are not listed.
        """
        return drain(self.list_table_steps())

    def list_table_steps(self) -> Steps[str]:
        """`list_table` in steps (`engine.proxy.steps`): the rules pane's first text at
        10,000 Services (600,000 lines) is laid out between a dashboard's repaints."""
        t = self.table
        if not t.exists:
            return ""
        out = [f"table {t.family} {t.name} {{"]
        if t.comment:
            out.append(f'\tcomment "{t.comment}"')
        blocks: list[list[str]] = []
        for s in t.sets.values():
            b = [f"\t{'map' if s.is_map else 'set'} {s.name} {{", f"\t\ttype {s.type}"]
            if s.flags:
                b.append(f"\t\tflags {','.join(s.flags)}")
            if s.timeout is not None:
                b.append(f"\t\ttimeout {_format_time(s.timeout)}")
            if s.comment:
                b.append(f'\t\tcomment "{s.comment}"')
            if s.elements:
                elements = yield from _listing_elements_steps(s)
                b.append(f"\t\telements = {elements}")
            b.append("\t}")
            blocks.append(b)
        for i, c in enumerate(t.chains.values(), 1):
            if not i % OPS_PER_STEP:
                yield
            blocks.append(_chain_block(c))
        yield
        for i, b in enumerate(blocks):
            if i:
                out.append("")
            out += b
        out.append("}")
        yield
        return "\n".join(out) + "\n"

    def chain_sizes_steps(self) -> Steps[dict[str, int]]:
        """Every chain's name and the length of its body in `list_table` (the lines
        between ``chain NAME {`` and its ``}``, newlines included), without laying the
        listing out: what a sync compares to tell the chains it rewrote."""
        sizes: dict[str, int] = {}
        if not self.table.exists:
            return sizes
        for i, c in enumerate(self.table.chains.values(), 1):
            if not i % OPS_PER_STEP:
                yield
            sizes[c.name] = sum(len(line) + 1 for line in _chain_block(c)[1:-1])
        return sizes

    def dump(self) -> str:
        """``knftables.Fake.Dump()``: the form upstream's tests compare (after sorting)."""
        t = self.table
        if not t.exists:
            return ""
        p = f"{t.family} {t.name}"
        out = [f'add table {p} {{ comment "{t.comment}" ; }}' if t.comment else f"add table {p}"]
        for name in sorted(t.chains):
            c = t.chains[name]
            if c.is_base:
                out.append(f"add chain {p} {name} {{ type {c.type} hook {c.hook} priority {c.priority} ; }}")
            elif c.comment:
                out.append(f'add chain {p} {name} {{ comment "{c.comment}" ; }}')
            else:
                out.append(f"add chain {p} {name}")
        for kind in (False, True):
            for name in sorted(n for n, s in t.sets.items() if s.is_map == kind):
                s = t.sets[name]
                out.append(f"add {'map' if s.is_map else 'set'} {p} {name} "
                           f"{_set_props(s.type, s.flags, s.timeout, s.comment)}")
        for name in sorted(t.chains):
            out += [f"add rule {p} {name} {_rule_text(r)}" for r in t.chains[name].rules]
        for kind in (False, True):
            for name in sorted(n for n, s in t.sets.items() if s.is_map == kind):
                out += [f"add element {p} {name} {_element_text(e)}" for e in t.sets[name].elements.values()]
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ lookup
    def lookup(self, protocol: str, ip: str, port: int, rng: random.Random | None = None, *,
               src_ip: str | None = None, from_host: bool = False) -> LookupResult:
        """Walk a new connection through kube-proxy's chains, as the kernel would.

        A packet arriving at the node (from a pod or from outside; ``src_ip`` says which)
        traverses ``filter-prerouting`` and ``nat-prerouting``, then ``filter-input`` or
        ``filter-forward`` depending on whether its (possibly DNATed) destination is a
        node address, then ``nat-postrouting``.  With ``from_host=True`` it instead takes
        the output path (``filter-output``, ``nat-output``, ``filter-output-post-dnat``).
        ``numgen random`` draws from ``rng``.  Each rule evaluated counts once; a
        verdict-map rule is a single hash lookup.  With no ``src_ip`` the client is an
        off-node, off-cluster address (203.0.113.1), or the node itself for ``from_host``.
        """
        rng = rng or random.Random(0)
        proto = protocol.lower()
        if src_ip is None:
            src_ip = (self.config.primary_node_ip() or "127.0.0.1") if from_host else (
                "2001:db8:ffff::1" if self.config.is_ipv6 else "203.0.113.1")
        pkt = _Packet(ipaddress.ip_address(src_ip), ipaddress.ip_address(ip), proto, int(port))
        st = _State(rng)
        local_ips = {ipaddress.ip_address(a) for a in self.config.family_node_ips()}
        st.local_ips = local_ips
        st.from_host = from_host

        def run_hook(chains: Sequence[str]) -> str | None:
            for c in chains:
                if c not in self.table.chains:
                    continue
                v = self._run_chain(c, pkt, st, 0)
                if v in ("drop", "reject"):
                    return v
            return None

        if from_host:
            hooks: list[Sequence[str]] = [(FILTER_OUTPUT,), (NAT_OUTPUT,), (FILTER_OUTPUT_POST_DNAT,)]
        else:
            hooks = [(FILTER_PREROUTING,), (NAT_PREROUTING,)]
        verdict = None
        for h in hooks:
            verdict = run_hook(h)
            if verdict:
                break
        if not verdict and not from_host:
            delivered_locally = pkt.dst in local_ips or pkt.dst.is_loopback
            verdict = run_hook((FILTER_INPUT,) if delivered_locally else (FILTER_FORWARD,))
            if not verdict and not delivered_locally:
                run_hook((NAT_POSTROUTING,))
        elif not verdict:
            if not (pkt.dst in local_ips or pkt.dst.is_loopback):
                run_hook((NAT_POSTROUTING,))
        dest = None
        if not verdict and st.dnat is not None:
            dest = f"[{st.dnat[0]}]:{st.dnat[1]}" if st.dnat[0].version == 6 else f"{st.dnat[0]}:{st.dnat[1]}"
        result = (verdict or ("dnat" if dest else "accept")).upper()
        return LookupResult(dest, result, st.evals, str(st.dnat[0]) if dest else None,
                            st.dnat[1] if dest else None, st.masquerade, st.trace)

    # -- interpreter
    _NOMATCH, _CONTINUE, _RETURN = object(), object(), object()

    def _run_chain(self, name: str, pkt: "_Packet", st: "_State", depth: int) -> str | None:
        """Run a chain; a terminal verdict string, or None when it ends/returns."""
        chain = self.table.chains.get(name)
        if chain is None or depth > 32:
            return None
        for rule in chain.rules:
            st.evals += 1
            st.trace.append(f"{name}: {rule.listing}")
            res = self._run_rule(rule, pkt, st, depth)
            if res is self._NOMATCH or res is self._CONTINUE:
                continue
            if res is self._RETURN:
                return None
            return res
        return None

    def _verdict(self, value: str, pkt: "_Packet", st: "_State", depth: int):
        verb, _, target = value.partition(" ")
        if verb in ("goto", "jump"):
            v = self._run_chain(target, pkt, st, depth + 1)
            if v is not None:
                return v
            return self._RETURN if verb == "goto" else self._CONTINUE
        return verb  # drop / reject / accept

    def _run_rule(self, rule: NftRule, pkt: "_Packet", st: "_State", depth: int):
        mark = int(self.mark, 16)
        for op in rule.ops:
            kind = op[0]
            if kind == "ct_new":
                continue
            if kind == "daddr":
                if any(pkt.dst in n for n in op[1]) == op[2]:
                    return self._NOMATCH
            elif kind == "saddr":
                if any(pkt.src in n for n in op[1]) == op[2]:
                    return self._NOMATCH
            elif kind == "daddr_set":
                s = self.table.sets.get(op[1])
                if s is None or (str(pkt.dst),) not in s.elements:
                    return self._NOMATCH
            elif kind == "saddr_set":
                s = self.table.sets.get(op[1])
                if s is None or str(pkt.src) not in s.dynamic:
                    return self._NOMATCH
            elif kind == "fib_daddr_local":
                if not (pkt.dst in st.local_ips or pkt.dst.is_loopback):
                    return self._NOMATCH
            elif kind == "fib_saddr_local":
                if not (st.from_host or pkt.src in st.local_ips or pkt.src.is_loopback):
                    return self._NOMATCH
            elif kind == "dport":
                if pkt.proto != op[1] or pkt.port != op[2]:
                    return self._NOMATCH
            elif kind == "l4proto":
                if pkt.proto != op[1]:
                    return self._NOMATCH
            elif kind == "mark_zero":
                if st.mark & mark:
                    return self._NOMATCH
            elif kind == "mark_or":
                st.mark |= mark
            elif kind == "mark_xor":
                st.mark ^= mark
            elif kind in ("vmap_dst", "vmap_port"):
                s = self.table.sets.get(op[1])
                key = ((str(pkt.dst), pkt.proto, str(pkt.port)) if kind == "vmap_dst"
                       else (pkt.proto, str(pkt.port)))
                e = s.elements.get(key) if s is not None else None
                if e is None:
                    return self._NOMATCH
                return self._verdict(e.value or "accept", pkt, st, depth)
            elif kind == "numgen":
                target = op[1][st.rng.randrange(len(op[1]))]
                return self._verdict(f"goto {target}", pkt, st, depth)
            elif kind in ("jump", "goto"):
                return self._verdict(f"{kind} {op[1]}", pkt, st, depth)
            elif kind == "update_set":
                s = self.table.sets.get(op[1])
                if s is not None:
                    s.dynamic[str(pkt.src)] = None
            elif kind == "dnat":
                st.dnat = (ipaddress.ip_address(op[1]), op[2])
                pkt.dst, pkt.port = st.dnat[0], op[2]
                return "dnat"
            elif kind == "masquerade":
                st.masquerade = True
                return "masquerade"
            elif kind == "return":
                return self._RETURN
            elif kind in ("drop", "reject", "accept"):
                return kind
        return self._CONTINUE


@dataclass
class _Packet:
    src: ipaddress.IPv4Address | ipaddress.IPv6Address
    dst: ipaddress.IPv4Address | ipaddress.IPv6Address
    proto: str
    port: int


@dataclass
class _State:
    rng: random.Random
    evals: int = 0
    mark: int = 0
    dnat: tuple | None = None
    masquerade: bool = False
    trace: list[str] = field(default_factory=list)
    local_ips: set = field(default_factory=set)
    from_host: bool = False
