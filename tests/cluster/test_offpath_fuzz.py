"""Off the tutorial's path (issue 13): mutated samples through the folder load the CLI and the
dashboard use, and through the headless CLI in-process. Zero tracebacks: a refusal must be
svcflow's own error reporting (kubectl's and the API server's messages), never an exception
escaping, a hang, or an internal exception dressed as an error line ("svcflow could not
apply this object (KeyError: ...)").

The mutations and the check live in `benchmarks/fuzz.py`, which runs thousands by hand
(`python -m benchmarks.fuzz --count 3000 --seed 1`); CI runs a few hundred, the same ones
every time (seeded). ``SVCFLOW_HYPOTHESIS_SCALE=N`` runs N times as many.
"""
from __future__ import annotations

import os

from benchmarks import fuzz

SCALE = max(1, int(os.environ.get("SVCFLOW_HYPOTHESIS_SCALE", "1")))
COUNT = 300 * SCALE
SEED = 20250601


def test_samples_unmutated_load_cleanly():
    """The baseline every mutation starts from: samples plus the extra documents, accepted."""
    files = {n: t.encode() for n, t in {**fuzz.sample_docs(), **fuzz.EXTRA_DOCS}.items()}
    o = fuzz.run_case(files, cli=True)
    assert (o.status, o.detail) == ("ok", "")


def test_mutated_manifests_never_crash():
    res = fuzz.run(COUNT, SEED, cli_every=10, timeout=20.0, verbose=False)
    failures = res["failures"]
    if failures:
        report = []
        for sig, cases in sorted(failures.items(), key=lambda kv: -len(kv[1])):
            i, o = cases[0]
            files = "\n".join(f"--- {name}\n{data.decode('utf-8', 'replace')}" for name, data in sorted(o.files.items())
                              if name not in fuzz.sample_docs() or data != fuzz.sample_docs()[name].encode())
            tail = "\n".join(o.detail.strip().splitlines()[-6:])
            report.append(f"{len(cases)} x {o.kind}: {sig}\n  first: case {i} (seed {SEED}); changed files:\n"
                          f"{files}\n  ...\n{tail}\n")
        raise AssertionError(f"{sum(map(len, failures.values()))} of {COUNT} mutated folders failed "
                             f"({len(failures)} distinct):\n\n" + "\n".join(report))
    assert res["counts"]["ok"] + res["counts"]["refused"] == COUNT
