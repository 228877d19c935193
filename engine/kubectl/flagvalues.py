"""pflag's StringSlice value, as kubectl's `-L/--label-columns` and `-f/--filename` declare it.

pflag reads each value of such a flag as ONE record of Go's encoding/csv (`readAsCSV`), so
`-L app,tier` is two labels, `-L '"a,b"'` one, and a stray quote is refused with encoding/csv's
own words, which kubectl prints inside `invalid argument ... for "-L, --label-columns" flag`.
Python's csv module is lenient where Go's is strict, hence this small reader.
"""
from __future__ import annotations


class CSVError(ValueError):
    """encoding/csv's ParseError text: `parse error on line 1, column 2: bare " in non-quoted-field`."""


BARE_QUOTE = 'bare " in non-quoted-field'
QUOTE = 'extraneous or missing " in quoted-field'


def _error(text: str, at: int, what: str) -> CSVError:
    """Go counts lines from 1 and columns as 1-based byte offsets within the line."""
    before = text[:at].encode()
    line = before.count(b"\n") + 1
    column = len(before) - (before.rfind(b"\n") + 1) + 1
    return CSVError(f"parse error on line {line}, column {column}: {what}")


def read_as_csv(value: str) -> list[str]:
    """pflag's readAsCSV: "" is no value at all; otherwise the first record of `value`
    (fields split at commas, `"..."` quoting with `""` for a quote, a newline outside
    quotes ends the record). CSVError for what encoding/csv (LazyQuotes off) refuses."""
    if value == "":
        return []
    fields: list[str] = []
    i, n = 0, len(value)
    while True:
        if i < n and value[i] == '"':  # a quoted field
            i += 1
            text: list[str] = []
            while True:
                j = value.find('"', i)
                if j < 0:
                    raise _error(value, n, QUOTE)
                text.append(value[i:j])
                if value.startswith('""', j):
                    text.append('"')
                    i = j + 2
                    continue
                i = j + 1
                if i < n and value[i] not in ",\n":
                    raise _error(value, j, QUOTE)
                break
            fields.append("".join(text))
        else:
            j = i
            while j < n and value[j] not in ",\n":
                if value[j] == '"':
                    raise _error(value, j, BARE_QUOTE)
                j += 1
            fields.append(value[i:j])
            i = j
        if i < n and value[i] == ",":
            i += 1
            continue
        return fields
