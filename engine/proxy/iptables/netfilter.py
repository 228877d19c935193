"""A small model of the kernel's iptables tables, fed the way kube-proxy feeds it.

It holds, per table, the chains and their rules (kept in the iptables-restore syntax
kube-proxy wrote them in) and applies ``iptables-restore --noflush`` input with the
semantics that matter to kube-proxy:

* a chain line creates the chain or flushes it; chains not mentioned keep their rules;
* ``-A`` needs the chain and (for a jump) the target chain to exist;
* ``-X`` fails if the chain is built in, not empty, or still referenced by a rule;
* each table is applied atomically at its ``COMMIT``; the first error aborts the rest
  of the input, so tables already committed stay committed (iptables-legacy-restore).

That is enough to reproduce the upstream "partial restore fails on a dangling jump, the
next sync is a full one" behaviour, and it is what :mod:`engine.proxy.iptables.save` prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from engine.proxy.iptables.normalize import normalize_rule
from engine.proxy.steps import OPS_PER_STEP, Steps, drain

BUILTIN_CHAINS: dict[str, tuple[str, ...]] = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}

# Targets that are not chains: built-in verdicts and the extensions kube-proxy (and the
# usual node software) uses.  A jump to anything else must name an existing chain.
NON_CHAIN_TARGETS = frozenset({
    "ACCEPT", "DROP", "RETURN", "QUEUE", "NFQUEUE", "DNAT", "SNAT", "MASQUERADE",
    "REDIRECT", "MARK", "CONNMARK", "REJECT", "LOG", "NFLOG", "CT", "NOTRACK", "TPROXY",
    "TCPMSS", "CHECKSUM", "TRACE", "AUDIT", "CLASSIFY", "DSCP", "TOS", "TTL", "HL",
})


class RestoreError(Exception):
    """iptables-restore failed; ``line`` is the 1-based input line it stopped at."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


def rule_target(spec: str) -> str | None:
    """The ``-j``/``-g`` target of a rule spec (the part after ``-A CHAIN``).

    (Not cached: a first sync at 10,000 Services applies 470,000 different rules, each
    looked up once; a cache only churned.)"""
    i = spec.rfind(" -j ")  # (what kube-proxy writes: the first flag looked for below)
    if i >= 0:
        j = spec.find(" ", i + 4)
        return spec[i + 4:] if j < 0 else spec[i + 4:j]
    for flag in (" -g ", " --jump ", " --goto "):
        i = spec.rfind(flag)
        if i >= 0:
            rest = spec[i + len(flag):]
            return rest.split(" ", 1)[0]
    for flag in ("-j ", "-g "):
        if spec.startswith(flag):
            return spec[len(flag):].split(" ", 1)[0]
    return None


@dataclass
class Table:
    name: str
    chains: dict[str, list[str]] = field(default_factory=dict)  # chain -> rule specs
    policies: dict[str, str] = field(default_factory=dict)
    refs: dict[str, int] = field(default_factory=dict)  # chain -> rules jumping to it

    def __post_init__(self) -> None:
        for c in BUILTIN_CHAINS.get(self.name, ()):
            self.chains.setdefault(c, [])
            self.policies.setdefault(c, "ACCEPT")

    @property
    def builtins(self) -> tuple[str, ...]:
        return BUILTIN_CHAINS.get(self.name, ())

    def user_chains(self) -> list[str]:
        """User chains in the order iptables-save lists them (bytewise by name)."""
        b = set(self.builtins)
        # (UTF-8 keeps code point order, so a plain sort is the bytewise one)
        return sorted(c for c in self.chains if c not in b)


@dataclass
class TableTxn:
    """One ``*table … COMMIT`` block as structured data (what kube-proxy writes)."""

    name: str
    chain_lines: list[str] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)  # (chain, spec)
    deletes: list[str] = field(default_factory=list)


def parse_restore(text: str) -> list[list[tuple[int, str, str, str]]]:
    """Split iptables-restore input into per-table op lists (line, op, chain, arg)."""
    tables: list[list[tuple[int, str, str, str]]] = []
    cur: list[tuple[int, str, str, str]] | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            cur = [(n, "table", line[1:], "")]
            tables.append(cur)
            continue
        if cur is None:
            raise RestoreError("no table specified", n)
        if line == "COMMIT":
            cur.append((n, "commit", "", ""))
            cur = None
            continue
        if line.startswith(":"):
            name, _, rest = line[1:].partition(" ")
            policy = rest.split(" ", 1)[0] if rest else "-"
            cur.append((n, "chain", name, policy))
            continue
        op, _, rest = line.partition(" ")
        chain, _, spec = rest.partition(" ")
        opmap = {"-A": "append", "--append": "append", "-X": "delete-chain",
                 "--delete-chain": "delete-chain", "-F": "flush", "--flush": "flush",
                 "-N": "new-chain", "--new-chain": "new-chain", "-I": "insert", "--insert": "insert"}
        if op not in opmap:
            raise RestoreError(f"unknown command {op!r}", n)
        cur.append((n, opmap[op], chain, spec))
    if cur is not None:
        raise RestoreError("COMMIT expected at end of input", 0)
    return tables


class Netfilter:
    """The node's iptables state for one IP family (iptables or ip6tables)."""

    def __init__(self, family: str = "IPv4"):
        self.family = family
        self.tables: dict[str, Table] = {}
        self.table_order: list[str] = []  # first-use order, as /proc/net/ip_tables_names

    # ---- plain iptables commands (what kube-proxy runs outside iptables-restore)
    def table(self, name: str) -> Table:
        t = self.tables.get(name)
        if t is None:
            t = self.tables[name] = Table(name)
            self.table_order.append(name)
        return t

    def chain_exists(self, table: str, chain: str) -> bool:
        t = self.tables.get(table)
        return t is not None and chain in t.chains

    def ensure_chain(self, table: str, chain: str) -> bool:
        """``iptables -N`` unless it exists; True if it already existed."""
        t = self.table(table)
        if chain in t.chains:
            return True
        t.chains[chain] = []
        return False

    def ensure_rule(self, table: str, chain: str, spec: str, *, prepend: bool = False) -> bool:
        """``iptables -C`` then ``-I``/``-A``: True if an equivalent rule was present."""
        t = self.table(table)
        if chain not in t.chains:
            raise RestoreError(f"chain {chain} does not exist in table {table}")
        want = normalize_rule(spec, self.family)  # iptables -C compares in the kernel's form
        if any(normalize_rule(r, self.family) == want for r in t.chains[chain]):
            return True
        self._check_target(t, spec, set())
        if prepend:
            t.chains[chain].insert(0, spec)
        else:
            t.chains[chain].append(spec)
        tgt = rule_target(spec)
        if tgt is not None:
            t.refs[tgt] = t.refs.get(tgt, 0) + 1
        return False

    def rules(self, table: str, chain: str) -> list[str]:
        t = self.tables.get(table)
        return list(t.chains.get(chain, [])) if t else []

    def flush_table(self, table: str) -> None:
        """``iptables -t T -F; -X``: what a node admin's flush does (canaries included)."""
        t = self.tables.get(table)
        if t is None:
            return
        self.tables[table] = Table(table)

    # ---- iptables-restore --noflush
    def restore(self, text: str) -> None:
        """Apply iptables-restore input given as text."""
        for ops in parse_restore(text):
            drain(self._apply_ops(ops[0][2], ops[1:]))

    def apply(self, txns: list[TableTxn]) -> None:
        """Apply structured restore input (the same semantics as :meth:`restore`)."""
        drain(self.apply_steps(txns))

    def apply_steps(self, txns: list[TableTxn]) -> Steps[None]:
        """`apply` in steps (`engine.proxy.steps`): each table's transaction still
        commits at once, after its last step, as iptables-restore's COMMIT does."""
        for txn in txns:
            yield from self._apply_txn(txn)

    def _apply_txn(self, txn: TableTxn) -> Steps[None]:
        """One structured transaction: what `_apply_ops` does with its `:chain` lines, then
        its appends, then its chain deletions and the COMMIT -- the same checks and words,
        without an operation tuple per rule (a first sync at 10,000 Services appends 350,000
        rules: the generic loop's dispatch was half of applying them)."""
        t = self.table(txn.name)
        builtins = set(t.builtins)
        chains = t.chains
        new: dict[str, list[str]] = {}
        refs = dict(t.refs)
        policies = dict(t.policies)
        for c in txn.chain_lines:  # (`:CHAIN - [0:0]`: a user chain is flushed, or made)
            if c in builtins:
                continue
            old = new[c] if c in new else chains.get(c)
            if old:
                for r in old:
                    tg = rule_target(r)
                    if tg is not None:
                        refs[tg] = refs.get(tg, 0) - 1
            new[c] = []
        n = 0
        for chain, spec in txn.rules:
            rules = new.get(chain)
            if rules is None:
                if chain not in chains:
                    raise RestoreError(f"Chain '{chain}' does not exist")
                rules = new[chain] = list(chains[chain])
            tg = rule_target(spec)
            if tg is not None:
                if tg not in new and tg not in chains and tg not in NON_CHAIN_TARGETS:
                    raise RestoreError(f"Couldn't load target `{tg}':No such file or directory")
                refs[tg] = refs.get(tg, 0) + 1
            rules.append(spec)
            n += 1
            if not n % OPS_PER_STEP:
                yield
        deleted: set[str] = set()
        for c in txn.deletes:
            if c in builtins:
                raise RestoreError(f"Can't delete built-in chain {c}")
            if not (c in new or (c in chains and c not in deleted)):
                raise RestoreError(f"Chain '{c}' does not exist")
            if new[c] if c in new else chains.get(c):
                raise RestoreError(f"Directory not empty: chain {c}")
            if refs.get(c, 0) > 0:
                raise RestoreError(f"Too many links: chain {c} is still referenced")
            new.pop(c, None)
            deleted.add(c)
        live_refs = {k: v for k, v in refs.items() if v > 0}
        yield  # (the commit in a step of its own: 110,000 chains at 10,000 Services)
        for c, rules in new.items():
            chains[c] = rules
        for c in deleted:
            chains.pop(c, None)
        t.refs = live_refs
        t.policies = policies

    def _check_target(self, t: Table, spec: str, deleted: set[str], new: dict | None = None) -> None:
        tgt = rule_target(spec)
        if tgt is None or tgt in NON_CHAIN_TARGETS:
            return
        exists = (new is not None and tgt in new) or (tgt in t.chains and tgt not in deleted)
        if not exists:
            raise RestoreError(f"Couldn't load target `{tgt}':No such file or directory")

    def _apply_ops(self, name: str, ops: Iterable[tuple[int, str, str, str]]) -> Steps[None]:
        """Table `name`'s transaction (the operations after its ``*name`` line), yielding
        every `OPS_PER_STEP` operations; the tables change only at its end (the commit),
        so a half-applied one is never seen."""
        t = self.table(name)
        builtins = set(t.builtins)
        new: dict[str, list[str]] = {}  # touched chains (copy-on-write)
        deleted: set[str] = set()
        refs = dict(t.refs)
        policies = dict(t.policies)

        def exists(c: str) -> bool:
            return c in new or (c in t.chains and c not in deleted)

        def rules_of(c: str) -> list[str]:
            return new[c] if c in new else t.chains.get(c, [])

        def drop_refs(rules: list[str]) -> None:
            for r in rules:
                tg = rule_target(r)
                if tg is not None:
                    refs[tg] = refs.get(tg, 0) - 1

        committed = False
        for i, (line, op, chain, arg) in enumerate(ops, 1):
            if not i % OPS_PER_STEP:
                yield
            try:
                if op == "append":  # (nearly every operation: first, and inline)
                    rules = new.get(chain)
                    if rules is None:
                        if chain not in t.chains or chain in deleted:
                            raise RestoreError(f"Chain '{chain}' does not exist")
                        rules = new[chain] = list(t.chains[chain])
                    tg = rule_target(arg)
                    if tg is not None and tg not in new and tg not in NON_CHAIN_TARGETS and not exists(tg):
                        raise RestoreError(f"Couldn't load target `{tg}':No such file or directory")
                    rules.append(arg)
                    if tg is not None:
                        refs[tg] = refs.get(tg, 0) + 1
                elif op == "chain":
                    if chain in builtins:
                        if arg not in ("-", ""):
                            policies[chain] = arg
                        continue
                    if exists(chain):
                        drop_refs(rules_of(chain))
                    new[chain] = []
                    deleted.discard(chain)
                elif op == "new-chain":
                    if exists(chain):
                        raise RestoreError("Chain already exists")
                    new[chain] = []
                    deleted.discard(chain)
                elif op == "flush":
                    targets = [chain] if chain else [c for c in list(t.chains) + list(new) if exists(c)]
                    for c in targets:
                        drop_refs(rules_of(c))
                        new[c] = []
                elif op == "insert":
                    if not exists(chain):
                        raise RestoreError(f"Chain '{chain}' does not exist")
                    head, _, rest = arg.partition(" ")
                    if head.isdigit():
                        pos, spec = int(head) - 1, rest
                    else:
                        pos, spec = 0, arg
                    self._check_target(t, spec, deleted, new)
                    if chain not in new:
                        new[chain] = list(t.chains[chain])
                    new[chain].insert(pos, spec)
                    tg = rule_target(spec)
                    if tg is not None:
                        refs[tg] = refs.get(tg, 0) + 1
                elif op == "delete-chain":
                    if chain in builtins:
                        raise RestoreError(f"Can't delete built-in chain {chain}")
                    if not exists(chain):
                        raise RestoreError(f"Chain '{chain}' does not exist")
                    if rules_of(chain):
                        raise RestoreError(f"Directory not empty: chain {chain}")
                    if refs.get(chain, 0) > 0:
                        raise RestoreError(f"Too many links: chain {chain} is still referenced")
                    new.pop(chain, None)
                    deleted.add(chain)
                elif op == "commit":
                    committed = True
                    break
                else:
                    raise RestoreError(f"unsupported operation {op}")
            except RestoreError as e:
                if e.line or not line:
                    raise
                raise RestoreError(str(e), line) from None
        if not committed:
            raise RestoreError("COMMIT expected")
        live_refs = {k: v for k, v in refs.items() if v > 0}
        yield  # (the commit in a step of its own: 110,000 chains at 10,000 Services)
        for c, rules in new.items():
            t.chains[c] = rules
        for c in deleted:
            t.chains.pop(c, None)
        t.refs = live_refs
        t.policies = policies


class TextOnlyNetfilter(Netfilter):
    """Tables that take iptables-restore input without keeping it: for a sync whose text is
    all that is wanted (``proxy-rules --format restore``), it spares a second copy of every
    rule and the time to apply it."""

    def apply(self, txns: list[TableTxn]) -> None:
        return None

    def apply_steps(self, txns: list[TableTxn]) -> Steps[None]:
        return
        yield  # (a generator that takes nothing)
