"""What ``iptables-save`` prints on a node, as lines kept per chain between syncs.

Re-rendering every rule after each sync would cost more than the syncs: at 10,000
Services a node has 470,000 rules, and normalizing each into the kernel's save form
takes seconds. :class:`SaveLines` keeps the normalized lines per chain and redoes only
the chains a sync touched (``IncrementalProxier.chain_versions`` and its bump log); when
only the clock moved, only the two timestamp lines per table change. The text is laid
out as :func:`engine.proxy.iptables.save.render_save` lays it out (``nft`` backend), in
chunks (:class:`engine.proxy.lines.ChunkedLines`) so a change costs one list entry per
chain, not one per line.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from itertools import accumulate
from typing import Iterator, Sequence

from engine.proxy.iptables.normalize import normalize_rule
from engine.proxy.iptables.save import DEFAULT_TABLE_ORDER, IPTABLES_VERSION, save_program
from engine.proxy.lines import ChunkedLines, first_holding
from engine.proxy.steps import Steps, drain

CHAINS_PER_STEP = 4096  # chains taken between two yields of `warm` (110,000 at 10,000 Services)

MEMOS_KEPT = 2  # the nodes last shown: 50 MB each at 10,000 Services


class NormalizedRules(Sequence[str]):
    """A chain's rules as iptables-save prints them, each normalized when first read: the
    pane shows a screenful of a node's 470,000 lines at a time, so most rules are never
    normalized at all (doing all of them took the first paint of an attached 10,000-Service
    cluster several seconds; doing a chain whole when one of its lines was shown took ~1 s
    for KUBE-SERVICES' 10,000 rules, of which the screen shows 40). The rules are copied:
    the proxier changes its lists later."""

    __slots__ = ("_prefix", "_rules", "_family", "_lines", "_left", "_n")

    def __init__(self, prefix: str, rules, family) -> None:
        self._prefix = prefix
        self._rules = tuple(rules)
        self._family = family
        self._n = len(self._rules)
        self._lines: list[str | None] | None = None  # (each rule's line once read)
        self._left = self._n  # (rules not read yet: at 0 the rules are let go)

    def _line(self, i: int) -> str:
        lines = self._lines
        if lines is None:
            lines = self._lines = [None] * self._n
        line = lines[i]
        if line is None:
            line = lines[i] = self._prefix + normalize_rule(self._rules[i], self._family)
            self._left -= 1
            if not self._left:
                self._rules = ()
        return line

    def find(self, needles: Sequence[str]) -> int | None:
        """The first rule holding any of `needles` (names: a Service's, a chain's), looked for
        in the rules as kube-proxy wrote them where they are not normalized yet: normalizing
        reorders and respells a rule's matches, never a name in it, so the rule found is the
        line a search of the saved text finds -- without making 10,000 lines to search."""
        return first_holding(self._rules if self._rules else self._lines or (), needles)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._line(j) for j in range(*i.indices(self._n))]
        j = i + self._n if i < 0 else i
        if not 0 <= j < self._n:
            raise IndexError("chain line index out of range")
        return self._line(j)

    def __iter__(self) -> Iterator[str]:
        return (self._line(i) for i in range(self._n))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, NormalizedRules)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def normalized_chain(chain: str, rules, version, family) -> tuple:
    """A chain's rules as iptables-save prints them (normalized when first read), with
    what they were made from ((version, rule count): the key :meth:`SaveLines.lines`
    reuses them by)."""
    return (version, len(rules)), NormalizedRules(f"-A {chain}", rules, family)


class SaveLines:
    """The save text of the proxiers last shown, one memo per proxier (``memos``, by id)."""

    def __init__(self) -> None:
        self.memos: dict[int, dict] = {}

    def lines(self, p, ts: str, token: tuple) -> ChunkedLines:
        """What ``iptables-save`` prints for proxier ``p`` at time ``ts``; ``token``
        changes whenever its rules may have (the controller's ``rules_token``)."""
        return drain(self.warm(p, ts, token))

    def warm(self, p, ts: str, token: tuple) -> Steps[ChunkedLines]:
        """`lines` in steps (`engine.proxy.steps`): laying out the text from scratch
        (after a full sync of 10,000 Services, 110,000 chains) yields every few thousand
        chains, so the first sync's caller can have it ready for the pane's first paint."""
        memo = self.memos.get(id(p))
        if memo is None or memo["proxier"] is not p or memo["epoch"] != getattr(p, "epoch", None):
            if len(self.memos) >= MEMOS_KEPT:
                self.memos.pop(next(iter(self.memos)))
            memo = self.memos[id(p)] = {"proxier": p, "epoch": getattr(p, "epoch", None), "chains": {},
                                        "users": {}, "token": None, "ts": None, "lines": []}
        if memo["token"] != token:
            lines = self._patch(p, memo)
            if lines is None:
                lines = yield from self._assemble(p, memo, ts)
                memo["ts"] = ts
            memo["lines"], memo["token"] = lines, token
        if memo["ts"] != ts:
            lines = memo["lines"]
            old = memo["ts"]
            memo["lines"] = lines.with_chunks_replaced({
                i: [line[: len(line) - len(old)] + ts for line in lines.chunks[i]] for i in memo["stamps"]})
            memo["ts"] = ts
        return memo["lines"]

    def _patch(self, p, memo: dict) -> ChunkedLines | None:
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
            cache[key] = normalized_chain(key[1], rules, versions.get(key), nf.family)
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

    def _assemble(self, p, memo: dict, ts: str) -> Steps[ChunkedLines]:
        """The save text from scratch: every chain's rules normalized (or taken from the
        per-chain cache when its version is unchanged), then laid out (`_layout`)."""
        nf = p.netfilter
        family = nf.family
        versions = getattr(p, "chain_versions", {})
        cache = memo["chains"]
        memo["layout"] = {}
        for name, t in nf.tables.items():
            yield  # (a step for each table's sort of its chains: 110,000 in nat at 10,000 Services)
            users = t.user_chains()
            memo["layout"][name] = {"users": users}
            chains = (*t.builtins, *users)
            for k in range(0, len(chains), CHAINS_PER_STEP):
                yield
                for c in chains[k:k + CHAINS_PER_STEP]:
                    rules = t.chains.get(c, ())
                    key = (name, c)
                    hit = cache.get(key)
                    version = versions.get(key)
                    if hit is None or hit[0] != (version, len(rules)):
                        cache[key] = normalized_chain(c, rules, version, family)
        if len(cache) > 2 * sum(len(t.chains) for t in nf.tables.values()) + 64:
            live = {(n, c) for n, t in nf.tables.items() for c in t.chains}
            for k in [k for k in cache if k not in live]:
                del cache[k]
        memo["log_pos"] = getattr(p, "bump_log_base", 0) + len(getattr(p, "bump_log", ()))
        return (yield from self._layout_steps(p, memo, ts))

    def _layout(self, p, memo: dict, ts: str) -> ChunkedLines:
        """The save text as chunks from the per-chain cache: per table a timestamp line, the
        table and chain declarations, each chain's rules, COMMIT and a closing timestamp.
        Costs one list entry per chain, not one per line (see `engine.proxy.lines`)."""
        return drain(self._layout_steps(p, memo, ts))

    def _layout_steps(self, p, memo: dict, ts: str) -> Steps[ChunkedLines]:
        """`_layout` in steps of `CHAINS_PER_STEP` chains (110,000 of them in nat at 10,000
        Services: the first sync's last step was this). The line offsets are summed from the
        cache's rule counts as the chunks are laid, not by asking each chunk its length."""
        nf = p.netfilter
        cache = memo["chains"]
        prog = save_program(nf.family, "nft")
        ver = f"{IPTABLES_VERSION} (nf_tables)"
        order = list(DEFAULT_TABLE_ORDER.get("nft", ()))
        names = [t for t in order if t in nf.tables] + [t for t in nf.table_order if t not in order]
        chunks: list[Sequence[str]] = []
        starts: list[int] = []  # the first line of each chunk
        end = 0
        stamps: list[int] = []
        index: dict[tuple[str, str], int] = {}

        def lay(chunk: list[str]) -> None:
            nonlocal end
            chunks.append(chunk)
            starts.append(end)
            end += len(chunk)

        for name in names:
            t = nf.tables[name]
            users = memo["layout"][name]["users"]
            stamps.append(len(chunks))
            lay([f"# Generated by {prog} {ver} on {ts}"])
            yield
            lay([f"*{t.name}"] + [f":{c} {t.policies.get(c, 'ACCEPT')} [0:0]" for c in t.builtins]
                + [f":{c} - [0:0]" for c in users])
            chain_names = (*t.builtins, *users)
            for k in range(0, len(chain_names), CHAINS_PER_STEP):
                yield
                keys = [(name, c) for c in chain_names[k:k + CHAINS_PER_STEP]]
                entries = [cache[key] for key in keys]
                index.update(zip(keys, range(len(chunks), len(chunks) + len(keys))))
                chunks.extend([e[1] for e in entries])  # (e: ((version, rule count), rules))
                offsets = list(accumulate([e[0][1] for e in entries], initial=end))
                starts.extend(offsets[:-1])
                end = offsets[-1]
            lay(["COMMIT"])
            stamps.append(len(chunks))
            lay([f"# Completed on {ts}"])
        memo["stamps"] = stamps
        memo["index"] = index
        return ChunkedLines(chunks, index, tuple(names), _starts=(starts, end))
