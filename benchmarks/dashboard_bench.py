"""The dashboard half of the suite, headless, timed by the app's own probe (tui/perf.py).

    python -m benchmarks.dashboard_bench FOLDER --json OUT.json [--saves 50] [--big-table]

- first paint: from constructing `SvcflowApp` (as `svcflow FOLDER` does) to the first
  screen refresh that shows the folder's objects (the Services pane lists the folder's
  first Service); also the first screen refresh at all, and when the last slice of a big
  folder was applied (`SvcflowApp.apply_in_slices`);
- save to screen: a manifest file is rewritten (a Service's port flips) and the time
  until the screen refresh after the Services pane shows the new port is taken, through
  the real watcher (watchfiles), reload, refresh and paint; p50/p95 over `--saves`;
- key to repaint while the flow animates: a key press (cursor down in the Pods pane)
  while step events play, to the next screen refresh;
- with `--big-table`: all namespaces (every pod in one pane), then scrolling, filtering
  and selecting there, each timed from the action to the next screen refresh.

The folder is copied first, so the saves never touch the original.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

SIZE = (160, 48)


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    s = sorted(samples)
    k = max(0, min(len(s) - 1, round(q * (len(s) - 1))))
    return s[k]


def _stats(samples: list[float]) -> dict:
    return {"p50": _pct(samples, 0.5), "p95": _pct(samples, 0.95), "max": max(samples) if samples else float("nan"),
            "n": len(samples), "samples": samples}


async def _wait(pred, timeout: float, step: float = 0.002) -> bool:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if pred():
            return True
        await asyncio.sleep(step)
    return pred()


async def _next_paint(app, timeout: float = 30.0) -> float:
    """Wall time of the next screen refresh from now."""
    done: list[float] = []
    app.call_after_refresh(lambda: done.append(time.perf_counter()))
    await _wait(lambda: bool(done), timeout)
    return done[0] if done else float("nan")


def _save_target(folder: Path) -> tuple[Path, str, str, int]:
    """The file, Service and port the saves flip: the first Service (by file name) of the
    folder, so the default namespace's file at every generated size."""
    for f in sorted(folder.glob("*.y*ml")):
        for doc in re.split(r"^---.*$", f.read_text(), flags=re.M):
            if not re.search(r"^kind: Service\s*$", doc, re.M):
                continue
            name = re.search(r"^metadata:\s*\n(?:  .*\n)*?  name: (\S+)", doc, re.M)
            ns = re.search(r"^metadata:\s*\n(?:  .*\n)*?  namespace: (\S+)", doc, re.M)
            port = re.search(r"^\s+(?:- )?port: (\d+)\s*$", doc, re.M)
            if name and port:
                return f, name.group(1), ns.group(1) if ns else "default", int(port.group(1))
    raise SystemExit(f"no Service with a port in {folder}")


def _flip_port(path: Path, svc: str, from_port: int, to_port: int) -> None:
    """Rewrite the Service's `port:` line (what an editor's save of that edit writes)."""
    text = path.read_text()
    i = text.index(f"  name: {svc}\n")
    m = re.compile(rf"(\n\s+(?:- )?port: ){from_port}\n").search(text, i)
    assert m is not None, (path, svc, from_port)
    path.write_text(text[:m.end(1)] + str(to_port) + text[m.end(1) + len(str(from_port)):])


class LagMonitor:
    """How long the event loop (the UI) went without running anything else: a task that
    asks to wake every 2 ms and records how late it woke. What a user feels as a freeze."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.002)
            lag = time.perf_counter() - t - 0.002
            if lag > self.worst:
                self.worst = lag

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        self.worst = 0.0

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


def _probed_app_class():
    """SvcflowApp with two more marks for the breakdown: when the watcher handed a
    change to `reload_manifests` (and when that returned), and when a key arrived."""
    import tui.app
    from tui.app import SvcflowApp

    class ProbedApp(SvcflowApp):
        CSS_PATH = str(Path(tui.app.__file__).with_name("app.tcss"))
        reloads: list[tuple[float, float]] = []
        keys: list[tuple[float, float | None]] = []

        def reload_manifests(self) -> None:
            t = time.perf_counter()
            super().reload_manifests()
            self.reloads.append((t, time.perf_counter()))

        def on_key(self, event) -> None:
            super().on_key(event)
            entry = [time.perf_counter(), None]
            self.keys.append(entry)  # type: ignore[arg-type]
            self.call_after_refresh(lambda: entry.__setitem__(1, time.perf_counter()))

    return ProbedApp


async def run(folder: Path, saves: int, big_table: bool, keys: int = 30) -> dict:
    from tui.perf import PaneProbe
    from tui.widgets.resource_table import ResourceTable

    SvcflowApp = _probed_app_class()

    out: dict = {"folder": str(folder)}
    t_start = time.perf_counter()
    app = SvcflowApp([str(folder)], deterministic=False, watch=True)
    t_constructed = time.perf_counter()
    probe = app.perf_probe = PaneProbe()
    path, svc, ns, base = _save_target(folder)
    key = f"{ns}/{svc}"
    async with app.run_test(size=SIZE) as pilot:
        services = app.query_one("#services-table", ResourceTable)
        ok = await _wait(lambda: any(r.changed and r.painted for r in probe.refreshes), 600)
        screen = next((r for r in probe.refreshes if r.changed and r.painted), None)
        # The first paint that shows the folder's objects: the Services pane lists the
        # folder's first Service (a big folder is applied in slices; see apply_in_slices).
        shown_at: list[float] = []
        ok = await _wait(lambda: key in services._rows, 600)
        if ok:
            shown_at.append(await _next_paint(app))
        await _wait(lambda: not app.booting, 900)
        all_applied = time.perf_counter()
        first = screen
        out["first_paint"] = {
            "seconds": (shown_at[0] - t_start) if shown_at else float("nan"),
            "screen_seconds": (screen.painted - t_start) if screen else float("nan"),
            "all_applied_seconds": all_applied - t_start,
            "construct_seconds": t_constructed - t_start,
            "first_refresh_seconds": (first.end - first.start) if first else float("nan"),
            "first_refresh_parts": first.parts if first else {},
            "rows": {t: len(app.query_one(f"#{t}", ResourceTable)._rows)
                     for t in ("pods-table", "services-table", "endpoints-table", "dns-table")},
        }
        # Steady state, as a user would see after the pods came up.
        t = time.perf_counter()
        app.workspace.settle()
        app.refresh_panes(flash=False)
        await _next_paint(app)
        out["settle_seconds"] = time.perf_counter() - t
        await pilot.pause(0.5)

        # -- save to screen ------------------------------------------------------------
        from engine.views.panes import SERVICE_COLUMNS

        ports = SERVICE_COLUMNS.index("PORT(S)")
        samples, missed = [], 0
        watcher: list[float] = []
        settle: list[float] = []
        reload: list[float] = []
        port = base
        for k in range(saves):
            old, port = port, (base + 1 if port == base else base)
            want = (f"{port}/", f"{port}:")
            t0 = time.perf_counter()
            _flip_port(path, svc, old, port)
            shown = await _wait(lambda: key in services._rows and services._rows[key].cells[ports].startswith(want), 30)
            if not shown:
                missed += 1
                continue
            r = probe.first_painted_after(t0)
            if r is None:
                await _next_paint(app)
                r = probe.first_painted_after(t0)
            samples.append((r.painted if r and r.painted else time.perf_counter()) - t0)
            rls = [(a, b) for a, b in app.reloads if a >= t0]
            if rls:
                watcher.append(rls[0][0] - t0)  # the watcher's first call after the write
                applied = rls[-1]  # the call that applied it (earlier ones waited for the file to settle)
                settle.append(applied[0] - rls[0][0])
                reload.append(applied[1] - applied[0])
            await pilot.pause(0.25)  # the next save comes after the watcher settled
        out["save_to_screen"] = {**_stats(samples), "missed": missed, "file": path.name, "service": key,
                                 "watcher_p50": _pct(watcher, 0.5), "settle_wait_p50": _pct(settle, 0.5),
                                 "reload_p50": _pct(reload, 0.5), "reload_p95": _pct(reload, 0.95),
                                 "settle_seconds_setting": getattr(sys.modules.get("tui.app"), "SETTLE_SECONDS", None)}
        refreshes = [r for r in probe.refreshes if r.changed]
        out["refresh_ms"] = _stats([1000 * (r.end - r.start) for r in refreshes[-saves:]])
        parts: dict[str, list[float]] = {}
        for r in refreshes[-saves:]:
            for p, v in r.parts.items():
                parts.setdefault(p, []).append(1000 * v)
        out["refresh_parts_ms_p50"] = {p: _pct(v, 0.5) for p, v in parts.items()}

        # -- key press to repaint while the flow animates -------------------------------
        app.query_one("#pods-table").focus()
        old, port = port, (base + 1 if port == base else base)
        _flip_port(path, svc, old, port)  # a change whose four steps start playing
        await _wait(lambda: bool(app.flow_queue), 10)
        samples, blocked = [], []
        animating = 0
        lag = LagMonitor()
        lag.start()
        for _ in range(keys):
            animating += bool(app.flow_queue)
            n = len(app.keys)
            lag.reset()
            await pilot.press("down")
            await _wait(lambda: len(app.keys) > n and app.keys[n][1] is not None, 30)
            if len(app.keys) > n and app.keys[n][1] is not None:
                samples.append(app.keys[n][1] - app.keys[n][0])
            await pilot.pause(0.1)  # what the key set off (the selection's highlights) runs too
            blocked.append(lag.worst)
        lag.stop()
        out["key_to_repaint"] = {**_stats(samples), "presses_while_animating": animating,
                                 "blocked_p95": _pct(blocked, 0.95), "blocked_max": max(blocked) if blocked else None}

        if big_table:
            out["big_table"] = await _big_table(app, pilot)
    return out


async def _timed_action(app, pilot, fn) -> float:
    t0 = time.perf_counter()
    res = fn()
    if asyncio.iscoroutine(res):
        await res
    return await _next_paint(app) - t0


async def _big_table(app, pilot) -> dict:
    """Every pod in one pane (all namespaces), then scroll, filter and select there.
    Each action is timed to the screen refresh after it, and the longest the UI went
    unresponsive meanwhile (LagMonitor) is taken too."""
    from tui.widgets.resource_table import ResourceTable

    pods = app.query_one("#pods-table", ResourceTable)
    out: dict = {}
    app.query_one("#pods-table").focus()
    t0 = time.perf_counter()
    app.action_all_namespaces()  # (a status line first; every pod in the pane right after)
    await _wait(lambda: app.namespace is None and len(pods._rows) > app.workspace.cluster.store.count("Pod", "default"), 120)
    out["all_namespaces_seconds"] = await _next_paint(app) - t0
    await pilot.pause(0.2)
    out["rows"] = len(pods._rows)
    ops: dict[str, list[float]] = {}
    blocks: dict[str, list[float]] = {}
    lag = LagMonitor()
    lag.start()

    async def press(name: str, key: str, n: int = 1) -> None:
        """From the key's arrival in the app to the screen refresh after it was handled."""
        for _ in range(n):
            k = len(app.keys)
            lag.reset()
            await pilot.press(key)
            await _wait(lambda: len(app.keys) > k and app.keys[k][1] is not None, 30)
            if len(app.keys) > k and app.keys[k][1] is not None:
                ops.setdefault(name, []).append(app.keys[k][1] - app.keys[k][0])
            await pilot.pause(0.1)
            blocks.setdefault(name, []).append(lag.worst)

    await press("scroll: pagedown", "pagedown", 10)
    await press("scroll: end (ctrl+end)", "ctrl+end", 1)
    await press("scroll: home (ctrl+home)", "ctrl+home", 1)
    await press("select: down", "down", 10)
    for pattern in ("svc-00042", "bench-05", ""):
        lag.reset()
        ops.setdefault("filter", []).append(
            await _timed_action(app, pilot, lambda p=pattern: app.run_command("/" + p)))
        await pilot.pause(0.1)
        blocks.setdefault("filter", []).append(lag.worst)
        out.setdefault("filter_rows", []).append(len(pods._keys))
    lag.stop()
    out["ops_ms"] = {k: {"max": 1000 * max(v), "p50": 1000 * _pct(v, 0.5), "n": len(v),
                         "blocked_max": 1000 * max(blocks.get(k) or [0.0])} for k, v in ops.items()}
    out["worst_ms"] = max(max(1000 * max(v) for v in ops.values()),
                          max(1000 * max(v) for v in blocks.values()))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--json", required=True)
    ap.add_argument("--saves", type=int, default=50)
    ap.add_argument("--keys", type=int, default=30)
    ap.add_argument("--big-table", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="svcflow-dash-") as tmp:
        work = Path(tmp) / Path(a.folder).name
        shutil.copytree(a.folder, work)
        res = asyncio.run(run(work, a.saves, a.big_table, a.keys))
    res["folder"] = a.folder
    Path(a.json).write_text(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
