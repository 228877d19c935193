"""`svcflow proxy-rules`: a node's kube-proxy rules in the chosen mode and form."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.commands import Output


def proxy_rules(cluster: Cluster, *, node: str | None = None, mode: str | None = None, form: str = "save") -> Output:
    nodes = [n.name for n in cluster.topology.nodes]
    node = node or nodes[0]
    if node not in nodes:
        return Output(stderr=f'Error from server (NotFound): nodes "{node}" not found\n', code=1)
    mode = mode or cluster.topology.proxy.mode
    text = cluster.kube_proxy.render(node, mode, form)
    return Output(stdout=text)
