"""What learners type inside pods, through the REAL kubectl against `svcflow serve`: the
exec path (engine/kapi's streams, engine/containers' shells) prints what svcflow's own
session prints on a twin cluster, and that is what the programs print: subshells, busybox
`date -d`, `ifconfig`, bash's arithmetic error with its error token."""
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
    """svcflow's own session over the same deterministic cluster."""
    return Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)


async def _same(kubectl, twin: Session, *argv: str) -> tuple[int, str, str]:
    """Run `kubectl ARGV` for real; what it shows must be what the twin's session shows."""
    code, out, err = await kubectl(*argv)
    assert out + err == twin.feed("kubectl " + " ".join(f"'{a}'" if " " in a or "$" in a else a for a in argv))
    return code, out, err


async def test_subshells_through_kubectl_exec(served, twin, kubectl):
    pod = served.pod("default", "counter-")
    code, out, err = await _same(kubectl, twin, "exec", pod, "--", "sh", "-c",
                                 "(cd /etc; pwd); pwd; x=1; (x=2); echo $x; { echo a; echo b; } | wc -l; (exit 3)")
    assert (code, out, err) == (3, "/etc\n/app\n1\n2\n", "command terminated with exit code 3\n")


async def test_busybox_date_d_through_kubectl_exec(served, twin, kubectl):
    pod = served.pod("default", "counter-")
    assert await _same(kubectl, twin, "exec", pod, "--", "date", "-d", "@0") == (
        0, "Thu Jan  1 00:00:00 UTC 1970\n", "")
    assert await _same(kubectl, twin, "exec", pod, "--", "date", "-d", "2025-01-02 10:30", "+%s") == (
        0, "1735813800\n", "")
    assert await _same(kubectl, twin, "exec", pod, "--", "date", "-d", "x") == (
        1, "", "date: invalid date 'x'\ncommand terminated with exit code 1\n")


async def test_ifconfig_through_kubectl_exec(served, twin, kubectl):
    pod = served.pod("default", "counter-")
    ip = served.call(lambda: served.cluster.store.get("Pod", "default", pod)["status"]["podIP"])
    code, out, err = await _same(kubectl, twin, "exec", pod, "--", "ifconfig", "eth0")
    assert (code, err) == (0, "") and out.startswith("eth0      Link encap:Ethernet  HWaddr ")
    assert f"          inet addr:{ip}  Bcast:" in out
    assert await _same(kubectl, twin, "exec", pod, "--", "ifconfig", "eth1") == (
        1, "", "ifconfig: eth1: error fetching interface information: Device not found\n"
               "command terminated with exit code 1\n")


async def test_bash_on_a_pty_names_the_error_token(served, twin, kubectl):
    """`kubectl exec -it redis -- bash`, typed as a learner types: the screen is the twin's."""
    pod = served.pod("default", "redis-")
    lines = ["echo $((10/0+3))", "echo $?", "(cd /tmp && pwd); pwd", "exit"]
    assert twin.feed(f"kubectl exec -it {pod} -- bash") == ""
    steps = []
    for line in lines:
        prompt = twin.prompt
        steps.append((prompt, f"{line}\n{twin.feed(line)}"))
    want = "".join(p + a for p, a in steps)
    assert [a for _, a in steps[:3]] == ['echo $((10/0+3))\nbash: 10/0+3: division by 0 (error token is "0+3")\n',
                                         "echo $?\n1\n", "(cd /tmp && pwd); pwd\n/tmp\n/data\n"]
    term = Terminal(kubectl, "exec", "-it", pod, "--", "bash")
    try:
        for i, line in enumerate(lines):
            shown = "".join(p + a for p, a in steps[:i]) + steps[i][0]
            assert await asyncio.to_thread(term.read_until_screen, shown), (shown, term.screen)
            await asyncio.to_thread(term.type, line.encode() + b"\r")
        code = await asyncio.to_thread(term.wait)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    served.settle()
    assert (code, term.screen.decode().replace("\r\n", "\n")) == (0, want)
