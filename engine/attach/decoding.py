"""A list page's bytes into the objects the mirror keeps, here or in another process.

At 10,000 Services the lists are 600 MB of JSON (100,000 pods, each with its managedFields):
cutting the managedFields out, decoding the rest and keeping each pod's repeated parts once
(`engine.attach.sharing`) took ~5 of the ~10.5 CPU seconds this process spent before the
first full paint, on one core while the machine has more. So once a list says it is big
(`OFFLOAD_AT` objects still to come), its pages are decoded in one other process
(`PageDecoder`), each as soon as its bytes are in, while this process stores the pages before
it and computes kube-proxy's rules: what comes back is the page pickled, its pods' shared
parts pickled once, which this process loads in a fraction of the decoding's time. Small
lists, and every watch event, are decoded here; a process that cannot be started or that
dies leaves the decoding here too, silently (the same objects, a little later).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import json
import logging
import multiprocessing
import os
import pickle
import re
from concurrent.futures.process import BrokenProcessPool

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
    `decode_json`); the other process, whose pages are pickled and let go, does not."""
    with no_cyclic_gc(freeze=lambda: freeze):
        page = decode_json(without_managed_fields(raw)) or {}
        recent: dict = {}
        for o in page.get("items") or ():
            if isinstance(o, dict) and isinstance(o.get("metadata"), dict):
                o["kind"] = kind
                o["apiVersion"] = api_version
                slim(o, recent)
    return page


def _start_worker() -> None:
    """The other process's start: its objects hold no cycles (decoded, pickled, let go), so
    its cyclic collector only ever rescanned pages being decoded."""
    gc.disable()


def _decode_pickled(raw: bytes, kind: str, api_version: str) -> bytes:
    """`decode_page` in the other process, pickled here (the executor's own pickling of the
    result would be loaded by its thread in the mirror's process, outside `no_cyclic_gc`)."""
    return pickle.dumps(decode_page(raw, kind, api_version, freeze=False), protocol=pickle.HIGHEST_PROTOCOL)


class PageDecoder:
    """Where an attach's list pages are decoded: here, until a list says it is big
    (`expect`), then in one other process, started once and shared by every list, pages
    in the order they are handed over (`submit`); `decoded` gives a page's objects either way.

    `offload_at`: None never starts the other process (the headless commands' short lists,
    and a reflector made without a decoder)."""

    def __init__(self, offload_at: int | None = OFFLOAD_AT) -> None:
        self.offload_at = offload_at
        self.offloaded = 0  # pages the other process decoded (the benchmark reports it)
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._up: concurrent.futures.Future | None = None
        self._broken = False

    def expect(self, remaining: int) -> None:
        """A list says `remaining` objects are still to come: enough of them, and the other
        process starts (its start overlaps the pages decoded here meanwhile)."""
        if self.offload_at is not None and remaining >= self.offload_at:
            self.start()

    def start(self) -> concurrent.futures.Future | None:
        """Start the other process (once): a future done when it is up, None when it cannot be."""
        if self._pool is not None or self._broken:
            return self._up
        try:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker)
            self._up = self._pool.submit(os.getpid)  # (done when the process is up: its pid)
        except (OSError, RuntimeError, ValueError) as e:  # (no process can be started here: decode here)
            log.info("svcflow attach: decoding pages in this process (%s)", e)
            self._broken = True
        return self._up

    @property
    def pid(self) -> int | None:
        """The other process's pid once it is up (the benchmark reads its CPU time)."""
        up = self._up
        if up is None or not up.done() or up.cancelled() or up.exception() is not None:
            return None
        return up.result()

    def submit(self, raw: bytes, kind: str, api_version: str) -> concurrent.futures.Future | None:
        """The page handed to the other process when it is up; None: decoded here, in its turn."""
        up = self._up
        if self._pool is None or self._broken or up is None or not up.done():
            return None
        if up.cancelled() or up.exception() is not None:
            self._broken = True
            return None
        try:
            return self._pool.submit(_decode_pickled, raw, kind, api_version)
        except (BrokenProcessPool, RuntimeError):
            self._broken = True
            return None

    async def decoded(self, raw: bytes, pending: concurrent.futures.Future | None, kind: str,
                      api_version: str) -> dict:
        """The page's objects: the other process's answer loaded here, or decoded here."""
        if pending is not None:
            try:
                data = await asyncio.wrap_future(pending)
            except (BrokenProcessPool, concurrent.futures.CancelledError, OSError, pickle.PickleError) as e:
                log.info("svcflow attach: the decoding process failed (%s); decoding here", e)
                self._broken = True
            else:
                self.offloaded += 1
                with no_cyclic_gc(freeze=lambda: True):
                    return pickle.loads(data)
        return decode_page(raw, kind, api_version, freeze=True)

    def close(self) -> None:
        """Stop the other process (pages it was still decoding are not wanted)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
