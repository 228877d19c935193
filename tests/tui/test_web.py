"""`svcflow web`: a headless Chromium loads the page and receives the dashboard's panes.

The page renders with xterm.js on a canvas, so the test reads what the browser received
over the app's WebSocket (Chrome DevTools Protocol, Network.webSocketFrameReceived):
that is exactly what the terminal in the page draws.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 20) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


async def _received_text(debug_port: int, url: str, needles: list[str], timeout: float = 40) -> str:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(f"http://127.0.0.1:{debug_port}/json") as r:
                    targets = await r.json()
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        page = next(t for t in targets if t.get("type") == "page")
        async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            seq = 0

            async def send(method: str, **params) -> None:
                nonlocal seq
                seq += 1
                await ws.send_str(json.dumps({"id": seq, "method": method, "params": params}))

            await send("Network.enable")
            await send("Page.navigate", url=url)
            seen = ""
            end = time.time() + timeout
            while time.time() < end and not all(n in seen for n in needles):
                try:
                    msg = await ws.receive(timeout=max(0.1, end - time.time()))
                except asyncio.TimeoutError:
                    break
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data.get("method") == "Network.webSocketFrameReceived":
                    frame = data["params"]["response"]
                    payload = frame.get("payloadData", "")
                    if frame.get("opcode") == 2:
                        payload = base64.b64decode(payload).decode("utf-8", "replace")
                    seen += payload
            return seen


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_headless_chromium_sees_the_panes():
    port, debug = _free_port(), _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tui.cli", "web", "--port", str(port), "--deterministic",
                               str(ROOT / "samples")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    profile = tempfile.mkdtemp()
    browser = None
    try:
        _wait_port(port)
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", f"--remote-debugging-port={debug}", "--window-size=1600,1000",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "LANG": "C.UTF-8"})
        needles = ["Pods", "Services", "kube-proxy", "CoreDNS", "redis"]
        text = asyncio.run(_received_text(debug, f"http://127.0.0.1:{port}/", needles))
        for n in needles:
            assert n in text, f"{n!r} never reached the browser"
    finally:
        for p in (browser, server):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(profile, ignore_errors=True)
