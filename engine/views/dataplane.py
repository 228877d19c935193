"""The data-plane views the dashboard and CLI read: kube-proxy rules per node and mode,
CoreDNS records and query log, and which chains belong to which Service or pod.

Thin accessors over the kube-proxy and CoreDNS controllers, so `tui/` never touches
their internals.
"""
from __future__ import annotations

from engine.views.rows import Row


def _proxy(cluster):
    return getattr(cluster, "kube_proxy", None)


def _dns(cluster):
    return getattr(cluster, "coredns", None)


def proxy_lines(cluster, node: str, mode: str) -> list[str]:
    kp = _proxy(cluster)
    if kp is None:
        return []
    return kp.render(node, mode).splitlines()


def chains_for_service(cluster, node: str, mode: str, ns: str, name: str) -> set[str]:
    kp = _proxy(cluster)
    return set(kp.chains_for_service(node, mode, ns, name)) if kp is not None else set()


def chains_for_pod(cluster, node: str, mode: str, ns: str, name: str) -> set[str]:
    kp = _proxy(cluster)
    return set(kp.chains_for_pod(node, mode, ns, name)) if kp is not None else set()


def dns_rows(cluster, namespace: str | None = None) -> list[Row]:
    """CoreDNS's records for the DNS pane: of one namespace (the pane follows the others),
    or of all (``None``)."""
    dns = _dns(cluster)
    if dns is None:
        return []
    return [Row(f"{name}|{rtype}|{value}", (name, rtype, value)) for name, rtype, value in dns.record_rows(namespace)]


def dns_names_for_service(cluster, namespace: str, name: str) -> set[str]:
    """The record names CoreDNS serves for a Service, without the final dot (what the
    DNS pane's step-4 highlight lights up)."""
    dns = _dns(cluster)
    if dns is None:
        return set()
    return {n.rstrip(".") for n in dns.plugin.service_record_names(namespace, name)}


def take_dns_queries(cluster) -> list[str]:
    dns = _dns(cluster)
    return dns.take_query_log() if dns is not None else []
