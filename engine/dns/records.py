"""What CoreDNS answers, as data: response codes, resource records, a response, the
records a zone holds, and what a change to them was (for the flow's step 4)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Mapping

from engine.dns.names import fqdn

# Response codes, as dig spells them.
NOERROR = "NOERROR"
FORMERR = "FORMERR"
SERVFAIL = "SERVFAIL"
NXDOMAIN = "NXDOMAIN"
NOTIMP = "NOTIMP"
REFUSED = "REFUSED"

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"
EVENT_TYPES = (ADDED, MODIFIED, DELETED)

DNS_SCHEMA_VERSION = "1.1.0"  # kubernetes.go DNSSchemaVersion, served as dns-version TXT
PLUGIN_DEFAULT_TTL = 5  # kubernetes.go defaultTTL
KUBEADM_TTL = 30  # kubeadm's Corefile says `ttl 30`

# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RR:
    """One resource record as it appears in a response section.

    `rdata` is presentation text exactly as dig prints it (`0 100 80 svc1.ns.svc.cluster.local.`,
    `"1.1.0"`), so renderers never need per-type logic beyond the wire length.
    """

    name: str
    ttl: int
    rclass: str
    rtype: str
    rdata: str

    def to_text(self) -> str:
        """Tab-separated zone-file form, as CoreDNS's own tests write records."""
        return f"{self.name}\t{self.ttl}\t{self.rclass}\t{self.rtype}\t{self.rdata}"

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class DnsResponse:
    """A DNS reply: header bits that dig shows, plus the three record sections.

    `forwarded` marks replies that came from the upstream (the `forward` plugin), so a
    dashboard can tell "CoreDNS answered" from "CoreDNS asked upstream".
    """

    qname: str
    qtype: str
    rcode: str = NOERROR
    aa: bool = False
    tc: bool = False
    rd: bool = True
    ra: bool = False
    answer: tuple[RR, ...] = ()
    authority: tuple[RR, ...] = ()
    additional: tuple[RR, ...] = ()
    forwarded: bool = False

    @property
    def nodata(self) -> bool:
        """NOERROR with nothing in the answer: the name exists, the type does not."""
        return self.rcode == NOERROR and not self.answer

    @property
    def addresses(self) -> list[str]:
        """A/AAAA rdata of the answer section, in order."""
        return [rr.rdata for rr in self.answer if rr.rtype in ("A", "AAAA")]

    def summary(self) -> str:
        """One line for logs and panes: `NOERROR A 10.96.0.1` / `NXDOMAIN` / `NOERROR (no data)`."""
        if self.rcode != NOERROR:
            return self.rcode
        if not self.answer:
            return "NOERROR (no data)"
        return "NOERROR " + ", ".join(f"{rr.rtype} {rr.rdata}" for rr in self.answer)


Upstream = Callable[[str, str], DnsResponse]


def forwarded_nxdomain(qname: str, qtype: str) -> DnsResponse:
    """Default upstream: the simulator has no internet, so every forwarded name is NXDOMAIN.

    The reply is marked `forwarded` and looks like a recursive resolver's (ra, not aa).
    """
    return DnsResponse(qname=qname, qtype=qtype, rcode=NXDOMAIN, ra=True, forwarded=True)


@dataclass
class StaticUpstream:
    """A tiny fake of the node's resolvers: `{"google.com": {"A": ["142.250.1.1"]}}`.

    Why: tests and the dashboard want `google.com` to resolve (A.10's last row) without
    a network. Unknown names are NXDOMAIN; known names without the type are NODATA.
    """

    zone: Mapping[str, Mapping[str, list[str]]]
    ttl: int = 30

    def __call__(self, qname: str, qtype: str) -> DnsResponse:
        table = {fqdn(k.lower()): v for k, v in self.zone.items()}
        data = table.get(fqdn(qname.lower()))
        if data is None:
            return DnsResponse(qname=qname, qtype=qtype, rcode=NXDOMAIN, ra=True, forwarded=True)
        answer = tuple(RR(qname, self.ttl, "IN", qtype, v) for v in data.get(qtype, []))
        return DnsResponse(qname=qname, qtype=qtype, ra=True, answer=answer, forwarded=True)


@dataclass(frozen=True)
class ZoneRecord:
    """A record the plugin would serve, for listings (`records()`) and change reports.

    `kind` says where it comes from: service (ClusterIP A/AAAA), headless (endpoint
    A/AAAA on the service name), endpoint (per-endpoint name), srv, ptr, externalname
    (CNAME), pod. `namespace`/`owner` name the Service (or Pod) it belongs to.
    """

    name: str
    rtype: str
    rdata: str
    ttl: int
    kind: str
    namespace: str = ""
    owner: str = ""

    def to_rr(self) -> RR:
        return RR(self.name, self.ttl, "IN", self.rtype, self.rdata)

    def describe(self) -> str:
        """`redis.default.svc.cluster.local -> 10.96.140.27` (dots trimmed for people)."""
        name = self.name.rstrip(".")
        if self.rtype in ("A", "AAAA"):
            return f"{name} -> {self.rdata}"
        if self.rtype == "SRV":
            _prio, _weight, port, target = self.rdata.split()
            return f"{name} -> {target.rstrip('.')}:{port} (SRV)"
        return f"{name} -> {self.rdata.rstrip('.')} ({self.rtype})"

    def __str__(self) -> str:
        return self.to_rr().to_text()


@dataclass(frozen=True)
class RecordChange:
    """One record appearing in or disappearing from what CoreDNS serves."""

    action: Literal["added", "removed"]
    record: ZoneRecord

    def line(self) -> str:
        verb = "serves" if self.action == "added" else "no longer serves"
        return f"CoreDNS {verb} {self.record.describe()}"


