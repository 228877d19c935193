"""A DataTable that follows a list of engine rows by key, k9s style.

Rows are added, updated cell by cell and removed in place — never cleared and rebuilt —
so the cursor and scroll position survive a reload. Added, changed and removed rows
flash in distinct colours for a moment, as k9s shows deltas.
"""
from __future__ import annotations

import time
from typing import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from engine.views import Row

FLASH_SECONDS = 1.5
STYLE_COLOURS = {
    "running": "green", "pending": "yellow", "notready": "dark_orange", "failed": "red",
    "terminating": "magenta", "succeeded": "grey50", "": "",
}
FLASH_STYLES = {"added": "bold black on green", "changed": "bold black on yellow", "removed": "strike red"}


class ResourceTable(DataTable):
    """A table of one kind of object, synced from `engine.views` rows."""

    DEFAULT_CSS = """
    ResourceTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[str], *, id: str | None = None, sort_by_name: bool = True) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.sort_by_name = sort_by_name
        self._columns = tuple(columns)
        self._rows: dict[str, Row] = {}
        self._flash: dict[str, tuple[str, float]] = {}
        self._gone: set[str] = set()
        self.highlight: set[str] = set()
        self._drawn_highlight: set[str] = set()
        self._widest: dict[str, int] = {}

    def on_mount(self) -> None:
        for c in self._columns:
            self.add_column(c, key=c)

    def _widens(self, column: str, cell: Text) -> bool:
        """Ask DataTable to re-measure only when a cell is wider than its column: its
        width update re-measures the whole column when a cell shrinks, which is
        quadratic when thousands of rows change at once."""
        col = self.columns.get(ColumnKey(column))
        width = max(self._widest.get(column, 0), col.content_width if col is not None else 0)
        if cell.cell_len > width:
            self._widest[column] = cell.cell_len
            return True
        return False

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - an empty or shrinking table has no cursor row
            return None
        return None if key in self._gone else key

    def _render(self, row: Row, flash: str | None) -> list[Text]:
        if flash:
            style = FLASH_STYLES[flash]
        elif row.key in self.highlight:
            style = "bold reverse " + (STYLE_COLOURS.get(row.style) or "cyan")
        else:
            style = STYLE_COLOURS.get(row.style, "")
        return [Text(c, style=style) for c in row.cells]

    def sync(self, rows: Sequence[Row], *, flash: bool = True) -> None:
        """Make the table show `rows`, touching only what changed."""
        now = time.monotonic()
        added = False
        new = {r.key: r for r in rows}
        leaving = sum(1 for k in self._rows if k not in new)
        if leaving > max(200, len(self._rows) // 4):
            self._rebuild(rows)  # DataTable.remove_row is O(rows): thousands at once go faster this way
            return
        for key in list(self._gone):
            if key in self._flash and now - self._flash[key][1] < FLASH_SECONDS:
                continue
            self._gone.discard(key)
            self._flash.pop(key, None)
            if key not in new and key in self._rows:
                self.remove_row(key)
                del self._rows[key]
        for key, old in list(self._rows.items()):
            if key not in new and key not in self._gone:
                self._gone.add(key)
                self._flash[key] = ("removed", now)
                for col, cell in zip(self._columns, self._render(old, "removed")):
                    self.update_cell(key, col, cell, update_width=self._widens(col, cell))
        for r in rows:
            kind = None
            if r.key not in self._rows or r.key in self._gone:
                if r.key in self._gone:
                    self._gone.discard(r.key)
                    self.remove_row(r.key)
                kind = "added"
            elif self._rows[r.key] != r:
                kind = "changed"
            if kind and flash:
                self._flash[r.key] = (kind, now)
            live_flash = self._flash.get(r.key)
            f = live_flash[0] if live_flash and now - live_flash[1] < FLASH_SECONDS else None
            if kind == "added":
                self.add_row(*self._render(r, f), key=r.key)
                added = True
            elif kind or f:
                for col, cell in zip(self._columns, self._render(r, f)):
                    self.update_cell(r.key, col, cell, update_width=self._widens(col, cell))
            self._rows[r.key] = r
        if added and self.sort_by_name:
            self._order()

    def _rebuild(self, rows: Sequence[Row]) -> None:
        """Clear and refill, keeping the cursor on the same object when it survives."""
        keep = self.selected_key
        self.clear()
        self._rows.clear()
        self._flash.clear()
        self._gone.clear()
        self._drawn_highlight = set()
        for r in sorted(rows, key=lambda r: r.cells[0]) if self.sort_by_name else rows:
            self.add_row(*self._render(r, None), key=r.key)
            self._rows[r.key] = r
        if keep is not None and keep in self._rows:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def _order(self) -> None:
        """Keep rows in API order (by key) after additions, with the cursor on the same row."""
        keep = self.selected_key
        # The first column is the name (namespace/name in all-namespaces mode): API order.
        self.sort(self._columns[0], key=lambda name: name.plain if isinstance(name, Text) else str(name))
        if keep is not None:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def refresh_styles(self) -> None:
        """Re-render the rows whose highlight changed or whose flash is running or ending
        (not every row: a selection in a 10,000-row table must stay instant)."""
        now = time.monotonic()
        touched = (self.highlight ^ self._drawn_highlight) | set(self._flash)
        self._drawn_highlight = set(self.highlight)
        for key in touched:
            r = self._rows.get(key)
            if r is None or key in self._gone:
                continue
            fl = self._flash.get(key)
            f = fl[0] if fl and now - fl[1] < FLASH_SECONDS else None
            if f is None:
                self._flash.pop(key, None)
            for col, cell in zip(self._columns, self._render(r, f)):
                self.update_cell(key, col, cell, update_width=self._widens(col, cell))
