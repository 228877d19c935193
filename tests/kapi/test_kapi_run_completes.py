"""A container whose command ends, through the REAL kubectl against the served API: the pod
completes (Succeeded/`Completed`, or Failed/`Error` with the exit code), with restartPolicy
Always it restarts with the kubelet's back-off (CrashLoopBackOff), and `kubectl run -it --rm`
prints the command's output, deletes the pod and exits with the command's code, as on kind
v1.33 (engine/kubelet/runtime.py, the kubelet; engine/kapi/streams.py, attach).
"""
from __future__ import annotations

import asyncio
import time

from tests.served import Kubectl, Terminal, served_samples

served = served_samples(settle_on_write=True)


def _screen(raw: bytes) -> str:
    return raw.decode(errors="replace").replace("\r\n", "\n")


def _run_on_a_terminal(kubectl: Kubectl, *args: str, keys: list[bytes] = ()) -> tuple[int, str]:
    term = Terminal(kubectl, *args)
    try:
        for i, k in enumerate(keys):  # each line once the shell's prompt for it is on the screen
            deadline = time.monotonic() + 60
            while _screen(term.screen).count("/ # ") <= i:
                assert time.monotonic() < deadline, _screen(term.screen)
                term.read_until(b"\x00", 0.2)
            term.type(k)
        code = term.wait(60)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    return code, _screen(term.screen)


async def test_run_it_rm_nslookup_prints_the_answer_deletes_the_pod_and_exits_as_busybox_does(served, kubectl):
    code, screen = await asyncio.to_thread(_run_on_a_terminal, kubectl, "run", "dbg", "--image=busybox", "--rm",
                                           "-it", "--restart=Never", "--", "nslookup", "redis")
    # busybox's nslookup exits 1 when any reply is not NOERROR: the search list's
    # redis.svc.cluster.local and redis.cluster.local are NXDOMAIN, so the container ends in Error
    assert code == 1, screen
    assert screen.startswith("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"), screen
    assert "Name:\tredis.default.svc.cluster.local\nAddress: 10.96." in screen
    assert "** server can't find redis.svc.cluster.local: NXDOMAIN" in screen
    assert screen.endswith('pod "dbg" deleted\npod default/dbg terminated (Error)\n'), screen
    assert (await kubectl("get", "po", "dbg"))[2] == 'Error from server (NotFound): pods "dbg" not found\n'


async def test_run_i_rm_without_a_terminal_prints_the_output_and_exits_0(served, kubectl):
    code, out, err = await kubectl("run", "tmp", "--image=busybox", "--rm", "-i", "--restart=Never", "--",
                                   "echo", "hi", stdin=b"")
    assert (code, out) == (0, 'hi\npod "tmp" deleted\n'), err


async def test_run_it_a_command_that_fails_exits_with_its_code(served, kubectl):
    code, screen = await asyncio.to_thread(_run_on_a_terminal, kubectl, "run", "bad", "--image=busybox", "--rm",
                                           "-it", "--restart=Never", "--", "sh", "-c", "exit 3")
    assert code == 3, screen
    assert screen == 'pod "bad" deleted\npod default/bad terminated (Error)\n', screen


async def test_run_it_sh_exit_ends_the_container_and_the_command(served, kubectl):
    code, screen = await asyncio.to_thread(_run_on_a_terminal, kubectl, "run", "sh1", "--image=busybox", "--rm",
                                           "-it", "--restart=Never", "--", "sh", keys=[b"hostname\r", b"exit 5\r"])
    assert code == 5, screen
    assert screen.startswith("If you don't see a command prompt, try pressing enter.\n/ # hostname\nsh1\n/ # exit 5\n")
    assert screen.endswith('pod "sh1" deleted\npod default/sh1 terminated (Error)\n'), screen


async def test_run_i_sh_with_stdin_at_its_end_completes(served, kubectl):
    code, out, err = await kubectl("run", "sh2", "--image=busybox", "--rm", "-i", "--restart=Never", "--", "sh",
                                   stdin=b"echo from-stdin\n")
    assert (code, out) == (0, 'from-stdin\npod "sh2" deleted\n'), err


async def test_a_bare_pod_whose_command_ends_is_completed_and_logs_its_output(served, kubectl):
    assert (await kubectl("run", "once", "--image=busybox", "--restart=Never", "--command", "--", "echo", "hi"))[:2] \
        == (0, "pod/once created\n")
    code, out, _ = await kubectl("get", "po", "once", "-o", "custom-columns=S:.status.phase,R:.status.containerStatuses[0].state.terminated.reason,C:.status.containerStatuses[0].state.terminated.exitCode")
    assert out.splitlines()[1].split() == ["Succeeded", "Completed", "0"]
    out = (await kubectl("get", "po", "once"))[1]
    assert out.splitlines()[1].split()[1:4] == ["0/1", "Completed", "0"]
    assert (await kubectl("logs", "once"))[1] == "hi\n"
    assert (await kubectl("run", "fails", "--image=busybox", "--restart=Never", "--", "false"))[0] == 0
    out = (await kubectl("get", "po", "fails"))[1]
    assert out.splitlines()[1].split()[1:4] == ["0/1", "Error", "0"]


async def test_with_restart_always_a_command_that_ends_crash_loops(served, kubectl):
    assert (await kubectl("run", "loop", "--image=busybox", "--", "echo", "hi"))[0] == 0
    out = (await kubectl("get", "po", "loop"))[1]
    assert out.splitlines()[1].split()[1:4] == ["0/1", "Completed", "0"]
    served.call(lambda: served.cluster.run_for(5))
    row = (await kubectl("get", "po", "loop", settle=False))[1].splitlines()[1].split()
    assert row[1:4] == ["0/1", "CrashLoopBackOff", "1"], row
    desc = (await kubectl("describe", "po", "loop", settle=False))[1]
    assert "    State:          Waiting\n      Reason:       CrashLoopBackOff\n" \
           "    Last State:     Terminated\n      Reason:       Completed\n      Exit Code:    0\n" in desc
    assert "Back-off restarting failed container loop in pod loop_default(" in desc
    served.call(lambda: served.cluster.run_for(12))
    row = (await kubectl("get", "po", "loop", settle=False))[1].splitlines()[1].split()
    assert row[1:4] == ["0/1", "CrashLoopBackOff", "2"], row
    assert (await kubectl("logs", "loop", settle=False))[1] == "hi\n"  # this run's output only


async def test_a_program_the_image_lacks_never_starts(served, kubectl):
    """busybox has no curl: containerd cannot start the container (StartError, exit code 128)."""
    code, out, err = await kubectl("run", "nocurl", "--image=busybox", "--rm", "-i", "--restart=Never", "--",
                                   "curl", "web", stdin=b"")
    assert (code, out) == (128, 'pod "nocurl" deleted\n'), err
    assert err.endswith('pod default/nocurl terminated (StartError)\nfailed to create containerd task: failed to '
                        'create shim task: OCI runtime create failed: runc create failed: unable to start container '
                        'process: error during container init: exec: "curl": executable file not found in $PATH: '
                        'unknown\n'), err


async def test_exec_of_true_and_false_gives_their_status(served, kubectl):
    pod = served.pod("default", "counter-")
    assert (await kubectl("exec", pod, "--", "true"))[:2] == (0, "")
    code, out, err = await kubectl("exec", pod, "--", "false")
    assert (code, out, err) == (1, "", "command terminated with exit code 1\n")


async def test_what_a_command_prints_after_a_sleep_comes_when_the_sleep_ends(served, kubectl):
    assert (await kubectl("run", "nap", "--image=busybox", "--restart=Never", "--", "sh", "-c",
                          "echo a; sleep 3; echo b"))[0] == 0
    assert (await kubectl("logs", "nap"))[1] == "a\n"
    assert (await kubectl("get", "po", "nap"))[1].splitlines()[1].split()[1:3] == ["1/1", "Running"]
    served.call(lambda: served.cluster.run_for(4))
    assert (await kubectl("logs", "nap", settle=False))[1] == "a\nb\n"
    assert (await kubectl("get", "po", "nap", settle=False))[1].splitlines()[1].split()[1:3] == ["0/1", "Completed"]
