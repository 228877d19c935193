"""Attaching to a big cluster (issue 18): first full paint and memory.

    python -m benchmarks.attach_bench --services 1000     # 10,000 pods; 10000 for 100,000

A generated cluster is simulated and served (`engine.kapi`) by a child process; this
process attaches to it as a user's dashboard would: every kind listed in pages of 500, the
mirror built and its objects painted, then kube-proxy and CoreDNS computed and painted (the
dashboard headless, `run_test`). Measured: wall seconds to each paint and this process's
CPU seconds to it (svcflow's own share: the rest is the served stand-in answering the
lists, which a real kube-apiserver serves from its watch cache), this process's resident
memory (the child's is not counted: it is the "cluster"), and how long one new Service
takes to show in the mirror. Figures, not timed tests.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.generate import Shape, write
from engine.apply.workspace import cluster_from_paths
from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.kapi import kubeconfig, server
from tui.app import SvcflowApp


def _rss_mb() -> float:
    """This process's resident memory now (MB)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def serve_only(folder: Path) -> int:
    """The child: simulate the folder, serve it, print the URL, serve until killed."""
    cluster, _ = cluster_from_paths([folder], deterministic=True)

    async def main() -> None:
        served = await server.start(cluster, "127.0.0.1", 0, after_write=lambda: asyncio.get_running_loop().call_soon(
            cluster.run_until_idle))
        print(served.url, cluster.store.count("Pod"), flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())
    return 0


async def attach(url: str, folder: Path, services: int) -> dict:
    kc = str(kubeconfig.write(folder / "kubeconfig", url))
    results: dict = {}
    rss0 = _rss_mb()
    cpu0 = time.process_time()
    ws = AttachWorkspace(AttachOptions(kubeconfig=kc))
    app = SvcflowApp([], watch=False, animate_flow=False, workspace=ws)
    t = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        while not ws.built:  # (the app repaints the object panes as soon as the mirror is built)
            await asyncio.sleep(0.01)
        results["objects_painted_s"] = round(time.perf_counter() - t, 2)
        results["objects_painted_cpu_s"] = round(time.process_time() - cpu0, 2)  # svcflow's share
        results["objects"] = {k: ws.cluster.store.count(k) for k in ("Pod", "Service", "EndpointSlice", "Endpoints",
                                                                      "Node")}
        while not ws.advance(0, budget=0.04):  # kube-proxy and CoreDNS catch up as the dashboard lets them
            await asyncio.sleep(0)
        app.refresh_panes(flash=False)
        await pilot.pause()
        results["first_full_paint_s"] = round(time.perf_counter() - t, 2)
        results["first_full_paint_cpu_s"] = round(time.process_time() - cpu0, 2)
        results["rss_after_paint_mb"] = round(_rss_mb())
        results["rss_added_mb"] = round(_rss_mb() - rss0)
        async with aiohttp.ClientSession() as http:
            t = time.perf_counter()
            async with http.post(url + "/api/v1/namespaces/default/services", json={
                    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench-attach"},
                    "spec": {"ports": [{"port": 80}]}}) as r:
                assert r.status == 201, await r.text()
            while ws.cluster.store.get("Service", "default", "bench-attach") is None:
                await asyncio.sleep(0.005)
            results["new_service_in_mirror_ms"] = round((time.perf_counter() - t) * 1000, 1)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", "-s", type=int, default=1000)
    ap.add_argument("--serve-only", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_only:
        return serve_only(Path(args.serve_only))
    folder = Path(tempfile.mkdtemp(prefix="attach-bench-"))
    write(folder / "m", Shape(services=args.services))
    t = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "benchmarks.attach_bench", "--serve-only", str(folder / "m")],
                             stdout=subprocess.PIPE, text=True, env={**os.environ})
    try:
        line = child.stdout.readline().split() if child.stdout else []
        if not line:
            print("the served cluster did not start", file=sys.stderr)
            return 1
        url, pods = line[0], int(line[1])
        results = {"services": args.services, "pods": pods, "served_cold_start_s": round(time.perf_counter() - t, 1)}
        results.update(asyncio.run(attach(url, folder, args.services)))
    finally:
        child.terminate()
        child.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
