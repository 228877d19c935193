"""kube-proxy on every node (step 3 of the Service flow).

Like the real one it watches Services and EndpointSlices — not Endpoints — and batches
changes: watch events only record which Services changed; one reconcile then runs a
sync on each node, partial (KEP-3453: only the touched Services' chains plus the
top-level chains) unless a full one is due. Each node keeps its own rule state, because
NodePort and Local-policy rules differ per node. Every sync is a step-3 flow event with
the node, the mode, the chains written and deleted, and the rule count.
"""
from __future__ import annotations

from datetime import timezone

from engine.controllers.base import Controller
from engine.events import STEP_PROXY
from engine.objects import labels_of, meta
from engine.proxy import IPTablesProxier, ProxierConfig
from engine.proxy.chains import endpoint_chain, external_chain, firewall_chain, local_chain, service_chain

SYNC_KEY = "sync"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
IPTABLES_VERSION = "v1.8.9"


def service_port_name(ns: str, name: str, port_name: str | None) -> str:
    return f"{ns}/{name}:{port_name}" if port_name else f"{ns}/{name}"


class KubeProxy(Controller):
    name = "kube-proxy"

    def __init__(self, cluster) -> None:
        super().__init__(cluster)
        self.proxiers: dict[str, IPTablesProxier] = {}
        self.last_sync: dict[str, object] = {}
        self._changed: set[str] | None = None  # None = first sync is full
        self._other_modes: dict[tuple[str, str, int], str] = {}
        from engine.proxy.modes import ModeProxies

        self.modes = ModeProxies(cluster)
        self.store.watch("Service", self._on_change)
        self.store.watch("EndpointSlice", self._on_change)
        self.store.watch("Node", self._on_node)

    # -- watch ------------------------------------------------------------------
    def _on_change(self, ev) -> None:
        obj = ev.obj
        ns = meta(obj).get("namespace") or ""
        name = meta(obj)["name"] if obj["kind"] == "Service" else labels_of(obj).get(SERVICE_NAME_LABEL)
        if not name:
            return
        if self._changed is not None:
            self._changed.add(f"{ns}/{name}")
        self.enqueue(SYNC_KEY)

    def _on_node(self, ev) -> None:
        if ev.type == "ADDED":
            self._changed = None if not self.proxiers else self._changed
            self.enqueue(SYNC_KEY)

    @property
    def mode(self) -> str:
        return self.cluster.topology.proxy.mode

    def config_for(self, node: dict) -> ProxierConfig:
        p = self.cluster.topology.proxy
        ips = [a["address"] for a in (node.get("status") or {}).get("addresses") or []
               if a.get("type") in ("InternalIP", "ExternalIP")]
        return ProxierConfig(node_name=meta(node)["name"], node_ips=ips, node_ip=ips[0] if ips else "",
                             cluster_cidr=p.cluster_cidr, masquerade_all=p.masquerade_all,
                             masquerade_bit=p.masquerade_bit, localhost_node_ports=p.localhost_node_ports,
                             node_port_addresses=list(p.node_port_addresses),
                             node_labels=dict(labels_of(node)))

    # -- reconcile ----------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        services = self.store.list("Service")
        slices = self.store.list("EndpointSlice")
        changed, self._changed = self._changed, set()
        now = (self.cluster.now() - self.cluster.clock_origin).total_seconds()
        for node in self.store.list("Node"):
            node_name = meta(node)["name"]
            proxier = self.proxiers.get(node_name)
            full = proxier is None or changed is None
            if proxier is None:
                proxier = self.proxiers[node_name] = IPTablesProxier(self.config_for(node))
            result = proxier.sync(services, slices, changed=None if full else changed, now=now)
            self.last_sync[node_name] = result
            written, deleted, rules = result.chains_written, result.chains_deleted, result.rule_count
            if self.mode in ("ipvs", "nftables"):
                ms = self.modes.sync(node_name, self.mode)
                written, deleted, rules = ms.written, ms.deleted, ms.rules
            if not written and not deleted:
                continue
            touched = sorted(changed or [])
            unit = {"ipvs": "virtual servers"}.get(self.mode, "chains")
            kind = "full" if result.full or self.mode != "iptables" else "partial"
            detail = f"{kind} sync: {len(written)} {unit} written, {len(deleted)} deleted, {rules} rules"
            for svc_key in touched[:1] or [""]:
                ns, _, name = svc_key.partition("/")
                obj = self.store.get("Service", ns, name) or {"kind": "Service",
                                                              "metadata": {"namespace": ns, "name": name}}
                self.cluster.flow(self.name, obj if svc_key else node, "synced", f"{node_name}: {detail}",
                                  step=STEP_PROXY,
                                  data={"node": node_name, "mode": self.mode, "full": kind == "full",
                                        "services": touched, "written": list(written),
                                        "deleted": list(deleted), "rules": rules})
        self._other_modes.clear()

    # -- views ----------------------------------------------------------------------
    def _timestamp(self) -> str:
        t = self.cluster.now().astimezone(timezone.utc)
        return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y")

    def iptables_save(self, node: str) -> str:
        p = self.proxiers.get(node)
        if p is None:
            return ""
        return p.save(timestamp=self._timestamp(), version=IPTABLES_VERSION, backend="nft")

    def iptables_restore(self, node: str) -> str:
        p = self.proxiers.get(node)
        return self.last_sync[node].restore if p is not None and node in self.last_sync else ""  # type: ignore[attr-defined]

    def full_restore(self, node: str) -> str:
        """A fresh full sync's iptables-restore input for `node` (what `--format restore` prints)."""
        n = self.store.get("Node", "", node)
        if n is None:
            return ""
        p = IPTablesProxier(self.config_for(n))
        now = (self.cluster.now() - self.cluster.clock_origin).total_seconds()
        return p.sync(self.store.list("Service"), self.store.list("EndpointSlice"), now=now).restore

    def render(self, node: str, mode: str, form: str = "save") -> str:
        if mode == "iptables":
            return self.iptables_save(node) if form == "save" else self.full_restore(node)
        key = (node, mode, self.store.resource_version)
        if key not in self._other_modes:
            self._other_modes[key] = self.modes.render(node, mode)
        return self._other_modes[key]

    def chains_for_service(self, node: str, mode: str, ns: str, name: str) -> list[str]:
        svc = self.store.get("Service", ns, name)
        if svc is None:
            return []
        if mode != "iptables":
            return [f"{ns}/{name}"] + [ip for ip in svc["spec"].get("clusterIPs") or [] if ip != "None"]
        # Rules that carry the Service's name in their comment (e.g. "has no endpoints" REJECTs).
        out = [f'"{ns}/{name} ', f'"{ns}/{name}:', f'"{ns}/{name}"']
        slices = [s for s in self.store.list("EndpointSlice", ns) if labels_of(s).get(SERVICE_NAME_LABEL) == name]
        for p in svc["spec"].get("ports") or []:
            spn = service_port_name(ns, name, p.get("name"))
            proto = p.get("protocol", "TCP").lower()
            out += [service_chain(spn, proto), local_chain(spn, proto), external_chain(spn, proto),
                    firewall_chain(spn, proto)]
            for s in slices:
                for sp in s.get("ports") or []:
                    if (sp.get("name") or "") != (p.get("name") or ""):
                        continue
                    for e in s.get("endpoints") or []:
                        for ip in e.get("addresses") or []:
                            out.append(endpoint_chain(spn, proto, f"{ip}:{sp['port']}"))
        return out

    def chains_for_pod(self, node: str, mode: str, ns: str, name: str) -> list[str]:
        pod = self.store.get("Pod", ns, name)
        ip = ((pod or {}).get("status") or {}).get("podIP")
        if not ip:
            return []
        if mode != "iptables":
            return [ip]
        out = []
        for s in self.store.list("EndpointSlice", ns):
            svc_name = labels_of(s).get(SERVICE_NAME_LABEL)
            if not svc_name or not any(ip in (e.get("addresses") or []) for e in s.get("endpoints") or []):
                continue
            for sp in s.get("ports") or []:
                spn = service_port_name(ns, svc_name, sp.get("name") or None)
                out.append(endpoint_chain(spn, sp.get("protocol", "TCP").lower(), f"{ip}:{sp['port']}"))
        return out
