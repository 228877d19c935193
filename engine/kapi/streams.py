"""`pods/exec` and `pods/attach` over WebSocket (apiserver-spec §5.1): the remotecommand
channel protocol `v5.channel.k8s.io` (kubectl 1.30+ offers only it) and `v4.channel.k8s.io`
(the Python clients), into the pods' simulated shells (engine.containers.shell).

Every message carries its channel in its first byte: 0 stdin (client to server), 1 stdout,
2 stderr, 3 error (one `Status` JSON: Success, or NonZeroExitCode with the exit code as a
cause, or the reason the command could not run), 4 resize (`{"Width":120,"Height":40}`,
ignored: the simulated shell has no screen), 255 close (v5: `[255, 0]` = stdin ended). The
Python clients send stdin as text frames (`"\\x00echo hi\\n"`), so both kinds are read.

Refusals about the request (no such pod, a container not in it) are Status answers before
the upgrade, as kube-apiserver validates before proxying; refusals from the node (the
container is not running, the program is not in the image) arrive after the upgrade on the
error channel, where kubectl prints them as `error: <message>`. kubectl falls back to SPDY
(a POST) only when the upgrade is refused; svcflow speaks WebSocket only, so that POST gets
the same refusal, or a Status saying how to reach the WebSocket path.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable

from aiohttp import WSMsgType, web

from engine.api.objects import meta
from engine.containers.pacing import Pacer
from engine.containers.proc import to_text
from engine.containers.shell import PodShell, reads_stdin, talks_to_terminal
from engine.kapi.context import ApiContext, ResourceRequest, SubresourceRoute, require_namespace
from engine.kapi.pods import completed, pick_container, running_container
from engine.kapi.responses import marshal_json, query_bool
from engine.kapi.status import StatusError, bad_request, not_found
from engine.kapi.terminal import Terminal
from engine.kubelet.runtime import container_fate

log = logging.getLogger("svcflow.kapi")

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
PROTOCOLS = (V5, V4)
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
SHELLS = ("sh", "/bin/sh", "ash", "/bin/ash", "bash", "/bin/bash")
# How often an attach looks for new output and for its pod's end (wall seconds).
POLL_SECONDS = 0.1
# The wall seconds between a command's stderr and the output it wrote after it (see _exec).
STDERR_LEAD_SECONDS = 0.05
TTY_SETTLE_SECONDS = 0.5  # at most, waiting for a TTY's first resize frame before the close
# The wall seconds between the upgrade and a stream's first frame: on a cluster the apiserver
# dials the kubelet and the runtime starts the process first. kubectl 1.33 reads frames before
# it has made its streams (kubernetes/kubernetes#131189, fixed in 1.34): a frame that comes at
# once is dropped with `Unknown stream id 1, discarding message` on its stderr.
STREAM_START_SECONDS = 0.03


def success() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def exit_status(argv: list[str], code: int) -> dict[str, Any]:
    """The kubelet's Status for a command that ended with `code` (kubectl: `command
    terminated with exit code N`, and exits N)."""
    if code == 0:
        return success()
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"[{' '.join(argv)}], exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def failure(message: str, reason: str = "", code: int = 0) -> dict[str, Any]:
    """A Failure on the error channel: kubectl prints `error: <message>`."""
    out: dict[str, Any] = {"metadata": {}, "status": "Failure", "message": message}
    if reason:
        out["reason"], out["code"] = reason, code
    return out


@dataclass(frozen=True)
class StreamOptions:
    """The query of an exec/attach request (`command` repeats once per argv word)."""

    command: tuple[str, ...]
    container: str | None
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool

    @classmethod
    def of(cls, request: web.Request) -> "StreamOptions":
        q = request.query
        return cls(tuple(q.getall("command", [])), q.get("container") or None, query_bool(q, "stdin"),
                   query_bool(q, "stdout"), query_bool(q, "stderr"), query_bool(q, "tty"))


class Channels:
    """One upgraded connection: frames out by channel, and the protocol it speaks."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.protocol = ws.ws_protocol or V5

    async def send(self, channel: int, data: bytes) -> None:
        if not self.ws.closed:
            await self.ws.send_bytes(bytes((channel,)) + data)

    async def finish(self, status: dict[str, Any]) -> None:
        """The error channel's one Status (json.Marshal'd, as remotecommand's v4 writeStatus does),
        then the close that ends the client."""
        await self.send(ERROR, marshal_json(status))
        await self.ws.close()


def _offered(request: web.Request) -> list[str]:
    return [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]


def _is_websocket(request: web.Request) -> bool:
    return request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket"


def _pod_and_container(ctx: ApiContext, req: ResourceRequest, opts: StreamOptions, verb: str) -> tuple[dict, str]:
    """What kube-apiserver checks before it proxies a stream (`ExecLocation`, `AttachLocation`)."""
    pod = ctx.cluster.store.get("Pod", require_namespace(req), req.name or "")
    if pod is None:
        raise not_found(req.info, req.name or "")
    container = pick_container(pod, opts.container)
    if verb == "exec" and not opts.command:
        raise bad_request("you must specify at least 1 command")
    if not (opts.stdin or opts.stdout or opts.stderr):
        raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
    done = completed(pod)
    if done is not None:
        raise done
    return pod, container


async def _upgrade(request: web.Request) -> Channels:
    offered = _offered(request)
    if not _is_websocket(request):
        if request.method == "POST" and request.headers.get("Upgrade", "").upper().startswith("SPDY"):
            raise bad_request("svcflow serves exec and attach over WebSocket (v5.channel.k8s.io) only, not SPDY: "
                              "unset KUBECTL_REMOTE_COMMAND_WEBSOCKETS (kubectl 1.30+ uses WebSocket by default)")
        raise bad_request("Upgrade request required")
    if not any(p in PROTOCOLS for p in offered):
        raise StatusError("BadRequest", f"requested protocol(s) are not supported: [{' '.join(offered)}]; "
                          f"supports [{' '.join(PROTOCOLS)}]")
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, heartbeat=None)
    await ws.prepare(request)
    return Channels(ws)


class ShellStream:
    """A shell in a container behind one connection: stdin through the terminal, each line
    to the shell, its output (and, with a TTY, the prompt) back on stdout."""

    def __init__(self, ctx: ApiContext, channels: Channels, shell: PodShell, tty: bool) -> None:
        self.ctx, self.ch, self.shell = ctx, channels, shell
        self.term = Terminal(tty)
        self.tty = shell.tty = tty  # (what the shell runs writes to this terminal, or to a pipe)

    async def prompt(self) -> None:
        if self.tty and self.shell.prompt:
            await self.ch.send(STDOUT, self.term.output(self.shell.prompt))

    async def run(self) -> int | None:
        """Until the shell exits (its status) or the client goes (None)."""
        self.shell.status = 0
        await self.prompt()
        async for msg in self.ch.ws:
            if msg.type == WSMsgType.BINARY:
                data: bytes = msg.data
            elif msg.type == WSMsgType.TEXT:
                data = msg.data.encode("utf-8")
            else:
                break
            if not data:
                continue
            channel, payload = data[0], data[1:]
            if channel == STDIN:
                got = self.term.feed(payload)
            elif channel == CLOSE and payload[:1] == bytes((STDIN,)):
                got = self.term.close()
            else:
                continue  # resize, or a channel the client does not write
            if got.echo:
                await self.ch.send(STDOUT, got.echo.encode("utf-8"))
            for line in got.lines:
                if await self._line(line):
                    return self.shell.status
            if got.interrupted:  # ^C ends the open connection (telnet, nc) as on a terminal
                if self.shell.hang_up():
                    return self.shell.status  # (it was the exec'd program: redis-cli's REPL)
                await self.prompt()
            if got.eof:
                if self.shell.stream is not None:
                    if self.shell.hang_up():
                        return self.shell.status
                    await self.prompt()
                    continue
                return self.shell.status
        return None

    async def _line(self, line: str) -> bool:
        pacer = Pacer(self.ctx.cluster.clock, self.ctx.wrote)
        _, exited = self.shell.run(line)
        self.ctx.wrote()
        for at, text in self.shell.last.timed():  # (what came after a `sleep`: when the cluster's clock is there)
            await pacer.until(at)
            await self.ch.send(STDOUT, self.term.output(text))
        await pacer.until(self.shell.elapsed)
        if exited:
            return True
        if self.tty:
            await self.prompt()
        return False


async def exec_handler(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    opts = StreamOptions.of(request)
    pod, container = _pod_and_container(ctx, req, opts, "exec")
    ch = await _upgrade(request)
    await _guarded(ch, _exec(ctx, ch, pod, container, opts))
    return ch.ws


async def _established(ch: Channels) -> None:
    """The apiserver's "connection established" (an empty frame to the lowest open channel),
    once the process is there to talk to (STREAM_START_SECONDS)."""
    await asyncio.sleep(STREAM_START_SECONDS)
    await ch.send(STDOUT, b"")


async def _exec(ctx: ApiContext, ch: Channels, pod: dict, container: str, opts: StreamOptions) -> None:
    await _established(ch)  # (the apiserver's "connection established" to the lowest open channel)
    why = running_container(pod, container)
    if why is not None:
        await ch.finish(failure(why))
        return
    shell = ctx.pods.shell(pod, container)
    argv = list(opts.command)
    refused = shell.start(argv)
    if refused is not None:
        await ch.finish(failure(refused, "InternalError", 500))
        return
    if argv[0] in SHELLS and len(argv) == 1 and opts.stdin:
        code = await ShellStream(ctx, ch, shell, opts.tty).run()
        if code is not None:
            await ch.finish(exit_status(argv, code))
        return
    on_terminal = opts.stdin and opts.tty and talks_to_terminal(argv)  # (`-it redis -- redis-cli`: its REPL)
    # (stdin through a TTY to another program that is not a shell is not simulated: it is not waited for)
    stdin = await _read_stdin(ch) if opts.stdin and not opts.tty and reads_stdin(argv) else b""
    pacer = Pacer(ctx.cluster.clock, ctx.wrote)
    out = shell.exec(argv, None if on_terminal else to_text(stdin), tty=opts.tty)
    if shell.attached:  # (it reads the terminal: the lines typed next are its, until it ends)
        if out.text():
            await ch.send(STDOUT, Terminal(True).output(out.text()))
        code = await ShellStream(ctx, ch, shell, opts.tty).run()
        if code is not None:
            await ch.finish(exit_status(argv, code))
        return
    ctx.wrote()
    term = Terminal(opts.tty)
    frames: list[tuple[float, int, str]] = []
    for at, fd, text in out.chunks:  # stderr on its own channel (kubectl cp reads stdout as the archive)
        channel = STDERR if fd == 2 and opts.stderr and not opts.tty else STDOUT
        if frames and frames[-1][:2] == (at, channel):
            frames[-1] = (at, channel, frames[-1][2] + text)
        else:
            frames.append((at, channel, text))
    for i, (at, channel, text) in enumerate(frames):
        await pacer.until(at)  # (printed after a `sleep`: when the cluster's clock gets there)
        if i and channel == STDOUT:
            # what a program says on stderr before its output (tar's `removing leading '/'`)
            # came out first: kubectl prints each stream from its own goroutine and kubectl cp
            # stops at the archive's end, so the output follows a moment later, as from a process
            await asyncio.sleep(STDERR_LEAD_SECONDS)
        await ch.send(channel, term.output(text))
    await pacer.until(shell.elapsed)
    if opts.tty:
        await _first_resize(ch, TTY_SETTLE_SECONDS)
    await ch.finish(exit_status(argv, shell.status))


async def _first_resize(ch: Channels, timeout: float) -> None:
    """Wait (a little) for the terminal size kubectl sends as a TTY session starts: closing
    before it arrives made kubectl log `"Unhandled Error" err="websocket: close sent"` under
    the output -- a real container takes longer to start than that frame to come."""
    async def resized() -> None:
        async for msg in ch.ws:
            if msg.type == WSMsgType.BINARY and msg.data[:1] == bytes((RESIZE,)):
                return
            if msg.type != WSMsgType.BINARY:
                return
    try:
        await asyncio.wait_for(resized(), timeout)
    except asyncio.TimeoutError:
        pass


async def _read_stdin(ch: Channels) -> bytes:
    """Everything the client sends on stdin, up to its end (v5: the close frame for stdin;
    v4 has none: the connection's end)."""
    data = bytearray()
    async for msg in ch.ws:
        if msg.type == WSMsgType.BINARY:
            frame: bytes = msg.data
        elif msg.type == WSMsgType.TEXT:
            frame = msg.data.encode("utf-8")
        else:
            break
        if not frame:
            continue
        if frame[0] == STDIN:
            data += frame[1:]
        elif frame[0] == CLOSE and frame[1:2] == bytes((STDIN,)):
            break
    return bytes(data)


async def _guarded(ch: Channels, work: Awaitable[None]) -> None:
    """Run a stream to its end: a client that hangs up ends it quietly; a failure of svcflow's
    own is the error channel's InternalError (never a traceback), and the cluster serves on."""
    try:
        await work
    except ConnectionResetError:
        pass  # the client went away mid-stream: nothing to tell it
    except Exception as exc:  # noqa: BLE001 - one stream's failure must not reach the server
        log.error("svcflow serve: a stream failed: %s: %s", type(exc).__name__, exc)
        if not ch.ws.closed:
            await ch.finish(failure(f"Internal error occurred: {type(exc).__name__}: {exc}", "InternalError", 500))
    finally:
        if not ch.ws.closed:
            await ch.ws.close()


def _main_is_shell(pod: dict, container: str) -> bool:
    """The container's main process is a shell reading its stdin (`kubectl run -it -- sh`)."""
    for c in (pod.get("spec") or {}).get("containers") or []:
        if c.get("name") == container:
            return container_fate(c).interactive
    return False


def _stdin_once(pod: dict, container: str) -> bool:
    return any(c.get("name") == container and bool(c.get("stdinOnce"))
               for c in (pod.get("spec") or {}).get("containers") or [])


async def attach_handler(ctx: ApiContext, req: ResourceRequest, request: web.Request) -> web.StreamResponse:
    """The container's main process: its shell when it runs one with stdin open (`kubectl run
    -it --image=busybox -- sh`), else what it prints from now on, until the container ends.
    `exit` in that shell, or its stdin's end with stdinOnce, ends the container: the kubelet
    completes or restarts it."""
    opts = StreamOptions.of(request)
    pod, container = _pod_and_container(ctx, req, opts, "attach")
    ch = await _upgrade(request)
    await _guarded(ch, _attach(ctx, ch, pod, container, opts))
    return ch.ws


async def _attach(ctx: ApiContext, ch: Channels, pod: dict, container: str, opts: StreamOptions) -> None:
    await _established(ch)
    why = running_container(pod, container)
    if why is not None:
        await ch.finish(failure(why))
        return
    if _main_is_shell(pod, container) and opts.stdin:
        shell = ctx.pods.shell(pod, container)
        code = await ShellStream(ctx, ch, shell, opts.tty).run()
        if code is None and not _stdin_once(pod, container):
            return  # the client went; the shell waits on its stdin for the next attach
        # `exit`, or stdin closed (stdinOnce: the first attach's end is the shell's EOF): the
        # container's main process ended, so the container does (the kubelet restarts it or
        # the pod completes). An attach reports no exit code: kubectl run reads it from the pod.
        md = meta(pod)
        ctx.cluster.kubelet.main_exited(md.get("namespace", ""), md.get("name", ""), container,
                                        shell.status if code is None else code)
        ctx.wrote()
        if not ch.ws.closed:
            await ch.finish(success())
        return
    await _follow_output(ctx, ch, pod, container)


async def _follow_output(ctx: ApiContext, ch: Channels, pod: dict, container: str) -> None:
    proc = ctx.pods.process(pod, container)
    seen = len(proc.log) if proc is not None else 0
    uid = meta(pod).get("uid")
    ns, name = meta(pod).get("namespace", ""), meta(pod).get("name", "")
    term = Terminal(False)

    async def drain_input() -> None:
        async for msg in ch.ws:  # stdin to a process that does not read it is dropped, as on a node
            if msg.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                break

    reader = asyncio.ensure_future(drain_input())
    try:
        while not reader.done():
            if proc is not None and len(proc.log) > seen:
                text = "".join(line.text + "\n" for line in proc.log[seen:])
                seen = len(proc.log)
                await ch.send(STDOUT, term.output(text))
            live = ctx.cluster.store.get("Pod", ns, name)
            if live is None or meta(live).get("uid") != uid or running_container(live, container) is not None:
                await ch.finish(success())
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        reader.cancel()


ROUTES = [SubresourceRoute(("Pod",), "exec", exec_handler), SubresourceRoute(("Pod",), "attach", attach_handler)]
