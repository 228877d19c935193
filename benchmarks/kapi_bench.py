"""The served API under load (issue 16): the real kubectl against a generated cluster.

    python -m benchmarks.kapi_bench --services 1000      # 10,000 pods; 10000 for the full 100,000

Measures, with the cluster served in this process's event loop: `kubectl get pods -A` (pages
of 500, end to end, the Table rendering included), `kubectl get svc -A`, GETs of one object per
second (one client, keep-alive), and how long one change takes to reach 50 open watches.

For the two lists it also says where their time goes, in four figures of its own:
- the server alone: every page requested over HTTP as kubectl requests them (Table media
  type, `limit=500`, `continue`), one after the other, with no kubectl;
- kubectl alone: the same kubectl command against a trivial server that replays the pages
  the real one answered (bytes recorded a moment before), so only kubectl's own work and
  waits are left -- the floor no server can go under;
- kubectl alone on one page: the same rows replayed as one Table to `--chunk-size=0` (one
  request, so no rate limit): kubectl's own decoding and printing of every row;
- client-go's rate limit: kubectl's REST client (rest.Config defaults, QPS 5 and burst 10,
  which kubectl does not raise for lists) lets 10 requests go at once and then one every
  200 ms, so a list of P pages waits at least (P - 10) / 5 s whatever the server does.
Figures, not timed tests: the machine's load changes them.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from benchmarks.generate import Shape, write
from engine.apply.workspace import cluster_from_paths
from engine.kapi import kubeconfig, server

#: Client-go's default client-side rate limit (rest.Config QPS and Burst; kubectl keeps
#: them for everything but discovery): a burst of 10 requests, then 5 a second.
CLIENT_BURST = 10
CLIENT_QPS = 5.0
TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                "application/json")


async def _kubectl(kc: Path, cache: Path, *args: str) -> tuple[float, int, int]:
    t = time.perf_counter()
    proc = await asyncio.create_subprocess_exec("kubectl", "--kubeconfig", str(kc), "--cache-dir", str(cache), *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return time.perf_counter() - t, proc.returncode or 0, out.count(b"\n")


async def _pages(http: aiohttp.ClientSession, path: str) -> tuple[float, dict[str, tuple[bytes, str]]]:
    """Every page of a list as kubectl asks for them; the time it took and each page's
    answer (body, Content-Type) by the `continue` it was asked with."""
    pages: dict[str, tuple[bytes, str]] = {}
    token = ""
    t = time.perf_counter()
    while True:
        params = {"limit": "500", **({"continue": token} if token else {})}
        async with http.get(path, params=params, headers={"Accept": TABLE_ACCEPT}) as r:
            body = await r.read()
            pages[token] = (body, r.headers.get("Content-Type", "application/json"))
        token = json.loads(body)["metadata"].get("continue", "")
        if not token:
            return time.perf_counter() - t, pages


def _one_page(pages: dict[str, tuple[bytes, str]]) -> tuple[bytes, str]:
    """The pages' rows as one Table (what an unpaged list would answer)."""
    first, ctype = pages[""]
    table = json.loads(first)
    table["rows"] = [row for body, _ in pages.values() for row in json.loads(body)["rows"]]
    table["metadata"].pop("continue", None)
    return json.dumps(table, separators=(",", ":"), ensure_ascii=False).encode(), ctype


class _Replay:
    """A trivial server for the floor: `path`'s pages as recorded, everything else (version,
    discovery) forwarded to the served API."""

    def __init__(self, http: aiohttp.ClientSession, path: str, pages: dict[str, tuple[bytes, str]]) -> None:
        self.http, self.path, self.pages = http, path, pages
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if request.method == "GET" and request.path == self.path and "watch" not in request.query:
            body, ctype = self.pages[request.query.get("continue", "")]
            return web.Response(body=body, headers={"Content-Type": ctype})
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with self.http.request(request.method, request.path_qs, headers=headers, data=await request.read()) as r:
            kept = {k: v for k, v in r.headers.items() if k.lower() in ("content-type", "warning")}
            return web.Response(body=await r.read(), status=r.status, headers=kept)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


LISTS = (("get_pods_A", "pods", "/api/v1/pods"), ("get_svc_A", "svc", "/api/v1/services"))


async def run(services: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="kapi-bench-"))
    write(folder / "m", Shape(services=services))
    t = time.perf_counter()
    cluster, _ = cluster_from_paths([folder / "m"], deterministic=True)
    results: dict = {"services": services, "pods": cluster.store.count("Pod"),
                     "cold_start_s": round(time.perf_counter() - t, 1)}
    served = await server.start(cluster, "127.0.0.1", 0)
    kc = kubeconfig.write(folder / "kubeconfig", served.url)
    try:
        await _kubectl(kc, folder / "c", "get", "ns")  # discovery cached, as a user's second command
        async with aiohttp.ClientSession(served.url) as http:
            for name, resource, path in LISTS:
                runs = [await _kubectl(kc, folder / "c", "get", resource, "-A") for _ in range(3)]
                results[name + "_s"] = round(min(r[0] for r in runs), 2)
                results[name + "_lines"] = runs[0][2]
                server_s, pages = min([await _pages(http, path) for _ in range(2)], key=lambda r: r[0])
                results[name + "_server_s"] = round(server_s, 2)
                results[name + "_pages"] = len(pages)
                results[name + "_rate_limit_s"] = round(max(0, len(pages) - CLIENT_BURST) / CLIENT_QPS, 1)
                replay = _Replay(http, path, pages)
                kc_replay = kubeconfig.write(folder / "kubeconfig-replay", await replay.start())
                try:
                    await _kubectl(kc_replay, folder / "c2", "get", "ns")
                    floor = [await _kubectl(kc_replay, folder / "c2", "get", resource, "-A") for _ in range(2)]
                finally:
                    await replay.stop()
                results[name + "_floor_s"] = round(min(r[0] for r in floor), 2)
                assert all(r[2] == runs[0][2] for r in floor), "the replayed pages printed other lines"
                replay = _Replay(http, path, {"": _one_page(pages)})
                kc_replay = kubeconfig.write(folder / "kubeconfig-replay", await replay.start())
                try:
                    whole = [await _kubectl(kc_replay, folder / "c2", "get", resource, "-A", "--chunk-size=0")
                             for _ in range(2)]
                finally:
                    await replay.stop()
                results[name + "_one_page_floor_s"] = round(min(r[0] for r in whole), 2)
                assert all(r[2] == runs[0][2] for r in whole), "the one replayed page printed other lines"
            name = cluster.store.list("Service", "default")[0]["metadata"]["name"]
            n, t = 0, time.perf_counter()
            while time.perf_counter() - t < 3:
                async with http.get(f"/api/v1/namespaces/default/services/{name}") as r:
                    await r.read()
                n += 1
            results["get_one_per_s"] = round(n / (time.perf_counter() - t))
            rv = cluster.store.resource_version
            watches = [await http.get(f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}")
                       for _ in range(50)]
            lat = []
            for i in range(20):
                t = time.perf_counter()
                cluster.api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"bench-{i}"}})
                got = await asyncio.gather(*(w.content.readline() for w in watches))
                lat.append(time.perf_counter() - t)
                assert all(json.loads(g)["object"]["metadata"]["name"] == f"bench-{i}" for g in got)
            lat.sort()
            results["change_to_50_watches_p95_ms"] = round(lat[int(len(lat) * 0.95) - 1] * 1000, 1)
            results["change_to_50_watches_median_ms"] = round(statistics.median(lat) * 1000, 1)
            for w in watches:
                w.close()
    finally:
        await served.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return results


TARGETS = {  # issue 16's, at the sizes it names
    "get_pods_A_s": (10000, "≤ 3 s at 100,000 pods", lambda v: v <= 3.0),
    "get_svc_A_s": (10000, "≤ 1 s at 10,000 Services", lambda v: v <= 1.0),
    "get_one_per_s": (None, "≥ 2,000/s", lambda v: v >= 2000),
    "change_to_50_watches_p95_ms": (None, "p95 ≤ 50 ms", lambda v: v <= 50),
}
ROWS = (("`kubectl get pods -A` (pages of 500), end to end", "get_pods_A_s", "{:.2f} s"),
        ("    the server alone (every page over HTTP, no kubectl)", "get_pods_A_server_s", "{:.2f} s"),
        ("    kubectl alone (the same pages replayed by a trivial server): the floor", "get_pods_A_floor_s",
         "{:.2f} s"),
        ("    of which client-go's rate limit (pages: 10 at once, then 5/s)", "get_pods_A_rate_limit_s", "{:.1f} s"),
        ("    kubectl alone on one page of every row (`--chunk-size=0`, no rate limit)",
         "get_pods_A_one_page_floor_s", "{:.2f} s"),
        ("    pages", "get_pods_A_pages", "{:,}"),
        ("`kubectl get svc -A`", "get_svc_A_s", "{:.2f} s"),
        ("    the server alone", "get_svc_A_server_s", "{:.2f} s"),
        ("    kubectl alone (replayed pages): the floor", "get_svc_A_floor_s", "{:.2f} s"),
        ("    of which client-go's rate limit", "get_svc_A_rate_limit_s", "{:.1f} s"),
        ("    kubectl alone on one page (`--chunk-size=0`)", "get_svc_A_one_page_floor_s", "{:.2f} s"),
        ("    pages", "get_svc_A_pages", "{:,}"),
        ("GETs of one object, one client", "get_one_per_s", "{:,}/s"),
        ("one change reaching 50 open watches, p95", "change_to_50_watches_p95_ms", "{:.1f} ms"),
        ("    median", "change_to_50_watches_median_ms", "{:.1f} ms"))


def markdown(by_size: dict[int, dict]) -> str:
    """The served API's table for RESULTS.md (benchmarks/run.py renders it too)."""
    sizes = sorted(by_size)
    head = " | ".join(f"S = {s:,} ({by_size[s].get('pods', 0):,} pods)" for s in sizes)
    lines = ["### The served API: the real kubectl against `svcflow serve`'s engine (benchmarks/kapi_bench.py)", "",
             f"| measure | {head} | target | verdict |", "|---|" + "---|" * len(sizes) + "---|---|"]
    for label, key, fmt in ROWS:
        cells = [fmt.format(by_size[s][key]) if key in by_size[s] else "—" for s in sizes]
        target, verdict = "", "—"
        if key in TARGETS:
            at, target, ok = TARGETS[key]
            judged = [by_size[s][key] for s in sizes if key in by_size[s] and (at is None or s == at)]
            if judged:
                verdict = "met" if all(ok(v) for v in judged) else "**missed**"
        lines.append(f"| {label} | {' | '.join(cells)} | {target} | {verdict} |")
    notes = [_floor_note(what, by_size[max(sizes)], name) for name, what in
             (("get_pods_A", "`get pods -A`"), ("get_svc_A", "`get svc -A`"))]
    notes = [n for n in notes if n]
    if notes:
        lines += ["", f"Client-go's rate limit, which kubectl keeps for lists (QPS {CLIENT_QPS:g}, burst {CLIENT_BURST}), "
                  "makes a list of P pages wait at least (P − 10) / 5 s whatever answers it; at "
                  f"S = {max(sizes):,}: " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def _floor_note(what: str, r: dict, name: str) -> str:
    """One list's end-to-end time against what no server can go under."""
    keys = [name + k for k in ("_s", "_floor_s", "_rate_limit_s", "_pages")]
    if not all(k in r for k in keys):
        return ""
    total, floor, wait, pages = (r[k] for k in keys)
    return (f"{what} {total:.2f} s end to end, {floor:.2f} s for kubectl alone on the same pages, "
            f"{wait:.1f} s of it waiting on the rate limit ({pages:,} pages)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", "-s", default="1000", help="comma-separated Service counts")
    ap.add_argument("--json", default=None, help="write the figures to this file (benchmarks/run.py reads it)")
    ap.add_argument("--markdown", action="store_true", help="print RESULTS.md's table instead of JSON")
    args = ap.parse_args(argv)
    by_size = {int(s): asyncio.run(run(int(s))) for s in args.services.split(",") if s}
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): v for k, v in by_size.items()}))
    print(markdown(by_size) if args.markdown else json.dumps(by_size, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
