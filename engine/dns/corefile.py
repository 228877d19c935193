"""The `kubernetes` plugin's settings as kubeadm's Corefile writes them (`CoreDNSConfig`),
and that Corefile's text."""
from __future__ import annotations

from dataclasses import dataclass
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


