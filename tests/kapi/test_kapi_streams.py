"""exec, attach, logs and port-forward through the served API, driven by the REAL kubectl
(engine/kapi/streams.py, logs.py, portforward.py), compared with what svcflow's own session
prints for the same lines on a twin cluster (engine/kubectl/session.py, engine/containers/).

The seed tutorial's `kubectl exec -it counter-<pod> -- sh` is typed on a pty, verbatim, and
the screen must be what svcflow's session shows for the same lines.
"""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kapi.streams import STREAM_START_SECONDS
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, Terminal, require_kubectl, served_samples

TUTORIAL = ["apk add curl busybox-extras", "curl localhost:3000", "curl localhost:3000", "telnet redis 6379",
            "dbsize", "KEYS *", "GET count", "quit", "exit"]


served = served_samples()


@pytest.fixture(scope="module")
def twin() -> Session:
    """svcflow's own session over the same deterministic cluster."""
    return Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)


def _screen(raw: bytes) -> str:
    """A pty's screen as text."""
    return raw.decode().replace("\r\n", "\n")


def _session_steps(twin: Session, enter: str, lines: list[str]) -> list[tuple[str, str]]:
    """What svcflow's session shows from entering the pod's shell, line by line: (the prompt
    the line is typed at, the line and its answer)."""
    assert twin.feed(enter) == ""
    steps = []
    for line in lines:
        prompt = twin.prompt
        steps.append((prompt, f"{line}\n{twin.feed(line)}"))
    assert twin.shell is None  # `exit` left the pod
    return steps


async def test_the_seed_tutorial_exec_it_sh_on_a_pty_shows_what_the_session_shows(served, twin, kubectl):
    pod = served.pod("default", "counter-")
    assert twin.cluster.store.get("Pod", "default", pod) is not None  # the twin is the same cluster
    steps = _session_steps(twin, f"kubectl exec -it {pod} -- sh", TUTORIAL)
    want = "".join(p + a for p, a in steps)
    assert "\n1\n" in want and "\n2\n" in want and "$1\n2\n" in want  # the counter counted, redis kept it
    term = Terminal(kubectl, "exec", "-it", pod, "--", "sh")
    try:
        # each line is typed once the screen shows the answer to the one before and the prompt
        for i, line in enumerate(TUTORIAL):
            shown = "".join(p + a for p, a in steps[:i]) + steps[i][0]
            assert await asyncio.to_thread(term.read_until_screen, shown), (shown, term.screen)
            await asyncio.to_thread(term.type, line.encode() + b"\r")
        code = await asyncio.to_thread(term.wait)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    served.settle()
    assert (code, _screen(term.screen)) == (0, want)


async def test_exec_deploy_cat_resolv_conf(served, twin, kubectl):
    line = "kubectl exec deploy/counter -- cat /etc/resolv.conf"
    got = await kubectl(*line.split()[1:])
    assert got == (0, twin.feed(line), "")
    assert got[1].startswith("search default.svc.cluster.local svc.cluster.local cluster.local\n")


async def test_exec_n_other_box_nslookup_redis_after_create_namespace_and_run(served, twin, kubectl):
    """`create namespace` is a protobuf POST, `run` a JSON one; then the lookup from the
    other namespace: both as svcflow's session answers them."""
    for line in ("kubectl create namespace other", "kubectl run box -n other --image=busybox -- sleep 3600"):
        code, out, err = await kubectl(*line.split()[1:])
        assert (code, out + err) == (0, twin.feed(line)), line
    line = "kubectl exec -n other box -- nslookup redis"
    code, out, err = await kubectl(*line.split()[1:])
    # (busybox's nslookup exits 1 on an NXDOMAIN reply: kubectl says so on stderr)
    assert (code, out + err) == (1, twin.feed(line))
    assert err == "command terminated with exit code 1\n"
    assert "** server can't find redis.other.svc.cluster.local: NXDOMAIN" in out
    line = "kubectl exec -n other box -- nslookup redis.default.svc.cluster.local"
    code, out, err = await kubectl(*line.split()[1:])
    assert (code, out, err) == (0, twin.feed(line), "")
    assert "Name:\tredis.default.svc.cluster.local" in out


async def test_exec_with_piped_stdin_and_no_tty_prints_only_the_answers(served, kubectl):
    """`kubectl exec -i POD -- sh` fed by a pipe: no prompt, no echo; stdin's end ends the shell."""
    pod = served.pod("default", "counter-")
    code, out, err = await kubectl("exec", "-i", pod, "--", "sh", stdin=b"echo hi\nhostname\npwd")
    assert (code, out, err) == (0, f"hi\n{pod}\n/app\n", "")


async def test_exit_codes_come_through_the_error_channel(served, kubectl):
    pod = served.pod("default", "counter-")
    assert await kubectl("exec", pod, "--", "sh", "-c", "exit 3") == (3, "", "command terminated with exit code 3\n")
    assert await kubectl("exec", "-i", pod, "--", "sh", stdin=b"exit 7\n") == (
        7, "", "command terminated with exit code 7\n")
    # (svcflow's shell has one output stream: a real sh would write `not found` to stderr)
    assert await kubectl("exec", "-i", pod, "--", "sh", stdin=b"nosuchtool\n") == (
        127, "sh: nosuchtool: not found\n", "command terminated with exit code 127\n")


async def test_refusals_read_as_svcflows_session_prints_them(served, twin, kubectl):
    pod = served.pod("default", "redis-")
    for line in (f"kubectl exec {pod} -- curl localhost:6379",  # not in the image: the runtime's refusal
                 f"kubectl exec {pod} -c nope -- sh",            # the apiserver's, before the upgrade
                 "kubectl exec nosuchpod -- sh"):
        code, out, err = await kubectl(*line.split()[1:])
        assert (code, out + err) == (1, twin.feed(line)), line


async def test_a_pod_that_is_not_running_yet_has_no_container_to_exec_into(served, twin, kubectl):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "early", "namespace": "default"},
           "spec": {"containers": [{"name": "box", "image": "busybox", "command": ["sleep", "3600"]}]}}
    served.call(lambda: served.cluster.api.create(dict(pod)))  # (not settled: not scheduled, not started)
    twin.cluster.api.create(dict(pod))
    line = "kubectl exec early -- hostname"
    code, out, err = await kubectl(*line.split()[1:], settle=False)
    assert (code, out + err) == (1, twin.feed(line))
    assert err == 'error: unable to upgrade connection: container not found ("box")\n'


async def test_python_clients_v4_protocol_with_text_frames(served):
    """The Python clients offer v4 too and send stdin as text frames ("\\x00ls\\n")."""
    pod = served.pod("default", "counter-")
    url = f"{served.served.url}/api/v1/namespaces/default/pods/{pod}/exec?command=sh&stdin=true&stdout=true&tty=false"
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, protocols=("v4.channel.k8s.io",)) as ws:
            assert ws.protocol == "v4.channel.k8s.io"
            await ws.send_str("\x00echo from python\n")
            await ws.send_str("\x00exit 2\n")
            frames = [m.data async for m in ws if m.type == aiohttp.WSMsgType.BINARY]
    stdout = b"".join(f[1:] for f in frames if f[0] == 1)
    status = json.loads(next(f[1:] for f in frames if f[0] == 3))
    assert stdout == b"echo from python\n".replace(b"echo ", b"")
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "2"}]


async def test_the_first_frame_waits_for_the_process_as_on_a_node(served):
    """kubectl 1.33 reads frames before it has made its streams (kubernetes/kubernetes#131189):
    a server answering at once had it print `Unknown stream id 1, discarding message` and lose
    what tar said, now and then under load. On a cluster the kubelet starts the process first."""
    pod = served.pod("default", "counter-")
    url = f"{served.served.url}/api/v1/namespaces/default/pods/{pod}/exec?command=hostname&stdout=true"
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, protocols=("v5.channel.k8s.io",)) as ws:
            upgraded = asyncio.get_running_loop().time()
            first = await ws.receive()
            waited = asyncio.get_running_loop().time() - upgraded
            rest = [m.data async for m in ws if m.type == aiohttp.WSMsgType.BINARY]
    assert first.data == b"\x01"  # the empty "connection established" frame on stdout
    assert waited >= STREAM_START_SECONDS * 0.9
    assert rest[0] == b"\x01" + pod.encode() + b"\n"


async def test_a_protocol_nobody_speaks_and_a_plain_get_are_refused_before_any_upgrade(served):
    pod = served.pod("default", "counter-")
    url = f"{served.served.url}/api/v1/namespaces/default/pods/{pod}/exec?command=sh&stdout=true"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as e:
            await http.ws_connect(url, protocols=("channel.k8s.io",))
        assert e.value.status == 400
        async with http.get(url) as resp:
            assert resp.status == 400
            assert (await resp.json())["message"] == "Upgrade request required"
        async with http.post(url, headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}) as resp:
            assert resp.status == 400
            assert "WebSocket (v5.channel.k8s.io) only" in (await resp.json())["message"]


async def test_a_client_that_hangs_up_mid_exec_leaves_the_cluster_serving(served, kubectl):
    pod = served.pod("default", "counter-")
    url = f"{served.served.url}/api/v1/namespaces/default/pods/{pod}/exec?command=sh&stdin=true&stdout=true&tty=true"
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url, protocols=("v5.channel.k8s.io",))
        await ws.send_bytes(b"\x00echo half a li")
        await ws.close()
    code, out, _ = await kubectl("exec", pod, "--", "hostname")
    assert (code, out) == (0, pod + "\n")


# ---------------------------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------------------------

async def test_logs_of_redis_are_its_start_up_banner(served, kubectl):
    pod = served.pod("default", "redis-")
    code, out, err = await kubectl("logs", pod)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].endswith("* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    assert lines[-1].endswith("* Ready to accept connections tcp") and len(lines) == 8
    code, tail, err = await kubectl("logs", "deploy/redis", "--tail=2", "--timestamps")
    assert (code, err) == (0, "")
    stamped = tail.splitlines()
    assert [s.split(" ", 1)[1] for s in stamped] == lines[-2:]
    assert all(len(s.split(" ", 1)[0]) == len("2025-06-01T10:02:06.002000000Z") for s in stamped)


async def test_logs_of_the_counter_are_its_requests(served, kubectl):
    pod = served.pod("default", "counter-")
    before = (await kubectl("logs", pod))[1]
    await kubectl("exec", pod, "--", "sh", "-c", "apk add curl; curl localhost:3000")
    code, out, err = await kubectl("logs", pod, "-c", "counter")
    assert (code, err) == (0, "")
    assert out.startswith(before) and out[len(before):].startswith("GET / 200 count=")


async def test_logs_refusals(served, kubectl):
    pod = served.pod("default", "redis-")
    assert await kubectl("logs", pod, "-c", "nope") == (
        1, "", f"error: container nope is not valid for pod {pod}\n")
    assert await kubectl("logs", "nosuch") == (  # (kubectl's own words around the server's 404)
        1, "", 'error: error from server (NotFound): pods "nosuch" not found in namespace "default"\n')
    code, out, err = await kubectl("logs", pod, "--previous")
    assert (code, err) == (1, f'Error from server (BadRequest): previous terminated container "redis" in pod '
                              f'"{pod}" not found\n')


async def test_logs_f_follows_and_ends_when_the_pod_goes(tmp_path):
    s = ServedCluster([SAMPLES], tmp_path)
    try:
        kubectl = Kubectl(s, tmp_path)
        pod = s.pod("default", "counter-")
        follow = asyncio.create_task(kubectl("logs", "-f", pod, settle=False, timeout=60))
        await asyncio.sleep(1.5)
        await kubectl("exec", pod, "--", "sh", "-c", "apk add curl; curl localhost:3000; curl localhost:3000")
        await asyncio.sleep(0.5)
        assert not follow.done()
        await kubectl("delete", "pod", pod, "--wait=false")
        code, out, err = await asyncio.wait_for(follow, 30)
        assert (code, out, err) == (0, "GET / 200 count=1\nGET / 200 count=2\n", "")
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# attach, port-forward
# ---------------------------------------------------------------------------------------------

async def test_attach_shows_what_the_process_prints_from_now_on(served, kubectl):
    """`kubectl attach` to the counter: nothing of the past, then each request it serves."""
    pod = served.pod("default", "counter-")
    await kubectl("exec", pod, "--", "sh", "-c", "apk add curl")
    proc = await asyncio.create_subprocess_exec(*kubectl.argv("attach", pod), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, env=kubectl.env())
    try:
        await asyncio.sleep(2)  # (kubectl connects)
        code, out, _ = await kubectl("exec", pod, "--", "curl", "localhost:3000")
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.decode() == f"GET / 200 count={out.strip()}\n"
        assert proc.returncode is None  # still attached
    finally:
        proc.kill()
        await proc.wait()


async def test_run_it_attaches_to_the_shell_the_pod_runs(tmp_path):
    """`kubectl run -it box --image=busybox -- sh`: the pod's main process is a shell with
    stdin open, and attach is that shell (the cluster runs while kubectl waits for the pod)."""
    s = ServedCluster([SAMPLES], tmp_path, settle_on_write=True)
    try:
        term = Terminal(Kubectl(s, tmp_path), "run", "-it", "box", "--image=busybox", "--", "sh")
        try:
            assert await asyncio.to_thread(term.read_until_screen,
                                           "If you don't see a command prompt, try pressing enter.\n/ # ", 60)
            await asyncio.to_thread(term.type, b"hostname\r")
            assert await asyncio.to_thread(term.read_until_screen, "/ # hostname\nbox\n/ # ")
            await asyncio.to_thread(term.type, b"exit\r")
            code = await asyncio.to_thread(term.wait)
        finally:
            if term.proc.poll() is None:
                term.proc.kill()
        assert code == 0
        assert _screen(term.screen).endswith("/ # exit\nSession ended, resume using 'kubectl attach box -c box -i -t' "
                                             "command when the pod is running\n")
    finally:
        s.close()


async def test_port_forward_says_it_is_not_simulated_instead_of_hanging(served, kubectl):
    pod = served.pod("default", "counter-")
    code, out, err = await kubectl("port-forward", pod, "3000", timeout=30)
    assert (code, out) == (1, "")
    assert err.startswith("error: error upgrading connection: port-forward is not simulated by svcflow")


# ---------------------------------------------------------------------------------------------
# the container's terminal (engine/kapi/terminal.py)
# ---------------------------------------------------------------------------------------------

def test_a_tty_echoes_edits_and_hands_on_whole_lines():
    from engine.kapi.terminal import Terminal as Tty

    t = Tty(tty=True)
    got = t.feed(b"ech")
    assert (got.echo, got.lines) == ("ech", ())
    got = t.feed(b"p\x7fo hi\x1b[A\r")  # a typo erased, an arrow key ignored, Enter
    assert (got.echo, got.lines) == ("p\b \bo hi\r\n", ("echo hi",))
    got = t.feed("caf\xc3".encode("latin-1") + b"")  # half of a UTF-8 character...
    got2 = t.feed(b"\xa9\r")  # ...and the rest in the next frame
    assert (got.echo + got2.echo, got2.lines) == ("caf" + "é" + "\r\n", ("café",))
    got = t.feed(b"sleep 9\x03")
    assert (got.echo, got.lines, got.interrupted) == ("sleep 9^C\r\n", (), True)
    assert t.feed(b"\x04").eof
    assert t.output("a\nb\r\n") == b"a\r\nb\r\n"


def test_without_a_tty_nothing_is_echoed_and_stdins_end_flushes_the_last_line():
    from engine.kapi.terminal import Terminal as Tty

    t = Tty(tty=False)
    got = t.feed(b"one\ntw")
    assert (got.echo, got.lines) == ("", ("one",))
    end = t.close()
    assert (end.lines, end.eof) == (("tw",), True)
    assert t.output("a\n") == b"a\n"


async def test_log_query_parameters_as_kube_apiserver_takes_them(served):
    pod = served.pod("default", "redis-")
    base = f"{served.served.url}/api/v1/namespaces/default/pods/{pod}/log"
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as resp:
            assert (resp.status, resp.content_type) == (200, "text/plain")
            full = await resp.text()
        async with http.get(base, params={"limitBytes": "10"}) as resp:
            assert await resp.text() == full[:10]
        async with http.get(base, params={"tailLines": "0"}) as resp:
            assert await resp.text() == ""
        served.call(lambda: served.cluster.run_for(5))  # five seconds of the cluster's clock pass
        async with http.get(base, params={"sinceSeconds": "1"}) as resp:
            assert await resp.text() == ""  # the banner is older than that
        async with http.get(base, params={"sinceSeconds": "3600"}) as resp:
            assert await resp.text() == full
        async with http.get(base, params={"sinceTime": "2000-01-01T00:00:00Z"}) as resp:
            assert await resp.text() == full
        for bad, field in (({"tailLines": "-1"}, "tailLines"), ({"limitBytes": "0"}, "limitBytes"),
                           ({"sinceSeconds": "0"}, "sinceSeconds")):
            async with http.get(base, params=bad) as resp:
                body = await resp.json()
                assert (resp.status, body["reason"], body["details"]["causes"][0]["field"]) == (422, "Invalid", field)
        async with http.get(base, params={"container": "nope"}) as resp:
            assert (resp.status, (await resp.json())["message"]) == (400, f"container nope is not valid for pod {pod}")
        async with http.post(base) as resp:
            assert resp.status == 405


async def test_a_failure_inside_the_shell_is_an_internal_error_on_the_error_channel(served, monkeypatch):
    """svcflow's own bug in a command reaches the client as kube-apiserver's InternalError, not
    as a traceback or a hung stream, and the next exec works."""
    from engine.containers.shell import PROGRAMS

    def broken(proc):
        raise RuntimeError("simulated bug")
    monkeypatch.setitem(PROGRAMS, "hostname", broken)
    pod = served.pod("default", "counter-")
    url = f"{served.served.url}/api/v1/namespaces/default/pods/{pod}/exec?command=hostname&stdout=true"
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, protocols=("v5.channel.k8s.io",)) as ws:
            frames = [m.data async for m in ws if m.type == aiohttp.WSMsgType.BINARY]
    status = json.loads(next(f[1:] for f in frames if f[0] == 3))
    assert (status["status"], status["reason"], status["message"]) == (
        "Failure", "InternalError", "Internal error occurred: RuntimeError: simulated bug")
    monkeypatch.undo()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, protocols=("v5.channel.k8s.io",)) as ws:
            frames = [m.data async for m in ws if m.type == aiohttp.WSMsgType.BINARY]
    assert b"".join(f[1:] for f in frames if f[0] == 1) == f"{pod}\n".encode()


async def test_svcflows_own_logs_print_what_kubectl_prints(tmp_path):
    """`kubectl logs` at svcflow's own prompt (the session) prints what the real kubectl prints
    against the served twin: the same lines (both read engine.kubelet.logs), the same refusals."""
    require_kubectl()
    s = ServedCluster([SAMPLES], tmp_path)
    try:
        kubectl = Kubectl(s, tmp_path / "k")
        twin = Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)
        bump = "kubectl exec deploy/counter -- wget -qO- localhost:3000"
        assert (await kubectl(*bump.split()[1:]))[1] == twin.feed(bump)
        redis = s.pod("default", "redis-")
        for line in (f"kubectl logs {redis}", "kubectl logs deploy/redis --tail=2", "kubectl logs deploy/redis --tail=0",
                     "kubectl logs deploy/redis --tail=-1", "kubectl logs deploy/counter", f"kubectl logs {redis} -c nope",
                     "kubectl logs nosuch", "kubectl logs deploy/nosuch", f"kubectl logs {redis} --previous",
                     "kubectl logs", "kubectl logs -n kube-system deploy/redis", "kubectl logs svc/redis --tail=1",
                     "kubectl logs svc/nosuch", "kubectl logs pod/nosuch", "kubectl logs ds/kube-proxy -n kube-system",
                     "kubectl logs nosuchkind/x", "kubectl logs deploy/redis extra", "kubectl logs deploy/redis redis",
                     "kubectl logs deploy/redis redis -c redis", "kubectl logs a b c", "kubectl logs deploy/",
                     "kubectl logs /redis", "kubectl logs deploy/redis --tail=abc", "kubectl logs -c"):
            code, out, err = await kubectl(*line.split()[1:])
            assert out + err == twin.feed(line), line
        code, out, err = await kubectl("logs", "deploy/redis", "--tail=2", "--timestamps")
        mine = twin.feed("kubectl logs deploy/redis --tail=2 --timestamps")
        assert [x.split(" ", 1)[1] for x in mine.splitlines()] == [x.split(" ", 1)[1] for x in out.splitlines()]
        assert [len(x.split(" ", 1)[0]) for x in mine.splitlines()] == [len(x.split(" ", 1)[0]) for x in out.splitlines()]
    finally:
        s.close()
