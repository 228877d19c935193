"""kube-proxy's structured transactions (`Netfilter._apply_txn`, the fast path a sync takes)
end in the tables, and fail with the words, that the same transaction does as
iptables-restore operations (`Netfilter._apply_ops`, what `restore` text goes through)."""
from __future__ import annotations

import copy
import itertools

import pytest

from benchmarks.generate import Shape, write
from engine.apply.workspace import cluster_from_paths
from engine.proxy.iptables.netfilter import Netfilter, RestoreError, TableTxn
from engine.proxy.steps import drain
from tests.helpers import SAMPLES


def _as_ops(nf: Netfilter, txn: TableTxn) -> None:
    ops = itertools.chain(((0, "chain", c, "-") for c in txn.chain_lines),
                          ((0, "append", c, s) for c, s in txn.rules),
                          ((0, "delete-chain", c, "") for c in txn.deletes),
                          ((0, "commit", "", ""),))
    drain(nf._apply_ops(txn.name, ops))


def _as_txn(nf: Netfilter, txn: TableTxn) -> None:
    drain(nf._apply_txn(txn))


def _state(nf: Netfilter) -> dict:
    return {name: (t.chains, t.refs, t.policies) for name, t in nf.tables.items()}


def _recorded_syncs(monkeypatch, folders: list) -> list[list[TableTxn]]:
    """Every transaction list the clusters' kube-proxies apply as they start (full syncs:
    `_apply_txn`'s caller; partial syncs write their own operations)."""
    seen: list[list[TableTxn]] = []
    real = Netfilter.apply_steps

    def recording(self, txns):
        seen.append(copy.deepcopy(txns))
        return real(self, txns)
    monkeypatch.setattr(Netfilter, "apply_steps", recording)
    for folder in folders:
        cluster_from_paths([folder], deterministic=True)[0].run_for(5)
    monkeypatch.undo()
    return seen


def test_full_syncs_end_as_the_restore_operations_end_one_after_another(monkeypatch, tmp_path):
    """The samples' first sync, a generated cluster's over it (its deletions of the
    samples' chains refused or done alike), then the samples' again."""
    write(tmp_path / "gen", Shape(services=40, endpoints=3, nodes=3, per_namespace=20))
    a, b = _recorded_syncs(monkeypatch, [SAMPLES]), _recorded_syncs(monkeypatch, [tmp_path / "gen"])
    assert a and b and any(t.rules for txns in b for t in txns)
    fast, ops = Netfilter(), Netfilter()
    outcomes = []
    for txns in [*a, *b, *a]:
        for txn in txns:
            said = []
            for nf, apply in ((fast, _as_txn), (ops, _as_ops)):
                try:
                    apply(nf, txn)
                    said.append(None)
                except RestoreError as e:
                    said.append(str(e))
            assert said[0] == said[1]
            outcomes.append(said[0])
            assert _state(fast) == _state(ops)
    assert fast.tables["nat"].chains and None in outcomes


@pytest.mark.parametrize("txn, words", [
    (TableTxn("nat", [], [("KUBE-NOPE", "-j ACCEPT")], []), "Chain 'KUBE-NOPE' does not exist"),
    (TableTxn("nat", ["KUBE-A"], [("KUBE-A", "-j KUBE-MISSING")], []),
     "Couldn't load target `KUBE-MISSING':No such file or directory"),
    (TableTxn("nat", ["KUBE-A", "KUBE-B"], [("KUBE-A", "-j KUBE-B")], ["KUBE-B"]),
     "Too many links: chain KUBE-B is still referenced"),
    (TableTxn("nat", ["KUBE-A"], [("KUBE-A", "-j ACCEPT")], ["KUBE-A"]), "Directory not empty: chain KUBE-A"),
    (TableTxn("nat", [], [], ["PREROUTING"]), "Can't delete built-in chain PREROUTING"),
    (TableTxn("nat", [], [], ["KUBE-GONE"]), "Chain 'KUBE-GONE' does not exist"),
])
def test_a_refused_transaction_says_what_restore_says_and_changes_nothing(txn, words):
    fast, ops = Netfilter(), Netfilter()
    base = TableTxn("nat", ["KUBE-KEEP"], [("KUBE-KEEP", "-j RETURN"), ("PREROUTING", "-j KUBE-KEEP")], [])
    for nf in (fast, ops):
        _as_txn(nf, base)
    before = copy.deepcopy(_state(fast))
    with pytest.raises(RestoreError) as a:
        _as_txn(fast, txn)
    with pytest.raises(RestoreError) as b:
        _as_ops(ops, txn)
    assert str(a.value) == str(b.value) == words
    assert _state(fast) == _state(ops) == before
