"""The `kubernetes` plugin's settings as kubeadm's Corefile writes them (`CoreDNSConfig`),
and that Corefile's text; a Corefile read as CoreDNS sets it up (`load_corefile`: every
server block, with the plugins the simulation computes); and, for an attached cluster, the
`kubernetes` stanza of its Corefile (`read_corefile`).

Both readings go through CoreDNS's own parser (engine.dns.caddyfile). `load_corefile` is
what a simulated CoreDNS process runs (engine.dns.process): it refuses what CoreDNS would
refuse, in CoreDNS's words, so a learner's broken edit fails as it would on kind.
Attached to a real cluster (engine.attach), the cluster's Corefile (ConfigMap
kube-system/coredns) says how CoreDNS answers there; `read_corefile` takes the options
the mirror computes (the `kubernetes` stanza of the server block for port 53: its zones,
or the block's when it names none; `pods`, `namespaces`, `endpoint_pod_names`,
`fallthrough`, `ignore empty_service`, `ttl`; and the block's `loadbalance`). What the
mirror does not compute (rewrite, hosts, ...) is listed in `CorefileReading.ignored`, so
the dashboard can say what it does not compute.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from engine.api.goduration import DurationError, parse_go_duration
from engine.dns import caddyfile
from engine.dns.names import fqdn
from engine.dns.records import KUBEADM_TTL, PLUGIN_DEFAULT_TTL

PodMode = Literal["insecure", "verified", "disabled"]

# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class CoreDNSConfig:
    """The options of the `kubernetes` stanza (and the few server-block plugins modelled).

    Defaults are kubeadm's Corefile (spec A.8): zone cluster.local plus in-addr.arpa and
    ip6.arpa, `pods insecure`, `fallthrough in-addr.arpa ip6.arpa`, `ttl 30`, and
    `loadbalance`. `plugin_defaults()` gives the bare plugin's defaults (ttl 5, pods
    disabled, no fallthrough) that CoreDNS's own test vectors assume.

    `fallthrough`: None = no `fallthrough` line; () = `fallthrough` with no zones (every
    name falls through); otherwise the zones listed.
    `namespaces`: the `namespaces` option (empty = all namespaces exposed).
    `local_ips`: the addresses the CoreDNS pod itself listens on; only NS answers at the
    zone apex use them (ns.go), so leave empty unless you want those.
    `cache 30` is not modelled: answers here are always fresh, as with the newer kubeadm
    Corefile that disables caching for cluster.local.
    """

    zone: str = "cluster.local"
    reverse_zones: tuple[str, ...] = ("in-addr.arpa", "ip6.arpa")
    ttl: int = KUBEADM_TTL
    pods: PodMode = "insecure"
    fallthrough: tuple[str, ...] | None = ("in-addr.arpa", "ip6.arpa")
    ignore_empty_service: bool = False
    namespaces: tuple[str, ...] = ()
    endpoint_pod_names: bool = False
    local_ips: tuple[str, ...] = ()
    loadbalance: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.ttl <= 3600:
            raise ValueError(f"ttl must be in range [0, 3600]: {self.ttl}")
        if self.pods not in ("insecure", "verified", "disabled"):
            raise ValueError(f"pods must be insecure, verified or disabled: {self.pods!r}")

    @classmethod
    def plugin_defaults(cls, **overrides: Any) -> CoreDNSConfig:
        """`kubernetes cluster.local` with no options: ttl 5, pods disabled, no fallthrough."""
        base: dict[str, Any] = dict(
            reverse_zones=(), ttl=PLUGIN_DEFAULT_TTL, pods="disabled", fallthrough=None, loadbalance=False
        )
        base.update(overrides)
        return cls(**base)

    @property
    def zones(self) -> list[str]:
        """All zones the plugin is authoritative for, as FQDNs, primary first."""
        return [fqdn(self.zone.lower())] + [fqdn(z.lower()) for z in self.reverse_zones]

    def corefile(self) -> str:
        """The Corefile text (ConfigMap kube-system/coredns) these options correspond to."""
        zones = " ".join([self.zone, *self.reverse_zones])
        opts: list[str] = []
        if self.pods != "disabled":
            opts.append(f"pods {self.pods}")
        if self.namespaces:
            opts.append("namespaces " + " ".join(self.namespaces))
        if self.endpoint_pod_names:
            opts.append("endpoint_pod_names")
        if self.fallthrough is not None:
            opts.append(" ".join(["fallthrough", *self.fallthrough]))
        if self.ignore_empty_service:
            opts.append("ignore empty_service")
        if self.ttl != PLUGIN_DEFAULT_TTL:
            opts.append(f"ttl {self.ttl}")
        stanza = f"    kubernetes {zones}"
        if opts:
            stanza += " {\n" + "".join(f"       {o}\n" for o in opts) + "    }"
        lines = [
            ".:53 {",
            "    errors",
            "    health {",
            "       lameduck 5s",
            "    }",
            "    ready",
            stanza,
            "    prometheus :9153",
            "    forward . /etc/resolv.conf {",
            "       max_concurrent 1000",
            "    }",
            "    cache 30",
            "    loop",
            "    reload",
        ]
        if self.loadbalance:
            lines.append("    loadbalance")
        lines.append("}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading

REVERSE_SUFFIXES = ("in-addr.arpa", "ip6.arpa")
#: Plugins whose absence or presence changes nothing the dashboard computes.
_HARMLESS = frozenset({"errors", "health", "ready", "prometheus", "forward", "cache", "loop", "reload", "log",
                       "loadbalance", "kubernetes", "bind", "debug", "whoami"})


class CorefileError(ValueError):
    """A Corefile svcflow cannot read (no `kubernetes` stanza, an option out of range)."""


@dataclass(frozen=True)
class CorefileReading:
    config: CoreDNSConfig
    ignored: tuple[str, ...] = field(default_factory=tuple)  # plugins present but not modelled


def _zone_of(key: str) -> tuple[str, str]:
    """`.:53`, `cluster.local:53`, `dns://.:53` -> (zone, port)."""
    key = key.split("://", 1)[-1]
    zone, _, port = key.rpartition(":") if ":" in key else (key, "", "53")
    return zone.rstrip(".") or ".", port or "53"


def read_corefile(text: str) -> CorefileReading:
    """The `CoreDNSConfig` a Corefile configures (see the module docstring): the first
    block for port 53 with a `kubernetes` stanza, read with CoreDNS's parser and the
    stanza's own rules; directives svcflow does not know are listed, not refused (a real
    cluster's CoreDNS may be built with plugins of its own)."""
    try:
        blocks = caddyfile.parse(text)
    except caddyfile.CaddyfileError as e:
        raise CorefileError(str(e)) from None
    for block in blocks:
        zones = [_zone_of(k) for k in block.keys]
        if not any(port == "53" for _, port in zones):
            continue
        config: CoreDNSConfig | None = None
        lb = False
        ignored: list[str] = []
        for d in block.directives:
            name = d[0].text
            if name == "kubernetes":
                config = _kubernetes(_lines(d), tuple("." if z == "." else fqdn(z.lower()) for z, _ in zones))
            elif name == "loadbalance":
                lb = True
            elif name not in _HARMLESS:
                ignored.append(name)
        if config is None:
            continue
        return CorefileReading(replace(config, loadbalance=lb), tuple(dict.fromkeys(ignored)))
    raise CorefileError("no server block for port 53 with a `kubernetes` stanza")


def _option(opts: dict, words: list[str]) -> None:
    name, args = words[0], words[1:]
    if name == "pods" and args:
        opts["pods"] = args[0]
    elif name == "fallthrough":
        opts["fallthrough"] = tuple(args)
    elif name == "ttl" and args:
        try:
            opts["ttl"] = int(args[0])
        except ValueError:
            raise CorefileError(f"ttl: not a number: {args[0]!r}") from None
    elif name == "namespaces":
        opts["namespaces"] = tuple(args)
    elif name == "endpoint_pod_names":
        opts["endpoint_pod_names"] = True
    elif name == "ignore" and args[:1] == ["empty_service"]:
        opts["ignore_empty_service"] = True


# --------------------------------------------------------------------------- the whole Corefile
# What a CoreDNS process runs (engine.dns.server): every server block, with the plugins
# learners add computed (hosts, rewrite name, log, forward to a stub domain's upstream), read
# with CoreDNS's setup rules and refused in its words (`plugin/kubernetes: ...`).

#: plugin.cfg of CoreDNS 1.12: the directives a Corefile may use (any other is `Unknown
#: directive`), in the order CoreDNS chains them whatever order the Corefile lists them in.
PLUGIN_ORDER = (
    "root", "metadata", "geoip", "cancel", "tls", "timeouts", "multisocket", "reload", "nsid", "bufsize", "bind",
    "debug", "trace", "ready", "health", "pprof", "prometheus", "errors", "log", "dnstap", "local", "dns64", "acl",
    "any", "chaos", "loadbalance", "tsig", "cache", "rewrite", "header", "dnssec", "autopath", "minimal", "template",
    "transfer", "hosts", "route53", "azure", "clouddns", "k8s_external", "kubernetes", "file", "auto", "secondary",
    "etcd", "loop", "forward", "grpc", "erratic", "whoami", "on", "sign", "view",
)
#: plugins that refuse a second use in one server block (plugin.ErrOnce)
_ONCE = frozenset({"kubernetes", "hosts", "forward", "log", "errors", "reload", "loadbalance", "cache", "health",
                   "ready", "loop"})
#: the reload plugin's defaults (plugin/reload/setup.go)
RELOAD_INTERVAL = 30.0
RELOAD_JITTER = 15.0
HOSTS_TTL = 3600  # plugin/hosts: the default ttl of its answers


@dataclass(frozen=True)
class HostsSpec:
    """`hosts [FILE [ZONES...]] { IP NAME...  fallthrough [ZONES...]  ttl N }` (inline
    entries only: the CoreDNS image's own /etc/hosts holds nothing a query asks for)."""

    entries: tuple[tuple[str, tuple[str, ...]], ...]  # (ip, names as FQDNs, lower case)
    zones: tuple[str, ...]
    ttl: int = HOSTS_TTL
    fallthrough: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RewriteRule:
    """`rewrite [continue|stop] name [exact|prefix|suffix|substring|regex] FROM TO
    [answer auto | answer name FROM TO]` (plugin/rewrite/name.go)."""

    match: str
    source: str
    target: str
    answer_auto: bool = False
    answer_name: tuple[str, str] | None = None
    stop: bool = True


@dataclass(frozen=True)
class ForwardSpec:
    """`forward FROM TO...`: the upstreams; /etc/resolv.conf is the node's resolver."""

    zone: str
    to: tuple[str, ...]

    @property
    def node_resolver(self) -> bool:
        return any(t.endswith("resolv.conf") for t in self.to)


@dataclass(frozen=True)
class BlockSpec:
    """One server block as CoreDNS sets it up."""

    zones: tuple[str, ...]  # FQDNs, lower case
    port: str
    kubernetes: CoreDNSConfig | None = None
    hosts: HostsSpec | None = None
    rewrites: tuple[RewriteRule, ...] = ()
    forward: ForwardSpec | None = None
    log: bool = False
    errors: bool = False
    loadbalance: bool = False


@dataclass(frozen=True)
class Corefile:
    """A Corefile CoreDNS accepted: its blocks, the `reload` plugin's hash, and the reload
    interval (None: no `reload`, the file is never read again)."""

    text: str
    blocks: tuple[BlockSpec, ...]
    sha512: str
    reload: float | None

    def server_lines(self) -> list[str]:
        """What CoreDNS prints at start-up for its servers (dnsserver startUpZones): each
        zone with its port, sorted."""
        by_port: dict[str, set[str]] = {}
        for b in self.blocks:
            by_port.setdefault(b.port, set()).update(b.zones)
        return [f"{z}:{port}" for port, zones in sorted(by_port.items()) for z in sorted(zones)]


def parse_blocks(text: str) -> list:
    """The Caddyfile parse `reload` runs (a syntax error is a CaddyfileError)."""
    return caddyfile.parse(text)


def load_corefile(text: str) -> Corefile:
    """Set up every server block as CoreDNS does; a Corefile it would refuse raises
    CorefileError with the message CoreDNS logs."""
    try:
        blocks = caddyfile.parse(text)
    except caddyfile.CaddyfileError as e:
        raise CorefileError(str(e)) from None
    sha = caddyfile.config_sha512(blocks)
    specs: list[BlockSpec] = []
    reload: float | None = None
    seen_keys: set[str] = set()
    for block in blocks:
        zones_ports = [_zone_of(k) for k in block.keys]
        for z, p in zones_ports:
            key = f"dns://{fqdn(z.lower()) if z != '.' else '.'}:{p}"
            if key in seen_keys:
                raise CorefileError(f"cannot serve {key} - zone already defined")
            seen_keys.add(key)
        zones = tuple(dict.fromkeys("." if z == "." else fqdn(z.lower()) for z, _ in zones_ports))
        port = zones_ports[0][1] if zones_ports else "53"
        used: set[str] = set()
        spec: dict[str, Any] = {}
        rewrites: list[RewriteRule] = []
        for d in block.directives:
            name = d[0].text
            if name not in PLUGIN_ORDER:
                raise CorefileError(caddyfile.errf(d[0].line, f"Unknown directive '{name}'").args[0])
            if name in _ONCE and name in used:
                raise CorefileError(f"plugin/{name}: this plugin can only be used once per Server Block")
            used.add(name)
            lines = _lines(d)
            if name == "kubernetes":
                spec["kubernetes"] = _kubernetes(lines, zones)
            elif name == "hosts":
                spec["hosts"] = _hosts(lines, zones)
            elif name == "rewrite":
                rewrites += _rewrite(lines)
            elif name == "forward":
                spec["forward"] = _forward(lines)
            elif name == "reload":
                reload = _reload(lines)
            elif name == "health":
                _health(lines)
            elif name in ("log", "errors", "loadbalance"):
                spec[name] = True
        lb = bool(spec.get("loadbalance"))
        if spec.get("kubernetes") is not None:
            spec["kubernetes"] = replace(spec["kubernetes"], loadbalance=lb)
        specs.append(BlockSpec(zones=zones, port=port, rewrites=tuple(rewrites), **spec))
    return Corefile(text, tuple(specs), sha, reload)


def _lines(d: list) -> list[list]:
    """A directive's tokens as lines: the directive's own, then one per line inside its
    braces (the braces dropped)."""
    out: list[list] = []
    for t in d:
        if t.text in ("{", "}"):
            continue
        if out and out[-1][0].line == t.line:
            out[-1].append(t)
        else:
            out.append([t])
    return out


def _arg_err(tok) -> CorefileError:
    return CorefileError(caddyfile.errf(tok.line, f"Wrong argument count or unexpected line ending after "
                                                  f"'{tok.text}'").args[0])


def _kubernetes(lines: list[list], zones: tuple[str, ...]) -> CoreDNSConfig:
    head = [t.text for t in lines[0][1:]]
    found = head or [z.rstrip(".") for z in zones if z != "."]
    opts: dict[str, Any] = {"fallthrough": None, "ttl": PLUGIN_DEFAULT_TTL, "pods": "disabled", "loadbalance": False}
    for line in lines[1:]:
        name, args = line[0].text, [t.text for t in line[1:]]
        try:
            if name == "ttl":
                if len(args) != 1:
                    raise _arg_err(line[-1])
                try:
                    ttl = int(args[0])
                except ValueError:
                    raise CorefileError(f'plugin/kubernetes: strconv.Atoi: parsing "{args[0]}": invalid syntax') \
                        from None
                if not 0 <= ttl <= 3600:
                    raise CorefileError(caddyfile.errf(line[0].line, f"ttl must be in range [0, 3600]: {ttl}")
                                        .args[0])
                opts["ttl"] = ttl
            elif name == "pods":
                if len(args) != 1:
                    raise _arg_err(line[-1])
                if args[0] not in ("disabled", "verified", "insecure"):
                    raise CorefileError(f"wrong value for pods: {args[0]},  must be one of: disabled, verified, "
                                        "insecure")
                opts["pods"] = args[0]
            elif name == "ignore" and args[:1] == ["empty_service"]:
                opts["ignore_empty_service"] = True
            elif name in ("endpoint_pod_names", "fallthrough", "namespaces"):
                _option(opts, [name, *args])
            elif name not in ("kubeconfig", "endpoint", "tls", "labels", "namespace_labels", "noendpoints",
                              "startup_timeout", "apiserver_qps", "apiserver_burst", "apiserver_max_inflight",
                              "multicluster", "zonal", "ignore"):
                raise CorefileError(caddyfile.errf(line[0].line, f"unknown property '{name}'").args[0])
        except CorefileError as e:
            raise CorefileError(f"plugin/kubernetes: {e}" if not str(e).startswith("plugin/") else str(e)) from None
    forward = [z for z in found if not z.rstrip(".").endswith(REVERSE_SUFFIXES)] or ["cluster.local"]
    reverse = tuple(z.rstrip(".") for z in found if z.rstrip(".").endswith(REVERSE_SUFFIXES))
    return CoreDNSConfig(zone=forward[0].rstrip("."), reverse_zones=reverse, **opts)


def _hosts(lines: list[list], zones: tuple[str, ...]) -> HostsSpec:
    head = [t.text for t in lines[0][1:]]
    hzones = tuple(fqdn(z.lower()) for z in head[1:]) or zones
    entries: list[tuple[str, tuple[str, ...]]] = []
    fall: tuple[str, ...] | None = None
    ttl = HOSTS_TTL
    for line in lines[1:]:
        words = [t.text for t in line]
        if words[0] == "fallthrough":
            fall = tuple(fqdn(z.lower()) for z in words[1:])
        elif words[0] == "ttl":
            if len(words) != 2:
                raise CorefileError(f"plugin/hosts: {_arg_err(line[-1])}")
            try:
                ttl = int(words[1])
            except ValueError:
                raise CorefileError(f"plugin/hosts: {caddyfile.errf(line[1].line, 'ttl needs a number of second')}") \
                    from None
            if not 0 < ttl <= 65535:
                raise CorefileError(f"plugin/hosts: {caddyfile.errf(line[1].line, 'ttl provided is invalid')}")
        elif words[0] in ("reload", "no_reverse"):
            continue
        elif _is_ip(words[0]):
            if len(words) < 2:
                continue  # (the hosts file parser skips a line with no name)
            entries.append((words[0], tuple(fqdn(n.lower()) for n in words[1:])))
        else:
            raise CorefileError(f"plugin/hosts: {caddyfile.errf(line[0].line, f'unknown property {words[0]!r}')}")
    return HostsSpec(tuple(entries), hzones, ttl, fall)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
        return True
    except ValueError:
        return False


_MATCH_TYPES = ("exact", "prefix", "suffix", "substring", "regex")


def _rewrite(lines: list[list]) -> list[RewriteRule]:
    """Each `name` rule of a rewrite directive (other fields are refused as not computed:
    svcflow answers no EDNS0, class or type rewrites)."""
    head = [t.text for t in lines[0][1:]]
    stop = True
    bodies: list[tuple[list, list[str]]] = []
    if head[:1] in (["continue"], ["stop"]):
        stop = head[0] == "stop"
        head = head[1:]
    if head:
        bodies.append((lines[0], head))
    else:
        for line in lines[1:]:
            bodies.append((line, [t.text for t in line]))
    rules: list[RewriteRule] = []
    pending: RewriteRule | None = None
    for line, words in bodies:
        if words[0] == "answer" and pending is not None and len(words) == 4 and words[1] == "name":
            rules[-1] = RewriteRule(pending.match, pending.source, pending.target, pending.answer_auto,
                                    (words[2], words[3]), pending.stop)
            continue
        if words[0] != "name":
            raise CorefileError(f"plugin/rewrite: invalid rule type \"{words[0]}\"" if words[0] not in (
                "type", "class", "edns0", "ttl", "cname", "rcode") else
                f"plugin/rewrite: rewrite {words[0]} is not computed by svcflow")
        args = words[1:]
        match = "exact"
        if args and args[0] in _MATCH_TYPES:
            match, args = args[0], args[1:]
        answer_auto = False
        answer_name = None
        if len(args) > 2:
            rest = args[2:]
            if rest == ["answer", "auto"]:
                answer_auto = True
            elif len(rest) == 4 and rest[:2] == ["answer", "name"]:
                answer_name = (rest[2], rest[3])
            else:
                raise CorefileError(f"plugin/rewrite: {_arg_err(line[-1])}")
            args = args[:2]
        if len(args) != 2:
            raise CorefileError(f"plugin/rewrite: {_arg_err(line[-1])}")
        if match == "regex":
            try:
                re.compile(args[0])
            except re.error as e:
                raise CorefileError(f"plugin/rewrite: invalid regex pattern in a name rule: {args[0]}: {e}") \
                    from None
        pending = RewriteRule(match, args[0], args[1], answer_auto, answer_name, stop)
        rules.append(pending)
    return rules


def _forward(lines: list[list]) -> ForwardSpec:
    head = lines[0]
    if len(head) < 3:
        raise CorefileError(f"plugin/forward: {_arg_err(head[-1])}")
    return ForwardSpec(head[1].text, tuple(t.text for t in head[2:]))


def _reload(lines: list[list]) -> float:
    args = [t.text for t in lines[0][1:]]
    if len(args) > 2:
        raise CorefileError(f"plugin/reload: {_arg_err(lines[0][-1])}")
    interval = RELOAD_INTERVAL
    if args:
        interval = _duration(args[0], "reload")
        if interval < 2:
            raise CorefileError("plugin/reload: interval value must be greater or equal to 2s")
    if len(args) > 1 and _duration(args[1], "reload") < 1:  # (the jitter: only checked, never simulated)
        raise CorefileError("plugin/reload: jitter value must be greater or equal to 1s")
    return interval


def _health(lines: list[list]) -> None:
    """The health plugin's setup checks (plugin/health/setup.go parse): at most one address,
    which must have a port, and a block of `lameduck DURATION` only. (Its answers are the
    health workload's, engine.workloads.apps.)"""
    head = lines[0]
    if len(head) > 2:
        raise CorefileError(f"plugin/health: {_arg_err(head[-1])}")
    if len(head) == 2:
        addr = head[1].text
        host = addr.rsplit("]", 1)[0] if addr.startswith("[") else addr
        if ":" not in addr.rsplit("]", 1)[-1]:
            raise CorefileError(f"plugin/health: address {addr}: missing port in address")
        if not addr.startswith("[") and host.count(":") > 1:
            raise CorefileError(f"plugin/health: address {addr}: too many colons in address")
    for line in lines[1:]:
        if line[0].text != "lameduck" or len(line) != 2:  # (ArgErr names the token read last)
            raise CorefileError(f"plugin/health: {_arg_err(line[0] if line[0].text != 'lameduck' else line[-1])}")
        try:
            parse_go_duration(line[1].text)
        except DurationError as e:
            raise CorefileError(f"plugin/health: unable to parse lameduck duration value: '{line[1].text}' : {e}") \
                from None


def _duration(text: str, plugin: str) -> float:
    """Go's time.ParseDuration (engine.api.goduration), its error wrapped as CoreDNS's
    plugin.Error wraps it: `plugin/reload: time: missing unit in duration "5"`."""
    try:
        return parse_go_duration(text)
    except DurationError as e:
        raise CorefileError(f"plugin/{plugin}: {e}") from None
