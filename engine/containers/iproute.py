"""busybox `ip` in a pod (Alpine, busybox; Debian slim images have no iproute2): the pod's
network namespace as kindnet's CNI (the `ptp` plugin with host-local IPAM) sets it up.

The sandbox has `lo` and `eth0`, one end of a veth pair whose other end is on the node
(`eth0@ifN`: an index of the node's namespace, so busybox shows it by number and the peer as
down, `M-DOWN`). eth0 holds the pod IP with the node's podCIDR prefix; ptp then deletes the
subnet route the kernel added and routes everything through the gateway, the podCIDR's
first address (on the node's end of the veth): a host route to it, the subnet via it, and
the default via it (containernetworking/plugins ptp.go setupContainerVeth). The output is
busybox's (networking/libiproute: ipaddress.c print_linkinfo / print_addrinfo, iproute.c
print_route), trailing spaces included.

The node's interfaces are lo, eth0 and one veth per sandbox in the order they were made;
host-local hands the podCIDR's addresses out in that order, so the node's end of a pod's
veth is numbered from its address. The veth's MAC is the kernel's random one: here derived
from the pod's uid (stable for the pod, different between pods).
"""
from __future__ import annotations

import hashlib
import ipaddress

from engine.cluster.topology import Topology
from engine.containers.proc import Proc

LOOPBACK = ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000\n"
            "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")
LOOPBACK_V4 = "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n"
LOOPBACK_V6 = "    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft forever\n"
USAGE = ("BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\n"
         "Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n\n"
         "OPTIONS := -f[amily] inet|inet6|link | -o[neline]\n\n"
         "ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]\n"
         "ip route list|flush|add|del|change|append|replace|test ROUTE\n"
         "ip link set IFACE [up|down] [arp on|off] [multicast on|off]\n"
         "\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]\n"
         "\t[master IFACE | nomaster] [netns PID]\n"
         "ip tunnel add|change|del|show [NAME]\n"
         "\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]\n"
         "ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]\n"
         "ip rule [list] | add|del SELECTOR ACTION\n")


def pod_network(p: Proc) -> tuple[ipaddress.IPv4Interface, ipaddress.IPv4Address, int, str] | None:
    """The network of the pod `p` runs in (`pod_addresses`)."""
    return pod_addresses(p.shell.cluster.topology, p.shell.pod)


def pod_addresses(topology: Topology, pod: dict) -> tuple[ipaddress.IPv4Interface, ipaddress.IPv4Address, int, str] | None:
    """The pod's address with its node's podCIDR prefix, the gateway (the node's end of the
    veth: where the node's own connections to the pod, the kubelet's probes, come from), the
    node's index of that veth, the MAC; None while the pod has no IP."""
    ip = (pod.get("status") or {}).get("podIP")
    node = (pod.get("spec") or {}).get("nodeName")
    spec = next((n for n in topology.nodes if n.name == node), None)
    if not ip or spec is None:
        return None
    net = ipaddress.ip_network(spec.pod_cidr, strict=False)
    addr = ipaddress.ip_address(ip)
    if addr.version != 4 or addr not in net:
        return None
    gateway = net.network_address + 1
    peer = 2 + int(addr) - int(gateway)  # (node: lo 1, eth0 2, then the veths in order)
    digest = hashlib.sha256(str(pod.get("metadata", {}).get("uid", ip)).encode()).digest()
    mac = bytes([(digest[0] & 0xFE) | 0x02]) + digest[1:6]
    return ipaddress.IPv4Interface(f"{addr}/{net.prefixlen}"), gateway, peer, ":".join(f"{b:02x}" for b in mac)


def link_local(mac: str) -> str:
    """The eth0's IPv6 link-local address (EUI-64 from the MAC, as the kernel makes it)."""
    b = bytes.fromhex(mac.replace(":", ""))
    eui = bytes([b[0] ^ 0x02]) + b[1:3] + b"\xff\xfe" + b[3:6]
    return str(ipaddress.IPv6Address(b"\xfe\x80" + b"\x00" * 6 + eui))


def addr_show(p: Proc) -> str:
    out = LOOPBACK + LOOPBACK_V4 + LOOPBACK_V6
    net = pod_network(p)
    if net is None:
        return out
    iface, _, peer, mac = net
    return out + (f"2: eth0@if{peer}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue state UP "
                  "qlen 1000\n"
                  f"    link/ether {mac} brd ff:ff:ff:ff:ff:ff\n"
                  f"    inet {iface.with_prefixlen} brd {iface.network.broadcast_address} scope global eth0\n"
                  "       valid_lft forever preferred_lft forever\n"
                  f"    inet6 {link_local(mac)}/64 scope link \n"
                  "       valid_lft forever preferred_lft forever\n")


def route_show(p: Proc) -> str:
    net = pod_network(p)
    if net is None:
        return ""
    iface, gateway, _, _ = net
    return (f"default via {gateway} dev eth0 \n"
            f"{iface.network} via {gateway} dev eth0  src {iface.ip} \n"
            f"{gateway} dev eth0 scope link  src {iface.ip} \n")


def link_show(p: Proc) -> str:
    out = LOOPBACK
    net = pod_network(p)
    if net is not None:
        _, _, peer, mac = net
        out += (f"2: eth0@if{peer}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue state UP "
                f"qlen 1000\n    link/ether {mac} brd ff:ff:ff:ff:ff:ff\n")
    return out


#: `ip OBJECT`: busybox matches any prefix of the object's name (`ip a`, `ip r`, `ip ro`)
_OBJECTS = (("address", addr_show), ("route", route_show), ("link", link_show))


def ip(p: Proc) -> int:
    args = list(p.args)
    if not args:
        p.err(USAGE)
        return 1
    obj = args.pop(0)
    show = next((fn for name, fn in _OBJECTS if name.startswith(obj)), None)
    if args and args[0] in ("add", "del", "delete", "flush", "change", "replace", "append", "set"):
        p.err("ip: RTNETLINK answers: Operation not permitted\n")  # (no CAP_NET_ADMIN in a pod)
        return 2
    if show is None or (args and args[0] not in ("show", "list", "ls", "lst", "sh")):
        p.err(USAGE)
        return 1
    p.out(show(p))
    return 0
