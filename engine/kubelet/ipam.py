"""The CNI IPAM the kubelet's sandboxes get their pod IPs from: host-local, one range per
node (the node's podCIDR), as kindnet configures it on a kind node."""
from __future__ import annotations

from engine.api.allocators import AllocationError, HostLocalIPAM
from engine.cluster.topology import Machines


class PodIPAM:
    """Pod IPs by node: `allocate(node)` hands out the next address of the node's podCIDR,
    `release(node, ip)` takes one back when the pod's sandbox goes."""

    def __init__(self, machines: Machines) -> None:
        self._machines = machines
        self._ranges: dict[str, HostLocalIPAM] = {}  # node -> its range, made on first use

    def allocate(self, node: str) -> str:
        """The next pod IP of the node's podCIDR; AllocationError with the CNI plugin's
        words when the range is used up."""
        ipam = self._ranges.get(node)
        if ipam is None:
            spec = self._machines.get(node)
            if spec is None:
                raise AllocationError(f"no podCIDR for node {node}")
            ipam = self._ranges[node] = HostLocalIPAM(spec.pod_cidr)
        return ipam.allocate()

    def release(self, node: str | None, ip: str) -> None:
        ipam = self._ranges.get(node or "")
        if ipam is not None:
            ipam.release(ip)
