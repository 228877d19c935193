"""The TIME of `date -d TIME` (and `date -s TIME`), read as each image's date reads it.

busybox (Alpine, busybox): libbb/time.c's parse_datestr. Alpine builds it with
ENABLE_DESKTOP, so the strptime forms come first (`%R`, `%T`, `%m.%d-%R`, `%Y.%m.%d-%T`,
`%b %d %T %Y`, `%Y-%m-%d %R`, `%Y-%m-%d %T`, `%Y-%m-%d %H`, `%Y-%m-%d`), then
`@SECONDS`, then touch's `[[[[[YY]YY]MM]DD]hh]mm[.ss]`. What TIME does not give is today's,
at midnight (date.c zeroes the hour, minute and second first); mktime() carries an
overflowing day into the next month (`2025-02-30` is 2 March).

coreutils (Debian's date): gnulib's parse_datetime grammar (engine.containers.gnudate):
dates, times, days of the week, relative items (`-d '2 hours ago'`, `next week`, `tomorrow`).

Either way, a TIME that is not one of them is None: date's `invalid date 'TIME'`.
"""
from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone

from engine.containers import gnudate

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_HM = r"(?P<H>\d{1,2}+):(?P<M>\d{1,2}+)"
_HMS = _HM + r":(?P<S>\d{1,2}+)"
_YMD = r"(?P<Y>\d{1,4}+)-(?P<m>\d{1,2}+)-(?P<d>\d{1,2}+)"
#: libbb's strptime formats, in its order (a space in a format matches any run of spaces)
_BUSYBOX_FORMS = [re.compile(p) for p in (
    _HM, _HMS,
    r"(?P<m>\d{1,2}+)\.(?P<d>\d{1,2}+)-" + _HM, r"(?P<m>\d{1,2}+)\.(?P<d>\d{1,2}+)-" + _HMS,
    r"(?P<Y>\d{1,4}+)\.(?P<m>\d{1,2}+)\.(?P<d>\d{1,2}+)-" + _HM,
    r"(?P<Y>\d{1,4}+)\.(?P<m>\d{1,2}+)\.(?P<d>\d{1,2}+)-" + _HMS,
    r"(?P<b>[A-Za-z]+)\s*(?P<d>\d{1,2}+)\s*" + _HMS + r"\s*(?P<Y>\d{1,4}+)",
    _YMD + r"\s*" + _HM, _YMD + r"\s*" + _HMS, _YMD + r"\s*(?P<H>\d{1,2}+)", _YMD)]
#: touch -t's digits by how many there are before `.ss`: which fields they are
_TOUCH_FIELDS = {2: "M", 4: "HM", 6: "dHM", 8: "mdHM", 10: "ymdHM", 12: "mdHM"}  # (12: CCYY first)
_RANGES = {"H": (0, 23), "M": (0, 59), "S": (0, 61), "m": (1, 12), "d": (1, 31)}


def _build(now: datetime, fields: dict[str, int]) -> datetime | None:
    """`now`'s date at midnight with `fields` put in, normalised as mktime() does."""
    year = fields.get("Y", now.year)
    month = fields.get("m", now.month)
    day = fields.get("d", now.day)
    seconds = fields.get("H", 0) * 3600 + fields.get("M", 0) * 60 + fields.get("S", 0)
    try:
        first = datetime(year, month, 1, tzinfo=timezone.utc)
    except ValueError:
        return None
    return first + timedelta(days=day - 1, seconds=seconds)


def _strptime_fields(match: re.Match) -> dict[str, int] | None:
    fields: dict[str, int] = {}
    for name, text in match.groupdict().items():
        if text is None:
            continue
        if name == "b":
            month = next((n for m, n in _MONTHS.items() if text.lower() in (m, calendar.month_name[n].lower())), None)
            if month is None:
                return None
            fields["m"] = month
            continue
        value = int(text)
        low, high = _RANGES.get(name, (0, 9999))
        if not low <= value <= high:
            return None
        fields[name] = value
    return fields


def busybox_time(text: str, now: datetime) -> datetime | None:
    """busybox's reading of TIME, or None (`date: invalid date 'TIME'`)."""
    for form in _BUSYBOX_FORMS:
        m = form.fullmatch(text)
        if m is not None:
            fields = _strptime_fields(m)
            if fields is not None:
                return _build(now, fields)
    if text.startswith("@"):
        return _epoch(text[1:])
    digits, dot, secs = text.partition(".")
    which = _TOUCH_FIELDS.get(len(digits))
    if which is None or not digits.isdigit() or (dot and not (secs.isdigit() and len(secs) <= 2)):
        return None
    fields = {"Y": int(digits[:4])} if len(digits) == 12 else {}
    rest = digits[4:] if fields else digits
    fields.update({f: int(rest[2 * i:2 * i + 2]) for i, f in enumerate(which)})
    if "y" in fields:  # yy: the year of that number nearest this one
        year = now.year // 100 * 100 + fields.pop("y")
        year += 100 if year < now.year - 50 else -100 if year > now.year + 50 else 0
        fields["Y"] = year
    fields["S"] = int(secs) if dot else 0
    if fields["S"] > 60 or fields.get("M", 0) > 59 or fields.get("H", 0) > 23 or fields.get("d", 1) > 31 \
            or not 1 <= fields.get("m", 1) <= 12:
        return None
    return _build(now, fields)


def _epoch(text: str) -> datetime | None:
    if not re.fullmatch(r"-?\d+", text):
        return None
    try:
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=int(text))
    except OverflowError:
        return None


def gnu_time(text: str, now: datetime) -> datetime | None:
    """coreutils' reading of TIME (engine.containers.gnudate), or None."""
    return gnudate.parse(text, now)
