"""`date`: the cluster's clock as the container reads it (the container's zone is UTC: the
images set no TZ), in busybox's words (Alpine, busybox) or coreutils' (Debian).

Both print `%a %b %e %H:%M:%S %Z %Y` by default (`Sun Jun  1 10:00:00 UTC 2025`); `-u` is
the same here; `+FORMAT` is strftime's, with `%N` (nanoseconds) and `%s` (epoch seconds);
`-R` is RFC 2822 and `-I[SPEC]` ISO 8601 (busybox coreutils/date.c). Setting the time is not
allowed in a container (`-s`: no CAP_SYS_TIME)."""
from __future__ import annotations

import re
from datetime import datetime

from engine.containers.proc import Proc

DEFAULT_FORMAT = "%a %b %e %H:%M:%S %Z %Y"
_ISO = {"date": 0, "hours": 1, "minutes": 2, "seconds": 3, "ns": 4}


def format_time(t: datetime, fmt: str) -> str:
    """strftime with date's own `%N` and `%s`."""
    def one(m: re.Match) -> str:
        code = m.group(1)
        if code == "%":
            return "%"
        if code == "N":
            return f"{t.microsecond * 1000:09d}"
        if code == "s":
            return str(int(t.timestamp()))
        return t.strftime("%" + code)
    return re.sub(r"%([%a-zA-Z])", one, fmt)


def date(p: Proc) -> int:
    debian = p.shell.distro == "debian"
    now = p.shell.now()
    fmt: str | None = None
    iso: int | None = None
    args = list(p.args)
    while args:
        a = args.pop(0)
        if a.startswith("+"):
            fmt = a[1:]
        elif a in ("-u", "--utc", "--universal"):
            continue
        elif a in ("-R", "--rfc-2822", "--rfc-email"):
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif a.startswith("-I") or a.startswith("--iso-8601"):
            spec = a[2:] if a.startswith("-I") else a.partition("=")[2]
            if spec and spec not in _ISO:
                return p.fail(f"invalid argument '{spec}' for '--iso-8601'" if debian else f"invalid date '{spec}'")
            iso = _ISO.get(spec or "date", 0)
        elif a in ("-s", "--set") or a.startswith("--set="):
            return p.fail("cannot set date: Operation not permitted")
        elif a.startswith("-") and a != "-":
            if debian:
                p.err(f"date: invalid option -- '{a[1:2]}'\nTry 'date --help' for more information.\n")
                return 1
            p.err(f"date: unrecognized option: {a[1:2]}\n" + USAGE)
            return 1
        else:
            return p.fail(f"invalid date '{a}'")
    if iso is not None:
        fmt = "%Y-%m-%dT%H:%M:%S"[:8 + 3 * iso] if iso else "%Y-%m-%d"
        if iso == 4:
            fmt = "%Y-%m-%dT%H:%M:%S,%N"
        if iso:
            fmt += "+00:00"
    p.out(format_time(now, fmt if fmt is not None else DEFAULT_FORMAT) + "\n")
    return 0


USAGE = ("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\n"
         "Usage: date [OPTIONS] [+FMT] [[-s] TIME]\n\n"
         "Display time (using +FMT), or set time\n\n"
         "\t-u\t\tWork in UTC (don't convert to local time)\n"
         "\t[-s] TIME\tSet time to TIME\n"
         "\t-d TIME\t\tDisplay TIME, not 'now'\n"
         "\t-D FMT\t\tFMT (strptime format) for -s/-d TIME conversion\n"
         "\t-r FILE\t\tDisplay last modification time of FILE\n"
         "\t-R\t\tOutput RFC-2822 date\n"
         "\t-I[SPEC]\tOutput ISO-8601 date\n"
         "\t\t\tSPEC=date (default), hours, minutes, seconds or ns\n\n"
         "Recognized TIME formats:\n"
         "\t@seconds_since_1970\n"
         "\thh:mm[:ss]\n"
         "\t[YYYY.]MM.DD-hh:mm[:ss]\n"
         "\tYYYY-MM-DD hh:mm[:ss]\n"
         "\t[[[[[YY]YY]MM]DD]hh]mm[.ss]\n"
         "\t'date TIME' form accepts MMDDhhmm[[YY]YY][.ss] instead\n")
