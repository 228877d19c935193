"""`get --show-labels`, `--sort-by`, `--no-headers` (issue 17, item 3), and the CLI's global
flags anywhere with `-f` repeated as pflag allows (item 2).

The oracle is the REAL kubectl against `svcflow serve`: kubectl sorts and adds the LABELS
column itself, from the objects the server sends, so what it prints is what svcflow's own
`get` (CLI, session, `:` prompt) must print, byte for byte.
"""
from __future__ import annotations

import io
import shlex

import pytest

from engine.api.quantity import parse_quantity
from engine.kubectl import commands
from engine.kubectl.printers.sorting import SortError, is_less, relaxed_jsonpath
from tests.helpers import SAMPLES
from tests.served import served_samples
from tui import cli

served = served_samples()


LINES = [
    "get po --show-labels",
    "get po -o wide --show-labels",
    "get all --show-labels",
    "get svc,ep --show-labels",
    "get no --show-labels",
    "get ns --show-labels",
    "get po -A --show-labels",
    "get cm -n kube-system --show-labels",
    "get leases -n kube-node-lease --show-labels",
    "get po --sort-by=.metadata.name",
    "get po --sort-by=.status.podIP -o wide",
    "get svc --sort-by=.spec.clusterIP",
    "get svc --sort-by={.spec.ports[0].port}",
    "get svc --sort-by=spec.type",
    "get all --sort-by=.metadata.name",
    "get po -A --sort-by=.metadata.name",
    "get po -n kube-system --sort-by=.spec.nodeName",
    "get no --sort-by=.metadata.creationTimestamp",
    "get ds -A --sort-by=.metadata.name",
    "get svc --sort-by=.spec.externalName",
    "get po --sort-by=.nosuch",
    "get po -o name --sort-by=.status.podIP",
    "get po -A -o name --sort-by=.metadata.uid",
    "get svc -o yaml --sort-by=.spec.clusterIP",
    "get svc -o jsonpath={.items[*].metadata.name} --sort-by=.spec.clusterIP",
    "get svc redis -o name --sort-by=.nosuch",
    "get po --sort-by=.metadata.name --show-labels -o wide",
    "get all --no-headers",
    "get po -A --no-headers --show-labels",
    "get po --field-selector status.phase=Running",
    "get po -A --field-selector status.phase!=Running,spec.nodeName=kind-worker -o wide",
    "get po --field-selector status.phase!=Running",
    "get ev -A --field-selector reason=Scheduled,involvedObject.kind=Pod -o name",
    "get svc -A --field-selector spec.type=NodePort",
    "get po,svc --field-selector foo=bar",
    "get po --field-selector status.phase",
    "get po redis --field-selector status.phase=Running",
    "get no --field-selector spec.unschedulable=false -l kubernetes.io/os=linux",
]


@pytest.mark.parametrize("line", LINES)
async def test_get_flags_print_what_kubectl_prints(served, kubectl, line):
    want = served.svcflow(lambda c: commands.run_line(c, line))
    assert await kubectl(*shlex.split(line), settle=False) == want


async def test_sort_by_more_than_twelve_rows(served, kubectl):
    """Past 12 rows Go's sort.Sort is no longer an insertion sort; rows with distinct keys
    still come out in one order."""
    for line in ("get po -A --sort-by=.metadata.name", "get po -A --sort-by=.metadata.uid -o wide",
                 "get cm -A --sort-by=.metadata.name"):
        want = served.svcflow(lambda c: commands.run_line(c, line))
        assert await kubectl(*shlex.split(line), settle=False) == want


def test_the_session_refuses_what_svcflows_get_does_not_run(served):
    code, out, err = served.svcflow(lambda c: commands.run_line(c, "get po --watch"))
    assert (code, out) == (1, "") and "the real kubectl does, against `svcflow serve`" in err
    code, out, err = served.svcflow(lambda c: commands.run_line(c, "get po --replicas=3"))
    assert (code, err) == (1, "error: unknown flag: --replicas\nSee 'kubectl get --help' for usage.\n")


def test_sorting_rules():
    assert relaxed_jsonpath("metadata.name") == relaxed_jsonpath(".metadata.name") == "{.metadata.name}"
    assert relaxed_jsonpath("{.metadata.name}") == relaxed_jsonpath("{metadata.name}") == "{.metadata.name}"
    with pytest.raises(SortError):
        relaxed_jsonpath("{a}{b}")
    assert is_less("a10", "a9") and is_less("9", "10") and is_less("100m", "9") and not is_less("1Ki", "10")
    assert is_less(None, "a") and is_less(2, 10) and not is_less("b", "a10")
    assert parse_quantity("100m") < parse_quantity("1") < parse_quantity("1Ki") < parse_quantity("2k") \
        and parse_quantity("10.244.1.2") is None


# -- the CLI: global flags before or after the command, -f repeated ---------------------------

def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_global_flags_before_the_command_and_f_repeated():
    want = _cli("get", "all", "--deterministic", "-f", str(SAMPLES))
    assert want[0] == 0 and "service/redis" in want[1]
    assert _cli("--deterministic", "get", "all", "-f", str(SAMPLES)) == want
    files = sorted(str(p) for p in SAMPLES.iterdir() if p.suffix in (".yml", ".yaml"))
    repeated = [a for f in files for a in ("-f", f)]
    assert _cli("get", "all", "--deterministic", *repeated) == want
    assert _cli("--deterministic", "get", "all", "-f", ",".join(files)) == want  # a StringSlice: a,b
    assert _cli("--seed", "0", "--deterministic", "get", "-f", str(SAMPLES), "all") == want  # -f takes one value


def test_a_word_that_is_no_command_is_still_refused_after_global_flags():
    code, out, err = _cli("--deterministic", "gett", "all")
    assert code == 1 and err.startswith('Error: unknown command "gett" for "svcflow"')


def test_the_cli_takes_the_same_get_flags(served):
    """`svcflow get` prints what the session (and so the real kubectl, above) prints."""
    line = "get po -A -o wide --show-labels --sort-by=.status.podIP"
    want = served.svcflow(lambda c: commands.run_line(c, line))
    assert _cli("--deterministic", *shlex.split(line), "-f", str(SAMPLES)) == want
    code, out, err = _cli("--deterministic", "get", "svc", "--no-headers", "--sort-by", ".spec.clusterIP",
                          "-f", str(SAMPLES))
    assert (code, err) == (0, "") and out.splitlines()[0].startswith("kubernetes ")
