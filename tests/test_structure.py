"""The code's shape, enforced: one direction of imports, no circles, no Textual in the engine,
ruff clean, modules a reader can hold in their head.

Why tests and not only a linter run by hand: CI runs exactly `python3 dev.py test`, so a
contract that is not a test is a contract nobody keeps. The contracts themselves live in
pyproject.toml ([tool.importlinter], [tool.ruff]) where the tools read them.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "tui")
# Ports of one upstream file each: split only where upstream splits them.
UPSTREAM_PORTS = {
    "engine/kubectl/printers/describe.py": "k8s.io/kubectl/pkg/describe/describe.go",
    "engine/proxy/ipvs.py": "pkg/proxy/ipvs/proxier.go",
    "engine/proxy/nftables.py": "pkg/proxy/nftables/proxier.go",
}
MAX_LINES = 1200


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    ours = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    edges = {m: sorted(w for w in graph.find_modules_directly_imported_by(m) if w.split(".")[0] in PACKAGES)
             for m in ours}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in ours:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(edges[node])):
                nxt = edges[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                scc = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    scc.append(w)
                    if w == node:
                        break
                if len(scc) > 1:
                    found.append(sorted(scc))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_circle_even_through_imports_inside_functions():
    graph = grimp.build_graph(*PACKAGES)  # counts imports inside functions and under TYPE_CHECKING
    assert _cycles(graph) == []


def test_import_contracts_hold():
    """engine never imports Textual or the TUI; a lower folder never imports a higher one."""
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    r = subprocess.run([str(ruff), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_module_a_reader_cannot_hold():
    too_long = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            n = sum(1 for _ in path.open(encoding="utf-8"))
            if n > MAX_LINES and rel not in UPSTREAM_PORTS:
                too_long[rel] = n
    assert too_long == {}
