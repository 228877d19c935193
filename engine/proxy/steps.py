"""A long computation as steps: a generator that yields between slices of its work.

kube-proxy's first full sync over 10,000 Services takes seconds; written as a generator
that yields every few Services, the same code runs in one call (`drain`, what the
simulation and the CLI do) or a slice at a time between the dashboard's repaints
(`KubeProxy.sync_in_slices`, what an attached dashboard does). One implementation: the
sliced run and the one-call run execute the same statements in the same order, so they
leave the same rules.
"""
from __future__ import annotations

from typing import Generator, TypeVar

T = TypeVar("T")

Steps = Generator[None, None, T]  # yields between slices, returns the result

#: How many Services a proxier derives or renders between two yields (~0.1 ms each).
SERVICES_PER_STEP = 32
#: How many iptables-restore operations the tables model takes between two yields.
OPS_PER_STEP = 4096


def drain(steps: Steps[T]) -> T:
    """Run every step at once; the computation's result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
