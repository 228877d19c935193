"""Go's text/tabwriter, as kubectl configures it (minwidth 6, padding 3, pad char ' ').

kubectl writes each table row as tab-separated cells ending in a newline and lets the
tabwriter align them. Reproducing the real algorithm (column *blocks* of consecutive
lines, the last cell of a line never padded) rather than a "pad every column" shortcut is
what makes odd tables — rows with fewer cells, empty cells — come out byte-identical.
"""
from __future__ import annotations

from collections.abc import Sequence


def _format(lines: list[list[str]], widths: list[int], line0: int, line1: int,
            minwidth: int, padding: int, out: list[str]) -> None:
    """tabwriter.format: find the block of lines that have a cell in the next column,
    size that column from the block alone, then recurse for the columns to its right."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, minwidth, padding, out)
        widths.pop()
        line0 = this
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int,
                 out: list[str]) -> None:
    """tabwriter.writeLines: pad cells that belong to a sized column, leave the rest."""
    for cells in lines[line0:line1]:
        parts = []
        for j, cell in enumerate(cells):
            parts.append(cell)
            if j < len(widths):
                parts.append(" " * (widths[j] - len(cell)))
        out.append("".join(parts) + "\n")


def render_text(text: str, *, minwidth: int = 6, padding: int = 3) -> str:
    """Align already tab-separated, newline-terminated text (what kubectl writes into
    its tabwriter). A trailing line without a newline is emitted unpadded, as Flush does."""
    raw = text.split("\n")
    tail = raw.pop()  # text after the last newline (usually "")
    lines = [line.split("\t") for line in raw]
    out: list[str] = []
    _format(lines, [], 0, len(lines), minwidth, padding, out)
    return "".join(out) + tail


def render_table(rows: Sequence[Sequence[str]], *, minwidth: int = 6, padding: int = 3) -> str:
    """Render rows of cells the way kubectl's tabwriter does.

    Column width = max(minwidth, widest cell + padding) over each block of consecutive
    rows that reach that column; the last cell of each row is written as-is (so no
    trailing spaces), and every row ends with "\\n". Widths count characters (runes),
    as Go does.
    """
    text = "".join("\t".join(str(c) for c in row) + "\n" for row in rows)
    return render_text(text, minwidth=minwidth, padding=padding)
