"""The benchmark suite at a tiny size, so it keeps working (no timing is asserted).

`python -m benchmarks.run` measures S = 100, 1,000 and 10,000 by hand; here the same
generator, engine measurements, dashboard harness and RESULTS.md writer run on a
4-Service cluster, in process, and only their results' shape and correctness checks
(steady state reached, each one-change verified on every node) are asserted.
"""
from __future__ import annotations

import shutil

from benchmarks import dashboard_bench, engine_bench, run
from benchmarks.generate import Shape, generate, node_names, write


def test_generator_shapes_the_cluster(tmp_path):
    shape = Shape(services=300, endpoints=2, nodes=5)
    docs = generate(shape)
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Service") == 300 and kinds.count("Deployment") == 300 and kinds.count("Node") == 5
    svcs = [d for d in docs if d["kind"] == "Service"]
    assert sum(1 for s in svcs if s["spec"].get("type") == "NodePort") == 15
    assert sum(1 for s in svcs if s["spec"].get("type") == "LoadBalancer") == 2
    assert sum(1 for s in svcs if s["spec"].get("clusterIP") == "None") == 3
    assert {d["metadata"]["namespace"] for d in svcs} == {"default", "bench-001", "bench-002"}
    assert node_names(3) == ["bench-control-plane", "bench-worker", "bench-worker2"]
    folder = write(tmp_path / "gen", shape)
    assert sorted(p.name for p in folder.iterdir())[:3] == ["cluster.yaml", "nodes.yaml", "ns-000.yaml"]


async def test_the_suite_runs_at_a_tiny_size(tmp_path, monkeypatch):
    shape = Shape(services=4, endpoints=2, nodes=3)
    folder = write(tmp_path / "s4", shape)
    engine = engine_bench.run(folder, dns_seconds=0.2)
    cold = engine["cold_start"]
    assert cold["steady"]["ok"], cold["steady"]
    assert cold["pods"] >= 8 and cold["apply_errors"] == 0
    for mode in ("iptables", "ipvs", "nftables"):
        assert engine["full_render"][mode]["lines"] > 50
    for change in ("pod_not_ready", "service_gains_port", "service_added"):
        assert engine["one_change"][change]["verified"], engine["one_change"][change]["checks"]
    assert engine["dns"]["lookups_per_second"] > 0 and engine["dns"]["answered_fraction"] >= 0.5

    dash_folder = tmp_path / "dash"
    shutil.copytree(folder, dash_folder)
    monkeypatch.chdir(tmp_path)
    dash = await dashboard_bench.run(dash_folder, saves=2, big_table=True, keys=2)
    assert dash["first_paint"]["rows"]["services-table"] >= 4
    assert dash["save_to_screen"]["n"] == 2 and dash["save_to_screen"]["missed"] == 0
    assert dash["key_to_repaint"]["n"] == 2
    assert dash["big_table"]["rows"] >= cold["pods"]

    results = {"machine": run.machine(), "started": "-", "finished": "-", "samples": dash,
               "sizes": {"4": {"shape": {"services": 4, "endpoints": 2, "nodes": 3}, "engine": engine,
                               "dashboard": dash}}}
    text = run.render(results, "pytest tests/test_benchmarks_smoke.py", targets=False)
    for label in ("1. cold start", "2. full render", "3. one change", "4. DNS", "5. dashboard first paint",
                  "save → screen", "Panes at"):
        assert label in text
    assert "**missed**" not in text  # no verdicts at a tiny size
