"""Text laid into the flow diagram's boxes and captions: wrapped where a reader expects a
break (between a list's items, at spaces, a long name after a `-` or `.`), a long list
counted (`10.244.1.7, +9 more`), and cut with `…` only when there is no row left. Plain
strings in, plain strings out, measured in cells (a Korean letter takes two)."""
from __future__ import annotations

import re
from typing import Callable

from rich.cells import cell_len


def as_is(s: str) -> str:
    """No translation (the default `tr`)."""
    return s


def fit(text: str, width: int) -> str:
    """Cut to `width` cells with an ellipsis: the last resort, for a line with no row left
    to wrap onto (`fill`) or a one-line place (a box's title). Cells, not characters: a
    Korean label takes two cells a letter."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        cw = cell_len(ch)
        if used + cw > width - 1:
            break
        out.append(ch)
        used += cw
    return "".join(out) + "…"


def wrap(text: str, width: int) -> list[str]:
    """Break a caption or a long value over lines at spaces; a word longer than a line (a DNS
    name, for narrow boxes) at its dots. When that leaves lines half empty, a word longer
    than half a line (a long Service's DNS name) is broken after its dots, then its dashes,
    where the line runs out: whichever takes the fewest lines (a 60-character Service's
    "still serves ...; adds ..." took five rows of a 30-row screen). An address is never
    split mid-way when a space can take the break (`10.` / `96.0.10:53` was hard to read)."""
    if cell_len(text) <= width or width < 8:
        return [text]
    best: list[str] = []
    for breaks, split_over in ((".", None), (".", width // 2), (".-", width // 2)):
        lines: list[str] = []
        cur = _lay_words(lines, "", text.split(" "), width, breaks, split_over)
        lines += [cur] if cur else []
        if not best or _wrap_cost(lines, width) < _wrap_cost(best, width):
            best = lines
    return best


def _wrap_cost(lines: list[str], width: int) -> tuple[int, int]:
    """A wrap's badness: lines still too long (left for `fill` to cut), then lines used."""
    return sum(cell_len(line) > width for line in lines), len(lines)


def wrap_words(text: str, width: int) -> list[str]:
    """Break a box's line into lines of `width` cells: between its comma-separated parts
    first (`8 chains written,` / `12 deleted`; an IP list never splits an address), within a
    part at spaces, and a word longer than the line after a `-` or `.` (a pod's name
    `redis-5f76747674-` / `v6q5x`, a chain's `KUBE-SVC-` / `OKJCEJEOAS2LLIDR`). A word with
    neither stays whole (`fill` cuts it)."""
    if cell_len(text) <= width or width < 4:
        return [text]
    lines: list[str] = []
    cur = ""
    clauses = text.split(", ")
    for i, clause in enumerate(clauses):
        piece = clause + ("," if i < len(clauses) - 1 else "")
        if cell_len(piece) <= width and (not cur or cell_len(cur) + 1 + cell_len(piece) <= width):
            cur = f"{cur} {piece}" if cur else piece
        elif cell_len(piece) <= width:
            lines.append(cur)
            cur = piece
        else:
            cur = _lay_words(lines, cur, piece.split(" "), width, ".-")
    return lines + ([cur] if cur else [])


def _lay_words(lines: list[str], cur: str, words: list[str], width: int, breaks: str,
               split_over: int | None = None) -> str:
    """Lay `words` after the open line `cur`, a space between two, appending each full line
    to `lines`; a word longer than a line (or than `split_over` cells) is broken after its
    `breaks` characters where the line runs out. Returns the line left open."""
    limit = width if split_over is None else min(width, split_over)
    for word in words:
        parts = [word] if cell_len(word) <= limit else re.split(f"(?<=[{re.escape(breaks)}])", word)
        for j, part in enumerate(parts):
            sep = " " if j == 0 and cur else ""
            if cur and cell_len(cur) + len(sep) + cell_len(part) > width:
                lines.append(cur)
                cur, sep = "", ""
            cur += sep + part
    return cur


def fill(lines: list[tuple[str, str]], width: int, rows: int) -> list[tuple[str, str]]:
    """A box's lines in at most `rows` rows of `width` cells: each line wrapped
    (`wrap_words`) while the lines after it still get a row each; only what is left
    over then is cut with `…` (a box's builder summarises first: `pack`). More lines than
    rows: the first ones, a row each (the CoreDNS box of a long name was left empty)."""
    out: list[tuple[str, str]] = []
    for i, (text, style) in enumerate(lines):
        left = rows - len(out)
        if left <= 0:
            break  # (more lines than rows: the first ones are shown, the box never empty)
        room = left - min(len(lines) - i - 1, left - 1)
        parts = wrap_words(text, width)
        if len(parts) > room:
            parts = parts[: room - 1] + [" ".join(parts[room - 1:])]
        out.extend((fit(part, width), style) for part in parts)
    return out


def rows_needed(lines: list[tuple[str, str]], width: int) -> int:
    """The rows `lines` take wrapped to `width` (what a box grows to, room allowing)."""
    return sum(len(wrap_words(text, width)) for text, _ in lines)


def ip_count(n: int) -> str:
    """`1 IP`, `3 IPs`: a list too long for its place, counted."""
    return f"{n} IP{'s' if n != 1 else ''}"


def pack(template: str, items: list[str], width: int, rows: int, tr: Callable[[str], str] = as_is,
         sep: str = ", ", whole: Callable[[int], str] = ip_count) -> list[str]:
    """`template` (`ready: {ips}`) with as many of `items` as fit in `rows` lines of `width`
    cells, `sep`-separated, the rest counted (`10.244.1.2, 10.244.2.3, +3 more`; none fits:
    `whole(n)`, `12 IPs`): a long list is summarised with its count, never cut in the middle
    of an address. Lines break between items (and after the template's words)."""
    head, _, tail = template.partition("{ips}")
    lines: list[str] = []
    for k in range(len(items), -1, -1):
        shown = items[:k]
        if k < len(items):
            shown = shown + [tr("+{n} more").format(n=len(items) - k) if k else whole(len(items))]
        pieces = [w for w in head.split(" ") if w] + \
            [item + (sep.rstrip() if i < len(shown) - 1 else tail) for i, item in enumerate(shown)]
        lines = _lay(pieces, width)
        if len(lines) <= max(1, rows) and all(cell_len(line) <= width for line in lines):
            return lines
    return lines


def _lay(pieces: list[str], width: int) -> list[str]:
    """Words into lines of `width` cells, greedily, a space between two on a line."""
    lines: list[str] = []
    cur = ""
    for piece in pieces:
        if cur and cell_len(cur) + 1 + cell_len(piece) > width:
            lines.append(cur)
            cur = piece
        else:
            cur = f"{cur} {piece}" if cur else piece
    return lines + ([cur] if cur else [])


def service_address(ip: str, ports: tuple[str, ...], width: int, rows: int,
                    tr: Callable[[str], str] = as_is) -> list[str]:
    """The Service box's address: `10.96.36.4:6379` as the figure always wrote it, or, when
    that does not fit, the ports as separate words over `rows` lines (`10.96.0.10 :53/UDP` /
    `:53/TCP :9153/TCP`), the ports left over counted, rather than `10.96.0.10:53,53,91…`."""
    joined = f"{ip}:{','.join(ports)}" if ports else ip
    if cell_len(joined) <= width or not ports:
        return [joined]
    return pack("{ips}", [ip] + [f":{p}" for p in ports], width, rows, tr, sep=" ",
                whole=lambda n: f"{ip} +{n - 1}")


def service_ports(ports: list[dict]) -> tuple[str, ...]:
    """A Service's ports as the figure names them: `6379`, `3000:31000` (port:nodePort), with
    the protocol only when the Service mixes them (kube-dns's `53/UDP`, `53/TCP`,
    `9153/TCP`: `53,53` would say nothing)."""
    mixed = len({p.get("protocol", "TCP") for p in ports}) > 1
    return tuple(f"{p.get('port')}" + (f":{p['nodePort']}" if p.get("nodePort") else "")
                 + (f"/{p.get('protocol', 'TCP')}" if mixed else "") for p in ports)
