"""The pods' processes on the cluster's clock, through the REAL kubectl against the served
API: a busybox pod looping `echo hello $(date); sleep 5` logs a line every 5 s of that clock
(`kubectl logs`, `--tail`, `--since`, `-f`), `kubectl exec POD -- ps` shows its processes,
and what an exec prints after `sleep N` comes once the cluster's clock is N seconds on."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.served import Terminal, served_samples

served = served_samples(settle_on_write=True)

LOOP = "while true; do echo hello $(date); sleep 5; done"


async def _looping_pod(served, kubectl) -> None:
    if served.call(lambda: served.cluster.get("Pod", "default", "loop")) is None:
        assert (await kubectl("run", "loop", "--image=busybox", "--", "sh", "-c", LOOP))[:2] == (0, "pod/loop created\n")


async def test_a_looping_pod_logs_a_line_every_5_seconds_of_the_cluster_s_clock(served, kubectl):
    await _looping_pod(served, kubectl)
    served.call(lambda: served.cluster.run_for(16))
    code, out, err = await kubectl("logs", "loop", "--timestamps", settle=False)
    assert code == 0, err
    lines = [(datetime.fromisoformat(line[:26] + "+00:00"), line.split(" ", 1)[1]) for line in out.splitlines()]
    assert len(lines) >= 4
    for (t, _), (t2, _) in zip(lines, lines[1:]):
        assert t2 - t == timedelta(seconds=5)
    for t, text in lines:  # busybox date's default format, word-split by the unquoted $(date)
        assert text == "hello " + " ".join(t.strftime("%a %b %e %H:%M:%S UTC %Y").split())
    assert (await kubectl("logs", "loop", "--tail=1", settle=False))[1] == lines[-1][1] + "\n"
    since = (await kubectl("logs", "loop", "--since=6s", settle=False))[1].splitlines()
    assert 1 <= len(since) <= 2 and since[-1] == lines[-1][1]
    row = (await kubectl("get", "po", "loop", settle=False))[1].splitlines()[1].split()
    assert row[1:4] == ["1/1", "Running", "0"]


async def test_logs_f_follows_the_loop_as_the_clock_moves(served, kubectl):
    await _looping_pod(served, kubectl)
    proc = await asyncio.create_subprocess_exec(*kubectl.argv("logs", "-f", "--tail=1", "loop"),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env=kubectl.env())
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert first.startswith(b"hello ")
        served.call(lambda: served.cluster.run_for(5))
        second = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert second.startswith(b"hello ") and second != first
    finally:
        proc.kill()
        await proc.wait()


async def test_exec_ps_lists_the_container_s_processes(served, kubectl):
    await _looping_pod(served, kubectl)
    code, out, err = await kubectl("exec", "loop", "--", "ps")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "PID   USER     TIME  COMMAND"
    assert lines[1] == f"    1 root      0:00 sh -c {LOOP}"
    assert lines[2].split(None, 3)[1:] == ["root", "0:00", "sleep 5"]  # (the loop is in its sleep)
    assert lines[3].split(None, 3)[1:] == ["root", "0:00", "ps"] and len(lines) == 4
    assert int(lines[1].split()[0]) < int(lines[2].split()[0]) < int(lines[3].split()[0])
    code, out, err = await kubectl("exec", "deploy/redis", "--", "bash", "-c", "ps")
    # (bash 5.2 running a -c script names the line: `bash: line 1:`)
    assert (code, out, err) == (127, "", "bash: line 1: ps: command not found\ncommand terminated with exit code 127\n")


async def test_what_an_exec_prints_after_a_sleep_comes_when_the_clock_gets_there(served, kubectl):
    await _looping_pod(served, kubectl)
    before = served.call(served.cluster.now)
    code, out, err = await kubectl("exec", "loop", "--", "sh", "-c", "date +%s; sleep 30; date +%s", settle=False)
    after = served.call(served.cluster.now)
    assert code == 0, err
    start, end = (int(x) for x in out.split())
    assert end - start == 30 and after - before >= timedelta(seconds=30)  # the cluster's clock, not the wall's
    assert await kubectl("exec", "loop", "--", "sleep", "abc") == (
        1, "", "sleep: invalid number 'abc'\ncommand terminated with exit code 1\n")
    assert await kubectl("exec", "deploy/redis", "--", "sleep", "abc") == (
        1, "", "sleep: invalid time interval 'abc'\ncommand terminated with exit code 1\n")


async def test_exec_it_bash_in_redis_on_a_pty(served, kubectl):
    pod = served.pod("default", "redis-")
    prompt = f"root@{pod}:/data# "
    term = Terminal(kubectl, "exec", "-it", pod, "--", "bash")
    try:
        assert await asyncio.to_thread(term.read_until_screen, prompt), term.screen
        before = served.call(served.cluster.now)
        await asyncio.to_thread(term.type, b"echo -e 'a\\tb'; sleep 20; [[ $RANDOM -lt 32768 ]] && echo slept\r")
        assert await asyncio.to_thread(term.read_until_screen, "a\tb\nslept\n" + prompt), term.screen
        assert served.call(served.cluster.now) - before >= timedelta(seconds=20)
        await asyncio.to_thread(term.type, b"ps\r")
        assert await asyncio.to_thread(term.read_until_screen, "bash: ps: command not found\n" + prompt), term.screen
        await asyncio.to_thread(term.type, b"exit\r")
        code = await asyncio.to_thread(term.wait)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    # (bash says `exit` as it goes; with no number it exits with the last status: ps's 127)
    screen = term.screen.decode().replace("\r\n", "\n")
    assert code == 127 and (prompt + "exit\nexit\n") in screen and screen.endswith("command terminated with exit code 127\n")
