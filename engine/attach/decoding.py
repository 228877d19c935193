"""A list page's bytes into the objects the mirror keeps, here or in another process.

At 10,000 Services the lists are 600 MB of JSON (100,000 pods, each with its managedFields):
cutting the managedFields out, decoding the rest and keeping each pod's repeated parts once
(`engine.attach.sharing`) took ~5 of the ~10.5 CPU seconds this process spent before the
first full paint, on one core while the machine has more. So once a list says it is big
(`OFFLOAD_AT` objects still to come), its pages are decoded in one other process
(`PageDecoder`, running engine/attach/decodeworker.py), each as soon as its bytes are in,
while this process stores the pages before it and computes kube-proxy's rules: what comes
back is the page marshalled, its pods' shared parts written once, which this process loads
in a fraction of the decoding's time. When that process falls behind (`DECODING_AHEAD`),
a page is decoded here in its turn. Small lists, and every watch event, are decoded here; a
process that cannot be started or that dies leaves the decoding here too, silently (the
same objects, a little later).
"""
from __future__ import annotations

import asyncio
import json
import logging
import marshal
import os
import re
import signal
import struct
import sys
from collections import deque
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS: the pipes keep their size
    fcntl = None  # type: ignore[assignment]

from engine.attach.sharing import slim
from engine.heap import no_cyclic_gc

try:  # (a dependency: the decoder of every list page and watch line)
    import orjson
except ImportError:  # pragma: no cover - json reads the same, slower
    orjson = None  # type: ignore[assignment]

log = logging.getLogger("svcflow.attach")

#: Objects a list must still have to come (its first pages' `remainingItemCount`) for its
#: pages to be decoded in the other process. Below that the process's start (~1 s of its own
#: CPU, importing this module) is not worth it: a kind cluster's lists never reach it.
OFFLOAD_AT = 5000
#: Pages the other process may have in hand (handed over, not answered yet) before the next
#: one is decoded here instead. It is the slower of the two once this process has stored and
#: computed what it had (at 10,000 Services, after kube-proxy's first sync: 45 pages a second
#: there, while this process waited on it); taking a page in its turn then shares the pods'
#: decoding between the two cores. While this process is busy computing, the other one keeps
#: up and gets every page. (`ahead=None`: every page of a big list goes there.)
DECODING_AHEAD = 2
#: The largest frame a pipe reader may buffer (a page of 500 pods marshalled is ~0.5 MB).
_PIPE_LIMIT = 1 << 26


#: `,"managedFields":[...]` as Go writes it: the last field of ObjectMeta (so after a comma),
#: an array of objects whose fieldsV1 nests objects only, so the first `]` outside a string
#: ends it. (A string cannot hold `,"`: a quote inside one is escaped.) Possessive
#: quantifiers: runs of plain characters are taken in one step, nothing is retried.
_MANAGED_FIELDS = re.compile(rb',"managedFields":\[(?:[^"\]]++|"(?:[^"\\]++|\\.)*+")*+\]')
#: How far into a page to look for managedFields before deciding it has none.
_MANAGED_FIELDS_PEEK = 65536


def without_managed_fields(raw: bytes) -> bytes:
    """A list page's bytes without its objects' `managedFields`, which the mirror drops
    (no pane or computation reads them) and which a real API server sends with every object:
    two or three entries per pod (kube-controller-manager's, the kubelet's, a
    scheduler's), a third of a pod's bytes. Cut out of the bytes they are never decoded. A
    page whose first objects have none is left as it is (a server that sends none: the look
    costs microseconds, not a pass over the page).

    Each array ends at its first `]` outside a string (its entries hold no array): the first
    `]` after the start, taken when an even number of quotes comes before it (a `]` inside a
    string has an odd number before it); in doubt (a `]` in a string, an escaped backslash
    before a quote) the regular expression decides. Two byte searches per object, in C: 600 MB
    of pods in ~0.3 s, where the expression alone took ~2.5 s."""
    if raw.find(b'"managedFields":[', 0, _MANAGED_FIELDS_PEEK) < 0:
        return raw
    out: list[bytes] = []
    pos = 0
    find, count = raw.find, raw.count
    while True:
        start = find(b',"managedFields":[', pos)
        if start < 0:
            break
        end = find(b"]", start + 18)
        if end < 0 or (count(b'"', start, end) - count(b'\\"', start, end)) % 2:
            m = _MANAGED_FIELDS.match(raw, start)
            if m is None:  # (not an array of entries: kept)
                out.append(raw[pos:start + 1])
                pos = start + 1
                continue
            end = m.end() - 1
        out.append(raw[pos:start])
        pos = end + 1
    out.append(raw[pos:])
    return b"".join(out)


def decode_json(raw: bytes, *, page: bool = False) -> dict | None:
    """A list page's or a watch line's JSON object (None if it is not one).

    The one decoder of what the server sends. orjson (a dependency; the standard library
    if it is missing): at 10,000 Services the lists are 315 MB of JSON, which the standard library
    decodes in ~2.9 s of the first paint's 10 and orjson in about half. orjson reads the
    API server's JSON exactly (Go's encoding of int32/int64 fields and strings; it would read
    an integer beyond 64 bits as a float, which the Kubernetes API never sends); what it
    refuses and the standard library accepts (NaN, Infinity) is tried again with `json`.
    """
    # (a page's 50,000 new dicts and lists hold no cycle: ~20 % of decoding was collections)
    # `page`: a list page, frozen once decoded (out of the collector's generations, still freed
    # by reference counting) as the mirror freezes each page it stores; else the collector's
    # first young collection once it is back on scanned the page again (~1 s of a 10,000-Service
    # attach, seen in a profile). Not a watch line: a freeze per event would keep whatever
    # cyclic garbage the dashboard had pending at that moment for good.
    with no_cyclic_gc(freeze=lambda: page):
        if orjson is not None:
            try:
                v = orjson.loads(raw)
            except ValueError:  # (orjson.JSONDecodeError is one)
                v = _stdlib_json(raw)
        else:
            v = _stdlib_json(raw)
    return v if isinstance(v, dict) else None


def _stdlib_json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None




def decode_page(raw: bytes, kind: str, api_version: str, *, freeze: bool) -> dict:
    """A list page as the mirror keeps it: managedFields cut out of the bytes, the rest
    decoded, each item given the list's kind and apiVersion (a list's items carry neither)
    and slimmed (`engine.attach.sharing.slim`: a pod's parts equal to the page's previous
    pod's are that pod's instances). `freeze`: what was made lives on in this process (see
    `decode_json`); the other process, whose pages are marshalled and let go, does not."""
    with no_cyclic_gc(freeze=lambda: freeze):
        return kept(decode_json(without_managed_fields(raw)) or {}, kind, api_version)


def kept(page: dict, kind: str, api_version: str) -> dict:
    """A decoded page's items as the mirror keeps them, in place: each given the list's kind
    and apiVersion (a list's items carry neither) and slimmed, sharing a pod's parts with the
    page's previous pod (`engine.attach.sharing.slim`). The one place a page's items get
    these: the reflector and the mirror take them as they are."""
    recent: dict = {}
    for o in page.get("items") or ():
        if isinstance(o, dict):
            o["kind"] = kind
            o["apiVersion"] = api_version
            slim(o, recent)
    return page


#: A frame on the pipes to and from the decoding process: its length, then its bytes.
FRAME_LENGTH = struct.Struct("!Q")


def widen_pipe(fd: int) -> None:
    """The pipe's kernel buffer as large as an unprivileged process may make it (Linux's
    `fs.pipe-max-size`, 1 MiB by default, against 64 KiB): a page's answer (~0.5 MB) goes
    in one write while the dashboard is busy, instead of the decoding process waiting.
    The decoding process widens both its pipes (fd 0 and 1) before it says it is up: the
    dashboard's end of its stdout is a StreamReader, which shows no file to widen."""
    size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if size is None:
        return
    try:
        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as f:
            most = int(f.read())
        fcntl.fcntl(fd, size, most)
    except (OSError, ValueError):
        pass  # (the default buffer, or not a pipe: only slower)


#: The directory this process imported `engine` from: the decoding process is started there,
#: so that `python -m engine.attach.decodeworker` finds this same `engine` first (`-m` puts
#: the working directory first on sys.path: a user's own `engine` package, or another svcflow
#: checkout, in the directory svcflow was started from would be imported instead).
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


class PageDecoder:
    """Where an attach's list pages are decoded: here, until a list says it is big
    (`expect`), then in one other process (`python -m engine.attach.decodeworker`), started
    once and shared by every list, pages answered in the order they are handed over
    (`submit`); `decoded` gives a page's objects either way.

    A plain child process on two pipes, not multiprocessing: it imports this module and
    nothing of the dashboard (spawn re-imported the program's main module, Textual and all),
    its stderr goes nowhere and it has a session of its own (the terminal the dashboard draws
    on is not its), and nothing of the parent's captured stdio is passed to it (Textual's
    captured stderr made multiprocessing refuse to start: `bad value(s) in fds_to_keep`).

    `offload_at`: None never starts the other process (a reflector made without a
    decoder). The headless commands (`svcflow get ... --kubeconfig`, tui/cli.py's
    `_attach_options`) keep the default, as the dashboard does: a list that big is decoded
    there for them too."""

    def __init__(self, offload_at: int | None = OFFLOAD_AT, ahead: int | None = DECODING_AHEAD) -> None:
        self.offload_at = offload_at
        self.ahead = ahead
        self.offloaded = 0  # pages the other process decoded (the benchmark reports it)
        self.pid: int | None = None  # the other process's, once started (the benchmark reads its CPU)
        self._starting: asyncio.Task | None = None
        self._spawned: asyncio.subprocess.Process | None = None  # started, up or not: what close() ends
        self._proc: asyncio.subprocess.Process | None = None  # up: pages go to it
        self._reading: asyncio.Task | None = None
        self._ended = False  # the process is gone, or was signalled to go
        self._waiting: deque[asyncio.Future] = deque()
        self._broken = False

    def expect(self, remaining: int) -> bool:
        """A list says `remaining` objects are still to come: enough of them, and the other
        process starts (its start overlaps the pages decoded here meanwhile). Whether the
        list is big: only a big list's pages go there (a small list's, or a relist's of a
        small kind, would wait behind a big list's queued pages)."""
        if self.offload_at is not None and remaining >= self.offload_at:
            self.start()
            return True
        return False

    def start(self) -> asyncio.Task:
        """Start the other process (once, in the running loop): a task done when it is up
        (or could not be started: then pages stay here)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        return self._starting

    async def _start(self) -> None:
        if self._broken:  # (closed before a list asked for it: nothing is started after the attach stopped)
            return
        if not sys.executable:  # (an embedding interpreter that cannot say where it is: None or "")
            self._gone("no Python executable to start the decoding process with")
            return
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "engine.attach.decodeworker", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
                cwd=_PACKAGE_ROOT, limit=_PIPE_LIMIT)
        except (OSError, ValueError) as e:
            log.info("svcflow attach: decoding pages in this process (%s)", e)
            self._broken = True
            return
        # (known before its hello: a close() meanwhile, which cancels this task, ends it too)
        self._spawned, self.pid = proc, proc.pid
        assert proc.stdout is not None
        try:
            hello = await proc.stdout.readexactly(FRAME_LENGTH.size)  # (an empty frame: it is up)
        except (OSError, asyncio.IncompleteReadError) as e:
            self._gone(f"the decoding process did not start ({e})", ended=True)
            return
        if FRAME_LENGTH.unpack(hello)[0] != 0:
            self._gone("the decoding process said something else than hello")
            return
        self._proc = proc
        self._reading = asyncio.ensure_future(self._read(proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        """The answers, in the order the pages went, each to its page's future."""
        assert proc.stdout is not None
        try:
            while True:
                (n,) = FRAME_LENGTH.unpack(await proc.stdout.readexactly(FRAME_LENGTH.size))
                data = await proc.stdout.readexactly(n)
                if self._waiting:
                    fut = self._waiting.popleft()
                    if not fut.done():
                        fut.set_result(data)
        except (asyncio.IncompleteReadError, OSError) as e:
            self._gone(f"the decoding process ended ({e})", ended=True)

    def _gone(self, why: str, ended: bool = False) -> None:
        """Decode here from now on (`ended`: the process's pipes closed, it is gone: not
        signalled; else it is ended, not left running until close)."""
        if not self._broken:
            log.info("svcflow attach: %s; decoding here", why)
        self._broken = True
        self._ended = self._ended or ended
        self._kill()
        while self._waiting:  # (None: not decoded there; an exception nobody awaits would be logged)
            fut = self._waiting.popleft()
            if not fut.done():
                fut.set_result(None)

    async def submit(self, raw: bytes, kind: str, api_version: str) -> asyncio.Future | None:
        """The page handed to the other process when it is up (None: decoded here, in its
        turn), once the pipe has taken it: a list's fetching waits on the pipe rather than
        pile pages up in its write buffer (whose appends copied it whole, ~3 s at 10,000
        Services). With `ahead` pages in its hands already, this one is decoded here."""
        proc = self._proc
        if proc is None or self._broken or proc.stdin is None or proc.stdin.is_closing():
            return None
        if self.ahead is not None and len(self._waiting) >= self.ahead:
            return None
        head = json.dumps([kind, api_version]).encode()
        fut = asyncio.get_running_loop().create_future()
        self._waiting.append(fut)
        try:
            proc.stdin.write(b"".join((FRAME_LENGTH.pack(len(head)), head, FRAME_LENGTH.pack(len(raw)))))
            proc.stdin.write(raw)
            await proc.stdin.drain()
        except (OSError, RuntimeError) as e:  # (ConnectionResetError, BrokenPipeError: it is gone)
            self._gone(f"the decoding process took no more pages ({e})", ended=True)
        return fut

    async def decoded(self, raw: bytes, pending: asyncio.Future | None, kind: str, api_version: str) -> dict:
        """The page's objects: the other process's answer loaded here, or decoded here."""
        data = await pending if pending is not None else None
        if data is not None:
            try:
                with no_cyclic_gc(freeze=lambda: True):
                    page = marshal.loads(data)
                if not isinstance(page, dict):
                    raise ValueError(f"a {type(page).__name__}, not a page")
            except (EOFError, ValueError, TypeError) as e:
                self._gone(f"a page from the decoding process could not be read ({e})")
            else:
                self.offloaded += 1
                return page
        return decode_page(raw, kind, api_version, freeze=True)

    def _kill(self) -> None:
        """SIGKILL, once, unless it ended by itself. By its pid, not `Process.kill()`:
        Popen's kill first polls, and a process already ended is then reaped here, under
        the child watcher's thread, which says so on stderr ("Unknown child process pid N,
        will report returncode 255"; seen killing one whose pipes had just closed)."""
        proc = self._spawned
        if proc is None or self._ended or proc.returncode is not None:
            return
        self._ended = True
        try:
            os.kill(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Stop the other process (pages it was still decoding are not wanted), started or
        still starting; `aclose` also waits for it to be gone."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        if self._reading is not None:
            self._reading.cancel()
        self._kill()
        self._proc = None
        self._broken = True
        self._gone("closed")

    async def aclose(self, timeout: float = 5.0) -> None:
        """`close`, then wait for the process to be reaped while the loop still runs: else
        the child watcher finds it ended after `asyncio.run` closed the loop and says so on
        stderr ("Loop ... that handles pid N is closed"), under the dashboard's last lines
        or a headless command's answer."""
        starting = self._starting
        self.close()
        if starting is not None:  # (cancelled while creating the process: asyncio kills and waits for it)
            await asyncio.gather(starting, return_exceptions=True)
        proc = self._spawned
        if proc is None:
            return
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except asyncio.TimeoutError:  # (killed: only a kernel stuck on it keeps it)
            pass
