"""The process a big list's pages are decoded in (engine.attach.decoding.PageDecoder).

    python -m engine.attach.decodeworker      # started by the dashboard; speaks on its pipes

On stdin, one frame per page: its kind and apiVersion (a JSON pair), then its bytes as the
API server sent them, each frame its length (8 bytes, big-endian) then its bytes. On
stdout: first an empty frame (it is up, both pipes widened: `widen_pipe`), then one frame
per page, in order: the page as the mirror keeps it (`decode_page`), marshalled (`marshal`:
the same interpreter reads it back; a part the page shares is written once, as pickle
writes it, in half pickle's time). It ends when stdin does.
"""
from __future__ import annotations

import gc
import json
import marshal
import sys
from typing import BinaryIO

from engine.attach.decoding import FRAME_LENGTH, decode_page, widen_pipe


def _frame(inp: BinaryIO) -> bytes | None:
    head = inp.read(FRAME_LENGTH.size)
    if len(head) < FRAME_LENGTH.size:
        return None
    (n,) = FRAME_LENGTH.unpack(head)
    data = inp.read(n)
    return data if len(data) == n else None


def main() -> int:
    gc.disable()  # (decoded, marshalled, let go: nothing here makes a cycle)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    for pipe in (inp, out):  # (before the hello: no page has been written yet)
        widen_pipe(pipe.fileno())
    out.write(FRAME_LENGTH.pack(0))
    out.flush()
    while True:
        head = _frame(inp)
        raw = _frame(inp) if head is not None else None
        if head is None or raw is None:
            return 0
        kind, api_version = json.loads(head)
        data = marshal.dumps(decode_page(raw, kind, api_version, freeze=False))
        out.write(FRAME_LENGTH.pack(len(data)))
        out.write(data)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
