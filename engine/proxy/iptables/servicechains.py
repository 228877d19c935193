"""Which iptables chains and rules carry a Service's or a pod's traffic on a node.

What the dashboard lights up when a Service or a pod is selected: the Service's chains
(KUBE-SVC/SVL/EXT/FW of each port), its endpoints' KUBE-SEP chains, and the comment
prefixes of the rules that name it (e.g. the "has no endpoints" REJECTs). The names are
derived as kube-proxy derives them (:mod:`engine.proxy.iptables.chains`), from the API
objects, so they match whether or not the node has synced yet.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from engine.api.objects import labels_of
from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.proxy.iptables.chains import endpoint_chain, external_chain, firewall_chain, local_chain, service_chain
from engine.proxy.model import service_port_name


def service_chains(ns: str, name: str, svc: Mapping, slices: Iterable[Mapping]) -> list[str]:
    """The chain names and comment prefixes of Service ``ns/name`` (``slices``: its
    namespace's EndpointSlices; those of other Services are skipped)."""
    out = [f'"{ns}/{name} ', f'"{ns}/{name}:', f'"{ns}/{name}"']
    own = [s for s in slices if labels_of(s).get(SERVICE_NAME_LABEL) == name]
    for p in svc["spec"].get("ports") or []:
        spn = service_port_name(ns, name, p.get("name"))
        proto = p.get("protocol", "TCP").lower()
        out += [service_chain(spn, proto), local_chain(spn, proto), external_chain(spn, proto),
                firewall_chain(spn, proto)]
        for s in own:
            for sp in s.get("ports") or []:
                if (sp.get("name") or "") != (p.get("name") or ""):
                    continue
                for e in s.get("endpoints") or []:
                    for ip in e.get("addresses") or []:
                        out.append(endpoint_chain(spn, proto, f"{ip}:{sp['port']}"))
    return out


def endpoint_chains(ns: str, ip: str, slices: Iterable[Mapping]) -> list[str]:
    """The KUBE-SEP chains of every Service port that has the pod at ``ip`` as an
    endpoint (``slices``: the pod's namespace's EndpointSlices)."""
    out = []
    for s in slices:
        svc_name = labels_of(s).get(SERVICE_NAME_LABEL)
        if not svc_name or not any(ip in (e.get("addresses") or []) for e in s.get("endpoints") or []):
            continue
        for sp in s.get("ports") or []:
            spn = service_port_name(ns, svc_name, sp.get("name") or None)
            out.append(endpoint_chain(spn, sp.get("protocol", "TCP").lower(), f"{ip}:{sp['port']}"))
    return out
