"""`svcflow serve` and `svcflow kubeconfig` as a user runs them: a headless process serving the
samples with wall-clock time and hot reload, the real kubectl pointed at it by the kubeconfig
it writes, and a clean stop on SIGTERM."""
from __future__ import annotations

import asyncio
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from engine.apply.live import LiveWorkspace
from tests.helpers import ROOT, SAMPLES
from tui import serve

KUBECTL = shutil.which("kubectl")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["PYTHONPATH"] = str(ROOT)  # (this checkout's packages, wherever the venv points)
    return env


def _svcflow(*args: str, cwd, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


async def _kubectl(kubeconfig, cache, *args: str) -> tuple[int, str, str]:
    if KUBECTL is None:
        pytest.fail("kubectl is not on PATH: `svcflow serve` is proven with the real kubectl")
    proc = await asyncio.create_subprocess_exec(KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache),
                                                *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_serve_hot_reloads_and_stops_cleanly(tmp_path):
    demo = tmp_path / "demo"
    shutil.copytree(SAMPLES, demo)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", "serve", "demo", "--port", "0", cwd=str(tmp_path), env=_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 60)).decode() for _ in range(3)]
        assert lines[0].startswith("svcflow: serving the simulated cluster of demo at http://127.0.0.1:")
        assert lines[0].endswith("(Kubernetes v1.33.1)\n")
        kubeconfig = tmp_path / ".svcflow" / "kubeconfig"
        assert lines[2] == f"export KUBECONFIG={kubeconfig}\n"
        text = kubeconfig.read_text()
        assert "current-context: svcflow" in text and "name: svcflow" in text
        code, out, err = await _kubectl(kubeconfig, tmp_path / "c", "get", "deploy", "-o", "name")
        assert (code, out, err) == (0, "deployment.apps/counter\ndeployment.apps/redis\n", "")
        # a save reaches the served cluster
        app = demo / "counter-app.yml"
        app.write_text(app.read_text().replace("spec:\n", "spec:\n  replicas: 2\n", 1))
        deadline = time.monotonic() + 20
        while True:
            code, out, err = await _kubectl(kubeconfig, tmp_path / "c", "get", "deploy", "counter", "-o",
                                            "jsonpath={.spec.replicas}")
            if out == "2" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert (code, out, err) == (0, "2", "")
        # and a client's write wakes the engine: the new pods run without any file changing
        code, out, err = await _kubectl(kubeconfig, tmp_path / "c", "scale", "deploy/redis", "--replicas=2")
        assert (code, out) == (0, "deployment.apps/redis scaled\n")
        code, out, err = await _kubectl(kubeconfig, tmp_path / "c", "rollout", "status", "deploy/redis",
                                        "--timeout=20s")
        assert code == 0 and out.endswith('deployment "redis" successfully rolled out\n')  # (watched to the end)
        again = _svcflow("kubeconfig", cwd=tmp_path)
        assert (again.returncode, again.stdout) == (0, f"export KUBECONFIG={kubeconfig}\n")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        rest, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert rest.decode().endswith("svcflow: stopped serving\n")
    assert "Traceback" not in err.decode()


def test_serve_refuses_a_network_address_unless_allowed(tmp_path):
    res = _svcflow("serve", "--address", "0.0.0.0", cwd=tmp_path)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr == ("svcflow: refusing to serve on 0.0.0.0: it is not a loopback address and the API has no "
                          "authentication; add --allow-remote to serve the simulated cluster to the network\n")
    serve.check_address("::1", False)
    serve.check_address("127.0.0.5", False)
    serve.check_address("0.0.0.0", True)
    with pytest.raises(serve.ServeError):
        serve.check_address("not-an-ip", False)


def test_kubeconfig_without_a_server_says_what_to_do(tmp_path):
    res = _svcflow("kubeconfig", cwd=tmp_path)
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr == "svcflow: no kubeconfig at .svcflow/kubeconfig: start `svcflow serve` first (it writes one)\n"


def test_the_default_port_is_6443_or_the_next_free_one():
    first = serve.pick_port("127.0.0.1", None)
    assert first >= serve.DEFAULT_PORT
    with socket.socket() as s:
        s.bind(("127.0.0.1", first))
        s.listen()
        assert serve.pick_port("127.0.0.1", None) > first
    assert serve.pick_port("127.0.0.1", 0) == 0


def test_serve_imports_no_textual():
    res = subprocess.run([sys.executable, "-c", "import sys, tui.cli, tui.serve, engine.kapi.server; "
                          "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"],
                         env=_env(), capture_output=True, text=True, cwd=ROOT)
    assert res.stdout == "[]\n", res.stderr


async def test_the_served_clock_catches_up_with_the_wall_clock_once_the_work_is_done():
    """A big folder's start-up took ~90 s of wall time at 10,000 Services, and the served
    cluster's clock stayed that far behind for good (a tester: kubectl's AGE, which the
    server prints, said 67s where the attached dashboard said 2m43s). Once the engine has
    caught up with its work, its time jumps to now."""
    ws = LiveWorkspace([SAMPLES])
    ws.reload()
    ws.cluster.run_until_idle()
    # (as if the start-up had taken 90 s: the clock that far behind the wall)
    clock = ws.cluster.clock
    engine = serve.Engine(ws, io.StringIO(), deterministic=False)
    clock._now = datetime.now(timezone.utc) - timedelta(seconds=90)  # noqa: SLF001 - the start-up's lag, made
    assert datetime.now(timezone.utc) - clock.now() > timedelta(seconds=89)
    running = asyncio.create_task(engine.run_clock())
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if datetime.now(timezone.utc) - clock.now() < timedelta(seconds=1):
                break
        assert abs((datetime.now(timezone.utc) - clock.now()).total_seconds()) < 1
    finally:
        engine.stop.set()
        engine.kick()
        await asyncio.gather(running, return_exceptions=True)
