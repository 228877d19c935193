"""What goes wrong before (or instead of) a cluster, in one line each (the tester's findings 4
and 13): a kubeconfig that is empty, not YAML or not a Config, or that names certificate files
that cannot be read, is refused as kubectl refuses it, naming the file; an unreachable server
is said in the operating system's words (no aiohttp "ssl:default"), and a headless command,
which does not retry, does not say "(retrying)"; a server whose certificate is refused was
reached ("tls: failed to verify certificate"); a URL that is not a Kubernetes API is one line.
The dashboard shows the same lines on its error bar, never a traceback."""
from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from aiohttp import web

from engine.attach.client import AttachError, check_kubeconfig
from engine.attach.session import AttachOptions
from engine.attach.workspace import AttachWorkspace
from engine.kapi import kubeconfig
from tests.attach_fixtures import eventually
from tests.helpers import run_cli


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1, lines
    return lines[0]


WITH_CERT_FILES = """\
apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {client-certificate: CERT, client-key: KEY}}]
"""


@pytest.mark.parametrize("text, said", [
    ("garbage: [\n", 'yaml: line 2: expected the node content'),
    ("\n", "the file is empty (invalid configuration: no configuration has been provided)"),
    ("- a\n- b\n", "not a kubeconfig"),
    ("contexts: 5\n", "contexts is not a list"),
])
def test_a_kubeconfig_that_cannot_be_loaded_is_one_line_naming_it(tmp_path: Path, text: str, said: str):
    kc = tmp_path / "kc"
    kc.write_text(text, encoding="utf-8")
    for argv in (["get", "pods"], ["proxy-rules"], ["dig", "kubernetes"]):
        code, out, err = run_cli(*[*argv, "--kubeconfig", str(kc)])
        line = one_line(err)
        assert code == 1 and out == ""
        assert line.startswith(f'svcflow: error loading config file "{kc}": ') and said in line, line
    with pytest.raises(AttachError) as e:
        check_kubeconfig(str(kc), None)
    assert not e.value.retry and said in e.value.line


def test_an_exec_plugin_that_is_not_installed_is_client_gos_line(tmp_path: Path, capfd):
    """A tester: `[Errno 2] No such file or directory: '/nonexistent-plugin'` (the loader's log
    line) and `FileNotFoundError: ...` where client-go says `getting credentials: exec:
    executable /nonexistent-plugin not found`."""
    kc = tmp_path / "kc"
    kc.write_text("""\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /nonexistent-plugin}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
""", encoding="utf-8")
    code, out, err = run_cli(*["get", "pods", "--kubeconfig", str(kc)])
    assert code == 1 and out == ""
    assert one_line(err) == (f"svcflow: kubeconfig {kc}: getting credentials: exec: executable /nonexistent-plugin "
                             "not found")
    assert capfd.readouterr().err == ""  # (nothing else on the terminal: no log line of the library's)


def test_client_certificate_files_that_cannot_be_read_are_refused_as_kubectl_does(tmp_path: Path):
    kc = tmp_path / "kc"
    kc.write_text(WITH_CERT_FILES.replace("CERT", "nope.crt").replace("KEY", "nope.key"), encoding="utf-8")
    code, _, err = run_cli(*["get", "pods", "--kubeconfig", str(kc)])
    assert code == 1
    # client-go's clientcmd validation: `unable to read client-cert %v for %v due to %w`
    assert one_line(err) == (f"svcflow: kubeconfig {kc}: invalid configuration: unable to read client-cert "
                             "nope.crt for u due to open nope.crt: no such file or directory")
    (tmp_path / "nope.crt").write_text("x")  # (relative to the kubeconfig's folder, as kubectl reads it)
    code, _, err = run_cli(*["get", "pods", "--kubeconfig", str(kc)])
    assert code == 1 and "unable to read client-key nope.key for u due to open nope.key" in one_line(err)


async def test_the_dashboard_shows_a_broken_kubeconfig_as_one_line(tmp_path: Path):
    kc = tmp_path / "kc"
    kc.write_text("garbage: [\n", encoding="utf-8")
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kc)))
    await asyncio.wait_for(ws.follow(lambda what: None), 10)  # (a kubeconfig it cannot load: it stops trying)
    problems, _ = ws.status()
    assert len(problems) == 1 and problems[0].startswith(f'error loading config file "{kc}": yaml: line 2')


def test_an_unreachable_server_is_said_without_aiohttp_noise_nor_retrying(tmp_path: Path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = kubeconfig.write(tmp_path / "kc", f"http://127.0.0.1:{port}")
    code, _, err = run_cli(*["get", "pods", "--kubeconfig", str(kc)])
    assert code == 1
    assert one_line(err) == f"svcflow: cannot reach the API server at http://127.0.0.1:{port}: Connection refused"


def serve_in_thread(app_factory, tmp_path: Path, argv_of, ssl_context: ssl.SSLContext | None = None):
    """Run a small aiohttp server in the test's loop while the CLI runs in a thread."""
    async def main():
        runner = web.AppRunner(app_factory())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        scheme = "https" if ssl_context else "http"
        url = f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"
        kc = kubeconfig.write(tmp_path / "kc", url)
        try:
            return url, await asyncio.to_thread(run_cli, *argv_of(str(kc)))
        finally:
            await runner.cleanup()
    return asyncio.run(main())


def test_a_url_that_is_not_a_kubernetes_api_is_one_line(tmp_path: Path):
    async def not_found(request: web.Request) -> web.Response:  # (python -m http.server's answer)
        return web.Response(status=404, text="404: Not Found")

    def app():
        a = web.Application()
        a.router.add_get("/{tail:.*}", not_found)
        return a
    url, (code, _, err) = serve_in_thread(app, tmp_path, lambda kc: ["get", "pods", "--kubeconfig", kc])
    assert code == 1
    assert one_line(err) == f"svcflow: {url} is not a Kubernetes API server (GET /api: 404)"


def test_a_refused_certificate_is_not_an_unreachable_server(tmp_path: Path):
    openssl = shutil.which("openssl")
    if openssl is None:  # (Debian's openssl, on every machine of this project: fail loudly, never skip)
        pytest.fail("openssl is not on PATH: this test makes a self-signed certificate with it")
    key, crt = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(crt), str(key))

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIVersions"})

    def app():
        a = web.Application()
        a.router.add_get("/{tail:.*}", api)
        return a
    url, (code, _, err) = serve_in_thread(app, tmp_path, lambda kc: ["get", "pods", "--kubeconfig", kc], ctx)
    assert code == 1
    line = one_line(err)
    assert line.startswith(f"svcflow: {url}: tls: failed to verify certificate: ") and "self-signed" in line, line
    assert "cannot reach" not in line and "ssl:" not in line and "(retrying)" not in line


async def test_the_dashboard_says_retrying_and_the_line_has_no_aiohttp_noise(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = AttachWorkspace(AttachOptions(kubeconfig=str(kubeconfig.write(tmp_path / "kc", f"http://127.0.0.1:{port}"))))
    task = asyncio.create_task(ws.follow(lambda what: None))
    try:
        await eventually(lambda: ws.status()[0], what="the unreachable line")
        assert ws.status()[0] == [f"cannot reach the API server at http://127.0.0.1:{port}: Connection refused "
                                  "(retrying)"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
