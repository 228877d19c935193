"""A served cluster and the REAL kubectl against it, for the tests of engine.kapi.

`ServedCluster` serves a deterministic cluster from a thread of its own (its own event
loop), so a test's loop is free to run kubectl; everything that touches the cluster runs on
the server's loop (`call`). As svcflow's session does after each line, the cluster is run to
its steady state after each kubectl command (`settle`). `Kubectl` runs the kubectl that the
`kubectl` on PATH (a dispatcher that picks kubectl.1.33 from the served /version) runs for
svcflow's v1.33.1, with a fresh `--cache-dir`; a machine without kubectl FAILS these tests, loudly. `Terminal` drives kubectl through a pty, as a
person at a terminal does (`kubectl exec -it`).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import pty
import select
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kapi import kubeconfig, server
from engine.kubectl import commands
from tests.helpers import SAMPLES

KUBECTL = shutil.which("kubectl")


def require_kubectl() -> str:
    if KUBECTL is None:
        pytest.fail("kubectl is not on PATH: the served-API tests need the real kubectl (every machine of this "
                    "project has it; install kubectl 1.33 to run them)")
    return KUBECTL


def require_kubectl_for_served() -> str:
    """The binary the dispatcher runs against `svcflow serve` (v1.33.1 -> `kubectl.1.33` beside
    it), for modules that run kubectl hundreds of times: going through the dispatcher costs each
    run a second process start (twice the time). A machine without it fails, loudly."""
    direct = _beside_the_dispatcher()
    if direct is None:
        pytest.fail(f"kubectl.1.33 is missing beside {os.path.realpath(require_kubectl())}: the kubectl dispatcher on "
                    "PATH should run it against svcflow serve's v1.33.1")
    return str(direct)


def _beside_the_dispatcher() -> Path | None:
    direct = Path(os.path.realpath(require_kubectl())).with_name("kubectl.1.33")
    return direct if direct.is_file() else None


def kubectl_for_served(folder: Path) -> str:
    """The kubectl a served-API test runs: the `kubectl.1.33` the dispatcher on PATH runs for
    svcflow's v1.33.1, through a link named `kubectl` in `folder` (the dispatcher starts it
    under that name, and kubectl names itself by it: its User-Agent, so the field manager of
    what it writes, is `kubectl`); the `kubectl` on PATH where there is no dispatcher. Why: through
    the dispatcher every run starts a second process and asks /version first (~100 ms CPU a run
    instead of ~50, and the suite runs kubectl over a thousand times).
    tests/kapi/test_kapi_kubectl.py and test_kapi_serve.py go through the dispatcher itself,
    proving it picks kubectl 1.33 for `svcflow serve`."""
    direct = _beside_the_dispatcher()
    if direct is None:
        return require_kubectl()
    link = folder / "bin" / "kubectl"
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(direct)
    return str(link)


def served_samples(*, settle_on_write: bool = False, needs_kubectl: bool = True, scope: str = "module"):
    """A test module's `served` fixture (`served = served_samples()`): the samples served
    from a thread, once for the module (`scope="function"`: a fresh cluster for each test that
    changes it); `needs_kubectl` fails the module at once, loudly, on a machine without the
    real kubectl. The `kubectl` fixture (tests/conftest.py) runs it against this cluster."""
    @pytest.fixture(scope=scope)
    def served(tmp_path_factory) -> Iterator[ServedCluster]:
        if needs_kubectl:
            require_kubectl()
        s = ServedCluster([SAMPLES], tmp_path_factory.mktemp("served"), settle_on_write=settle_on_write)
        yield s
        s.close()
    return served


class ServedCluster:
    def __init__(self, paths: list[Path], folder: Path, *, settle_on_write: bool = False) -> None:
        """`settle_on_write`: each accepted write runs the cluster to its steady state soon
        after (as `svcflow serve` wakes the engine), for commands that wait on the cluster
        between their requests (`drain` waits for its evicted pods to go)."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="svcflow-kapi", daemon=True)
        self.thread.start()
        self.cluster: Cluster = self.call(lambda: cluster_from_paths(paths, deterministic=True)[0])
        wake = (lambda: self.loop.call_soon(self.cluster.run_until_idle)) if settle_on_write else None
        self.served = asyncio.run_coroutine_threadsafe(
            server.start(self.cluster, "127.0.0.1", 0, after_write=wake), self.loop).result(30)
        self.kubeconfig = kubeconfig.write(folder / "kubeconfig", self.served.url)
        self.folder = folder

    def call(self, fn: Callable[[], Any]) -> Any:
        fut: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except BaseException as e:  # noqa: BLE001 - handed to the test
                fut.set_exception(e)
        self.loop.call_soon_threadsafe(run)
        return fut.result(60)

    def settle(self) -> None:
        self.call(self.cluster.run_until_idle)

    def svcflow(self, fn: Callable[[Cluster], commands.Output]) -> tuple[int, str, str]:
        out = self.call(lambda: fn(self.cluster))
        return out.code, out.stdout, out.warnings + out.stderr

    def pod(self, namespace: str, prefix: str) -> str:
        return self.call(lambda: next(p["metadata"]["name"] for p in self.cluster.store.list("Pod", namespace)
                                      if p["metadata"]["name"].startswith(prefix)))

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.served.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Kubectl:
    """The real kubectl with the served kubeconfig and a cache of its own; `binary`: another
    kubectl to run (the dispatcher on PATH, `require_kubectl()`), by default the one the
    dispatcher picks for svcflow (`kubectl_for_served`), named `kubectl`."""

    def __init__(self, served: ServedCluster, cache: Path, binary: str | None = None) -> None:
        self.binary = binary or kubectl_for_served(cache)
        self.served = served
        self.cache = cache

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--kubeconfig", str(self.served.kubeconfig), "--cache-dir", str(self.cache / "cache"),
                *args]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        env["HOME"] = str(self.cache)  # (nothing of the user's ~/.kube is read)
        # Go's collector waits until the heap reaches 256 MiB: a kubectl run lives well under a
        # second and never gets there, so it spends no time collecting (~60 -> ~45 ms CPU a run,
        # over a thousand runs); what it prints does not depend on when it collects.
        env["GOGC"], env["GOMEMLIMIT"] = "off", "256MiB"
        return env

    async def __call__(self, *args: str, stdin: bytes | None = None, timeout: float = 60,
                       settle: bool = True) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            *self.argv(*args), stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=self.env(), cwd=str(SAMPLES.parent))
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
        if settle:
            self.served.settle()
        return proc.returncode or 0, out.decode(), err.decode()


class Terminal:
    """kubectl on a pty: what a person sees, keystrokes typed one line at a time (each line
    sent when the previous answer has arrived, as a person waits for the prompt)."""

    def __init__(self, kubectl: Kubectl, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(kubectl.argv(*args), stdin=slave, stdout=slave, stderr=slave,
                                     env=kubectl.env(), cwd=str(SAMPLES.parent), close_fds=True)
        os.close(slave)
        self.screen = b""

    def read_until(self, token: bytes, timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        while token not in self.screen and time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return token in self.screen
                if not chunk:
                    break
                self.screen += chunk
        return token in self.screen

    def read_until_screen(self, text: str, timeout: float = 20.0) -> bool:
        """Until the screen (CR LF read as LF) holds `text`."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.screen.decode(errors="replace").replace("\r\n", "\n"):
                return True
            self.read_until(b"\x00", 0.1)
        return False

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout)
        self.read_until(b"\x00", 0.3)  # what is left on the screen
        os.close(self.master)
        return code


def as_terminal(out: str, err: str) -> str:
    """kubectl's stdout and stderr as svcflow's session shows them: warnings first, errors last."""
    warn = "".join(line for line in err.splitlines(keepends=True) if line.startswith("Warning: "))
    rest = "".join(line for line in err.splitlines(keepends=True) if not line.startswith("Warning: "))
    return warn + out + rest
