"""A long text as a sequence of lines kept in chunks, for views of 470,000 rule lines.

kube-proxy's `iptables-save` text at 10,000 Services is 470,000 lines.  It is kept per chain
(`KubeProxy.iptables_save_lines`), and a sync changes a few chains: concatenating every chain
into one list again after each sync, or copying the list each second to patch the two
timestamp lines per table, costs a third of a second each time.  `ChunkedLines` strings the
chains' own lists together instead (cost: one entry per chain), indexes into them by
bisection, and remembers where each chain's rules are (`sections`), so a view can find the
rule that jumps to a Service without scanning every line.
"""
from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, chain
from typing import Iterable, Iterator, Sequence, overload


def first_holding(lines: Sequence[str], needles: Sequence[str]) -> int | None:
    """The index of the first of `lines` that holds any of `needles`: one search over their
    text per needle, in C, not a Python loop over the lines (a chain of 11,000 rules is
    searched within a frame; str.find per name beats a regex alternation of long names)."""
    block = "\n".join(lines)
    found = [at for at in (block.find(n) for n in needles) if at >= 0]
    return block.count("\n", 0, min(found)) if found else None


class ChunkedLines(Sequence[str]):
    """Lines made of chunks (lists of lines that are never changed once given here).

    ``sections``: (group, name) -> the index of the chunk holding that section's lines (for
    iptables-save: (table, chain)); ``groups`` orders the groups, so `ranges(name)` lists a
    chain's rules in every table it is in (KUBE-SERVICES is in filter and nat), in order."""

    __slots__ = ("chunks", "_starts", "_len", "section_index", "groups")

    def __init__(self, chunks: list[Sequence[str]], sections: dict[tuple[str, str], int] | None = None,
                 groups: tuple[str, ...] = (), *, _starts: tuple[list[int], int] | None = None) -> None:
        self.chunks = chunks
        if _starts is not None:
            self._starts, self._len = _starts
        else:
            ends = list(accumulate(map(len, chunks)))
            self._len = ends[-1] if ends else 0
            self._starts = [0, *ends[:-1]] if ends else []
        self.section_index = sections or {}
        self.groups = groups

    def with_chunks_replaced(self, replacements: dict[int, Sequence[str]]) -> "ChunkedLines":
        """The same lines with some chunks swapped for others (a chain's new rules, new
        timestamps): no line is copied, only the list of chunks."""
        chunks = list(self.chunks)
        same = True
        for i, c in replacements.items():
            same = same and len(c) == len(chunks[i])
            chunks[i] = c
        # Chunks of the same lengths (new timestamps): the line offsets stay as they are.
        return ChunkedLines(chunks, self.section_index, self.groups,
                            _starts=(self._starts, self._len) if same else None)

    def ranges(self, name: str) -> list[tuple[int, int]]:
        """The line ranges [start, end) of a section in each group that has it, in order."""
        out = []
        for g in self.groups:
            i = self.section_index.get((g, name))
            if i is not None:
                out.append((self._starts[i], self._starts[i] + len(self.chunks[i])))
        return out

    @property
    def sections(self) -> dict[str, list[tuple[int, int]]]:
        """name -> its ranges (only those with lines), for inspection and tests."""
        names = dict.fromkeys(n for _, n in self.section_index)
        return {n: [r for r in self.ranges(n) if r[1] > r[0]] for n in names if any(e > b for b, e in self.ranges(n))}

    def find_first(self, start: int, end: int, needles: Iterable[str]) -> int | None:
        """The first line in [start, end) that holds any of `needles` (None: none does). A
        chunk that can look itself (`find`: a chain whose lines are made when first read,
        engine.proxy.iptables.savelines) is asked, so finding a Service's rule in
        KUBE-SERVICES does not make its 10,000 lines."""
        needles = list(needles)
        k = max(bisect_right(self._starts, start) - 1, 0)
        while k < len(self.chunks) and self._starts[k] < end:
            c, base = self.chunks[k], self._starts[k]
            lo, hi = max(0, start - base), min(len(c), end - base)
            find = getattr(c, "find", None)
            if find is not None and lo == 0 and hi == len(c):
                at = find(needles)
            else:
                at = first_holding(c[lo:hi], needles)
                at = None if at is None else lo + at
            if at is not None:
                return base + at
            k += 1
        return None

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(self._len)
            if step != 1:
                return [self[j] for j in range(start, stop, step)]
            out: list[str] = []
            if start >= stop:
                return out
            k = bisect_right(self._starts, start) - 1
            while k < len(self.chunks) and len(out) < stop - start:
                c = self.chunks[k]
                lo = max(0, start - self._starts[k])
                out.extend(c[lo: lo + (stop - start - len(out))])
                k += 1
            return out
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("line index out of range")
        k = bisect_right(self._starts, i) - 1
        return self.chunks[k][i - self._starts[k]]

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self.chunks)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, ChunkedLines)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ChunkedLines({self._len} lines in {len(self.chunks)} chunks)"
