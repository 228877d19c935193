"""`date -d TIME` in a pod's shell: busybox's accepted forms (libbb's parse_datestr, as Alpine
builds it) and its `invalid date 'x'`; coreutils' in Debian's bash for the simple relative
forms learners type (`yesterday`, `2 hours ago`); `-s TIME` refused as in a container."""
from __future__ import annotations

from datetime import timedelta

from tests.helpers import pod_shell


def test_busybox_reads_its_time_formats(cluster):
    sh = pod_shell(cluster, "deploy/counter")
    today = cluster.now().strftime("%a %b %e")
    year = cluster.now().year
    assert sh.feed("date -d @0") == "Thu Jan  1 00:00:00 UTC 1970\n"
    assert sh.feed("date -d @1700000000 -Iseconds") == "2023-11-14T22:13:20+00:00\n"
    assert sh.feed("date -d '2025-01-02 10:30'") == "Thu Jan  2 10:30:00 UTC 2025\n"
    assert sh.feed("date -d '2025-01-02 10:30:05' +%s") == "1735813805\n"
    # what TIME leaves out is today's, from midnight
    assert sh.feed("date -d 10:30") == f"{today} 10:30:00 UTC {year}\n"
    assert sh.feed("date -d 10:30:45 +%T.%N") == "10:30:45.000000000\n"
    assert sh.feed("date -d 2025-03-04") == "Tue Mar  4 00:00:00 UTC 2025\n"
    assert sh.feed("date -d 2024.12.25-08:00 -R") == "Wed, 25 Dec 2024 08:00:00 +0000\n"
    assert sh.feed("date --date='Jan 2 10:00:00 2025'") == "Thu Jan  2 10:00:00 UTC 2025\n"
    assert sh.feed("date -d 202501021230.15") == "Thu Jan  2 12:30:15 UTC 2025\n"
    # mktime() carries an overflowing day into the next month
    assert sh.feed("date -d 2025-02-30 +%F") == "2025-03-02\n"


def test_busybox_refuses_what_it_cannot_read(cluster):
    sh = pod_shell(cluster, "deploy/counter")
    assert sh.feed("date -d x; echo $?") == "date: invalid date 'x'\n1\n"
    assert sh.feed("date -d yesterday") == "date: invalid date 'yesterday'\n"  # (a GNU form)
    assert sh.feed("date -d 25:00") == "date: invalid date '25:00'\n"
    assert sh.feed("date -d 2025-13-01") == "date: invalid date '2025-13-01'\n"
    assert sh.feed("date -d @soon") == "date: invalid date '@soon'\n"
    assert sh.feed("date -d").startswith("date: option requires an argument: d\nBusyBox v1.37.0")
    # setting the clock needs CAP_SYS_TIME: busybox says so, shows TIME and goes on
    assert sh.feed("date -s '2025-01-02 10:30'; echo $?") == (
        "date: can't set date: Operation not permitted\nThu Jan  2 10:30:00 UTC 2025\n0\n")


def test_coreutils_date_in_debian_s_bash(cluster):
    bash = pod_shell(cluster, "deploy/redis", "bash")
    now = cluster.now()
    assert bash.feed("date -d yesterday") == (now - timedelta(days=1)).strftime("%a %b %e %H:%M:%S UTC %Y\n")
    assert bash.feed("date -d tomorrow +%F") == (now + timedelta(days=1)).strftime("%F\n")
    assert bash.feed("date -d '2 hours ago' +%T") == (now - timedelta(hours=2)).strftime("%T\n")
    assert bash.feed("date -d '+90 min' +%T") == (now + timedelta(minutes=90)).strftime("%T\n")
    assert bash.feed("date -d '3 days ago' +%F") == (now - timedelta(days=3)).strftime("%F\n")
    assert bash.feed("date -d @0 -u") == "Thu Jan  1 00:00:00 UTC 1970\n"
    assert bash.feed("date -d '2025-01-02 10:30' +%s") == "1735813800\n"
    assert bash.feed("date -d xx; echo $?") == "date: invalid date 'xx'\n1\n"  # (`x` alone is a military zone)
    assert bash.feed("date -d") == "date: option requires an argument -- 'd'\nTry 'date --help' for more information.\n"
    assert bash.feed("date -s 10:00; echo $?") == (
        "date: cannot set date: Operation not permitted\n" + now.strftime("%a %b %e") + f" 10:00:00 UTC {now.year}\n1\n")
