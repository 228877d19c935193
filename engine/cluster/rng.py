"""The cluster's random source: one generator per purpose, derived from the cluster seed.

Generated names, UIDs, ClusterIPs, the scheduler's tie-breaks and image pull times all
draw from it. Each purpose has its own generator, so a change in how often one
controller draws does not reshuffle every other name, and a deterministic run (a fixed
seed) is replayed exactly whatever order the purposes are first asked for.
"""
from __future__ import annotations

import hashlib
import random


class RandomSource:
    """`rng(purpose)`: the purpose's generator, made on first use."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rngs: dict[str, random.Random] = {}

    def rng(self, purpose: str) -> random.Random:
        r = self._rngs.get(purpose)
        if r is None:
            digest = hashlib.sha256(f"{self.seed}:{purpose}".encode()).digest()
            r = self._rngs[purpose] = random.Random(int.from_bytes(digest[:8], "big"))
        return r
