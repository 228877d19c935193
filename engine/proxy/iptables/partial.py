"""kube-proxy's partial sync in O(what changed), for the kube-proxy controller.

`engine.proxy.iptables.proxier.IPTablesProxier` follows upstream's KEP-3453 partial sync: the chains of
the changed Services are rewritten, but the top-level chains (KUBE-SERVICES,
KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES, KUBE-PROXY-FIREWALL) are written out in full
on every sync, and every Service is revisited to do so -- O(Services) per change, the
cost that still dominates real kube-proxy at 10,000 Services. A simulator keeps its
node's tables in memory and need not pay it: `IncrementalProxier` is the same proxier
(the same rendering, the same tables, the same full syncs) with a second partial path
that only touches the changed Services:

- it is told which Services changed and looks their objects up, instead of being handed
  every Service and EndpointSlice;
- it keeps, per top-level chain, how many rules each Service contributes (in the
  proxier's Service order), so a changed Service's entry rules are replaced in place:
  a splice at a known offset of the chain instead of a rewrite;
- it rewrites the changed Services' own chains and deletes the ones they stopped
  using, exactly as a partial sync does, keeping the jump reference counts the tables
  use to refuse deleting a chain still in use.

The iptables-restore text of such a sync is what it did, in the input language
(`-D CHAIN n` / `-I CHAIN n rule` for the splices, `:CHAIN` + `-A` for rewritten chains,
`-X` for deleted ones). Whenever the base proxier would do more than a partial sync --
the first sync, a full sync after a failure or after the hour, a vanished canary, a
switch in or out of large-cluster mode -- the
base's own `sync` runs (on every Service, as before) and the bookkeeping is rebuilt from
its result. `tests/test_incremental_proxier.py` checks after every step of random change
sequences that both paths leave identical tables and counts.
"""
from __future__ import annotations

import time
from bisect import bisect_left
from copy import copy
from typing import Callable, Iterable, Mapping

from engine.proxy.ipnet import parse_ip_sloppy
from engine.proxy.iptables import chains as C
from engine.proxy.iptables.netfilter import Netfilter, Table, rule_target
from engine.proxy.iptables.proxier import (
    FILTER_TOP_CHAINS,
    NAT_TOP_CHAINS,
    IPTablesProxier,
    ServiceState,
    SyncResult,
    canonical_chain_order,
)
from engine.proxy.iptables.rules import PortRules, RenderContext
from engine.proxy.model import endpoints_by_port, service_ports
from engine.proxy.nodeports import NodePortAddresses
from engine.proxy.steps import SERVICES_PER_STEP, Steps, drain

ServiceLookup = Callable[[str], Mapping | None]  # "ns/name" -> Service, or None if gone
SliceLookup = Callable[[str], Iterable[Mapping]]  # "ns/name" -> its EndpointSlices


def _entry_lines(renders: list[PortRules]) -> dict[tuple[str, str], list[str]]:
    """A Service's rules in the top-level chains: (table, chain) -> rule specs, in order."""
    out: dict[tuple[str, str], list[str]] = {}
    for r in renders:
        for c, spec in r.filter_lines:
            out.setdefault(("filter", c), []).append(spec)
        for c, spec in r.nat_entry_lines:
            out.setdefault(("nat", c), []).append(spec)
    return out


class IncrementalProxier(IPTablesProxier):
    """An `IPTablesProxier` with an O(changed) partial sync (`sync_changes`)."""

    def __init__(self, config, netfilter=None) -> None:
        super().__init__(config, netfilter)
        self._seg: dict[tuple[str, str], list[int]] = {}  # (table, chain) -> rules per Service, in _order
        self._total_endpoints = 0
        self._filter_service_rules = 0  # Σ over Services of their filter rules
        self._nat_service_rules = 0  # Σ of their nat entry rules and chain rules
        self._fixed_filter = 0  # the rules no Service owns (KUBE-FORWARD, ...)
        self._fixed_nat = 0
        self._large: bool | None = None  # large-cluster mode of the last sync
        # Large-cluster mode leaves the chains a Service stopped using in the table until
        # the periodic cleanup; these are they (every service chain no Service uses), so
        # the cleanup deletes them without revisiting every Service.
        self._stale: set[str] = set()
        # What changed in the tables, for renderers that cache per chain (the dashboard's
        # iptables-save): a version per (table, chain) bumped when its rules change, one
        # per table bumped when chains come or go, and an epoch bumped by every sync of
        # the base (which may rewrite anything).
        self.chain_versions: dict[tuple[str, str], int] = {}
        self.chainset_versions: dict[str, int] = {}
        self.epoch = 0
        # The (table, chain)s bumped, in order, so a renderer can redo just those since it
        # last looked: entry i is bump number bump_log_base + i (trimmed when long).
        self.bump_log: list[tuple[str, str]] = []
        self.bump_log_base = 0
        self.incremental_syncs = 0
        self.full_path_syncs = 0

    # ------------------------------------------------------------------ entry point
    def sync_changes(self, changed: set[str] | None, service: ServiceLookup, slices_of: SliceLookup,
                     all_services: Callable[[], list], all_slices: Callable[[], list], *,
                     now: float | None = None, rerender: Iterable[str] = ()) -> SyncResult:
        """One sync: `changed` are the `namespace/name` keys whose Service or slices changed
        since the last one (None: a full sync). The lookups give those objects; the two
        `all_*` callables are only called when the base proxier's sync must run."""
        return drain(self.sync_changes_steps(changed, service, slices_of, all_services, all_slices,
                                             now=now, rerender=rerender))

    def sync_changes_steps(self, changed: set[str] | None, service: ServiceLookup, slices_of: SliceLookup,
                           all_services: Callable[[], list], all_slices: Callable[[], list], *,
                           now: float | None = None, rerender: Iterable[str] = ()) -> Steps[SyncResult]:
        """`sync_changes` in steps (`engine.proxy.steps`): the base's sync (a full one
        over every Service) yields every few Services; the partial path, O(changed), is
        one step."""
        cfg = self.config
        if now is None:
            now = time.monotonic()
        self._check_canary()
        base_needed = (changed is None or self._need_full_sync or self._large is None
                       or now - self._last_full_sync > cfg.full_sync_period)
        if not base_needed:
            updated, old = self._update_changed(changed | set(rerender), service, slices_of, set(rerender))
            large = self._total_endpoints > cfg.large_cluster_threshold
            if large != self._large:
                base_needed = True  # a switch in or out of large-cluster mode: the base's sync
                self._undo_update(updated, old)
            else:
                return self._apply_incremental(updated, old, large, now)
        if rerender and changed is not None:
            for k in rerender:  # forget them, so the base's sync renders them anew
                if k in self._services:
                    self._services[k] = ServiceState(ports=(), endpoints={})
            changed = changed | set(rerender)
        result = yield from self.sync_steps(all_services(), all_slices(), changed=changed, now=now)
        yield from self._rebuild_index(result)
        self.full_path_syncs += 1
        self.epoch += 1
        return result

    # ------------------------------------------------------------------ model update
    def _update_changed(self, changed: set[str], service: ServiceLookup, slices_of: SliceLookup,
                        force: set[str] = frozenset()) -> tuple[list[str], dict[str, ServiceState | None]]:
        """`_update_services` for the changed keys only; returns the keys to rewrite and
        their previous state (None: new). Keys in `force` are rewritten even if their
        model is unchanged (a state cloned from another node's proxier)."""
        cfg = self.config
        updated: list[str] = []
        old: dict[str, ServiceState | None] = {}
        for k in sorted(changed):
            svc = service(k)
            prev = self._services.get(k)
            if svc is None:
                if prev is not None:
                    old[k] = prev
                    del self._services[k]
                    updated.append(k)
                continue
            ports = tuple(service_ports(svc, cfg.ip_family, lb_ip_mode=cfg.load_balancer_ip_mode))
            eps = endpoints_by_port(list(slices_of(k)), cfg.ip_family, cfg.node_name,
                                    node_hints_enabled=cfg.prefer_same_traffic_distribution)
            if prev is not None and prev.ports == ports and prev.endpoints == eps and k not in force:
                continue
            st = ServiceState(ports=ports, endpoints=eps)
            st.renders = [PortRules(sp, len(eps.get((sp.port_name, sp.protocol), ())), [], [], [], [], (), 0)
                          for sp in ports]
            old[k] = prev
            self._services[k] = st
            updated.append(k)
        for k in updated:
            prev, st = old[k], self._services.get(k)
            self._total_endpoints += (st.n_endpoints if st is not None else 0) - (
                prev.n_endpoints if prev is not None else 0)
        return updated, old

    def _undo_update(self, updated: list[str], old: dict[str, ServiceState | None]) -> None:
        """Put the states back, so the base's sync sees the same changes as new."""
        for k in updated:
            st, prev = self._services.get(k), old[k]
            self._total_endpoints -= (st.n_endpoints if st is not None else 0) - (
                prev.n_endpoints if prev is not None else 0)
            if prev is None:
                self._services.pop(k, None)
            else:
                self._services[k] = prev

    def _context(self, large: bool) -> RenderContext:
        cfg = self.config
        return RenderContext(
            ipv4=not cfg.is_ipv6, mark=cfg.masquerade_mark, masquerade_all=cfg.masquerade_all,
            detector=cfg.detector(), localhost_node_ports=self._localhost_node_ports,
            nfacct_localhost=cfg.nfacct_localhost_node_ports,
            node_ip=parse_ip_sloppy(cfg.primary_node_ip()), large=large, probabilities=self._probabilities)

    # ------------------------------------------------------------------ the partial path
    def _apply_incremental(self, updated: list[str], old: dict[str, ServiceState | None],
                           large: bool, now: float) -> SyncResult:
        nf = self.netfilter
        ctx = self._context(large)
        drain(self._render({k for k in updated if k in self._services}, ctx))
        filt, nat = nf.table("filter"), nf.table("nat")
        tables = {"filter": filt, "nat": nat}
        ops: dict[str, list[str]] = {"filter": [], "nat": []}
        written: list[str] = []
        deleted: list[str] = []
        error: str | None = None
        for k in updated:
            prev, st = old[k], self._services.get(k)
            prev_renders = prev.renders if prev is not None else []
            renders = st.renders if st is not None else []
            # Position of the Service in the proxier's order (a new one is inserted).
            if prev is None:
                pos = bisect_left(self._order, k)
                self._order.insert(pos, k)
                for seg in self._seg.values():
                    seg.insert(pos, 0)
            else:
                pos = bisect_left(self._order, k)
            # 1. Its entry rules in the top-level chains, replaced in place.
            before, after = _entry_lines(prev_renders), _entry_lines(renders)
            for tc in sorted(set(before) | set(after)):
                tname, chain = tc
                seg = self._seg.get(tc)
                if seg is None:
                    seg = self._seg[tc] = [0] * len(self._order)
                t = tables[tname]
                rules = t.chains.setdefault(chain, [])
                start = sum(seg[:pos])
                n_old, new_specs = seg[pos], after.get(tc, [])
                if rules[start:start + n_old] == new_specs:
                    continue
                _count_refs(t, rules[start:start + n_old], -1)
                rules[start:start + n_old] = new_specs
                _count_refs(t, new_specs, +1)
                self._bump(tname, chain)
                seg[pos] = len(new_specs)
                ops[tname] += [f"-D {chain} {start + 1}"] * n_old
                ops[tname] += [f"-I {chain} {start + 1 + i} {spec}" for i, spec in enumerate(new_specs)]
            # 2. Its own chains, rewritten (created if new).
            for r in renders:
                by_chain: dict[str, list[str]] = {c: [] for c in r.chain_lines}
                for c, spec in r.chain_rules:
                    by_chain.setdefault(c, []).append(spec)
                for c, specs in by_chain.items():
                    prev_rules = nat.chains.get(c)
                    if prev_rules is not None:
                        _count_refs(nat, prev_rules, -1)
                    else:
                        self.chainset_versions["nat"] = self.chainset_versions.get("nat", 0) + 1
                    nat.chains[c] = specs
                    self._bump("nat", c)
                    _count_refs(nat, specs, +1)
                    written.append(c)
                    ops["nat"].append(f":{c} - [0:0]")
                    ops["nat"] += [f"-A {c} {spec}" for spec in specs]
                r.chain_rules = []  # not needed until the Service changes again (as the base does)
            # 3. The chains it stopped using: stale. Deleted now unless in large-cluster
            # mode, where they wait for the periodic cleanup below.
            active = {c for r in renders for c in r.active}
            stale = [c for c in sorted({c for r in prev_renders for c in r.active} - active) if c in nat.chains]
            self._stale.difference_update(active)
            if large:
                self._stale.update(stale)
            elif stale:
                error = self._delete_chains(stale, ops["nat"], deleted) or error
            if st is None:
                del self._order[pos]
                for seg in self._seg.values():
                    del seg[pos]
            # Totals.
            for rs, sign in ((prev_renders, -1), (renders, +1)):
                self._filter_service_rules += sign * sum(len(r.filter_lines) for r in rs)
                self._nat_service_rules += sign * sum(len(r.nat_entry_lines) + r.n_chain_rules for r in rs)
        if large and now - self._last_cleanup > self.config.sync_period:
            # The periodic cleanup: upstream deletes every service chain no active rule
            # uses (what `_stale` holds), not the whole table.
            stale = sorted(c for c in self._stale if c in nat.chains)
            self._stale.clear()
            error = self._delete_chains(stale, ops["nat"], deleted) or error
            self._last_cleanup = now
        elif not large:
            self._last_cleanup = now
        if error is not None:
            self._need_full_sync = True  # as after a failed iptables-restore
        self._large = large
        self.incremental_syncs += 1
        text = []
        for tname in ("filter", "nat"):
            if ops[tname]:
                text += [f"*{tname}"] + ops[tname] + ["COMMIT"]
        restore = "\n".join(text) + "\n" if text else ""
        n_filter = self._fixed_filter + self._filter_service_rules
        n_nat = self._fixed_nat + self._nat_service_rules
        result = SyncResult(
            texts=lambda: (restore, restore),
            # As the base reports a partial sync (its flow events and the dashboard's
            # "chains written" read the same): the top-level chains, then the Services'.
            chains_written=canonical_chain_order(self._filter_chains())
            + canonical_chain_order(list(NAT_TOP_CHAINS) + written),
            chains_deleted=deleted, rule_count=n_filter + n_nat, full=False, ok=error is None, error=error,
            large_cluster_mode=large, filter_rule_count=n_filter, nat_rule_count=n_nat)
        self.last_result = result
        return result

    def _delete_chains(self, stale: list[str], ops: list[str], deleted: list[str]) -> str | None:
        """Flush, then delete, nat chains no rule should use any more (flushed first, so
        their jumps to each other go); returns iptables-restore's error if one is still
        referenced."""
        nat = self.netfilter.table("nat")
        error = None
        for c in stale:
            _count_refs(nat, nat.chains[c], -1)
            nat.chains[c] = []
            self._bump("nat", c)
            ops.append(f":{c} - [0:0]")
        for c in stale:
            if nat.refs.get(c, 0) > 0:
                error = f"line 0: Too many links: chain {c} is still referenced"
                continue
            del nat.chains[c]
            self.chainset_versions["nat"] = self.chainset_versions.get("nat", 0) + 1
            deleted.append(c)
            ops.append(f"-X {c}")
        return error

    def clone_for(self, config) -> "IncrementalProxier":
        """This proxier's state for another node: the same tables and Service model, to
        be synced incrementally with the Services whose rules differ by node (Local
        traffic policy, topology hints, source ranges). What a node-dependent Service
        costs is then that Service on each node, not a full sync of every node. Only for
        configs that differ by node identity, not by flags or NodePort addresses."""
        new = copy(self)
        new.config = config
        nf = Netfilter(self.netfilter.family)
        for name, t in self.netfilter.tables.items():
            nt = Table(name)
            nt.chains = {c: list(rules) for c, rules in t.chains.items()}
            nt.policies = dict(t.policies)
            nt.refs = dict(t.refs)
            nf.tables[name] = nt
        nf.table_order = list(self.netfilter.table_order)
        new.netfilter = nf
        new._services = {}
        for k, st in self._services.items():
            st2 = copy(st)
            st2.renders = list(st.renders)
            new._services[k] = st2
        new._order = list(self._order)
        new._seg = {k: list(v) for k, v in self._seg.items()}
        new._stale = set(self._stale)
        new.chain_versions = dict(self.chain_versions)
        new.chainset_versions = dict(self.chainset_versions)
        new.bump_log, new.bump_log_base = [], 0
        new.epoch = self.epoch + 1
        new._node_port_addresses = NodePortAddresses.of_config(config)
        new._localhost_node_ports = config.localhost_node_ports and new._node_port_addresses.contains_ipv4_loopback
        new.last_result = None
        new.incremental_syncs = new.full_path_syncs = 0
        return new

    BUMP_LOG_MAX = 200_000

    def _bump(self, table: str, chain: str) -> None:
        key = (table, chain)
        self.chain_versions[key] = self.chain_versions.get(key, 0) + 1
        log = self.bump_log
        if len(log) >= self.BUMP_LOG_MAX:  # a renderer further behind than this starts over
            self.bump_log_base += len(log)
            log.clear()
        log.append(key)

    def _filter_chains(self) -> list[str]:
        chains = list(FILTER_TOP_CHAINS)
        if not self.config.is_ipv6 and self._localhost_node_ports:
            chains.append(C.KUBE_FIREWALL)
        return chains

    # ------------------------------------------------------------------ after a base sync
    def _rebuild_index(self, result: SyncResult) -> Steps[None]:
        """Recount, from the base's sync, what each Service contributes."""
        self._seg = {}
        n = len(self._order)
        total = n_filter = n_nat = 0
        large = result.large_cluster_mode
        active: set[str] = set()  # (large-cluster mode's: every chain a Service uses)
        for i, k in enumerate(self._order):
            if i and not i % (SERVICES_PER_STEP * 8):
                yield
            st = self._services[k]
            total += st.n_endpoints
            for tc, specs in _entry_lines(st.renders).items():
                seg = self._seg.get(tc)
                if seg is None:
                    seg = self._seg[tc] = [0] * n
                seg[i] = len(specs)
            for r in st.renders:
                n_filter += len(r.filter_lines)
                n_nat += len(r.nat_entry_lines) + r.n_chain_rules
                if large:
                    active.update(r.active)
        self._total_endpoints = total
        self._filter_service_rules, self._nat_service_rules = n_filter, n_nat
        self._fixed_filter = result.filter_rule_count - n_filter
        self._fixed_nat = result.nat_rule_count - n_nat
        self._large = result.large_cluster_mode
        self._stale = set()
        if large:  # the base's partial syncs leave stale chains too
            yield
            nat = self.netfilter.tables.get("nat")
            self._stale = {c for c in (nat.chains if nat is not None else ())
                           if C.is_service_chain_name(c) and c not in active}
        if not result.ok:
            self._large = None  # the next sync goes through the base again


def _count_refs(t: Table, specs: list[str], sign: int) -> None:
    """Keep `Table.refs` (rules per jump target) as iptables-restore's commit leaves it."""
    refs = t.refs
    for spec in specs:
        tg = rule_target(spec)
        if tg is None:
            continue
        n = refs.get(tg, 0) + sign
        if n > 0:
            refs[tg] = n
        else:
            refs.pop(tg, None)

