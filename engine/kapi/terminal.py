"""The terminal between a client and a container's shell: what the container's pty does
when `kubectl exec -t` puts the user's own terminal in raw mode and sends every keystroke as
it is typed (`echo hi\\r`, apiserver-spec §5.1). The shell only ever sees whole lines.

With a TTY (Linux's cooked mode, `stty sane`): typed characters are echoed, Enter (CR) ends
the line and echoes CR LF, DEL/^H erase one character (`\\b \\b`), ^U the whole line, ^C
drops the line (`^C`), ^D on an empty line is end of file; output newlines become CR LF
(onlcr). Without one (`kubectl exec -i`, a pipe): nothing is echoed, lines end at LF, and
stdin's close is end of file.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

ERASE = ("\x7f", "\x08")
KILL = "\x15"
INTR = "\x03"
EOF = "\x04"
# Arrow keys and other escape sequences: this shell has no history or cursor to move.
_ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[@-~]|O.|.)?")


@dataclass(frozen=True)
class Input:
    """What the terminal hands on after some bytes: `echo` back to the client, then
    `lines` for the shell (each without its line end); `interrupted` after ^C, `eof` after
    ^D on an empty line (or stdin's close)."""

    echo: str = ""
    lines: tuple[str, ...] = ()
    interrupted: bool = False
    eof: bool = False


@dataclass
class Terminal:
    tty: bool
    line: str = ""
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace"))

    def feed(self, data: bytes) -> Input:
        """Bytes the client typed (a multi-byte character may be split across frames)."""
        text = self._decoder.decode(data)
        return self._cooked(text) if self.tty else self._raw(text)

    def close(self) -> Input:
        """The client's stdin ended: a last unterminated line still reaches the shell."""
        rest = self.line + self._decoder.decode(b"", final=True)
        self.line = ""
        return Input(lines=(rest,) if rest else (), eof=True)

    def output(self, text: str) -> bytes:
        """What the shell printed, as the client receives it."""
        if self.tty:
            text = re.sub(r"\r?\n", "\r\n", text)
        return text.encode("utf-8", "surrogateescape")  # (a byte stream, e.g. tar's, comes back whole)

    def _raw(self, text: str) -> Input:
        self.line += text
        *done, self.line = self.line.split("\n")
        return Input(lines=tuple(done))

    def _cooked(self, text: str) -> Input:
        echo: list[str] = []
        lines: list[str] = []
        for ch in _ESCAPES.sub("", text.replace("\r\n", "\r")):
            if ch in ("\r", "\n"):
                echo.append("\r\n")
                lines.append(self.line)
                self.line = ""
            elif ch in ERASE:
                if self.line:
                    self.line = self.line[:-1]
                    echo.append("\b \b")
            elif ch == KILL:
                echo.append("\b \b" * len(self.line))
                self.line = ""
            elif ch == INTR:
                echo.append("^C\r\n")
                self.line = ""
                return Input("".join(echo), tuple(lines), interrupted=True)
            elif ch == EOF:
                if not self.line:
                    return Input("".join(echo), tuple(lines), eof=True)
            elif ch < " " and ch != "\t":
                continue  # other controls: no job control or history in this shell
            else:
                self.line += ch
                echo.append(ch)
        return Input("".join(echo), tuple(lines))
