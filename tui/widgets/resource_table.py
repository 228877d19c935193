"""A table of engine rows, synced by key, that stays fast at 100,000 rows.

Rows are added, updated and removed in place — never cleared and rebuilt — so the
cursor and scroll position survive a reload. Added, changed and removed rows flash in
distinct colours for a moment, as k9s shows deltas.

It looks and behaves like Textual's `DataTable` (same component classes and CSS, same
cell rendering, row cursor, keys and `DataTable.RowHighlighted` messages), but it is a
line-API `ScrollView`, as Toolong's log view is: it keeps the rows in a list and
renders only the lines on screen, styling a row when it is drawn. `DataTable` keeps a
per-row structure, measures every new cell, sorts by rebuilding its row index and
removes a row in O(rows); at the scale of every pod of a 10,000-Service cluster
(100,000 rows) loading it takes seconds and a filter that drops most rows takes
minutes. Here a sync costs one pass over the rows it is given, a cursor move or a
scroll costs the lines redrawn, and restyling (highlights, flashes) is a repaint.
"""
from __future__ import annotations

import time
from bisect import bisect_left
from itertools import dropwhile
from typing import Callable, Sequence

from rich.cells import cell_len
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Region, Size, Spacing
from textual.renderables.styled import Styled
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey

from engine.views.panes import Row

FLASH_SECONDS = 1.5
STYLE_COLOURS = {
    "running": "green", "pending": "yellow", "notready": "dark_orange", "failed": "red",
    "terminating": "magenta", "succeeded": "grey50", "": "",
}
FLASH_STYLES = {"added": "bold black on green", "changed": "bold black on yellow", "removed": "strike red"}
CELL_PADDING = 1
HEADER_HEIGHT = 1
BULK_CHANGE = 2000  # rows coming or going in one sync that make it a new view (see _sync_bulk)
BULK_LIST_KEEP = 5_000  # lists at least this long are remembered after a bulk change
_LINE_CACHE_SIZE = 512


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _data_table_css() -> str:
    """DataTable's own CSS, for this widget: the same look, themes included."""
    return DataTable.DEFAULT_CSS.replace("DataTable", "ResourceTable")


class ResourceTable(ScrollView, can_focus=True):
    """A table of one kind of object, synced from `engine.views.panes` rows."""

    COMPONENT_CLASSES = set(DataTable.COMPONENT_CLASSES)
    DEFAULT_CSS = _data_table_css() + """
    ResourceTable { height: 1fr; }
    """
    #: The clock a row's flash is timed by (FLASH_SECONDS). A class attribute so that the
    #: screenshot tests can stop it: a screenshot taken right after a change must show the
    #: change's flash however long a loaded machine took to get there.
    clock: Callable[[], float] = staticmethod(time.monotonic)
    BINDINGS = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "scroll_top", "Top", show=False),
        Binding("ctrl+end", "scroll_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    def __init__(self, columns: Sequence[str], *, id: str | None = None, sort_by_name: bool = True,
                 drop_order: Sequence[str] = (), compact=None, compact_label: str = "") -> None:
        super().__init__(id=id)
        # When the columns do not fit the pane, a table given `compact` (cells -> one
        # line) draws each row as that one line, cut only at the pane's edge, under
        # `compact_label`: the CoreDNS pane's `name → value` at a talk's 100 columns.
        # Rows, keys, selection and highlights are the same either way.
        self._compact = compact
        self._compact_label = Text(compact_label or "", overflow="ellipsis")
        self.compacted = False
        self.sort_by_name = sort_by_name
        self._columns = tuple(columns)
        # Columns hidden, in this order, while the table is wider than its pane (a talk's
        # big font leaves ~48 columns a pane: the pods' IP matters more than RESTARTS).
        self._drop_order = [self._columns.index(c) for c in drop_order]
        self._shown_memo: tuple = ((), [])
        self._fit_memo: tuple = ((), [])
        self._labels = [Text.from_markup(c, overflow="ellipsis") for c in self._columns]
        self._label_widths = [_width(label.plain) for label in self._labels]
        self._widths = list(self._label_widths)  # content widths, kept as DataTable keeps them (see _on_idle)
        # Per column: how many current cells have each width (so "the widest cell now"
        # is cheap), and what changed since the last idle.
        self._width_counts: list[dict[int, int]] | None = [{} for _ in self._columns]
        self._measured: dict[str, Row] = {}  # rows whose widths were counted, after a bulk change
        self._rows_version = 0  # bumped whenever _rows changes (for indexes over it)
        self._name_index: tuple | None = None
        # Big lists shown by a bulk change: id -> (rows, by key, keys in order, names, positions).
        self._bulk_lists: dict[int, tuple] = {}
        self._bulk_shown: Sequence[Row] | None = None
        self._new_keys: set[str] = set()
        self._updated_keys: set[str] = set()
        self._all_updated = False
        self._rows: dict[str, Row] = {}
        self._keys: list[str] = []  # display order
        self._sort_keys: list[str] = []  # the first cell of each row in _keys (sort_by_name tables)
        self._pos: dict[str, int] | None = None  # key -> index in _keys, rebuilt lazily
        self._flash: dict[str, tuple[str, float]] = {}
        self._gone: set[str] = set()
        self.highlight: set[str] = set()
        self.cursor_row = 0
        self.show_cursor = True
        self.cursor_type = "row"
        self._line_cache: dict[tuple, Strip] = {}

    # -- DataTable-compatible API ---------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_coordinate(self) -> Coordinate:
        return Coordinate(self.cursor_row, 0)

    @property
    def selected_key(self) -> str | None:
        if not self._keys or not 0 <= self.cursor_row < len(self._keys):
            return None
        key = self._keys[self.cursor_row]
        return None if key in self._gone else key

    def keys_named(self, names: set[str], strip: str = ".") -> set[str]:
        """Keys of the rows whose first cell (less trailing ``strip``) is one of ``names``:
        the DNS records of a selection, found through an index of the first cells (built
        once per change of the rows), not by testing 230,000 rows on every selection."""
        if not names:
            return set()
        version = (self._rows_version, id(self._rows))
        if self._name_index is None or self._name_index[0] != version:
            index: dict[str, list[str]] = {}
            for k, r in self._rows.items():
                index.setdefault(r.cells[0].rstrip(strip), []).append(k)
            self._name_index = (version, index)
        index = self._name_index[1]
        return {k for n in names for k in index.get(n, ()) if k not in self._gone}

    def keys_where(self, pred) -> set[str]:
        """Keys of the rows (shown now) whose cells satisfy ``pred(cells)``: what a highlight
        lights up, found among the rows the pane already has rather than recomputed."""
        return {k for k, r in self._rows.items() if k not in self._gone and pred(r.cells)}

    def get_row_index(self, key: str) -> int:
        pos = self._positions().get(key)
        if pos is None:
            raise RowDoesNotExist(f"No row exists for row_key={key!r}")
        return pos

    def move_cursor(self, *, row: int | None = None, column: int | None = None, animate: bool = False,
                    scroll: bool = True) -> None:
        if row is not None:
            if scroll:
                self._scroll_row_into_view(self._clamp(row), animate=animate)
            self._set_cursor(row)

    # -- syncing ------------------------------------------------------------------------------
    def sync(self, rows: Sequence[Row], *, flash: bool = True) -> None:
        """Make the table show `rows`, touching only what changed."""
        now = self.clock()
        keep = self.selected_key
        cursor_before = self.cursor_row
        seen = self._bulk_lists.get(id(rows))
        if seen is not None and seen[0] is rows:  # a big list shown before (a filter cleared)
            if rows is not self._bulk_shown:
                self._sync_bulk(rows, seen[1], keep, seen)
            return
        self._bulk_shown = None
        new = {r.key: r for r in rows}
        if len(self._rows) + len(new) > BULK_CHANGE:
            rows_ = self._rows
            gone = self._gone
            common = len(new.keys() & rows_.keys()) if len(new) <= len(rows_) else len(rows_.keys() & new.keys())
            changes = (len(rows_) - common) + (len(new) - common) + len(gone & new.keys())
            if changes > BULK_CHANGE:
                self._sync_bulk(rows, new, keep)
                return
        self._own()  # (a change in place from here on)
        structural = False
        # Rows that finished flashing "removed" go now.
        expired = [k for k in self._gone
                   if not (k in self._flash and now - self._flash[k][1] < FLASH_SECONDS)]
        drop: set[str] = set()
        for key in expired:
            self._gone.discard(key)
            self._flash.pop(key, None)
            if key not in new and key in self._rows:
                drop.add(key)
                self._count_widths(self._rows.pop(key), -1)
                self._rows_version += 1
        # Rows no longer wanted flash "removed" first.
        for key in self._rows:
            if key not in new and key not in self._gone:
                self._gone.add(key)
                self._flash[key] = ("removed", now)
                self._updated_keys.add(key)
        added: list[Row] = []
        for r in rows:
            old = self._rows.get(r.key)
            kind = None
            if old is None or r.key in self._gone:
                if r.key in self._gone:  # back before it went: re-added at the end
                    self._gone.discard(r.key)
                    drop.add(r.key)
                    self._count_widths(old, -1)
                kind = "added"
                added.append(r)
                self._count_widths(r, +1)
                self._new_keys.add(r.key)
            elif old is not r and old != r:
                kind = "changed"
                self._count_widths(old, -1)
                self._count_widths(r, +1)
            if kind and flash:
                self._flash[r.key] = (kind, now)
            if kind == "changed":
                self._updated_keys.add(r.key)
            elif kind is None:
                fl = self._flash.get(r.key)
                if fl and now - fl[1] < FLASH_SECONDS:
                    self._updated_keys.add(r.key)  # restyled while it flashes
            if old is not r:
                self._rows[r.key] = r
                self._rows_version += 1
        if drop:
            self._remove(drop)
            structural = True
        if added:
            self._insert(added, rows)
            structural = True
        self._line_cache.clear()
        self._update_virtual_size()
        self.check_idle()
        if structural:
            self._pos = None
            if keep is not None and keep in self._rows and keep not in self._gone:
                self._set_cursor(self.get_row_index(keep), scroll=True)
            else:
                self._set_cursor(self.cursor_row)
            if cursor_before == self.cursor_row and self._keys and len(self._keys) == len(added) and not drop:
                self._highlight(self.cursor_row)  # a cursor row exists now where there was none
        self.refresh()

    def _sync_bulk(self, rows: Sequence[Row], new: dict[str, Row], keep: str | None,
                   seen: tuple | None = None) -> None:
        """A new view rather than a change (a filter, all namespaces): thousands of rows
        come or go at once. They are swapped in without flashing each, and columns only
        widen from then on (exact DataTable widths would re-measure every cell): per row
        this is an identity check, so filtering 100,000 rows stays a blink. A list shown
        this way is remembered (its keys in order), so showing it again -- clearing a
        filter -- costs nothing per row."""
        was_empty = not self._keys
        self._bulk_shown = rows
        # Shown as remembered, not copied: the next sync that changes rows in place takes
        # its own copies first (`_own`), so a filter swap costs nothing per row.
        self._rows = new
        self._shared = True
        self._rows_version += 1
        self._gone.clear()
        self._flash.clear()
        self._width_counts = None
        self._new_keys.clear()
        self._updated_keys.clear()
        self._all_updated = False
        if seen is not None:
            _, _, keys, names, positions = seen
        else:
            measured = self._measured
            widths = self._widths
            for r in rows:
                if measured.get(r.key) is not r:
                    measured[r.key] = r
                    for ci, c in enumerate(r.cells[: len(widths)]):
                        n = _width(c)
                        if n > widths[ci]:
                            widths[ci] = n
            # (kept for the remembered lists too: a filter's rows are mostly measured already)
            if len(measured) > 2 * max([len(new), *(len(e[0]) for e in self._bulk_lists.values())]) + 1024:
                self._measured = {k: r for k, r in measured.items() if k in new}
            keys = [r.key for r in rows]
            names = None
            if self.sort_by_name:
                names = [r.cells[0] for r in rows]
                if any(a > b for a, b in zip(names, names[1:])):
                    order = sorted(range(len(rows)), key=names.__getitem__)
                    keys = [keys[i] for i in order]
                    names = [names[i] for i in order]
            positions = None
            if len(rows) >= BULK_LIST_KEEP:
                positions = {k: i for i, k in enumerate(keys)}
                self._bulk_lists[id(rows)] = (rows, new, keys, names, positions)
                while len(self._bulk_lists) > 2:
                    # The oldest goes, unless it is the biggest (the unfiltered list a
                    # cleared filter comes back to): filters in a row must not push it out.
                    biggest = max(self._bulk_lists, key=lambda i: len(self._bulk_lists[i][0]))
                    self._bulk_lists.pop(next(i for i in self._bulk_lists if i != biggest))
        if names is not None:
            self._sort_keys = names
        self._keys = keys
        self._pos = positions
        self._line_cache.clear()
        self._update_virtual_size()
        before = self.cursor_row
        if keep is not None and keep in new:
            self._set_cursor(self.get_row_index(keep), scroll=True)
        else:
            self._set_cursor(self.cursor_row)
        if was_empty and self._keys and self.cursor_row == before:
            self._highlight(self.cursor_row)  # a cursor row exists now where there was none
        self.refresh()

    _shared = False  # _rows/_keys/_sort_keys are a remembered list's (see _sync_bulk)

    def _own(self) -> None:
        """Copy what is shown with a remembered list before changing it in place."""
        if self._shared:
            self._rows = dict(self._rows)
            self._keys = list(self._keys)
            self._sort_keys = list(self._sort_keys)  # (_pos is only ever replaced: it may stay)
            self._shared = False

    def _count_widths(self, r: Row | None, sign: int) -> None:
        if r is None:
            return
        if self._width_counts is None:  # after a bulk change: widths only grow
            if sign > 0:
                self._measured[r.key] = r
                for ci, c in enumerate(r.cells[: len(self._widths)]):
                    n = _width(c)
                    if n > self._widths[ci]:
                        self._widths[ci] = n
            return
        for counts, c in zip(self._width_counts, r.cells):
            n = _width(c)
            left = counts.get(n, 0) + sign
            if left > 0:
                counts[n] = left
            else:
                counts.pop(n, None)

    def _on_idle(self, event: events.Idle) -> None:
        """Column widths, as DataTable settles them when idle: a new row widens a
        column to fit; an updated cell narrower than its column makes the column fit its
        widest current cell (so widths can shrink); a wider one widens it. Rows removed
        before then do not count.

        Every cell already measured is no wider than its column (each rule above keeps
        that true), so both rules come down to the widest current cell, which the
        per-column width counts give without measuring anything again: an update of
        100,000 rows (a filter) costs nothing here."""
        if not (self._new_keys or self._updated_keys or self._all_updated):
            return
        if self._width_counts is None:  # widths only grow (see _sync_bulk), done in _count_widths
            self._new_keys.clear()
            self._updated_keys.clear()
            self._all_updated = False
            self._update_virtual_size()
            self.refresh()
            return
        widths = self._widths
        before = list(widths)
        rows = self._rows
        if self._all_updated or any(k in rows for k in self._updated_keys):
            for ci, counts in enumerate(self._width_counts):
                widths[ci] = max([self._label_widths[ci], *counts])
        if any(k in rows for k in self._new_keys):
            for ci, counts in enumerate(self._width_counts):
                widths[ci] = max([widths[ci], *counts])
        self._new_keys.clear()
        self._updated_keys.clear()
        self._all_updated = False
        if widths != before:
            self._line_cache.clear()
            self._update_virtual_size()
            self.refresh()

    def _insert(self, added: list[Row], order: Sequence[Row] = ()) -> None:
        """Sorted tables keep API (name) order; the others keep the order of the rows given
        (CoreDNS's records in zone order: cleared, a `/` filter put its records back at the
        end). A row that order does not place (none given) is appended, as DataTable's add_row does."""
        if not self.sort_by_name:
            pos = {r.key: i for i, r in enumerate(order)} if order else {}
            adds = sorted((pos.get(r.key, len(pos)), r.key) for r in added)
            merged: list[str] = []
            ai = 0
            for k in self._keys:  # (one merge pass: a new row goes before the first row it precedes)
                pk = pos.get(k)
                while pk is not None and ai < len(adds) and adds[ai][0] < pk:
                    merged.append(adds[ai][1])
                    ai += 1
                merged.append(k)
            merged += [k for _, k in adds[ai:]]
            self._keys = merged
            return
        if len(added) > 32 or not self._keys:
            self._keys.extend(r.key for r in added)
            rows = self._rows
            # Stable, like DataTable.sort: equal names keep their relative order.
            self._keys.sort(key=lambda k: rows[k].cells[0])
            self._sort_keys = [rows[k].cells[0] for k in self._keys]
            return
        for r in added:
            name = r.cells[0]
            i = bisect_left(self._sort_keys, name)
            while i < len(self._sort_keys) and self._sort_keys[i] == name:
                i += 1  # after equal names, as a stable sort of an append leaves it
            self._keys.insert(i, r.key)
            self._sort_keys.insert(i, name)

    def _remove(self, keys: set[str]) -> None:
        if len(keys) == 1 and len(self._keys) > 64:
            (key,) = keys
            i = self._positions().get(key)
            if i is not None:
                del self._keys[i]
                if self.sort_by_name:
                    del self._sort_keys[i]
            return
        pairs = [(k, s) for k, s in zip(self._keys, self._sort_keys or self._keys) if k not in keys]
        self._keys = [k for k, _ in pairs]
        if self.sort_by_name:
            self._sort_keys = [s for _, s in pairs]

    def _positions(self) -> dict[str, int]:
        if self._pos is None:
            self._pos = {k: i for i, k in enumerate(self._keys)}
        return self._pos

    def refresh_styles(self) -> None:
        """Redraw every row (after the highlight set or flash timers changed): rows are
        styled when drawn, so this is a repaint of what is on screen. Rows that finished
        flashing "removed" go now rather than at the next sync."""
        now = self.clock()
        done = [k for k, (_, t) in self._flash.items() if now - t >= FLASH_SECONDS]
        gone = {k for k in done if k in self._gone}
        for key in done:
            del self._flash[key]
        if gone:
            self._own()
            keep = self.selected_key
            self._gone -= gone
            for key in gone:
                self._count_widths(self._rows.pop(key, None), -1)
                self._rows_version += 1
            self._remove(gone)
            self._pos = None
            self._update_virtual_size()
            if keep is not None and keep in self._rows:
                self._set_cursor(self.get_row_index(keep), scroll=False)
            else:
                self._set_cursor(self.cursor_row)
        self._all_updated = True  # DataTable re-measured every cell it restyled
        # No need to drop the drawn lines: a line's cache key holds its row's style (the
        # highlight, the flash), so only the rows whose look changed are drawn again.
        self.refresh()
        self.check_idle()

    # -- cursor -----------------------------------------------------------------------------
    def _clamp(self, row: int) -> int:
        return max(0, min(row, len(self._keys) - 1)) if self._keys else 0

    def _set_cursor(self, row: int, *, scroll: bool = True) -> None:
        row = self._clamp(row)
        if row == self.cursor_row:
            return
        self.cursor_row = row
        self._line_cache.clear()
        self.refresh()
        self._highlight(row)
        if scroll:
            self._scroll_row_into_view(row)

    def _highlight(self, row: int) -> None:
        if 0 <= row < len(self._keys):
            self.post_message(DataTable.RowHighlighted(self, row, RowKey(self._keys[row])))  # type: ignore[arg-type]

    def _scroll_row_into_view(self, row: int, animate: bool = False) -> None:
        width = max(self.size.width, self._table_width())
        region = Region(int(self.scroll_x), row + HEADER_HEIGHT, width, 1)
        self.scroll_to_region(region, animate=animate, spacing=Spacing(HEADER_HEIGHT, 0, 0, 0), force=True)

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_row + 1)

    def action_page_down(self) -> None:
        height = self.scrollable_content_region.height - HEADER_HEIGHT
        rows_to_scroll = min(height + 1, len(self._keys) - self.cursor_row)
        self.scroll_relative(y=height, animate=False, force=True)
        self._set_cursor(self.cursor_row + rows_to_scroll - 1, scroll=False)

    def action_page_up(self) -> None:
        height = self.scrollable_content_region.height - HEADER_HEIGHT
        rows_to_scroll = min(height + 1, self.cursor_row + 1)
        self.scroll_relative(y=-height, animate=False)
        self._set_cursor(self.cursor_row - rows_to_scroll + 1, scroll=False)

    def action_scroll_top(self) -> None:
        self._set_cursor(0)

    def action_scroll_bottom(self) -> None:
        self._set_cursor(len(self._keys) - 1)

    def action_scroll_home(self) -> None:
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        self.scroll_x = self.max_scroll_x

    def action_select_cursor(self) -> None:
        if 0 <= self.cursor_row < len(self._keys):
            self.post_message(DataTable.RowSelected(self, self.cursor_row, RowKey(self._keys[self.cursor_row])))  # type: ignore[arg-type]

    async def _on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if "row" not in meta or meta["row"] < 0:
            return
        self._set_cursor(meta["row"])
        event.stop()

    # -- drawing -------------------------------------------------------------------------------
    def _shown(self) -> list[int]:
        """The columns drawn: all, less those `drop_order` gives up while the table is wider
        than its pane. Columns right of every kept one are never given up: cut (`_fit`),
        they still show their start."""
        room = self.scrollable_content_region.width  # (less the vertical scrollbar)
        key = (room, tuple(self._widths))
        if self._shown_memo[0] == key:
            return self._shown_memo[1]
        shown = list(range(len(self._columns)))
        if self._compact is not None:
            self.compacted = bool(room) and sum(self._widths[i] + 2 * CELL_PADDING for i in shown) > room
            if self.compacted:
                widths = [0] * len(self._columns)
                widths[0] = max(1, room - 2 * CELL_PADDING)
                self._shown_memo = (key, [0])
                self._fit_memo = (key, widths)
                return [0]
        kept = [i for i in shown if i not in self._drop_order]
        last = max(kept) if kept else -1
        for ci in self._drop_order:
            if not room or sum(self._widths[i] + 2 * CELL_PADDING for i in shown) <= room:
                break
            if ci < last:
                shown.remove(ci)
        self._shown_memo = (key, shown)
        self._fit_memo = (key, self._fit(shown, room, last))
        return shown

    #: A column is not cut below this many cells (or its label's width, if narrower).
    MIN_CUT = 8

    def _fit(self, shown: list[int], room: int, last: int) -> list[int]:
        """The widths drawn, per column: the content widths, cut until the table fits its
        pane (cells then end in `…`), so no pane needs a horizontal scrollbar. Columns
        right of the last kept one give way first (as they did when cut at the pane's
        edge), then the widest. Computed once per pane width and column widths, never
        per row."""
        widths = list(self._widths)
        if not room:
            return widths
        excess = sum(widths[i] + 2 * CELL_PADDING for i in shown) - room
        for i in reversed([i for i in shown if i > last]):
            if excess <= 0:
                break
            cut = min(excess, widths[i])
            widths[i] -= cut
            excess -= cut
        while excess > 0:
            floor = {i: min(widths[i], max(self.MIN_CUT, self._label_widths[i])) for i in shown}
            cuttable = [i for i in shown if widths[i] > floor[i]]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda i: widths[i])
            others = [widths[i] for i in cuttable if i != widest]
            # Down to the next widest column (or the floor), at most what is too much.
            step = min(excess, max(1, widths[widest] - max(floor[widest], max(others, default=0))))
            widths[widest] -= step
            excess -= step
        return widths

    def _drawn_widths(self) -> list[int]:
        self._shown()
        return self._fit_memo[1]

    @property
    def hidden_columns(self) -> list[str]:
        shown = set(self._shown())
        return [c for i, c in enumerate(self._columns) if i not in shown]

    def _table_width(self) -> int:
        widths = self._drawn_widths()
        return sum(widths[ci] + 2 * CELL_PADDING for ci in self._shown())

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._table_width(), HEADER_HEIGHT + len(self._keys))

    def on_mount(self) -> None:
        self._update_virtual_size()

    def _on_resize(self, _: events.Resize) -> None:
        self._line_cache.clear()
        self._update_virtual_size()  # (columns come back, or go, with the width)

    def _row_style(self, key: str) -> str:
        fl = self._flash.get(key)
        if fl and self.clock() - fl[1] < FLASH_SECONDS:
            return FLASH_STYLES[fl[0]]
        row = self._rows[key]
        if key in self.highlight:
            return "bold reverse " + (STYLE_COLOURS.get(row.style) or "cyan")
        return STYLE_COLOURS.get(row.style, "")

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        if y >= HEADER_HEIGHT:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, self.rich_style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """One line as DataTable draws it (`_render_line` / `_render_line_in_row`)."""
        width = self.size.width
        row_index = y - HEADER_HEIGHT
        if row_index >= len(self._keys):
            return Strip.blank(width, base_style)
        key = self._keys[row_index] if row_index >= 0 else None
        style = self._row_style(key) if key is not None else ""
        pseudo = self.get_pseudo_class_state()
        cache_key = (y, key, style, x1, x2, width, row_index == self.cursor_row, tuple(self._widths), pseudo,
                     id(self._rows.get(key)) if key is not None else 0, base_style, self.app.theme, self.show_cursor)
        strip = self._line_cache.get(cache_key)
        if strip is not None:
            return strip
        cursor = row_index >= 0 and row_index == self.cursor_row and self.show_cursor
        compact = self._compact is not None and (self._shown() == [0]) and self.compacted
        if row_index < 0:
            cells: list = [self._compact_label] if compact else self._labels
            row_style = self.get_component_styles("datatable--header").rich_style
        elif compact:
            cells = [Text(self._compact(self._rows[key].cells), style=style, no_wrap=True, overflow="ellipsis")]
            row_style = base_style
        else:
            cells = [Text(c, style=style, no_wrap=True, overflow="ellipsis") for c in self._rows[key].cells]
            row_style = base_style
        component_style = self.get_component_rich_style("datatable--cursor") if cursor else Style()
        post_style = Style.from_color(color=component_style.color)
        console = self.app.console
        segments: list[Segment] = []
        drawn = self._drawn_widths()
        for ci in self._shown():
            w = drawn[ci]
            cell_style = row_style + Style.from_meta({"row": row_index, "column": ci})
            cell = cells[ci] if ci < len(cells) else Text("")
            options = self.app.console_options.update_dimensions(w + 2 * CELL_PADDING, 1).update(no_wrap=True)
            lines = console.render_lines(
                Styled(Padding(cell, (0, CELL_PADDING)), pre_style=cell_style + component_style, post_style=post_style),
                options)
            segments.extend(lines[0])
        remaining = max(0, width - self._table_width())
        extend_style = row_style + component_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        segments.append(Segment(" " * remaining, extend_style))
        # The columns scrolled into view (x1..x2, the pane's width), padded to the width.
        # (Leading empty segments are dropped first: a crop from 0 would keep them, and
        # they would stop `simplify` from joining what follows.)
        strip = Strip(list(dropwhile(lambda s: not s.text, segments))).crop(x1, x2) \
            .adjust_cell_length(width, base_style).simplify()
        if len(self._line_cache) > _LINE_CACHE_SIZE:
            self._line_cache.clear()
        self._line_cache[cache_key] = strip
        return strip
