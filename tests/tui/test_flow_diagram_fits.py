"""Nothing in the flow diagram is cut with `…` at a talk's sizes, 100x30 (big fonts on a
projector) and 160x48: a long value wraps inside its box, which grows when the screen has
the rows; a long list is counted (`10.244.1.7, +9 more`). A tester found
`8 chains written, 12 dele…`, `10.96.0.10:53,53,91…` and `EndpointSlice kube-dns-ncv…`
at 100x30; a room cannot read what is cut."""
from __future__ import annotations

import re
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

#: A tester's Service: a 60-character name (its EndpointSlice's is cut to 58 before its suffix,
#: as the API server's generateName does) and four ports, selecting counter's pod.
LONG_NAME = "a-very-long-service-name-that-goes-on-and-on-for-a-while-yes"
LONG = f"""\
apiVersion: v1
kind: Service
metadata:
  name: {LONG_NAME}
spec:
  selector: {{app: counter, tier: app}}
  ports:
    - {{name: http, port: 80, targetPort: 3000}}
    - {{name: https, port: 443, targetPort: 3000}}
    - {{name: metrics, port: 9090, targetPort: 3000}}
    - {{name: grpc, port: 50051, targetPort: 3000}}
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
    if case.startswith("long-name"):
        (tmp_path / "long.yml").write_text(LONG)
    return tmp_path


#: More commands for a case: counter scaled, so the long Service's record stands "(unchanged)"
#: while CoreDNS adds its new endpoints' names, and some of its pods are not ready yet.
EXTRA = {"long-name": ("kubectl scale deploy counter --replicas=3",),
         "long-name-ko": ("kubectl scale deploy counter --replicas=3",)}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("case", ["samples", "many", "many-ipvs", "four-nodes", "many-ko", "long-name",
                                  "long-name-ko"])
async def test_no_line_of_the_diagram_is_cut(tmp_path, case, size):
    """Every beat of every story (the sample Services, kube-dns, a curl, a lookup; with
    `many`, twelve endpoints and four ports; in ipvs mode, `N virtual servers written`; on
    four nodes, narrower kube-proxy boxes; in Korean, two cells a letter; a 60-character
    Service name with four ports, its record unchanged while CoreDNS adds endpoint names)."""
    app = SvcflowApp([str(folder(tmp_path, case))], deterministic=True, watch=False,
                     lang="ko" if case.endswith("-ko") else "en")
    async with app.run_test(size=SIZES[size]) as pilot:
        for cmd in COMMANDS + EXTRA.get(case, ()):
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
        # the Service box: its name (too long for the title), its address, every port (said
        # nowhere else in the figure: the box grows for them, where `+3 more` hid three), its
        # pods counted
        for words in ("│ web-frontend-canary  │", ip, ":80:30080/TCP", ":443:30443/TCP", ":443:30444/UDP",
                      ":9113:30913/TCP", "ready: 12 IPs",
                      # ① and ②: the first addresses (in the rows the ports asked for), then how
                      # many more; ②'s slice name whole
                      "+7 more", "EndpointSlice", "web-frontend-canary-"):
            assert words in text, (words, text)
        assert "Service web-frontend" not in text.splitlines()[2]  # (it was cut: `Service web-front…`)
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        text = d.render().plain
        for port in (":80:30080/TCP", ":443:30443/TCP", ":443:30444/UDP", ":9113:30913/TCP"):
            assert port in text, (port, text)


async def test_a_long_service_name_and_its_ports_are_whole_at_100x30(tmp_path):
    """The tester's Service at 100x30, every beat of its stories: the Service box holds the
    whole name and every port (`:80 :443 :9090 :50051`, not `+4 more`), ② the whole
    EndpointSlice name, ④ the record and `(unchanged)` (the box was empty, then lost the
    word), and the title its step counter (`· 10/…`)."""
    app = SvcflowApp([str(folder(tmp_path, "long-name"))], deterministic=True, watch=False)
    async with app.run_test(size=SIZES["100x30"]) as pilot:
        app.run_command("kubectl scale deploy counter --replicas=3")
        await pilot.pause()
        view = show(app)
        await pilot.pause()
        d = view.diagram
        key = f"default/{LONG_NAME}"
        slices = [o for s in d.book.stories if s.key == key for o in s.objects_written()]
        slice_name = next(o for o in slices if o.startswith("EndpointSlice ")).split()[1]
        assert slice_name.startswith(LONG_NAME[:58]) and len(slice_name) == 63
        beats = [k for k, (i, _) in enumerate(d.timeline) if d.book.stories[i].key == key]
        unchanged = 0
        for k in beats:
            d.seek(k)
            lines = d.render().plain.splitlines()
            story, j = d.current()
            step = story.beats()[j].step
            boxes = [line for line in lines[3:14] if line.startswith("│")]  # the top row's inner lines
            service_box = [line[1:line.index("│", 1)].strip() for line in boxes]
            assert LONG_NAME in "".join(service_box), (k, "\n".join(lines))
            words = " ".join(service_box).split()
            assert all(port in words for port in (":80", ":443", ":9090", ":50051")), (k, service_box)
            assert not any("more" in line for line in service_box), service_box
            if step >= 2:
                ep_box = "".join(line.rstrip()[:-1].rsplit("│", 1)[1].strip() for line in boxes)
                assert f"EndpointSlice {slice_name}".replace(" ", "") in ep_box.replace(" ", ""), (k, ep_box)
            assert re.search(r"· \d+/\d+", lines[0]) and "…" not in lines[0], lines[0]
            if step == 4 and "still serves" in story.beats()[j].caption:
                record = [line for line in lines if line.startswith("│ ") and ".default.svc.cluster.local" in line]
                assert record and "(unchanged)" in lines[lines.index(record[0]) + 1], "\n".join(lines)
                unchanged += 1
            assert not any("…" in line for line in lines), "\n".join(lines)
        assert unchanged, "no story of the long Service had its record unchanged"


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
