"""The cyclic garbage collector, paused while big batches of acyclic objects are made.

Its own module (nothing but the standard library): the process that decodes a big list's
pages for the mirror (engine.attach.decoding) imports it without the control plane.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc(freeze=lambda: False):
    """Pause the cyclic garbage collector while controllers run.

    Reconciling allocates millions of small, acyclic dicts (object versions, events)
    that reference counting frees on its own; with a large live heap each of CPython's
    full collections rescans all of it, which cost a third of a cold start at 10,000
    Services while finding next to nothing to collect. Collection resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # `freeze()` (true for big clusters): what survived the run is the cluster's
        # state, which lives on. Moved to the permanent generation, later collections
        # (the API server validating a manifest, the dashboard) do not rescan gigabytes
        # of it -- one full collection takes seconds at 10,000 Services. It is still
        # freed by reference counting when it goes; only cyclic garbage that was
        # pending at this moment would stay, which small clusters never risk.
        if freeze():
            gc.freeze()
        if was_enabled:
            gc.enable()
