"""The network tools in a pod's shell, going through `engine.net.network` (resolv.conf,
CoreDNS, the node's kube-proxy rules, the destination pod's process), with busybox's flags
(networking/wget.c `cqSO:o:P:Y:U:T:+`, nc_bloaty.c `np:s:ubvw:+lki:o:z`) and words, and
curl's. A command that fails says so on stderr and exits as the tool does (wget 1, curl
its error number: 6, 7, 28 ...), so `&&`, `||` and `$?` see what they would."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass

from engine.containers.getopt import OptionError, getopt
from engine.containers.proc import Proc, to_bytes
from engine.dns.dig import dig as dns_dig
from engine.dns.dig import nslookup as dns_nslookup
from engine.dns.dig import nslookup_unreachable, render_dig_unreachable
from engine.dns.resolver import resolve
from engine.kubelet.env import pod_resolv_conf
from engine.net.network import Network
from engine.workloads.base import HttpRequest, HttpResponse

BUSYBOX = "BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n"
WGET_USAGE = (BUSYBOX + "\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n"
              "\t[--post-data STR | --post-file FILE] [-Y on/off]\n"
              "\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n")
WGET_LONG = {"continue": "c", "quiet": "q", "server-response": "S", "output-document": "O", "output-file": "o",
             "directory-prefix": "P", "proxy": "Y", "user-agent": "U", "timeout": "T", "tries": "t",
             "header": "\xff", "post-data": "\xfe", "spider": "\xfd", "no-check-certificate": "\xfc",
             "post-file": "\xfb", "passive-ftp": "\xf0", "no-cache": "\xf0", "no-verbose": "\xf0",
             "no-clobber": "\xf0", "no-host-directories": "\xf0", "no-parent": "\xf0"}
NC_USAGE = BUSYBOX + "\nUsage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n"
#: the kernel's SYN retries to a silent address (net.ipv4.tcp_syn_retries = 6): ~127 s
CONNECT_TIMEOUT = 127.0
CURL_AGENT = "curl/8.12.1"  # (alpine's curl package, whose URL parser this file follows)
#: curl's own limits on a connection attempt, in seconds (`-m 3`: the whole transfer)
CURL_TIMEOUT_OPTIONS = ("-m", "--max-time", "--connect-timeout")


def curl_connect_timeout(args: list[str]) -> float | None:
    """The seconds curl gives a connection before it gives up (the smaller of -m and
    --connect-timeout, as Curl_timeleft takes it while connecting); None: the kernel's own.
    A value that is no positive number is left to the kernel too."""
    limits = []
    for flag, value in zip(args, args[1:]):
        if flag in CURL_TIMEOUT_OPTIONS:
            try:
                limits.append(float(value))
            except ValueError:
                continue
    limits = [t for t in limits if 0 < t < CONNECT_TIMEOUT]
    return min(limits) if limits else None


def wget(p: Proc) -> int:
    try:
        o = getopt(p.args, "cqSO:o:P:Y:U:T:t:n::\xff:\xfe:\xfd\xfc\xfb:\xf0", WGET_LONG)
    except OptionError as e:
        p.err(f"wget: {e}\n" + WGET_USAGE)
        return 1
    if not o.operands:
        p.err(WGET_USAGE)
        return 1
    timeout = o.value("T")
    if timeout is not None and not timeout.isdigit():
        return p.fail(f"invalid number '{timeout}'")
    status = 0
    for url in o.operands:
        got = http_get(p.shell.net, p.shell.pod, url, tool="wget")
        if got.error:
            if got.timed_out:
                waited = float(timeout) if timeout is not None and 0 < int(timeout) < CONNECT_TIMEOUT else CONNECT_TIMEOUT
                p.shell.elapsed += waited
                if timeout is not None and int(timeout) and waited < CONNECT_TIMEOUT:
                    return p.fail("download timed out")
            if got.connected_to and not o.has("q"):
                p.err(got.connected_to)
            p.err(got.error)
            return 1
        resp = got.response
        assert resp is not None
        if not o.has("q"):
            p.err(got.connected_to)
        if o.has("S"):
            p.err(f"  HTTP/1.1 {resp.status} {resp.reason}\n" + "".join(f"  {k}: {v}\n" for k, v in resp.headers.items()))
        if resp.status >= 400:
            return p.fail(f"server returned error: HTTP/1.1 {resp.status} {resp.reason}")
        if o.has("\xfd"):  # --spider
            if not o.has("q"):
                p.err("remote file exists\n")
            continue
        out = o.value("O")
        name = out if out is not None else posixpath.basename(got.path.split("?", 1)[0]) or "index.html"
        if o.value("P") and out is None:
            name = posixpath.join(o.value("P") or ".", name)
        body = resp.body if resp.body.endswith("\n") else resp.body + "\n"
        if name == "-":
            if not o.has("q"):
                p.err("writing to stdout\n")
            p.out(body)
            if not o.has("q"):
                p.err(f"-                    100% |********************************|  {len(resp.body)}  0:00:00 ETA\n"
                      "written to stdout\n")
            continue
        why = p.shell.files.write(p.shell.path(name), to_bytes(body))
        if why is not None:
            return p.fail(f"can't open '{name}': {why}")
        if not o.has("q"):
            p.err(f"saving to '{name}'\n{name:<20} 100% |********************************|  {len(resp.body)}  "
                  f"0:00:00 ETA\n'{name}' saved\n")
    return status


def curl(p: Proc) -> int:
    args = p.args
    silent = any(a == "-s" or a == "--silent" or (a.startswith("-") and not a.startswith("--") and "s" in a)
                 for a in args)
    out_file = None
    urls: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-o", "--output") and i + 1 < len(args):
            out_file, i = args[i + 1], i + 2
            continue
        if a in ("-H", "--header", "-m", "--max-time", "--connect-timeout", "-X", "--request", "-d", "--data",
                 "-A", "--user-agent", "-w", "--write-out") and i + 1 < len(args):
            i += 2
            continue
        if not a.startswith("-") or a == "-":
            urls.append(a)
        i += 1
    if not urls:
        p.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
        return 2
    limit = curl_connect_timeout(args)
    got = http_get(p.shell.net, p.shell.pod, urls[0], tool="curl", connect_timeout=limit)
    if got.error:
        if got.timed_out:
            p.shell.elapsed += limit or CONNECT_TIMEOUT
        if not silent or "-S" in args or "--show-error" in args:
            p.err(got.error)
        return got.code
    resp = got.response
    assert resp is not None
    body = resp.body if resp.body.endswith("\n") else resp.body + "\n"
    if out_file is not None and out_file != "-":
        why = p.shell.files.write(p.shell.path(out_file), to_bytes(body))
        if why is not None:
            p.err("curl: (23) Failure writing output to destination\n")
            return 23
        return 0
    p.out(body)
    return 0


def nslookup(p: Proc) -> int:
    names = [a for a in p.args if not a.startswith("-")]
    if not names:
        p.err(BUSYBOX + "\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n")
        return 1
    shell = p.shell
    conf = pod_resolv_conf(shell.cluster.topology, shell.pod)
    who = f"{shell.pod['metadata']['namespace']}/{shell.pod['metadata']['name']}"
    reach = shell.net.dns_server(shell.pod, conf)
    if not reach.answers:  # the query went to kube-dns and no CoreDNS pod answered
        shell.cluster.coredns.log_query(f"{who} nslookup {names[0]} -> timed out ({reach.error})")
        shell.net.lookup_event(shell.pod, names[0], tool="nslookup", server=reach)
        out, err = nslookup_unreachable(reach.nameserver, refused=reach.refused)
        p.out(out)
        p.err(err)
        return 1
    res = dns_nslookup(names[0], conf, shell.cluster.coredns.answerer(reach.pod, shell.net.client_of(shell.pod)))
    shell.cluster.coredns.log_query(f"{who} nslookup {names[0]}")
    answers, asked, error = _nslookup_answers(res.stdout, names[0])
    shell.net.lookup_event(shell.pod, asked, tool="nslookup", answers=answers, error=error, server=reach)
    p.out(res.stdout if res.stdout.endswith("\n") else res.stdout + "\n")
    # busybox 1.36 (networking/nslookup.c, send_queries): any reply whose rcode is not 0 sets
    # G.exitcode = EXIT_FAILURE after printing `** server can't find NAME: RCODE`, so an
    # NXDOMAIN for one of the search list's names fails the command even when another name
    # answered (`nslookup redis` from its own namespace exits 1); no reply at all is exit 1
    # too (`;; connection timed out; no servers could be reached`, above).
    return res.exit_code


def dig(p: Proc) -> int:
    """bind-tools' dig in a pod: the query goes to the nameserver of the pod's resolv.conf
    through kube-proxy's rules; no search list (dig's default); `+short` prints the answers'
    data only; no server reachable is exit status 9."""
    names = [a for a in p.args if not a.startswith(("+", "-", "@"))]
    if not names:
        return 0  # (dig with no name asks for the root servers: not simulated)
    qtypes = {"A", "AAAA", "SRV", "PTR", "CNAME", "TXT", "MX", "NS", "SOA", "ANY"}
    name = names[0]
    qtype = next((a.upper() for a in names[1:] if a.upper() in qtypes), "A")
    shell = p.shell
    conf = pod_resolv_conf(shell.cluster.topology, shell.pod)
    reach = shell.net.dns_server(shell.pod, conf)
    args = " ".join(p.args)
    if not reach.answers:
        shell.net.lookup_event(shell.pod, name, tool="dig", server=reach, qtype=qtype)
        p.out(render_dig_unreachable(args, server=reach.nameserver, refused=reach.refused))
        return 9
    msg_id = shell.cluster.rng("dns-id").randrange(1, 65536)
    answerer = shell.cluster.coredns.answerer(reach.pod, shell.net.client_of(shell.pod, bufsize=1232, cookie_len=8,
                                                                             msg_id=msg_id))
    out = dns_dig(answerer, name, qtype, msg_id=msg_id,
                  when=shell.now(), server=reach.nameserver, args=args)
    answers = [line.split("\t")[-1] for line in out.stdout.split(";; ANSWER SECTION:\n", 1)[-1].split("\n\n", 1)[0]
               .splitlines()] if ";; ANSWER SECTION:" in out.stdout else []
    shell.net.lookup_event(shell.pod, name, tool="dig", answers=answers, server=reach, qtype=qtype)
    p.out("".join(a + "\n" for a in answers) if "+short" in p.args else out.stdout)
    return 0


def host(p: Proc) -> int:
    """bind-tools' host: the name through the pod's resolv.conf search list (as host's own
    resolver walks it), then each address as `NAME has address IP`; a name nothing answers is
    `Host NAME not found: 3(NXDOMAIN)`, no server reachable `;; connection timed out; no
    servers could be reached` (exit 1 both)."""
    names = [a for a in p.args if not a.startswith("-")]
    if not names:
        p.err("Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n"
              "            [-R number] [-m flag] [-p port] hostname [server]\n")
        return 1
    shell = p.shell
    name = names[0]
    conf = pod_resolv_conf(shell.cluster.topology, shell.pod)
    reach = shell.net.dns_server(shell.pod, conf)
    if not reach.answers:
        shell.net.lookup_event(shell.pod, name, tool="host", server=reach)
        p.out(";; connection timed out; no servers could be reached\n")
        return 1
    res = resolve(name, "A", conf, shell.cluster.coredns.answerer(reach.pod, shell.net.client_of(shell.pod)))
    shell.net.lookup_event(shell.pod, name, tool="host", answers=res.addresses,
                           error="" if res.found else "NXDOMAIN", server=reach)
    if not res.found:
        p.out(f"Host {name} not found: 3(NXDOMAIN)\n")
        return 1
    fqdn = res.hit.name.rstrip(".") if res.hit is not None else name
    p.out("".join(f"{fqdn} has address {ip}\n" for ip in res.addresses))
    return 0


def nc(p: Proc) -> int:
    try:
        o = getopt(p.args, "np:s:ubvw:lki:o:ze:")
    except OptionError as e:
        p.err(f"nc: {e}\n" + NC_USAGE)
        return 1
    if len(o.operands) < 2 or len(o.operands) > 2:
        p.err(NC_USAGE)
        return 1
    host, port_s = o.operands
    port = bb_lookup_port(port_s, 0)
    verbose = o.flags.get("v", 0)
    wait = o.value("w")
    conn = p.shell.net.connect(p.shell.pod, host, port)
    t = conn.trace
    if t.outcome == "unresolved":
        return p.fail(f"bad address '{host}'")
    dotted = f"{t.resolved_ip or host}:{port}"
    if not conn.ok:
        if t.outcome == "timeout":
            p.shell.elapsed += float(wait) if wait and wait.isdigit() and int(wait) < CONNECT_TIMEOUT else CONNECT_TIMEOUT
        refused = t.outcome != "timeout"
        if verbose > 1 or (verbose and not refused):
            p.err(f"nc: {host} ({dotted}): {strerror(t)}\n")
        if verbose > 1:
            p.err("sent 0, rcvd 0\n")
        return 1
    if verbose:
        p.err(f"{host} ({dotted}) open\n")
    if o.has("z"):
        if verbose > 1:
            p.err("sent 0, rcvd 0\n")
        return 0
    stream = conn.process.stream(port)
    if p.stdin is None:  # the terminal: the connection stays open for the lines typed next
        p.shell.open_stream(stream)
        p.out(stream.greeting())
        return 0
    p.out(stream.greeting())
    for line in p.input().splitlines():  # `echo PING | nc redis 6379`: what came back, then EOF
        reply, closed = stream.send(line)
        p.out(reply.replace("\r\n", "\n") if reply.endswith("\r\n") else reply)
        if closed:
            break
    return 0


PING_USAGE = (BUSYBOX + "\nUsage: ping [OPTIONS] HOST\n\nSend ICMP ECHO_REQUESTs to HOST\n")
#: Echo requests sent when neither -c nor -w bounds them: busybox pings until Ctrl+C, which a
#: one-shot line cannot press; svcflow stops after as many as `ping -c 4` sends.
PING_UNBOUNDED = 4


def _rtt_us(ttl: int, seq: int) -> int:
    """A round trip in microseconds, fixed per hop count (no clock jitter in a simulation):
    the pod's own node answers in ~0.05 ms, a pod on another node in ~0.1 ms."""
    return (45 if ttl >= 64 else 70 if ttl == 63 else 110) + (seq * 7) % 5 * 6


def _ms(us: int) -> str:
    return f"{us // 1000}.{us % 1000:03d}"


def ping(p: Proc) -> int:
    """busybox ping (networking/ping.c): an echo request a second, the replies, the
    statistics; exit 0 when any reply came. Who answers is the network's (`Network.ping`)."""
    try:
        o = getopt(p.args, "qvc:w:W:s:t:I:i:4n")
    except OptionError as e:
        p.err(f"ping: {e}\n" + PING_USAGE)
        return 1
    if len(o.operands) != 1:
        p.err(PING_USAGE)
        return 1
    host = o.operands[0]
    numbers = {}
    for letter, default in (("s", "56"), ("c", "0"), ("w", "0"), ("W", "10")):
        text = o.value(letter) or default
        if not (text.isascii() and text.isdigit()):  # (busybox's xatou)
            return p.fail(f"invalid number '{text}'")
        numbers[letter] = int(text)
    size = numbers["s"]
    count = numbers["c"] or numbers["w"] or PING_UNBOUNDED
    echo = p.shell.net.ping(p.shell.pod, host)
    if echo.ip is None:
        return p.fail(f"bad address '{host}'")
    p.out(f"PING {host} ({echo.ip}): {size} data bytes\n")
    rtts = []
    for seq in range(count):
        if echo.ttl is not None:
            rtts.append(_rtt_us(echo.ttl, seq))
            if not o.has("q"):
                p.out(f"{size + 8} bytes from {echo.ip}: seq={seq} ttl={echo.ttl} time={_ms(rtts[-1])} ms\n")
        if seq < count - 1:
            p.shell.elapsed += 1.0
    if echo.ttl is None:
        p.shell.elapsed += float(numbers["W"])  # (then waits for a late reply: -W, 10 s)
    got = len(rtts)
    p.out(f"\n--- {host} ping statistics ---\n"
          f"{count} packets transmitted, {got} packets received, {(count - got) * 100 // count}% packet loss\n")
    if rtts:
        p.out(f"round-trip min/avg/max = {_ms(min(rtts))}/{_ms(sum(rtts) // got)}/{_ms(max(rtts))} ms\n")
    return 0 if rtts else 1


def telnet(p: Proc) -> int:
    if not p.args:
        p.err(BUSYBOX + "\nUsage: telnet [-a] [-l USER] HOST [PORT]\n")
        return 1
    host = p.args[0]
    port = bb_lookup_port(p.args[1] if len(p.args) > 1 else None, 23)
    conn = p.shell.net.connect(p.shell.pod, host, port)
    t = conn.trace
    if t.outcome == "unresolved":
        return p.fail(f"bad address '{host}'")
    if not conn.ok:
        if t.outcome == "timeout":
            p.shell.elapsed += CONNECT_TIMEOUT
        return p.fail(f"can't connect to remote host ({t.resolved_ip}): {strerror(t)}")
    stream = conn.process.stream(port)
    p.out(f"Connected to {host}\n" + stream.greeting())
    if p.stdin is None:
        p.shell.open_stream(stream)
        return 0
    for line in p.input().splitlines():
        reply, closed = stream.send(line)
        p.out(reply)
        if closed:
            p.out("Connection closed by foreign host\n")
            break
    return 0


def _nslookup_answers(stdout: str, name: str) -> tuple[list[str], str, str]:
    """What busybox nslookup printed, read back: the answers (`Address: IP` lines; the
    server's own `Address:\tIP:53` has a tab), the name they belong to, and the first
    error (`NXDOMAIN`) when nothing answered."""
    answers: list[str] = []
    asked, error = name, ""
    for line in stdout.splitlines():
        if line.startswith("Name:"):
            asked = line.split(None, 1)[1].strip() if len(line.split()) > 1 else asked
        elif line.startswith("Address: "):
            answers.append(line.split(None, 1)[1].strip())
        elif line.startswith("** server can't find") and not error:
            error = line.rsplit(": ", 1)[-1].strip()
    return list(dict.fromkeys(answers)), asked, error


class UrlError(ValueError):
    pass


def _split_url(url: str, tool: str) -> tuple[str, int, str, str]:
    """(host, port, path, host[:port]) as curl 8.12's URL parser (lib/urlapi.c) or busybox
    wget's parse_url + str2sockaddr read it; UrlError carries the tool's own message."""
    rest = url.split("://", 1)[1] if "://" in url else url
    scheme = url.split("://", 1)[0].lower() if "://" in url else "http"
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, path = rest[:cut], rest[cut:] or "/"
    hostport = netloc.rsplit("@", 1)[-1]
    default = 443 if scheme == "https" else 80
    if tool == "curl":
        if scheme not in ("http", "https"):
            raise UrlError(f'curl: (1) Protocol "{scheme}" not supported\n')
        if hostport.startswith("["):
            end = hostport.find("]")
            if end < 0:
                raise UrlError("curl: (3) URL rejected: Bad IPv6 address\n")
            host, after = hostport[1:end], hostport[end + 1:]
            if after and not after.startswith(":"):
                raise UrlError("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n")
            port_s = after[1:] if after else ""
        else:
            host, _, port_s = hostport.partition(":")
        if not host:
            raise UrlError("curl: (3) URL rejected: No host part in the URL\n")
        if port_s and (not port_s.isdigit() or not port_s.isascii() or int(port_s) > 65535):
            raise UrlError("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n")
        return host, int(port_s) if port_s else default, path, hostport
    # busybox wget: "bad port spec" from str2sockaddr when the part after the last ':' is not a port
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port_s = (hostport[1:end], hostport[end + 2:]) if end >= 0 else (hostport[1:], "")
        has_port = end >= 0 and hostport[end + 1:end + 2] == ":"
    else:
        host, colon, port_s = hostport.rpartition(":")
        has_port = bool(colon)
        if not has_port:
            host = hostport
    if has_port:
        if not (port_s.isdigit() and port_s.isascii()) or int(port_s) > 65535:
            raise UrlError(f"wget: bad port spec '{hostport}'\n")
        return host, int(port_s), path, hostport
    return host, default, path, hostport


def bb_lookup_port(port: str | None, default: int) -> int:
    """busybox's bb_lookup_port: a number up to 65535, else the default (no services file here)."""
    if port is not None and port.isdigit() and port.isascii() and int(port) <= 65535:
        return int(port)
    return default


@dataclass
class HttpResult:
    """One GET: the response, or the tool's error line (and curl's exit code); `connected_to`
    is busybox wget's `Connecting to ...` line, `timed_out` a SYN nobody answered."""

    response: HttpResponse | None = None
    error: str = ""
    code: int = 0
    connected_to: str = ""
    path: str = "/"
    timed_out: bool = False


def http_get(net: Network, client: dict | None, url: str, *, tool: str,
             connect_timeout: float | None = None) -> HttpResult:
    """One HTTP GET through the simulated network, as curl or busybox wget make it.
    `connect_timeout`: curl's `-m`/`--connect-timeout` (a SYN nobody answers then ends after
    that long, with curl's `Timeout was reached`)."""
    try:
        host, port, path, netloc = _split_url(url, tool)
    except UrlError as e:
        return HttpResult(error=str(e), code=int(str(e)[7:str(e).index(")")]) if str(e).startswith("curl: (") else 1)
    conn = net.connect(client, host, port)
    t = conn.trace
    if t.outcome == "unresolved":
        return HttpResult(error=f"curl: (6) Could not resolve host: {host}\n", code=6) if tool == "curl" else \
            HttpResult(error=f"wget: bad address '{host}:{port}'\n", code=1)
    head = f"Connecting to {netloc} ({t.resolved_ip}:{port})\n"
    if not conn.ok:
        timed_out = t.outcome == "timeout"
        if tool == "curl":
            if timed_out and connect_timeout is not None:
                return HttpResult(error=f"curl: (28) Failed to connect to {host} port {port} after "
                                        f"{int(connect_timeout * 1000) + 1} ms: Timeout was reached\n",
                                  code=28, timed_out=True)
            if timed_out:
                return HttpResult(error=f"curl: (28) Failed to connect to {host} port {port} after 134167 ms: Could "
                                        "not connect to server\n", code=28, timed_out=True)
            return HttpResult(error=f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Could not "
                                    "connect to server\n", code=7)
        return HttpResult(error=f"wget: can't connect to remote host ({t.resolved_ip}): {strerror(t)}\n", code=1,
                          connected_to=head, timed_out=timed_out)
    # (the address the server sees: the client pod's, or the node's a masquerade left)
    peer = conn.source.ip if conn.source is not None else ((client or {}).get("status") or {}).get("podIP", "")
    agent = "Wget" if tool == "wget" else CURL_AGENT
    resp = conn.process.http(HttpRequest("GET", path, netloc, {"User-Agent": agent}, peer),
                             _PodNet(net, conn.pod), conn.port)
    if resp is None:
        return HttpResult(error="curl: (52) Empty reply from server\n", code=52) if tool == "curl" else \
            HttpResult(error="wget: error getting response\n", code=1, connected_to=head)
    return HttpResult(response=resp, connected_to=head, path=path)


def http_text(net: Network, client: dict | None, url: str, *, tool: str = "curl",
              connect_timeout: float | None = None) -> str:
    """What `curl URL` prints from a machine outside the cluster (the session's `curl`)."""
    got = http_get(net, client, url, tool=tool, connect_timeout=connect_timeout)
    if got.response is None:
        return got.error
    body = got.response.body
    return body if body.endswith("\n") else body + "\n"


class _PodNet:
    """The network as seen by a process in a pod (what the counter app uses to reach redis)."""

    def __init__(self, net: Network, pod: dict) -> None:
        self.net, self.pod = net, pod

    def request(self, host: str, port: int, send) -> str | None:
        conn = self.net.connect(self.pod, host, port)
        if not conn.ok:
            return None
        return send(conn.process.stream(port))


def strerror(trace) -> str:
    """What connect(2) failed with, as busybox and redis-cli print it (strerror): a SYN that
    nothing answers times out ("no pod answers at ..." is the trace's own account of it)."""
    return "Connection timed out" if trace.outcome == "timeout" else (trace.error or "Connection refused")
