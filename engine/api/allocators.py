"""Address and port allocators, with the algorithms of the real API server and CNI.

ClusterIPs and NodePorts use the bitmap allocator's static/dynamic band split (random
start in the upper band, scan forward, wrap); pod IPs use host-local IPAM (sequential
from .2 per node CIDR, freed addresses not reused until the range wraps).
"""
from __future__ import annotations

import ipaddress
import random


class AllocationError(Exception):
    """Carries the API server's reason text (see spec section D)."""


class _BandAllocator:
    """Offsets 0..size-1 split into a static lower band and a dynamic upper band."""

    def __init__(self, size: int, offset: int, rng: random.Random) -> None:
        self.size = size
        self.offset = offset
        self.rng = rng
        self.used: set[int] = set()

    def allocate_next(self) -> int | None:
        for lo, hi in ((self.offset, self.size), (0, self.offset)):
            n = hi - lo
            if n <= 0:
                continue
            start = self.rng.randrange(n)
            for i in range(n):
                cand = lo + (start + i) % n
                if cand not in self.used:
                    self.used.add(cand)
                    return cand
        return None


class ClusterIPAllocator:
    """Service ClusterIPs from the service CIDR (`--service-cluster-ip-range`)."""

    def __init__(self, cidr: str, rng: random.Random) -> None:
        self.network = ipaddress.ip_network(cidr)
        size = self.network.num_addresses - (2 if self.network.version == 4 else 1)
        size = max(size, 0)
        offset = 0 if size <= 16 else min(max(16, size // 16), 256)
        self._bands = _BandAllocator(size, offset, rng)

    def _offset(self, ip: str) -> int:
        return int(ipaddress.ip_address(ip)) - int(self.network.network_address) - 1

    def nth(self, n: int) -> str:
        """The n-th address of the range (1 = `kubernetes`, 10 = `kube-dns`)."""
        return str(self.network.network_address + n)

    def allocate(self, ip: str | None = None) -> str:
        if ip is None:
            off = self._bands.allocate_next()
            if off is None:
                raise AllocationError("range is full")
            return str(self.network.network_address + 1 + off)
        addr = ipaddress.ip_address(ip)
        off = self._offset(ip)
        if addr not in self.network or off < 0 or off >= self._bands.size:
            raise AllocationError(
                f"the provided IP ({ip}) is not in the valid range. "
                f"The range of valid IPs is {self.network}"
            )
        if off in self._bands.used:
            raise AllocationError("provided IP is already allocated")
        self._bands.used.add(off)
        return ip

    def release(self, ip: str) -> None:
        try:
            self._bands.used.discard(self._offset(ip))
        except ValueError:
            pass

    def in_use(self, ip: str) -> bool:
        return self._offset(ip) in self._bands.used


class NodePortAllocator:
    """NodePorts, cluster-wide, per protocol (the default range is 30000-32767)."""

    def __init__(self, lo: int, hi: int, rng: random.Random) -> None:
        self.lo, self.hi = lo, hi
        size = hi - lo + 1
        offset = min(max(16, size // 32), 128)
        self._rng = rng
        self._size, self._offset = size, offset
        self._by_proto: dict[str, _BandAllocator] = {}

    def _bands(self, protocol: str) -> _BandAllocator:
        if protocol not in self._by_proto:
            self._by_proto[protocol] = _BandAllocator(self._size, self._offset, self._rng)
        return self._by_proto[protocol]

    def allocate(self, protocol: str, port: int | None = None) -> int:
        b = self._bands(protocol)
        if port is None:
            off = b.allocate_next()
            if off is None:
                raise AllocationError("range is full")
            return self.lo + off
        if not self.lo <= port <= self.hi:
            raise AllocationError(
                "provided port is not in the valid range. "
                f"The range of valid ports is {self.lo}-{self.hi}"
            )
        if port - self.lo in b.used:
            raise AllocationError("provided port is already allocated")
        b.used.add(port - self.lo)
        return port

    def release(self, protocol: str, port: int) -> None:
        self._bands(protocol).used.discard(port - self.lo)


class HostLocalIPAM:
    """Pod IPs for one node: `.1` is the bridge, pods get `.2`, `.3`, ... and a freed
    address is only reused after the range wraps, as the host-local CNI plugin does.

    Never raises on construction: a podCIDR too small to allocate from (a /31 or /32)
    is host-local's configuration error, reported by `allocate` as the CNI plugin
    reports it on every sandbox the kubelet tries to create."""

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr, strict=False)
        self._first = int(self.network.network_address) + 2
        self._last = int(self.network.broadcast_address) - (1 if self.network.version == 4 else 0)
        self._next = self._first
        self.used: set[int] = set()

    @property
    def range_set(self) -> str:
        """host-local's RangeSet.String(): rangeStart (network + 1) - rangeEnd."""
        start = ipaddress.ip_address(int(self.network.network_address) + 1)
        return f"{start}-{ipaddress.ip_address(self._last)}"

    def allocate(self) -> str:
        ones, bits = self.network.prefixlen, self.network.max_prefixlen
        if ones > bits - 2:
            raise AllocationError(f"invalid range set 0: Network {self.network} too small to allocate from")
        span = self._last - self._first + 1
        for _ in range(span):
            cand = self._next
            self._next = self._first if self._next >= self._last else self._next + 1
            if cand not in self.used:
                self.used.add(cand)
                return str(ipaddress.ip_address(cand))
        raise AllocationError(f"failed to allocate for range 0: no IP addresses available in range set: "
                              f"{self.range_set}")

    def release(self, ip: str) -> None:
        try:
            self.used.discard(int(ipaddress.ip_address(ip)))
        except ValueError:
            pass

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in self.network
        except ValueError:
            return False
