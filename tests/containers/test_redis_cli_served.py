"""redis-cli through the REAL kubectl against `svcflow serve`: without `-t` its replies are
raw (`1`, a bare string, an empty line for nil), with `-it` on a pty they are the terminal's
(`"1"`, `(integer) 2`), piped stdin is read line by line, and `kubectl exec -it redis --
redis-cli` is the REPL, prompt and all, until `quit`; what svcflow's own session prints on
a twin cluster is the same."""
from __future__ import annotations

import asyncio

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Terminal, served_samples

served = served_samples()


@pytest.fixture(scope="module")
def twin() -> Session:
    return Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)


async def test_without_a_tty_replies_are_raw(served, twin, kubectl):
    pod = served.pod("default", "redis-")
    for argv, want in ((["incr", "sv"], "1\n"), (["get", "sv"], "1\n"), (["get", "sv-none"], "\n"),
                       (["keys", "sv*"], "sv\n"), (["keys", "zz-none*"], "\n")):
        code, out, err = await kubectl("exec", pod, "--", "redis-cli", *argv)
        assert (code, out, err) == (0, want, "")
        assert twin.feed(f"kubectl exec {pod} -- redis-cli {' '.join(repr(a) for a in argv)}") == want
    code, out, err = await kubectl("exec", "-i", pod, "--", "redis-cli", stdin=b"incr sv\nget sv\nquit\nget sv\n")
    assert (code, out, err) == (0, "2\n2\n", "")


async def test_on_a_tty_replies_are_the_terminals(served, kubectl):
    pod = served.pod("default", "redis-")
    await kubectl("exec", pod, "--", "redis-cli", "set", "tv", "7")
    term = Terminal(kubectl, "exec", "-it", pod, "--", "redis-cli", "get", "tv")
    try:
        assert await asyncio.to_thread(term.read_until_screen, '"7"\n'), term.screen
        assert await asyncio.to_thread(term.wait) == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()


async def test_the_repl_on_a_tty(served, kubectl):
    pod = served.pod("default", "redis-")
    term = Terminal(kubectl, "exec", "-it", pod, "--", "redis-cli")
    try:
        assert await asyncio.to_thread(term.read_until_screen, "127.0.0.1:6379> "), term.screen
        await asyncio.to_thread(term.type, b"incr rv\r")
        assert await asyncio.to_thread(term.read_until_screen, "incr rv\n(integer) 1\n127.0.0.1:6379> "), term.screen
        await asyncio.to_thread(term.type, b"get rv\r")
        assert await asyncio.to_thread(term.read_until_screen, 'get rv\n"1"\n127.0.0.1:6379> '), term.screen
        await asyncio.to_thread(term.type, b"quit\r")
        assert await asyncio.to_thread(term.wait) == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()


async def test_a_second_redis_server_aborts_through_kubectl(served, kubectl):
    """`kubectl exec redis -- redis-server`: its start-up on stdout, then the bind failure,
    and kubectl's `command terminated with exit code 1`."""
    pod = served.pod("default", "redis-")
    code, out, err = await kubectl("exec", pod, "--", "redis-server")
    lines = out.splitlines()
    assert code == 1 and err == "command terminated with exit code 1\n"
    assert lines[1].endswith("* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    assert lines[-2].endswith("# Warning: Could not create server TCP listening socket *:6379: bind: Address already in use")
    assert lines[-1].endswith("# Failed listening on port 6379 (tcp), aborting.")
    assert await kubectl("exec", pod, "--", "redis-cli", "ping") == (0, "PONG\n", "")
