"""Run the whole suite and rewrite benchmarks/RESULTS.md.

    .venv/bin/python -m benchmarks.run                      # S = 100, 1,000, 10,000 (E = 10, N = 100)
    .venv/bin/python -m benchmarks.run --sizes 100,1000     # a quicker subset
    .venv/bin/python -m benchmarks.run --tiny --out /tmp/r.md   # what CI runs (no targets checked)

Each size is generated into a temporary folder, then measured in fresh processes (the
engine half and the dashboard half separately, so peak RSS and start-up are each run's
own). The dashboard is also measured on `samples/` (the tutorial), where the issue sets
its save-to-screen and first-paint targets. Every figure lands in RESULTS.md with the
machine, the command and whether it meets its target -- met or not.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import attach_bench, kapi_bench
from benchmarks.generate import Shape, write

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100, 1000, 10000)


# -- machine --------------------------------------------------------------------------------

def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    import textual

    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "textual": textual.__version__}


# -- running ----------------------------------------------------------------------------------

def _run_json(args: list[str], timeout: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", *args, "--json", out], cwd=ROOT, timeout=timeout,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout)[-3000:], "wall_seconds": time.perf_counter() - t}
        data = json.loads(Path(out).read_text())
        data["wall_seconds"] = time.perf_counter() - t
        return data
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    finally:
        Path(out).unlink(missing_ok=True)


def run_suite(sizes: list[int], endpoints: int, nodes: int, saves: int, keys: int, dashboard: bool,
              log=print, kapi: bool = True, attach: bool = True) -> dict:
    results: dict = {"machine": machine(), "sizes": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    with tempfile.TemporaryDirectory(prefix="svcflow-bench-") as tmp:
        if dashboard:
            log("dashboard on samples/ ...")
            results["samples"] = _run_json(["benchmarks.dashboard_bench", str(ROOT / "samples"), "--saves", str(saves),
                                            "--keys", str(keys)], timeout=1800)
        for s in sizes:
            shape = Shape(services=s, endpoints=endpoints, nodes=nodes)
            folder = write(Path(tmp) / f"s{s}", shape)
            log(f"S={s}: engine ...")
            entry = {"shape": {"services": s, "endpoints": endpoints, "nodes": nodes},
                     "engine": _run_json(["benchmarks.engine_bench", str(folder)], timeout=3600)}
            if dashboard:
                log(f"S={s}: dashboard ...")
                entry["dashboard"] = _run_json(
                    ["benchmarks.dashboard_bench", str(folder), "--saves", str(saves), "--keys", str(keys)]
                    + (["--big-table"] if s == max(sizes) else []), timeout=3600)
            if kapi and s >= 1000:
                log(f"S={s}: served API ...")
                res = _run_json(["benchmarks.kapi_bench", "--services", str(s)], timeout=3600)
                entry["kapi"] = res.get(str(s), res)
            if attach and s >= 1000:
                log(f"S={s}: attaching to the served cluster ...")
                res = _run_json(["benchmarks.attach_bench", "--services", str(s)], timeout=3600)
                entry["attach"] = res.get(str(s), res)
            results["sizes"][str(s)] = entry
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return results


# -- RESULTS.md -------------------------------------------------------------------------------

def _g(d: dict, *path, default=None):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return default
        d = d[p]
    return d


def _num(x, unit: str = "", digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    if isinstance(x, float):
        if abs(x) >= 1000:
            return f"{x:,.0f}{unit}"
        return f"{x:.{digits}f}{unit}"
    return f"{x:,}{unit}"


def _ms(x) -> str:
    return "—" if x is None or (isinstance(x, float) and x != x) else f"{1000 * x:.1f} ms"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def render(results: dict, command: str, targets: bool = True) -> str:
    m = results["machine"]
    sizes = sorted(results["sizes"], key=int)
    big = sizes[-1] if sizes else None
    lines = [
        "# svcflow benchmark results",
        "",
        "Written by `benchmarks/run.py`; do not edit by hand. See benchmarks/README.md for what each",
        "figure measures and issue 7 for the targets.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; {m['os']}; Python {m['python']}; "
        f"Textual {m['textual']}",
        f"- Run: {results['started']} → {results['finished']}",
        "- Clusters: S Services × E endpoints over N nodes from `benchmarks/generate.py`"
        " (Deployments behind Services; 1 in 20 NodePort, 1 in 250 LoadBalancer, 1 in 100 headless,"
        " 1 in 10 with a second port); wall-clock times, one core.",
        "",
    ]
    hdr = "| measure | " + " | ".join(f"S = {int(s):,}" for s in sizes) + " | target | verdict |"
    lines += [hdr, "|---|" + "---|" * len(sizes) + "---|---|"]

    def row(label: str, cells: list[str], target: str = "", ok: bool | None = None) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} | {_verdict(ok) if targets and target else '—'} |")

    E = {s: results["sizes"][s].get("engine", {}) for s in sizes}
    D = {s: results["sizes"][s].get("dashboard", {}) for s in sizes}

    # 1. cold start
    row("1. cold start: manifests → steady state", [_num(_g(E[s], "cold_start", "seconds"), " s") for s in sizes],
        "≤ 60 s at 10,000", _ok_at(E, big, ("cold_start", "seconds"), lambda v: v <= 60))
    row("   pods Running / s", [_num(_g(E[s], "cold_start", "pods_per_second"), "", 0) for s in sizes])
    row("   pods (all Running and Ready)", [
        f"{_num(_g(E[s], 'cold_start', 'pods'))}{'' if _g(E[s], 'cold_start', 'steady', 'ok') else ' (not steady!)'}"
        for s in sizes])
    row("   peak RSS", [_num(_g(E[s], "cold_start", "peak_rss_mib"), " MiB", 0) for s in sizes],
        "≤ 2 GiB at 10,000", _ok_at(E, big, ("cold_start", "peak_rss_mib"), lambda v: v <= 2048))
    row("   peak RSS of the whole engine run (incl. renders)", [_num(_g(E[s], "peak_rss_mib"), " MiB", 0) for s in sizes])
    row("   objects in the store / bytes per object", [
        f"{_num(_g(E[s], 'cold_start', 'objects'))} / {_num(_g(E[s], 'cold_start', 'bytes_per_object'), ' B', 0)}"
        for s in sizes])
    # 2. renders
    for mode, label in (("iptables", "2. full render, one node: iptables restore"), ("ipvs", "   ipvs (ipvsadm + ipset + iptables)"),
                        ("nftables", "   nftables")):
        cells = [f"{_num(_g(E[s], 'full_render', mode, 'seconds'), ' s')} · {_num(_g(E[s], 'full_render', mode, 'lines'))} lines"
                 f" · {_num(_g(E[s], 'full_render', mode, 'lines_per_second'), '/s', 0)}" for s in sizes]
        if mode == "iptables":
            row(label, cells, "≤ 3 s and ≥ 100k lines/s at 10,000",
                _ok_at(E, big, ("full_render", "iptables", "seconds"), lambda v: v <= 3))
        else:
            row(label, cells)
    # 3. one change
    base = sizes[0] if sizes else None
    for key, label in (("pod_not_ready", "3. one change: a pod turns not ready"),
                       ("service_gains_port", "   a Service gains a port"),
                       ("service_added", "   one Service added")):
        cells = [f"{_ms(_g(E[s], 'one_change', key, 'median_seconds'))}"
                 f"{'' if _g(E[s], 'one_change', key, 'verified') in (True, None) else ' (unverified!)'}" for s in sizes]
        v_big = _g(E.get(big, {}), "one_change", key, "median_seconds")
        v_base = _g(E.get(base, {}), "one_change", key, "median_seconds")
        ok = None if v_big is None or v_base is None or len(sizes) < 2 else (v_big <= 0.020 and v_big <= 2 * v_base)
        row(label, cells, f"≤ 20 ms at 10,000 and ≤ 2× the S={int(base):,} figure" if base else "", ok)
    # 4. DNS
    row("4. DNS: lookups/s via the pod resolver (search list)", [
        f"{_num(_g(E[s], 'dns', 'lookups_per_second'), '', 0)} ({_num(_g(E[s], 'dns', 'queries_per_second'), ' queries/s', 0)})"
        for s in sizes], "anchor: CoreDNS ~17k queries/s/core",
        _ok_at(E, big, ("dns", "queries_per_second"), lambda v: v >= 17_000))
    row("   one A query, plugin alone", [_num(_g(E[s], "dns", "a_query_microseconds"), " µs", 1) for s in sizes],
        "≤ 20 µs (perf-anchors goal)", _ok_at(E, big, ("dns", "a_query_microseconds"), lambda v: v <= 20))
    # 5. dashboard
    S = results.get("samples") or {}
    if D and any(D.values()) or S:
        row("5. dashboard first paint (the panes show the folder's objects)",
            [_num(_g(D[s], "first_paint", "seconds"), " s") for s in sizes],
            "≤ 5 s at 10,000", _ok_at(D, big, ("first_paint", "seconds"), lambda v: v <= 5))
        row("   first screen / every manifest applied", [
            f"{_num(_g(D[s], 'first_paint', 'screen_seconds'), ' s')} / {_num(_g(D[s], 'first_paint', 'all_applied_seconds'), ' s')}"
            for s in sizes])
        row("   save → screen p50 / p95 (over saves)", [
            f"{_ms(_g(D[s], 'save_to_screen', 'p50'))} / {_ms(_g(D[s], 'save_to_screen', 'p95'))}" for s in sizes],
            "p95 ≤ 500 ms at 10,000", _ok_at(D, big, ("save_to_screen", "p95"), lambda v: v <= 0.5))
        row("   of which: watcher / quiet period / reload (p50)", [
            f"{_ms(_g(D[s], 'save_to_screen', 'watcher_p50'))} / {_ms(_g(D[s], 'save_to_screen', 'settle_wait_p50'))}"
            f" / {_ms(_g(D[s], 'save_to_screen', 'reload_p50'))}" for s in sizes])
        row("   refresh_panes p50 / p95", [
            f"{_num(_g(D[s], 'refresh_ms', 'p50'), ' ms', 1)} / {_num(_g(D[s], 'refresh_ms', 'p95'), ' ms', 1)}" for s in sizes],
            "≤ 16 ms (perf-anchors goal)")
        row("   key → repaint while the flow animates p50 / p95", [
            f"{_ms(_g(D[s], 'key_to_repaint', 'p50'))} / {_ms(_g(D[s], 'key_to_repaint', 'p95'))}" for s in sizes],
            "≤ 50 ms", _ok_at(D, big, ("key_to_repaint", "p95"), lambda v: v <= 0.05))
        row("   UI blocked after a key (longest stall, p95 / max)", [
            f"{_ms(_g(D[s], 'key_to_repaint', 'blocked_p95'))} / {_ms(_g(D[s], 'key_to_repaint', 'blocked_max'))}"
            for s in sizes], "p95 ≤ 50 ms at every size", _ok_everywhere(D, sizes, ("key_to_repaint", "blocked_p95"),
                                                             lambda v: v <= 0.05))
    lines.append("")
    if S:
        lines += ["### The dashboard with the samples (the tutorial's three manifests)", "",
                  "| measure | value | target | verdict |", "|---|---|---|---|"]
        fp = _g(S, "first_paint", "seconds")
        lines.append(f"| first paint | {_num(fp, ' s')} | ≤ 1.5 s | {_verdict(None if fp is None else fp <= 1.5) if targets else '—'} |")
        p50, p95 = _g(S, "save_to_screen", "p50"), _g(S, "save_to_screen", "p95")
        lines.append(f"| save → screen p50 | {_ms(p50)} | ≤ 100 ms | {_verdict(None if p50 is None else p50 <= 0.1) if targets else '—'} |")
        lines.append(f"| save → screen p95 | {_ms(p95)} | ≤ 250 ms | {_verdict(None if p95 is None else p95 <= 0.25) if targets else '—'} |")
        lines.append(f"| of which: watcher / quiet period / reload (p50) | {_ms(_g(S, 'save_to_screen', 'watcher_p50'))} / "
                     f"{_ms(_g(S, 'save_to_screen', 'settle_wait_p50'))} / {_ms(_g(S, 'save_to_screen', 'reload_p50'))} | | |")
        kp = _g(S, "key_to_repaint", "p95")
        lines.append(f"| key → repaint p95 | {_ms(kp)} | ≤ 50 ms | {_verdict(None if kp is None else kp <= 0.05) if targets else '—'} |")
        lines.append("")
    bt = _g(D.get(big, {}), "big_table") if big else None
    if bt:
        lines += [f"### Panes at {_num(bt.get('rows'))} pods (all namespaces, S = {int(big):,})", "",
                  "Each action from the key (or command) to the screen refresh after it, and the longest",
                  "the UI was unresponsive in the 100 ms after (what the action set off, such as the",
                  "selection's linked highlights, runs then).", "",
                  "| action | to repaint, worst | p50 | UI blocked, worst | target | verdict |",
                  "|---|---|---|---|---|---|"]
        lines.append(f"| switch to all namespaces (loads every pod) | {_ms(bt.get('all_namespaces_seconds'))} | | |"
                     f" one-off | — |")
        for op, v in (bt.get("ops_ms") or {}).items():
            worst = max(v["max"], v.get("blocked_max", 0.0))
            lines.append(f"| {op} | {v['max']:.1f} ms | {v['p50']:.1f} ms | {v.get('blocked_max', 0.0):.1f} ms |"
                         f" ≤ 50 ms | {_verdict(worst <= 50) if targets else '—'} |")
        lines.append("")
    kapi_sizes = {int(s): results["sizes"][s]["kapi"] for s in sizes
                  if isinstance(results["sizes"][s].get("kapi"), dict) and "get_pods_A_s" in results["sizes"][s]["kapi"]}
    if kapi_sizes:
        lines += [kapi_bench.markdown(kapi_sizes)]
    attach_sizes = {int(s): results["sizes"][s]["attach"] for s in sizes
                    if isinstance(results["sizes"][s].get("attach"), dict) and "attach" in results["sizes"][s]["attach"]}
    if attach_sizes:
        lines += [attach_bench.markdown(attach_sizes)]
    errors = [(s, part, res["error"]) for s in sizes for part, res in results["sizes"][s].items()
              if isinstance(res, dict) and "error" in res]
    if S.get("error"):
        errors.append(("samples", "dashboard", S["error"]))
    if errors:
        lines += ["### Errors", ""]
        for s, part, err in errors:
            lines += [f"- S={s} {part}:", "", "```", err.strip()[-1500:], "```", ""]
    lines += ["### Raw figures", "", "<details><summary>JSON written by the run</summary>", "", "```json",
              json.dumps(_strip_samples(results), indent=1, default=str), "```", "</details>", ""]
    return "\n".join(lines)


def _ok_at(table: dict, size, path: tuple, pred) -> bool | None:
    if size is None:
        return None
    v = _g(table.get(size, {}), *path)
    if v is None or (isinstance(v, float) and v != v):
        return None
    return bool(pred(v))


def _ok_everywhere(table: dict, sizes, path: tuple, pred) -> bool | None:
    """`_ok_at` for every size measured (a stall a small cluster shows is felt as much)."""
    verdicts = [_ok_at(table, s, path, pred) for s in sizes]
    if not verdicts or None in verdicts:
        return None
    return all(verdicts)


def _strip_samples(d):
    if isinstance(d, dict):
        return {k: _strip_samples(v) for k, v in d.items() if k not in ("samples", "checks", "objects_by_kind")}
    if isinstance(d, list):
        return [_strip_samples(x) for x in d]
    return d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="svcflow's benchmark suite (issue 7)")
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                    help="comma-separated Service counts (default 100,1000,10000)")
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--saves", type=int, default=50, help="file saves timed per dashboard run")
    ap.add_argument("--keys", type=int, default=30, help="key presses timed per dashboard run")
    ap.add_argument("--no-dashboard", action="store_true")
    ap.add_argument("--tiny", action="store_true", help="a smoke run: S=4, E=2, N=3, 3 saves (CI)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    a = ap.parse_args(argv)
    if a.tiny:
        sizes, a.endpoints, a.nodes, a.saves, a.keys = [4], 2, 3, 3, 3
    else:
        sizes = [int(s) for s in a.sizes.split(",") if s]
    command = "python -m benchmarks.run" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    results = run_suite(sizes, a.endpoints, a.nodes, a.saves, a.keys, not a.no_dashboard,
                        log=lambda m: print(m, file=sys.stderr, flush=True))
    text = render(results, command, targets=not a.tiny)
    Path(a.out).write_text(text)
    print(f"wrote {a.out}", file=sys.stderr)
    failed = [s for s, e in results["sizes"].items() for part in e.values() if isinstance(part, dict) and "error" in part]
    return 1 if failed or (results.get("samples") or {}).get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
