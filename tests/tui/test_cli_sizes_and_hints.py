"""The headless CLI's small refusals and hints (tester2 findings 17 and 20).

`svcflow screenshot --size` refuses sizes no screen has, in one line, before anything is
rendered; `svcflow get/describe/...` simulating a cluster while $KUBECONFIG is set says so on
stderr (only --kubeconfig attaches), and stdout stays exactly what kubectl prints.
"""
from __future__ import annotations

import io

import pytest

from tests.helpers import SAMPLES
from tui import cli


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("size", ["0x0", "5x0", "0x5", "99999x99999", "2001x10", "10x2001"])
def test_screenshot_refuses_sizes_out_of_range_in_one_line(tmp_path, size):
    svg = tmp_path / "x.svg"
    code, out, err = _cli("screenshot", "-f", str(SAMPLES), "--size", size, "-o", str(svg))
    assert (code, out) == (1, "")
    assert err == f"error: --size {size}: columns and rows must each be between 1 and 2000 (like 160x48)\n"
    assert not svg.exists()


@pytest.mark.parametrize("size", ["-1x3", "abc", "160x", "x48", "1.5x3", "+5x3", " 5x3", "160x48x2", "١٦x48"])
def test_screenshot_refuses_what_is_no_size(tmp_path, size):
    code, out, err = _cli("screenshot", "-f", str(SAMPLES), f"--size={size}", "-o", str(tmp_path / "x.svg"))
    assert (code, out, err) == (1, "", f"error: --size must look like 160x48, got {size!r}\n")


def test_screenshot_sizes_taken():
    assert cli.screenshot_size("160x48") == (160, 48)
    assert cli.screenshot_size("160X48") == (160, 48)
    assert cli.screenshot_size("1x1") == (1, 1)
    assert cli.screenshot_size("2000x2000") == (2000, 2000)


HINT = ('svcflow: showing an empty simulated cluster (no -f given); $KUBECONFIG is set: add --kubeconfig '
        '"$KUBECONFIG" to read that cluster (or run \'svcflow attach\' for the dashboard)\n')


@pytest.mark.parametrize("argv", [("get", "svc"), ("describe", "svc", "kubernetes"), ("corefile",)])
def test_kubeconfig_in_the_environment_gets_one_hint_on_stderr(monkeypatch, tmp_path, argv):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    want = _cli("--deterministic", *argv)
    assert want[0] == 0 and want[1] and HINT not in want[2]
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    code, out, err = _cli("--deterministic", *argv)
    assert (code, out) == want[:2]  # stdout: what kubectl would print of the simulation
    assert err == HINT + want[2]


def test_no_hint_when_the_manifests_were_named(monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    code, out, err = _cli("--deterministic", "get", "svc", "-f", str(SAMPLES))
    assert code == 0 and "redis" in out and "KUBECONFIG" not in err


def test_no_hint_for_commands_that_never_attach(monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    code, out, err = _cli("--deterministic", "events")
    assert code == 0 and "KUBECONFIG" not in err


@pytest.mark.parametrize("line", ["get pods -n", "get pods --namespace", "describe svc -n", "get all -f SAMPLES -n"])
def test_a_kubectl_verb_ending_in_a_flag_without_its_value_says_what_kubectl_says(line):
    argv = [str(SAMPLES) if w == "SAMPLES" else w for w in line.split()]
    code, out, err = _cli(*argv)
    flag = argv[-1]
    needs = "'n' in -n" if flag == "-n" else flag
    assert (code, out) == (1, "")
    assert err == f"error: flag needs an argument: {needs}\nSee 'kubectl {argv[0]} --help' for usage.\n"


def test_a_session_given_a_folder_says_so_in_one_line_and_how_to_load_it(tmp_path):
    code, out, err = _cli("session", str(SAMPLES))
    assert (code, out) == (1, "")
    assert err == (f"svcflow session: {SAMPLES} is a folder: a session reads a file of lines (or stdin); "
                   f"manifests come with -f (svcflow session -f {SAMPLES})\n")
    code, out, err = _cli("session", str(tmp_path / "nope.txt"), "-f", str(SAMPLES))
    assert (code, out, err) == (1, "", f"svcflow session: {tmp_path / 'nope.txt'}: No such file or directory\n")
