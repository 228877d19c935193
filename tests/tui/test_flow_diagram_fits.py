"""Nothing in the flow diagram is cut with `…` at a talk's sizes, 100x30 (big fonts on a
projector) and 160x48: a long value wraps inside its box, which grows when the screen has
the rows; a long list is counted (`10.244.1.7, +9 more`). A tester found
`8 chains written, 12 dele…`, `10.96.0.10:53,53,91…` and `EndpointSlice kube-dns-ncv…`
at 100x30; a room cannot read what is cut."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.widgets.box_text import fill, pack, service_address, service_ports, wrap, wrap_words
from tui.widgets.flow_diagram import show

SIZES = {"100x30": (100, 30), "160x48": (160, 48)}

#: Twelve pods behind a NodePort Service of four ports, two protocols and a name too long
#: for its box's title.
MANY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-frontend-canary
spec:
  replicas: 12
  selector:
    matchLabels: {app: web-frontend-canary}
  template:
    metadata:
      labels: {app: web-frontend-canary}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web-frontend-canary
spec:
  type: NodePort
  selector: {app: web-frontend-canary}
  ports:
    - {name: http, port: 80, nodePort: 30080}
    - {name: https, port: 443, nodePort: 30443}
    - {name: quic, port: 443, protocol: UDP, nodePort: 30444}
    - {name: metrics, port: 9113, nodePort: 30913}
"""

#: A fourth node: four kube-proxy boxes share 100 columns (a KUBE-SVC name wraps after its `-`).
FOUR_NODES = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes: [{role: control-plane}, {role: worker}, {role: worker}, {role: worker}]
"""

IPVS = """\
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
"""

#: kube-dns's own story (its three ports, its long slice name, CoreDNS not serving), then a
#: connection and a lookup.
COMMANDS = ("kubectl scale deploy coredns -n kube-system --replicas=0",
            "kubectl scale deploy coredns -n kube-system --replicas=2",
            "kubectl exec -it deploy/counter -- sh", "apk add curl", "curl redis:6379", "exit",
            "kubectl exec deploy/counter -- nslookup redis")


def folder(tmp_path: Path, case: str) -> Path:
    for f in SAMPLES.iterdir():
        if f.suffix in (".yml", ".yaml"):
            shutil.copy(f, tmp_path / f.name)
    if case.startswith("many"):
        (tmp_path / "web-frontend-canary.yml").write_text(MANY)
    if case == "four-nodes":
        (tmp_path / "kind.yaml").write_text(FOUR_NODES)
    if case == "many-ipvs":
        (tmp_path / "kube-proxy.yaml").write_text(IPVS)
    return tmp_path


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", ["samples", "many", "many-ipvs", "four-nodes", "many-ko"])
async def test_no_line_of_the_diagram_is_cut(tmp_path, case, size):
    """Every beat of every story (the sample Services, kube-dns, a curl, a lookup; with
    `many`, twelve endpoints and four ports; in ipvs mode, `N virtual servers written`; on
    four nodes, narrower kube-proxy boxes; in Korean, two cells a letter)."""
    app = SvcflowApp([str(folder(tmp_path, case))], deterministic=True, watch=False,
                     lang="ko" if case.endswith("-ko") else "en")
    async with app.run_test(size=SIZES[size]) as pilot:
        for cmd in COMMANDS:
            app.run_command(cmd)
        await pilot.pause()
        view = show(app)
        await pilot.pause()
        d = view.diagram
        keys = {s.key for s in d.book.stories}
        assert "kube-system/kube-dns" in keys and (not case.startswith("many") or "default/web-frontend-canary" in keys)
        assert len(app.workspace.cluster.topology.nodes) == (4 if case == "four-nodes" else 3)
        cut: list[str] = []
        for k in range(len(d.timeline)):
            d.seek(k)
            lines = d.render().plain.splitlines()
            assert len(lines) == d.size.height and all(cell_len(line) == d.size.width for line in lines)
            cut += [f"beat {k}: {line.rstrip()}" for line in lines if "…" in line]
            # the title whole, and the status beside it or under it (never written over it)
            scene = d.scene()
            if scene.title not in lines[0] or scene.status not in lines[0] + lines[1]:
                cut.append(f"beat {k}: {lines[0].rstrip()} / {lines[1].rstrip()}")
        assert not cut, "\n".join(cut)


async def test_many_endpoints_and_ports_are_counted_not_cut(tmp_path):
    app = SvcflowApp([str(folder(tmp_path, "many"))], deterministic=True, watch=False)
    async with app.run_test(size=SIZES["100x30"]) as pilot:
        view = show(app)
        await pilot.pause()
        d = view.diagram
        assert d.seek_story("default/web-frontend-canary", 2)
        text = d.render().plain
        ip = app.workspace.cluster.store.get("Service", "default", "web-frontend-canary")["spec"]["clusterIP"]
        # the Service box: its name (too long for the title), its address, a port, the
        # ports left counted, its pods counted
        for words in ("│ web-frontend-canary  │", ip, ":80:30080/TCP", "+3 more", "ready: 12 IPs",
                      # ① and ②: the first addresses, then how many more; ②'s slice name whole
                      "+9 more", "EndpointSlice", "web-frontend-canary-"):
            assert words in text, (words, text)
        assert "Service web-frontend" not in text.splitlines()[2]  # (it was cut: `Service web-front…`)
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        text = d.render().plain
        for port in (":80:30080/TCP", ":443:30443/TCP", ":443:30444/UDP", ":9113:30913/TCP"):
            assert port in text, (port, text)


def test_box_lines_wrap_between_parts_then_words():
    assert wrap_words("8 chains written, 12 deleted", 24) == ["8 chains written,", "12 deleted"]
    assert wrap_words("12 virtual servers written, 0 deleted", 24) == ["12 virtual servers", "written, 0 deleted"]
    assert wrap_words("EndpointSlice kube-dns-ncv2j", 27) == ["EndpointSlice", "kube-dns-ncv2j"]
    assert wrap_words("short", 24) == ["short"]
    # more than the rows: wrapped while the lines after still get a row, then cut (last resort)
    assert fill([("8 chains written, 12 deleted", ""), ("iptables: 31 rules", "")], 24, 3) == \
        [("8 chains written,", ""), ("12 deleted", ""), ("iptables: 31 rules", "")]
    assert fill([("8 chains written, 12 deleted", ""), ("iptables: 31 rules", "")], 24, 2) == \
        [("8 chains written, 12 de…", ""), ("iptables: 31 rules", "")]
    # more lines than rows: the first ones, a row each -- never an empty box (the CoreDNS box of
    # a 60-character Service name, its record and "(unchanged)" in two rows, was empty)
    name = "a-very-long-service-name-that-goes-on-and-on-for-a-while-yes.default.svc.cluster.local"
    assert fill([(name, ""), ("A 10.96.119.157", "bold"), ("(unchanged)", "dim")], 92, 2) == \
        [(name, ""), ("A 10.96.119.157", "bold")]
    assert fill([("one", ""), ("two", ""), ("three", "")], 10, 1) == [("one", "")]


def test_captions_break_at_spaces_before_dots():
    """An address is not split at its dots when a space can take the break (`10.` /
    `96.0.10:53` was hard to read); a DNS name longer than the line still breaks at dots."""
    text = "④ CoreDNS: NOT SERVING: kube-dns has no ready endpoints; lookups to 10.96.0.10:53 are refused"
    assert wrap(text, 70) == ["④ CoreDNS: NOT SERVING: kube-dns has no ready endpoints; lookups to",
                              "10.96.0.10:53 are refused"]
    assert wrap("? 10-244-2-2.redis.default.svc.cluster.local", 24) == \
        ["? 10-244-2-2.redis.", "default.svc.cluster.", "local"]


def test_lists_are_counted_and_ports_named_with_their_protocols():
    ips = [f"10.244.1.{i}" for i in range(2, 14)]
    assert pack("ready: {ips}", ips[:1], 20, 1) == ["ready: 10.244.1.2"]
    assert pack("ready: {ips}", ips, 20, 1) == ["ready: 12 IPs"]
    assert pack("{ips}", ips, 21, 3) == ["10.244.1.2,", "10.244.1.3,", "10.244.1.4, +9 more"]
    assert pack("{ips}", ips, 27, 2) == ["10.244.1.2, 10.244.1.3,", "10.244.1.4, +9 more"]
    dns = service_ports([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"},
                         {"port": 9153, "protocol": "TCP"}])
    assert dns == ("53/UDP", "53/TCP", "9153/TCP")  # `53,53` said nothing
    assert service_ports([{"port": 3000, "protocol": "TCP", "nodePort": 31000}]) == ("3000:31000",)
    assert service_address("10.96.36.4", ("6379",), 20, 1) == ["10.96.36.4:6379"]  # as the figure always wrote it
    assert service_address("10.96.0.10", dns, 20, 2) == ["10.96.0.10 :53/UDP", ":53/TCP :9153/TCP"]
    assert service_address("10.96.0.10", dns, 20, 1) == ["10.96.0.10 +3 more"]
