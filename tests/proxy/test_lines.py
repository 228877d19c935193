"""`ChunkedLines` behaves exactly like the flat list of its lines (the kube-proxy pane's
470,000 lines are kept that way), and kube-proxy's save text built from chunks is the text."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.cluster.cluster import Cluster
from engine.proxy.lines import ChunkedLines
from tests.helpers import apply_yaml, sample

chunk_lists = st.lists(st.lists(st.text(alphabet="ab-", max_size=3), max_size=4), max_size=6)


@given(chunk_lists, st.integers(-30, 30), st.integers(-30, 30))
def test_indexing_slicing_and_iterating_match_the_flat_list(chunks, a, b):
    flat = [line for c in chunks for line in c]
    lines = ChunkedLines(chunks)
    assert len(lines) == len(flat) and list(lines) == flat and lines == flat
    assert lines[a:b] == flat[a:b] and lines[a:] == flat[a:] and lines[::2] == flat[::2]
    for i in (a, b):
        if -len(flat) <= i < len(flat):
            assert lines[i] == flat[i]


def test_replacing_chunks_copies_no_line_and_keeps_sections():
    lines = ChunkedLines([["# at 10:00"], ["-A X 1", "-A X 2"], ["# at 10:00"]], {("nat", "X"): 1}, ("nat",))
    later = lines.with_chunks_replaced({0: ["# at 10:01"], 2: ["# at 10:01"]})
    assert list(later) == ["# at 10:01", "-A X 1", "-A X 2", "# at 10:01"]
    assert later.chunks[1] is lines.chunks[1] and later.sections == {"X": [(1, 3)]}
    longer = later.with_chunks_replaced({1: ["-A X 1", "-A X 2", "-A X 3"]})  # a chain gained a rule
    assert longer.ranges("X") == [(1, 4)] and longer[4] == "# at 10:01" and len(longer) == 5
    assert list(lines)[0] == "# at 10:00"  # the original is unchanged


def test_kube_proxy_save_lines_are_the_save_text_with_chain_sections():
    c = Cluster(deterministic=True)
    for name in ("counter-redis-svc.yml", "counter-app.yml", "counter-nodeport.yml"):
        apply_yaml(c, sample(name))
    node = c.topology.nodes[1].name
    lines = c.kube_proxy.iptables_save_lines(node)
    assert isinstance(lines, ChunkedLines)
    assert "\n".join(lines) + "\n" == c.kube_proxy.iptables_save(node)
    for chain, ranges in lines.sections.items():
        for start, end in ranges:
            assert all(line.startswith(f"-A {chain} ") for line in lines[start:end])
    nat = [r for r in lines.sections["KUBE-SERVICES"] if "-A KUBE-SERVICES -d" in "\n".join(lines[r[0]:r[1]])]
    assert nat and any("default/redis" in line for line in lines[nat[-1][0]:nat[-1][1]])
    c.run_for(2)  # only the clock moved: the same chunks, new timestamps
    again = c.kube_proxy.iptables_save_lines(node)
    assert [line for line in again if not line.startswith("# ")] == [line for line in lines if not line.startswith("# ")]
    assert again[0] != lines[0] and again.chunks[2] is lines.chunks[2]


def _tutorial_save_lines(monkeypatch):
    """The tutorial's cluster, a worker's save lines rendered once, and a list that records
    each full assembly from then on."""
    c = Cluster(deterministic=True)
    for name in ("counter-redis-svc.yml", "counter-app.yml", "counter-nodeport.yml"):
        apply_yaml(c, sample(name))
    kp = c.kube_proxy
    node = c.topology.nodes[1].name
    before = kp.iptables_save_lines(node)
    assembled: list[int] = []
    real = kp.save_lines._assemble
    monkeypatch.setattr(kp.save_lines, "_assemble", lambda *a: assembled.append(1) or real(*a))
    return c, kp, node, before, assembled


def test_after_a_sync_only_the_changed_chains_are_redone_and_the_text_is_a_fresh_render(monkeypatch):
    c, kp, node, before, assembled = _tutorial_save_lines(monkeypatch)
    svc = sample("counter-redis-svc.yml")
    assert "port: 6379" in svc
    # The Service's port moves, its pods' port stays: redis's rules change, its chains keep their names.
    c.api.apply(yaml_load(svc.replace("- port: 6379", "- port: 6380\n      targetPort: 6379", 1)), "svc.yml")
    c.run_until_idle()
    c.run_for(3)
    patched = kp.iptables_save_lines(node)
    assert patched != before and assembled == []  # patched, not assembled again
    kp.save_lines.memos.clear()
    assert list(patched) == list(kp.iptables_save_lines(node))  # what a full assembly gives
    assert "\n".join(patched) + "\n" == kp.iptables_save(node)


def yaml_load(text: str) -> dict:
    import yaml

    return next(d for d in yaml.safe_load_all(text) if d and d.get("kind") == "Service")


def test_chains_created_and_deleted_by_a_sync_are_laid_out_without_a_full_assembly(monkeypatch):
    from engine.kubectl import commands as kubectl

    c, kp, node, _, assembled = _tutorial_save_lines(monkeypatch)
    for replicas in (3, 1):  # new KUBE-SEP chains, then those chains deleted
        kubectl.run_line(c, f"kubectl scale deployment/redis --replicas={replicas}")
        c.run_until_idle()
        c.run_for(3)
        patched = kp.iptables_save_lines(node)
        seps = [line for line in patched if line.startswith(":KUBE-SEP-")]
        assert assembled == []
        saved = dict(kp.save_lines.memos)
        kp.save_lines.memos.clear()
        assert list(patched) == list(kp.iptables_save_lines(node))  # what a full assembly gives
        kp.save_lines.memos.clear()
        kp.save_lines.memos.update(saved)
        assembled.clear()
    assert len(seps) >= 1


def test_the_proxy_view_finds_the_rule_a_scan_finds_without_scanning_everything():
    from tui.widgets.text_view import TextView

    chunks = [["*nat", ":KUBE-SEP-A - [0:0]", ":KUBE-SERVICES - [0:0]", ":KUBE-SVC-X - [0:0]"],
              ["-A KUBE-SEP-A -s 10.244.1.2/32 -j KUBE-MARK-MASQ", "-A KUBE-SEP-A -j DNAT"],
              ["-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-K", "-A KUBE-SERVICES -d 10.96.0.9/32 -j KUBE-SVC-X"],
              ["-A KUBE-SVC-X -m statistic -j KUBE-SEP-B", "-A KUBE-SVC-X -j KUBE-SEP-A"]]
    lines = ChunkedLines(chunks, {("nat", "KUBE-SEP-A"): 1, ("nat", "KUBE-SERVICES"): 2, ("nat", "KUBE-SVC-X"): 3},
                         ("nat",))
    chunked, flat = TextView(), TextView()
    chunked.lines, flat.lines = lines, list(lines)
    for marks in ({"KUBE-SEP-A"}, {"KUBE-SVC-X"}, {"KUBE-SVC-X", "KUBE-SEP-A"}, {"KUBE-NOPE"}):
        chunked.set_marks(marks)
        flat.set_marks(marks)
        assert chunked.first_marked_line() == flat.first_marked_line(), marks
    chunked.set_marks({"KUBE-SVC-X"})
    assert list(lines)[chunked.first_marked_line()] == "-A KUBE-SERVICES -d 10.96.0.9/32 -j KUBE-SVC-X"


def test_a_services_rule_is_found_in_the_real_save_text_without_making_its_chains_lines():
    """kube-proxy's own lines: the rule each Service's chains are first marked on is the line
    a scan of the saved text finds, and finding it normalizes none of KUBE-SERVICES."""
    from engine.apply.workspace import cluster_from_paths
    from tests.helpers import SAMPLES
    from tui.widgets.text_view import TextView

    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    kp, node = c.kube_proxy, c.topology.nodes[-1].name
    text = list(kp.iptables_save_lines(node))
    chains = [ln.split(" ")[0][1:] for ln in text if ln.startswith((":KUBE-SVC-", ":KUBE-SEP-"))]
    assert len(chains) > 4
    for marks in [{x} for x in chains] + [set(chains[:2]), {"KUBE-SVC-NOPE"}]:
        kp.save_lines.memos.clear()  # (lines made afresh: none normalized yet)
        chunked = kp.iptables_save_lines(node)
        view, flat = TextView(), TextView()
        view.lines, flat.lines = chunked, text
        view.set_marks(marks)
        flat.set_marks(marks)
        assert view.first_marked_line() == flat.first_marked_line(), marks
        rules = chunked.chunks[chunked.section_index[("nat", "KUBE-SERVICES")]]
        assert rules._lines is None or all(x is None for x in rules._lines), marks  # (none made to look)
