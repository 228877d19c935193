"""Text from manifests, shown exactly as written.

File names, object names and values can contain Rich/Textual markup (``[bold]``, ``[/]``,
``[link=...]``) or terminal escape sequences.  Widgets that take a ``str`` interpret markup (and
an unbalanced ``[/]`` raises), and neither Rich nor Textual removes ESC, so a crafted manifest
could restyle the screen or send commands to the terminal.  `literal` turns any string into a
Rich ``Text`` that renders as the characters themselves, with control characters made visible
(``^[`` for ESC, as ``cat -v`` shows them).
"""
from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c < 0x20:
        return "^" + chr(c + 0x40)
    if c == 0x7F:
        return "^?"
    return f"\\x{c:02x}"


def visible(s: str) -> str:
    """``s`` with control characters (other than newline and tab) spelled out."""
    return _CONTROL.sub(_visible, s)


def literal(s: str, style: str = "") -> Text:
    """A Text that shows ``s`` literally: no markup, no terminal control sequences."""
    return Text(visible(s), style=style)
