"""The attach commands from the outside (issue 18): headless commands with --kubeconfig print
what the simulation prints for the same objects, errors a user can act on are one line and
never a traceback, the dashboard refuses writes; and a Corefile is read as CoreDNS reads it."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import pytest
from aiohttp import web
from textual import events

from engine.attach.client import INSTALL_HINT, AttachError, connect
from engine.attach.mirror import shape_of
from engine.attach.session import AttachOptions, AttachSession
from engine.attach.source import RESOURCES
from engine.dns.corefile import CoreDNSConfig, CorefileError, read_corefile
from engine.kapi import kubeconfig
from tests.attach_fixtures import ROOT, attached_dashboard
from tests.helpers import run_cli, terminal_text
from tests.served import require_kubectl


def test_proxy_rules_for_a_node_equal_the_simulations(served):
    kc = str(served.folder / "served-kubeconfig")
    for node in ("kind-control-plane", "kind-worker"):
        code, live, err = run_cli(*["proxy-rules", "--node", node, "--format", "restore", "--kubeconfig", kc])
        assert code == 0, err
        assert "computed from the live objects" in err
        code, simulated, _ = run_cli(*["proxy-rules", "--node", node, "--format", "restore", "-f", str(ROOT / "samples"),
                                  "--deterministic"])
        assert code == 0 and live == simulated


def test_headless_get_dig_and_describe_read_the_live_objects(served):
    kc = str(served.folder / "served-kubeconfig")
    code, out, err = run_cli(*["get", "svc", "-n", "default", "-o", "name", "--kubeconfig", kc])
    assert code == 0, err
    _, simulated, _ = run_cli(*["get", "svc", "-n", "default", "-o", "name", "-f", str(ROOT / "samples"), "--deterministic"])
    assert set(simulated.split()) <= set(out.split())
    code, out, err = run_cli(*["dig", "kubernetes.default.svc.cluster.local", "--kubeconfig", kc])
    assert code == 0 and "NOERROR" in out and "10.96.0.1" in out
    code, out, err = run_cli(*["describe", "svc", "kubernetes", "-n", "default", "--kubeconfig", kc])
    assert code == 0 and "10.96.0.1" in out


async def test_get_and_describe_do_not_wait_for_kube_proxy_and_coredns(served):
    """What `get` and `describe` print reads no computed rule or record: their snapshot
    skips the computing (at 10,000 Services most of a headless command's time); the
    computing commands still get it."""
    kc = str(served.folder / "served-kubeconfig")
    listed = await AttachSession(AttachOptions(kubeconfig=kc)).snapshot(compute=False)
    assert listed.store.count("Service") and listed.store.count("EndpointSlice")
    assert not listed.kube_proxy.last_sync and not listed.coredns.record_rows()
    computed = await AttachSession(AttachOptions(kubeconfig=kc)).snapshot()
    assert computed.kube_proxy.last_sync and computed.coredns.record_rows()


def test_describe_svc_without_the_computing_is_kubectls(served):
    """`describe svc` (its Endpoints line from the EndpointSlices) as the real kubectl prints it."""
    kc = str(served.folder / "served-kubeconfig")
    ours = run_cli(*["describe", "svc", "redis", "--kubeconfig", kc])
    real = subprocess.run([require_kubectl(), "describe", "svc", "redis"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "KUBECONFIG": kc})
    assert ours.code == 0 and real.returncode == 0, (ours.stderr, real.stderr)
    assert ours.stdout == real.stdout and "Endpoints:                10.244." in ours.stdout


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1, lines
    return lines[0]


def test_an_unreachable_server_is_one_line(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = kubeconfig.write(tmp_path / "kc", f"http://127.0.0.1:{port}")
    code, out, err = run_cli(*["get", "pods", "--kubeconfig", str(kc)])
    assert code == 1 and out == ""
    assert _one_line(err).startswith(f"svcflow: cannot reach the API server at http://127.0.0.1:{port}")


def test_ctrl_c_ends_a_headless_command_as_it_ends_kubectl(tmp_path):
    """A server that takes the connection and never answers: Ctrl+C ends `svcflow get pods`
    by the signal (the shell says 130), printing nothing -- no KeyboardInterrupt traceback."""
    import signal
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        kc = kubeconfig.write(tmp_path / "kc", f"http://127.0.0.1:{srv.getsockname()[1]}")
        proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "get", "pods", "--kubeconfig", str(kc)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        srv.settimeout(30)
        conn, _ = srv.accept()  # connected ...
        with conn:
            conn.settimeout(30)
            request = b""
            while b"\r\n\r\n" not in request:  # ... and the list asked for: waiting for its answer
                chunk = conn.recv(65536)
                assert chunk, request
                request += chunk
            assert request.startswith(b"GET /api/v1/"), request
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (-signal.SIGINT, b"", b"")


def test_a_missing_context_and_a_missing_kubeconfig_are_one_line(tmp_path):
    kc = kubeconfig.write(tmp_path / "kc", "http://127.0.0.1:1")
    code, _, err = run_cli(*["get", "pods", "--kubeconfig", str(kc), "--context", "staging"])
    assert code == 1 and _one_line(err) == f'svcflow: kubeconfig {kc}: no context "staging" (it has: svcflow)'
    code, _, err = run_cli(*["proxy-rules", "--kubeconfig", str(tmp_path / "nope")])
    assert code == 1 and _one_line(err) == f"svcflow: no kubeconfig at {tmp_path / 'nope'}"


def test_expired_credentials_are_one_line(tmp_path):
    async def unauthorized(request: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401,
                                  "message": "Unauthorized"}, status=401)

    async def main() -> str:
        app = web.Application()
        app.router.add_get("/{tail:.*}", unauthorized)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        kc = kubeconfig.write(tmp_path / "kc", url)
        try:
            return await asyncio.to_thread(run_cli, "get", "pods", "--kubeconfig", str(kc))
        finally:
            await runner.cleanup()
    code, out, err = asyncio.run(main())
    assert code == 1 and "401 Unauthorized" in _one_line(err) and "log in again" in err


def test_without_the_extra_attaching_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes_asyncio", None)  # as if not installed
    kc = kubeconfig.write(tmp_path / "kc", "http://127.0.0.1:1")
    code, _, err = run_cli(*["get", "pods", "--kubeconfig", str(kc)])
    assert code == 1 and _one_line(err) == f"svcflow: {INSTALL_HINT}"
    assert "pip install 'svcflow[attach]'" in INSTALL_HINT
    with pytest.raises(AttachError) as e:
        asyncio.run(connect(str(kc), None))
    assert not e.value.retry


def test_the_simulated_cli_never_imports_the_client():
    code = ("import sys, io; from tui import cli; cli.main(['get', 'svc', '-f', 'samples/'], io.StringIO(), io.StringIO());"
            "print('kubernetes_asyncio' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


async def enter_at_the_prompt(pilot, line: str) -> None:
    """`:`, the line pasted into the prompt (Textual's Paste event, what a terminal sends for a
    bracketed paste), then Enter."""
    await pilot.press("colon")
    pilot.app.post_message(events.Paste(line))
    await pilot.pause()
    assert pilot.app.focused is not None and getattr(pilot.app.focused, "value", None) == line
    await pilot.press("enter")
    await pilot.pause()


async def test_the_dashboard_attached_refuses_writes_and_marks_computed_panes(proxy, tmp_path):
    async with attached_dashboard(proxy.kubeconfig(tmp_path)) as (app, ws, pilot):
        app.refresh_panes(flash=False)
        await pilot.pause()
        # where the panes come from, on screen from the start: header, terminal, footer
        header = str(app.query_one("#cluster-header").render())
        assert f"attached read-only · {ws.server}" in header, header
        assert terminal_text(app).replace("\n", "").startswith(ws.read_only_line())  # (wrapped at 160)
        shown = {b.binding.description for b in app.active_bindings.values() if b.binding.show}
        assert "Scale+" not in shown and "Screenshot" in shown
        assert "computed" in str(app.query_one("#proxy").border_title)
        assert "computed" in str(app.query_one("#dns").border_title)
        assert app.query_one("#pods-table")._rows  # the live pods
        for line in ("kubectl delete pod --all", "kubectl scale deploy/counter --replicas=3",
                     "kubectl apply -f samples/", "generate services 10"):
            app.run_command(line)
            await pilot.pause()
            assert "read-only" in str(app.query_one("#status-line").render()), line
        # entered at the prompt, as a person does (the prompt once ran them on the mirror: a
        # deleted pod shown Terminating, a Service given another ClusterIP, none of it real);
        # pasted, as a terminal's bracketed paste delivers it (typing a key at a time waits for
        # the attached app to idle after every key: 20 s of this test)
        before = {k: len(app.workspace.cluster.store.list(k)) for k in ("Pod", "Service")}
        for line in ("kubectl delete svc --all", "kubectl label svc kubernetes x=y",
                     "kubectl rollout restart deploy/counter", "kubectl apply -f samples/"):
            await enter_at_the_prompt(pilot, line)
            assert "read-only" in str(app.query_one("#status-line").render()), line
        for verb in ("exec deploy/counter -- wget -qO- localhost:3000", "logs deploy/counter"):
            await enter_at_the_prompt(pilot, f"kubectl {verb}")
            assert f"use kubectl {verb.split()[0]}" in str(app.query_one("#status-line").render()), verb
        assert {k: len(app.workspace.cluster.store.list(k)) for k in before} == before
        assert (app.workspace.cluster.store.get("Service", "default", "kubernetes")["metadata"].get("labels")
                or {}).get("x") is None
        app.run_command("kubectl get svc kubernetes")
        await pilot.pause()
        assert "10.96.0.1" in str(app.query_one("#status-line").render()) + "".join(
            str(s) for s in app.query_one("#terminal-log").lines)
        app.action_delete_pod()
        await pilot.pause()


def test_a_corefile_is_read_as_coredns_reads_it():
    assert read_corefile(CoreDNSConfig().corefile()).config == CoreDNSConfig()
    text = """# a team's Corefile
.:53 {
    errors
    kubernetes example.internal in-addr.arpa {
       pods verified
       ttl 10
       endpoint_pod_names
    }
    rewrite name foo.example.com foo.default.svc.example.internal
    forward . 8.8.8.8
}
"""
    r = read_corefile(text)
    assert r.config == CoreDNSConfig(zone="example.internal", reverse_zones=("in-addr.arpa",), pods="verified", ttl=10,
                                     endpoint_pod_names=True, fallthrough=None, loadbalance=False)
    assert r.ignored == ("rewrite",)
    with pytest.raises(CorefileError):
        read_corefile(".:53 {\n    forward . /etc/resolv.conf\n}\n")
    with pytest.raises(CorefileError):
        read_corefile(".:53 {\n    kubernetes cluster.local {\n        ttl 9999\n    }\n}\n")


def test_a_screenshot_of_the_attached_dashboard(served, tmp_path):
    kc = str(served.folder / "served-kubeconfig")
    svg = tmp_path / "attached.svg"
    code, out, err = run_cli(*["screenshot", "--kubeconfig", kc, "-o", str(svg), "--size", "160x48"])
    assert code == 0, err
    text = svg.read_text(encoding="utf-8")
    assert "computed" in text and "counter" in text


# kind's kube-system/kube-proxy ConfigMap (config.conf, kindest/node v1.33), as `kubectl get cm -o yaml` shows it.
KIND_KUBE_PROXY_CONF = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: 0
  min: null
detectLocalMode: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 1s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  scheduler: ""
kind: KubeProxyConfiguration
mode: {mode}
nftables:
  masqueradeBit: null
nodePortAddresses: null
oomScoreAdj: null
"""


@pytest.mark.parametrize("mode, expected", [("iptables", "iptables"), ('""', "iptables"), ("ipvs", "ipvs"),
                                            ("nftables", "nftables")])
def test_kube_proxy_is_computed_in_the_mode_the_clusters_configmap_names(mode, expected):
    cm = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
          "data": {"config.conf": KIND_KUBE_PROXY_CONF.replace("{mode}", mode)}}
    resource = next(r for r in RESOURCES if r.field_selector.endswith("=kube-proxy"))
    shape = shape_of({resource: [cm]})
    assert shape.topology.proxy.mode == expected
    assert shape.topology.proxy.cluster_cidr == "10.244.0.0/16"
    assert shape.topology.proxy.masquerade_bit == 14 and shape.topology.proxy.localhost_node_ports
    assert not [n for n in shape.notes if "kube-proxy" in n]


def test_manifests_and_a_kubeconfig_together_are_refused_not_half_ignored(tmp_path):
    """`-f samples/ --kubeconfig K` attached and ignored the folder without a word."""
    kc = kubeconfig.write(tmp_path / "kc", "http://127.0.0.1:1")
    for argv in (["get", "pods", "-f", "samples/", "--kubeconfig", str(kc)], ["samples/", "--kubeconfig", str(kc)],
                 ["attach", "samples/"]):
        code, out, err = run_cli(*argv)
        assert (code, out) == (1, ""), argv
        assert err == "svcflow: --kubeconfig/--context attach to a real cluster, and manifests (-f, PATH) make a " \
                      "simulated one: give one or the other\n", argv


def test_an_empty_or_directory_kubeconfig_is_said_as_client_go_says_it():
    """The tester's finding 12: `/dev/null` and a directory were "no kubeconfig at ..." though
    they exist."""
    assert tuple(run_cli("get", "po", "--kubeconfig", "/dev/null")) == (
        1, "", 'svcflow: error loading config file "/dev/null": the file is empty (invalid configuration: '
               'no configuration has been provided)\n')
    assert tuple(run_cli("get", "po", "--kubeconfig", "/tmp")) == (
        1, "", 'svcflow: error loading config file "/tmp": read /tmp: is a directory\n')
