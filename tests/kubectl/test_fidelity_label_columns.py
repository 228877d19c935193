"""`get -L/--label-columns` (tester2 finding 21), `--show-labels` with a non-table `-o`, and
get's printing flags refused by the verbs that do not have them.

The oracle is the REAL kubectl against `svcflow serve`: kubectl adds the label columns itself
(cli-runtime's decorateTable, from each row's object metadata), so what it prints is what
svcflow's own `get` -- the headless CLI, `svcflow session`, the dashboard's `:` prompt, all
engine.kubectl.commands -- must print, byte for byte.
"""
from __future__ import annotations

import io
import shlex

import pytest

from engine.kubectl import commands
from engine.kubectl.flagvalues import CSVError, read_as_csv
from engine.kubectl.printers.get import label_column_headers
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import served_samples
from tui import cli

served = served_samples()


LINES = [
    "get po -L app",
    "get po -L app -L tier",
    "get po -L app,tier",
    "get po -Ltier -L=app",
    "get po --label-columns=app --label-columns tier",
    "get po -L app,pod-template-hash -o wide",
    "get po -L app -o wide --show-labels",
    "get po -A -L app,k8s-app",
    "get po -A -L k8s-app --show-labels --no-headers",
    "get all -L app",
    "get svc,ep,deploy -L app -A",
    "get no -L kubernetes.io/hostname,node-role.kubernetes.io/control-plane -o wide",
    "get ns -L kubernetes.io/metadata.name",
    "get ev -o wide -L app",
    "get po -L tier --sort-by=.metadata.name",
    "get po -L nosuch",  # every cell empty: the column is still there, padded as the tabwriter pads
    "get po -L ''",  # no value: no column
    "get po -L a/b/c,\"x,y\"",  # the header is the last path segment; a quoted CSV field keeps its comma
    "get po -L ' a, b'",
    "get po -L a,,b",
    "get po -L 'a\"b'",  # Go's encoding/csv refuses these, in pflag's words
    "get po -L '\"ab\"cd'",
    "get po -L 'xy,\"éb'",
    "get po -L",
    "get po -L app -o name",  # -L shapes tables only
    "get po -L app -o yaml",
    "get po -L app -o jsonpath={.items[*].metadata.name}",
    "describe po -L app",  # only get has it
    "describe po --label-columns=app",
    "delete po -AL x",
    "get po --show-labels -o yaml",  # GetOptions.Validate
    "get po --show-labels -o name",
    "get po --show-labels -o jsonpath={.items[0].metadata.name}",
    "get po --show-labels -o bogus",
    "get --show-labels -o name",  # (no type is said first)
    # get's printing flags are get's alone; -o belongs to the verbs that print objects
    "describe po --show-labels",
    "describe po --sort-by=.metadata.name",
    "describe po --no-headers",
    "describe po -o yaml",
    "label po x a=b --show-labels",
    "scale deploy/redis --replicas=1 --no-headers",
    "delete po x --sort-by=.a",
    "cordon kind-worker -o name",
    "drain kind-worker -o name",
    "uncordon kind-worker --show-labels",
    "rollout restart deploy/redis --show-labels",
    "run x --image=y --sort-by=z",
    "create ns x --no-headers",  # (the subcommand's usage line)
    "create ns",
    "create namespace a b",
]


@pytest.mark.parametrize("line", LINES)
async def test_label_columns_print_what_kubectl_prints(served, kubectl, line):
    want = served.svcflow(lambda c: commands.run_line(c, line))
    assert await kubectl(*shlex.split(line), settle=False) == want


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("line", ["get po -L app -L tier", "get all -A -L app,tier -o wide --show-labels",
                                  "get po --label-columns=app,pod-template-hash --no-headers"])
def test_the_cli_prints_the_label_columns_as_kubectl_does(served, line):
    """`svcflow get ... -L` = the session's line (and so, above, the real kubectl's)."""
    want = served.svcflow(lambda c: commands.run_line(c, line))
    assert want[0] == 0 and want[1]
    assert _cli("--deterministic", *shlex.split(line), "-f", str(SAMPLES)) == want


def test_the_cli_refuses_a_bad_label_column_list_in_kubectls_words(served, capsys):
    want = served.svcflow(lambda c: commands.run_line(c, "get po -L 'a\"b'"))
    with pytest.raises(SystemExit) as stop:
        cli.main(["get", "po", "-L", 'a"b', "-f", str(SAMPLES)], io.StringIO(), io.StringIO())
    assert (stop.value.code, capsys.readouterr().err) == (1, want[2])
    assert want[2].startswith('error: invalid argument "a\\"b" for "-L, --label-columns" flag: ')


def test_the_dashboard_prompt_takes_label_columns(served):
    """The `:` prompt is a Session: `kubectl get ... -L` is no longer refused there."""
    line = "kubectl get po -L app,tier"
    shown = served.call(lambda: Session(served.cluster).feed(line))
    want = served.svcflow(lambda c: commands.run_line(c, line))
    assert "unknown shorthand" not in shown and want[1] in shown and "APP       TIER" in shown


def test_label_column_headers_and_csv():
    assert label_column_headers(["app", "app.kubernetes.io/name", "a/b/c", ""]) == ["APP", "NAME", "C", ""]
    assert read_as_csv("") == []
    assert read_as_csv("a,b") == ["a", "b"]
    assert read_as_csv('"a,b",c') == ["a,b", "c"]
    assert read_as_csv('"a""b"') == ['a"b']
    assert read_as_csv("a\nb") == ["a"]  # one record
    assert read_as_csv('"a\nb"') == ["a\nb"]
    with pytest.raises(CSVError, match='column 3: bare " in non-quoted-field'):
        read_as_csv('é"')
    with pytest.raises(CSVError, match='column 5: extraneous or missing " in quoted-field'):
        read_as_csv('x,"a')
