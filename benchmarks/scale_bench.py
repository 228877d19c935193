"""`kubectl scale deploy/counter --replicas=N` under the dashboard's driver: the longest
single engine step.

The dashboard runs the engine in wall-clock budgets (tui.driver: `run_for(.., budget=0.04)`,
then catch-up slices), but a budget is only checked between two reconciles: one reconcile
that does a lot of work freezes the screen for as long as it takes. This measures, after
the samples are applied and settled (deterministic cluster), the scale line run the way the
dashboard's prompt runs it (a driven Session), then slices of `run_for(0, budget)` until the
ReplicaSet's status says N replicas and it has nothing left to sync:

- the longest single reconcile (which controller; wall and CPU time: the 2 cores are shared),
  and the longest slice;
- how many ReplicaSet syncs the scale took, and the largest number of pods one created;
- the wall time until `status.replicas == N`;
- with `--down`, the same for the scale back to 1 (deletions, 500 per sync).

    python -m benchmarks.scale_bench --replicas 10000,100000
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.api.objects import meta
from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
BUDGET = 0.04  # tui.driver.ENGINE_BUDGET


def _instrument(cluster: Cluster, longest: dict) -> None:
    """Wrap every controller's reconcile with a timer that keeps the longest call."""
    for c in cluster.controllers:
        inner = c.reconcile

        def timed(key, inner=inner, name=c.name):
            t, cpu = time.perf_counter(), time.thread_time()
            inner(key)
            dt, dcpu = time.perf_counter() - t, time.thread_time() - cpu
            if dt > longest["seconds"]:
                longest.update(seconds=dt, controller=name, key=key)
            longest["cpu_seconds"] = max(longest["cpu_seconds"], dcpu)
            if name == "replicaset-controller":
                longest["rs_syncs"] += 1
        c.reconcile = timed  # type: ignore[method-assign]


def _drive(cluster: Cluster, line: str, rs_name: str, target: int, max_seconds: float) -> dict:
    """Run one scale line as the dashboard's prompt runs it, then budgeted slices until the
    ReplicaSet's status says `target` and it has nothing left to sync."""
    longest = {"seconds": 0.0, "cpu_seconds": 0.0, "controller": "", "key": "", "rs_syncs": 0}
    counts = {"ADDED": 0, "DELETED": 0}

    def count(ev) -> None:
        if ev.type in counts:
            counts[ev.type] += 1
    cluster.store.watch("Pod", count)
    _instrument(cluster, longest)
    rsc = next(c for c in cluster.controllers if c.name == "replicaset-controller")
    driven = Session(cluster, cwd=SAMPLES, settle=False, driven=True)
    t0 = time.perf_counter()
    driven.feed(line)
    slices, longest_slice, climb = 0, 0.0, []
    while True:
        t = time.perf_counter()
        cluster.run_for(0, budget=BUDGET)
        longest_slice = max(longest_slice, time.perf_counter() - t)
        slices += 1
        rs = cluster.get("ReplicaSet", "default", rs_name)
        current = (rs.get("status") or {}).get("replicas", 0)
        if not climb or climb[-1] != current:
            climb.append(current)
        if current == target and not rsc.queue:
            break  # (the scheduler is still failing the pods no node has room for: not measured)
        if time.perf_counter() - t0 > max_seconds:
            break  # (reported as not converged)
    for c in cluster.controllers:  # the next line is measured on its own
        c.__dict__.pop("reconcile", None)
    return {"replicas": target, "longest_step_s": longest["seconds"], "longest_step_controller": longest["controller"],
            "longest_step_cpu_s": longest["cpu_seconds"],
            "longest_slice_s": longest_slice, "slices": slices, "rs_syncs": longest["rs_syncs"],
            "pods_created": counts["ADDED"], "pods_deleted": counts["DELETED"],
            "seconds_to_status": time.perf_counter() - t0,
            "converged": climb[-1] == target and not rsc.queue,
            "status_climb": climb[:6] + (["..."] if len(climb) > 7 else []) + climb[-1:]}


def one(replicas: int, max_seconds: float, *, down: bool = False) -> dict | tuple[dict, dict]:
    """Scale the samples' counter to `replicas`; `down`: then back to 1 (measured apart)."""
    cluster = Cluster(deterministic=True)
    Session(cluster, cwd=SAMPLES).feed("kubectl apply -f .")
    rs_name = next(meta(r)["name"] for r in cluster.store.iter("ReplicaSet")
                   if meta(r)["name"].startswith("counter-"))
    up = _drive(cluster, f"kubectl scale deploy/counter --replicas={replicas}", rs_name, replicas, max_seconds)
    if not down:
        return up
    return up, _drive(cluster, "kubectl scale deploy/counter --replicas=1", rs_name, 1, max_seconds)


def _report(what: str, r: dict) -> str:
    end = (f"status.replicas == {r['replicas']:,} after {r['seconds_to_status']:.2f} s" if r["converged"] else
           f"NOT converged after {r['seconds_to_status']:.2f} s")
    return (f"{what}: longest step {r['longest_step_s'] * 1000:.1f} ms ({r['longest_step_controller']}; "
            f"longest in CPU time {r['longest_step_cpu_s'] * 1000:.1f} ms), "
            f"longest slice {r['longest_slice_s'] * 1000:.1f} ms over {r['slices']} slices, "
            f"{r['rs_syncs']} ReplicaSet syncs, {r['pods_created']:,} pods created, {r['pods_deleted']:,} deleted, "
            f"{end}; CURRENT: {r['status_climb']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", default="10000,100000", help="comma-separated replica counts")
    ap.add_argument("--down", action="store_true", help="then scale back to 1 and measure that too")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="give up on one size after this long")
    args = ap.parse_args(argv)
    for n in (int(x) for x in args.replicas.split(",")):
        if args.down:
            up, down = one(n, args.max_seconds, down=True)
            print(_report(f"replicas=1 -> {n:,}", up), flush=True)
            print(_report(f"replicas={n:,} -> 1", down), flush=True)
        else:
            print(_report(f"replicas=1 -> {n:,}", one(n, args.max_seconds)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
