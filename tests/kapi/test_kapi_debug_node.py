"""`kubectl debug node/NAME`: kubectl 1.33 POSTs the node-debugger pod in protobuf (its
typed client), with the node's root file system mounted at /host, the host's network, PID
and IPC namespaces, the node's name and a toleration of every taint; the served API decodes
all of it, the pod lands on that node, and `-it` attaches to its shell."""
from __future__ import annotations

import asyncio
import re

from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, Terminal

CREATING = re.compile(r"^Creating debugging pod (node-debugger-kind-worker-[a-z0-9]{5}) with container debugger "
                      r"on node kind-worker\.\n$")


def _debug_pod(s: ServedCluster, name: str) -> dict:
    return s.call(lambda: s.cluster.store.get("Pod", "default", name))


async def test_debug_node_creates_the_node_debugger_pod_as_kubectl_sends_it(tmp_path):
    s = ServedCluster([SAMPLES], tmp_path, settle_on_write=True)
    try:
        kubectl = Kubectl(s, tmp_path)
        code, out, err = await kubectl("debug", "node/kind-worker", "--image=busybox", "--profile=legacy")
        assert (code, err) == (0, '--profile=legacy is deprecated and will be removed in the future. It is '
                                  'recommended to explicitly specify a profile, for example "--profile=general".\n')
        name = CREATING.match(out).group(1)
        pod = _debug_pod(s, name)
        spec = pod["spec"]
        assert (spec["nodeName"], spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (
            "kind-worker", True, True, True)
        assert spec["restartPolicy"] == "Never" and spec["tolerations"] == [{"operator": "Exists"}]
        assert {"name": "host-root", "hostPath": {"path": "/", "type": ""}} in spec["volumes"]
        container = spec["containers"][0]
        assert (container["name"], container["image"], container["terminationMessagePolicy"]) == (
            "debugger", "busybox", "File")
        assert {"mountPath": "/host", "name": "host-root"} in container["volumeMounts"]
        assert "securityContext" not in container  # (legacy and general set none)
        assert pod["status"]["hostIP"] == pod["status"]["podIP"]  # the node's own address: host network

        code, out, err = await kubectl("debug", "node/kind-worker", "--image=busybox", "--profile=sysadmin")
        assert (code, err) == (0, "")
        assert _debug_pod(s, CREATING.match(out).group(1))["spec"]["containers"][0]["securityContext"] == {
            "privileged": True}
        code, out, err = await kubectl("debug", "node/kind-worker", "--image=busybox", "--profile=netadmin")
        assert (code, err) == (0, "")
        assert _debug_pod(s, CREATING.match(out).group(1))["spec"]["containers"][0]["securityContext"] == {
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}
    finally:
        s.close()


async def test_debug_node_it_attaches_to_the_debugger_shell(tmp_path):
    s = ServedCluster([SAMPLES], tmp_path, settle_on_write=True)
    try:
        term = Terminal(Kubectl(s, tmp_path), "debug", "node/kind-worker", "-it", "--image=busybox",
                        "--profile=general")
        try:
            assert await asyncio.to_thread(term.read_until_screen,
                                           "If you don't see a command prompt, try pressing enter.\n", 60), term.screen
            # (the quotes keep the typed line, echoed back, from matching what the shell prints)
            await asyncio.to_thread(term.type, b'echo debug""ging\r')
            assert await asyncio.to_thread(term.read_until_screen, "\ndebugging\n"), term.screen
            await asyncio.to_thread(term.type, b"exit\r")
            code = await asyncio.to_thread(term.wait)
        finally:
            if term.proc.poll() is None:
                term.proc.kill()
        assert code == 0
        screen = term.screen.decode(errors="replace").replace("\r\n", "\n")
        assert screen.startswith("Creating debugging pod node-debugger-kind-worker-")
    finally:
        s.close()


async def test_debug_copy_to_sends_the_whole_pod_back_in_protobuf(tmp_path):
    """`kubectl debug POD --copy-to=NAME`: the copy carries everything the stored pod has (its
    projected kube-api-access volume, env, the kubelet-facing defaults) plus the debugger."""
    s = ServedCluster([SAMPLES], tmp_path, settle_on_write=True)
    try:
        kubectl = Kubectl(s, tmp_path)
        pod = s.pod("default", "counter-")
        code, out, err = await kubectl("debug", pod, "--image=busybox", "--copy-to=dbg-copy", "--profile=general")
        assert (code, err) == (0, "") and out.startswith("Defaulting debug container name to debugger-")
        original = s.call(lambda: s.cluster.store.get("Pod", "default", pod))
        copy = s.call(lambda: s.cluster.store.get("Pod", "default", "dbg-copy"))
        assert [c["name"] for c in copy["spec"]["containers"]][0] == "counter"
        debugger = copy["spec"]["containers"][1]
        assert (debugger["image"], debugger["securityContext"]) == ("busybox", {"capabilities": {"add": ["SYS_PTRACE"]}})
        assert copy["spec"]["shareProcessNamespace"] is True
        assert copy["spec"]["volumes"] == original["spec"]["volumes"]  # (projected: token, ca.crt, namespace)
        assert copy["spec"]["containers"][0]["env"] == original["spec"]["containers"][0]["env"]
    finally:
        s.close()
