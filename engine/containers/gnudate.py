"""coreutils' `date -d TIME` (Debian's date): gnulib's parse-datetime.y, the part of its
grammar people type.

Why a grammar and not a list of forms: GNU date reads TIME as a sequence of items in any
order — a calendar date (`2025-01-02`, `1/2/2025`, `Jan 2`, `2 Jan 2025`), a time of day
(`10:30`, `10:30:05.5`, `3pm`), a day of the week (`monday`, `next friday`), a time zone
(`UTC`, `+0200`), relative items (`2 days ago`, `+1 hour`, `next week`, `last month`,
`tomorrow`, `3 weeks`), a bare number (`10` is 10:00, `20250102` a date) — each at most once
but the relative ones, which add up. What is not given comes from now, except that a date or
a day of the week without a time means midnight (`parse_datetime_body`); a date that does
not exist (`2025-02-30`, `25:00`) is refused (mktime_ok), but adding months may carry
(`2025-01-31 +1 month` is 3 March). The container's zone is UTC.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

_MONTHS = {"JANUARY": 1, "FEBRUARY": 2, "MARCH": 3, "APRIL": 4, "MAY": 5, "JUNE": 6, "JULY": 7, "AUGUST": 8,
           "SEPTEMBER": 9, "SEPT": 9, "OCTOBER": 10, "NOVEMBER": 11, "DECEMBER": 12}
_DAYS = {"SUNDAY": 0, "MONDAY": 1, "TUESDAY": 2, "TUES": 2, "WEDNESDAY": 3, "WEDNES": 3, "THURSDAY": 4,
         "THUR": 4, "THURS": 4, "FRIDAY": 5, "SATURDAY": 6}
#: unit -> (field of the relative time, multiplier)
_UNITS = {"YEAR": ("year", 1), "MONTH": ("month", 1), "FORTNIGHT": ("day", 14), "WEEK": ("day", 7),
          "DAY": ("day", 1), "HOUR": ("hour", 1), "MINUTE": ("minute", 1), "MIN": ("minute", 1),
          "SECOND": ("second", 1), "SEC": ("second", 1)}
_SHIFTS = {"TOMORROW": 1, "YESTERDAY": -1, "TODAY": 0, "NOW": 0}
_ORDINALS = {"LAST": -1, "THIS": 0, "NEXT": 1, "FIRST": 1, "THIRD": 3, "FOURTH": 4, "FIFTH": 5, "SIXTH": 6,
             "SEVENTH": 7, "EIGHTH": 8, "NINTH": 9, "TENTH": 10, "ELEVENTH": 11, "TWELFTH": 12}
_H = 3600
#: zone abbreviations, seconds east of UTC (universal, then the common ones of time_zone_table)
_ZONES = {"GMT": 0, "UT": 0, "UTC": 0, "WET": 0, "CET": _H, "MET": _H, "MEZ": _H, "EET": 2 * _H, "MSK": 3 * _H,
          "IST": 5 * _H + 1800, "SGT": 8 * _H, "KST": 9 * _H, "JST": 9 * _H, "AST": -4 * _H, "EST": -5 * _H,
          "CST": -6 * _H, "MST": -7 * _H, "PST": -8 * _H, "AKST": -9 * _H, "HST": -10 * _H, "NZST": 12 * _H}
#: ... their summer time (tDAYZONE: an hour more)
_DAYZONES = {"BST": 0, "WEST": 0, "CEST": _H, "MEST": _H, "MESZ": _H, "EEST": 2 * _H, "MSD": 3 * _H, "ADT": -4 * _H,
             "EDT": -5 * _H, "CDT": -6 * _H, "MDT": -7 * _H, "PDT": -8 * _H, "AKDT": -9 * _H, "NZDT": 12 * _H}
#: military zones, one letter each (RFC 5322's signs; `J` is local time, `T` the ISO separator)
_MILITARY = {**{c: (i + 1) * _H for i, c in enumerate("ABCDEFGHI")}, "K": 10 * _H, "L": 11 * _H, "M": 12 * _H,
             **{c: -(i + 1) * _H for i, c in enumerate("NOPQRS")}, **{c: -(i + 8) * _H for i, c in enumerate("UVWXY")},
             "Z": 0}
_MERIDIANS = {"AM": "am", "A.M.": "am", "PM": "pm", "P.M.": "pm"}


@dataclass(frozen=True)
class Tok:
    """A token as yylex makes it: `kind` is num (`signed` when it had a sign), dec, a word's
    kind (month, day, unit, shift, ordinal, ago, zone, meridian), or the character itself."""

    kind: str
    value: object = None
    digits: int = 0
    signed: bool = False


def _word(word: str) -> Tok | None:
    """lookup_word: meridians, month and day names (3 letters abbreviate), zones, units (a
    plural `s` dropped), the relative words."""
    w = word.upper()
    if w in _MERIDIANS:
        return Tok("meridian", _MERIDIANS[w])
    abbrev = len(w) == 3 or (len(w) == 4 and w[3] == ".")
    for table, kind in ((_MONTHS, "month"), (_DAYS, "day")):
        for name, value in table.items():
            if (name[:3] == w[:3]) if abbrev else name == w:
                return Tok(kind, value)
    if w in _ZONES or w in _DAYZONES:
        return Tok("zone", _ZONES[w] if w in _ZONES else _DAYZONES[w] + _H)
    unit = _UNITS.get(w) or (_UNITS.get(w[:-1]) if w.endswith("S") else None)
    if unit is not None:
        return Tok("unit", unit)
    if w in _SHIFTS:
        return Tok("shift", _SHIFTS[w])
    if w in _ORDINALS:
        return Tok("ordinal", _ORDINALS[w])
    if w in ("AGO", "HENCE"):
        return Tok("ago", -1 if w == "AGO" else 1)
    if w in ("T", "J"):
        return Tok(w)
    if w in _MILITARY:
        return Tok("zone", _MILITARY[w])
    zone = w.replace(".", "")  # (periods dropped, the zones again)
    if "." in w and (zone in _ZONES or zone in _DAYZONES):
        return _word(zone)
    return None


def tokens(text: str) -> list[Tok] | None:
    """yylex over the whole text; None at a word it does not know."""
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isdigit() or c in "+-":
            sign = 0
            j = i
            if c in "+-":
                sign = -1 if c == "-" else 1
                j += 1
                while j < n and text[j].isspace():
                    j += 1
                if j >= n or not text[j].isdigit():
                    i = j  # (a sign without digits is skipped)
                    continue
            m = re.match(r"\d+", text[j:])
            assert m is not None
            digits = m.group(0)
            k = j + len(digits)
            if k + 1 < n and text[k] in ".," and text[k + 1].isdigit():
                frac = re.match(r"\d+", text[k + 1:])
                assert frac is not None
                value = float(f"{digits}.{frac.group(0)}") * (sign or 1)
                out.append(Tok("dec", value, signed=bool(sign)))
                i = k + 1 + len(frac.group(0))
                continue
            out.append(Tok("num", int(digits) * (sign or 1), len(digits), bool(sign)))
            i = k
            continue
        if c.isalpha():
            m = re.match(r"[A-Za-z.]+", text[i:])
            assert m is not None
            tok = _word(m.group(0))
            if tok is None:
                return None
            out.append(tok)
            i += len(m.group(0))
            continue
        if c == "(":  # a comment, nested parentheses and all
            depth = 0
            while i < n:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
            continue
        out.append(Tok(c))
        i += 1
    return out


@dataclass
class Parsed:
    """parser_control: what the items set, and how many of each kind there were."""

    year: int | None = None
    year_digits: int = 0
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int = 0
    second: float = 0.0
    meridian: str = "24"
    zone: int | None = None  # seconds east of UTC
    day_ordinal: int = 0
    day_number: int = 0
    rel: dict[str, float] = field(default_factory=lambda: {"year": 0, "month": 0, "day": 0, "hour": 0, "minute": 0,
                                                            "second": 0})
    rels: bool = False
    seen: dict[str, int] = field(default_factory=lambda: {"time": 0, "date": 0, "day": 0, "zone": 0})


class _Fail(Exception):
    pass


class _Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.t, self.i, self.p = toks, 0, Parsed()

    def peek(self, k: int = 0) -> Tok | None:
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def kinds(self, *want: str) -> bool:
        """The next tokens are of these kinds (`num`: unsigned, `snum`: signed)."""
        for k, w in enumerate(want):
            tok = self.peek(k)
            if tok is None:
                return False
            kind = "snum" if tok.kind == "num" and tok.signed else tok.kind
            if kind != w:
                return False
        return True

    def take(self) -> Tok:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def run(self) -> Parsed:
        while self.i < len(self.t):
            self.item()
        return self.p

    def item(self) -> None:
        """One item of the grammar, the longest that the next tokens make."""
        p = self
        if p.kinds("num", "snum", "snum", "T"):  # ISO 8601 date and time
            self.iso_date()
            self.take()
            if not self.time_of_day(iso=True):
                raise _Fail
            self.seen("date")
        elif p.kinds("num", "snum", "snum"):
            self.iso_date()
            self.seen("date")
        elif p.kinds("num", ":") or p.kinds("num", "meridian") or (p.kinds("num", "snum") and not p.kinds("num", "snum", "unit")):
            if not self.time_of_day():
                raise _Fail
        elif p.kinds("num", "/"):
            self.slash_date()
        elif p.kinds("num", "month"):
            d, m = self.take().value, self.take().value
            self.p.day, self.p.month = int(d), int(m)
            if p.kinds("snum"):
                self.year(self.take(), negate=True)
            elif p.kinds("num"):
                self.year(self.take())
            self.seen("date")
        elif p.kinds("month"):
            self.p.month = int(self.take().value)
            if p.kinds("snum", "snum"):
                self.p.day = -int(self.take().value)
                self.year(self.take(), negate=True)
            elif p.kinds("num"):
                self.p.day = int(self.take().value)
                if p.kinds(",", "num"):
                    self.take()
                    self.year(self.take())
            else:
                raise _Fail
            self.seen("date")
        elif p.kinds("day") or p.kinds("ordinal", "day") or p.kinds("num", "day"):
            ordinal = int(self.take().value) if not p.kinds("day") else 0
            self.p.day_ordinal, self.p.day_number = ordinal, int(self.take().value)
            if p.kinds(","):
                self.take()
            self.seen("day")
        elif p.kinds("zone") or p.kinds("T"):
            tok = self.take()
            self.p.zone = int(tok.value) if tok.kind == "zone" else -7 * _H  # (`T` alone: military T)
            if p.kinds("snum", "unit"):
                self.relative(self.take(), self.take())
            self.seen("zone")
        elif p.kinds("J"):  # (military J: local time)
            self.take()
            self.seen("zone")
        elif p.kinds("shift"):
            self.p.rel["day"] += int(self.take().value)
            self.p.rels = True
        elif p.kinds("ordinal", "unit") or p.kinds("num", "unit") or p.kinds("snum", "unit") \
                or p.kinds("dec", "unit"):
            self.relative(self.take(), self.take())
        elif p.kinds("unit"):
            self.relative(None, self.take())
        elif p.kinds("num"):
            self.number(self.take())
        else:
            raise _Fail

    def seen(self, kind: str) -> None:
        self.p.seen[kind] += 1

    def relative(self, count: Tok | None, unit: Tok) -> None:
        name, factor = unit.value  # type: ignore[misc]
        n = 1 if count is None else count.value
        if isinstance(n, float) and name != "second":
            raise _Fail
        sign = 1
        if self.kinds("ago"):
            sign = int(self.take().value)
        self.p.rel[name] += sign * n * factor  # type: ignore[operator]
        self.p.rels = True

    def iso_date(self) -> None:
        y, m, d = self.take(), self.take(), self.take()
        self.year(y)
        self.p.month, self.p.day = -int(m.value), -int(d.value)  # type: ignore[arg-type]

    def year(self, tok: Tok, negate: bool = False) -> None:
        self.p.year = -int(tok.value) if negate else int(tok.value)  # type: ignore[arg-type]
        self.p.year_digits = tok.digits

    def slash_date(self) -> None:
        a = self.take()
        self.take()
        if not self.kinds("num"):
            raise _Fail
        b = self.take()
        if self.kinds("/", "num"):
            self.take()
            c = self.take()
            if a.digits >= 4:
                self.year(a)
                self.p.month, self.p.day = int(b.value), int(c.value)  # type: ignore[arg-type]
            else:
                self.p.month, self.p.day = int(a.value), int(b.value)  # type: ignore[arg-type]
                self.year(c)
        else:
            self.p.month, self.p.day = int(a.value), int(b.value)  # type: ignore[arg-type]
        self.seen("date")

    def time_of_day(self, iso: bool = False) -> bool:
        """`H[:M[:S]]` with a meridian or a zone offset after it."""
        if not self.kinds("num"):
            return False
        hour = int(self.take().value)  # type: ignore[arg-type]
        minute, second = 0, 0.0
        if self.kinds(":", "num"):
            self.take()
            minute = int(self.take().value)  # type: ignore[arg-type]
            if self.kinds(":", "num") or self.kinds(":", "dec"):
                self.take()
                second = float(self.take().value)  # type: ignore[arg-type]
        elif not iso and not (self.kinds("meridian") or self.kinds("snum")):
            return False
        self.p.hour, self.p.minute, self.p.second, self.p.meridian = hour, minute, second, "24"
        if self.kinds("meridian"):
            self.p.meridian = str(self.take().value)
        elif self.kinds("snum"):
            self.zone_offset(self.take())
        self.seen("time")
        return True

    def zone_offset(self, tok: Tok) -> None:
        """`+HH`, `+HHMM`, `+HH:MM` (time_zone_hhmm)."""
        value, digits = abs(int(tok.value)), tok.digits  # type: ignore[arg-type]
        if self.kinds(":", "num"):
            self.take()
            hours, minutes = value, int(self.take().value)  # type: ignore[arg-type]
        elif digits <= 2:
            hours, minutes = value, 0
        else:
            hours, minutes = value // 100, value % 100
        if hours > 24 or minutes > 59:
            raise _Fail
        self.p.zone = (-1 if int(tok.value) < 0 else 1) * (hours * 3600 + minutes * 60)  # type: ignore[arg-type]
        self.seen("zone")

    def number(self, tok: Tok) -> None:
        """digits_to_date_time: a year after a date, else YYYYMMDD, else HH or HHMM."""
        p = self.p
        if p.seen["date"] and not p.year_digits and not p.rels and (p.seen["time"] or tok.digits > 2):
            self.year(tok)
        elif tok.digits > 4:
            v = int(tok.value)  # type: ignore[arg-type]
            p.day, p.month, p.year, p.year_digits = v % 100, v // 100 % 100, v // 10000, tok.digits - 4
            self.seen("date")
        else:
            v = int(tok.value)  # type: ignore[arg-type]
            p.hour, p.minute = (v, 0) if tok.digits <= 2 else (v // 100, v % 100)
            p.second, p.meridian = 0.0, "24"
            self.seen("time")


def _normal(year: int, month0: int, day: int, seconds: float) -> datetime | None:
    """mktime's reading of out-of-range fields: they carry into the next."""
    year += month0 // 12
    month0 %= 12
    try:
        return datetime(year, month0 + 1, 1, tzinfo=timezone.utc) + timedelta(days=day - 1, seconds=seconds)
    except (ValueError, OverflowError):
        return None


def _hour(hour: int, meridian: str) -> int | None:
    """to_hour: 0-23 on a 24-hour clock; 1-12 with am/pm."""
    if meridian == "24":
        return hour if 0 <= hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if meridian == "pm" else 0)


def parse(text: str, now: datetime) -> datetime | None:
    """GNU date's reading of TIME relative to `now` (UTC), or None (`invalid date`)."""
    text = text.strip() or "0"  # (an empty TIME is "0": today's midnight)
    if text.startswith("@"):
        m = re.fullmatch(r"@\s*([+-]?\d+(?:[.,]\d+)?)", text)
        if m is None:
            return None
        try:
            return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=float(m.group(1).replace(",", ".")))
        except OverflowError:
            return None
    toks = tokens(text)
    if toks is None:
        return None
    try:
        p = _Parser(toks).run()
    except _Fail:
        return None
    if any(n > 1 for n in p.seen.values()):
        return None
    now = now.astimezone(timezone.utc)
    year = now.year if p.year is None else p.year
    if p.year is not None and p.year_digits == 2 and year >= 0:
        year += 2000 if year < 69 else 1900
    month = now.month if p.month is None else p.month
    day = now.day if p.day is None else p.day
    if p.seen["time"] or (p.rels and not p.seen["date"] and not p.seen["day"]):
        hour = _hour(now.hour if p.hour is None else p.hour, p.meridian)
        if hour is None:
            return None
        minute = now.minute if p.hour is None else p.minute
        second = now.second + now.microsecond / 1e6 if p.hour is None else p.second
    else:
        hour, minute, second = 0, 0, 0.0
    start = _normal(year, month - 1, day, hour * 3600 + minute * 60 + int(second))
    if start is None or (start.year, start.month, start.day, start.hour, start.minute, start.second) != (
            year, month, day, hour, minute, int(second)):
        return None  # (mktime_ok: a field out of its range)
    start += timedelta(seconds=second - int(second))
    if p.seen["day"] and not p.seen["date"]:
        wday = (start.weekday() + 1) % 7  # (Sunday 0)
        ordinal = p.day_ordinal - (1 if p.day_ordinal > 0 and wday != p.day_number else 0)
        start += timedelta(days=(p.day_number - wday + 7) % 7 + 7 * ordinal)
    rel = p.rel
    if rel["year"] or rel["month"] or rel["day"]:
        moved = _normal(start.year + int(rel["year"]), start.month - 1 + int(rel["month"]), start.day + int(rel["day"]),
                        start.hour * 3600 + start.minute * 60 + start.second)
        if moved is None:
            return None
        start = moved + timedelta(microseconds=start.microsecond)
    if p.zone is not None:
        start -= timedelta(seconds=p.zone)  # (a wall time in that zone: UTC is that much earlier)
    try:
        return start + timedelta(hours=rel["hour"], minutes=rel["minute"], seconds=rel["second"])
    except OverflowError:
        return None
