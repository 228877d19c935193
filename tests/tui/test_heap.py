"""The dashboard's garbage-collector policy (tui/heap.py): a slow full collection
freezes the long-lived heap, so later full collections do not stall the UI again."""
from __future__ import annotations

import gc

from tui.heap import HeapKeeper


def test_a_slow_full_collection_freezes_the_heap_it_cleaned():
    keeper = HeapKeeper(slow=0.0)  # every full collection counts as slow here
    keeper.install()
    frozen_before = gc.get_freeze_count()
    try:
        state = [[i] for i in range(50_000)]  # long-lived containers, as a cluster's objects
        keeper.tick()  # (making them may have run a full collection already)
        gc.collect()
        assert keeper.tick() is True
        # The next full collection walks only what came after: the rows above are frozen.
        assert gc.get_freeze_count() >= frozen_before + len(state)
        walked = {id(o) for o in gc.get_objects(generation=2)}
        assert not any(id(x) in walked for x in state)
        assert keeper.tick() is False  # once per slow collection
    finally:
        keeper.uninstall()
        gc.unfreeze()


def test_a_quick_full_collection_leaves_the_heap_alone():
    keeper = HeapKeeper(slow=60.0)
    keeper.install()
    try:
        gc.collect()
        assert keeper.tick() is False
    finally:
        keeper.uninstall()
    assert keeper._on_gc not in gc.callbacks  # an app that ends leaves no hook behind
