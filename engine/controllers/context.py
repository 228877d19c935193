"""What a controller is handed: the narrow context instead of the whole cluster.

Upstream, kube-controller-manager gives each controller a ControllerContext: shared
informers over the kinds it reads, a clientset to write with, an event recorder; the
clock and the random source come with it. svcflow's controllers receive the same, and
nothing else, so a controller's dependencies are the ones it names, and a controller
never reaches into another's state by walking the cluster. What only one controller
needs (the kubelet's machines and CNI IPAM, CoreDNS's nameserver) is passed to that
controller alone.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from engine.api.apiserver import ApiServer
from engine.api.store import Store
from engine.cluster.clock import SimClock
from engine.cluster.events import FlowEvent
from engine.cluster.recorder import EventRecorder


@dataclass(frozen=True, slots=True)
class ControllerContext:
    """The pieces every controller may use.

    - `store`: the informers' side (get, list, by_label, select, watch) and the status
      writes a controller makes of the objects it owns;
    - `api`: the API server's write path (creations with defaulting, generated names,
      allocation; graceful deletes);
    - `recorder`: core/v1 Events (`kubectl describe`);
    - `clock`: now, `now_str`, timers (`call_later`) and the cluster's `origin`;
    - `rng(purpose)`: the seeded generator of one purpose;
    - `flow(controller, obj, verb, detail, step=, data=)`: the flow sink
      (`FlowSink.flow`), svcflow's own record of what each controller did."""

    store: Store
    api: ApiServer
    recorder: EventRecorder
    clock: SimClock
    rng: Callable[[str], random.Random]
    flow: Callable[..., FlowEvent]
