"""A pane's row as the views produce it and the dashboard's tables show it: the object's
key, its cells, and a style hint. A leaf module, so the views and the data-plane accessors
both build rows without importing each other."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Row:
    key: str  # namespace/name
    cells: tuple[str, ...]
    style: str = ""  # a hint: running | pending | failed | terminating | notready

    @cached_property
    def filter_text(self) -> str:
        """The cells one per line (what `filter_rows` searches); a row is kept per object
        version, so this is built once per version, not once per filter."""
        return "\n".join(self.cells) + "\n"
