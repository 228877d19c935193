"""Connections through the simulated cluster network, with a trace of every hop.

A client in a pod (or on a machine outside the cluster) names a host and port:
1. the name is resolved the pod's way: the query goes to the nameserver in the pod's
   resolv.conf (the kube-dns ClusterIP), through the node's kube-proxy rules, to a ready
   CoreDNS pod, which answers from its records (resolv.conf search list, CoreDNS). No
   CoreDNS pod behind kube-dns means the lookup times out, as on a cluster;
2. the packet enters the client's node (a pod's node, or for outside traffic the node
   whose address was dialled) and walks that node's kube-proxy rules;
3. DNAT picks a pod IP:port, or REJECT refuses, or nothing matches;
4. the NetworkPolicies of both ends decide whether the packet reaches it (kindnetd's
   kube-network-policies, engine.net.networkpolicy): a dropped packet is never answered;
5. the destination pod's process answers.
Each connection is a flow event carrying its trace, for the dashboard to draw.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from engine.api.objects import meta, pod_phase
from engine.cluster.cluster import Cluster
from engine.dns.coredns import is_coredns_pod
from engine.dns.resolver import ADDRESS, ResolvConf, resolve
from engine.dns.server import Client
from engine.kubelet.env import pod_resolv_conf
from engine.net.iptables_walk import Evaluated, Packet, RecentTable, Walker, parse_save
from engine.net.networkpolicy import ALLOWED, PolicyPeer, Verdict, evaluate
from engine.workloads.apps import workload_for
from engine.workloads.base import Workload

OUTSIDE = "outside"


@dataclass
class Trace:
    client: str
    target: str
    dns: list[str] = field(default_factory=list)
    rules: list = field(default_factory=list)  # Evaluated
    node: str = ""
    mode: str = ""
    dnat: str | None = None
    pod: str | None = None
    outcome: str = ""  # connected | refused | timeout | unresolved
    error: str = ""
    resolved_ip: str | None = None
    policy: str = ""  # which NetworkPolicy dropped the packet (the verdict's reason)

    @property
    def rule_count(self) -> int:
        return len(self.rules)

    def lines(self) -> list[str]:
        out = [f"trace {self.client} -> {self.target}"]
        for d in self.dns:
            out.append(f"  dns  {d}")
        if self.node:
            out.append(f"  node {self.node} ({self.mode})")
        for e in self.rules:
            mark = "match" if e.matched else "     "
            note = f"  [{e.note}]" if e.note else ""
            out.append(f"  {mark} {e.table:<6} {e.rule}{note}")
        if self.node:
            out.append(f"  rules evaluated: {self.rule_count}")
        if self.dnat:
            out.append(f"  DNAT -> {self.dnat}")
        if self.pod:
            out.append(f"  {'dropped before' if self.policy else 'reached'} pod {self.pod}")
        out.append(f"  result: {self.outcome}{': ' + self.error if self.error else ''}")
        return out


@dataclass
class DnsServer:
    """Where a pod's DNS queries went: the nameserver of its resolv.conf and, when the
    packet reached one, the CoreDNS pod that answers (None: the query timed out)."""

    nameserver: str
    pod: dict | None = None
    upstream: bool = False  # the node's own resolver (dnsPolicy Default, hostNetwork)
    error: str = ""  # why nothing answered, for the trace and the DNS pane
    refused: bool = False  # ICMP port unreachable (kube-proxy REJECTs a Service with no endpoints)

    @property
    def answers(self) -> bool:
        return self.upstream or self.pod is not None


@dataclass
class Connection:
    trace: Trace
    pod: dict | None = None
    process: Workload | None = None
    port: int = 0
    host: str = ""
    #: the packet's source as the destination's network sees it (None: it never leaves the
    #: client pod, or a node's root process sent it: no NetworkPolicy applies)
    source: PolicyPeer | None = None

    @property
    def ok(self) -> bool:
        return self.trace.outcome == "connected"


@dataclass(frozen=True)
class Echo:
    """An ICMP echo request's fate: the address asked (None: the name did not resolve) and
    the reply's TTL (None: no reply)."""

    ip: str | None
    ttl: int | None = None


#: The address a request from outside the cluster comes from (TEST-NET-3: no node's, no pod's).
OUTSIDE_SRC = "203.0.113.10"


class Network:
    """Per-cluster network state: processes in pods, conntrack-free routing, affinity."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._procs: dict[str, list[Workload]] = {}  # pod uid -> processes
        self._walkers: dict[tuple[str, int], Walker] = {}
        self._recent: dict[str, RecentTable] = {}
        cluster.store.watch("Pod", self._on_pod)

    def _on_pod(self, ev) -> None:
        if ev.type == "DELETED":
            self._procs.pop(meta(ev.obj).get("uid", ""), None)  # state dies with the pod

    # -- pods and processes ------------------------------------------------------------
    def pod_by_ip(self, ip: str) -> dict | None:
        for p in self.cluster.store.iter("Pod"):
            st = p.get("status") or {}
            if st.get("podIP") == ip and not p["spec"].get("hostNetwork") and pod_phase(p) == "Running":
                return p
        return None

    def processes(self, pod: dict) -> list[Workload]:
        uid = meta(pod).get("uid", "")
        if uid not in self._procs:
            now = self.cluster.now
            procs = self._procs[uid] = [workload_for(pod, c, now) for c in pod["spec"].get("containers") or []]
            if is_coredns_pod(pod):  # (what CoreDNS prints is engine.dns's: its log is the process's)
                for w, c in zip(procs, pod["spec"].get("containers") or []):
                    if is_coredns_pod({"spec": {"containers": [c]}}):
                        w.log = self.cluster.coredns.log_of(pod)
                        w.previous = self.cluster.coredns.previous_of(pod)
        return self._procs[uid]

    def listener(self, pod: dict, proto: str, port: int) -> Workload | None:
        if pod_phase(pod) != "Running":
            return None
        for w in self.processes(pod):
            if w.serves(proto, port):
                return w
        return None

    # -- names ------------------------------------------------------------------------------
    def resolve(self, client: dict | None, host: str, trace: Trace) -> str | None:
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
        if host == "localhost":
            return "127.0.0.1"
        if client is None:
            node = next((n for n in self.cluster.topology.nodes if n.name == host), None)
            if node:
                return node.ip
            trace.dns.append(f"{host}: not resolvable outside the cluster")
            return None
        conf = pod_resolv_conf(self.cluster.topology, client)
        server = self.dns_server(client, conf)
        if not server.answers:
            trace.dns.append(f"{host}: no answer from {server.nameserver}:53 ({server.error})")
            trace.error = f"{server.nameserver}:53 timed out"
            ns = meta(client).get("namespace")
            self.cluster.coredns.log_query(f"{ns}/{meta(client)['name']} {host} -> timed out ({server.error})")
            return None
        res = resolve(host, ADDRESS, conf, self.cluster.coredns.answerer(server.pod, self.client_of(client)))
        for a in res.attempts:
            trace.dns.append(f"{a.name}: {a.rcode}{' -> ' + ', '.join(x for r in a.responses for x in r.addresses) if a.hit else ''}")
        ns = meta(client).get("namespace")
        answer = res.addresses[0] if res.addresses else None
        self.cluster.coredns.log_query(f"{ns}/{meta(client)['name']} {host} -> {answer or res.error or 'NXDOMAIN'}")
        return answer

    def client_of(self, pod: dict | None, *, bufsize: int = 0, cookie_len: int = 0, msg_id: int = 0) -> Client:
        """The source of a DNS query from `pod` (a node's address for None), as CoreDNS's
        `log` plugin prints it: a fresh source port and message id from the traffic's rng."""
        rng = self.cluster.rng("dns-client")
        ip = ((pod or {}).get("status") or {}).get("podIP") or self.cluster.topology.control_plane.ip
        return Client(ip, rng.randrange(32768, 61000), msg_id or rng.randrange(1, 65536), bufsize=bufsize,
                      cookie_len=cookie_len)

    def lookup_event(self, client: dict | None, name: str, *, tool: str, answers: list[str] | None = None,
                     error: str = "", server: DnsServer | None = None, qtype: str = "A") -> None:
        """Report a lookup that no connection follows (nslookup, dig) as a flow event of
        CoreDNS, so the flow diagram can tell it: the query already travelled as a
        `network connect` to port 53 (`dns_server`); this says what was asked and what
        came back. A connection's own lookup (curl, telnet) needs none: its trace says it."""
        c = self.cluster
        who = f"{meta(client).get('namespace')}/{meta(client)['name']}" if client else c.topology.control_plane.name
        answers = list(answers or [])
        if server is not None and not server.answers:
            error = error or f"timed out ({server.error})"
        result = ", ".join(answers) or error or "no answer"
        kube_dns = {"kind": "Service", "metadata": {"namespace": "kube-system", "name": "kube-dns"}}
        c.flow("coredns", kube_dns, "lookup", f"{who} {tool} {name} -> {result}",
               data={"client": who, "tool": tool, "name": name, "qtype": qtype, "answers": answers,
                     "error": "" if answers else (error or "no answer"),
                     "server": server.nameserver if server is not None else c.topology.dns_ip,
                     "coredns": meta(server.pod)["name"] if server is not None and server.pod else ""})

    def dns_server(self, client: dict | None, conf: str | None = None, *, node: str | None = None) -> DnsServer:
        """Send the lookup's datagram where the client's resolv.conf says (a pod's, or the
        node's own for `client=None`: dig on a node asks the kube-dns ClusterIP too), through
        the node's kube-proxy rules, and say which CoreDNS pod answers it, if any."""
        c = self.cluster
        if client is not None:
            parsed = ResolvConf.parse(conf if conf is not None else pod_resolv_conf(c.topology, client))
            nameserver = parsed.nameservers[0] if parsed.nameservers else "127.0.0.1"
        else:
            nameserver = c.topology.dns_ip
        try:
            in_cluster = ipaddress.ip_address(nameserver) in ipaddress.ip_network(c.topology.service_subnet,
                                                                                  strict=False)
        except ValueError:
            in_cluster = False
        if not in_cluster:
            return DnsServer(nameserver, upstream=True)
        conn = self.connect(client, nameserver, 53, "UDP", via_node=node or c.topology.control_plane.name)
        if conn.pod is not None and conn.ok and is_coredns_pod(conn.pod):
            return DnsServer(nameserver, pod=conn.pod)
        t = conn.trace
        why = "no CoreDNS pod answered"
        if t.policy:  # (a NetworkPolicy dropped the query: the DNS pane says which)
            why = t.policy
        elif conn.pod is not None:
            why = f"{meta(conn.pod)['name']} does not answer DNS"
        elif not t.dnat:  # why kube-dns led nowhere: CoreDNS's own account (the DNS pane's too)
            why = c.coredns.serving().reason or why
        return DnsServer(nameserver, error=why, refused=t.outcome == "refused" and conn.pod is None)

    # -- routing -------------------------------------------------------------------------------
    def _walker(self, node: str) -> Walker:
        rv = self.cluster.kube_proxy.rules_token(node, "iptables")  # the walker follows the node's rules
        w = self._walkers.get((node, rv))
        if w is None:
            self._walkers = {k: v for k, v in self._walkers.items() if k[0] != node}
            tables = parse_save(self.cluster.kube_proxy.iptables_save(node))
            recent = self._recent.setdefault(node, RecentTable())
            w = Walker(tables, self.cluster.rng(f"traffic:{node}"),
                       now=lambda: self.cluster.now().timestamp(), recent=recent)
            self._walkers[(node, rv)] = w
        return w

    def connect(self, client: dict | None, host: str, port: int, proto: str = "TCP",
                mode: str | None = None, *, via_node: str | None = None) -> Connection:
        """Open a connection from `client` (a pod, or None for outside) to host:port.
        `via_node`: with no client pod, the packet leaves that node's own network
        namespace (a process on the node) instead of arriving from outside."""
        cname = f"{meta(client).get('namespace')}/{meta(client)['name']}" if client else (via_node or OUTSIDE)
        trace = Trace(client=cname, target=f"{host}:{port}")
        conn = Connection(trace=trace, port=port, host=host)
        ip = self.resolve(client, host, trace)
        if ip is None:
            trace.outcome, trace.error = "unresolved", f"could not resolve {host}"
            return self._done(conn)
        trace.resolved_ip = ip
        if ip.startswith("127.") and client is not None:
            return self._arrive(conn, client, port, proto)
        node_ips = {n.ip: n.name for n in self.cluster.topology.nodes}
        if client is not None:
            node = client["spec"].get("nodeName") or ""
            local = ip in node_ips and node_ips[ip] == node
        elif via_node is not None:
            node = via_node
            local = ip in node_ips and node_ips[ip] == node
        else:
            if ipaddress.ip_address(ip).is_loopback:
                # The outside machine's own loopback: nothing of the cluster listens there,
                # so its kernel answers the SYN with a RST at once (curl: (7) after 0 ms).
                trace.outcome, trace.error = "refused", "Connection refused"
                return self._done(conn)
            if ip not in node_ips:
                direct = self.pod_by_ip(ip)
                trace.outcome, trace.error = "timeout", f"no route to {ip} from outside the cluster"
                if direct is not None:
                    trace.error = f"pod IPs are not routable from outside ({ip})"
                return self._done(conn)
            node, local = node_ips[ip], True
        mode = mode or self.cluster.topology.proxy.mode
        trace.node, trace.mode = node, mode
        if node in self.cluster.machines.stopped:  # (`docker stop`: nothing on that node answers)
            trace.outcome, trace.error = "timeout", f"no answer from {ip}: node {node} is down"
            return self._done(conn)
        if client is not None:
            src = (client.get("status") or {}).get("podIP", "")
            if not client["spec"].get("hostNetwork"):  # (a hostNetwork pod's root process is the node's: exempt)
                conn.source = PolicyPeer(src, client)  # (its namespace's labels read only when a policy exists)
        elif via_node is not None:
            src = next((ip_ for ip_, name in node_ips.items() if name == via_node), "")
        else:
            src = OUTSIDE_SRC
            conn.source = PolicyPeer(src)
        if mode in ("ipvs", "nftables"):
            return self._connect_mode(conn, client, node, mode, src, ip, port, proto)
        walker = self._walker(node)
        res = walker.route(Packet(src, ip, proto.lower(), port, local_dst=local,
                                  local_src=client is None and via_node is not None))
        trace.rules = res.evaluated
        if res.verdict in ("REJECT", "DROP"):
            trace.outcome = "refused" if res.verdict == "REJECT" else "timeout"
            trace.error = "Connection refused" if res.verdict == "REJECT" else "Connection timed out"
            return self._done(conn)
        dest_ip, dest_port = res.dnat if res.dnat else (ip, port)
        if res.dnat:
            trace.dnat = f"{dest_ip}:{dest_port}"
        pod = self.pod_by_ip(dest_ip)
        if pod is None:
            if dest_ip not in node_ips:
                trace.outcome, trace.error = "timeout", f"no pod answers at {dest_ip}"
                return self._done(conn)
            return self._arrive_on_node(conn, node_ips[dest_ip], dest_ip, dest_port, proto)
        return self._arrive(conn, pod, dest_port, proto)

    def _connect_mode(self, conn: Connection, client: dict | None, node: str, mode: str, src: str, ip: str,
                      port: int, proto: str) -> Connection:
        """ipvs: one hash lookup in the virtual-server table; nftables: the verdict maps."""
        trace = conn.trace
        res = self.cluster.kube_proxy.modes.lookup(node, mode, proto, ip, port, src,
                                                   self.cluster.rng(f"traffic:{node}:{mode}"))
        steps = res.trace or [f"lookup {proto} {ip}:{port}"]
        trace.rules = [Evaluated(mode, "", line, "dnat to" in line or " -> " in line) for line in steps]
        trace.rules += [Evaluated(mode, "", "(further evaluations)", False)] * max(0, res.evaluations - len(steps))
        if res.verdict in ("REJECT", "DROP"):
            trace.outcome = "refused" if res.verdict == "REJECT" else "timeout"
            trace.error = "Connection refused" if res.verdict == "REJECT" else "Connection timed out"
            return self._done(conn)
        if not res or res.ip is None:
            pod = self.pod_by_ip(ip)
            if pod is not None:
                return self._arrive(conn, pod, port, proto)
            on_node = {n.ip: n.name for n in self.cluster.topology.nodes}
            if ip in on_node:
                return self._arrive_on_node(conn, on_node[ip], ip, port, proto)
            trace.outcome, trace.error = "timeout", f"no pod answers at {ip}"
            return self._done(conn)
        trace.dnat = f"{res.ip}:{res.port}"
        pod = self.pod_by_ip(res.ip)
        if pod is None:
            trace.outcome, trace.error = "timeout", f"no pod answers at {res.ip}"
            return self._done(conn)
        outside = client is None and src == OUTSIDE_SRC
        if outside and getattr(res, "masquerade", True) is False and pod["spec"].get("nodeName") != node:
            # Not SNATed (externalTrafficPolicy: Local) and sent to a pod on another node: its
            # reply leaves that node straight for the client, which never hears from the
            # address it called (ipvs keeps cluster endpoints when a node has no local one).
            trace.outcome = "timeout"
            trace.error = (f"the reply from {res.ip} does not come back through {node} "
                           "(not masqueraded: externalTrafficPolicy Local)")
            return self._done(conn)
        return self._arrive(conn, pod, res.port or port, proto)

    def _arrive(self, conn: Connection, pod: dict, port: int, proto: str) -> Connection:
        trace = conn.trace
        trace.pod = f"{meta(pod).get('namespace')}/{meta(pod)['name']} on {pod['spec'].get('nodeName')}"
        if pod["spec"].get("nodeName") in self.cluster.machines.stopped:
            trace.outcome, trace.error = "timeout", f"no answer from {meta(pod)['name']}: node {pod['spec']['nodeName']} is down"
            return self._done(conn)
        if self._dropped(conn, pod, port, proto):
            return self._done(conn)
        proc = self.listener(pod, proto, port)
        if proc is None:
            trace.outcome, trace.error = "refused", "Connection refused"
            return self._done(conn)
        conn.pod, conn.process, conn.port = pod, proc, port
        trace.outcome = "connected"
        return self._done(conn)

    def _arrive_on_node(self, conn: Connection, node: str, ip: str, port: int, proto: str) -> Connection:
        """A node's own address: a process on the node's network answers if one listens on
        the port (a hostNetwork pod's: kube-apiserver's 6443 behind the `kubernetes`
        Service); else the node's kernel refuses. A pod's egress toward the node is checked
        by the NetworkPolicies (the node's processes are not policed on the way in)."""
        trace = conn.trace
        if self._dropped(conn, PolicyPeer(ip), port, proto):
            return self._done(conn)
        for pod in self.cluster.store.iter("Pod"):
            if pod["spec"].get("hostNetwork") and pod["spec"].get("nodeName") == node and \
                    pod_phase(pod) == "Running":
                proc = self.listener(pod, proto, port)
                if proc is not None:
                    trace.pod = f"{meta(pod).get('namespace')}/{meta(pod)['name']} on {node} (host network)"
                    conn.pod, conn.process, conn.port = pod, proc, port
                    trace.outcome = "connected"
                    return self._done(conn)
        trace.outcome, trace.error = "refused", "Connection refused"
        return self._done(conn)

    # -- ICMP ---------------------------------------------------------------------------------------
    def ping(self, client: dict, host: str) -> Echo:
        """Who answers an ICMP echo request from the pod `client` to `host`, and the TTL the
        reply arrives with (64 at its sender, one less per node that routes it).

        A ClusterIP is no machine's address: in iptables and nftables modes kube-proxy only
        rewrites the TCP/UDP/SCTP ports it knows, so an echo request to it goes unanswered
        (the classic "you cannot ping a Service"); ipvs binds every ClusterIP to the node's
        kube-ipvs0, so the client's own node answers. A NetworkPolicy isolating a pod drops
        echo requests unless a rule allows it with no ports."""
        trace = Trace(client=f"{meta(client).get('namespace')}/{meta(client)['name']}", target=host)
        ip = self.resolve(client, host, trace)
        if ip is None:
            return Echo(None)
        own_node = client["spec"].get("nodeName") or ""
        own_ip = (client.get("status") or {}).get("podIP", "")
        if ip.startswith("127.") or ip == own_ip:
            return Echo(ip, 64)
        if own_node in self.cluster.machines.stopped:
            return Echo(ip)
        nodes = {n.ip: n.name for n in self.cluster.topology.nodes}
        if ip in nodes:
            if nodes[ip] in self.cluster.machines.stopped:
                return Echo(ip)
            return Echo(ip, 64 if nodes[ip] == own_node else 63)
        pod = self.pod_by_ip(ip)
        if pod is not None:
            target = pod["spec"].get("nodeName")
            if target in self.cluster.machines.stopped:
                return Echo(ip)
            conn = Connection(trace=trace, source=None if client["spec"].get("hostNetwork") else PolicyPeer(own_ip, client))
            if not self._policy_verdict(conn, pod, 0, "ICMP").allowed:
                return Echo(ip)
            return Echo(ip, 63 if target == own_node else 62)
        mode = self.cluster.topology.proxy.mode
        if mode == "ipvs" and self._is_service_address(ip):
            return Echo(ip, 64)  # (kube-ipvs0 on the client's node holds it)
        return Echo(ip)

    def _is_service_address(self, ip: str) -> bool:
        """A ClusterIP, external IP or load-balancer IP of some Service."""
        for svc in self.cluster.store.iter("Service"):
            spec = svc.get("spec") or {}
            if ip in (spec.get("clusterIPs") or []) or ip in (spec.get("externalIPs") or []) or \
                    any(i.get("ip") == ip for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []):
                return True
        return False

    # -- NetworkPolicy ---------------------------------------------------------------------------
    def _policy_peer(self, ip: str, pod: dict | None) -> PolicyPeer:
        """An end of a connection with what the policy engine knows of it."""
        if pod is None:
            return PolicyPeer(ip)
        ns = self.cluster.store.get("Namespace", "", meta(pod).get("namespace", ""))
        return PolicyPeer(ip, pod, (meta(ns).get("labels") or {}) if ns is not None else {})

    def _dropped(self, conn: Connection, dest: dict | PolicyPeer, port: int, proto: str) -> bool:
        """Whether the NetworkPolicies drop the packet on its way to `dest` (a pod, or a node's
        address: a pod's egress toward a node is checked too); a drop is a timeout whose
        error, in the trace, names the policies."""
        verdict = self._policy_verdict(conn, dest, port, proto)
        if verdict.allowed:
            return False
        trace = conn.trace
        trace.policy = verdict.reason  # (the client only sees its SYN go unanswered)
        trace.outcome, trace.error = "timeout", verdict.reason
        return True

    def _policy_verdict(self, conn: Connection, dest: dict | PolicyPeer, port: int, proto: str) -> Verdict:
        """kube-network-policies' verdict on the packet arriving at `dest` (after DNAT).
        A packet from outside reaches a pod on another node masqueraded to the node it entered
        (kube-proxy's SNAT on the way out): that node's address is the source there."""
        src = conn.source
        if src is None:
            return ALLOWED
        if isinstance(dest, PolicyPeer):
            pod = None
        else:
            pod = dest
            if src.pod is not None and not conn.trace.dnat and meta(src.pod).get("uid") == meta(pod).get("uid"):
                return ALLOWED  # (its own IP: the packet stays on the pod's loopback)
        policies = self.cluster.store.list("NetworkPolicy")
        if not policies:
            return ALLOWED
        if pod is not None and src.pod is None and src.ip == OUTSIDE_SRC and pod["spec"].get("nodeName") != conn.trace.node:
            entry = next((n.ip for n in self.cluster.topology.nodes if n.name == conn.trace.node), src.ip)
            src = PolicyPeer(entry)
        elif src.pod is not None:
            src = self._policy_peer(src.ip, src.pod)
        dst = dest if pod is None else self._policy_peer((pod.get("status") or {}).get("podIP", ""), pod)
        return evaluate(policies, src, dst, port, proto)

    def _done(self, conn: Connection) -> Connection:
        t = conn.trace
        target = conn.pod or {"kind": "Pod", "metadata": {"namespace": "", "name": t.target}}
        self.cluster.flow("network", target, "connect", f"{t.client} -> {t.target}: {t.outcome}"
                          + (f" via {t.dnat}" if t.dnat else "") + f" ({t.rule_count} rules)"
                          + (f": {t.policy}" if t.policy else ""),
                          data={"trace": t.lines(), "client": t.client, "outcome": t.outcome,
                                "node": t.node, "dnat": t.dnat, "pod": t.pod, "policy": t.policy})
        return conn
