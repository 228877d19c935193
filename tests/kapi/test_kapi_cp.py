"""`kubectl cp` with the REAL kubectl against `svcflow serve`: kubectl runs `tar cf - PATH`
through exec and reads the archive from stdout (tar's complaints, on stderr, are printed on
kubectl's stdout), and copies in with `test -d DEST` then `tar -xmf - -C DIR` fed on stdin
(engine/containers/tar.py, engine/kapi/streams.py)."""
from __future__ import annotations

import asyncio

from tests.served import Terminal, served_samples

served = served_samples()


async def test_cp_a_file_out_of_a_pod(served, kubectl, tmp_path):
    pod = served.pod("default", "counter-")
    for path, want in (("/etc/hostname", f"{pod}\n"), ("/etc/resolv.conf", None), ("/etc/hosts", None)):
        dest = tmp_path / path.rsplit("/", 1)[-1]
        code, out, err = await kubectl("cp", f"{pod}:{path}", str(dest))
        assert (code, out, err) == (0, "tar: removing leading '/' from member names\n", ""), path
        _, cat, _ = await kubectl("exec", pod, "--", "cat", path)
        assert dest.read_text() == (want or cat), path


async def test_cp_a_file_into_a_pod_and_back(served, kubectl, tmp_path):
    pod = served.pod("default", "counter-")
    src = tmp_path / "notes.txt"
    src.write_bytes(b"hello from the laptop\n\x00\x01 bytes too\n")
    assert await kubectl("cp", str(src), f"{pod}:/tmp/notes.txt") == (0, "", "")
    assert await kubectl("exec", pod, "--", "cat", "/tmp/notes.txt") == (0, "hello from the laptop\n\x00\x01 bytes too\n", "")
    back = tmp_path / "back.txt"
    assert (await kubectl("cp", f"{pod}:/tmp/notes.txt", str(back)))[0] == 0
    assert back.read_bytes() == src.read_bytes()
    # into a directory: kubectl's `test -d` finds it, and the file keeps its name
    assert await kubectl("cp", str(src), f"{pod}:/tmp") == (0, "", "")
    assert (await kubectl("exec", pod, "--", "sh", "-c", "ls /tmp; wc -c < /tmp/notes.txt"))[1] == (
        "notes.txt\n35\n")


async def test_cp_a_missing_file_says_what_tar_says(served, kubectl, tmp_path):
    """busybox prints the missing name, writes an empty archive, then `error exit delayed`
    and exits 1. kubectl stops at the archive's end without waiting for its exec: what it still
    shows of tar's stderr, and its exit code, is a race inside kubectl (kubernetes/kubectl#980:
    exit 0, "sometimes doesn't even log any error"). So kubectl cp's output is asserted to be
    a prefix of tar's words, and the exec that kubectl runs is checked in full."""
    pod = served.pod("default", "counter-")
    said = "tar: /etc/nope: No such file or directory\ntar: error exit delayed from previous errors\n"
    code, out, err = await kubectl("cp", f"{pod}:/etc/nope", str(tmp_path / "x"))
    assert said.startswith(out) and code in (0, 1), (code, out, err)
    assert not (tmp_path / "x").exists()
    code, out, err = await kubectl("exec", pod, "--", "sh", "-c", "tar cf - /etc/nope | wc -c")
    assert (code, out, err) == (0, "1024\n", "tar: /etc/nope: No such file or directory\n"
                                              "tar: error exit delayed from previous errors\n")
    assert await kubectl("exec", pod, "--", "tar", "cf", "/tmp/a.tar", "/etc/nope") == (
        1, "", "tar: /etc/nope: No such file or directory\ntar: error exit delayed from previous errors\n"
               "command terminated with exit code 1\n")


async def test_exec_sh_c_pipes_and_codes_as_sh(served, kubectl):
    pod = served.pod("default", "counter-")
    assert await kubectl("exec", pod, "--", "sh", "-c", "echo hi | wc -c") == (0, "3\n", "")
    assert await kubectl("exec", pod, "--", "sh", "-c", "env | grep REDIS_HOST") == (0, "REDIS_HOST=redis\n", "")
    assert await kubectl("exec", pod, "--", "sh", "-c", "foo") == (
        127, "", "sh: foo: not found\ncommand terminated with exit code 127\n")
    assert await kubectl("exec", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3") == (
        3, "out\n", "err\ncommand terminated with exit code 3\n")
    assert await kubectl("exec", pod, "--", "printenv", "REDIS_PORT") == (0, "6379\n", "")
    assert await kubectl("exec", "-i", pod, "--", "wc", "-l", stdin=b"a\nb\nc\n") == (0, "3\n", "")


def _on_a_terminal(kubectl, *args: str) -> tuple[int, str]:
    term = Terminal(kubectl, *args)
    try:
        code = term.wait(30)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    return code, term.screen.decode(errors="replace").replace("\r\n", "\n")


async def test_exec_it_of_a_command_that_reads_no_stdin_ends_with_it(served, kubectl):
    """`kubectl exec -it POD -- hostname` (the terminal's stdin stays open) answers and ends:
    only a program that reads stdin (tar -x, cat, sh -c ...) is given it, without a TTY."""
    pod = served.pod("default", "counter-")
    assert await asyncio.to_thread(_on_a_terminal, kubectl, "exec", "-it", pod, "--", "hostname") == (0, f"{pod}\n")
    code, screen = await asyncio.to_thread(_on_a_terminal, kubectl, "exec", "-it", pod, "--", "sh", "-c",
                                           "wget -qO- localhost:3000 | wc -l")
    assert (code, screen) == (0, "1\n")
