"""`ifconfig` in a pod: busybox's applet in Alpine (its `Link encap:` blocks), net-tools' after
`apk add net-tools` (its `flags=...<...>` blocks), both showing the eth0 and lo that `ip addr`
shows (the pod IP with its node's podCIDR prefix, the veth's MAC and link-local address),
and refusing to change them (no CAP_NET_ADMIN in a pod)."""
from __future__ import annotations

import ipaddress
import re

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES


@pytest.fixture()
def sh(cluster) -> Session:
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/counter -- sh") == ""
    return s


def _eth0(sh: Session) -> tuple[ipaddress.IPv4Interface, str, str]:
    """eth0's address, MAC and link-local address, as `ip addr` shows them."""
    shown = sh.feed("ip addr show")
    inet = re.search(r"inet (\S+) brd \S+ scope global eth0", shown)[1]
    mac = re.search(r"link/ether (\S+) brd", shown)[1]
    inet6 = re.search(r"inet6 (fe80\S+)/64 scope link", shown)[1]
    return ipaddress.IPv4Interface(inet), mac, inet6


def test_busybox_ifconfig_shows_eth0_and_lo_as_ip_addr_does(sh, cluster):
    iface, mac, inet6 = _eth0(sh)
    pod_ip = sh.feed("hostname -i").strip()
    assert str(iface.ip) == pod_ip
    eth0 = (f"eth0      Link encap:Ethernet  HWaddr {mac.upper()}  \n"
            f"          inet addr:{pod_ip}  Bcast:{iface.network.broadcast_address}  Mask:{iface.netmask}\n"
            f"          inet6 addr: {inet6}/64 Scope:Link\n"
            "          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n"
            "          RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n"
            "          TX packets:0 errors:0 dropped:0 overruns:0 carrier:0\n"
            "          collisions:0 txqueuelen:1000 \n"
            "          RX bytes:0 (0.0 B)  TX bytes:0 (0.0 B)\n\n")
    lo = ("lo        Link encap:Local Loopback  \n"
          "          inet addr:127.0.0.1  Mask:255.0.0.0\n"
          "          inet6 addr: ::1/128 Scope:Host\n"
          "          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n"
          "          RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n"
          "          TX packets:0 errors:0 dropped:0 overruns:0 carrier:0\n"
          "          collisions:0 txqueuelen:1000 \n"
          "          RX bytes:0 (0.0 B)  TX bytes:0 (0.0 B)\n\n")
    assert sh.feed("ifconfig") == eth0 + lo  # (by name: eth0 before lo)
    assert sh.feed("ifconfig -a") == eth0 + lo
    assert sh.feed("ifconfig eth0") == eth0
    assert sh.feed("ifconfig lo") == lo
    assert sh.feed("ifconfig | grep 'inet addr' | cut -d: -f2 | cut -d' ' -f1") == f"{pod_ip}\n127.0.0.1\n"
    assert sh.feed("which ifconfig") == "/sbin/ifconfig\n"


def test_busybox_ifconfig_refusals(sh):
    assert sh.feed("ifconfig eth1; echo $?") == (
        "ifconfig: eth1: error fetching interface information: Device not found\n1\n")
    assert sh.feed("ifconfig eth0 down; echo $?") == "ifconfig: SIOCSIFFLAGS: Operation not permitted\n1\n"
    assert sh.feed("ifconfig eth0 10.0.0.9") == "ifconfig: SIOCSIFADDR: Operation not permitted\n"


def test_net_tools_ifconfig_after_apk_add(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/counter -- sh") == ""
    assert "Installing net-tools (2.10-r3)" in s.feed("apk add net-tools")
    iface, mac, inet6 = _eth0(s)
    assert s.feed("ifconfig") == (
        "eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n"
        f"        inet {iface.ip}  netmask {iface.netmask}  broadcast {iface.network.broadcast_address}\n"
        f"        inet6 {inet6}  prefixlen 64  scopeid 0x20<link>\n"
        f"        ether {mac}  txqueuelen 1000  (Ethernet)\n"
        "        RX packets 0  bytes 0 (0.0 B)\n"
        "        RX errors 0  dropped 0  overruns 0  frame 0\n"
        "        TX packets 0  bytes 0 (0.0 B)\n"
        "        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n"
        "lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n"
        "        inet 127.0.0.1  netmask 255.0.0.0\n"
        "        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n"
        "        loop  txqueuelen 1000  (Local Loopback)\n"
        "        RX packets 0  bytes 0 (0.0 B)\n"
        "        RX errors 0  dropped 0  overruns 0  frame 0\n"
        "        TX packets 0  bytes 0 (0.0 B)\n"
        "        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n")
    assert s.feed("ifconfig eth7") == "eth7: error fetching interface information: Device not found\n"
    assert s.feed("ifconfig lo up") == "SIOCSIFFLAGS: Operation not permitted\n"


def test_debian_images_have_no_ifconfig(cluster):
    s = Session(cluster, cwd=SAMPLES.parent)
    assert s.feed("kubectl exec -it deploy/redis -- bash") == ""
    assert s.feed("ifconfig; echo $?") == "bash: ifconfig: command not found\n127\n"


def test_each_pod_has_its_own_eth0():
    cluster = cluster_from_paths([SAMPLES], deterministic=True)[0]  # (busybox's ifconfig in each: no apk add)
    s = Session(cluster, cwd=SAMPLES.parent)
    pods = [p for p in s.feed("kubectl get pods -o name").split() if "counter" in p or "redis" in p]
    assert len(pods) >= 2
    assert s.feed("kubectl run box --image=busybox -- sleep 3600") == "pod/box created\n"
    cluster.run_for(5)
    pods = [p for p in pods if "counter" in p] + ["pod/box"]
    macs = set()
    for pod in pods:
        out = s.feed(f"kubectl exec {pod} -- ifconfig eth0")
        ip = cluster.store.get("Pod", "default", pod.split("/", 1)[1])["status"]["podIP"]
        assert f"inet addr:{ip}  " in out
        macs.add(re.search(r"HWaddr (\S+)", out)[1])
    assert len(macs) == len(pods)
