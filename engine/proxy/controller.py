"""kube-proxy on every node (step 3 of the Service flow).

Like the real one it watches Services and EndpointSlices — not Endpoints — and batches
changes: watch events only record which Services changed; one reconcile then runs a
sync on each node, partial (KEP-3453: only the touched Services' chains plus the
top-level chains) unless a full one is due. Syncs are rate-limited as kube-proxy's
BoundedFrequencyRunner does (`iptables.minSyncPeriod`, 1s by default, with a burst of
2): a change after a quiet spell is programmed at once, a storm of changes (a rollout,
a cold start of 100,000 pods) is folded into one sync per second of simulated time.

Each node keeps its own rule state, because NodePort and Local-policy rules differ per
node; nodes whose rules cannot differ share it. That is the case while no Service
depends on which node renders it (no Local traffic policy, no topology hints, no
loadBalancerSourceRanges "allow from node" check) and `nodePortAddresses` is unset: the
rules of every node are then the same bytes, so one proxier computes them once (copy on
write, as it were) and each node still reports its own sync. As soon as one Service is
node-dependent, every node gets a proxier of its own. Every sync is a step-3 flow event
per node with the node, the mode, the chains written and deleted, and the rule count.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from datetime import timezone

from engine.api.wellknown import SERVICE_NAME_LABEL
from engine.controllers.base import Controller, no_cyclic_gc
from engine.proxy.iptables.partial import IncrementalProxier
from engine.cluster.events import STEP_PROXY
from engine.views.lines import ChunkedLines
from engine.api.objects import labels_of, meta
from engine.proxy import IPTablesProxier, Netfilter, ProxierConfig
from engine.proxy.iptables.chains import endpoint_chain, external_chain, firewall_chain, local_chain, service_chain

SYNC_KEY = "sync"
IPTABLES_VERSION = "v1.8.9"
MIN_SYNC_PERIOD = 1.0  # KubeProxyConfiguration iptables.minSyncPeriod default
BURST_SYNCS = 2  # kube-proxy's burstSyncs for its BoundedFrequencyRunner
SHARED = "*"  # class key of the nodes that share one rule state


def service_port_name(ns: str, name: str, port_name: str | None) -> str:
    return f"{ns}/{name}:{port_name}" if port_name else f"{ns}/{name}"


def node_dependent_service(svc: dict) -> bool:
    """Whether this Service's rules can differ from node to node (iptables mode)."""
    spec = svc.get("spec") or {}
    if spec.get("internalTrafficPolicy") == "Local":
        return True
    if spec.get("externalTrafficPolicy") == "Local":
        return True
    if spec.get("loadBalancerSourceRanges"):
        return True
    return bool(spec.get("trafficDistribution"))


def node_dependent_slice(sl: dict) -> bool:
    """Endpoint hints (topology-aware routing) make a node's choice depend on its zone."""
    return any(e.get("hints") for e in sl.get("endpoints") or ())


class _TextOnlyNetfilter(Netfilter):
    """Tables that take iptables-restore input without keeping it (a render for show)."""

    def apply(self, txns) -> None:
        return None


def _normalized_chain(chain: str, rules, version, family) -> tuple:
    """A chain's rules as iptables-save prints them, with what they were made from
    ((version, rule count): the key `iptables_save_lines` reuses them by)."""
    from engine.proxy.iptables.normalize import normalize_rule

    prefix = f"-A {chain}"
    return (version, len(rules)), [prefix + normalize_rule(r, family) for r in rules]


class KubeProxy(Controller):
    name = "kube-proxy"

    def __init__(self, cluster) -> None:
        super().__init__(cluster)
        self.proxiers: dict[str, IncrementalProxier] = {}  # node -> its proxier (shared ones repeat)
        self.last_sync: dict[str, object] = {}
        self._class_of: dict[str, str] = {}  # node -> class key
        self._changed: set[str] | None = None  # None = first sync is full
        self._other_modes: dict[tuple[str, str, int], str] = {}
        self._saves: dict[int, dict] = {}  # id(proxier) -> the iptables-save memo (iptables_save_lines)
        # Objects that make a node's rules differ from another's (see the module doc),
        # with the Service each belongs to; and Services that stopped being so.
        self._dependent: dict[tuple[str, str, str], str] = {}
        self._undepended: set[str] = set()
        # BoundedFrequencyRunner state, in simulated seconds.
        self._tokens = float(BURST_SYNCS)
        self._tokens_at: float | None = None
        self._timer = None
        from engine.proxy.modes import ModeProxies

        self.modes = ModeProxies(cluster)
        self.store.watch("Service", self._on_change)
        self.store.watch("EndpointSlice", self._on_change)
        self.store.watch("Node", self._on_node)

    # -- watch ------------------------------------------------------------------
    def _on_change(self, ev) -> None:
        obj = ev.obj
        ns = meta(obj).get("namespace") or ""
        kind = obj["kind"]
        name = meta(obj)["name"] if kind == "Service" else labels_of(obj).get(SERVICE_NAME_LABEL)
        ref = (kind, ns, meta(obj)["name"])
        dependent = ev.type != "DELETED" and (
            node_dependent_service(obj) if kind == "Service" else node_dependent_slice(obj))
        was = self._dependent.pop(ref, None)
        if was is not None:
            self._undepended.add(was)  # its rules go back to being the same on every node
        if dependent and name:
            self._dependent[ref] = f"{ns}/{name}"
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
    def _sim_seconds(self) -> float:
        return (self.cluster.now() - self.cluster.clock_origin).total_seconds()

    def _take_token(self, now: float) -> float:
        """0 if a sync may run now (and take a token), else seconds until one may."""
        if self._tokens_at is not None:
            self._tokens = min(float(BURST_SYNCS), self._tokens + (now - self._tokens_at) / MIN_SYNC_PERIOD)
        self._tokens_at = now
        if self._tokens >= 1.0 - 1e-9:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) * MIN_SYNC_PERIOD

    def _class_key(self, node: dict) -> str:
        if self._dependent or self.cluster.topology.proxy.node_port_addresses:
            return meta(node)["name"]
        return SHARED

    def reconcile(self, key: str) -> None:
        now = self._sim_seconds()
        if self._timer is not None:
            return  # a sync is already scheduled; it will see this change
        wait = self._take_token(now) if self.proxiers else 0.0
        if wait > 0:
            def due() -> None:
                self._timer = None
                self.enqueue(SYNC_KEY)
            self._timer = self.cluster.clock.call_later(wait, due)
            return
        changed, self._changed = self._changed, set()
        store = self.store

        def service(key: str):
            ns, _, name = key.partition("/")
            return store.get("Service", ns, name)

        def slices_of(key: str):
            ns, _, name = key.partition("/")
            return store.by_label("EndpointSlice", ns, SERVICE_NAME_LABEL, name)

        everything: dict[str, list] = {}

        def all_of(kind: str):  # only a full sync walks every Service and slice
            return lambda: everything.setdefault(kind, store.list(kind))
        results: dict[str, object] = {}  # class key -> this sync's result
        fresh: set[str] = set()
        extra: dict[str, set[str]] = {}  # class key -> keys its (cloned) state must resync
        node_dependent = {k for k in self._dependent.values()}
        for node in self.store.list("Node"):
            node_name = meta(node)["name"]
            ck = self._class_key(node)
            proxier = self.proxiers.get(node_name)
            if self._class_of.get(node_name) != ck or proxier is None:
                shared = next((self.proxiers[n] for n, k in self._class_of.items()
                               if k == ck and n in self.proxiers), None) if ck == SHARED else None
                if shared is None and proxier is not None and changed is not None \
                        and not self.cluster.topology.proxy.node_port_addresses:
                    # Same flags, another node: start from the rules it has (see clone_for)
                    # and resync what differs by node, instead of a full sync.
                    shared = proxier.clone_for(self.config_for(node)) if ck != SHARED else proxier
                    extra[ck] = node_dependent | self._undepended
                if shared is None:
                    shared = IncrementalProxier(self.config_for(node))
                    fresh.add(ck)
                proxier = self.proxiers[node_name] = shared
                self._class_of[node_name] = ck
            result = results.get(ck)
            if result is None:
                full = ck in fresh or changed is None
                result = results[ck] = proxier.sync_changes(None if full else changed, service, slices_of,
                                                            all_of("Service"), all_of("EndpointSlice"), now=now,
                                                            rerender=extra.get(ck, ()))
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
                                        "services": touched, "written": written,
                                        "deleted": deleted, "rules": rules})
        self._undepended.clear()
        for n in [n for n in self._class_of if self.proxiers.get(n) is None]:
            del self._class_of[n]
        self._other_modes.clear()

    # -- views ----------------------------------------------------------------------
    def _timestamp(self) -> str:
        t = self.cluster.now().astimezone(timezone.utc)
        return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y")

    def iptables_save(self, node: str) -> str:
        lines = self.iptables_save_lines(node)
        return "\n".join(lines) + "\n" if lines else ""

    def iptables_save_lines(self, node: str) -> list[str]:
        """What `iptables-save` prints on `node`, as lines (`render_save`'s layout).

        Re-rendering every rule after each sync would cost more than the syncs: at
        10,000 Services a node has 470,000 rules, and normalizing each into the kernel's
        save form takes seconds. The normalized lines are kept per chain and redone only
        for the chains a sync touched (`IncrementalProxier.chain_versions`); when only
        the clock moved, only the two timestamp lines per table change."""
        p = self.proxiers.get(node)
        if p is None:
            return []
        ts = self._timestamp()
        token = self.rules_token(node, "iptables")
        memo = self._saves.get(id(p))
        if memo is None or memo["proxier"] is not p or memo["epoch"] != getattr(p, "epoch", None):
            if len(self._saves) >= 2:  # the nodes last shown: 50 MB each at 10,000 Services
                self._saves.pop(next(iter(self._saves)))
            memo = self._saves[id(p)] = {"proxier": p, "epoch": getattr(p, "epoch", None), "chains": {},
                                         "users": {}, "token": None, "ts": None, "lines": []}
        if memo["token"] != token:
            lines = self._patch_save(p, memo)
            if lines is None:
                lines = self._assemble_save(p, memo, ts)
                memo["ts"] = ts
            memo["lines"], memo["token"] = lines, token
        if memo["ts"] != ts:
            lines = memo["lines"]
            old = memo["ts"]
            memo["lines"] = lines.with_chunks_replaced({
                i: [line[: len(line) - len(old)] + ts for line in lines.chunks[i]] for i in memo["stamps"]})
            memo["ts"] = ts
        return memo["lines"]

    def _patch_save(self, p, memo: dict) -> ChunkedLines | None:
        """The last assembled text with only the chains bumped since redone (the usual sync:
        one Service's chains, perhaps a chain created or deleted), or None when that cannot
        be done (the base proxier synced, the change log moved on, a chain came or went
        without a bump)."""

        log_pos = memo.get("log_pos")
        base = getattr(p, "bump_log_base", None)
        if log_pos is None or base is None or log_pos < base or "layout" not in memo:
            return None
        nf = p.netfilter
        versions = p.chain_versions
        cache, index = memo["chains"], memo["index"]
        replace: dict[int, list[str]] = {}
        relayout = False
        for key in set(p.bump_log[log_pos - base:]):
            t = nf.tables.get(key[0])
            if t is None or key[0] not in memo["layout"]:
                return None
            rules = t.chains.get(key[1])
            users = memo["layout"][key[0]]["users"]
            if rules is None:  # deleted
                cache.pop(key, None)
                if key in index:
                    i = bisect_left(users, key[1].encode(), key=str.encode)
                    if i < len(users) and users[i] == key[1]:
                        del users[i]
                    relayout = True
                continue
            cache[key] = _normalized_chain(key[1], rules, versions.get(key), nf.family)
            if key in index:
                replace[index[key]] = cache[key][1]
            elif key[1] not in t.builtins:  # created
                insort(users, key[1], key=str.encode)
                relayout = True
            else:
                return None
        memo["log_pos"] = base + len(p.bump_log)
        if any(len(nf.tables[n].chains) != len(lay["users"]) + len(nf.tables[n].builtins)
               for n, lay in memo["layout"].items() if n in nf.tables) or set(memo["layout"]) != set(nf.tables):
            return None  # the tables hold chains the layout does not know (made without a bump)
        if relayout:
            return self._layout(p, memo, memo["ts"])
        return memo["lines"].with_chunks_replaced(replace) if replace else memo["lines"]

    def _assemble_save(self, p, memo: dict, ts: str) -> ChunkedLines:
        """The save text from scratch: every chain's rules normalized (or taken from the
        per-chain cache when its version is unchanged), then laid out (`_layout`)."""
        nf = p.netfilter
        family = nf.family
        versions = getattr(p, "chain_versions", {})
        cache = memo["chains"]
        memo["layout"] = {}
        for name, t in nf.tables.items():
            users = t.user_chains()
            memo["layout"][name] = {"users": users}
            for c in (*t.builtins, *users):
                rules = t.chains.get(c, ())
                key = (name, c)
                hit = cache.get(key)
                if hit is None or hit[0] != (versions.get(key), len(rules)):
                    cache[key] = _normalized_chain(c, rules, versions.get(key), family)
        if len(cache) > 2 * sum(len(t.chains) for t in nf.tables.values()) + 64:
            live = {(n, c) for n, t in nf.tables.items() for c in t.chains}
            for k in [k for k in cache if k not in live]:
                del cache[k]
        memo["log_pos"] = getattr(p, "bump_log_base", 0) + len(getattr(p, "bump_log", ()))
        return self._layout(p, memo, ts)

    def _layout(self, p, memo: dict, ts: str) -> ChunkedLines:
        """The save text as chunks from the per-chain cache: per table a timestamp line, the
        table and chain declarations, each chain's rules, COMMIT and a closing timestamp.
        Costs one list entry per chain, not one per line (see `engine.views.lines`)."""
        from engine.proxy.iptables.normalize import DEFAULT_TABLE_ORDER, _program

        nf = p.netfilter
        cache = memo["chains"]
        prog = _program(nf.family, "nft")
        ver = f"{IPTABLES_VERSION} (nf_tables)"
        order = list(DEFAULT_TABLE_ORDER.get("nft", ()))
        names = [t for t in order if t in nf.tables] + [t for t in nf.table_order if t not in order]
        chunks: list[list[str]] = []
        stamps: list[int] = []
        index: dict[tuple[str, str], int] = {}
        for name in names:
            t = nf.tables[name]
            users = memo["layout"][name]["users"]
            stamps.append(len(chunks))
            chunks.append([f"# Generated by {prog} {ver} on {ts}"])
            chunks.append([f"*{t.name}"] + [f":{c} {t.policies.get(c, 'ACCEPT')} [0:0]" for c in t.builtins]
                          + [f":{c} - [0:0]" for c in users])
            chain_names = (*t.builtins, *users)
            first = len(chunks)
            chunks.extend([cache[(name, c)][1] for c in chain_names])
            index.update(zip([(name, c) for c in chain_names], range(first, first + len(chain_names))))
            chunks.append(["COMMIT"])
            stamps.append(len(chunks))
            chunks.append([f"# Completed on {ts}"])
        memo["stamps"] = stamps
        memo["index"] = index
        return ChunkedLines(chunks, index, tuple(names))

    def rules_token(self, node: str, mode: str) -> tuple:
        """Equal as long as `render(node, mode)` only differs by its timestamp."""
        if mode == "iptables":
            p = self.proxiers.get(node)
            return (p, getattr(p, "incremental_syncs", 0), getattr(p, "full_path_syncs", 0))
        return (node, mode, self.store.resource_version)

    def iptables_restore(self, node: str) -> str:
        p = self.proxiers.get(node)
        return self.last_sync[node].restore if p is not None and node in self.last_sync else ""  # type: ignore[attr-defined]

    def full_restore(self, node: str) -> str:
        """A fresh full sync's iptables-restore input for `node` (what `--format restore` prints)."""
        n = self.store.get("Node", "", node)
        if n is None:
            return ""
        # Only the text is wanted: a Netfilter that does not model the result spares a
        # second copy of every rule (and the time to apply it).
        p = IPTablesProxier(self.config_for(n), netfilter=_TextOnlyNetfilter())
        now = (self.cluster.now() - self.cluster.clock_origin).total_seconds()
        with no_cyclic_gc():
            return p.sync(self.store.list("Service"), self.store.list("EndpointSlice"), now=now).restore

    def render(self, node: str, mode: str, form: str = "save") -> str:
        if mode == "iptables":
            return self.iptables_save(node) if form == "save" else self.full_restore(node)
        key = (node, mode, self.store.resource_version)
        if key not in self._other_modes:
            with no_cyclic_gc():
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
