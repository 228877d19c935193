"""A pod's stub resolver: the /etc/resolv.conf kubelet+containerd write, and libc's search.

Why this matters for the simulator: `redis.default` resolving on the *second* try,
`google.com` costing three NXDOMAINs first, and a pod in another namespace getting
NXDOMAIN for `redis` are all search-list behaviour, not CoreDNS behaviour. So the
dashboard shows every candidate the resolver tried, with its rcode, and the first hit.

Two libcs are modelled because they differ in ways people hit:
* glibc (`res_nsearch`, used by getaddrinfo): names with >= ndots dots are tried as-is
  first, then with each search suffix; shorter names get the suffixes first and the
  bare name last. NXDOMAIN *and* NODATA move on to the next candidate.
* musl (Alpine): names with >= ndots dots (or a trailing dot) are tried as-is only;
  otherwise the suffixes then the bare name, but a NODATA or SERVFAIL answer stops the
  search (only NXDOMAIN moves on).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from engine.dns.names import fqdn
from engine.dns.records import DnsResponse, NOERROR, NXDOMAIN, SERVFAIL

# qtype meaning "what getaddrinfo(AF_UNSPEC) asks": A and AAAA for each candidate.
ADDRESS = "A+AAAA"

MAX_DNS_SEARCH_PATHS = 32  # kubelet / API validation (MaxDNSSearchPathsExpanded)
MAX_DNS_SEARCH_LIST_CHARS = 2048  # MaxDNSSearchListCharsExpanded
MAX_SEARCH_DOMAIN_LEN = 253  # kubelet drops longer ones (glibc 2.28 aborts on them)


class Answerer(Protocol):
    """Anything with `query(qname, qtype) -> DnsResponse` (normally KubernetesPlugin)."""

    def query(self, qname: str, qtype: str = "A") -> DnsResponse: ...


@dataclass(frozen=True)
class ResolvConf:
    """The parts of resolv.conf a stub resolver reads."""

    nameservers: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    ndots: int = 1
    options: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ResolvConf:
        """glibc's reading: last `search`/`domain` line wins; `options ndots:N` (max 15)."""
        servers: list[str] = []
        search: list[str] = []
        options: list[str] = []
        ndots = 1
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split(";", 1)[0].split()
            if not fields:
                continue
            key, args = fields[0], fields[1:]
            if key == "nameserver" and args:
                servers.append(args[0])
            elif key == "search":
                search = list(args)
            elif key == "domain" and args:
                search = [args[0]]
            elif key == "options":
                for opt in args:
                    options.append(opt)
                    if opt.startswith("ndots:"):
                        try:
                            ndots = min(int(opt[6:]), 15)
                        except ValueError:
                            pass
        return cls(tuple(servers), tuple(search), ndots, tuple(options))


def cluster_first_search(namespace: str, domain: str, node_search: tuple[str, ...] | list[str] = ()) -> list[str]:
    """kubelet generateSearchesForDNSClusterFirst + formDNSSearchFitsLimits.

    `<ns>.svc.<domain> svc.<domain> <domain>` then the node's search domains, trailing
    dots stripped, "." dropped, duplicates removed, cut to 32 entries / 2048 characters.
    """
    wanted = [f"{namespace}.svc.{domain}", f"svc.{domain}", domain]
    wanted += [s.rstrip(".") for s in node_search if s not in (".", "")]
    out: list[str] = []
    for s in wanted:
        if s and s not in out:
            out.append(s)
    out = out[:MAX_DNS_SEARCH_PATHS]
    out = [s for s in out if len(s) <= MAX_SEARCH_DOMAIN_LEN]
    while out and len(" ".join(out)) > MAX_DNS_SEARCH_LIST_CHARS:
        out.pop()
    return out


def resolv_conf(
    namespace: str,
    dns_ip: str = "10.96.0.10",
    domain: str = "cluster.local",
    node_search: tuple[str, ...] | list[str] = (),
) -> str:
    """/etc/resolv.conf of a `dnsPolicy: ClusterFirst` pod, byte for byte as containerd
    writes it (search, nameserver, options -- CRI parseDNSOptions order)."""
    search = cluster_first_search(namespace, domain, node_search)
    text = ""
    if search:
        text += "search " + " ".join(search) + "\n"
    text += f"nameserver {dns_ip}\n"
    text += "options ndots:5\n"
    return text


@dataclass(frozen=True)
class Attempt:
    """One candidate name the resolver sent, with the replies it got."""

    name: str  # as the resolver formed it (no trailing dot unless the user typed one)
    responses: tuple[DnsResponse, ...]
    hit: bool

    @property
    def rcode(self) -> str:
        """The rcode to show: the first non-NOERROR one, else NOERROR."""
        for r in self.responses:
            if r.rcode != NOERROR:
                return r.rcode
        return NOERROR

    @property
    def nodata(self) -> bool:
        return self.rcode == NOERROR and not any(r.answer for r in self.responses)

    def label(self) -> str:
        """`redis.default.default.svc.cluster.local (NXDOMAIN)` for a candidate list."""
        state = "NODATA" if self.nodata else self.rcode
        return f"{self.name} ({'hit' if self.hit else state})"


@dataclass(frozen=True)
class ResolveResult:
    """What a lookup did: every candidate in order, the first hit, or the final error.

    `error` is glibc's h_errno name (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY)
    or musl's EAI name (EAI_NONAME, EAI_NODATA, EAI_AGAIN, EAI_FAIL) when nothing hit.
    """

    name: str
    qtype: str
    attempts: tuple[Attempt, ...]
    hit: Attempt | None
    error: str | None = None
    libc: str = "glibc"

    @property
    def found(self) -> bool:
        return self.hit is not None

    @property
    def addresses(self) -> list[str]:
        if self.hit is None:
            return []
        return [a for r in self.hit.responses for a in r.addresses]

    @property
    def hit_index(self) -> int | None:
        """1-based position of the hit among the attempts ("first hit: 2nd")."""
        return None if self.hit is None else self.attempts.index(self.hit) + 1

    @property
    def tried(self) -> list[str]:
        return [a.name for a in self.attempts]


def _ask(plugin: Answerer, name: str, qtype: str) -> tuple[DnsResponse, ...]:
    types = ("A", "AAAA") if qtype == ADDRESS else (qtype,)
    return tuple(plugin.query(fqdn(name), t) for t in types)


def _glibc_outcome(responses: tuple[DnsResponse, ...]) -> str | None:
    """__res_context_query's verdict: None on success, else the h_errno name.

    With two replies (A and AAAA) it succeeds if either has answers; otherwise it
    judges by the first reply's rcode, or the second's when the first was NOERROR.
    """
    if any(r.rcode == NOERROR and r.answer for r in responses):
        return None
    first = responses[0]
    rcode = responses[1].rcode if (first.rcode == NOERROR and len(responses) > 1) else first.rcode
    if rcode == NXDOMAIN:
        return "HOST_NOT_FOUND"
    if rcode == SERVFAIL:
        return "TRY_AGAIN"
    if rcode == NOERROR:
        return "NO_DATA"
    return "NO_RECOVERY"


def _musl_outcome(responses: tuple[DnsResponse, ...], qtype: str) -> str | None:
    """musl name_from_dns: SERVFAIL -> EAI_AGAIN, NXDOMAIN -> keep going (returns 0),
    other errors -> EAI_FAIL, no usable records -> EAI_NODATA, else success."""
    for r in responses:
        if r.rcode == SERVFAIL:
            return "EAI_AGAIN"
        if r.rcode == NXDOMAIN:
            return "EAI_NONAME"
        if r.rcode != NOERROR:
            return "EAI_FAIL"
    wanted = ("A", "AAAA") if qtype == ADDRESS else (qtype,)
    if any(rr.rtype in wanted for r in responses for rr in r.answer):
        return None
    return "EAI_NODATA"


def resolve(
    name: str,
    qtype: str,
    resolv_conf: str | ResolvConf,
    plugin: Answerer,
    libc: Literal["glibc", "musl"] = "glibc",
) -> ResolveResult:
    """Resolve `name` the way a pod's libc would, asking `plugin` for each candidate.

    `qtype` is a record type, or `ADDRESS` ("A+AAAA") for getaddrinfo's paired A/AAAA
    queries. Returns every candidate tried, in order, and the first hit.
    """
    conf = resolv_conf if isinstance(resolv_conf, ResolvConf) else ResolvConf.parse(resolv_conf)
    if libc == "musl":
        return _resolve_musl(name, qtype, conf, plugin)
    return _resolve_glibc(name, qtype, conf, plugin)


def _resolve_glibc(name: str, qtype: str, conf: ResolvConf, plugin: Answerer) -> ResolveResult:
    """glibc __res_context_search."""
    attempts: list[Attempt] = []
    dots = name.count(".")
    trailing_dot = name.endswith(".")
    saved: str | None = None
    tried_as_is = False
    got_nodata = got_servfail = False
    last: str | None = None

    def attempt(candidate: str) -> Attempt:
        responses = _ask(plugin, candidate, qtype)
        a = Attempt(candidate, responses, _glibc_outcome(responses) is None)
        attempts.append(a)
        return a

    def result(hit: Attempt | None, error: str | None) -> ResolveResult:
        return ResolveResult(name, qtype, tuple(attempts), hit, None if hit else error, "glibc")

    if dots >= conf.ndots or trailing_dot:
        a = attempt(name)
        if a.hit:
            return result(a, None)
        saved = _glibc_outcome(a.responses)
        if trailing_dot:
            return result(None, saved)
        tried_as_is = True

    root_on_list = False
    if not trailing_dot:  # RES_DEFNAMES / RES_DNSRCH are on by default
        for domain in conf.search:
            if domain in (".", ""):
                root_on_list = True
                continue
            a = attempt(f"{name}.{domain}")
            if a.hit:
                return result(a, None)
            last = _glibc_outcome(a.responses)
            if last == "NO_DATA":
                got_nodata = True
            elif last == "HOST_NOT_FOUND":
                pass
            elif last == "TRY_AGAIN" and a.responses[0].rcode == SERVFAIL:
                got_servfail = True
            else:
                break  # anything else means we are done with the search list

    if not (tried_as_is or root_on_list):
        a = attempt(name)
        if a.hit:
            return result(a, None)
        last = _glibc_outcome(a.responses)

    if saved is not None:
        error = saved
    elif got_nodata:
        error = "NO_DATA"
    elif got_servfail:
        error = "TRY_AGAIN"
    else:
        error = last or "HOST_NOT_FOUND"
    return result(None, error)


def _resolve_musl(name: str, qtype: str, conf: ResolvConf, plugin: Answerer) -> ResolveResult:
    """musl name_from_dns_search."""
    attempts: list[Attempt] = []
    dots = name.count(".")
    search: tuple[str, ...] = () if (dots >= conf.ndots or name.endswith(".")) else conf.search
    bare = name[:-1] if name.endswith(".") else name
    error: str | None = "EAI_NONAME"
    for candidate in [f"{bare}.{d}" for d in search] + [name]:
        responses = _ask(plugin, candidate, qtype)
        outcome = _musl_outcome(responses, qtype)
        a = Attempt(candidate, responses, outcome is None)
        attempts.append(a)
        if outcome is None:
            return ResolveResult(name, qtype, tuple(attempts), a, None, "musl")
        error = outcome
        if outcome != "EAI_NONAME":
            break  # musl stops at the first answer that is not NXDOMAIN
    return ResolveResult(name, qtype, tuple(attempts), None, error, "musl")


__all__ = [
    "ADDRESS",
    "Answerer",
    "Attempt",
    "ResolvConf",
    "ResolveResult",
    "cluster_first_search",
    "resolv_conf",
    "resolve",
]
