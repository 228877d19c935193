"""`svcflow serve`: the simulated cluster, headless, behind a real Kubernetes API.

The cluster runs as the dashboard runs it (tui/app.py): `LiveWorkspace` applies the folder,
its simulated clock follows wall time in ticks of at most ENGINE_BUDGET of engine work, and
`tui.watcher` reloads on every save. The API (`engine.kapi`) is served in the same event
loop; a write from a client wakes the engine at once instead of waiting for the next tick.
No Textual here: this is a server process.
"""
from __future__ import annotations

import asyncio
import ipaddress
import signal
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from engine.apply import filewrites
from engine.apply.live import LiveWorkspace
from engine.kapi import kubeconfig, server
from engine.kapi.version import GIT_VERSION
from tui.watcher import manifest_changes

DEFAULT_PORT = 6443
PORT_TRIES = 100  # 6443, 6444, ... when taken
TICK_SECONDS = 0.1
ENGINE_BUDGET = 0.04  # wall seconds of engine work per turn of the loop (as the dashboard)
SETTLE_SECONDS = 0.3
DEFAULT_KUBECONFIG = Path(".svcflow") / "kubeconfig"


class ServeError(Exception):
    """A reason not to start, printed as one `svcflow: ...` line."""


def check_address(address: str, allow_remote: bool) -> None:
    """Only loopback unless asked: the served API has no authentication at all."""
    if address == "localhost":
        return
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ServeError(f"--address {address}: not an IP address (use 127.0.0.1, ::1 or localhost)")
    if not ip.is_loopback and not allow_remote:
        raise ServeError(f"refusing to serve on {address}: it is not a loopback address and the API has no "
                         "authentication; add --allow-remote to serve the simulated cluster to the network")


def _free(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def pick_port(address: str, port: int | None) -> int:
    """`--port N` exactly (0: any free one); by default 6443 or the next free port."""
    if port is not None:
        return port
    for p in range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES):
        if _free(address, p):
            return p
    return 0


@dataclass
class ServeOptions:
    paths: list[str]
    address: str = "127.0.0.1"
    port: int | None = None
    allow_remote: bool = False
    kubeconfig: Path = DEFAULT_KUBECONFIG
    deterministic: bool = False
    bare: bool = False
    seed: int | None = None
    watch_files: bool = True


class Engine:
    """Drives the workspace from wall time, reloads on saves, and wakes on API writes."""

    def __init__(self, ws: LiveWorkspace, err: TextIO, deterministic: bool) -> None:
        self.ws = ws
        self.err = err
        self.deterministic = deterministic
        self.wake = asyncio.Event()
        self.stop = asyncio.Event()
        self._retry: asyncio.TimerHandle | None = None

    def kick(self) -> None:
        self.wake.set()

    def report(self, result) -> None:
        text = result.report.stderr()
        if text:
            self.err.write(text)
            self.err.flush()

    def reload(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        result = self.ws.reload(budget=ENGINE_BUDGET)
        self.report(result)
        if result.retry_after is not None:
            self._retry = asyncio.get_running_loop().call_later(result.retry_after, self.reload)
        self.kick()

    def _lag(self) -> float:
        """How far the cluster's clock is behind the wall clock: once the work is caught up,
        time jumps to now. A served API stamps objects with the time (creationTimestamp,
        a kubectl's AGE column is the server's): a big folder's start-up (~90 s at 10,000
        Services) left every later timestamp that far in the past, for good."""
        return (datetime.now(timezone.utc) - self.ws.cluster.clock.now()).total_seconds()

    async def run_clock(self) -> None:
        """Simulated time follows wall time; the engine never holds the loop more than
        ENGINE_BUDGET at a time, so API requests are answered in between."""
        last = time.monotonic()
        behind = False
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=0 if behind else TICK_SECONDS)
            except asyncio.TimeoutError:
                pass
            self.wake.clear()
            now = time.monotonic()
            elapsed, last = now - last, now
            try:
                if self.deterministic:
                    self.ws.settle()
                    behind = False
                else:  # (while catching up, time waits for the work, as a loaded control plane lags)
                    behind = not self.ws.advance(0.0 if behind else max(elapsed, self._lag()), budget=ENGINE_BUDGET)
            except Exception as e:  # noqa: BLE001 - the served cluster never stops for one bad turn
                # (the controllers retry their own failed syncs; this is anything else: said, and
                # the clock goes on -- a stopped engine left the API serving a frozen cluster)
                self.err.write(f"svcflow: the simulated cluster's engine failed a turn ({type(e).__name__}: {e}); "
                               "carrying on\n")
                self.err.flush()
                behind = False
                await asyncio.sleep(TICK_SECONDS)
            await asyncio.sleep(0)

    async def watch_files(self, paths: list[Path]) -> None:
        self.ws.settle_seconds = SETTLE_SECONDS
        if filewrites.ignore_lease_breaks():
            self.ws.write_check = filewrites.open_for_writing
        dirs = set(self.ws.watched_dirs())

        def complain(msg: str) -> None:
            self.err.write(msg + "\n")
        async for _ in manifest_changes(paths, self.stop, known_dirs=lambda: dirs, on_error=complain):
            self.reload()
            dirs = set(self.ws.watched_dirs())


async def serve(opts: ServeOptions, out: TextIO, err: TextIO) -> int:
    check_address(opts.address, opts.allow_remote)
    ws = LiveWorkspace(opts.paths, deterministic=opts.deterministic, bare=opts.bare, seed=opts.seed)
    fatal = [p for p in ws.topology_problems if getattr(p, "fatal", False)]
    if fatal:
        raise ServeError("; ".join(p.message for p in fatal))
    engine = Engine(ws, err, opts.deterministic)
    engine.report(ws.reload())
    if opts.deterministic:
        ws.settle()
    port = pick_port(opts.address, opts.port)
    try:
        served = await server.start(ws.cluster, opts.address, port, after_write=engine.kick)
    except OSError as e:
        raise ServeError(f"cannot listen on {opts.address}:{port}: {e.strerror or e}")
    path = kubeconfig.write(opts.kubeconfig, served.url)
    out.write(f"svcflow: serving the simulated cluster of {', '.join(opts.paths)} at {served.url} "
              f"(Kubernetes {GIT_VERSION})\n")
    out.write(f"svcflow: kubeconfig written to {path}; to use it:\n{kubeconfig.export_line(path)}\n")
    out.flush()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, engine.stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    tasks = [asyncio.create_task(engine.run_clock())]
    if opts.watch_files and opts.paths:
        tasks.append(asyncio.create_task(engine.watch_files([Path(p) for p in opts.paths])))
    try:
        await engine.stop.wait()
    finally:
        engine.stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await served.stop()
    out.write("svcflow: stopped serving\n")
    return 0


def print_kubeconfig(path: Path, out: TextIO, err: TextIO) -> int:
    """`svcflow kubeconfig`: the line to use the file `svcflow serve` wrote (and where it points)."""
    if not path.is_file():
        err.write(f"svcflow: no kubeconfig at {path}: start `svcflow serve` first (it writes one)\n")
        return 1
    out.write(kubeconfig.export_line(path) + "\n")
    return 0


def main(opts: ServeOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        return asyncio.run(serve(opts, out, err))
    except ServeError as e:
        err.write(f"svcflow: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130
