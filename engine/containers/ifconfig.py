"""`ifconfig` in a pod: the sandbox's `eth0` (its veth end, kindnet's ptp plugin) and `lo`,
from the same addresses `ip addr` shows (`engine.containers.iproute.pod_network`).

Two programs print them, each its own way: busybox's applet in Alpine and busybox images
(networking/interface.c ife_print: `eth0      Link encap:Ethernet  HWaddr ...`, upper-case
MAC, `inet addr:... Bcast:... Mask:...`), and net-tools' after `apk add net-tools`
(lib/interface.c ife_print_long: `eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu
1500`). Both list the interfaces by name (eth0 before lo) and show only those that are up
unless `-a`. svcflow does not count a pod's packets, so the RX/TX counters read 0.

Changing an interface needs CAP_NET_ADMIN, which a pod's container does not have: the
ioctl fails, as on a node (`ifconfig: SIOCSIFFLAGS: Operation not permitted`).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from engine.containers.iproute import link_local, pod_network
from engine.containers.proc import Proc

#: IFF_ flags in the kernel's bit order, as net-tools names them in `flags=N<...>`
_FLAG_BITS = {"UP": 0x1, "BROADCAST": 0x2, "LOOPBACK": 0x8, "RUNNING": 0x40, "MULTICAST": 0x1000}


@dataclass(frozen=True)
class Interface:
    """One of the pod's interfaces as ifconfig reads it (SIOCGIF* and /proc/net/if_inet6)."""

    name: str
    flags: tuple[str, ...]
    mtu: int
    inet: ipaddress.IPv4Interface
    inet6: ipaddress.IPv6Interface
    mac: str | None  # None: no hardware address (loopback)
    txqueuelen: int = 1000
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0

    @property
    def loopback(self) -> bool:
        return self.mac is None


def interfaces(p: Proc) -> list[Interface]:
    """The pod's interfaces, by name as both ifconfigs sort them (eth0, lo)."""
    out = [Interface("lo", ("UP", "LOOPBACK", "RUNNING"), 65536, ipaddress.IPv4Interface("127.0.0.1/8"),
                     ipaddress.IPv6Interface("::1/128"), None)]
    net = pod_network(p)
    if net is not None:
        iface, _, _, mac = net
        out.append(Interface("eth0", ("UP", "BROADCAST", "RUNNING", "MULTICAST"), 1500, iface,
                             ipaddress.IPv6Interface(f"{link_local(mac)}/64"), mac))
    return sorted(out, key=lambda i: i.name)


# -- busybox -------------------------------------------------------------------------------------
def _scaled_busybox(n: int) -> str:
    """busybox's print_bytes_scaled: `0 (0.0 B)`, `2048 (2.0 KiB)`."""
    whole, frac, ext = n, 0, ""
    for unit in ("Ki", "Mi", "Gi", "Ti"):
        if whole < 1024:
            break
        frac = (whole % 1024) * 10 // 1024
        whole //= 1024
        ext = unit
    return f"{n} ({whole}.{frac} {ext}B)"


def busybox_block(i: Interface) -> str:
    head = f"{i.name:<9s} Link encap:{'Local Loopback' if i.loopback else 'Ethernet'}  "
    if i.mac is not None:
        head += f"HWaddr {i.mac.upper()}  "
    inet = f"          inet addr:{i.inet.ip} "
    if "BROADCAST" in i.flags:
        inet += f" Bcast:{i.inet.network.broadcast_address} "
    inet += f" Mask:{i.inet.netmask}\n"
    scope = "Host" if i.loopback else "Link"
    return (head + "\n" + inet
            + f"          inet6 addr: {i.inet6.ip}/{i.inet6.network.prefixlen} Scope:{scope}\n"
            + "          " + "".join(f + " " for f in i.flags) + f" MTU:{i.mtu}  Metric:1\n"
            + f"          RX packets:{i.rx_packets} errors:0 dropped:0 overruns:0 frame:0\n"
            + f"          TX packets:{i.tx_packets} errors:0 dropped:0 overruns:0 carrier:0\n"
            + f"          collisions:0 txqueuelen:{i.txqueuelen} \n"
            + f"          RX bytes:{_scaled_busybox(i.rx_bytes)}  TX bytes:{_scaled_busybox(i.tx_bytes)}\n\n")


# -- net-tools -------------------------------------------------------------------------------------
def _scaled_net_tools(n: int) -> str:
    """net-tools' `(1.4 GiB)`: tenths, truncated, of the largest unit the count exceeds."""
    for unit, size in (("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n > size:
            tenths = n * 10 // size
            return f"{tenths // 10}.{tenths % 10} {unit}"
    return f"{n}.0 B"


def net_tools_block(i: Interface) -> str:
    bits = sum(_FLAG_BITS[f] for f in i.flags)
    inet = f"        inet {i.inet.ip}  netmask {i.inet.netmask}"
    if "BROADCAST" in i.flags:
        inet += f"  broadcast {i.inet.network.broadcast_address}"
    scope = "0x10<host>" if i.loopback else "0x20<link>"
    link = "        loop  " if i.mac is None else f"        ether {i.mac}  "
    link += f"txqueuelen {i.txqueuelen}  ({'Local Loopback' if i.loopback else 'Ethernet'})\n"
    return (f"{i.name}: flags={bits}<{','.join(i.flags)}>  mtu {i.mtu}\n" + inet + "\n"
            + f"        inet6 {i.inet6.ip}  prefixlen {i.inet6.network.prefixlen}  scopeid {scope}\n" + link
            + f"        RX packets {i.rx_packets}  bytes {i.rx_bytes} ({_scaled_net_tools(i.rx_bytes)})\n"
            + "        RX errors 0  dropped 0  overruns 0  frame 0\n"
            + f"        TX packets {i.tx_packets}  bytes {i.tx_bytes} ({_scaled_net_tools(i.tx_bytes)})\n"
            + "        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n")


def ifconfig(p: Proc) -> int:
    """`ifconfig [-a] [IFACE]`; anything more sets an interface, which a pod may not."""
    net_tools = p.shell.has("net-tools")
    args = list(p.args)
    if args[:1] == ["-a"]:
        args.pop(0)
    if len(args) > 1:  # (an address, up, down, mtu ...: an ioctl that needs CAP_NET_ADMIN)
        what = "SIOCSIFADDR" if _is_address(args[1]) else "SIOCSIFFLAGS"
        p.err(f"{what}: Operation not permitted\n" if net_tools else f"ifconfig: {what}: Operation not permitted\n")
        return 1
    block = net_tools_block if net_tools else busybox_block
    shown = interfaces(p)
    if args:
        shown = [i for i in shown if i.name == args[0]]
        if not shown:
            p.err(f"{args[0]}: error fetching interface information: Device not found\n" if net_tools
                  else f"ifconfig: {args[0]}: error fetching interface information: Device not found\n")
            return 1
    p.out("".join(block(i) for i in shown))
    return 0


def _is_address(word: str) -> bool:
    try:
        ipaddress.ip_address(word)
    except ValueError:
        return False
    return True
