"""The `kubernetes` plugin's settings as kubeadm's Corefile writes them (`CoreDNSConfig`),
and that Corefile's text; and a cluster's own Corefile read back (`read_corefile`).

Attached to a real cluster (engine.attach), the cluster's Corefile (ConfigMap
kube-system/coredns) says how CoreDNS answers there, so it is read with CoreDNS's own rules
for the options modelled: the `kubernetes` stanza of the server block for port 53 (its zones,
or the block's when it names none; `pods`, `namespaces`, `endpoint_pod_names`,
`fallthrough`, `ignore empty_service`, `ttl`) and the block's `loadbalance`. What is not
modelled (rewrite, hosts, ...) is listed in `CorefileReading.ignored`, so the dashboard can
say what it does not compute.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

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


def _tokens(text: str) -> list[list[str]]:
    """Lines of words, comments dropped, braces as words of their own."""
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        words = re.findall(r"[{}]|[^\s{}]+", line)
        if words:
            out.append(words)
    return out


def _blocks(lines: list[list[str]]) -> list[tuple[list[str], list[list[str]]]]:
    """Server blocks: (their keys, their directive lines, nested blocks flattened in order)."""
    blocks: list[tuple[list[str], list[list[str]]]] = []
    depth = 0
    keys: list[str] = []
    body: list[list[str]] = []
    for words in lines:
        for w in words:
            if w == "{":
                depth += 1
            elif w == "}":
                depth -= 1
        plain = [w for w in words if w not in "{}"]
        if depth == 1 and words[-1] == "{" and not body and not keys:
            keys = plain
            continue
        if depth == 0 and words == ["}"]:
            blocks.append((keys, body))
            keys, body = [], []
            continue
        if depth == 0 and words[-1] != "}":
            continue
        body.append(words)
    return blocks


def _zone_of(key: str) -> tuple[str, str]:
    """`.:53`, `cluster.local:53`, `dns://.:53` -> (zone, port)."""
    key = key.split("://", 1)[-1]
    zone, _, port = key.rpartition(":") if ":" in key else (key, "", "53")
    return zone.rstrip(".") or ".", port or "53"


def read_corefile(text: str) -> CorefileReading:
    """The `CoreDNSConfig` a Corefile configures (see the module docstring)."""
    for keys, body in _blocks(_tokens(text)):
        zones = [_zone_of(k) for k in keys]
        if not any(port == "53" for _, port in zones):
            continue
        opts: dict = {"fallthrough": None, "ttl": PLUGIN_DEFAULT_TTL, "pods": "disabled", "loadbalance": False}
        ignored: list[str] = []
        in_kubernetes = False
        found: list[str] | None = None
        for words in body:
            plain = [w for w in words if w not in "{}"]
            if not plain:
                if words == ["}"]:
                    in_kubernetes = False
                continue
            name = plain[0]
            if in_kubernetes:
                _option(opts, plain)
                if words[-1] == "}":
                    in_kubernetes = False
                continue
            if name == "kubernetes":
                found = plain[1:] or [z for z, _ in zones if z != "."]
                in_kubernetes = words[-1] == "{"
            elif name == "loadbalance":
                opts["loadbalance"] = True
            elif name not in _HARMLESS and not name.startswith(("max_", "lameduck", "disable", "policy")):
                ignored.append(name)
        if found is None:
            continue
        forward = [z for z in found if not z.endswith(REVERSE_SUFFIXES)] or ["cluster.local"]
        reverse = tuple(z for z in found if z.endswith(REVERSE_SUFFIXES))
        try:
            config = CoreDNSConfig(zone=forward[0], reverse_zones=reverse, **opts)
        except ValueError as e:
            raise CorefileError(str(e)) from None
        return CorefileReading(config, tuple(dict.fromkeys(ignored)))
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
