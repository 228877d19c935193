"""svcflow's benchmark suite: a synthetic-cluster generator and the measurements of issue 7.

Run by hand with one command (see benchmarks/README.md); CI only runs it at a tiny size
(tests/test_benchmarks_smoke.py), never with timing assertions.
"""
