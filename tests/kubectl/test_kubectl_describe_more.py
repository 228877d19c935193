"""`kubectl describe` beyond the describers of its own: the generic describer (events and
every other kind), `-l` and `-A`."""
from __future__ import annotations

from engine.kubectl.printers.describe import smart_label_for
from tests.helpers import run_cli


def test_smart_labels_are_kubectls():
    assert [smart_label_for(f) for f in ("apiVersion", "creationTimestamp", "uid", "involvedObject",
                                         "reportingInstance", "x-y", "podIP", "a_b", "hostIPs")] == [
        "API Version", "Creation Timestamp", "UID", "Involved Object", "Reporting Instance", "X - Y", "Pod IP",
        "a_b", "Host I Ps"]


def test_describe_events_uses_the_generic_describer():
    out = run_cli("describe", "events", "--deterministic", "-f", "samples")
    assert out.code == 0 and out.stderr == ""
    first = out.stdout.split("\n\n\n")[0].splitlines()
    assert first[0].startswith("Name:") and first[1].split() == ["Namespace:", "default"]
    keys = [line.split(":")[0].strip() for line in first if not line.startswith(" ")]
    assert keys == ["Name", "Namespace", "Labels", "Annotations", "API Version", "Count", "First Timestamp",
                    "Involved Object", "Kind", "Last Timestamp", "Message", "Metadata", "Reason",
                    "Reporting Component", "Reporting Instance", "Source", "Type", "Events"]
    assert "  Kind:          Pod" in first


def test_describe_with_a_selector_and_across_namespaces():
    one = run_cli("describe", "pods", "-l", "tier=db", "--deterministic", "-f", "samples")
    assert [line.split()[1] for line in one.stdout.splitlines() if line.startswith("Name:")] == [
        n.removeprefix("pod/") for n in run_cli("get", "pods", "-l", "tier=db", "-o", "name", "--deterministic",
                                                "-f", "samples").stdout.split()]
    dns = run_cli("describe", "deploy", "-A", "-l", "k8s-app in (kube-dns)", "--deterministic", "-f", "samples")
    assert [line.split()[1] for line in dns.stdout.splitlines() if line.startswith(("Name:", "Namespace:"))] == [
        "coredns", "kube-system"]
    bad = run_cli("describe", "svc", "redis", "-l", "a=b", "--deterministic", "-f", "samples")
    assert (bad.code, bad.stderr) == (1, "error: name cannot be provided when a selector is specified\n")
    none = run_cli("describe", "pods", "-l", "app=nothing", "--deterministic", "-f", "samples")
    assert (none.code, none.stdout, none.stderr) == (0, "", "No resources found in default namespace.\n")
