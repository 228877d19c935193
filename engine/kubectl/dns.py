"""dig, dns-records and corefile as the CLI (and sessions) print them.

`dig NAME --from POD` resolves the way a process in that pod does: the pod's
resolv.conf (ClusterFirst: search <ns>.svc.<domain> svc.<domain> <domain>, ndots:5)
drives glibc's search-list expansion, every candidate tried is listed, and the answer
is dig's output for the first hit.
"""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.dns.dig import render_dig, render_dig_unreachable
from engine.dns.resolver import ADDRESS, resolve
from engine.kubectl.commands import Output, pod_for
from engine.kubelet.env import pod_resolv_conf
from engine.net.network import Network


def _msg_id(cluster: Cluster) -> int:
    return cluster.rng("dns-id").randrange(1, 65536)


def dig(cluster: Cluster, name: str, qtype: str = "A", *, from_pod: str | None = None,
        namespace: str | None = None, net: Network | None = None) -> Output:
    """dig as run on the control-plane node, or in a pod (`from_pod`). The query travels
    to the kube-dns ClusterIP through kube-proxy's rules: with no CoreDNS pod behind it,
    dig prints its communications errors and exits 9."""
    qtype = qtype.upper()
    server = cluster.topology.dns_ip
    net = net or Network(cluster)
    if from_pod is None:
        reach = net.dns_server(None)
        if not reach.answers:
            args = name if qtype == "A" else f"{name} {qtype}"
            cluster.coredns.log_query(f"dig {name} -> timed out ({reach.error})")
            net.lookup_event(None, name, tool="dig", server=reach, qtype=qtype)
            return Output(stdout=render_dig_unreachable(args, server=reach.nameserver, refused=reach.refused), code=9)
        target = name if name.endswith(".") else name + "."
        resp = cluster.coredns.answerer(reach.pod, net.client_of(None, bufsize=1232, cookie_len=8)).query(target, qtype)
        args = name if qtype == "A" else f"{name} {qtype}"
        text = render_dig(resp, msg_id=_msg_id(cluster), when=cluster.now(), server=server, args=args)
        net.lookup_event(None, target, tool="dig", answers=[rr.rdata for rr in resp.answer], error=resp.summary(),
                         server=reach, qtype=qtype)
        return Output(stdout=text if text.endswith("\n") else text + "\n")
    ns = namespace or "default"
    pod = pod_for(cluster, from_pod, ns)  # NAME, pod/NAME or deploy/NAME
    if pod is None:
        return Output(stderr=f'Error from server (NotFound): pods "{from_pod.split("/")[-1]}" not found\n', code=1)
    from_pod = pod["metadata"]["name"]
    conf = pod_resolv_conf(cluster.topology, pod)
    lines = [f";; resolv.conf of pod {ns}/{from_pod}:"] + [f";;   {l}" for l in conf.splitlines()]
    reach = net.dns_server(pod, conf)
    if not reach.answers:
        lines.append(f";; {reach.nameserver}:53 did not answer: {reach.error}")
        cluster.coredns.log_query(f"{ns}/{from_pod} {name} -> timed out ({reach.error})")
        net.lookup_event(pod, name, tool="dig", server=reach, qtype=qtype)
        text = render_dig_unreachable(name if qtype == "A" else f"{name} {qtype}", server=reach.nameserver,
                                      refused=reach.refused)
        return Output(stdout="\n".join(lines) + "\n\n" + text, code=9)
    result = resolve(name, qtype if qtype != "A" else ADDRESS, conf, cluster.coredns.answerer(reach.pod, net.client_of(pod)))
    for a in result.attempts:
        mark = " <- answer" if a.hit else ""
        lines.append(f";; tried {a.name}: {a.rcode}{' (no data)' if a.rcode == 'NOERROR' and not a.hit else ''}{mark}")
    final = result.hit.name if result.hit is not None else (result.attempts[-1].name if result.attempts else name)
    plugin = cluster.coredns.answerer(reach.pod, net.client_of(pod, bufsize=1232, cookie_len=8))
    resp = plugin.query(final if final.endswith(".") else final + ".", qtype)
    text = render_dig(resp, msg_id=_msg_id(cluster), when=cluster.now(), server=server,
                      args=final if qtype == "A" else f"{final} {qtype}")
    cluster.coredns.log_query(f"{ns}/{from_pod} {name} -> {', '.join(result.addresses) or result.error or 'no answer'}")
    net.lookup_event(pod, final, tool="dig", answers=[rr.rdata for rr in resp.answer], error=resp.summary(), server=reach,
                     qtype=qtype)
    return Output(stdout="\n".join(lines) + "\n\n" + text + ("" if text.endswith("\n") else "\n"))


def dns_records(cluster: Cluster) -> Output:
    """The whole zone, one RR per line, as CoreDNS would answer each name."""
    rows = cluster.coredns.record_rows()
    ttl = cluster.coredns.config.ttl
    out = "".join(f"{name}\t{ttl}\tIN\t{rtype}\t{value}\n" for name, rtype, value in rows)
    return Output(stdout=out)


def corefile(cluster: Cluster) -> Output:
    """The Corefile CoreDNS serves by (after an edit of its ConfigMap, once reloaded)."""
    text = cluster.coredns.corefile
    return Output(stdout=text if text.endswith("\n") else text + "\n")
