"""One-shot timers that always fire.

Textual's `set_timer` is a `Timer` with `repeat=0` and `skip=True`: if more than the delay
passes between the moment its task starts and its first look at the clock (a garbage
collection, another thread holding the GIL for its 5 ms), it counts the tick as missed and
ends without calling back. For a chain that re-arms itself -- the engine's catch-up after
each budget, the tour's typing -- one lost callback stops the chain for good: the dashboard
stopped computing kube-proxy's and CoreDNS's state mid-attach on a loaded machine. An
asyncio timer never skips; when it fires, the callback is handed to the message pump
(`call_next`), where Textual runs it as `set_timer` would have.
"""
from __future__ import annotations

import asyncio
from typing import Callable

from textual.message_pump import MessagePump


def call_after(pump: MessagePump, delay: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
    """Run `callback` on `pump` after `delay` seconds (unless the pump has closed by then)."""
    def fire() -> None:
        if pump.is_running:  # (an app that has shut down takes no more callbacks)
            pump.call_next(callback)
    return asyncio.get_running_loop().call_later(delay, fire)
